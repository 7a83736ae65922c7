"""Webhook outbox: signatures, backoff, retry policy, dead letter, redelivery (local receiver on 127.0.0.1)."""

from __future__ import annotations

import json
import random
import time

import httpx
import pytest

from services.crm.webhooks import Dispatcher, backoff_s, classify, sign, verify_signature
from services.store import jobs, outbox, tenants
from services.store.models import WebhookDelivery
from tests.unit.server.conftest import auth
from tests.unit.server.receiver import Receiver

SECRET = b"s" * 32


def test_signature_roundtrip_and_tamper():
    body = b'{"a":1}'
    header = sign(SECRET, int(time.time()), body)
    assert verify_signature(SECRET, header, body)
    assert not verify_signature(SECRET, header, body + b" ")
    assert not verify_signature(b"other" * 8, header, body)
    assert not verify_signature(SECRET, sign(SECRET, int(time.time()) - 3600, body), body)
    assert not verify_signature(SECRET, "garbage", body)


def test_backoff_grows_with_jitter_and_cap():
    rng = random.Random(1)
    delays = [backoff_s(a, base_s=1, max_s=60, rng=rng) for a in range(1, 10)]
    assert all(0.5 * min(60, 2 ** (a - 1)) <= d <= min(60, 2 ** (a - 1)) for a, d in zip(range(1, 10), delays))
    assert max(delays) <= 60


@pytest.mark.parametrize(("status", "delivered", "retry"),
                         [(200, True, False), (204, True, False), (500, False, True), (503, False, True),
                          (429, False, True), (408, False, True), (400, False, False), (401, False, False),
                          (403, False, False), (404, False, False)])
def test_classify(status, delivered, retry):
    out = classify(status)
    assert (out.delivered, out.retry) == (delivered, retry)


def _delivery(db, url: str) -> str:
    with db.session() as s:
        tenants.ensure_tenant(s, tenant_id="acme")
        return outbox.enqueue(s, tenant_id="acme", job_id=None, event="call.completed", url=url,
                              payload={"id": "j1"}).id


def _drain(db, settings, rounds: int = 50) -> None:
    d = Dispatcher(db=db, settings=settings, secret=SECRET, rng=random.Random(0))
    with httpx.Client(timeout=1.0) as client:
        for _ in range(rounds):
            d.run_once(client)
            with db.session() as s:
                if not outbox.list_deliveries(s, tenant_id="acme", status="pending"):
                    return
            time.sleep(0.02)


def _state(db, did):
    with db.session() as s:
        d = s.get(WebhookDelivery, did)
        return d.status, d.attempts, d.last_status_code


def test_retry_on_5xx_and_timeout_then_deliver(db, settings):
    with Receiver(script=[500, 503, "sleep:2.5", 200]) as rx:
        did = _delivery(db, rx.url + "/hook")
        _drain(db, settings.model_copy(update={"webhooks": settings.webhooks.model_copy(
            update={"max_attempts": 5, "timeout_s": 1.0})}))
        assert _state(db, did) == ("delivered", 4, 200)
        got = rx.received[-1]
        assert verify_signature(SECRET, got.headers["Parley-Signature"], got.body)
        assert got.headers["Parley-Delivery"] == did and json.loads(got.body) == {"id": "j1"}
        assert len({r.headers["Parley-Delivery"] for r in rx.received}) == 1


@pytest.mark.parametrize("status", [400, 401, 403])
def test_never_retry_client_refusals(db, settings, status):
    with Receiver(script=[status]) as rx:
        did = _delivery(db, rx.url + "/hook")
        _drain(db, settings)
        assert _state(db, did) == ("dead", 1, status) and len(rx.received) == 1


def test_dead_letter_then_redeliver_endpoint(client, db, settings, wav):
    with Receiver(default=500) as rx:
        r = client.post("/v1/calls", headers=auth(), files={"file": ("a.wav", wav, "audio/wav")},
                        data={"options": json.dumps({"callback_url": rx.url + "/hook"})})
        from services.worker.fake import fake_runner
        from services.worker.loop import Worker

        Worker(db=db, settings=settings, runner=fake_runner(settings)).run_once()
        _drain(db, settings)
        (d,) = client.get("/v1/webhooks", params={"call_id": r.json()["id"]}, headers=auth()).json()["data"]
        assert (d["status"], d["attempts"], len(rx.received)) == ("dead", 3, 3)
        rx.default = 200
        assert client.post(f"/v1/webhooks/{d['id']}/redeliver", headers=auth()).json()["status"] == "pending"
        _drain(db, settings)
        assert client.get("/v1/webhooks", headers=auth()).json()["data"][0]["status"] == "delivered"
        payload = json.loads(rx.received[-1].body)
        assert payload["event"] == "call.completed" and payload["id"] == r.json()["id"]


def test_refused_target_is_dead_without_request(db, settings):
    s2 = settings.model_copy(update={"network": settings.network.model_copy(update={"allowed_hosts": ()})})
    with Receiver() as rx:
        did = _delivery(db, rx.url + "/hook")
        _drain(db, s2)
        assert _state(db, did)[0] == "dead" and rx.received == []


def test_outbox_row_written_with_state_change(db):
    with db.session() as s:
        tenants.ensure_tenant(s, tenant_id="acme")
        jobs.create_job(s, job_id="j" * 32, tenant_id="acme", source="upload", options={}, max_attempts=1,
                        actor="t", callback_url="https://1.1.1.1/hook")
    with db.session() as s:
        jobs.claim_job(s, worker_id="w", lease_s=10)
    with db.session() as s:
        jobs.fail_job(s, job_id="j" * 32, worker_id="w", code="audio_empty", message="m", retryable=False)
    with db.session() as s:
        (d,) = outbox.list_deliveries(s, tenant_id="acme")
        assert d.event == "call.failed" and d.payload["error"]["code"] == "audio_empty"
