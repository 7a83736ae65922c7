"""Generic signed-webhook sink: any other CRM (or middleware) receives each lead as a signed JSON POST.

Body: {"event": "lead.sync", "key", "tenant_id", "call_id", "fields": {...mapped...}, "known_ids": {...}}.
Headers: Parley-Event: lead.sync; Idempotency-Key: <lead id> (the receiver upserts on it); Parley-Delivery:
<lead id>:<content hash> (the same on a re-send of the same content, so receivers that dedupe deliveries drop
repeats, but an edited lead is a new delivery); Parley-Signature: t=<unix>,v1=<HMAC-SHA256> as for the outbox
webhooks (services/crm/webhooks.py `sign`, verify with `verify_signature`). 2xx -> synced (a JSON "id" in
the answer becomes external_ids["webhook"]); 408/425/429/5xx/timeouts -> retry (Retry-After honoured); other
4xx -> failed with the receiver's answer.
"""

from __future__ import annotations

import hashlib
import json
import random
import time

import httpx

from services.crm.base import CrmRecord, SyncOutcome
from services.crm.http import (
    CrmConfigError,
    make_client,
    retry_after_header,
    short_body,
    transient,
    transport_error,
)
from services.crm.mapping import effective_mapping, map_object
from services.crm.settings import CrmSettings, WebhookSinkSettings, resolve_secret
from services.crm.webhooks import RETRY_STATUSES, sign


class WebhookSinkAdapter:
    name = "webhook"

    def __init__(self, cfg: WebhookSinkSettings, crm: CrmSettings, *, client: httpx.AsyncClient | None = None,
                 rng: random.Random | None = None) -> None:
        secret = resolve_secret(cfg.secret, cfg.secret_file, what="crm.webhook.secret")
        if not cfg.url or not secret:
            raise CrmConfigError("crm.webhook needs url and secret (or secret_file): receivers must verify the sender")
        self.cfg, self.crm, self.rng, self._secret = cfg, crm, rng or random.Random(), secret.encode()
        self.client = client or make_client(crm, timeout_s=cfg.timeout_s)

    def payload(self, record: CrmRecord) -> bytes:
        fields = map_object(record, effective_mapping(self.cfg.mapping, self.cfg.tenant_mappings, record.tenant_id, "lead"))
        body = {"event": "lead.sync", "key": record.key, "tenant_id": record.tenant_id, "call_id": record.call_id,
                "fields": fields, "known_ids": dict(record.known_ids)}
        return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()

    async def sync(self, record: CrmRecord) -> SyncOutcome:
        body = self.payload(record)
        headers = {
            "Content-Type": "application/json", "Parley-Event": "lead.sync", "Idempotency-Key": record.key,
            "Parley-Delivery": f"{record.key}:{hashlib.sha256(body).hexdigest()[:16]}",
            "Parley-Signature": sign(self._secret, int(time.time()), body),
        }
        try:
            resp = await self.client.post(self.cfg.url, content=body, headers=headers)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            return transient(record, self.crm, transport_error(exc), rng=self.rng)
        code = resp.status_code
        if resp.is_success:
            try:
                answer = resp.json()
            except ValueError:
                answer = None
            ext = str(answer["id"]) if isinstance(answer, dict) and answer.get("id") is not None else record.key
            return SyncOutcome("synced", external_ids={"webhook": ext}, http_status=code)
        message = f"HTTP {code}: {short_body(resp) or resp.reason_phrase}"
        if code >= 500 or code in RETRY_STATUSES:
            return transient(record, self.crm, message, http_status=code, rng=self.rng,
                             retry_after_s=retry_after_header(resp))
        if 300 <= code < 400:
            message = f"HTTP {code} redirect to {resp.headers.get('Location', '?')} not followed (check crm.webhook.url)"
        return SyncOutcome("failed", message=message, http_status=code)

    async def aclose(self) -> None:
        await self.client.aclose()
