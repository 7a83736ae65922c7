"""Score cached lead predictions and write the JSON summary and the Markdown report.

Works from (cases, predictions) alone, so a report can be re-rendered from out_dir/raw without re-running
anything (`python -m benchmarks.leads report ...`).
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.leads import families as fam
from benchmarks.leads.case import CRITERIA, TIERS, LeadCase
from benchmarks.leads.metrics import FIELDS, evaluate

CONDITIONS: tuple[str, ...] = ("model", "final", "final_context")
LABELS = {"model": "model alone", "final": "final", "final_context": "final + context"}
SUBSETS: dict[str, Callable[[LeadCase], bool]] = {
    "sales": lambda c: c.kind == "sales",
    "support": lambda c: c.kind == "support",
    "corrupted names": lambda c: c.corrupted,
    "clean names": lambda c: not c.corrupted,
}


# How the extraction measured here was developed (kept with the report so the figure carries its provenance).
DEVELOPMENT_NOTE = (
    "How it was developed. Round 1: prompts, kinds and checks were changed while looking at the real model's "
    "answers on the first 10-16 dev cases (seed 1) and at the oracle run (answers from the truth) on 120 dev cases; "
    "the prompt examples were written by hand, not taken from either split; the test split was run once with the "
    "code of 2026-11-29 15:28 UTC (tier 74.5 %, `2026-11-29-cpu2-leads-test.md`). Round 2 (same day, evening): the "
    "round-1 test report showed which figures were weak (warm / cold confusion, need, invented names); the changes "
    "(a yes / no second look when the model's kind contradicts the line's words, checks on hedged / negated / "
    "delegated statuses, support calls, booked next steps, phone numbers, role cues) were written while reading the "
    "real model's answers on the first 57 dev cases of seed 2, never from test cases. Round 2's test figures come "
    "from one re-read of the same 200 test cases (`--reread`): each question round 1 had asked was answered from "
    "its stored answer (same request, temperature 0, same seed), only new questions went to the model. Round 3 "
    "(2026-11-30): the changes (delegation to a named person or a department, authority without the prospect in "
    "the line, e-mail domains are not companies, vendors named in a usage / renewal / comparison frame, qualifying "
    "questions as a rep cue, budget guesses, past dates, 'not this year', money that is not for this) were written "
    "while reading the real model's answers on the first 40 dev cases of a fresh seed (3), and against 199 "
    "sentences written for a unit test (tests/unit/test_bant_rule_sentences.py), never from test cases. The test "
    "split was re-read three times in round 3, each time answering from the stored answers (0 new questions): "
    "after the first changes (tier 88.5 %), after the rest (87.0 %), and after two rules (booked_step, "
    "timeline_intent) were deleted because the rule ablation on test showed they cost accuracy there, as issue 7 "
    "asks ('delete rules that do not earn their keep there'). That deletion is a choice made with test data: it "
    "is worth +2.5 pt of tier here, so this figure is that much less independent than round 2's. One last check "
    "written without test data (the contact's company must be said in the opening lines) landed after the third "
    "read; this report re-finalizes the same answers with it (a fourth read: invented companies 7 -> 4). Round 4 "
    "(2026-11-30): dev had saturated (98-100 % tier), so two more writers who saw no test material wrote dev-only "
    "material. A second writer, shown only the dev families, wrote 81 dev-only families "
    "(benchmarks/leads/families_dev2.py; the test split is byte-identical); on a fresh dev seed (5) the round-3 code "
    "scored 90.0 % tier, much as on test. Rules were written from the real model's answers on its first 34 cases "
    "and from the new families' sentences (renewals said as lapses / rolls over / tied in until, another event's "
    "date, a prospect's question about choosing, possessive delegations, more ways to say 'I can't decide', "
    "deadlines and decisions that sound like problems, platforms that are not competitors, phone digits that "
    "outranked an amount); the test split was re-read (a fifth read, tier 89.5 %). A third writer, shown no project "
    "file, wrote 430 labelled sentences (benchmarks/leads/battery_sentences.py); rules were written from its even "
    "half (hedged and pencilled-in windows, calendar facts, other projects, past years, other teams' budgets, "
    "quotas, pending budget asks, shared authority), the odd half only scored (`python -m benchmarks.leads "
    "battery`: tune 66 -> 25 wrong of 215, hold 65 -> 60). A confirming yes / no question for dates and amounts "
    "was tried on dev and reverted (the model answered yes to all 75). The test split was re-read once more (a "
    "sixth read, 0 new questions), and that read is this report: no test case was read in round 4, only these "
    "aggregate figures. One last check (a season or fiscal year next to the prospect's own buying step keeps the "
    "window, as in the demo call) landed after that read; re-finalizing the same answers with it gives identical "
    "figures, rule ablation included. "
    "The rule ablation below re-uses the same answers."
)


def machine_tag() -> str:
    return f"cpu{os.cpu_count() or 0}"


def machine() -> dict[str, Any]:
    return {"platform": platform.platform(), "machine": platform.machine(), "processor": platform.processor(),
            "cpu_count": os.cpu_count(), "python": platform.python_version()}


def summarize(cases: Sequence[LeadCase], predictions: dict[str, dict[str, Any]],
              meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Metrics per condition, per subset, and LLM timing, over the cases that have a prediction."""
    done = [c for c in cases if c.id in predictions]
    metrics = {cond: evaluate((c, predictions[c.id][cond]) for c in done) for cond in CONDITIONS}
    subsets = {}
    for name, keep in SUBSETS.items():
        chosen = [c for c in done if keep(c)]
        subsets[name] = {"n": len(chosen), **{cond: evaluate((c, predictions[c.id][cond]) for c in chosen)
                                              for cond in CONDITIONS}}
    keys = sorted({k for c in done for k in predictions[c.id].get("seconds", {})})
    timing = {k: _mean([predictions[c.id]["seconds"][k] for c in done if k in predictions[c.id].get("seconds", {})])
              for k in keys}
    timing["wall_per_call"] = _mean([predictions[c.id].get("wall_s", 0.0) for c in done])
    truth_tiers = {t: sum(c.truth.tier == t for c in done) for t in TIERS}
    reread = [predictions[c.id]["reread"] for c in done if predictions[c.id].get("reread")]
    return {
        "meta": {**(meta or {}), "machine_info": machine()},
        "sizes": {"cases": len(done), "sales": sum(c.kind == "sales" for c in done),
                  "support": sum(c.kind == "support" for c in done), "corrupted": sum(c.corrupted for c in done),
                  "truth_tiers": truth_tiers,
                  "families_in_split": sum(1 for f in fam.FAMILIES if f.split == (meta or {}).get("split"))},
        "metrics": metrics,
        "subsets": subsets,
        "timing_s": timing,
        "reread": {"calls": len(reread), "new_questions": sum(r["new_questions"] for r in reread),
                   "new_seconds": round(sum(r["new_seconds"] for r in reread), 1),
                   "unmatched": sum(r.get("unmatched", 0) for r in reread)} if reread else None,
    }


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows), ""]


