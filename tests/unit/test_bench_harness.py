"""The benchmark harness must be right before its numbers mean anything: metrics on known cases, CRM scoring,
cost arithmetic, aggregation and report rendering -- all with fake system outputs, no models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.aggregate import compare, pooled_wer, speed, summarise
from benchmarks.calls import FIXTURE_DIR, BenchCall, fixture_calls, operator_calls
from benchmarks.cost import break_even_utilisation, cost_curve, cost_per_audio_hour, throughput_from_rtf
from benchmarks.crm_metrics import (
    budget_match,
    email_match,
    evidence_counts,
    parse_amount,
    phone_match,
    score_lead,
    text_match,
    timeline_match,
)
from benchmarks.entity_metrics import count_type, entity_counts, reference_entities
from benchmarks.metrics import der, read_rttm, wer
from benchmarks.outputs import CallOutput, HypEntity, HypTurn, HypUtterance, HypWord, SystemRun, read_run, write_run
from benchmarks.prices import FEATURE_SET, offers, price_rows
from benchmarks.score import CallScore, load_references, score_call
from benchmarks.suites import Suite

HOT = FIXTURE_DIR / "hot_northwind"


def _truth() -> dict:
    return json.loads(HOT.with_suffix(".truth.json").read_text())


def _reference_words(speaker_map: dict[str, str] | None = None) -> tuple[HypWord, ...]:
    """The reference transcript as a perfect hypothesis: each turn's words spread evenly over the turn."""
    turns = json.loads(HOT.with_suffix(".transcript.json").read_text())["turns"]
    words = []
    for t in turns:
        tokens = t["text"].split()
        step = (t["end"] - t["start"]) / len(tokens)
        spk = speaker_map.get(t["speaker"], t["speaker"]) if speaker_map else t["speaker"]
        words += [HypWord(t["start"] + i * step, t["start"] + (i + 1) * step, w, spk) for i, w in enumerate(tokens)]
    return tuple(sorted(words, key=lambda w: w.start))


def _perfect_lead(truth: dict) -> dict:
    crm, bant = truth["crm"], truth["bant"]
    contact = crm["contact"]
    return {
        "score": bant["label"],
        "contact": {"name": contact["name"], "company": contact["company"], "email": contact["email"],
                    "phone": contact["phone"]},
        "budget_amount": crm["budget"]["spoken"] if crm["budget"] else None,
        "timeline_text": crm["timeline"]["spoken"] if crm["timeline"] else None,
        "competitors": list(crm["competitors"]),
        "bant": {c: {"present": bant[c], "evidence": []} for c in ("budget", "authority", "need", "timeline")},
    }


def _parley_like(call: BenchCall) -> CallOutput:
    truth = _truth()
    turns = tuple(HypTurn(t.start, t.end, f"S_{t.speaker}") for t in read_rttm(call.rttm))
    contact = truth["crm"]["contact"]
    entities = (HypEntity("PERSON", contact["name"]), HypEntity("PERSON", "Michael"), HypEntity("ORG", contact["company"]),
                HypEntity("ORG", "Salesforce"), HypEntity("MONEY", "$50,000"), HypEntity("DATE", "Thursday"),
                HypEntity("PHONE", "three one two, five five five, zero one four seven"))
    return CallOutput(
        uri=call.uri, duration_s=truth["duration"], words=_reference_words({"rep": "S_rep", "prospect": "S_prospect"}),
        turns=turns, entities=entities, utterances=(HypUtterance("u1", "S_prospect", "We have fifty thousand dollars."),),
        lead=_perfect_lead(truth),
        stage_seconds={"decode": 0.5, "asr": 6.5, "diarization": 9.0, "alignment": 0.1, "nlp": 1.0, "extraction": 50.0,
                       "total": 67.1},
    )


def _baseline_like(call: BenchCall) -> CallOutput:
    words = _reference_words({"rep": "A", "prospect": "A"})[5:]  # loses 5 words, one speaker
    end = max(w.end for w in words)
    return CallOutput(uri=call.uri, duration_s=_truth()["duration"], words=words, turns=(HypTurn(0.0, end, "A"),),
                      stage_seconds={"decode": 0.5, "asr": 13.0, "diarization": 9.0, "alignment": 0.0, "total": 22.5})


# ------------------------------------------------------------------------------------------------ metrics


