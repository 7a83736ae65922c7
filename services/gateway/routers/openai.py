"""OpenAI-compatible POST /v1/audio/transcriptions (synchronous: the job is durable and queued like any other;
this request waits for it up to api.sync_timeout_s, then answers 504 sync_timeout with the call id)."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from services.errors import ParleyError
from services.gateway import serving
from services.gateway.deps import DbDep, SettingsDep, SubmitTenantDep
from services.gateway.errors import SyncTimeout
from services.gateway.protocol import LANG_PATTERN, CallOptionsIn
from services.store import jobs

router = APIRouter(prefix="/v1/audio", tags=["compat: openai"])


def _ts(t: float, sep: str) -> str:
    h, rem = divmod(max(0.0, t), 3600)
    m, s = divmod(rem, 60)
    return f"{int(h):02d}:{int(m):02d}:{int(s):02d}{sep}{int(round((s % 1) * 1000)):03d}"


def _subtitles(result: dict, fmt: str) -> str:
    lines = ["WEBVTT", ""] if fmt == "vtt" else []
    sep = "." if fmt == "vtt" else ","
    for i, u in enumerate(result.get("utterances", []), 1):
        if fmt == "srt":
            lines.append(str(i))
        lines += [f"{_ts(u['start'], sep)} --> {_ts(u['end'], sep)}", u["text"], ""]
    return "\n".join(lines)


@router.post("/transcriptions", responses={200: {"content": {"application/json": {}, "text/plain": {}}}})
async def transcriptions(
    tenant: SubmitTenantDep,
    db: DbDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="audio file")],
    model: Annotated[str, Form(max_length=100, description="accepted and ignored (server-side model)")] = "parley",
    language: Annotated[str | None, Form(pattern=LANG_PATTERN)] = None,
    prompt: Annotated[str | None, Form(max_length=1000, description="used as custom vocabulary")] = None,
    response_format: Annotated[Literal["json", "text", "verbose_json", "srt", "vtt"], Form()] = "json",
    temperature: Annotated[float, Form(ge=0, le=1)] = 0.0,
) -> Response:
    options = CallOptionsIn(language=language, vocabulary=[prompt] if prompt else [], diarization=False,
                            extract_lead=False)
    job = await run_in_threadpool(
        serving.accept_upload, db=db, settings=settings, tenant_id=tenant, fileobj=file.file,
        filename=file.filename, content_type=file.content_type, options=options, api="openai",
    )
    deadline = time.monotonic() + settings.api.sync_timeout_s

    def poll() -> tuple[str, dict | None, str | None, str | None]:
        with db.session() as s:
            j = jobs.get_job(s, tenant_id=tenant, job_id=job.id)
            if j is None:
                return "failed", None, "not_found", "the call was deleted"
            res = jobs.get_result(s, job_id=j.id) if j.status == "succeeded" else None
            return j.status, res, j.error_code, j.error_message

    while True:
        status, result, code, message = await run_in_threadpool(poll)
        if status in ("succeeded", "failed"):
            break
        if time.monotonic() > deadline:
            raise SyncTimeout(f"call {job.id} is still {status}")
        await asyncio.sleep(0.2)
    if status == "failed":
        err = ParleyError(message or "transcription failed", code=code or "internal_error")
        err.http_status = 422 if code and code.startswith("audio_") else 500
        raise err
    assert result is not None
    text = " ".join(u["text"] for u in result.get("utterances", []))
    if response_format == "text":
        return PlainTextResponse(text)
    if response_format in ("srt", "vtt"):
        return PlainTextResponse(_subtitles(result, response_format))
    if response_format == "json":
        return JSONResponse({"text": text})
    return JSONResponse({
        "task": "transcribe", "language": result.get("language"), "duration": result["audio"]["duration_s"],
        "text": text,
        "segments": [{"id": i, "start": u["start"], "end": u["end"], "text": u["text"]}
                     for i, u in enumerate(result.get("utterances", []))],
        "words": [{"word": w["text"], "start": w["start"], "end": w["end"]} for w in result.get("words", [])],
    })
