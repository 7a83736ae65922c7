"""Which calls a suite runs, on which systems, with lead extraction where.

- quick    (CI, < 3 min on 2 cores): the committed fixture call hot_northwind (65 s, synthetic, truth.json) and
           pyannote's real two-speaker sample (30 s), both systems, no lead extraction. Checks the harness works.
- standard (the committed CPU comparison): pyannote sample, the three committed fixture calls (hot / warm /
           cold) with lead extraction on for Parley, two freshly generated calls (SNR 15 dB; stereo, one party per
           channel -- both exercise the generator), and the real single-speaker sets (Asterisk prompts 8 kHz, LibriVox 16 kHz) when installed.
- full     (GPU machine, or a long CPU night): every scenario x 2 seeds x channel conditions (u-law, SNR 20 / 10 dB,
           GSM, stereo, clean wideband), 3-minute calls, lead extraction on every synthetic call, plus real speech.

With `data_dir` the suite runs on the operator's folder only (benchmarks/calls.py `operator_calls`); quick then
skips lead extraction, standard/full run it where a truth.json exists.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks.calls import (
    BenchCall,
    SyntheticVariant,
    asterisk_prompts,
    fixture_calls,
    librivox_sentences,
    operator_calls,
    pyannote_sample,
    synthetic_calls,
)

SUITES: tuple[str, ...] = ("quick", "standard", "full")
BOTH = ("parley", "naive-baseline")


@dataclass(frozen=True)
class Suite:
    name: str
    calls: tuple[BenchCall, ...]
    notes: tuple[str, ...] = ()

    @property
    def systems(self) -> tuple[str, ...]:
        return tuple(s for s in BOTH if any(s in c.systems for c in self.calls))

    def calls_for(self, system: str) -> list[BenchCall]:
        return [c for c in self.calls if system in c.systems]


def _real(cache_dir: Path, notes: list[str]) -> list[BenchCall]:
    calls = []
    sample = pyannote_sample()
    if sample:
        calls.append(sample)
    else:
        notes.append("pyannote sample not found (pyannote.audio wheel without audio/sample)")
    for name, build, pkg in (
        ("Asterisk prompts", asterisk_prompts, "asterisk-core-sounds-en-wav asterisk-core-sounds-en"),
        ("LibriVox sentences", librivox_sentences, "pocketsphinx-testdata"),
    ):
        call = build(cache_dir)
        if call:
            calls.append(call)
        else:
            notes.append(f"{name} skipped: apt-get install {pkg}")
    return calls


def full_grid() -> list[SyntheticVariant]:
    from benchmarks.corpus import SCENARIOS

    conditions = (
        {"tag": "ulaw"},
        {"tag": "snr20", "snr_db": 20.0},
        {"tag": "snr10", "snr_db": 10.0},
        {"tag": "gsm", "codec": "gsm"},
        {"tag": "stereo", "stereo": True},
        {"tag": "wide", "wideband": True},
    )
    out = []
    for scenario in SCENARIOS:
        for seed in (1, 2):
            for cond in conditions:
                extra = {k: v for k, v in cond.items() if k != "tag"}
                out.append(SyntheticVariant(name=f"{scenario}_s{seed}_{cond['tag']}", scenario=scenario, seed=seed,
                                            minutes=3.0, **extra))  # type: ignore[arg-type]
    return out


def build_suite(name: str, *, cache_dir: Path, data_dir: Path | None = None) -> Suite:
    if name not in SUITES:
        raise ValueError(f"unknown suite {name!r}; choose one of {', '.join(SUITES)}")
    notes: list[str] = []
    if data_dir is not None:
        calls = operator_calls(data_dir)
        if name == "quick":
            calls = [replace(c, extract_lead=False) for c in calls]
        return Suite(name, tuple(calls), (f"operator data: {data_dir}",))

    if name == "quick":
        calls = [*fixture_calls(["hot_northwind"])]
        sample = pyannote_sample()
        if sample:
            calls.append(sample)
        return Suite(name, tuple(calls), ("no lead extraction in the quick suite",))

    if name == "standard":
        fixtures = [replace(c, extract_lead=True) for c in fixture_calls(["hot_northwind", "warm_redwood", "cold_summit"],
                                                                   snapshot_dir=cache_dir / "fixtures")]
        noisy = synthetic_calls(
            [SyntheticVariant(name="objection_s5_snr15", scenario="objection", seed=5, minutes=1.0, snr_db=15.0),
             SyntheticVariant(name="research_s4_stereo", scenario="research", seed=4, minutes=1.0, stereo=True)],
            cache_dir,
        )
        real = _real(cache_dir, notes)
        two_speaker = [c for c in real if c.source == "pyannote-sample"]
        one_speaker = [c for c in real if c.source != "pyannote-sample"]
        return Suite(name, tuple(two_speaker + fixtures + noisy + one_speaker), tuple(notes))

    synthetic = [replace(c, extract_lead=True) for c in synthetic_calls(full_grid(), cache_dir)]
    return Suite(name, tuple(_real(cache_dir, notes) + synthetic), tuple(notes))
