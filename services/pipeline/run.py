"""run_call(): the whole call pipeline, composed from the pure stage functions, with timings and progress.

Models are held by a ModelManager that loads each one on first use (a call without --extract never loads
the 1 GB LLM) and can unload them. The same manager runs in the CLI, the worker and the Ray deployments.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.offline import enforce_offline
from models.registry import get_spec, resolve_model
from services.pipeline.align import assign_speakers, build_utterances
from services.pipeline.decode import decode_audio
from services.pipeline.options import CallOptions, ProgressCallback
from services.pipeline.types import (
    CallResult,
    DecodedAudio,
    Diarization,
    Lead,
    SpeakerInfo,
    Transcript,
    Turn,
    Utterance,
    Word,
)
from services.settings import Settings

log = logging.getLogger("parley.pipeline")

# Sources at or below this rate are narrow-band telephone audio (G.711 u-law/a-law, GSM).
TELEPHONE_RATE = 8000


class ModelManager:
    """Lazily loaded models, one instance of each, safe to share between threads."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._loaded: dict[str, Any] = {}
        self._lock = threading.Lock()
        enforce_offline()

    def _get(self, key: str, load: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._loaded:
                started = time.perf_counter()
                self._loaded[key] = load()
                log.info("loaded %s in %.1f s", key, time.perf_counter() - started)
            return self._loaded[key]

    def path(self, name: str) -> Path:
        return resolve_model(name, self._settings.models.data_dir)

    def version(self, name: str) -> str:
        try:
            return get_spec(name).version
        except Exception:  # an operator-supplied path: its name is all we know
            return name

    @property
    def asr(self) -> Any:
        from services.pipeline.asr import load_asr

        return self._get("asr", lambda: load_asr(self.path(self._settings.models.asr), self._settings.asr))

    @property
    def diarizer(self) -> Any:
        from services.pipeline.diarize import load_diarizer

        return self._get("diarization", lambda: load_diarizer(self._settings))

    @property
    def nlp(self) -> Any:
        from services.pipeline.nlp import load_nlp

        return self._get("nlp", lambda: load_nlp(self.path(self._settings.models.ner)))

    @property
    def chat(self) -> Any:
        from models.llm import load_chat_model

        return self._get("llm", lambda: load_chat_model(self._settings, self.path(self._settings.models.llm)))

    # The engine methods below are what run_call() needs from the models. The Ray Serve pipeline
    # (services/serving/remote.py) implements the same methods against deployments, so run_call() is one code
    # path in-process and distributed.

    def transcribe(self, samples: Any, *, language: str | None, vocabulary: tuple[str, ...],
                   telephone: bool) -> Transcript:
        from services.pipeline.asr import transcribe

        return transcribe(self.asr, samples, self._settings.asr, language=language, vocabulary=vocabulary,
                          telephone=telephone)

    def start_diarization(self, audio: DecodedAudio, num_speakers: int | None) -> Callable[[], Diarization]:
        """In-process there is nothing to overlap with: diarize when the result is asked for."""
        return lambda: self.diarizer.diarize(audio, num_speakers=num_speakers)

    def versions(self, used: tuple[str, ...]) -> dict[str, str]:
        names = {
            "asr": self._settings.models.asr,
            "segmentation": self._settings.models.segmentation,
            "speaker_embedding": self._settings.models.speaker_embedding,
            "ner": self._settings.models.ner,
            "llm": self._settings.models.llm,
        }
        return {names[k]: self.version(names[k]) for k in used}

    def unload(self) -> None:
        with self._lock:
            for model in self._loaded.values():
                close = getattr(model, "close", None)
                if callable(close):
                    close()
            self._loaded.clear()


@dataclass(frozen=True)
class CallOutput:
    result: CallResult
    diarization: Diarization


class _Clock:
    def __init__(self, progress: ProgressCallback | None) -> None:
        self.seconds: dict[str, float] = {}
        self._progress = progress

    @contextmanager
    def stage(self, name: str, message: str) -> Iterator[None]:
        if self._progress:
            self._progress(name, 0.0, message)
        started = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - started, 3)
        if self._progress:
            self._progress(name, 1.0, f"{name} done in {self.seconds[name]:.1f} s")


def run_call(
    audio_path: Path,
    options: CallOptions,
    *,
    models: ModelManager,
    settings: Settings,
    progress: ProgressCallback | None = None,
) -> CallResult:
    return run_call_detailed(audio_path, options, models=models, settings=settings, progress=progress).result


