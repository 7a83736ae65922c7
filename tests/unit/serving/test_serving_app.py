"""The Serve app's composition with fake models, in Ray Serve's local testing mode (no Ray processes): calls flow
pipeline -> ASR (batched across calls) + diarization -> alignment -> NLP, progress streams, errors keep their
codes, batching on/off changes the batches and nothing else."""

from __future__ import annotations

import threading
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("ray.serve")

from ray import serve  # noqa: E402

import services.pipeline.asr_batch as asr_batch  # noqa: E402
import services.pipeline.run as run  # noqa: E402
import services.serving.remote as remote  # noqa: E402
from services.pipeline.asr_batch import ChunkPlan, ChunkSegment, ChunkWord, SpeechChunk  # noqa: E402
from services.pipeline.options import CallOptions  # noqa: E402
from services.pipeline.types import Diarization, Turn  # noqa: E402
from services.settings import Settings  # noqa: E402
from services.serving.app import build_app_from_settings  # noqa: E402

RATE = 16000


@pytest.fixture(autouse=True)
def _local_batch_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    # Ray 2.60's batch queue reads the replica context to log a warning; local testing mode has none.
    import ray.serve.batching as batching

    monkeypatch.setattr(batching._BatchQueue, "_warn_if_max_batch_size_exceeds_max_ongoing_requests",
                        lambda self: None)


class FakeAsrModel:
    """Stands in for WhisperModel: the fake transcribe_chunks below never touches it."""


class FakeDiarizer:
    def diarize(self, audio: Any, *, num_speakers: int | None = None) -> Diarization:
        half = audio.duration_s / 2
        return Diarization(turns=(Turn(start=0.0, end=half, speaker="SPEAKER_00"),
                                  Turn(start=half, end=audio.duration_s, speaker="SPEAKER_01")),
                           speakers=("SPEAKER_00", "SPEAKER_01"))


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    seen: dict[str, list[Any]] = {"batches": [], "languages": []}
    lock = threading.Lock()

    def plan_chunks(samples: np.ndarray, settings: Any, *, telephone: bool = False) -> ChunkPlan:
        # Speech everywhere, cut at 30 s like the real planner.
        duration = len(samples) / RATE
        starts = np.arange(0.0, duration, 30.0)
        chunks = tuple(SpeechChunk(samples=samples[int(s * RATE):int(min(s + 30, duration) * RATE)], offset_s=float(s),
                                   duration_s=float(min(30.0, duration - s))) for s in starts)
        return ChunkPlan(chunks=chunks, speech=({"start": 0, "end": len(samples)},), duration_s=duration)

    def transcribe_chunks(model: Any, requests: list[Any], settings: Any) -> list[list[ChunkSegment]]:
        with lock:
            seen["batches"].append(len(requests))
        out = []
        for r in requests:
            # Two words per chunk, named after where the chunk starts: the assembled transcript shows the order.
            t = r.offset_s
            words = [ChunkWord(start=t + 1.0, end=t + 1.5, word=f" at{int(t)}", probability=0.9),
                     ChunkWord(start=t + 20.0, end=t + 20.5, word=" words.", probability=0.9)]
            out.append([ChunkSegment(start=t, end=t + r.duration_s, text=f" at{int(t)} words.", avg_logprob=-0.1,
                                     no_speech_prob=0.01, compression_ratio=1.0, words=words)])
        return out

    def detect_language(model: Any, samples: Any) -> tuple[str, float]:
        seen["languages"].append(len(samples))
        return "en", 0.99

    monkeypatch.setattr(remote, "plan_chunks", plan_chunks)
    monkeypatch.setattr(asr_batch, "transcribe_chunks", transcribe_chunks)
    monkeypatch.setattr(asr_batch, "detect_language", detect_language)
    monkeypatch.setattr(run.ModelManager, "asr", property(lambda self: FakeAsrModel()))
    monkeypatch.setattr(run.ModelManager, "diarizer", property(lambda self: FakeDiarizer()))
    monkeypatch.setattr(run.ModelManager, "chat", property(lambda self: object()))  # calls here skip extraction
    return seen


