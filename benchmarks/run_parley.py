"""Parley under benchmark: settings for a fair run, model preloading (so load time is not billed to a call),
and CallResult -> CallOutput."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.outputs import CallOutput, HypEntity, HypTurn, HypUtterance, HypWord

DESCRIPTION = (
    "Parley run_call_detailed(): faster-whisper with VAD + hallucination guards, tuned pyannote diarization, "
    "overlap-aware word attribution, spaCy + pattern NER, PII redaction, VADER sentiment, LLM lead extraction"
)


def bench_settings(*, gpu: bool = False, threads: int = 1) -> Any:
    """Settings() from the environment, with every thread count pinned (2 shared cores: 1 each, FACTS.md) and,
    with gpu, the CLI's gpu profile (CUDA, float16, LLM behind an OpenAI-compatible server)."""
    from services.settings import Settings

    settings = Settings()
    if gpu:
        from services.cli import apply_profile

        settings = apply_profile(settings, "gpu")
    return settings.model_copy(
        update={
            "asr": settings.asr.model_copy(update={"cpu_threads": threads}),
            "diarization": settings.diarization.model_copy(update={"torch_threads": threads}),
            "llm": settings.llm.model_copy(update={"n_threads": threads}),
        }
    )


def preload(models: Any, *, extraction: bool) -> None:
    models.asr, models.diarizer, models.nlp  # noqa: B018 -- properties load on first access
    if extraction:
        models.chat  # noqa: B018


def to_output(uri: str, result: Any, diarization: Any) -> CallOutput:
    return CallOutput(
        uri=uri,
        duration_s=float(result.audio.duration_s),
        words=tuple(HypWord(w.start, w.end, w.text, w.speaker) for w in result.words),
        turns=tuple(HypTurn(t.start, t.end, t.speaker) for t in diarization.turns),
        entities=tuple(HypEntity(e.type, e.text) for e in result.entities),
        utterances=tuple(HypUtterance(u.id, u.speaker, u.text) for u in result.utterances),
        lead=result.lead.model_dump(mode="json") if result.lead is not None else None,
        stage_seconds=dict(result.timings),
    )


def run_parley_call(models: Any, settings: Any, audio: Path, uri: str, *, stereo: bool, extract_lead: bool) -> CallOutput:
    from services.pipeline.options import CallOptions
    from services.pipeline.run import run_call_detailed

    options = CallOptions(stereo_speakers=stereo, extract_lead=extract_lead)
    output = run_call_detailed(audio, options, models=models, settings=settings)
    return to_output(uri, output.result, output.diarization)
