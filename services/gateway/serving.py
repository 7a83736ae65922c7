"""Logic behind the /v1 endpoints (and reused by the compat APIs): accept uploads and URLs as durable jobs,
render job views, delete. Blocking work (files, database) runs here in plain functions; async routers call it
through the thread pool."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, BinaryIO

from services.audioprobe import probe_duration
from services.errors import AudioEmpty, AudioTooLarge, AudioTooLong
from services.gateway.errors import NotFound, RateLimited, UnsupportedMediaType
from services.gateway.protocol import AudioView, CallOptionsIn, CallView, CreateCallFromUrl, ErrorInfo
from services.netguard import check_url
from services.settings import Settings
from services.store import jobs
from services.store.db import Database
from services.store.models import Job
from services.store.retention import remove_audio
from services.worker.loop import audio_dir

_SUFFIXES = {"audio/wav": ".wav", "audio/x-wav": ".wav", "audio/wave": ".wav", "audio/mpeg": ".mp3",
             "audio/mp3": ".mp3", "audio/flac": ".flac", "audio/ogg": ".ogg", "audio/mp4": ".m4a",
             "audio/x-m4a": ".m4a", "audio/webm": ".webm"}


def new_job_id() -> str:
    return uuid.uuid4().hex


def base_content_type(value: str | None) -> str:
    return (value or "application/octet-stream").split(";", 1)[0].strip().lower()


def check_content_type(value: str | None, settings: Settings) -> str:
    ctype = base_content_type(value)
    if ctype not in settings.api.allowed_content_types:
        raise UnsupportedMediaType(f"content type {ctype!r} is not accepted",
                                   hint="send audio/* (wav, mp3, flac, ogg, m4a) or application/octet-stream")
    return ctype


def _check_queue(db: Database, settings: Settings) -> None:
    with db.session() as s:
        queued = jobs.count_queued(s)
    if queued >= settings.api.max_queued_jobs:
        raise RateLimited(f"{queued} jobs are queued; try again later", retry_after_s=5.0, code="queue_full")


def _check_duration(duration: float, settings: Settings) -> None:
    if duration > settings.limits.max_duration_s:
        raise AudioTooLong(f"audio is {duration:.0f} s long, the limit is {settings.limits.max_duration_s:.0f} s")
    if 0 < duration < settings.limits.min_duration_s:
        raise AudioEmpty(f"audio is {duration:.2f} s long, the minimum is {settings.limits.min_duration_s} s")


def accept_upload(
    *, db: Database, settings: Settings, tenant_id: str, fileobj: BinaryIO, filename: str | None,
    content_type: str | None, options: CallOptionsIn, api: str = "parley", actor: str | None = None,
    extra_options: dict[str, Any] | None = None,
) -> Job:
    """Store the upload, probe it, and create the job row (queued). Nothing is left behind on refusal."""
    ctype = check_content_type(content_type, settings)
    if options.callback_url:
        check_url(options.callback_url, network=settings.network)
    _check_queue(db, settings)
    job_id = new_job_id()
    dest = audio_dir(settings, tenant_id) / f"{job_id}{_SUFFIXES.get(ctype, Path(filename or '').suffix[:8] or '.bin')}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    max_bytes = int(settings.limits.max_file_mb * 1024 * 1024)
    try:
        n = 0
        with open(dest, "wb") as out:
            while chunk := fileobj.read(1 << 20):
                n += len(chunk)
                if n > max_bytes:
                    raise AudioTooLarge(f"upload exceeds {settings.limits.max_file_mb:g} MB")
                out.write(chunk)
        duration = probe_duration(dest)
        _check_duration(duration, settings)
        with db.session() as s:
            return jobs.create_job(
                s, job_id=job_id, tenant_id=tenant_id, source="upload", api=api,
                options={**options.pipeline_options(), **(extra_options or {})}, max_attempts=settings.worker.max_attempts,
                actor=actor or f"tenant:{tenant_id}", audio_path=str(dest), filename=(filename or "")[:255] or None,
                content_type=ctype, audio_bytes=n, audio_duration_s=duration, callback_url=options.callback_url,
                metadata=options.metadata, correlation_id=options.correlation_id,
            )
    except BaseException:
        dest.unlink(missing_ok=True)
        raise


def accept_url(
    *, db: Database, settings: Settings, tenant_id: str, request: CreateCallFromUrl, api: str = "parley",
    actor: str | None = None, extra_options: dict[str, Any] | None = None,
) -> Job:
    check_url(request.audio_url, network=settings.network)
    if request.callback_url:
        check_url(request.callback_url, network=settings.network)
    _check_queue(db, settings)
    with db.session() as s:
        return jobs.create_job(
            s, job_id=new_job_id(), tenant_id=tenant_id, source="url", api=api,
            options={**request.pipeline_options(), **(extra_options or {})}, max_attempts=settings.worker.max_attempts,
            actor=actor or f"tenant:{tenant_id}", audio_url=request.audio_url, callback_url=request.callback_url,
            metadata=request.metadata, correlation_id=request.correlation_id,
        )


def load(db: Database, *, tenant_id: str, job_id: str, with_result: bool = True) -> tuple[Job, dict[str, Any] | None]:
    with db.session() as s:
        job = jobs.get_job(s, tenant_id=tenant_id, job_id=job_id)
        if job is None:
            raise NotFound(f"no call {job_id!r}")
        result = jobs.get_result(s, job_id=job_id) if with_result and job.status == "succeeded" else None
        s.expunge(job)
    return job, result


def error_info(job: Job) -> ErrorInfo | None:
    return ErrorInfo(code=job.error_code, message=job.error_message) if job.status == "failed" and job.error_code else None


def call_view(job: Job, result: dict[str, Any] | None) -> CallView:
    progress = {k: float(v) for k, v in (job.progress or {}).items() if isinstance(v, (int, float))}
    return CallView(
        id=job.id, status=job.status, created_at=job.created_at, updated_at=job.updated_at,
        started_at=job.started_at, finished_at=job.finished_at, attempts=job.attempts, progress=progress,
        current_stage=(job.progress or {}).get("stage"), options=job.options or {}, callback_url=job.callback_url,
        metadata=job.meta or {}, correlation_id=job.correlation_id, error=error_info(job),
        audio=AudioView(source=job.source, filename=job.filename, content_type=job.content_type,
                        bytes=job.audio_bytes, duration_s=job.audio_duration_s, url=job.audio_url),
        result=result,
    )


def delete_call(db: Database, *, tenant_id: str, job_id: str) -> None:
    with db.session() as s:
        job = jobs.delete_job(s, job_id=job_id, tenant_id=tenant_id, actor=f"tenant:{tenant_id}")
    if job is None:
        raise NotFound(f"no call {job_id!r}")
    remove_audio(job.audio_path)
