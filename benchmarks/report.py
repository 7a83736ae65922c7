"""Markdown report rendered from the results JSON (plus, where kept, the raw outputs beside it), so a committed
JSON can always be re-rendered without running a model:

    python -m benchmarks.report --rerender benchmarks/results/<stem>.json   # rewrites <stem>.md only

Every Parley-vs-baseline comparison is given per channel layout (mono / stereo) and per call kind first; the
pooled line over all calls comes last and is secondary (it mixes calls the baseline cannot handle with the ones
it can). Lead evidence is scored as citation correctness against the truth's per-criterion lines (needs the
`-raw/` outputs and the calls' transcript.json); without them the report says so instead of a number.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.aggregate import LAYOUTS, TRANSCRIPT_STAGES, results_by_group
from benchmarks.crm_metrics import CRM_FIELDS, CitationCounts, citation_counts
from benchmarks.entity_metrics import SCORED_TYPES
from benchmarks.plots import STAGE_ORDER

CAVEATS = (
    "Apples to oranges, on purpose stated: the managed APIs' WER/DER are their own (or third-party) figures on "
    "their benchmark sets; ours are measured on synthetic TTS telephone calls (flite voices, known scripts) and a "
    "few real recordings, so the absolute numbers are not comparable across the two tables.",
    "An API's list price includes operations, redundancy, support and margin; our cost per audio hour is hardware "
    "only at the stated price and utilisation: no staff, storage, network, monitoring or model updates.",
    "The APIs' feature-set price covers transcription + diarization + PII redaction + sentiment + entities; the "
    "LLM lead scoring Parley adds would be a separate LLM bill with an API.",
    "Timings come from a shared, loaded machine (see the load average): treat them as upper bounds. Every library "
    "ran with 1 thread and one call at a time; a 2-core box could run two streams.",
    "WhisperX was not compared: whisperx 3.8.6 pins torch~=2.8.0, torchaudio~=2.8.0 and torchcodec<0.8 (against "
    "this stack's torch 2.13.0; those registry builds are CUDA-linked), and its word alignment downloads wav2vec2 "
    "weights from the Hugging Face hub / pytorch.org at run time, which no pip package ships: not installable "
    "offline here.",
    "The naive baseline keeps faster-whisper's temperature fallback, which samples: its transcript (and WER) can "
    "change from one run to the next; with repeats, accuracy is scored on the first repeat and each stage's time "
    "is the minimum over the repeats.",
    "WER over one word stream counts overlapped speech (back-channels inside the other party's turn) by word order; "
    "cpWER, per speaker, does not depend on that order.",
)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def _num(x: float | None, fmt: str = "{:.3f}") -> str:
    return "–" if x is None else fmt.format(x)


def _ratio(x: float | None, better_above_one: bool) -> str:
    if x is None:
        return "–"
    if round(x, 2) == 1:
        return f"{x:.2f}x (equal)"
    better = x > 1 if better_above_one else x < 1
    return f"{x:.2f}x" + (" (Parley better)" if better else " (baseline better)")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"] + [
        "| " + " | ".join(r) + " |" for r in rows
    ]


LAYOUT_NOTES = {
    "mono": "one channel: both systems diarize the mixed audio (the naive baseline's own case)",
    "stereo": "one speaker per channel: Parley transcribes each channel as its speaker; the naive baseline "
              "down-mixes and diarizes, a case it does not handle by design, so these ratios say little about "
              "either system's diarization",
}

TUNED_ON: tuple[dict[str, Any], ...] = (
    {"what": "ASR `condition_on_previous_text` switched on (commit aca350c)",
     "on": "demo_call: WER 11.9 -> 7.9 %, the figure that decided it",
     "calls": ("demo_call",),
     "also": "the README's demo-call row is that same call"},
    {"what": "diarization threshold 0.75, centroid linkage, min cluster size 12 (commit 2e5f3cc)",
     "on": "5 recordings: pyannote-sample + 4 flite TTS dialogues "
           "(benchmarks/results/diarization-tuning-2026-11-21.md)",
     "calls": ("pyannote-sample",),
     "also": "pyannote-sample is also the README's real two-speaker row; the 4 TTS dialogues are not reported"},
    {"what": "lead rules: BANT tiers, evidence re-taking, competitor rules (commits 2e5f3cc, d484f0e, aca350c)",
     "on": "the committed fixtures demo_call, hot_northwind, warm_redwood, cold_summit, measured on the same files",
     "calls": ("demo_call", "hot_northwind", "warm_redwood", "cold_summit"),
     "also": "every lead / CRM / BANT figure here is tuned-on, not a generalisation measure (a held-out lead "
             "benchmark is being added under benchmarks/leads)"},
    {"what": "cold fixture's company renamed 'Summit Health' -> 'Summit Partners' (commit 733ea6d)",
     "on": "whisper-base heard 'Summit Health' as 'Summit Hell': the test data was changed to suit the ASR",
     "calls": ("cold_summit",),
     "also": "company-name accuracy on this call is flattered"},
    {"what": "corpus lexicon: competitors Zendesk, Gong, Freshdesk dropped; names chosen as common words "
             "(benchmarks/corpus/lexicon.py)",
     "on": "whisper tiny.en heard them as 'send desk', 'gone', 'fresh death'",
     "calls": ("source:fixture", "source:synthetic"),
     "also": "every synthetic call and fixture only uses names a small Whisper spells well: entity, CRM and WER "
             "figures on them are easier than real calls with unusual names"},
    {"what": "VAD threshold 0.35 for sources at 8 kHz or less (commit 3841a84)",
     "on": "not recorded in the repository ('Silero misses ~20 % of band-limited speech at 0.5')",
     "calls": (),
     "also": "may have been chosen on the 8 kHz synthetic calls: treat their figures as possibly tuned-on"},
)
"""What was tuned, chosen or changed on which recordings, and which of them are reported."""


def _calls(n: int) -> str:
    return f"{n} call" if n == 1 else f"{n} calls"


def _group_header(names: list[str], comp: dict[str, Any]) -> list[str]:
    return ["metric"] + names + (["ratio Parley : baseline (same calls)"] if comp else [])


def _group_table(group: dict[str, Any]) -> list[str]:
    systems, comp = group["systems"], group["comparison"]
    names = list(systems)

    def row(label: str, key: str, fmt: Any, ratio: str = "") -> list[str]:
        return [label] + [fmt(systems[n].get(key)) for n in names] + ([ratio] if comp else [])

    rows = [
        row("WER (pooled)", "wer", _pct, _ratio(comp.get("wer_ratio"), False)),
        row("cpWER (mean)", "cpwer", _pct, _ratio(comp.get("cpwer_ratio"), False)),
        row("DER, collar 0.25 s (mean)", "der", _pct, _ratio(comp.get("der_ratio"), False)),
        row("DER, no collar (mean)", "der_no_collar", _pct),
        row("right number of speakers", "speaker_count_correct", _pct),
        row("RTF audio -> speaker-attributed words", "rtf_transcript", _num,
            "speed-up " + _ratio(comp.get("speedup_transcript"), True)),
        row("RTF whole pipeline without LLM", "rtf_without_extraction", _num,
            "speed-up " + _ratio(comp.get("speedup_vs_parley_without_extraction"), True) + " (Parley also runs NLP)"),
        ["calls (failed); audio s"] + [f"{systems[n]['calls']} ({systems[n]['failed']}); "
                                       f"{systems[n]['audio_s']:.0f}" for n in names] + ([""] if comp else []),
    ]
    if comp:
        rows.append(["speed-up ASR / diarization alone"] + [""] * len(names) + [
            f"{_ratio(comp.get('speedup_asr'), True)} / {_ratio(comp.get('speedup_diarization'), True)}"])
    return _table(_group_header(names, comp), rows)


def _short(comp: dict[str, Any]) -> str:
    def r(key: str) -> str:
        return "–" if comp.get(key) is None else f"{comp[key]:.2f}x"

    return (f"cpWER {r('cpwer_ratio')}, DER {r('der_ratio')}, WER {r('wer_ratio')} of the baseline's; "
            f"speed-up {r('speedup_transcript')} (audio -> speaker-attributed words)")


def _headline(results: dict[str, Any], groups: dict[str, Any]) -> list[str]:
    if not results.get("comparison"):
        return []
    out = ["Headline, per channel layout (ratios Parley : baseline; error ratios < 1 and speed-ups > 1 favour "
           "Parley):", ""]
    for name, g in groups["layout"].items():
        comp = g["comparison"]
        out.append(f"- **{name}** ({_calls(comp.get('calls', 0))}, {comp.get('audio_s', 0):.0f} s of audio): "
                   f"{_short(comp)}")
    out += [f"- all calls pooled (secondary, mixes the layouts above): {_short(results['comparison'])}", ""]
    return out


def _layout_sections(groups: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for name, g in groups["layout"].items():
        comp = g["comparison"]
        uris = comp.get("calls", 0)
        out += [f"### {name.capitalize()} calls ({_calls(uris)} both systems finished)", "",
                f"{LAYOUT_NOTES.get(name, '')}.", "", *_group_table(g), ""]
    return out


def _kind_section(results: dict[str, Any], groups: dict[str, Any]) -> list[str]:
    names = list(results["systems"])
    layouts = {c["condition"]: ("stereo" if c.get("stereo") else "mono") for c in results["calls"]}
    rows = []
    for kind, g in groups["kind"].items():
        comp, systems = g["comparison"], g["systems"]

        def cell(key: str, ratio_key: str) -> str:
            vals = " / ".join(_pct((systems.get(n) or {}).get(key)) for n in names)
            ratio = comp.get(ratio_key)
            return vals + ("" if ratio is None else f" ({ratio:.2f}x)")

        first = systems.get(names[0]) or next(iter(systems.values()))
        rows.append([kind, layouts.get(kind, "?"), str(first["calls"]), _num(first["audio_s"], "{:.0f}"),
                     cell("wer", "wer_ratio"), cell("cpwer", "cpwer_ratio"), cell("der", "der_ratio"),
                     _ratio(comp.get("speedup_transcript"), True)])
    sys_names = " / ".join(names)
    return _table(["call kind (condition)", "layout", "calls", "audio s", f"WER {sys_names} (ratio)",
                   f"cpWER {sys_names} (ratio)", f"DER .25 {sys_names} (ratio)", "speed-up (words)"], rows) + [""]


def _pooled_section(results: dict[str, Any]) -> list[str]:
    systems = results["systems"]
    names = list(systems)
    comp = results.get("comparison") or {}

    def row(label: str, get: Any, ratio: str = "") -> list[str]:
        return [label] + [get(systems[n]) for n in names] + ([ratio] if comp else [])

    rows = [
        row("WER (pooled)", lambda s: _pct(s["accuracy"]["wer"]), _ratio(comp.get("wer_ratio"), False)),
        row("cpWER (mean)", lambda s: _pct(s["accuracy"]["cpwer"]), _ratio(comp.get("cpwer_ratio"), False)),
        row("DER, collar 0.25 s (mean)", lambda s: _pct(s["accuracy"]["der"].get("collar=0.25")),
            _ratio(comp.get("der_ratio"), False)),
        row("DER, no collar (mean)", lambda s: _pct(s["accuracy"]["der"].get("collar=0"))),
        row("right number of speakers", lambda s: _pct(s["accuracy"]["speaker_count_correct"])),
        row("RTF audio -> speaker-attributed words", lambda s: _num(s["speed"]["rtf_transcript"]),
            "speed-up " + _ratio(comp.get("speedup_transcript"), True)),
        row("RTF whole pipeline without LLM", lambda s: _num(s["speed"]["rtf_without_extraction"]),
            "speed-up " + _ratio(comp.get("speedup_vs_parley_without_extraction"), True) + " (Parley also runs NLP)"),
        row("RTF LLM lead extraction", lambda s: _num(s["speed"]["rtf_extraction"])),
        row("throughput, audio h per h (no LLM, 1 stream)", lambda s: _num(s["speed"]["throughput_audio_h_per_h"], "{:.1f}")),
        row("model load (s)", lambda s: _num(s["load_s"], "{:.1f}")),
        row("peak RSS (MB)", lambda s: _num(s["peak_rss_mb"], "{:.0f}")),
        row("calls (failed)", lambda s: f"{s['calls']} ({s['failed']})"),
    ]
    runs = results.get("runs", {})
    if runs:
        rows.append(["timing repeats; load average (start, end of each)"]
                    + [f"{runs.get(n, {}).get('repeats', 1)}; {', '.join(f'{x:g}' for x in runs.get(n, {}).get('load_average', [])) or '–'}"
                       for n in names] + ([""] if comp else []))
    if comp:
        rows += [["speed-up ASR / diarization alone"] + [""] * len(names) + [
            f"{_ratio(comp.get('speedup_asr'), True)} / {_ratio(comp.get('speedup_diarization'), True)}"]]
    return _table(_group_header(names, comp), rows)


# ------------------------------------------------------------------------------------------ tuned on


def _tuned_on_section(results: dict[str, Any]) -> list[str]:
    reported = {c["uri"] for c in results["calls"]}
    sources = {c["uri"]: c.get("source") for c in results["calls"]}
    rows = []
    for item in TUNED_ON:
        hit: list[str] = []
        for ref in item["calls"]:
            if ref.startswith("source:"):
                hit += [u for u, src in sources.items() if src == ref.split(":", 1)[1] and u not in hit]
            elif ref in reported:
                hit.append(ref)
        rows.append([item["what"], item["on"], ", ".join(hit) or "none", item["also"]])
    return ["Settings and data chosen by looking at results, and where the same recordings are reported. A figure "
            "on a call listed in the third column measures the tuning, not how Parley generalises.", ""] + _table(
        ["tuned / changed", "on what", "tuned-on calls in this report", "so"], rows) + [""]


# ------------------------------------------------------------------------------------------ lead + citations


def _truth_files(call: dict[str, Any]) -> tuple[Path, Path] | None:
    """The call's truth.json and transcript.json: where the run read them, else the committed fixture copy."""
    from benchmarks.calls import FIXTURE_DIR

    if not call.get("truth"):
        return None
    recorded = Path(call["truth"])
    for truth in (recorded, FIXTURE_DIR / recorded.name):
        if truth.exists():
            data = json.loads(truth.read_text(encoding="utf-8"))
            name = (data.get("files") or {}).get("transcript") or f"{call['uri']}.transcript.json"
            transcript = truth.parent / name
            if transcript.exists():
                return truth, transcript
    return None