def test_der_of_reference_against_itself_is_zero():
    turns = read_rttm(HOT.with_suffix(".rttm"))
    assert der(turns, turns) == 0.0
    assert der(turns, turns, collar=0.0) == 0.0


@pytest.mark.parametrize(
    ("ref", "hyp", "expected"),
    [("the budget is fifty thousand dollars", "the budget is $50,000", 0.0),
     ("call me on monday", "call me monday", 0.25),
     ("a b c d", "a x c d e", 0.5)],
)
def test_known_wer_cases(ref, hyp, expected):
    assert wer(ref, hyp) == pytest.approx(expected)


def test_pooled_wer_weights_by_reference_words():
    scores = [CallScore("s", "a", "x", "c", 1.0, wer=0.5, word_errors=1, reference_words=2),
              CallScore("s", "b", "x", "c", 1.0, wer=0.0, word_errors=0, reference_words=8)]
    assert pooled_wer(scores) == pytest.approx(0.1)


def test_perfect_hypothesis_scores_perfectly():
    call = fixture_calls(["hot_northwind"])[0]
    out = _parley_like(call)
    score = score_call("parley", call, out, load_references(call))
    assert score.wer < 0.02  # only the back-channels inside the other speaker's turn move in one word stream
    assert score.cpwer == 0.0
    assert score.der["collar=0.25"] < 0.05  # words spread evenly vs the reference turns: DER is the RTTM's own
    assert score.speakers_found == score.speakers_true == 2
    assert all(score.crm_fields.values()), score.crm_values
    assert score.bant_label_predicted == score.bant_label_truth == "hot"


def test_one_speaker_hypothesis_is_punished_by_cpwer_and_der():
    call = fixture_calls(["hot_northwind"])[0]
    score = score_call("naive-baseline", call, _baseline_like(call), load_references(call))
    assert 0 < score.wer < 0.1
    assert score.cpwer > 0.3
    assert score.der["collar=0.25"] > 0.3
    assert score.entities == {} and score.crm_fields == {}  # no NLP, no lead: not scored (not zero)


# ------------------------------------------------------------------------------------------------ CRM / BANT


def test_crm_field_rules():
    assert text_match("Northwind", "Northwind Logistics") and text_match("northwind logistics", "Northwind Logistics")
    assert not text_match("Redwood Software", "Northwind Logistics")
    assert text_match(None, None) and not text_match("Acme", None)  # invented value for a field never said
    assert phone_match("(312) 555-0147", "+1-312-555-0147")
    assert phone_match("three one two five five five zero one four seven", "+1-312-555-0147")
    assert not phone_match("312-555-0148", "+1-312-555-0147")
    assert email_match("s dot miller at northwind dot com", "s.miller@northwind.com")
    assert parse_amount("$50K") == 50_000 and parse_amount("fifty thousand dollars") == 50_000
    assert parse_amount("1.2 million") == pytest.approx(1_200_000)
    assert budget_match("about $50,000", 50_000) and not budget_match("$5,000", 50_000)
    assert timeline_match("live before our April launch", "before April launch")
    assert not timeline_match("sometime next year", "before April launch")


def test_lead_scoring_counts_wrong_fields_and_label():
    truth = _truth()
    lead = _perfect_lead(truth)
    lead["contact"]["company"] = "Redwood"
    lead["contact"]["email"] = "m.brown@northwind.com"  # never said: fabricated
    lead["score"] = "warm"
    lead["bant"]["timeline"]["present"] = False
    scored = score_lead(lead, truth, {})
    wrong = {f.field for f in scored.fields if not f.correct}
    assert wrong == {"company", "email"}
    assert scored.field_accuracy == pytest.approx(5 / 7)
    assert not scored.bant_label_correct
    assert scored.criteria_agreement == {"budget": True, "authority": True, "need": True, "timeline": False}


def test_evidence_verbatim_rate():
    lead = {"bant": {"budget": {"evidence": [{"utterance_id": "u1", "quote": "fifty  thousand"},
                                            {"utterance_id": "u1", "quote": "a hundred grand"}]},
                     "need": {"evidence": [{"utterance_id": "u9", "quote": "anything"}]}}}
    assert evidence_counts(lead, {"u1": "We have Fifty thousand dollars."}) == (3, 1)


