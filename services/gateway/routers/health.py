"""/healthz (process alive), /readyz (database reachable), /metrics (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from services.gateway.protocol import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(request: Request) -> Response:
    try:
        with request.app.state.db.session() as s:
            s.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        return JSONResponse(Health(status="unavailable", detail={"database": type(exc).__name__}).model_dump(),
                            status_code=503)
    settings = request.app.state.settings
    detail: dict = {"database": "ok", "backend": settings.serving.backend}
    if settings.serving.backend == "ray":
        # Each Serve deployment's status and replica counts; not ready unless the app is RUNNING.
        try:
            from services.serving.runtime import status

            app = status(settings)
            detail["serve"] = app.as_dict()
            ready = app.status == "RUNNING"
        except Exception as exc:  # noqa: BLE001 - Ray unreachable
            detail["serve"] = {"status": "UNREACHABLE", "message": f"{type(exc).__name__}: {exc}"}
            ready = False
        if not ready:
            return JSONResponse(Health(status="unavailable", detail=detail).model_dump(), status_code=503)
    return JSONResponse(Health(status="ok", detail=detail).model_dump())


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(request: Request) -> Response:
    body = await run_in_threadpool(generate_latest, request.app.state.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