def _display_path(path: Path) -> str:
    from benchmarks.calls import REPO

    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def citation_figures(results: dict[str, Any], raw_dir: Path | None) -> dict[str, dict[str, Any]]:
    """system -> summed CitationCounts over the calls with a lead, a truth with per-criterion lines and a kept
    raw output; {"error": why} where it cannot be computed."""
    if raw_dir is None or not raw_dir.is_dir():
        return {}
    calls = {c["uri"]: c for c in results["calls"]}
    out: dict[str, dict[str, Any]] = {}
    for system in results["systems"]:
        raw = raw_dir / f"{system}.json"
        if not raw.exists():
            continue
        totals = CitationCounts(0, 0, 0, 0, 0)
        scored: list[str] = []
        read_from: set[str] = set()
        for output in json.loads(raw.read_text(encoding="utf-8")).get("calls", ()):
            call = calls.get(output.get("uri"))
            if call is None or not output.get("lead") or output.get("error"):
                continue
            files = _truth_files(call)
            if files is None:
                continue
            truth = json.loads(files[0].read_text(encoding="utf-8"))
            turns = json.loads(files[1].read_text(encoding="utf-8")).get("turns", [])
            counts = citation_counts(output["lead"], truth, turns)
            if counts is None:
                continue
            totals = CitationCounts(*(a + b for a, b in zip(
                (totals.citations, totals.correct, totals.from_prospect, totals.criteria_true, totals.criteria_covered),
                (counts.citations, counts.correct, counts.from_prospect, counts.criteria_true, counts.criteria_covered))))
            scored.append(call["uri"])
            read_from.add(_display_path(files[0].parent))
        if scored:
            out[system] = {"counts": totals, "calls": scored, "read_from": sorted(read_from)}
    return out