def wav_bytes(tmp_path: Path, seconds: float) -> bytes:
    path = tmp_path / f"call{seconds}.wav"
    t = np.arange(int(seconds * RATE)) / RATE
    samples = (0.2 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(RATE)
        w.writeframes(samples.tobytes())
    return path.read_bytes()


def settings_for(batching: bool) -> Settings:
    return Settings(serving={"asr_batching": batching, "asr_batch_wait_s": 0.5})


def run_call(handle: Any, audio: bytes, **options: Any) -> list[tuple[Any, ...]]:
    opts = CallOptions(extract_lead=False, **options)
    return list(handle.options(stream=True).run.remote(audio, ".wav", opts))


def concurrent_calls(handle: Any, audios: list[bytes]) -> list[list[tuple[Any, ...]]]:
    results: list[Any] = [None] * len(audios)

    def one(i: int) -> None:
        results[i] = run_call(handle, audios[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(audios))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_call_flows_through_the_deployments_with_progress(fakes: dict[str, list[Any]], tmp_path: Path) -> None:
    handle = serve.run(build_app_from_settings(settings_for(True)), name="t1", _local_testing_mode=True)
    events = run_call(handle, wav_bytes(tmp_path, 65.0))
    kinds = [e[0] for e in events]
    assert kinds[-1] == "result" and set(kinds[:-1]) == {"progress"}
    stages = [e[1] for e in events if e[0] == "progress" and e[2] == 1.0]
    assert stages == ["decode", "asr", "diarization", "alignment", "nlp"]
    result = events[-1][1]
    # Three chunks (0, 30, 60 s), their words in call order, attributed by the fake diarization's two halves.
    assert [w["text"] for w in result["words"]] == ["at0", "words.", "at30", "words.", "at60", "words."]
    assert [w["speaker"] for w in result["words"]][:2] == ["SPEAKER_00", "SPEAKER_00"]
    assert result["words"][-1]["speaker"] == "SPEAKER_01"
    assert result["language"] == "en"
    assert fakes["languages"], "the language was detected on the deployment"


def test_chunks_of_concurrent_calls_share_batches(fakes: dict[str, list[Any]], tmp_path: Path) -> None:
    handle = serve.run(build_app_from_settings(settings_for(True)), name="t2", _local_testing_mode=True)
    audios = [wav_bytes(tmp_path, 95.0), wav_bytes(tmp_path, 100.0), wav_bytes(tmp_path, 105.0)]
    results = concurrent_calls(handle, audios)
    assert all(r[-1][0] == "result" for r in results)
    # 12 chunks in all (4 per call); batches hold up to 240 audio s (8 chunks): fewer batches than chunks, and
    # at least one batch carries chunks of more than one call.
    assert sum(fakes["batches"]) == 12
    assert max(fakes["batches"]) > 4


def test_batching_off_sends_one_chunk_per_batch(fakes: dict[str, list[Any]], tmp_path: Path) -> None:
    handle = serve.run(build_app_from_settings(settings_for(False)), name="t3", _local_testing_mode=True)
    results = concurrent_calls(handle, [wav_bytes(tmp_path, 61.0), wav_bytes(tmp_path, 62.0)])
    assert all(r[-1][0] == "result" for r in results)
    assert fakes["batches"] and set(fakes["batches"]) == {1}
    on = [w["text"] for w in results[0][-1][1]["words"]]
    assert on == ["at0", "words.", "at30", "words.", "at60", "words."]


def test_bad_audio_is_an_input_error_with_its_code(fakes: dict[str, list[Any]]) -> None:
    handle = serve.run(build_app_from_settings(settings_for(True)), name="t4", _local_testing_mode=True)
    events = list(handle.options(stream=True).run.remote(b"not audio at all", ".wav", CallOptions()))
    assert events[-1][0] == "error"
    _, code, message, retryable = events[-1]
    assert code == "audio_undecodable" and retryable is False and message


def test_remote_chat_forwards_to_the_extraction_handle() -> None:
    class Response:
        def __init__(self, value: str) -> None:
            self.value = value

        def result(self, timeout_s: float) -> str:
            return self.value

    class Method:
        def __init__(self) -> None:
            self.calls: list[Any] = []

        def remote(self, *args: Any, **kwargs: Any) -> Response:
            self.calls.append((args, kwargs))
            return Response('{"ok": true}')

    class Handle:
        complete_json = Method()

    chat = remote.RemoteChat(Handle(), timeout_s=5.0)
    out = chat.complete_json([{"role": "user", "content": "hi"}], {"type": "object"}, max_tokens=8,
                             temperature=0.0, seed=1)
    assert out == '{"ok": true}'
    (args, kwargs), = Handle.complete_json.calls
    assert args[0][0]["content"] == "hi" and kwargs == {"max_tokens": 8, "temperature": 0.0, "seed": 1}
