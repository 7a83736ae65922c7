"""What each validation rule is worth: the final lead re-computed from the cached model answers with one rule
switched off at a time (no LLM: finalize() is deterministic), scored like the report.

    python -m benchmarks.leads ablate --split test --out DIR      # after `run` has cached the answers in DIR

Appends a "Rule ablation" section to the split's report and writes <report>.ablation.json next to it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.leads.case import LeadCase
from benchmarks.leads.metrics import evaluate
from benchmarks.leads.run import PipelineBackend, raw_path

CRITERIA = ("budget", "authority", "need", "timeline")


def ablate(cases: list[LeadCase], out_dir: Path, split: str, backend: PipelineBackend | None = None) -> dict[str, Any]:
    """{rule set name -> metrics of the final lead without context} for every case with a cached reading."""
    from services.pipeline import bant_rules
    from services.pipeline.extract import reading_from_dict
    from services.pipeline.lead_context import CallContext

    backend = backend or PipelineBackend()
    backend._load_light()
    assert backend.parse and backend.analyse and backend.finalize
    prepared = []
    for case in cases:
        path = raw_path(out_dir, split, case.id)
        if not path.exists():
            continue
        record = json.loads(path.read_text())
        if not record.get("reading"):
            continue
        utterances, words = backend.parse(case.transcript())
        utterances, entities = backend.analyse(utterances, words, backend.nlp, pii_types=())
        prepared.append((case, utterances, entities, reading_from_dict(record["reading"], utterances,
                                                                       backend.settings)))
    variants: dict[str, tuple[str, ...]] = {"all rules": bant_rules.RULES, "no rules": ()}
    variants |= {f"without {rule}": tuple(r for r in bant_rules.RULES if r != rule) for rule in bant_rules.RULES}
    out: dict[str, Any] = {}
    for label, rules in variants.items():
        leads = [(case, backend.finalize(reading, utts, backend.settings, context=CallContext(), entities=ents,
                                         rules=rules).lead) for case, utts, ents, reading in prepared]
        out[label] = evaluate(leads)
    return out


def render(results: dict[str, Any]) -> str:
    lines = [
        "## Rule ablation (final, without context; same model answers)",
        "",
        "Each row re-runs only the deterministic part with one check switched off (`services/pipeline/"
        "bant_rules.py`). Rules that do not earn their keep here are candidates for deletion.",
        "",
        "| rules | tier accuracy | " + " | ".join(f"{c} F1" for c in CRITERIA) + " | field accuracy |",
        "| --- | --- | " + " | ".join("---" for _ in CRITERIA) + " | --- |",
    ]

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{100 * x:.1f}%"

    for label, m in results.items():
        cells = [pct(m["tier"]["accuracy"]), *(pct(m["criteria"][c]["f1"]) for c in CRITERIA),
                 pct(m["fields"]["overall"]["accuracy"])]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def append_to_report(report: Path, results: dict[str, Any]) -> None:
    text = report.read_text()
    marker = "## Rule ablation"
    if marker in text:
        text = text[: text.index(marker)].rstrip() + "\n\n"
    report.write_text(text.rstrip() + "\n\n" + render(results))
    report.with_suffix(".ablation.json").write_text(json.dumps(results, indent=1, default=str))