def _lead_section(results: dict[str, Any], citations: dict[str, dict[str, Any]]) -> list[str]:
    out = []
    layouts = {c["uri"]: ("stereo" if c.get("stereo") else "mono") for c in results["calls"]}
    for name, s in results["systems"].items():
        acc = s["accuracy"]
        if not acc["lead_calls"]:
            continue
        lead_uris = [c["uri"] for c in results["scores"] if c["system"] == name and c.get("crm_fields")]
        kinds = sorted({layouts.get(u, "?") for u in lead_uris})
        out += [f"### Lead extraction: {name} ({acc['lead_calls']} calls with truth.json: {', '.join(lead_uris)}; "
                f"layout: {', '.join(kinds)})", "",
                "**Tuned-on figures.** The lead rules were adjusted on these committed fixtures and are measured on "
                "the same files (see *What was tuned on what*): they show the rules work where they were written, "
                "not how they generalise. A held-out lead benchmark is being added under `benchmarks/leads`.", ""]
        out += _table(["CRM field", "accuracy"], [[f, _pct(acc["crm_field_accuracy"].get(f))] for f in CRM_FIELDS])
        out += ["", f"- CRM field accuracy, all fields: **{_pct(acc['crm_accuracy'])}**",
                f"- BANT label (hot / warm / cold) agreement: **{_pct(acc['bant_label_agreement'])}**; per-criterion "
                f"agreement {_pct(acc['bant_criteria_agreement'])}"]
        cite = citations.get(name)
        if cite:
            c: CitationCounts = cite["counts"]
            precision = c.correct / c.citations if c.citations else None
            coverage = c.criteria_covered / c.criteria_true if c.criteria_true else None
            out += [f"- evidence citations correct (the cited span is mostly the prospect's speech and overlaps the "
                    f"truth's line for that criterion): **{_pct(precision)}** ({c.correct} of {c.citations}; "
                    f"{c.from_prospect} of {c.citations} are the prospect's speech at all); criteria the truth marks "
                    f"present with at least one correct citation: **{_pct(coverage)}** ({c.criteria_covered} of "
                    f"{c.criteria_true}); truth lines read from {', '.join(cite['read_from'])}"]
        else:
            out += ["- evidence citations: not scored here (no raw outputs or no truth lines beside this report)"]
        out += ["- no \"verbatim quote\" rate: Parley cuts its quotes from the transcript, so it is 100 % by "
                "construction and says nothing about the lead", ""]
    if not out:
        out = ["No lead extraction in this suite.", ""]
    return out


