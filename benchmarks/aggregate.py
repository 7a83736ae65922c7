"""Per-call scores -> one summary per system (accuracy, speed, memory) and Parley-vs-baseline ratios.

Pooling rules (stated in the report): WER pools errors over reference words across calls; cpWER and DER are
means over the calls that have them; entity P/R/F1 pool counts per type; CRM field accuracy is the fraction of
calls (with a truth.json and a lead) whose field is right; RTF per stage is that stage's seconds over the audio
seconds of the calls that ran it. Ratios use only the calls both systems finished.

Groups: every comparison is also given per channel layout (`mono` / `stereo`) and per call kind (the call's
`condition`), because one pooled ratio mixes calls the baseline cannot handle (a stereo call it down-mixes and
then diarizes) with the calls it can; the pooled line is secondary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from benchmarks.crm_metrics import BANT_CRITERIA, CRM_FIELDS
from benchmarks.entity_metrics import SCORED_TYPES, TypeCounts
from benchmarks.outputs import SystemRun
from benchmarks.score import CallScore

TRANSCRIPT_STAGES: tuple[str, ...] = ("decode", "asr", "diarization", "alignment")
"""The part both systems do: audio in, speaker-attributed words out."""


@dataclass(frozen=True)
class Speed:
    audio_s: float
    rtf_per_stage: dict[str, float]
    rtf_transcript: float  # decode + asr + diarization + alignment
    rtf_without_extraction: float  # every stage but the LLM
    rtf_extraction: float | None  # over the calls that ran it
    extraction_calls: int
    throughput_audio_h_per_h: float  # 1 / rtf_without_extraction (one stream)
    throughput_with_extraction: float | None  # 1 / (rtf_without_extraction + rtf_extraction)


@dataclass(frozen=True)
class Accuracy:
    wer: float | None = None
    wer_by_source: dict[str, float] = field(default_factory=dict)
    cpwer: float | None = None
    der: dict[str, float] = field(default_factory=dict)
    speaker_count_correct: float | None = None
    entities: dict[str, dict[str, float | int | None]] = field(default_factory=dict)
    crm_field_accuracy: dict[str, float] = field(default_factory=dict)
    crm_accuracy: float | None = None
    bant_label_agreement: float | None = None
    bant_criteria_agreement: float | None = None
    evidence_verbatim_rate: float | None = None
    lead_calls: int = 0


@dataclass(frozen=True)
class SystemSummary:
    system: str
    description: str
    calls: int
    failed: int
    load_s: float
    peak_rss_mb: float
    rss_after_load_mb: float
    accuracy: Accuracy
    speed: Speed
    by_condition: dict[str, dict[str, float | None]]


def _mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def pooled_wer(scores: Sequence[CallScore]) -> float | None:
    refs = sum(s.reference_words or 0 for s in scores if s.wer is not None)
    errs = sum(s.word_errors or 0 for s in scores if s.wer is not None)
    return round(errs / refs, 4) if refs else None


def entity_summary(scores: Sequence[CallScore]) -> dict[str, dict[str, float | int | None]]:
    totals = {t: TypeCounts(0, 0, 0, 0) for t in SCORED_TYPES}
    seen = False
    for s in scores:
        for kind, c in s.entities.items():
            seen = True
            totals[kind] = totals[kind] + TypeCounts(c["tp_hyp"], c["hyp"], c["tp_ref"], c["ref"])
    if not seen:
        return {}
    micro = sum(totals.values(), TypeCounts(0, 0, 0, 0))
    out: dict[str, dict[str, float | int | None]] = {}
    for kind, c in {**totals, "ALL": micro}.items():
        out[kind] = {
            "precision": None if c.precision is None else round(c.precision, 3),
            "recall": None if c.recall is None else round(c.recall, 3),
            "f1": None if c.f1 is None else round(c.f1, 3),
            "hyp": c.hyp,
            "ref": c.ref,
        }
    return out


def accuracy(scores: Sequence[CallScore]) -> Accuracy:
    ok = [s for s in scores if s.error is None]
    sources = sorted({s.source for s in ok})
    lead = [s for s in ok if s.crm_fields]
    quotes = sum(s.evidence_quotes or 0 for s in lead)
    collars = sorted({k for s in ok for k in s.der})
    with_spk = [s for s in ok if s.speakers_true is not None]
    return Accuracy(
        wer=pooled_wer(ok),
        wer_by_source={src: w for src in sources if (w := pooled_wer([s for s in ok if s.source == src])) is not None},
        cpwer=_mean(s.cpwer for s in ok),
        der={c: v for c in collars if (v := _mean(s.der.get(c) for s in ok)) is not None},
        speaker_count_correct=_mean(float(s.speakers_found == s.speakers_true) for s in with_spk) if with_spk else None,
        entities=entity_summary(ok),
        crm_field_accuracy={f: round(sum(s.crm_fields[f] for s in lead) / len(lead), 3) for f in CRM_FIELDS} if lead else {},
        crm_accuracy=round(sum(sum(s.crm_fields.values()) for s in lead) / (len(CRM_FIELDS) * len(lead)), 3) if lead else None,
        bant_label_agreement=round(sum(s.bant_label_predicted == s.bant_label_truth for s in lead) / len(lead), 3) if lead else None,
        bant_criteria_agreement=round(
            sum(sum(s.bant_criteria_agreement.values()) for s in lead) / (len(BANT_CRITERIA) * len(lead)), 3
        ) if lead else None,
        evidence_verbatim_rate=round(sum(s.evidence_verbatim or 0 for s in lead) / quotes, 3) if quotes else None,
        lead_calls=len(lead),
    )


def speed(scores: Sequence[CallScore]) -> Speed:
    ok = [s for s in scores if s.error is None and s.duration_s > 0]
    audio = sum(s.duration_s for s in ok)
    stages = sorted({k for s in ok for k in s.stage_seconds if k != "total"})
    per_stage = {}
    for stage in stages:
        ran = [s for s in ok if stage in s.stage_seconds]
        per_stage[stage] = round(sum(s.stage_seconds[stage] for s in ran) / sum(s.duration_s for s in ran), 4)
    ext = [s for s in ok if "extraction" in s.stage_seconds]
    no_ext = sum(s.stage_seconds.get("total", 0.0) - s.stage_seconds.get("extraction", 0.0) for s in ok)
    transcript = sum(sum(s.stage_seconds.get(k, 0.0) for k in TRANSCRIPT_STAGES) for s in ok)
    rtf_no_ext = no_ext / audio if audio else 0.0
    rtf_ext = per_stage.get("extraction")
    return Speed(
        audio_s=round(audio, 2),
        rtf_per_stage=per_stage,
        rtf_transcript=round(transcript / audio, 4) if audio else 0.0,
        rtf_without_extraction=round(rtf_no_ext, 4),
        rtf_extraction=rtf_ext,
        extraction_calls=len(ext),
        throughput_audio_h_per_h=round(1 / rtf_no_ext, 2) if rtf_no_ext else 0.0,
        throughput_with_extraction=round(1 / (rtf_no_ext + rtf_ext), 2) if rtf_ext else None,
    )


def by_condition(scores: Sequence[CallScore]) -> dict[str, dict[str, float | None]]:
    ok = [s for s in scores if s.error is None]
    out = {}
    for cond in sorted({s.condition for s in ok}):
        group = [s for s in ok if s.condition == cond]
        out[cond] = {
            "wer": pooled_wer(group),
            "cpwer": _mean(s.cpwer for s in group),
            "der": _mean(s.der.get("collar=0.25") for s in group),
            "audio_s": round(sum(s.duration_s for s in group), 1),
        }
    return out


def summarise(run: SystemRun, scores: Sequence[CallScore]) -> SystemSummary:
    return SystemSummary(
        system=run.system,
        description=run.description,
        calls=len(scores),
        failed=sum(s.error is not None for s in scores),
        load_s=run.load_s,
        peak_rss_mb=run.peak_rss_mb,
        rss_after_load_mb=run.rss_after_load_mb,
        accuracy=accuracy(scores),
        speed=speed(scores),
        by_condition=by_condition(scores),
    )


# ------------------------------------------------------------------------------------------------ ratios


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 3)


def compare(parley: Sequence[CallScore], baseline: Sequence[CallScore]) -> dict[str, float | int | None]:
    """Ratios on the calls both finished. Speed: baseline seconds / Parley seconds (> 1: Parley faster).
    Errors: Parley / baseline (< 1: Parley more accurate)."""
    p_ok = {s.uri: s for s in parley if s.error is None}
    b_ok = {s.uri: s for s in baseline if s.error is None}
    common = sorted(p_ok.keys() & b_ok.keys())
    p = [p_ok[u] for u in common]
    b = [b_ok[u] for u in common]

    def seconds(group: Sequence[CallScore], stages: Sequence[str]) -> float:
        return sum(sum(s.stage_seconds.get(k, 0.0) for k in stages) for s in group)

    p_acc, b_acc = accuracy(p), accuracy(b)
    return {
        "calls": len(common),
        "audio_s": round(sum(s.duration_s for s in p), 1),
        "speedup_transcript": _ratio(seconds(b, TRANSCRIPT_STAGES), seconds(p, TRANSCRIPT_STAGES)),
        "speedup_asr": _ratio(seconds(b, ("asr",)), seconds(p, ("asr",))),
        "speedup_diarization": _ratio(seconds(b, ("diarization",)), seconds(p, ("diarization",))),
        "speedup_vs_parley_without_extraction": _ratio(
            seconds(b, TRANSCRIPT_STAGES), seconds(p, TRANSCRIPT_STAGES + ("nlp",))
        ),
        "wer_ratio": _ratio(p_acc.wer, b_acc.wer),
        "cpwer_ratio": _ratio(p_acc.cpwer, b_acc.cpwer),
        "der_ratio": _ratio(p_acc.der.get("collar=0.25"), b_acc.der.get("collar=0.25")),
        "wer_parley": p_acc.wer,
        "wer_baseline": b_acc.wer,
        "cpwer_parley": p_acc.cpwer,
        "cpwer_baseline": b_acc.cpwer,
        "der_parley": p_acc.der.get("collar=0.25"),
        "der_baseline": b_acc.der.get("collar=0.25"),
    }


# ------------------------------------------------------------------------------------------------ groups

LAYOUTS: tuple[str, ...] = ("mono", "stereo")


def layout_of(stereo: bool) -> str:
    """`stereo`: one speaker per channel (Parley keeps the channels; the naive baseline down-mixes)."""
    return "stereo" if stereo else "mono"


def call_groups(calls: Iterable[Mapping[str, Any]]) -> tuple[dict[str, str], dict[str, str]]:
    """Results JSON `calls` -> (uri -> layout, uri -> call kind). The kind is the call's condition string."""
    layouts = {c["uri"]: layout_of(bool(c.get("stereo"))) for c in calls}
    kinds = {c["uri"]: str(c.get("condition") or "?") for c in calls}
    return layouts, kinds


