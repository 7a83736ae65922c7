"""Who is looking at /review: a tenant API key (header, as on the JSON API) or a session cookie.

The cookie is stateless and signed (HMAC-SHA256 with review.session_secret): tenant, CSRF token, expiry. It is
HttpOnly and SameSite=Strict (Secure on https), so other sites neither read nor send it; on top, every POST must
echo the session's CSRF token (form field `csrf_token` or header X-CSRF-Token). A login form takes an API key
when auth is enabled; without auth every visitor is tenant `default` and still gets a session for its token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from services.settings import Settings
from services.store import tenants
from services.store.db import Database

log = logging.getLogger("parley.gateway")

COOKIE = "parley_review"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class Viewer:
    tenant: str | None
    """None: an anonymous pre-login session (it only carries the login form's CSRF token)"""
    csrf: str
    via: str  # "session" | "key"
    cookie: str | None = None
    """a freshly issued session cookie to set on the response"""


def session_secret(settings: Settings) -> bytes:
    if settings.review.session_secret is not None:
        return settings.review.session_secret.get_secret_value().encode()
    log.warning("review.session_secret unset: /review sessions are signed with a random per-process secret")
    return secrets.token_bytes(32)


def _sign(secret: bytes, data: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(secret, data, hashlib.sha256).digest()).decode().rstrip("=")


def encode(secret: bytes, *, tenant: str | None, csrf: str, ttl_s: float, now: float | None = None) -> str:
    body = base64.urlsafe_b64encode(json.dumps(
        {"t": tenant, "c": csrf, "e": int((now or time.time()) + ttl_s)}, separators=(",", ":")).encode()
    ).decode().rstrip("=")
    return f"{body}.{_sign(secret, body.encode())}"


def decode(secret: bytes, value: str, *, now: float | None = None) -> dict | None:
    """The session's content, or None for a forged, malformed or expired cookie."""
    try:
        body, mac = value.rsplit(".", 1)
        if not hmac.compare_digest(mac, _sign(secret, body.encode())):
            return None
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("e", 0) < (now or time.time()) or not isinstance(data.get("c"), str):
        return None
    return data


def new_viewer(request: Request, tenant: str | None) -> Viewer:
    csrf = secrets.token_urlsafe(24)
    app = request.app
    cookie = encode(app.state.session_secret, tenant=tenant, csrf=csrf, ttl_s=app.state.settings.review.session_ttl_s)
    return Viewer(tenant=tenant, csrf=csrf, via="session", cookie=cookie)


def _header_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return request.headers.get("x-api-key") or None


async def identify(request: Request) -> Viewer | None:
    """The viewer of this request; None when auth is on and there is neither a key nor a session."""
    settings: Settings = request.app.state.settings
    key = _header_key(request)
    if key is not None and settings.auth.enabled:
        db: Database = request.app.state.db

        def lookup() -> str | None:
            with db.session() as s:
                return tenants.tenant_for_key(s, key=key) if len(key) <= 256 else None

        tenant = await run_in_threadpool(lookup)
        # a header is never sent by a browser on its own: no CSRF token needed with it
        return Viewer(tenant=tenant, csrf="", via="key") if tenant else None
    raw = request.cookies.get(COOKIE)
    data = decode(request.app.state.session_secret, raw) if raw else None
    if data is not None and (data.get("t") or not settings.auth.enabled):
        return Viewer(tenant=data.get("t") or tenants.DEFAULT_TENANT, csrf=data["c"], via="session")
    if not settings.auth.enabled:
        return new_viewer(request, tenants.DEFAULT_TENANT)
    return None


def pre_login(request: Request) -> Viewer:
    """The login form's own session: an anonymous cookie that carries the CSRF token the form must echo."""
    raw = request.cookies.get(COOKIE)
    data = decode(request.app.state.session_secret, raw) if raw else None
    if data is not None:
        return Viewer(tenant=data.get("t"), csrf=data["c"], via="session")
    return new_viewer(request, None)


def csrf_ok(viewer: Viewer, supplied: str | None) -> bool:
    if viewer.via == "key":
        return True
    return bool(supplied) and hmac.compare_digest(viewer.csrf, supplied)


def set_cookie(request: Request, response: Response, cookie: str | None) -> None:
    if cookie is None:
        return
    response.set_cookie(COOKIE, cookie, max_age=int(request.app.state.settings.review.session_ttl_s), httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")