def _headline_rows(m: dict[str, dict[str, Any]]) -> list[list[str]]:
    rows = [["tier accuracy", *(_pct(m[c]["tier"]["accuracy"]) for c in CONDITIONS)]]
    for crit in CRITERIA:
        rows.append([f"{crit} F1 (confirmed)", *(_pct(m[c]["criteria"][crit]["f1"]) for c in CONDITIONS)])
    rows.append(["CRM field accuracy", *(_pct(m[c]["fields"]["overall"]["accuracy"]) for c in CONDITIONS)])
    rows.append(["invented-field rate", *(
        f"{_pct(m[c]['invented']['overall']['rate'])} ({m[c]['invented']['overall']['invented']})" for c in CONDITIONS)])
    rows.append(["invented, misheard names included", *(
        f"{_pct(m[c]['invented']['overall'].get('rate_with_misheard'))} "
        f"({m[c]['invented']['overall'].get('misheard', 0)} misheard)" for c in CONDITIONS)])
    rows.append(["citation correct", *(_pct(m[c]["citations"]["overall"]["rate"]) for c in CONDITIONS)])
    return rows


def render(summary: dict[str, Any]) -> str:
    meta, sizes, m = summary["meta"], summary["sizes"], summary["metrics"]
    split = meta.get("split", "?")
    cond_header = [LABELS[c] for c in CONDITIONS]
    out = [
        f"# Lead extraction on generated calls: {split} split ({meta.get('date', '')}, {meta.get('machine', '')})",
        "",
        "What was tuned on what: the lead rules and prompts are developed on the **dev** split only (dev paraphrase "
        "families and dev names, benchmarks/leads/families.py and names.py); the **test** split shares no family "
        "and no name with dev and is read only to write reports like this one. Text-level: the transcript is "
        "given, no ASR or diarization. Truth labels follow benchmarks/leads/truth_rules.py.",
        "",
        DEVELOPMENT_NOTE,
        "",
        f"Machine: {summary['meta']['machine_info']['platform']}, {summary['meta']['machine_info']['cpu_count']} "
        f"CPUs, Python {summary['meta']['machine_info']['python']}.",
        "",
        f"Cases: {sizes['cases']} (generated n={meta.get('n')}, seed={meta.get('seed')}, limit={meta.get('limit')}); "
        f"sales {sizes['sales']}, support {sizes['support']}; ASR-like name corruption in {sizes['corrupted']}; "
        f"truth tiers " + ", ".join(f"{t} {sizes['truth_tiers'][t]}" for t in TIERS) +
        f"; {sizes['families_in_split']} paraphrase families in this split.",
        "",
        *(["**Oracle run**: the LLM is replaced by answers taken from the truth (benchmarks/leads/oracle.py; no "
           "spaCy entities). *model alone* is therefore perfect by construction; the other columns show what the "
           "deterministic layer alone loses or gains.", ""] if meta.get("oracle") else []),
        "Conditions: *model alone* = the model's answers at face value; *final* = validated and rule-scored; "
        "*final + context* = final with the call's known names (own company, products, tracked competitors, CRM "
        "account and contact).",
        "",
        "## Headline",
        "",
        *_table(["metric", *cond_header], _headline_rows(m)),
        "## Tier confusion (rows truth, columns predicted)",
        "",
    ]
    for c in CONDITIONS:
        conf = m[c]["tier"]["confusion"]
        out += [f"**{LABELS[c]}**", "", *_table(["truth \\ pred", *TIERS],
                                                [[t, *(str(conf[t][p]) for p in TIERS)] for t in TIERS])]
    out += ["## Criteria: confirmed precision / recall / F1, status accuracy", ""]
    rows = []
    for crit in CRITERIA:
        for c in CONDITIONS:
            x = m[c]["criteria"][crit]
            rows.append([crit, LABELS[c], _pct(x["precision"]), _pct(x["recall"]), _pct(x["f1"]),
                         f"{_pct(x['status_accuracy'])} of {x['status_n']}"])
    out += _table(["criterion", "condition", "precision", "recall", "F1", "status accuracy"], rows)
    out += ["## CRM fields (only fields the truth has)", ""]
    out += _table(["field", *cond_header], [
        [f, *(f"{_pct(m[c]['fields']['per_field'][f]['accuracy'])} of {m[c]['fields']['per_field'][f]['total']}"
              for c in CONDITIONS)] for f in FIELDS])
    out += ["## Invented fields (a value where the truth has none)", "",
            "Rate = invented / cases whose truth lacks the field; competitors: names matching no truth competitor, "
            "per case. A misspelling of a truth competitor (\"Ottor\" for Otter) is a wrong field, counted as "
            "misheard, not invented; the headline's second invented row counts it as invented too.", ""]
    out += _table(["field", *cond_header], [
        [f, *(f"{_pct(m[c]['invented']['per_field'][f]['rate'])} ({m[c]['invented']['per_field'][f]['invented']})"
              for c in CONDITIONS)] for f in FIELDS])
    out += ["## Citations (criterion predicted present: cited line is a truth evidence line)", ""]
    out += _table(["criterion", *cond_header], [
        [crit, *(f"{_pct(m[c]['citations']['per_criterion'][crit]['rate'])} of "
                 f"{m[c]['citations']['per_criterion'][crit]['cited']}" for c in CONDITIONS)] for crit in CRITERIA])
    out += ["## By condition of the call", ""]
    rows = []
    for name, sub in summary["subsets"].items():
        for c in CONDITIONS:
            x = sub[c]
            rows.append([name, str(sub["n"]), LABELS[c], _pct(x["tier"]["accuracy"]),
                         _pct(x["fields"]["overall"]["accuracy"]), _pct(x["invented"]["overall"]["rate"]),
                         _pct(x["citations"]["overall"]["rate"])])
    out += _table(["subset", "n", "condition", "tier acc", "field acc", "invented", "citations"], rows)
    out += ["## Field misses, examples (final + context)", ""]
    rows = [[f, x["case"], f"`{x['truth']}`", f"`{x['predicted']}`"]
            for f, xs in m["final_context"]["misses"].items() for x in xs]
    out += _table(["field", "case", "truth", "predicted"], rows) if rows else ["none", ""]
    out += ["## LLM time per question (mean seconds per call)", ""]
    out += _table(["question", "mean s"], [[k, "n/a" if v is None else f"{v:.2f}"]
                                           for k, v in summary["timing_s"].items()])
    rr = summary.get("reread")
    if rr:
        per_q = rr["new_seconds"] / rr["new_questions"] if rr["new_questions"] else 0.0
        out += [f"Re-read (`--reread`): {rr['calls']} calls read again with the current code; every question "
                f"asked before was answered from the stored answers, {rr['new_questions']} new questions went to "
                f"the model ({rr['new_seconds']:.0f} s, {per_q:.1f} s each; "
                f"{rr['new_questions'] / max(1, rr['calls']):.2f} per call). The seconds per question above are "
                f"the first run's; the new questions add their time to `wall_per_call`. "
                f"Stored answers whose line is no longer a candidate: {rr['unmatched']}.", ""]
    return "\n".join(out)


def write_outputs(cases: Sequence[LeadCase], predictions: dict[str, dict[str, Any]], meta: dict[str, Any],
                  *, report_dir: Path) -> Path:
    """<report_dir>/<date>-<machine>-leads-<split>.json and .md; returns the .md path."""
    summary = summarize(cases, predictions, meta)
    report_dir.mkdir(parents=True, exist_ok=True)
    kind = f"oracle-{meta.get('split')}" if meta.get("oracle") else meta.get("split")
    stem = f"{meta.get('date')}-{meta.get('machine', machine_tag())}-leads-{kind}"
    (report_dir / f"{stem}.json").write_text(json.dumps(summary, indent=1))
    path = report_dir / f"{stem}.md"
    path.write_text(render(summary) + "\n")
    return path