def scores_from_dicts(rows: Iterable[Mapping[str, Any]]) -> list[CallScore]:
    """Results JSON `scores` rows -> CallScore objects (unknown keys ignored, so older files still load)."""
    known = {f.name for f in fields(CallScore)}
    return [CallScore(**{k: v for k, v in row.items() if k in known}) for row in rows]


def group_summary(scores: Sequence[CallScore]) -> dict[str, Any]:
    """Accuracy and speed of one system over one group of calls."""
    ok = [s for s in scores if s.error is None]
    acc, spd = accuracy(ok), speed(ok)
    return {
        "calls": len(scores),
        "failed": len(scores) - len(ok),
        "audio_s": spd.audio_s,
        "wer": acc.wer,
        "cpwer": acc.cpwer,
        "der": acc.der.get("collar=0.25"),
        "der_no_collar": acc.der.get("collar=0"),
        "speaker_count_correct": acc.speaker_count_correct,
        "rtf_transcript": spd.rtf_transcript if ok else None,
        "rtf_without_extraction": spd.rtf_without_extraction if ok else None,
        "throughput_audio_h_per_h": spd.throughput_audio_h_per_h if ok else None,
        "rtf_per_stage": spd.rtf_per_stage,
        "entities": acc.entities,
    }


def split(scores: Sequence[CallScore], group_of: Mapping[str, str]) -> dict[str, list[CallScore]]:
    """Scores by group (uri -> group name); calls without a group go to "?"."""
    out: dict[str, list[CallScore]] = {}
    for s in scores:
        out.setdefault(group_of.get(s.uri, "?"), []).append(s)
    return out