def test_entities_per_type():
    truth = _truth()
    reference_text = " ".join(t["text"] for t in json.loads(HOT.with_suffix(".transcript.json").read_text())["turns"])
    refs = reference_entities(truth, reference_text)
    assert refs["PERSON"] == {"Michael Brown", "Laura"}  # the rep's surname is never said
    assert "Salesforce" in refs["ORG"] and "Brightline" in refs["ORG"]
    counts = entity_counts([("PERSON", "Michael"), ("PERSON", "Bob"), ("ORG", "Salesforce"), ("DATE", "Q2")],
                           truth, reference_text)
    assert counts["PERSON"].precision == 0.5 and counts["PERSON"].recall == 0.5
    assert counts["ORG"].precision == 1.0 and counts["ORG"].recall == pytest.approx(1 / 3)
    assert counts["EMAIL"].f1 is None  # no reference, no hypothesis: undefined, not 0
    assert count_type("PHONE", ["312 555 0147"], ["+1-312-555-0147"]).f1 == 1.0


# ------------------------------------------------------------------------------------------------ cost / prices


def test_cost_arithmetic():
    assert cost_per_audio_hour(0.08, 10.0, 0.5) == pytest.approx(0.016)
    assert throughput_from_rtf(0.25) == 4.0 and throughput_from_rtf(0.25, streams=2) == 8.0
    curve = cost_curve(1.0, 2.0, (0.5, 1.0))
    assert curve == [(0.5, 1.0), (1.0, 0.5)]
    assert break_even_utilisation(0.08, 1.0, 0.16) == pytest.approx(0.5)
    assert break_even_utilisation(1.0, 1.0, 0.5) is None
    with pytest.raises(ValueError):
        cost_per_audio_hour(1.0, 1.0, 0.0)


def test_price_table_is_sourced_and_sums_add_ons():
    rows = {f"{r.provider} {r.product}": r for r in price_rows()}
    assert rows["AssemblyAI Universal (Best)"].feature_set_usd_per_hour == pytest.approx(0.37 + 0.02 + 0.02 + 0.08 + 0.02)
    assert rows["Deepgram Nova-3 (pre-recorded)"].base_usd_per_hour == pytest.approx(0.258)
    assert set(rows["Deepgram Nova-3 (pre-recorded)"].unknown_features) == {"entities", "pii_redaction"}
    assert rows["Gladia Solaria (Starter)"].feature_set_usd_per_hour == pytest.approx(0.61)
    for offer in offers():
        assert offer.source_url.startswith("https://") and offer.source_date
        assert set(offer.addons) == set(FEATURE_SET)


# ------------------------------------------------------------------------------------------------ aggregate + report


def _fake_results(tmp_path: Path) -> dict:
    from benchmarks.harness import build_results

    call = BenchCall(**{**fixture_calls(["hot_northwind"])[0].__dict__, "extract_lead": True})
    suite = Suite("quick", (call,), ("fake runs, no models",))
    runs = {}
    for name, make in (("parley", _parley_like), ("naive-baseline", _baseline_like)):
        run = SystemRun(system=name, description=f"fake {name}", load_s=1.0, peak_rss_mb=900.0, rss_after_load_mb=800.0,
                        calls=(make(call),))
        write_run(run, tmp_path / f"{name}.json")  # round trip through the worker's file format
        runs[name] = read_run(tmp_path / f"{name}.json")
    machine = {"name": "cpu2-test", "cpus": 2, "cpu_model": "fake", "platform": "linux", "python": "3.11",
               "gpu": None, "load_start": 1.0}
    return build_results(suite=suite, runs=runs, machine=machine, gpu=False, utilisation=0.5, elapsed_s=3.0)


def test_speed_and_ratios_from_fake_runs(tmp_path):
    results = _fake_results(tmp_path)
    parley = results["systems"]["parley"]["speed"]
    duration = _truth()["duration"]
    assert parley["rtf_per_stage"]["asr"] == pytest.approx(round(6.5 / duration, 4))
    assert parley["rtf_without_extraction"] == pytest.approx(round(17.1 / duration, 4), abs=1e-4)
    assert parley["rtf_extraction"] == pytest.approx(round(50 / duration, 4))
    comp = results["comparison"]
    assert comp["speedup_asr"] == pytest.approx(2.0)
    assert comp["wer_ratio"] < 0.5 and comp["cpwer_ratio"] < 0.1  # the (near) perfect fake beats the baseline
    cost = results["cost"]["parley"]
    assert cost["usd_per_audio_hour"] == pytest.approx(0.0816 / (parley["throughput_audio_h_per_h"] * 0.5), rel=1e-3)
    assert results["systems"]["parley"]["accuracy"]["crm_accuracy"] == 1.0


