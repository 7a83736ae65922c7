"""App factory and the `parley serve` entry.

create_app(settings) builds the FastAPI app; its lifespan opens the database (migrating it), creates the
configured tenants / API keys, and starts the webhook outbox dispatcher, the CRM sync dispatcher and the
retention sweeper threads.
serve(settings) additionally starts the embedded worker processes and runs uvicorn. The gateway process never
imports torch: the pipeline runs in worker processes only.
"""

from __future__ import annotations

import ipaddress
import logging
import multiprocessing
import secrets
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from services.gateway import errors
from services.gateway.errors import ConfigError, error_body
from services.gateway.ratelimit import TokenBuckets
from services.settings import Settings
from services.store import tenants
from services.store.db import Database, open_database

log = logging.getLogger("parley.gateway")

API_DESCRIPTION = """Parley: offline speech-to-CRM. Submit a call, poll it (or get a signed webhook), read the
diarized transcript, entities, redacted text and BANT lead.

Errors are `{"error": {"code", "message", "hint"}}` with stable codes: unauthorized (401), not_found (404),
audio_too_large / audio_too_long / payload_too_large (413), unsupported_media_type / audio_undecodable (415),
validation_error / invalid_request / audio_empty / url_not_allowed (422), rate_limited / queue_full (429, with
Retry-After), internal_error (500), sync_timeout (504); /v1/leads: version_conflict / invalid_transition (409),
invalid_fields / reason_required (422)."""


def _is_loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_settings(settings: Settings) -> None:
    """Refuse unsafe or inconsistent configurations at startup."""
    if not settings.auth.enabled and not _is_loopback(settings.api.host):
        raise ConfigError(f"api.host={settings.api.host} without auth: set PARLEY_AUTH__ENABLED=true and API keys")
    if settings.auth.enabled and settings.webhooks.secret is None:
        raise ConfigError("auth is enabled but webhooks.secret is unset (PARLEY_WEBHOOKS__SECRET)")
    if settings.webhooks.secret is not None and len(settings.webhooks.secret.get_secret_value()) < 16:
        raise ConfigError("webhooks.secret must be at least 16 characters")
    if settings.profile == "gpu" and settings.worker.runner == "fake":
        raise ConfigError("worker.runner=fake is test-only and refused with profile=gpu")
    if settings.worker.heartbeat_s >= settings.worker.lease_s:
        raise ConfigError("worker.heartbeat_s must be smaller than worker.lease_s")


def bootstrap(db: Database, settings: Settings) -> None:
    with db.session() as s:
        tenants.ensure_tenant(s, tenant_id=tenants.DEFAULT_TENANT)
        for tenant_id, key in settings.auth.api_keys.items():
            tenants.create_api_key(s, tenant_id=tenant_id, key=key.get_secret_value(), actor="system:bootstrap")


def webhook_secret(settings: Settings) -> bytes:
    if settings.webhooks.secret is not None:
        return settings.webhooks.secret.get_secret_value().encode()
    log.warning("webhooks.secret unset: signing with a random per-process secret (set PARLEY_WEBHOOKS__SECRET)")
    return secrets.token_bytes(32)


def _retention_loop(db: Database, settings: Settings, stop: threading.Event) -> None:
    from services.store.retention import sweep

    while not stop.wait(settings.retention.sweep_interval_s):
        try:
            deleted = sweep(db, default_ttl_days=settings.retention.default_ttl_days)
            if deleted:
                log.info("retention: deleted %d calls", len(deleted))
        except Exception:  # noqa: BLE001
            log.exception("retention sweep failed")