def _entity_tables(title: str, ents: dict[str, Any]) -> list[str]:
    return [title, ""] + _table(
        ["type", "precision", "recall", "F1", "hyp", "ref"],
        [[t, _pct(e["precision"]), _pct(e["recall"]), _pct(e["f1"]), str(e["hyp"]), str(e["ref"])]
         for t, e in ((t, ents[t]) for t in (*SCORED_TYPES, "ALL") if t in ents)],
    ) + [""]


def _entity_section(results: dict[str, Any], groups: dict[str, Any]) -> list[str]:
    out = []
    for name in results["systems"]:
        for layout, g in groups["layout"].items():
            ents = (g["systems"].get(name) or {}).get("entities") or {}
            if ents:
                out += _entity_tables(f"### Entities: {name}, {layout} calls", ents)
    return out or ["No system produced entities on calls with a truth.json.", ""]


def _speed_section(results: dict[str, Any], groups: dict[str, Any]) -> list[str]:
    systems = results["systems"]
    stages = [st for st in STAGE_ORDER if any(st in s["speed"]["rtf_per_stage"] for s in systems.values())]
    rows = []
    for name, s in systems.items():
        for layout, g in groups["layout"].items():
            gs = g["systems"].get(name)
            if gs:
                rows.append([name, layout] + [_num(gs["rtf_per_stage"].get(st)) for st in stages] +
                            [_num(gs["rtf_without_extraction"]), _num(gs["audio_s"], "{:.0f}")])
        rows.append([name, "all (secondary)"] + [_num(s["speed"]["rtf_per_stage"].get(st)) for st in stages] +
                    [_num(s["speed"]["rtf_without_extraction"]), _num(s["speed"]["audio_s"], "{:.0f}")])
    return _table(["system", "calls"] + stages + ["whole (no LLM)", "audio s"], rows) + [
        "", f"Transcript stages (both systems): {', '.join(TRANSCRIPT_STAGES)}. RTF = processing seconds / audio "
        "seconds, model loading excluded. On stereo calls Parley's diarization is per-channel voice activity "
        "(near zero seconds), which is most of its stereo speed-up.", ""]


