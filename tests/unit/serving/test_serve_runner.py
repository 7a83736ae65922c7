"""The worker's Serve runner with a fake app handle: progress reaches the worker, results validate, error events
keep their code and retryability, and a failure mid-stream cancels the call on the replica."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import services.serving.runtime as runtime
from services.errors import InputError, ParleyError
from services.pipeline.options import CallOptions
from services.settings import Settings
from services.worker.runner import make_runner

class Stream:
    def __init__(self, events: list[Any]) -> None:
        self.events, self.cancelled = events, False

    def __iter__(self):
        for e in self.events:
            if isinstance(e, BaseException):
                raise e
            yield e

    def cancel(self) -> None:
        self.cancelled = True


class Handle:
    def __init__(self, events: list[Any]) -> None:
        self.stream = Stream(events)
        self.sent: list[Any] = []
        outer = self

        class Run:
            def remote(self, *args: Any) -> Stream:
                outer.sent.append(args)
                return outer.stream

        self.run = Run()

    def options(self, **kw: Any) -> Handle:
        assert kw == {"stream": True}
        return self


def runner_for(monkeypatch: pytest.MonkeyPatch, events: list[Any]) -> tuple[Any, Handle]:
    handle = Handle(events)
    monkeypatch.setattr(runtime, "connect", lambda settings: "127.0.0.1:6379")
    monkeypatch.setattr(runtime, "app_handle", lambda settings: handle)
    return make_runner(Settings(serving={"backend": "ray"})), handle


@pytest.fixture
def audio(tmp_path: Path) -> Path:
    path = tmp_path / "call.wav"
    path.write_bytes(b"RIFF....WAVE")
    return path


def test_progress_then_result(monkeypatch: pytest.MonkeyPatch, audio: Path) -> None:
    run, handle = runner_for(monkeypatch, [("progress", "asr", 0.0, "transcribing"), ("progress", "asr", 1.0, "done"),
                                          ("result", _result_json())])
    seen: list[tuple[str, float]] = []
    result = run(audio, CallOptions(extract_lead=False), lambda st, f, m: seen.append((st, f)))
    assert seen == [("asr", 0.0), ("asr", 1.0)]
    assert result.language == "en"
    data, suffix, options = handle.sent[0]
    assert data == audio.read_bytes() and suffix == ".wav" and options.extract_lead is False


def test_input_error_is_not_retryable(monkeypatch: pytest.MonkeyPatch, audio: Path) -> None:
    run, _ = runner_for(monkeypatch, [("error", "audio_undecodable", "cannot decode", False)])
    with pytest.raises(InputError) as err:
        run(audio, CallOptions(), lambda *a: None)
    assert err.value.code == "audio_undecodable"


def test_replica_failure_is_retryable(monkeypatch: pytest.MonkeyPatch, audio: Path) -> None:
    run, _ = runner_for(monkeypatch, [("error", "internal_error", "ActorDiedError: node gone", True)])
    with pytest.raises(ParleyError) as err:
        run(audio, CallOptions(), lambda *a: None)
    assert not isinstance(err.value, InputError) and err.value.code == "internal_error"


def test_lost_lease_cancels_the_call_on_the_replica(monkeypatch: pytest.MonkeyPatch, audio: Path) -> None:
    run, handle = runner_for(monkeypatch, [("progress", "asr", 0.0, "x"), ("result", _result_json())])

    class LeaseLost(Exception):
        pass

    def progress(*_: Any) -> None:
        raise LeaseLost

    with pytest.raises(LeaseLost):
        run(audio, CallOptions(), progress)
    assert handle.stream.cancelled


def test_stream_ending_without_result_is_an_error(monkeypatch: pytest.MonkeyPatch, audio: Path) -> None:
    run, _ = runner_for(monkeypatch, [("progress", "asr", 0.0, "x")])
    with pytest.raises(ParleyError) as err:
        run(audio, CallOptions(), lambda *a: None)
    assert err.value.code == "serving_error"


def _result_json() -> dict[str, Any]:
    return {
        "audio": {"duration_s": 1.0, "sample_rate": 16000, "channels": 1, "codec": "pcm_s16le", "container": "wav"},
        "language": "en", "speakers": [], "words": [], "utterances": [], "entities": [], "lead": None,
        "timings": {}, "models": {},
    }