def run_call_detailed(
    audio_path: Path,
    options: CallOptions,
    *,
    models: ModelManager,
    settings: Settings,
    progress: ProgressCallback | None = None,
) -> CallOutput:
    clock = _Clock(progress)
    started = time.perf_counter()
    used: list[str] = ["asr"]

    with clock.stage("decode", f"decoding {audio_path.name}"):
        audio = decode_audio(Path(audio_path), settings.limits)

    stereo = options.stereo_speakers and len(audio.channels) == 2
    # Started before ASR: where diarization runs elsewhere (a Serve deployment), the two overlap.
    pending = models.start_diarization(audio, options.num_speakers) if options.diarization and not stereo else None
    with clock.stage("asr", f"transcribing {audio.duration_s:.0f} s of audio"):
        transcript, words = _transcribe(audio, options, models, settings, stereo=stereo)

    with clock.stage("diarization", "finding speakers"):
        diarization = _diarize(audio, options, stereo=stereo, pending=pending)
        if options.diarization and not stereo:
            used += ["segmentation", "speaker_embedding"]

    with clock.stage("alignment", "attributing words to speakers"):
        if not stereo:
            words = assign_speakers(words, diarization.turns)
        utterances = build_utterances(words)
        if not (options.extract_lead and utterances):
            # Without a lead the heuristics are the only judge of roles; with one, the extraction decides them
            # (asking the model when the heuristics are unsure) and the utterances get the same roles.
            from services.pipeline.roles import assign_roles

            roles = assign_roles(utterances)
            utterances = tuple(u.model_copy(update={"role": roles.get(u.speaker, "unknown")}) for u in utterances)

    with clock.stage("nlp", "entities, PII redaction, sentiment"):
        from services.pipeline.nlp import analyse

        pii = options.pii_types if options.pii_types is not None else settings.nlp.pii_types
        utterances, entities = analyse(utterances, words, models.nlp, pii)
        used.append("ner")

    lead: Lead | None = None
    if options.extract_lead and utterances:
        with clock.stage("extraction", "scoring the lead with the local LLM"):
            from services.pipeline.extract import apply_roles, extract_lead_detailed

            context = options.lead_context(settings.lead.tracked_competitors)
            done = extract_lead_detailed(utterances, models.chat, settings, context=context, entities=entities)
            if done is not None:
                lead = done.lead
                utterances = apply_roles(utterances, done.roles)
            else:  # nothing was said: the empty lead, no model loaded
                from services.pipeline.extract import empty_lead

                lead = empty_lead("empty transcript: nothing was said")
            used.append("llm")

    clock.seconds["total"] = round(time.perf_counter() - started, 3)
    result = CallResult(
        audio=audio.info,
        language=transcript.language,
        speakers=_speaker_infos(words, utterances, stereo=stereo),
        words=words,
        utterances=utterances,
        entities=entities,
        lead=lead,
        timings=clock.seconds,
        models=models.versions(tuple(used)),
    )
    return CallOutput(result=result, diarization=diarization)


def _transcribe(
    audio: DecodedAudio, options: CallOptions, models: ModelManager, settings: Settings, *, stereo: bool
) -> tuple[Transcript, tuple[Word, ...]]:
    common = {
        "language": options.language,
        "vocabulary": options.hotwords(settings.lead.tracked_competitors),
        "telephone": audio.info.sample_rate <= TELEPHONE_RATE,
    }
    if not stereo:
        transcript = models.transcribe(audio.mono, **common)
        return transcript, transcript.words
    # Stereo call: each channel is one speaker. Transcribing channels apart keeps overlapping speech
    # (barge-ins, backchannels) that a mono mix would blur into one garbled segment.
    per_channel = [models.transcribe(ch, **common) for ch in audio.channels]
    words = sorted(
        (w.model_copy(update={"speaker": f"SPEAKER_{i:02d}"}) for i, t in enumerate(per_channel) for w in t.words),
        key=lambda w: (w.start, w.end),
    )
    best = max(per_channel, key=lambda t: len(t.words))
    return best, tuple(words)


def _diarize(
    audio: DecodedAudio, options: CallOptions, *, stereo: bool, pending: Callable[[], Diarization] | None
) -> Diarization:
    if stereo:
        from services.pipeline.diarize import diarize_stereo

        return diarize_stereo(audio)
    if pending is None:  # diarization off
        turn = Turn(start=0.0, end=audio.duration_s, speaker="SPEAKER_00")
        return Diarization(turns=(turn,), speakers=("SPEAKER_00",))
    return pending()


def _speaker_infos(
    words: tuple[Word, ...], utterances: tuple[Utterance, ...], *, stereo: bool
) -> tuple[SpeakerInfo, ...]:
    talk: dict[str, float] = {}
    count: dict[str, int] = {}
    for w in words:
        key = w.speaker or "SPEAKER_00"
        talk[key] = talk.get(key, 0.0) + (w.end - w.start)
        count[key] = count.get(key, 0) + 1
    roles = {u.speaker: u.role for u in utterances}
    return tuple(
        SpeakerInfo(
            id=spk,
            role=roles.get(spk, "unknown"),
            talk_time_s=round(talk[spk], 2),
            words=count[spk],
            channel=int(spk.split("_")[-1]) if stereo else None,
        )
        for spk in sorted(talk)
    )