def _calls_section(results: dict[str, Any]) -> list[str]:
    layouts = {c["uri"]: ("stereo" if c.get("stereo") else "mono") for c in results["calls"]}
    rows = []
    for c in results["scores"]:
        total = c["stage_seconds"].get("total")
        rows.append([
            c["system"], c["uri"], layouts.get(c["uri"], "?"), c["condition"], _num(c["duration_s"], "{:.0f}"),
            _pct(c.get("wer")), _pct(c.get("cpwer")), _pct((c.get("der") or {}).get("collar=0.25")),
            f"{c.get('speakers_found', '–')}/{c.get('speakers_true') or '–'}",
            f"{c.get('bant_label_predicted') or '–'}/{c.get('bant_label_truth') or '–'}",
            _num(total / c["duration_s"] if total and c["duration_s"] else None),
            (c.get("error") or "")[:60],
        ])
    return _table(["system", "call", "layout", "condition", "s", "WER", "cpWER", "DER .25", "spk found/true",
                   "BANT pred/true", "RTF", "error"], rows) + [""]


def _break_even(b: dict[str, Any]) -> str:
    what = f"{b['system']}{' + LLM' if b.get('with_extraction') else ''}"
    return f"{what}: never" if b["utilisation"] is None else f"{what}: {b['utilisation']:.1%}"


