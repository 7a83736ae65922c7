"""Synthetic call generator: scripts, ground truth, telephone rendering, committed fixtures."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from benchmarks.corpus import SCENARIOS, bant_label, build_script
from benchmarks.corpus.channel import alaw_roundtrip, mulaw_roundtrip, to_telephone_rate
from benchmarks.corpus.spoken import number_to_words, spoken_email, spoken_money, spoken_phone

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "calls"
needs_tts = pytest.mark.skipif(not (shutil.which("flite") and shutil.which("sox")), reason="flite and sox needed")


# --- script model -------------------------------------------------------------------------------------------------

def test_script_is_a_function_of_its_seed() -> None:
    assert build_script("discovery", 5, 3.0) == build_script("discovery", 5, 3.0)
    assert build_script("discovery", 5, 3.0).turns != build_script("discovery", 6, 3.0).turns


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_truth_fields_present_and_label_follows_criteria(scenario: str) -> None:
    script = build_script(scenario, 11, 2.0)
    crm = script.crm
    assert crm.contact.name and crm.contact.company and crm.contact.title
    assert crm.contact.email or crm.contact.phone
    assert crm.competitors and crm.pain_points and crm.next_step
    assert script.bant.label == bant_label(len(script.bant.present))
    ids = {t.id: t for t in script.turns}
    for criterion in script.bant.present:
        evidence = script.bant.evidence[criterion]
        assert evidence and all(ids[i].speaker == "prospect" for i in evidence)
    if crm.budget is not None:
        assert crm.budget.amount > 0 and any(crm.budget.spoken in t.text for t in script.turns)
    assert any(t.kind == "backchannel" for t in script.turns)
    assert any(t.barge_in for t in script.turns)
    assert len({t.id for t in script.turns}) == len(script.turns)


def test_scenarios_cover_hot_warm_and_cold() -> None:
    labels = {build_script(s, seed, 1.0).bant.label for s in SCENARIOS for seed in range(3)}
    assert labels == {"hot", "warm", "cold"}


def test_longer_target_gives_longer_script() -> None:
    assert len(build_script("pricing", 1, 5.0).turns) > len(build_script("pricing", 1, 1.0).turns) + 20


def test_overrides_pin_facts() -> None:
    script = build_script("discovery", 1, 1.0, {"first": "Michael", "last": "Brown", "company": "Acme",
                                                 "competitor": "Salesforce", "budget_amount": 50_000,
                                                 "money_style": "dollars"})
    assert script.crm.contact.name == "Michael Brown"
    assert script.crm.contact.company == "Acme"
    assert script.crm.budget is not None and script.crm.budget.spoken == "fifty thousand dollars"
    assert script.genders["prospect"] == "male"
    with pytest.raises(ValueError):
        build_script("discovery", 1, 1.0, {"no_such_fact": 1})


def test_bant_thresholds() -> None:
    assert [bant_label(n) for n in range(5)] == ["cold", "cold", "warm", "hot", "hot"]


# --- spoken forms -------------------------------------------------------------------------------------------------

def test_spoken_forms() -> None:
    assert number_to_words(50_000) == "fifty thousand"
    assert number_to_words(120_000) == "one hundred twenty thousand"
    assert number_to_words(42) == "forty-two"
    assert spoken_money(50_000, "dollars") == "fifty thousand dollars"
    assert spoken_money(50_000, "k") == "fifty K"
    assert spoken_money(50_000, "grand") == "fifty grand"
    assert spoken_money(1_200_000, "dollars") == "one point two million dollars"
    assert spoken_email("j.smith@acme.com") == "j dot smith at acme dot com"
    assert spoken_phone("312", "555", "0147") == "three one two, five five five, zero one four seven"


# --- channel ------------------------------------------------------------------------------------------------------

def test_g711_roundtrips_are_close_and_idempotent() -> None:
    x = np.sin(np.linspace(0, 200, 8000)).astype(np.float32) * 0.5
    for codec in (mulaw_roundtrip, alaw_roundtrip):
        y = codec(x)
        assert np.max(np.abs(y - x)) < 0.02
        np.testing.assert_array_equal(codec(y), y)  # decoded values sit on the codec's grid


def test_telephone_band_removes_out_of_band_tones() -> None:
    t = np.arange(16_000) / 16_000
    x = (np.sin(2 * np.pi * 1000 * t) + np.sin(2 * np.pi * 100 * t) + np.sin(2 * np.pi * 3900 * t)).astype(
        np.float32)
    y = to_telephone_rate(x, 16_000, (300.0, 3400.0))
    assert len(y) == 8000
    spectrum = np.abs(np.fft.rfft(y))
    freqs = np.fft.rfftfreq(len(y), 1 / 8000)
    at = lambda f: spectrum[np.argmin(np.abs(freqs - f))]  # noqa: E731
    assert at(100) < 0.01 * at(1000) and at(3900) < 0.01 * at(1000)


# --- rendering ----------------------------------------------------------------------------------------------------

def _soxi(path: Path, flag: str) -> str:
    return subprocess.run(["soxi", flag, str(path)], check=True, capture_output=True, text=True).stdout.strip()


def _check_truth_files(base: Path) -> dict:
    """RTTM, STM and transcript JSON must describe the same turns with the same times."""
    transcript = json.loads(base.with_name(base.name + ".transcript.json").read_text())
    turns = transcript["turns"]
    rttm = [line.split() for line in base.with_name(base.name + ".rttm").read_text().splitlines()]
    stm = [line.split(maxsplit=6) for line in base.with_name(base.name + ".stm").read_text().splitlines()
           if not line.startswith(";;")]
    assert len(rttm) == len(stm) == len(turns)
    for turn, r, s in zip(turns, rttm, stm):
        assert r[0] == "SPEAKER" and r[7] == turn["speaker"] == s[2]
        assert abs(float(r[3]) - turn["start"]) < 2e-3 and abs(float(r[3]) + float(r[4]) - turn["end"]) < 2e-3
        assert abs(float(s[3]) - turn["start"]) < 2e-3 and abs(float(s[4]) - turn["end"]) < 2e-3
        assert 0 <= turn["start"] < turn["end"] <= transcript["duration"]
    assert [t["start"] for t in turns] == sorted(t["start"] for t in turns)
    for role in ("rep", "prospect"):  # one voice never overlaps itself
        own = [t for t in turns if t["speaker"] == role]
        assert all(a["end"] <= b["start"] for a, b in zip(own, own[1:]))
    overlaps = [(a, b) for a, b in zip(turns, turns[1:]) if b["start"] < a["end"]]
    assert overlaps, "a call has at least one backchannel or barge-in overlap"
    return transcript


@needs_tts
def test_render_is_deterministic_and_telephone_band(tmp_path: Path) -> None:
    from benchmarks.corpus import CallSpec, generate_call

    spec = CallSpec(out_dir=tmp_path / "a", scenario="research", seed=3, minutes=0.3, stereo=True, snr_db=25.0)
    first = generate_call(spec)
    second = generate_call(CallSpec(**{**spec.__dict__, "out_dir": tmp_path / "b"}))
    for a, b in ((first.audio, second.audio), (first.stereo, second.stereo), (first.truth, second.truth)):
        assert a is not None and b is not None and a.read_bytes() == b.read_bytes()
    assert _soxi(first.audio, "-r") == "8000" and _soxi(first.audio, "-c") == "1"
    assert first.stereo is not None and _soxi(first.stereo, "-r") == "8000" and _soxi(first.stereo, "-c") == "2"
    assert abs(float(_soxi(first.audio, "-D")) - first.duration) < 0.01
    transcript = _check_truth_files(first.audio.with_suffix(""))
    truth = json.loads(first.truth.read_text())
    assert truth["bant"]["label"] == "cold" and truth["channel"]["sample_rate"] == 8000
    assert [t["id"] for t in transcript["turns"]] == [t.turn.id for t in first.turns]


# --- committed fixtures -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,label,seconds,max_bytes", [
    ("hot_northwind", "hot", (40, 70), 600_000),
    ("warm_redwood", "warm", (40, 70), 600_000),
    ("cold_summit", "cold", (40, 70), 600_000),
    ("demo_call", "hot", (150, 210), 2_000_000),
])
def test_committed_fixtures(name: str, label: str, seconds: tuple[int, int], max_bytes: int) -> None:
    audio = FIXTURES / f"{name}.flac"
    assert audio.stat().st_size < max_bytes
    truth = json.loads((FIXTURES / f"{name}.truth.json").read_text())
    assert truth["bant"]["label"] == label
    assert seconds[0] <= truth["duration"] <= seconds[1]
    assert truth["channel"]["sample_rate"] == 8000
    _check_truth_files(FIXTURES / name)
    if shutil.which("soxi"):
        assert _soxi(audio, "-r") == "8000" and _soxi(audio, "-c") == "1"


def test_hot_fixture_states_every_fact() -> None:
    truth = json.loads((FIXTURES / "hot_northwind.truth.json").read_text())
    crm = truth["crm"]
    assert crm["contact"]["name"] == "Michael Brown" and crm["contact"]["company"] == "Northwind Logistics"
    assert crm["contact"]["decision_maker"] and crm["contact"]["phone"] == "+1-312-555-0147"
    assert crm["budget"]["spoken"] == "fifty thousand dollars" and crm["budget"]["amount"] == 50_000
    assert crm["budget"]["period"] == "this quarter"
    assert crm["timeline"]["spoken"] == "live before our April launch" and crm["timeline"]["explicit"]
    assert crm["competitors"] == ["Salesforce"] and crm["pain_points"]
    assert truth["bant"]["present"] == ["budget", "authority", "need", "timeline"]
