"""The pipeline's engine methods against Serve deployments: what `run_call()` needs from the models, answered by
DeploymentHandles instead of in-process weights, so one code path runs in-process and distributed.

ASR: the call is cut into <= 30 s speech chunks here (VAD, no Whisper), the chunks are sent to the ASR deployment
one request each, where `serve.batch` packs chunks of several calls into one CTranslate2 batch; the results come
back here and are assembled on the call's timeline. Diarization is sent before ASR starts, so the two overlap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.pipeline.asr import hotword_text
from services.pipeline.asr_batch import ChunkRequest, assemble, plan_chunks
from services.pipeline.run import ModelManager
from services.pipeline.types import DecodedAudio, Diarization, Transcript
from services.settings import Settings


class RemoteChat:
    """A ChatModel whose answers come from the extraction deployment."""

    name = "serve"

    def __init__(self, handle: Any, timeout_s: float) -> None:
        self._handle, self._timeout_s = handle, timeout_s

    def complete_json(self, messages: list[dict[str, str]], schema: dict[str, Any], *, max_tokens: int,
                      temperature: float, seed: int) -> str:
        response = self._handle.complete_json.remote(messages, schema, max_tokens=max_tokens,
                                                     temperature=temperature, seed=seed)
        return response.result(timeout_s=self._timeout_s)


class RemoteModels(ModelManager):
    """ModelManager whose ASR, diarization and LLM live in deployments; spaCy (small, per-utterance) stays local."""

    def __init__(self, settings: Settings, *, asr: Any, diarization: Any, extraction: Any) -> None:
        super().__init__(settings)
        self._asr_handle, self._diar_handle, self._llm_handle = asr, diarization, extraction
        self._timeout_s = settings.serving.request_timeout_s

    def transcribe(self, samples: Any, *, language: str | None, vocabulary: tuple[str, ...],
                   telephone: bool) -> Transcript:
        asr = self._settings.asr
        plan = plan_chunks(samples, asr, telephone=telephone)
        language = language or asr.language
        if not plan.chunks:
            return assemble(plan, [], asr, language=language or "en", language_probability=0.0)
        probability = 1.0
        if language is None:
            language, probability = self._asr_handle.detect_language.remote(plan.chunks[0].samples).result(
                timeout_s=self._timeout_s)
        hotwords = hotword_text(vocabulary)
        # All chunks in flight at once: the deployment batches them with other calls' chunks.
        responses = [
            self._asr_handle.transcribe_chunk.remote(
                ChunkRequest(samples=c.samples, offset_s=c.offset_s, duration_s=c.duration_s, language=language,
                             hotwords=hotwords))
            for c in plan.chunks
        ]
        results = [r.result(timeout_s=self._timeout_s) for r in responses]
        return assemble(plan, results, asr, language=language, language_probability=probability)

    def start_diarization(self, audio: DecodedAudio, num_speakers: int | None) -> Callable[[], Diarization]:
        response = self._diar_handle.diarize.remote(audio, num_speakers)
        return lambda: response.result(timeout_s=self._timeout_s)

    @property
    def chat(self) -> Any:
        return RemoteChat(self._llm_handle, self._timeout_s)