def _cost_section(results: dict[str, Any], groups: dict[str, Any]) -> list[str]:
    from benchmarks.cost import cost_per_audio_hour

    hw = results["hardware"]
    util = results["utilisation"]
    out = [f"Hardware: **{hw['name']}** at **${hw['usd_per_hour']}/h** ([source]({hw['source_url']}), "
           f"{hw['source_date']}; {hw['note']}). Utilisation: **{util:.0%}**. "
           "Cost per audio hour = $/h / (measured throughput x utilisation).", ""]

    def per_layout(name: str, layout: str) -> str:
        gs = (groups["layout"].get(layout, {}).get("systems") or {}).get(name) or {}
        rtf = gs.get("rtf_without_extraction")
        if not rtf:
            return "–"
        ext = (gs.get("rtf_per_stage") or {}).get("extraction")
        cost = f"${cost_per_audio_hour(hw['usd_per_hour'], 1 / rtf, util):.4f}"
        return cost + (f" / ${cost_per_audio_hour(hw['usd_per_hour'], 1 / (rtf + ext), util):.4f}" if ext else "")

    layouts = list(groups["layout"])
    rows = []
    for name, c in results["cost"].items():
        with_ext = c.get("usd_per_audio_hour_with_extraction")
        rows.append([f"{name} (self-hosted)", _num(c.get("throughput"), "{:.1f}")]
                    + [per_layout(name, lay) for lay in layouts]
                    + [_num(c.get("usd_per_audio_hour"), "${:.4f}") + (f" / ${with_ext:.4f}" if with_ext else "")])
    out += _table(["system", "audio h / h (1 stream, all calls)"]
                  + [f"$/audio h {lay} calls: no LLM / with LLM lead" for lay in layouts]
                  + ["$/audio h all calls (secondary): no LLM / with LLM lead"], rows)
    out += ["", "With-LLM cost = whole pipeline RTF plus the LLM's RTF over the calls that ran it (only calls with a "
            "truth.json ran the LLM); the break-even column below uses the all-calls throughput.", ""]
    rows = []
    for p in results["prices"]:
        label = f"{p['provider']} {p['product']}"
        unknown = f" (+ {', '.join(p['unknown_features'])}: unknown)" if p["unknown_features"] else ""
        rows.append([label, f"${p['base_usd_per_hour']:.3f}", f"${p['feature_set_usd_per_hour']:.3f}{unknown}",
                     "; ".join(_break_even(b) for b in results.get("break_even", {}).get(label, []))])
    out += _table(["managed API", "base $/audio h", "with diarization + PII + sentiment + entities",
                   "break-even utilisation of self-hosting (all calls)"], rows) + [""]
    return out