def grouped(
    scores_by_system: Mapping[str, Sequence[CallScore]], group_of: Mapping[str, str],
    order: Sequence[str] = (),
) -> dict[str, dict[str, Any]]:
    """group -> {"systems": {system: group_summary}, "comparison": compare() on that group's calls}."""
    names = sorted({group_of.get(s.uri, "?") for group in scores_by_system.values() for s in group},
                   key=lambda g: (order.index(g) if g in order else len(order), g))
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        per_system = {sys: [s for s in sc if group_of.get(s.uri, "?") == name] for sys, sc in scores_by_system.items()}
        comparison = (compare(per_system["parley"], per_system["naive-baseline"])
                      if {"parley", "naive-baseline"} <= per_system.keys() else {})
        out[name] = {"systems": {sys: group_summary(sc) for sys, sc in per_system.items() if sc},
                     "comparison": comparison}
    return out


def results_by_group(results: Mapping[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """From a results JSON alone: {"layout": grouped(...), "kind": grouped(...)}."""
    layouts, kinds = call_groups(results["calls"])
    by_system: dict[str, list[CallScore]] = {}
    for score in scores_from_dicts(results["scores"]):
        by_system.setdefault(score.system, []).append(score)
    by_system = {name: by_system.get(name, []) for name in results["systems"]}
    return {"layout": grouped(by_system, layouts, LAYOUTS), "kind": grouped(by_system, kinds)}
