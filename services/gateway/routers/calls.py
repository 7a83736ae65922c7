"""/v1/calls: submit, inspect, list, delete calls; their audio and audit trail."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from services.gateway import serving
from services.gateway.deps import DbDep, SettingsDep, SubmitTenantDep, TenantDep
from services.gateway.errors import InvalidRequest, NotFound, UnsupportedMediaType
from services.gateway.protocol import (
    AuditView, CallAccepted, CallList, CallOptionsIn, CallSummary, CallView, CreateCallFromUrl, JobStatus,
)
from services.store import audit, jobs

router = APIRouter(prefix="/v1/calls", tags=["calls"])

_ERRORS = {
    401: {"description": "missing or unknown API key (code unauthorized)"},
    413: {"description": "audio_too_large | audio_too_long"},
    415: {"description": "unsupported_media_type | audio_undecodable"},
    422: {"description": "validation_error | audio_empty | url_not_allowed | invalid_request"},
    429: {"description": "rate_limited | queue_full (Retry-After header)"},
}

_CREATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/CreateCallFromUrl"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "the recording"},
                        "options": {"type": "string",
                                    "description": "JSON object with the fields of CallOptionsIn"},
                    },
                }
            },
        },
    }
}


def _status_url(request: Request, settings, job_id: str) -> str:  # noqa: ANN001
    base = settings.api.public_url.rstrip("/") if settings.api.public_url else str(request.base_url).rstrip("/")
    return f"{base}/v1/calls/{job_id}"


def _parse_options(raw: str | None) -> CallOptionsIn:
    if raw is None or raw == "":
        return CallOptionsIn()
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise InvalidRequest("the `options` form field is not JSON") from exc
    if not isinstance(data, dict):
        raise InvalidRequest("the `options` form field must be a JSON object")
    try:
        return CallOptionsIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidRequest(f"invalid options: {where + ': ' if where else ''}{first['msg']}") from exc


@router.post(
    "",
    status_code=202,
    response_model=CallAccepted,
    responses=_ERRORS,
    openapi_extra=_CREATE_BODY,
    summary="Submit a call (multipart upload or JSON with audio_url)",
)
async def create_call(request: Request, tenant: SubmitTenantDep, db: DbDep, settings: SettingsDep) -> CallAccepted:
    ctype = serving.base_content_type(request.headers.get("content-type"))
    if ctype == "application/json":
        try:
            body = CreateCallFromUrl.model_validate_json(await request.body())
        except ValidationError as exc:
            from fastapi.exceptions import RequestValidationError

            raise RequestValidationError(exc.errors(include_url=False)) from exc
        job = await run_in_threadpool(serving.accept_url, db=db, settings=settings, tenant_id=tenant, request=body)
    elif ctype == "multipart/form-data":
        async with request.form(max_files=1, max_fields=20, max_part_size=64 * 1024) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InvalidRequest("multipart upload needs a `file` part")
            raw = form.get("options")
            options = _parse_options(raw if isinstance(raw, str) else None)
            job = await run_in_threadpool(
                serving.accept_upload, db=db, settings=settings, tenant_id=tenant, fileobj=upload.file,
                filename=upload.filename, content_type=upload.content_type, options=options,
            )
    else:
        raise UnsupportedMediaType(f"request content type {ctype!r}: use multipart/form-data or application/json")
    return CallAccepted(id=job.id, status=job.status, status_url=_status_url(request, settings, job.id),
                        created_at=job.created_at)


@router.get("/{call_id}", response_model=CallView, responses={404: {"description": "not_found"}})
def get_call(call_id: str, tenant: TenantDep, db: DbDep) -> CallView:
    job, result = serving.load(db, tenant_id=tenant, job_id=call_id)
    return serving.call_view(job, result)


@router.get("", response_model=CallList)
def list_calls(
    tenant: TenantDep,
    db: DbDep,
    settings: SettingsDep,
    status: Annotated[JobStatus | None, Query()] = None,
    correlation_id: Annotated[str | None, Query(max_length=200)] = None,
    created_after: Annotated[datetime | None, Query()] = None,
    created_before: Annotated[datetime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> CallList:
    limit = min(limit, settings.api.max_page_size)
    for name, value in (("created_after", created_after), ("created_before", created_before)):
        if value is not None and value.tzinfo is None:
            raise InvalidRequest(f"{name} needs a timezone (e.g. 2026-01-01T00:00:00Z)")
    with db.session() as s:
        try:
            rows, nxt = jobs.list_jobs(s, tenant_id=tenant, limit=limit, status=status, correlation_id=correlation_id,
                                       created_after=created_after, created_before=created_before, cursor=cursor)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from exc
        data = [CallSummary(id=j.id, status=j.status, created_at=j.created_at, updated_at=j.updated_at,
                            finished_at=j.finished_at, correlation_id=j.correlation_id, metadata=j.meta or {},
                            error=serving.error_info(j)) for j in rows]
    return CallList(data=data, next_cursor=nxt)


@router.delete("/{call_id}", status_code=204, responses={404: {"description": "not_found"}},
               summary="Hard-delete a call: audio, transcript, result and pending webhooks")
def delete_call(call_id: str, tenant: TenantDep, db: DbDep) -> Response:
    serving.delete_call(db, tenant_id=tenant, job_id=call_id)
    return Response(status_code=204)


@router.get("/{call_id}/audio", response_class=FileResponse,
            responses={200: {"content": {"application/octet-stream": {}}}, 404: {"description": "not_found"}})
def get_audio(call_id: str, tenant: TenantDep, db: DbDep) -> FileResponse:
    job, _ = serving.load(db, tenant_id=tenant, job_id=call_id, with_result=False)
    from pathlib import Path

    if not job.audio_path or not Path(job.audio_path).is_file():
        raise NotFound("the audio of this call is not stored (not fetched yet, or deleted)")
    return FileResponse(job.audio_path, media_type=job.content_type or "application/octet-stream",
                        filename=job.filename or Path(job.audio_path).name)


@router.get("/{call_id}/events", response_model=list[AuditView], summary="Audit trail of the call")
def get_events(call_id: str, tenant: TenantDep, db: DbDep) -> list[AuditView]:
    with db.session() as s:
        if jobs.get_job(s, tenant_id=tenant, job_id=call_id) is None:
            raise NotFound(f"no call {call_id!r}")
        return [AuditView(at=e.at, actor=e.actor, action=e.action, from_state=e.from_state, to_state=e.to_state,
                          detail=e.detail or {}) for e in audit.list_events(s, entity_id=call_id, tenant_id=tenant)]
