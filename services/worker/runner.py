"""Runners: what the worker calls to turn an audio file into a CallResult.

A runner is any callable `(audio_path, options, progress) -> CallResult`; the worker takes it as an argument,
so unit tests inject fakes. `make_runner(settings)` builds the configured one: the real pipeline (models
loaded lazily, once per worker process) or the TEST-ONLY fake (settings.worker.runner == "fake").
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from services.pipeline.lead_context import CallContext
from services.pipeline.options import CallOptions, ProgressCallback
from services.pipeline.types import CallResult
from services.settings import Settings

Runner = Callable[[Path, CallOptions, ProgressCallback], CallResult]


def call_options(data: dict[str, Any]) -> CallOptions:
    """Job options (JSON in the store) -> CallOptions; unknown keys are ignored, lists become tuples, the
    `context` object becomes a CallContext."""
    fields = CallOptions.__dataclass_fields__
    kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in fields and k != "context"}
    context = data.get("context")
    if isinstance(context, dict):
        names = CallContext.__dataclass_fields__
        kw["context"] = CallContext(**{k: (tuple(v) if isinstance(v, list) else v)
                                       for k, v in context.items() if k in names})
    return CallOptions(**kw)


def pipeline_runner(settings: Settings) -> Runner:
    """The real pipeline. Imported here, not at module import: the gateway must never import torch."""
    from services.pipeline.run import ModelManager, run_call

    models = ModelManager(settings)  # loads lazily, kept for the life of this worker process

    def run(path: Path, options: CallOptions, progress: ProgressCallback) -> CallResult:
        return run_call(path, options, models=models, settings=settings, progress=progress)

    return run


def serve_runner(settings: Settings) -> Runner:
    """Hand each call to the Ray Serve app (serving.backend=ray): the worker keeps the job's lease, progress and
    result writes; the models run in Serve replicas. The audio travels as bytes, so a replica on another node
    needs no shared disk. A replica or node dying mid-call surfaces here as an exception: the worker records a
    retryable failure and the job is run again (the store's lease makes the result exactly-once)."""
    from services.errors import InputError, ParleyError
    from services.serving.runtime import app_handle, connect

    connect(settings)
    handle = app_handle(settings).options(stream=True)

    def run(path: Path, options: CallOptions, progress: ProgressCallback) -> CallResult:
        events = handle.run.remote(path.read_bytes(), path.suffix, options)
        try:
            for event in events:
                kind = event[0]
                if kind == "progress":
                    progress(event[1], event[2], event[3])
                elif kind == "result":
                    return CallResult.model_validate(event[1])
                elif kind == "error":
                    _, code, message, retryable = event
                    raise (ParleyError if retryable else InputError)(message, code=code)
        except BaseException:
            events.cancel()  # lease lost or the call failed: stop the replica's work too
            raise
        raise ParleyError("the Serve app ended the call without a result", code="serving_error")

    return run


def make_runner(settings: Settings) -> Runner:
    if settings.worker.runner == "fake":
        from services.worker.fake import fake_runner

        return fake_runner(settings)
    if settings.serving.backend == "ray":
        return serve_runner(settings)
    return pipeline_runner(settings)
