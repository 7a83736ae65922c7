"""End-to-end lead figures: rendered telephone audio (benchmarks/leads/audio.py) through the whole pipeline.

    python -m benchmarks.leads audio --split test --n 12 --out DIR     # render once
    python -m benchmarks.leads audio-eval --out DIR                    # ASR + diarization + NLP + extraction

Each call runs `run_call` as `parley run` does, with no known names (the headline) and again scored with the
case's known names snapped in (finalize only, the model is not asked twice). Tier and CRM field accuracy are
scored like the text-level report; citations are not (audio utterance ids are not the text lines).
Results are cached per call in DIR/e2e/<id>.json, so a killed run resumes. Each record keeps what the
extraction read (utterances, entities, the model's answers), so `audio-eval --refinalize` re-scores the calls
with new rule code in seconds, without ASR or the model.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.leads.case import LeadCase
from benchmarks.leads.metrics import evaluate
from services.pipeline.lead_context import CallContext


def _transcribe_and_read(flac: Path, options: Any, models: Any, settings: Any) -> tuple[Any, Any, Any, Any]:
    """ASR + diarization + NLP as `parley run` does, then the model's reading (roles left to the extraction:
    heuristics, or the model when unsure)."""
    from services.pipeline.extract import read_call
    from services.pipeline.run import run_call_detailed

    result = run_call_detailed(flac, options, models=models, settings=settings).result
    utterances = tuple(u.model_copy(update={"role": "unknown"}) for u in result.utterances)
    return result, utterances, result.entities, read_call(utterances, models.chat, settings)


def _inputs(utterances: Any, entities: Any, reading: Any) -> dict[str, Any]:
    """What finalize reads, as JSON: enough to re-finalize the call later."""
    from services.pipeline.extract import reading_to_dict

    return {"utterances": [u.model_dump(mode="json") for u in utterances],
            "entities": [e.model_dump(mode="json") for e in entities], "reading": reading_to_dict(reading)}


def _finalize_stored(inputs: dict[str, Any], settings: Any, context: CallContext) -> dict[str, Any]:
    """The lead again from stored inputs (no ASR, no model): the current rules on the same reading."""
    from services.pipeline.extract import finalize, reading_from_dict
    from services.pipeline.types import Entity, Utterance

    utterances = tuple(Utterance.model_validate(u) for u in inputs["utterances"])
    entities = [Entity.model_validate(e) for e in inputs["entities"]]
    reading = reading_from_dict(inputs["reading"], utterances, settings)
    lead = finalize(reading, utterances, settings, entities=entities, context=context).lead
    return lead.model_dump(mode="json")


def refinalize_record(record: dict[str, Any], case: LeadCase, settings: Any) -> dict[str, Any]:
    """`record` with every condition re-finalized from its stored inputs (records without them are returned
    unchanged: they came from a version that did not store them)."""
    if "inputs" not in record:
        return record
    record = {**record, "final": _finalize_stored(record["inputs"], settings, CallContext()),
              "final_context": _finalize_stored(record["inputs"], settings, case.context)}
    if "hotwords_inputs" in record:
        record["final_hotwords"] = _finalize_stored(record["hotwords_inputs"], settings, case.context)
    return record


def _run_one(flac: Path, case: LeadCase, models: Any, settings: Any) -> dict[str, Any]:
    from services.pipeline.extract import finalize
    from services.pipeline.options import CallOptions

    started = time.perf_counter()
    result, utterances, entities, reading = _transcribe_and_read(flac, CallOptions(extract_lead=False), models,
                                                                 settings)
    plain = finalize(reading, utterances, settings, entities=entities)
    with_context = finalize(reading, utterances, settings, entities=entities, context=case.context)
    return {
        "id": case.id,
        "final": plain.lead.model_dump(mode="json"),
        "final_context": with_context.lead.model_dump(mode="json"),
        "inputs": _inputs(utterances, entities, reading),
        "timings": dict(result.timings),
        "llm_seconds": dict(reading.seconds),
        "wall_s": round(time.perf_counter() - started, 3),
        "duration_s": result.audio.duration_s,
    }


def _run_hotwords(flac: Path, case: LeadCase, models: Any, settings: Any) -> dict[str, Any]:
    """The call again as `parley run --company/--competitors/--contacts ...` runs it: the known names are ASR
    hotwords, the model reads the new transcript, and near-miss names snap to the known ones."""
    from services.pipeline.extract import finalize
    from services.pipeline.options import CallOptions

    started = time.perf_counter()
    options = CallOptions(extract_lead=False, context=case.context)
    result, utterances, entities, reading = _transcribe_and_read(flac, options, models, settings)
    lead = finalize(reading, utterances, settings, entities=entities, context=case.context).lead
    return {"lead": lead.model_dump(mode="json"), "hotwords": list(options.hotwords()),
            "wall_s": round(time.perf_counter() - started, 3), "inputs": _inputs(utterances, entities, reading)}


def evaluate_audio(out_dir: Path, *, hotwords: bool = True, refinalize: bool = False) -> dict[str, Any]:
    """Every rendered call in out_dir: plain (the headline), known names snapped onto the same lead, and (with
    `hotwords`) the whole call again with the known names as ASR hotwords. `refinalize`: cached calls are
    re-scored from their stored inputs with the current rules (calls not yet run still run)."""
    from services.pipeline.run import ModelManager
    from services.settings import get_settings

    settings = get_settings()
    models = ModelManager(settings)
    cache = out_dir / "e2e"
    cache.mkdir(parents=True, exist_ok=True)
    records: list[tuple[LeadCase, dict[str, Any]]] = []
    try:
        for case_path in sorted(out_dir.glob("*.case.json")):
            case = LeadCase.from_dict(json.loads(case_path.read_text()))
            path = cache / f"{case.id}.json"
            if path.exists():
                record = json.loads(path.read_text())
                if refinalize:
                    record = refinalize_record(record, case, settings)
                    path.write_text(json.dumps(record, indent=1))
            else:
                record = _run_one(out_dir / f"{case.id}.flac", case, models, settings)
                path.write_text(json.dumps(record, indent=1))
            if hotwords and "final_hotwords" not in record:
                second = _run_hotwords(out_dir / f"{case.id}.flac", case, models, settings)
                record["final_hotwords"] = second["lead"]
                record["hotwords"] = {"names": second["hotwords"], "wall_s": second["wall_s"]}
                record["hotwords_inputs"] = second["inputs"]
                path.write_text(json.dumps(record, indent=1))
            records.append((case, record))
            print(f"[leads audio] {case.id} {record['wall_s']:.0f}s for {record['duration_s']:.0f}s of audio "
                  f"truth={case.truth.tier} final={record['final']['score']}", file=sys.stderr, flush=True)
    finally:
        models.unload()
    return {
        "n": len(records),
        "audio_s": round(sum(r["duration_s"] for _, r in records), 1),
        "final": evaluate((c, r["final"]) for c, r in records),
        "final_context": evaluate((c, r["final_context"]) for c, r in records),
        "final_hotwords": (evaluate((c, r["final_hotwords"]) for c, r in records)
                           if records and all("final_hotwords" in r for _, r in records) else None),
        "seconds": {k: round(sum(r["timings"].get(k, 0.0) for _, r in records) / max(1, len(records)), 1)
                    for k in ("asr", "diarization", "nlp", "total")},
        "llm_seconds": round(sum(sum(r["llm_seconds"].values()) for _, r in records) / max(1, len(records)), 1),
    }


_COLUMNS = (("final", "final (no known names)"), ("final_context", "+ names snapped"),
            ("final_hotwords", "+ names as ASR hotwords and snapped"))


def render(summary: dict[str, Any]) -> str:
    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{100 * x:.1f}%"

    columns = [(key, title) for key, title in _COLUMNS if summary.get(key)]
    lines = [
        "## End to end: the same kind of calls as telephone audio",
        "",
        f"{summary['n']} cases rendered by benchmarks/leads/audio.py (flite voices, 8 kHz u-law), "
        f"{summary['audio_s']:.0f} s of audio, through ASR, diarization, NLP and extraction.",
        "",
        "| metric | " + " | ".join(title for _, title in columns) + " |",
        "| --- |" + " --- |" * len(columns),
        "| tier accuracy | " + " | ".join(pct(summary[k]["tier"]["accuracy"]) for k, _ in columns) + " |",
        "| CRM field accuracy | " + " | ".join(pct(summary[k]["fields"]["overall"]["accuracy"]) for k, _ in columns)
        + " |",
        "| invented-field rate | " + " | ".join(pct(summary[k]["invented"]["overall"]["rate"]) for k, _ in columns)
        + " |",
    ]
    for field, v in summary["final"]["fields"]["per_field"].items():
        cells = [summary[k]["fields"]["per_field"][field] for k, _ in columns]
        lines.append(f"| {field} | " + " | ".join(f"{pct(c['accuracy'])} of {c['total']}" for c in cells) + " |")
    s = summary["seconds"]
    lines += ["", f"Mean seconds per call: ASR {s['asr']}, diarization {s['diarization']}, NLP {s['nlp']}, "
              f"lead questions {summary['llm_seconds']}.", ""]
    return "\n".join(lines)