def create_app(settings: Settings, *, db: Database | None = None, background: bool = True) -> FastAPI:
    """background=False leaves out the outbox dispatcher and retention threads (unit tests drive them)."""
    check_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from services.crm.webhooks import Dispatcher
        from services.gateway.metrics import make_registry

        own_db = db is None
        app.state.db = database = db or open_database(settings)
        bootstrap(database, settings)
        app.state.registry, app.state.requests = make_registry(database)
        stop = threading.Event()
        threads: list[threading.Thread] = []
        if background:
            dispatcher = Dispatcher(db=database, settings=settings, secret=webhook_secret(settings))
            threads = [threading.Thread(target=dispatcher.run, args=(stop,), name="outbox", daemon=True),
                       threading.Thread(target=_retention_loop, args=(database, settings, stop), name="retention",
                                        daemon=True)]
            for t in threads:
                t.start()
            from services.crm.sync import start_sync_dispatcher

            sync_thread = start_sync_dispatcher(database, settings, stop)  # after the outbox, like it: a thread
            if sync_thread is not None:
                threads.append(sync_thread)
        try:
            yield
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=15)
            if own_db:
                database.dispose()

    app = FastAPI(
        title="Parley API", version="1.0", description=API_DESCRIPTION, lifespan=lifespan,
        docs_url="/docs" if settings.api.docs else None, redoc_url=None,
        openapi_url="/openapi.json" if settings.api.docs else None,
    )
    app.state.settings = settings
    app.state.buckets = TokenBuckets(rate_per_s=settings.api.rate_limit_per_s, burst=settings.api.rate_limit_burst)
    errors.install(app)

    max_body = int(settings.limits.max_file_mb * 1024 * 1024) + 1024 * 1024

    @app.middleware("http")
    async def guard(request: Request, call_next) -> Response:  # noqa: ANN001
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > max_body):
            return JSONResponse(error_body("payload_too_large", f"request body over {max_body} bytes"),
                                status_code=413)
        response = await call_next(request)
        route = request.scope.get("route")
        counter = getattr(request.app.state, "requests", None)
        if counter is not None:
            counter.labels(request.method, getattr(route, "path", "unmatched"), str(response.status_code)).inc()
        return response

    from services.gateway.routers import calls, gladia, health, leads, openai, review, webhooks

    for r in (health.router, calls.router, webhooks.router, leads.router, gladia.router, openai.router,
              review.router):
        app.include_router(r)
    review.mount_static(app)
    return app


# ------------------------------------------------------------------------------------------- serve


def _supervise(settings: Settings, n: int, stop: threading.Event) -> list[multiprocessing.Process]:
    from services.worker.main import run_worker_process

    ctx = multiprocessing.get_context("spawn")
    procs: list[multiprocessing.Process] = []

    def start(i: int) -> multiprocessing.Process:
        p = ctx.Process(target=run_worker_process, args=(settings,), name=f"parley-worker-{i}", daemon=True)
        p.start()
        return p

    procs.extend(start(i) for i in range(n))

    def watch() -> None:
        while not stop.wait(2.0):
            for i, p in enumerate(procs):
                if not p.is_alive():
                    log.warning("worker %s exited with %s; restarting", p.name, p.exitcode)
                    procs[i] = start(i)

    threading.Thread(target=watch, name="worker-supervisor", daemon=True).start()
    return procs


def start_ray_serving(settings: Settings) -> Settings:
    """Join or start Ray and deploy the Serve app (models load in its replicas, not here: this process never
    imports torch). Returns settings whose serving.ray_address points the worker processes at this cluster."""
    from services.serving.runtime import connect, deploy, wait_ready

    address = connect(settings)
    log.info("ray runtime at %s", address)
    if settings.serving.deploy:
        deploy(settings)
    else:
        wait_ready(settings)
    return settings.model_copy(update={"serving": settings.serving.model_copy(update={"ray_address": address})})


def serve(settings: Settings) -> None:
    """Run the service in the foreground: migrations, uvicorn on api.host:api.port, the outbox dispatcher and
    retention sweeper (threads), and worker.processes embedded worker processes (when worker.embedded)."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    check_settings(settings)
    db = open_database(settings)  # migrate once, before workers start
    bootstrap(db, settings)
    db.dispose()
    if settings.serving.backend == "ray":
        settings = start_ray_serving(settings)
    stop = threading.Event()
    procs: list[multiprocessing.Process] = []
    if settings.worker.embedded and settings.worker.processes > 0:
        procs = _supervise(settings, settings.worker.processes, stop)
    try:
        uvicorn.run(create_app(settings), host=settings.api.host, port=settings.api.port, log_level="info",
                    timeout_graceful_shutdown=10)
    finally:
        stop.set()
        for p in procs:
            p.terminate()
        deadline = time.monotonic() + 30
        for p in procs:
            p.join(timeout=max(0.1, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
        if settings.serving.backend == "ray":
            import ray

            ray.shutdown()  # a runtime this process started goes with it; a joined cluster stays
