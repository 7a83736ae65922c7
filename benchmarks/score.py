"""Score one system's output for one call against that call's references: transcript, speakers, entities, lead.

Every metric is optional: a call contributes only what its references allow (the Asterisk prompts have text but
no speakers; the pyannote sample has RTTM + STM but no CRM truth).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from benchmarks.calls import BenchCall
from benchmarks.crm_metrics import LeadScore, score_lead
from benchmarks.entity_metrics import TypeCounts, entity_counts
from benchmarks.metrics import cpwer, der, read_rttm, read_stm, word_errors
from benchmarks.outputs import CallOutput
from services.pipeline.types import Turn

COLLARS: tuple[float, ...] = (0.25, 0.0)
"""DER is reported at a 0.25 s collar (the usual forgiveness for reference boundary jitter) and without one."""


@dataclass(frozen=True)
class References:
    text: str | None = None
    by_speaker: dict[str, str] | None = None
    turns: tuple[Turn, ...] | None = None
    truth: dict[str, Any] | None = None


@dataclass(frozen=True)
class CallScore:
    system: str
    uri: str
    source: str
    condition: str
    duration_s: float
    error: str | None = None
    wer: float | None = None
    word_errors: int | None = None
    reference_words: int | None = None
    cpwer: float | None = None
    der: dict[str, float] = field(default_factory=dict)  # "collar=0.25" -> DER
    speakers_found: int | None = None
    speakers_true: int | None = None
    entities: dict[str, dict[str, int]] = field(default_factory=dict)  # type -> TypeCounts as dict
    crm_fields: dict[str, bool] = field(default_factory=dict)
    crm_values: dict[str, dict[str, str | None]] = field(default_factory=dict)
    bant_label_truth: str | None = None
    bant_label_predicted: str | None = None
    bant_criteria_agreement: dict[str, bool] = field(default_factory=dict)
    evidence_quotes: int | None = None
    evidence_verbatim: int | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)


def load_references(call: BenchCall) -> References:
    by_speaker: dict[str, str] | None = None
    text = call.reference_text
    if call.stm is not None and call.stm.exists():
        rows = sorted(read_stm(call.stm), key=lambda r: r[1])
        text = " ".join(r[3] for r in rows)
        by_speaker = {}
        for speaker, _, _, words in rows:
            by_speaker[speaker] = f"{by_speaker.get(speaker, '')} {words}".strip()
    turns = tuple(read_rttm(call.rttm)) if call.rttm is not None and call.rttm.exists() else None
    truth = json.loads(call.truth.read_text(encoding="utf-8")) if call.truth is not None and call.truth.exists() else None
    return References(text=text, by_speaker=by_speaker, turns=turns, truth=truth)


def _counts_dict(c: TypeCounts) -> dict[str, int]:
    return {"tp_hyp": c.true_positive_hyp, "hyp": c.hyp, "tp_ref": c.true_positive_ref, "ref": c.ref}


def score_call(system: str, call: BenchCall, output: CallOutput, refs: References) -> CallScore:
    base = dict(system=system, uri=call.uri, source=call.source, condition=call.condition,
                duration_s=round(output.duration_s, 3), stage_seconds=dict(output.stage_seconds))
    if output.error:
        return CallScore(**base, error=output.error)  # type: ignore[arg-type]
    scores: dict[str, Any] = {}
    if refs.text:
        counts = word_errors(refs.text, output.text)
        scores.update(wer=round(counts.rate, 4), word_errors=counts.errors, reference_words=counts.reference_words)
    if refs.by_speaker and len(refs.by_speaker) > 1:
        scores["cpwer"] = round(cpwer(refs.by_speaker, output.text_by_speaker()), 4)
    if refs.turns:
        hyp = [Turn(start=t.start, end=t.end, speaker=t.speaker) for t in output.turns]
        scores["der"] = {f"collar={c:g}": round(der(list(refs.turns), hyp, collar=c), 4) for c in COLLARS}
        scores["speakers_true"] = len({t.speaker for t in refs.turns})
    if refs.turns is None and call.speakers is not None:
        scores["speakers_true"] = call.speakers
    scores["speakers_found"] = len({t.speaker for t in output.turns}) if output.turns else len(
        {w.speaker for w in output.words if w.speaker})
    if refs.truth is not None and refs.text:
        if output.utterances:  # the system ran NLP (the naive baseline has no NER: not scored, not zero)
            counts_by_type = entity_counts([(e.type, e.text) for e in output.entities], refs.truth, refs.text)
            scores["entities"] = {k: _counts_dict(v) for k, v in counts_by_type.items()}
        if output.lead is not None:
            lead: LeadScore = score_lead(output.lead, refs.truth, {u.id: u.text for u in output.utterances})
            scores.update(
                crm_fields={f.field: f.correct for f in lead.fields},
                crm_values={f.field: {"truth": f.truth, "predicted": f.predicted} for f in lead.fields},
                bant_label_truth=lead.bant_label_truth,
                bant_label_predicted=lead.bant_label_predicted,
                bant_criteria_agreement=lead.criteria_agreement,
                evidence_quotes=lead.evidence_quotes,
                evidence_verbatim=lead.evidence_verbatim,
            )
    return CallScore(**base, **scores)  # type: ignore[arg-type]
