"""Dependencies: settings, database, tenant (API key auth), rate limit. Aliases for `Annotated` injection."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from services.gateway.errors import RateLimited, Unauthorized
from services.gateway.ratelimit import TokenBuckets
from services.settings import Settings
from services.store import tenants
from services.store.db import Database

_bearer = HTTPBearer(auto_error=False, description="tenant API key")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="tenant API key")
_gladia_key = APIKeyHeader(name="x-gladia-key", auto_error=False, description="tenant API key (Gladia clients)")


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Database:
    return request.app.state.db


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
DbDep = Annotated[Database, Depends(get_db)]


async def get_tenant(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    api_key: Annotated[str | None, Security(_api_key)],
    gladia_key: Annotated[str | None, Security(_gladia_key)],
) -> str:
    settings: Settings = request.app.state.settings
    if not settings.auth.enabled:
        return tenants.DEFAULT_TENANT
    key = (bearer.credentials if bearer else None) or api_key or gladia_key
    if not key or len(key) > 256:
        raise Unauthorized("missing or malformed API key")
    db: Database = request.app.state.db

    def lookup() -> str | None:
        with db.session() as s:
            return tenants.tenant_for_key(s, key=key)

    tenant = await run_in_threadpool(lookup)
    if tenant is None:
        raise Unauthorized("unknown or revoked API key")
    return tenant


TenantDep = Annotated[str, Depends(get_tenant)]


def rate_limit(request: Request, tenant: TenantDep) -> str:
    buckets: TokenBuckets = request.app.state.buckets
    wait = buckets.take(tenant)
    if wait > 0:
        raise RateLimited("too many submissions for this tenant", retry_after_s=wait)
    return tenant


SubmitTenantDep = Annotated[str, Depends(rate_limit)]
