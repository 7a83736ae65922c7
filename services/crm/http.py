"""What the three adapters share about HTTP: one client shape, transient-failure outcomes, Retry-After.

Network guard decision: CRM hosts come from operator configuration (crm.*.base_url / instance_url / url), not
from callers, so they are trusted by configuration and do not go through services/netguard.py (whose job is
refusing caller-supplied private addresses; a self-hosted CRM or an egress gateway on 10.x is normal here).
What we keep from it: no proxy variables from the environment (trust_env=False), no redirects followed (a
redirect would send the bearer token to a host nobody configured), connect and total timeouts everywhere.
"""

from __future__ import annotations

import email.utils
import random
import time

import httpx

from services.crm.base import CrmRecord, SyncOutcome
from services.crm.settings import CrmSettings
from services.crm.webhooks import backoff_s
from services.errors import ParleyError


class CrmConfigError(ParleyError):
    code = "crm_config_invalid"
    http_status = 500
    exit_code = 2
    hint = "see README 'CRM sync' for the settings each CRM needs"


class Stop(Exception):
    """Raised inside an adapter to end the sync with this outcome (the adapter catches it at its boundary)."""

    def __init__(self, outcome: SyncOutcome) -> None:
        super().__init__(outcome.status)
        self.outcome = outcome


class Progress(dict[str, str]):
    """One sync's state: the CRM ids written so far (what a retry outcome carries) and the limit headers the
    CRM sent (into the outcome's detail). Per call, so concurrent syncs on one adapter do not mix them."""

    def __init__(self) -> None:
        super().__init__()
        self.limits: dict[str, object] = {}


class StagedAdapter:
    """An adapter whose sync is a sequence of keyed writes (`_sync`): any step may raise Stop to end the sync with
    that outcome; when all steps pass, the outcome is `synced` with the ids written and the limit headers seen."""

    client: httpx.AsyncClient
    limits_detail = "rate_limit"  # the outcome's detail key for the CRM's limit headers

    async def _sync(self, record: CrmRecord, ids: Progress) -> None:
        raise NotImplementedError

    async def sync(self, record: CrmRecord) -> SyncOutcome:
        ids = Progress()
        try:
            await self._sync(record, ids)
        except Stop as stop:
            return stop.outcome
        detail = {self.limits_detail: dict(ids.limits)} if ids.limits else {}
        return SyncOutcome("synced", external_ids=ids, http_status=200, detail=detail)

    async def aclose(self) -> None:
        await self.client.aclose()


def make_client(crm: CrmSettings, *, timeout_s: float, base_url: str = "", headers: dict[str, str] | None = None,
                ) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url, headers={"User-Agent": "parley-crm/1", **(headers or {})},
        timeout=httpx.Timeout(timeout_s, connect=crm.connect_timeout_s), trust_env=False, follow_redirects=False,
    )


def retry_after_header(resp: httpx.Response) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    raw = resp.headers.get("Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def transient(record: CrmRecord, crm: CrmSettings, message: str, *, http_status: int | None = None,
              retry_after_s: float | None = None, ids: dict[str, str] | None = None,
              rng: random.Random | None = None, detail: dict | None = None) -> SyncOutcome:
    """`retry`: the CRM's own Retry-After when it gave one, else exponential backoff on the dispatcher's try."""
    delay = retry_after_s if retry_after_s is not None else backoff_s(
        max(1, record.attempt), base_s=crm.retry_base_s, max_s=crm.retry_max_s, rng=rng)
    return SyncOutcome("retry", external_ids=dict(ids or {}), message=message, http_status=http_status,
                       retry_after_s=round(delay, 3), detail=dict(detail or {}))


def transport_error(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timeout ({type(exc).__name__})"
    return f"connection error ({type(exc).__name__}: {exc})"[:300]


def short_body(resp: httpx.Response, limit: int = 500) -> str:
    text = resp.text.strip()
    return text[:limit] + ("..." if len(text) > limit else "")
