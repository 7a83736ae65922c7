"""TEST-ONLY runner: no models, a synthetic CallResult after `settings.worker.fake_stage_s` per stage.

Selected with PARLEY_WORKER__RUNNER=fake for end-to-end tests of the service (the real models are exercised
by the integration tests). Never use it in production: it does not transcribe anything.
"""

from __future__ import annotations

import time
from pathlib import Path

from services.audioprobe import probe_duration
from services.pipeline.options import STAGES, CallOptions, ProgressCallback
from services.pipeline.types import CallResult
from services.settings import Settings
from services.worker.runner import Runner


def fake_runner(settings: Settings) -> Runner:
    stage_s = settings.worker.fake_stage_s

    def run(path: Path, options: CallOptions, progress: ProgressCallback) -> CallResult:
        duration = probe_duration(path)
        timings: dict[str, float] = {}
        for stage in STAGES:
            progress(stage, 0.0, "start")
            t0 = time.perf_counter()
            time.sleep(stage_s)
            timings[stage] = time.perf_counter() - t0
            progress(stage, 1.0, "done")
        # model_validate from plain JSON: the fake follows the wire contract, not the constructors
        return CallResult.model_validate({
            "audio": {"duration_s": duration, "sample_rate": 16000, "channels": 1, "codec": "pcm_s16le",
                      "container": "wav"},
            "language": options.language or "en",
            "speakers": [{"id": "SPEAKER_00", "talk_time_s": 0.9, "words": 2}],
            "words": [{"start": 0.0, "end": 0.4, "text": "hello", "confidence": 0.9, "speaker": "SPEAKER_00"},
                      {"start": 0.5, "end": 0.9, "text": "world", "confidence": 0.9, "speaker": "SPEAKER_00"}],
            "utterances": [{"id": "u0", "start": 0.0, "end": 0.9, "speaker": "SPEAKER_00", "text": "hello world",
                            "redacted_text": "hello world", "word_range": [0, 2]}],
            "entities": [], "lead": None, "timings": timings, "models": {"fake": "test-only"},
        })

    return run
