"""The Serve deployments. Each wraps one model from models/ / services/pipeline/ and nothing else; the pipeline
deployment composes them through DeploymentHandles (see app.py).

Settings travel as a plain dict (the deployment's init argument), rebuilt into `Settings` inside the replica, so
a replica on another node reads its own PARLEY_* environment for anything not given.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ray import serve

from services.errors import InputError, ParleyError
from services.pipeline.asr_batch import ChunkRequest, ChunkSegment, audio_seconds
from services.pipeline.options import CallOptions
from services.pipeline.types import DecodedAudio, Diarization
from services.settings import Settings

log = logging.getLogger("parley.serving")

ONE_CHUNK_S = 30  # the smallest batch budget: one full chunk (chunks are <= 30 s); batching off skips the queue


class AsrDeployment:
    """faster-whisper (CTranslate2). `transcribe_chunk` takes ONE <= 30 s chunk; with batching on, `serve.batch`
    packs chunks from every call in flight into one batch bounded in audio seconds, decoded by one batched
    CTranslate2 call."""

    def __init__(self, config: dict[str, Any]) -> None:
        from services.pipeline.run import ModelManager

        self.settings = Settings.model_validate(config)
        self.models = ModelManager(self.settings)
        self.model = self.models.asr  # load now: a replica is ready when its model is
        self.batches = 0
        self.batched_chunks = 0
        self._one_at_a_time = asyncio.Lock()
        self.reconfigure({"batching": self.settings.serving.asr_batching,
                          "batch_audio_s": self.settings.serving.asr_batch_audio_s,
                          "batch_wait_s": self.settings.serving.asr_batch_wait_s})

    def reconfigure(self, config: dict[str, Any]) -> None:
        """Live tuning through the deployment's user_config: {"batching", "batch_audio_s", "batch_wait_s"}."""
        self.batching = batching = bool(config.get("batching", True))
        size = int(config.get("batch_audio_s", self.settings.serving.asr_batch_audio_s)) if batching else ONE_CHUNK_S
        wait = float(config.get("batch_wait_s", self.settings.serving.asr_batch_wait_s)) if batching else 0.0
        self.batch_audio_s, self.batch_wait_s = max(size, ONE_CHUNK_S), wait
        self._decode_batch.set_max_batch_size(self.batch_audio_s)
        self._decode_batch.set_batch_wait_timeout_s(wait)
        log.info("ASR batching %s: up to %d audio s, wait %.3f s", "on" if batching else "off", size, wait)

    async def transcribe_chunk(self, request: ChunkRequest) -> list[ChunkSegment]:
        """One chunk in, its segments out. Batching off means one chunk per decode: a budget of 30 audio seconds
        alone would still pack two short tail chunks (1 s + 2 s) into one batch."""
        if self.batching:
            return await self._decode_batch(request)
        async with self._one_at_a_time:  # as the batch queue does: one decode at a time per replica
            return (await self._decode([request]))[0]

    @serve.batch(max_batch_size=240, batch_wait_timeout_s=0.05, batch_size_fn=audio_seconds)
    async def _decode_batch(self, requests: list[ChunkRequest]) -> list[list[ChunkSegment]]:
        return await self._decode(requests)

    async def _decode(self, requests: list[ChunkRequest]) -> list[list[ChunkSegment]]:
        from services.pipeline.asr_batch import transcribe_chunks

        self.batches += 1
        self.batched_chunks += len(requests)
        # Off the event loop: the replica keeps accepting chunks (and forming the next batch) while this decodes.
        return await asyncio.to_thread(transcribe_chunks, self.model, requests, self.settings.asr)

    def detect_language(self, samples: Any) -> tuple[str, float]:
        from services.pipeline.asr_batch import detect_language

        return detect_language(self.model, samples)

    def stats(self) -> dict[str, float]:
        return {"batches": self.batches, "chunks": self.batched_chunks,
                "max_batch_audio_s": self.batch_audio_s, "batch_wait_s": self.batch_wait_s}


class DiarizationDeployment:
    """pyannote from local checkpoints; one call at a time per replica (torch threads are set deliberately)."""

    def __init__(self, config: dict[str, Any]) -> None:
        from services.pipeline.run import ModelManager

        self.settings = Settings.model_validate(config)
        self.diarizer = ModelManager(self.settings).diarizer

    def diarize(self, audio: DecodedAudio, num_speakers: int | None) -> Diarization:
        return self.diarizer.diarize(audio, num_speakers=num_speakers)


class ExtractionDeployment:
    """The extraction LLM behind one ChatModel: llama.cpp in the replica (cpu), or an OpenAI-compatible client of
    a vLLM server (gpu profile, llm.backend=openai). llama.cpp keeps one KV cache: one request at a time."""

    def __init__(self, config: dict[str, Any]) -> None:
        from services.pipeline.run import ModelManager

        self.settings = Settings.model_validate(config)
        self.chat = ModelManager(self.settings).chat

    def complete_json(self, messages: list[dict[str, str]], schema: dict[str, Any], *, max_tokens: int,
                      temperature: float, seed: int) -> str:
        return self.chat.complete_json(messages, schema, max_tokens=max_tokens, temperature=temperature, seed=seed)


class PipelineDeployment:
    """One call end to end: decode, then ASR and diarization (overlapping, on their deployments), alignment, NLP
    here, extraction on its deployment. `run` streams progress events and ends with the result or an error."""

    def __init__(self, config: dict[str, Any], asr: Any, diarization: Any, extraction: Any) -> None:
        from services.serving.remote import RemoteModels

        self.settings = Settings.model_validate(config)
        self.models = RemoteModels(self.settings, asr=asr, diarization=diarization, extraction=extraction)
        self.models.nlp  # noqa: B018 -- load spaCy now: a replica is ready when its model is

    def run(self, audio: bytes, suffix: str, options: CallOptions) -> Iterator[tuple[Any, ...]]:
        """Yields ("progress", stage, fraction, message) ... then ("result", CallResult JSON) or
        ("error", code, message, retryable)."""
        events: queue.Queue[tuple[Any, ...]] = queue.Queue()
        worker = threading.Thread(target=self._run, args=(audio, suffix, options, events), daemon=True)
        worker.start()
        while True:
            event = events.get()
            yield event
            if event[0] in ("result", "error"):
                return

    def _run(self, audio: bytes, suffix: str, options: CallOptions, events: queue.Queue[tuple[Any, ...]]) -> None:
        from services.pipeline.run import run_call

        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="parley-call-") as tmp:
            path = Path(tmp) / f"call{suffix[:8] or '.bin'}"
            path.write_bytes(audio)
            try:
                result = run_call(path, options, models=self.models, settings=self.settings,
                                  progress=lambda stage, fraction, message: events.put(
                                      ("progress", stage, fraction, message)))
                events.put(("result", result.model_dump(mode="json")))
                log.info("call done in %.1f s", time.perf_counter() - started)
            except InputError as exc:
                events.put(("error", exc.code, exc.message, False))
            except ParleyError as exc:
                events.put(("error", exc.code, exc.message, True))
            except Exception as exc:  # noqa: BLE001 - reported to the worker, which retries
                log.exception("call failed")
                events.put(("error", "internal_error", f"{type(exc).__name__}: {exc}", True))