def _prices_section(results: dict[str, Any]) -> list[str]:
    rows = []
    for p in results["prices"]:
        pub = "; ".join(f"{q['metric']} {100 * q['value']:.1f} % on {q['dataset']} ([src]({q['source_url']}))"
                        + (f" – {q['note']}" if q.get("note") else "") for q in p["published"]) or "–"
        rows.append([f"{p['provider']} {p['product']}", f"${p['base_usd_per_hour']:.3f}",
                     f"[{p['source_kind']}, {p['source_date']}]({p['source_url']})", pub, p.get("note", "")])
    return [f"List prices as read on {results.get('prices_retrieved', '?')} (benchmarks/prices.py).", ""] + _table(
        ["API", "base $/audio h", "price source", "published accuracy (their data, not ours)", "notes"], rows) + [""]


def render_markdown(results: dict[str, Any], plots: dict[str, Path] | None = None, *, base: Path | None = None,
                    raw_dir: Path | None = None) -> str:
    m = results["machine"]
    groups = results_by_group(results)
    citations = citation_figures(results, raw_dir)
    n_stereo = sum(bool(c.get("stereo")) for c in results["calls"])
    layout_counts = ", ".join(f"{n} {lay}" for lay, n in zip(LAYOUTS, (len(results["calls"]) - n_stereo, n_stereo)))
    lines = [
        f"# Parley benchmark: {results['suite']} suite, {results['date']}, {m['name']}",
        "",
        f"- machine: {m.get('cpu_model', '?')}, {m.get('cpus', '?')} CPUs, {m.get('platform', '')}; GPU: "
        f"{m.get('gpu') or 'none'}; load average at start / end: {m.get('load_start', '?')} / {m.get('load_end', '?')}",
        f"- suite: {results['suite']}, {len(results['calls'])} calls ({layout_counts}), "
        f"{results.get('elapsed_s', 0):.0f} s wall clock for the whole run; DER collar {results['collar_s']} s (also "
        "reported without collar)",
        f"- naive baseline: {results['systems'].get('naive-baseline', {}).get('description', 'not run')}",
        "",
        *_headline(results, groups),
        "## Parley vs the naive baseline, per channel layout (same machine, same weights, same run)",
        "",
        "Ratios: speed-up = baseline seconds / Parley seconds (> 1: Parley faster); error ratios = Parley / baseline "
        "(< 1: Parley more accurate), over the calls both systems finished in that group.",
        "",
        *_layout_sections(groups),
        "### Per call kind",
        "",
        *_kind_section(results, groups),
    ]
    if plots:
        rel = {k: (p.relative_to(base) if base else p) for k, p in plots.items()}
        lines += [f"![accuracy per condition]({rel['accuracy']})", "",
                  "(RTF plot: all calls pooled; per-layout figures in the tables.)", "",
                  f"![RTF per stage]({rel['rtf']})", ""]
    lines += ["### All calls pooled (secondary)", "",
              "One line over every call mixes the layouts above; with a stereo call in the suite, its pooled "
              "cpWER / DER / speed ratios mostly reflect that the naive baseline cannot use the channels. Memory, "
              "load time and throughput (for cost) are per process and given here.", "",
              *_pooled_section(results), "",
              "## What was tuned on what", "", *_tuned_on_section(results),
              "## Lead and CRM accuracy", "", *_lead_section(results, citations),
              "## Entities (precision / recall / F1)", "", *_entity_section(results, groups),
              "## Speed: RTF per stage", "", *_speed_section(results, groups),
              "## Cost per audio hour", "", *_cost_section(results, groups)]
    if plots:
        lines += [f"![cost vs APIs]({rel['cost']})", "", f"![cost vs utilisation]({rel['utilisation']})", ""]
    lines += ["## Managed API list prices", "", *_prices_section(results), "## Per call", "", *_calls_section(results),
              "## Caveats", "", *[f"- {c}" for c in CAVEATS], *[f"- {n}" for n in results.get("notes", [])], "",
              "## Method", "",
              "- WER: Whisper's English normaliser on both sides, errors pooled over reference words (jiwer).",
              "- cpWER: each reference speaker's words matched to one hypothesis speaker (Hungarian, minimum errors).",
              "- DER: pyannote.metrics, overlap scored, UEM = union of both extents; mean over calls.",
              "- Groups: layout = the call's `stereo` flag (mono / stereo); call kind = its `condition`; each group's "
              "ratios use only its calls (benchmarks/aggregate.py `results_by_group`, computed from this JSON).",
              "- Entities, CRM fields, BANT, citations: benchmarks/entity_metrics.py and benchmarks/crm_metrics.py "
              "(rules in their docstrings); only calls with a truth.json; lead metrics only where the LLM ran.",
              "- Each system runs in its own subprocess (peak RSS = its high-water mark); models load before the "
              "first call and load time is reported apart. Raw outputs (words, turns, entities, leads) of both "
              "systems are kept next to this report (`*-raw/`).",
              "- Re-render this file from the JSON (no models): `python -m benchmarks.report --rerender "
              "<stem>.json`.", ""]
    return "\n".join(lines)


