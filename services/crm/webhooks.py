"""Webhook outbox dispatcher and signatures.

Each delivery is a POST of the JSON payload with headers
  Parley-Event: call.completed | call.failed | LeadScored | LeadReviewRequired | LeadApproved | LeadRejected |
                LeadSynced | LeadSyncFailed
  Parley-Delivery: <delivery id>   (the same on every retry of one delivery to one URL)
  Parley-Event-Id: <event id>      (Lead* events: the same for every delivery of one event, to every receiver,
                                    also the payload's `event_id`: receivers de-duplicate on it)
  Parley-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
Receivers verify with verify_signature() (or the same three lines in their language) and reject stale
timestamps. Retries: 5xx, 408, 429, timeouts and connection errors, with exponential backoff and jitter;
never 400/401/403 (or other 4xx: the receiver refused the content); dead letter after webhooks.max_attempts.
A dead or delivered delivery can be sent again with POST /v1/webhooks/{id}/redeliver.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import httpx

from services.errors import InputError
from services.netguard import send, timeouts
from services.settings import Settings
from services.store import outbox
from services.store.db import Database, utcnow

log = logging.getLogger("parley.webhooks")

RETRY_STATUSES = frozenset({408, 425, 429})


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(secret: bytes, header: str, body: bytes, *, tolerance_s: float = 300.0,
                     now: float | None = None) -> bool:
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        ts = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or time.time()) - ts) > tolerance_s:
        return False
    expected = sign(secret, ts, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def backoff_s(attempt: int, *, base_s: float, max_s: float, rng: random.Random | None = None) -> float:
    """Delay after the `attempt`-th failed try (1-based): exponential, capped, with jitter in [50%, 100%]."""
    raw = min(max_s, base_s * (2 ** (attempt - 1)))
    return raw * (0.5 + 0.5 * (rng or random).random())


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    retry: bool
    status_code: int | None
    error: str | None


def classify(status_code: int) -> Outcome:
    if 200 <= status_code < 300:
        return Outcome(True, False, status_code, None)
    if status_code >= 500 or status_code in RETRY_STATUSES:
        return Outcome(False, True, status_code, f"HTTP {status_code}")
    return Outcome(False, False, status_code, f"HTTP {status_code} (not retried)")


class Dispatcher:
    def __init__(self, *, db: Database, settings: Settings, secret: bytes, rng: random.Random | None = None) -> None:
        self.db, self.settings, self.secret = db, settings, secret
        self.cfg = settings.webhooks
        self.rng = rng or random.Random()

    def deliver(self, client: httpx.Client, *, delivery_id: str, event: str, url: str, payload: dict) -> Outcome:
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "parley-webhooks/1",
            "Parley-Event": event,
            "Parley-Delivery": delivery_id,
            "Parley-Signature": sign(self.secret, int(time.time()), body),
        }
        if isinstance(payload.get("event_id"), str):
            headers["Parley-Event-Id"] = payload["event_id"]
        try:
            resp = send(client, "POST", url, network=self.settings.network, headers=headers, content=body)
        except InputError as exc:  # URL no longer allowed (e.g. DNS now points inside): not retried
            return Outcome(False, False, None, exc.message)
        except httpx.TimeoutException:
            return Outcome(False, True, None, "timeout")
        except httpx.HTTPError as exc:
            return Outcome(False, True, None, f"{type(exc).__name__}")
        return classify(resp.status_code)

    def run_once(self, client: httpx.Client) -> int:
        lease_s = self.cfg.timeout_s * 3 + 5
        with self.db.session() as s:
            due = [(d.id, d.event, d.url, d.payload, d.attempts)
                   for d in outbox.claim_due(s, limit=self.cfg.batch_size, lease_s=lease_s)]
        for did, event, url, payload, attempts in due:
            out = self.deliver(client, delivery_id=did, event=event, url=url, payload=payload)
            nxt = None
            if not out.delivered and out.retry and attempts + 1 < self.cfg.max_attempts:
                delay = backoff_s(attempts + 1, base_s=self.cfg.backoff_base_s, max_s=self.cfg.backoff_max_s,
                                  rng=self.rng)
                nxt = utcnow() + timedelta(seconds=delay)
            with self.db.session() as s:
                outbox.record_attempt(s, delivery_id=did, delivered=out.delivered, status_code=out.status_code,
                                      error=out.error, next_attempt_at=nxt)
        return len(due)

    def run(self, stop: threading.Event) -> None:
        with httpx.Client(timeout=timeouts(self.settings.network, self.cfg.timeout_s), trust_env=False) as client:
            while not stop.is_set():
                try:
                    n = self.run_once(client)
                except Exception:  # noqa: BLE001
                    log.exception("outbox dispatcher error")
                    n = 0
                if n == 0:
                    stop.wait(self.cfg.poll_interval_s)
