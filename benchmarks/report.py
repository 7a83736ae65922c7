"""Markdown report rendered from the results JSON alone (so a committed JSON can always be re-rendered)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.aggregate import TRANSCRIPT_STAGES
from benchmarks.crm_metrics import CRM_FIELDS
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
    better = x > 1 if better_above_one else x < 1
    return f"{x:.2f}x" + (" (Parley better)" if better else " (baseline better)" if x != 1 else "")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"] + [
        "| " + " | ".join(r) + " |" for r in rows
    ]


def _side_by_side(results: dict[str, Any]) -> list[str]:
    systems = results["systems"]
    names = list(systems)
    comp = results.get("comparison") or {}

    def row(label: str, get: Any, ratio: str = "") -> list[str]:
        return [label] + [get(systems[n]) for n in names] + ([ratio] if comp else [])

    header = ["metric"] + names + (["ratio Parley : baseline (same calls)"] if comp else [])
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
        rows += [["speed-up ASR / diarization alone", "", "",
                  f"{_ratio(comp.get('speedup_asr'), True)} / {_ratio(comp.get('speedup_diarization'), True)}"]]
    return _table(header, rows)


def _conditions_section(results: dict[str, Any]) -> list[str]:
    names = list(results["systems"])
    conditions = sorted({c for s in results["systems"].values() for c in s["by_condition"]})
    rows = []
    for cond in conditions:
        row = [cond]
        for n in names:
            b = results["systems"][n]["by_condition"].get(cond) or {}
            row.append(f"{_pct(b.get('wer'))} / {_pct(b.get('cpwer'))} / {_pct(b.get('der'))}")
        audio = next((results["systems"][n]["by_condition"][cond]["audio_s"] for n in names
                      if cond in results["systems"][n]["by_condition"]), None)
        rows.append(row + [_num(audio, "{:.0f}")])
    return _table(["condition"] + [f"{n}: WER / cpWER / DER .25" for n in names] + ["audio s"], rows) + [""]


def _lead_section(results: dict[str, Any]) -> list[str]:
    out = []
    for name, s in results["systems"].items():
        acc = s["accuracy"]
        if not acc["lead_calls"]:
            continue
        out += [f"### Lead extraction: {name} ({acc['lead_calls']} calls with truth.json)", ""]
        out += _table(["CRM field", "accuracy"], [[f, _pct(acc["crm_field_accuracy"].get(f))] for f in CRM_FIELDS])
        out += ["", f"- CRM field accuracy, all fields: **{_pct(acc['crm_accuracy'])}**",
                f"- BANT label (hot / warm / cold) agreement: **{_pct(acc['bant_label_agreement'])}**; per-criterion "
                f"agreement {_pct(acc['bant_criteria_agreement'])}",
                f"- evidence quotes found verbatim in the cited utterance: **{_pct(acc['evidence_verbatim_rate'])}**", ""]
    if not out:
        out = ["No lead extraction in this suite.", ""]
    return out


def _entity_section(results: dict[str, Any]) -> list[str]:
    out = []
    for name, s in results["systems"].items():
        ents = s["accuracy"]["entities"]
        if not ents:
            continue
        out += [f"### Entities: {name}", ""]
        out += _table(
            ["type", "precision", "recall", "F1", "hyp", "ref"],
            [[t, _pct(e["precision"]), _pct(e["recall"]), _pct(e["f1"]), str(e["hyp"]), str(e["ref"])]
             for t, e in ((t, ents[t]) for t in (*SCORED_TYPES, "ALL") if t in ents)],
        )
        out.append("")
    return out or ["No system produced entities on calls with a truth.json.", ""]


def _speed_section(results: dict[str, Any]) -> list[str]:
    stages = [st for st in STAGE_ORDER if any(st in s["speed"]["rtf_per_stage"] for s in results["systems"].values())]
    rows = [[name] + [_num(s["speed"]["rtf_per_stage"].get(st)) for st in stages] +
            [_num(s["speed"]["rtf_without_extraction"]), _num(s["speed"]["audio_s"], "{:.0f}")]
            for name, s in results["systems"].items()]
    return _table(["system"] + stages + ["whole (no LLM)", "audio s"], rows) + [
        "", f"Transcript stages (both systems): {', '.join(TRANSCRIPT_STAGES)}. RTF = processing seconds / audio "
        "seconds, model loading excluded.", ""]


def _calls_section(results: dict[str, Any]) -> list[str]:
    rows = []
    for c in results["scores"]:
        total = c["stage_seconds"].get("total")
        rows.append([
            c["system"], c["uri"], c["condition"], _num(c["duration_s"], "{:.0f}"), _pct(c.get("wer")),
            _pct(c.get("cpwer")), _pct((c.get("der") or {}).get("collar=0.25")),
            f"{c.get('speakers_found', '–')}/{c.get('speakers_true') or '–'}",
            f"{c.get('bant_label_predicted') or '–'}/{c.get('bant_label_truth') or '–'}",
            _num(total / c["duration_s"] if total and c["duration_s"] else None),
            (c.get("error") or "")[:60],
        ])
    return _table(["system", "call", "condition", "s", "WER", "cpWER", "DER .25", "spk found/true", "BANT pred/true",
                   "RTF", "error"], rows) + [""]


def _break_even(b: dict[str, Any]) -> str:
    what = f"{b['system']}{' + LLM' if b.get('with_extraction') else ''}"
    return f"{what}: never" if b["utilisation"] is None else f"{what}: {b['utilisation']:.1%}"


def _cost_section(results: dict[str, Any]) -> list[str]:
    hw = results["hardware"]
    util = results["utilisation"]
    out = [f"Hardware: **{hw['name']}** at **${hw['usd_per_hour']}/h** ([source]({hw['source_url']}), "
           f"{hw['source_date']}; {hw['note']}). Utilisation: **{util:.0%}**. "
           "Cost per audio hour = $/h / (measured throughput x utilisation).", ""]
    rows = []
    for name, c in results["cost"].items():
        rows.append([f"{name} (self-hosted)", _num(c.get("throughput"), "{:.1f}"), _num(c.get("usd_per_audio_hour"), "${:.4f}"),
                     _num(c.get("usd_per_audio_hour_with_extraction"), "${:.4f}")])
    out += _table(["system", "audio h / h (1 stream)", "$/audio h, no LLM", "$/audio h, with LLM lead"], rows) + [""]
    rows = []
    for p in results["prices"]:
        label = f"{p['provider']} {p['product']}"
        unknown = f" (+ {', '.join(p['unknown_features'])}: unknown)" if p["unknown_features"] else ""
        rows.append([label, f"${p['base_usd_per_hour']:.3f}", f"${p['feature_set_usd_per_hour']:.3f}{unknown}",
                     "; ".join(_break_even(b) for b in results.get("break_even", {}).get(label, []))])
    out += _table(["managed API", "base $/audio h", "with diarization + PII + sentiment + entities",
                   "break-even utilisation of self-hosting"], rows) + [""]
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


def render_markdown(results: dict[str, Any], plots: dict[str, Path] | None = None, *, base: Path | None = None) -> str:
    m = results["machine"]
    lines = [
        f"# Parley benchmark: {results['suite']} suite, {results['date']}, {m['name']}",
        "",
        f"- machine: {m.get('cpu_model', '?')}, {m.get('cpus', '?')} CPUs, {m.get('platform', '')}; GPU: "
        f"{m.get('gpu') or 'none'}; load average at start / end: {m.get('load_start', '?')} / {m.get('load_end', '?')}",
        f"- suite: {results['suite']}, {len(results['calls'])} calls, {results.get('elapsed_s', 0):.0f} s wall clock for "
        f"the whole run; DER collar {results['collar_s']} s (also reported without collar)",
        f"- naive baseline: {results['systems'].get('naive-baseline', {}).get('description', 'not run')}",
        "",
        "## Parley vs the naive baseline (same machine, same weights, same run)",
        "",
        *_side_by_side(results),
        "",
        "Ratios: speed-up = baseline seconds / Parley seconds (> 1: Parley faster); error ratios = Parley / baseline "
        "(< 1: Parley more accurate), over the calls both systems finished.",
        "",
    ]
    lines += ["### Accuracy per condition", "", *_conditions_section(results)]
    if plots:
        rel = {k: (p.relative_to(base) if base else p) for k, p in plots.items()}
        lines += [f"![accuracy per condition]({rel['accuracy']})", "", f"![RTF per stage]({rel['rtf']})", ""]
    lines += ["## Lead and CRM accuracy", "", *_lead_section(results), "## Entities (precision / recall / F1)", "",
              *_entity_section(results), "## Speed: RTF per stage", "", *_speed_section(results),
              "## Cost per audio hour", "", *_cost_section(results)]
    if plots:
        lines += [f"![cost vs APIs]({rel['cost']})", "", f"![cost vs utilisation]({rel['utilisation']})", ""]
    lines += ["## Managed API list prices", "", *_prices_section(results), "## Per call", "", *_calls_section(results),
              "## Caveats", "", *[f"- {c}" for c in CAVEATS], *[f"- {n}" for n in results.get("notes", [])], "",
              "## Method", "",
              "- WER: Whisper's English normaliser on both sides, errors pooled over reference words (jiwer).",
              "- cpWER: each reference speaker's words matched to one hypothesis speaker (Hungarian, minimum errors).",
              "- DER: pyannote.metrics, overlap scored, UEM = union of both extents; mean over calls.",
              "- Entities, CRM fields, BANT: benchmarks/entity_metrics.py and benchmarks/crm_metrics.py (rules in "
              "their docstrings); only calls with a truth.json; lead metrics only where the LLM ran.",
              "- Each system runs in its own subprocess (peak RSS = its high-water mark); models load before the "
              "first call and load time is reported apart. Raw outputs (words, turns, entities, leads) of both "
              "systems are kept next to this report (`*-raw/`).", ""]
    return "\n".join(lines)


def write_report(results: dict[str, Any], path: Path, plots: dict[str, Path] | None = None) -> Path:
    path.write_text(render_markdown(results, plots, base=path.parent), encoding="utf-8")
    return path