def write_report(results: dict[str, Any], path: Path, plots: dict[str, Path] | None = None) -> Path:
    raw_dir = path.parent / f"{path.stem}-raw"
    path.write_text(render_markdown(results, plots, base=path.parent, raw_dir=raw_dir), encoding="utf-8")
    return path


PLOT_FILES = {"accuracy": "accuracy_by_condition.png", "rtf": "rtf_per_stage.png", "cost": "cost_vs_apis.png",
              "utilisation": "cost_vs_utilisation.png"}


def rerender(results_file: Path) -> Path:
    """Rewrite <stem>.md from <stem>.json (and <stem>-raw/ when kept), linking the plots already drawn in
    <stem>-plots/; nothing is re-run, re-scored or re-drawn."""
    results = json.loads(results_file.read_text(encoding="utf-8"))
    folder = results_file.parent / f"{results_file.stem}-plots"
    plots = {k: folder / f for k, f in PLOT_FILES.items()}
    if not all(p.exists() for p in plots.values()):
        plots = {}
    return write_report(results, results_file.with_suffix(".md"), plots or None)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.report", description="Re-render a benchmark report.")
    p.add_argument("--rerender", type=Path, required=True, metavar="RESULTS.json",
                   help="rewrite the Markdown next to RESULTS.json from it (plots and JSON untouched)")
    args = p.parse_args(argv)
    print(rerender(args.rerender))
    return 0


if __name__ == "__main__":
    sys.exit(main())
