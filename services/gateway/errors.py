"""The one place that maps exceptions to HTTP status codes and machine-readable error codes.

Every error response has the shape {"error": {"code": "...", "message": "...", "hint": "..."}}; the codes are
stable API (documented in the OpenAPI description). ParleyError subclasses carry their own http_status.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.errors import ParleyError

log = logging.getLogger("parley.gateway")


class ApiError(ParleyError):
    code = "bad_request"
    http_status = 400


class Unauthorized(ApiError):
    code = "unauthorized"
    http_status = 401
    hint = "send the tenant API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`"


class NotFound(ApiError):
    code = "not_found"
    http_status = 404


class UnsupportedMediaType(ApiError):
    code = "unsupported_media_type"
    http_status = 415


class InvalidRequest(ApiError):
    code = "invalid_request"
    http_status = 422


class RateLimited(ApiError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, *, retry_after_s: float, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after_s = retry_after_s


class SyncTimeout(ApiError):
    code = "sync_timeout"
    http_status = 504
    hint = "the job continues: poll GET /v1/calls/{id}"


class ConfigError(ParleyError):
    code = "config_error"
    exit_code = 2


ERROR_CODES = {
    "unauthorized": 401, "not_found": 404, "method_not_allowed": 405, "unsupported_media_type": 415,
    "audio_undecodable": 415, "audio_too_large": 413, "audio_too_long": 413, "payload_too_large": 413,
    "audio_empty": 422, "validation_error": 422, "invalid_request": 422, "url_not_allowed": 422,
    "rate_limited": 429, "queue_full": 429, "internal_error": 500, "sync_timeout": 504,
    "version_conflict": 409, "invalid_transition": 409, "invalid_fields": 422, "reason_required": 422,
    "csrf_failed": 403,
}

_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict",
               405: "method_not_allowed", 406: "not_acceptable", 413: "payload_too_large",
               415: "unsupported_media_type", 422: "validation_error", 429: "rate_limited"}


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def install(app: FastAPI) -> None:
    @app.exception_handler(ParleyError)
    async def _parley(_: Request, exc: ParleyError) -> JSONResponse:
        headers = {}
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(max(1, int(exc.retry_after_s + 0.999)))
        if exc.http_status >= 500:
            log.error("error %s: %s", exc.code, exc.message)
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.http_status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
                   for e in exc.errors()]
        return JSONResponse(error_body("validation_error", "request validation failed", details=details),
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error" if exc.status_code < 500 else "internal_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body("internal_error", "internal error"), status_code=500)
