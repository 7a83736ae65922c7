"""Cross-call batched ASR on CTranslate2's batched Whisper API.

faster-whisper's `BatchedInferencePipeline` batches the VAD chunks of ONE file. A server with several calls in
flight wants one encoder pass over chunks of SEVERAL calls, so the work is split in three:

1. `plan_chunks` (caller side, no Whisper): Silero VAD, then speech merged into chunks of at most 30 s, each
   with its offset in the speech-only timeline. Cheap; runs where the call is.
2. `transcribe_chunks` (model side): any list of `ChunkRequest`s, from any calls, grouped by language, encoded
   in one `model.encode` per group and decoded in one batched `generate`, each item with its own prompt (its
   call's hotwords), then word timestamps from the same encoder output.
3. `assemble` (caller side): one call's chunk results back on the original timeline, through the same
   hallucination guards and repetition cut as the sequential path (`services/pipeline/asr.py`).

What batching changes, measured in benchmarks/results (serving report): chunks are decoded without the previous
window's text as context (`condition_on_previous_text` has no meaning across calls) and without temperature
fallback; the guards still drop what fails them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from services.pipeline.asr import build_transcript
from services.pipeline.types import Transcript
from services.settings import AsrSettings

if TYPE_CHECKING:  # faster_whisper pulls ctranslate2 + onnxruntime: import only when used
    from faster_whisper import WhisperModel

SAMPLE_RATE = 16000
CHUNK_S = 30.0  # Whisper's window: a chunk longer than this would be cut, so VAD splits speech at it
PREPEND_PUNCTUATIONS = "\"'“¿([{-"
APPEND_PUNCTUATIONS = "\"'.。,，!！?？:：”)]}、"
WITHOUT_TIMESTAMPS = True


@dataclass(frozen=True)
class SpeechChunk:
    """At most 30 s of speech (VAD segments joined), with where it sits in the call's speech-only timeline."""

    samples: np.ndarray
    offset_s: float
    duration_s: float


@dataclass(frozen=True)
class ChunkPlan:
    """One call's speech cut for batching; `speech` (VAD segments, in samples) maps results back to call time."""

    chunks: tuple[SpeechChunk, ...]
    speech: tuple[dict[str, int], ...]
    duration_s: float

    @property
    def speech_s(self) -> float:
        return sum(c.duration_s for c in self.chunks)


@dataclass(frozen=True)
class ChunkRequest:
    """One chunk to transcribe; requests from different calls can share a batch."""

    samples: np.ndarray
    offset_s: float
    duration_s: float
    language: str
    hotwords: str | None = None


@dataclass
class ChunkWord:
    start: float
    end: float
    word: str
    probability: float


@dataclass
class ChunkSegment:
    """A decoded segment, times on the call's speech-only timeline (until `assemble` restores them)."""

    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    words: list[ChunkWord] = field(default_factory=list)


def audio_seconds(requests: Sequence[ChunkRequest]) -> int:
    """Batch size in audio seconds (for `serve.batch(batch_size_fn=...)`): a batch is bounded by work, not count."""
    return int(np.ceil(sum(r.duration_s for r in requests)))


def plan_chunks(samples: np.ndarray, settings: AsrSettings, *, telephone: bool = False) -> ChunkPlan:
    """16 kHz float32 mono -> speech chunks of <= 30 s. VAD runs here (Silero, ONNX, no Whisper weights)."""
    from faster_whisper.vad import VadOptions, collect_chunks, get_speech_timestamps

    duration = len(samples) / SAMPLE_RATE
    if settings.vad_filter:
        vad = VadOptions(
            threshold=settings.vad_threshold_telephone if telephone else settings.vad_threshold,
            min_silence_duration_ms=settings.vad_min_silence_ms,
            max_speech_duration_s=CHUNK_S,
        )
        speech = get_speech_timestamps(samples, vad)
    else:  # no VAD: fixed 30 s windows, so no chunk is ever cut
        step = int(CHUNK_S * SAMPLE_RATE)
        speech = [{"start": s, "end": min(s + step, len(samples))} for s in range(0, len(samples), step)]
    if not speech:
        return ChunkPlan(chunks=(), speech=(), duration_s=duration)
    audio_chunks, metadata = collect_chunks(samples, speech, max_duration=CHUNK_S)
    chunks = tuple(
        SpeechChunk(samples=np.ascontiguousarray(a, dtype=np.float32), offset_s=float(m["offset"]),
                    duration_s=float(m["duration"]))
        for a, m in zip(audio_chunks, metadata)
        if len(a)
    )
    return ChunkPlan(chunks=chunks, speech=tuple(speech), duration_s=duration)