def test_report_renders_from_canned_results_json(tmp_path):
    from benchmarks.harness import write_outputs

    results = json.loads(json.dumps(_fake_results(tmp_path)))  # what a committed JSON file holds
    report = write_outputs(results, tmp_path / "out")
    text = report.read_text()
    for heading in ("Parley vs the naive baseline", "Lead and CRM accuracy", "Cost per audio hour",
                    "Managed API list prices", "Caveats"):
        assert f"## {heading}" in text
    assert "https://" in text and "0.25" in text
    pngs = sorted((tmp_path / "out").glob("*-plots/*.png"))
    assert len(pngs) == 4
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert text.count(png.name) == 1


def test_summary_counts_failures():
    run = SystemRun("parley", "", 0, 0, 0, calls=())
    scores = [CallScore("parley", "x", "s", "c", 10.0, error="boom"),
              CallScore("parley", "y", "s", "c", 10.0, wer=0.1, word_errors=1, reference_words=10,
                        stage_seconds={"asr": 1.0, "total": 2.0})]
    summary = summarise(run, scores)
    assert summary.failed == 1 and summary.accuracy.wer == 0.1
    assert speed(scores).rtf_without_extraction == 0.2
    assert compare(scores, []) ["calls"] == 0


def test_operator_folder_sidecars(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"")
    (tmp_path / "a.txt").write_text("hello there")
    (tmp_path / "b.stereo.flac").write_bytes(b"")
    (tmp_path / "b.rttm").write_text("")
    calls = {c.uri: c for c in operator_calls(tmp_path)}
    assert calls["a"].reference_text == "hello there" and not calls["a"].stereo
    assert calls["b.stereo"].stereo and calls["b.stereo"].rttm == tmp_path / "b.rttm"


def test_rescore_from_kept_raw_outputs_reproduces_the_results(tmp_path):
    from benchmarks.harness import rescore, result_stem, write_outputs

    results = json.loads(json.dumps(_fake_results(tmp_path)))
    raw = {name: tmp_path / f"{name}.json" for name in ("parley", "naive-baseline")}  # written by _fake_results
    report = write_outputs(results, tmp_path / "out", raw_runs=raw)
    again = rescore(report.with_suffix(".json"))
    rescored = json.loads(again.with_suffix(".json").read_text())
    assert result_stem(rescored) == result_stem(results)
    assert rescored["systems"] == results["systems"] and rescored["comparison"] == results["comparison"]


def test_vague_timeline_may_be_left_empty():
    truth = {"crm": {"contact": {}, "timeline": {"spoken": "maybe next year", "normalised": None, "explicit": False},
                     "competitors": []},
             "bant": {"label": "cold", "budget": False, "authority": False, "need": False, "timeline": False}}
    fields = {f.field: f.correct for f in score_lead({"timeline_text": None}, truth, {}).fields}
    assert fields["timeline"]
    fields = {f.field: f.correct for f in score_lead({"timeline_text": "next year maybe"}, truth, {}).fields}
    assert fields["timeline"]
    fields = {f.field: f.correct for f in score_lead({"timeline_text": "by March"}, truth, {}).fields}
    assert not fields["timeline"]


def test_merge_repeats_takes_minimum_stage_times():
    from benchmarks.outputs import merge_repeats

    def run(asr: float, extraction: float | None, rss: float) -> SystemRun:
        seconds = {"asr": asr, "diarization": 2.0, **({"extraction": extraction} if extraction else {})}
        seconds["total"] = sum(seconds.values()) + 0.1
        call = CallOutput(uri="c", duration_s=10.0, words=(HypWord(0, 1, "hi"),), stage_seconds=seconds)
        return SystemRun("parley", "", load_s=5.0 + asr, peak_rss_mb=rss, rss_after_load_mb=rss, calls=(call,),
                         load_average=(1.0, 2.0))

    merged = merge_repeats([run(3.0, 40.0, 900.0), run(1.5, None, 950.0)])
    seconds = merged.calls[0].stage_seconds
    assert seconds["asr"] == 1.5 and seconds["extraction"] == 40.0
    assert seconds["total"] == pytest.approx(1.5 + 2.0 + 40.0 + 0.1)
    assert merged.peak_rss_mb == 950.0 and merged.load_s == 6.5 and merged.repeats == 2
    assert merged.calls[0].words == (HypWord(0, 1, "hi"),)