def detect_language(model: WhisperModel, samples: np.ndarray) -> tuple[str, float]:
    """Language of one chunk (the call's first speech). An English-only model answers "en" without decoding."""
    if not model.model.is_multilingual:
        return "en", 1.0
    features = model.feature_extractor(samples)[..., :-1]
    language, probability, _ = model.detect_language(features=features)
    return language, float(probability)


def transcribe_chunks(model: WhisperModel, requests: Sequence[ChunkRequest], settings: AsrSettings) -> list[list[ChunkSegment]]:
    """Decode chunks of any calls together: one encoder pass and one batched beam search per language."""
    out: list[list[ChunkSegment] | None] = [None] * len(requests)
    by_language: dict[str, list[int]] = {}
    for i, r in enumerate(requests):
        by_language.setdefault(r.language, []).append(i)
    for language, idx in by_language.items():
        for i, segments in zip(idx, _decode_group(model, [requests[i] for i in idx], language, settings)):
            out[i] = segments
    return [o or [] for o in out]


def _decode_group(model: WhisperModel, requests: list[ChunkRequest], language: str,
                  settings: AsrSettings) -> list[list[ChunkSegment]]:
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import get_compression_ratio, get_suppressed_tokens

    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language)
    features = np.stack([pad_or_trim(model.feature_extractor(r.samples)[..., :-1]) for r in requests])
    encoder_output = model.encode(features)
    # Each item keeps its own call's hotwords; CTranslate2 takes one prompt per batch item.
    prompts = [model.get_prompt(tokenizer, previous_tokens=[], without_timestamps=WITHOUT_TIMESTAMPS, hotwords=r.hotwords)
               for r in requests]
    results = model.model.generate(
        encoder_output,
        prompts,
        beam_size=settings.beam_size,
        patience=1.0,
        length_penalty=1.0,
        max_length=model.max_length,
        suppress_blank=True,
        suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
        return_scores=True,
        return_no_speech_prob=True,
        sampling_temperature=0.0,
    )
    segmented: list[list[dict[str, Any]]] = []
    sizes: list[int] = []
    for r, result in zip(requests, results):
        tokens = result.sequences_ids[0]
        seq_len = len(tokens)
        avg_logprob = result.scores[0] * seq_len / (seq_len + 1)
        size = int(np.ceil(r.duration_s) * model.frames_per_second)
        sizes.append(size)
        subsegments, _, _ = model._split_segments_by_timestamps(
            tokenizer=tokenizer, tokens=tokens, time_offset=r.offset_s, segment_size=size,
            segment_duration=r.duration_s, seek=0,
        )
        segmented.append([
            {"text": tokenizer.decode(sub["tokens"]), "tokens": sub["tokens"], "start": sub["start"],
             "end": sub["end"], "avg_logprob": avg_logprob, "no_speech_prob": result.no_speech_prob,
             "compression_ratio": get_compression_ratio(tokenizer.decode(sub["tokens"])),
             "seek": int(r.offset_s * model.frames_per_second)}
            for sub in subsegments
        ])
    # Word timings come from cross-attention over the same encoder output: no second encoder pass.
    model.add_word_timestamps(segmented, tokenizer, encoder_output, sizes, PREPEND_PUNCTUATIONS,
                              APPEND_PUNCTUATIONS, 0.0)
    return [
        [ChunkSegment(start=float(s["start"]), end=float(s["end"]), text=s["text"],
                      avg_logprob=float(s["avg_logprob"]), no_speech_prob=float(s["no_speech_prob"]),
                      compression_ratio=float(s["compression_ratio"]),
                      words=[ChunkWord(start=float(w["start"]), end=float(w["end"]), word=w["word"],
                                       probability=float(w["probability"])) for w in s.get("words", [])])
         for s in item]
        for item in segmented
    ]


def assemble(plan: ChunkPlan, results: Sequence[Sequence[ChunkSegment]], settings: AsrSettings, *,
             language: str, language_probability: float) -> Transcript:
    """One call's chunk results (in plan order) -> Transcript on the call's own timeline, guards applied."""
    from faster_whisper.transcribe import Segment, Word, restore_speech_timestamps

    segments = [
        Segment(id=i, seek=0, start=s.start, end=s.end, text=s.text, tokens=[], avg_logprob=s.avg_logprob,
                compression_ratio=s.compression_ratio, no_speech_prob=s.no_speech_prob, temperature=0.0,
                words=[Word(start=w.start, end=w.end, word=w.word, probability=w.probability) for w in s.words])
        for i, s in enumerate(seg for chunk in results for seg in chunk)
    ]
    if plan.speech:
        segments = list(restore_speech_timestamps(segments, list(plan.speech), SAMPLE_RATE))
    return build_transcript(segments, language=language, language_probability=language_probability,
                            settings=settings)