# ------------------------------------------------------------------------------------------------ honest figures

COMMITTED = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "2026-11-21-cpu2-x86_64-standard.json"


def test_citation_correctness_needs_the_prospect_on_the_truth_line():
    from benchmarks.crm_metrics import citation_counts

    truth = _truth()
    turns = json.loads(HOT.with_suffix(".transcript.json").read_text())["turns"]
    by_id = {t["id"]: t for t in turns}
    budget, timeline = by_id[truth["bant"]["evidence"]["budget"][0]], by_id[truth["bant"]["evidence"]["timeline"][0]]
    rep = next(t for t in turns if t["speaker"] == "rep" and t["end"] - t["start"] > 2)

    def ev(t: dict) -> dict:
        return {"utterance_id": "u", "quote": t["text"], "start": t["start"] + 0.1, "end": t["end"] - 0.1}

    lead = {"bant": {"budget": {"present": True, "evidence": [ev(budget)]},  # right line, prospect: correct
                     "need": {"present": True, "evidence": [ev(timeline)]},  # prospect, but another criterion's line
                     "authority": {"present": True, "evidence": [ev(rep)]},  # the rep's words
                     "timeline": {"present": True, "evidence": [{"utterance_id": "u", "quote": "x"}]}}}  # no span
    c = citation_counts(lead, truth, turns)
    assert (c.citations, c.correct, c.from_prospect) == (4, 1, 2)
    assert (c.criteria_true, c.criteria_covered) == (4, 1)
    # a truth without per-criterion lines cannot be scored: None, not zero
    assert citation_counts(lead, {"bant": {"label": "hot"}}, turns) is None
    # every criterion absent in the truth: any citation is wrong
    cold = {"bant": {"budget": False, "authority": False, "need": False, "timeline": False, "evidence": {}}}
    assert citation_counts(lead, cold, turns).correct == 0


def test_comparisons_are_split_by_channel_layout():
    from benchmarks.aggregate import results_by_group

    results = json.loads(COMMITTED.read_text())
    groups = results_by_group(results)
    layout = groups["layout"]
    assert list(layout) == ["mono", "stereo"]
    assert layout["mono"]["comparison"]["calls"] == 7 and layout["stereo"]["comparison"]["calls"] == 1
    # the pooled DER ratio (0.54x) comes from the stereo call; on mono calls both systems are level
    assert results["comparison"]["der_ratio"] == pytest.approx(0.542)
    assert layout["mono"]["comparison"]["der_ratio"] == pytest.approx(1.0, abs=0.01)
    assert layout["stereo"]["comparison"]["der_ratio"] < 0.01
    assert 1.0 < layout["mono"]["comparison"]["speedup_transcript"] < 1.15
    assert groups["kind"]["telephone ulaw"]["comparison"]["calls"] == 3


def test_committed_report_is_rendered_from_the_committed_json(tmp_path):
    """The committed Markdown is exactly what `python -m benchmarks.report --rerender` makes of the JSON."""
    import shutil

    from benchmarks import report

    stem = COMMITTED.stem
    shutil.copy(COMMITTED, tmp_path / COMMITTED.name)
    for folder in (f"{stem}-raw", f"{stem}-plots"):
        shutil.copytree(COMMITTED.parent / folder, tmp_path / folder)
    assert report.main(["--rerender", str(tmp_path / COMMITTED.name)]) == 0
    text = (tmp_path / f"{stem}.md").read_text()
    assert text == COMMITTED.with_suffix(".md").read_text()
    mono = text.index("### Mono calls")
    assert mono < text.index("### Stereo calls") < text.index("### All calls pooled (secondary)")
    assert "## What was tuned on what" in text and "evidence citations correct" in text
    assert "verbatim in the cited utterance: **" not in text  # true by construction: no longer a headline
