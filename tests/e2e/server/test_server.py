"""End-to-end: real server and worker processes; crash of a worker mid-job, webhook receiver outage, burst."""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import create_engine, text

from services.crm.webhooks import verify_signature
from tests.e2e.server.conftest import SECRET, backends, free_port, wait_for
from tests.unit.server.conftest import make_wav
from tests.unit.server.receiver import Receiver

WAV = make_wav(0.8)


def _submit(client: httpx.Client, **options) -> httpx.Response:
    return client.post("/v1/calls", files={"file": ("call.wav", WAV, "audio/wav")},
                       data={"options": json.dumps(options)} if options else {})


def _db(stack):  # noqa: ANN001, ANN202
    url = stack.env.get("PARLEY_DATABASE__URL") or f"sqlite:///{stack.env['PARLEY_SERVER__DATA_DIR']}/parley.db"
    return create_engine(url)


def test_lifecycle_and_signed_webhook(make_stack):
    stack = make_stack("postgresql")
    stack.start_server()
    with Receiver(files={"remote.wav": WAV}) as rx, stack.client() as c, stack.client("globex") as other:
        a = _submit(c, callback_url=f"{rx.url}/hook", metadata={"deal": 1}).json()["id"]
        b = c.post("/v1/calls", json={"audio_url": f"{rx.url}/audio/remote.wav", "language": "en"}).json()["id"]
        for jid in (a, b):
            wait_for(lambda jid=jid: c.get(f"/v1/calls/{jid}").json()["status"] == "succeeded", 30)
        assert c.get(f"/v1/calls/{b}").json()["result"]["language"] == "en"
        assert other.get(f"/v1/calls/{a}").status_code == 404
        wait_for(lambda: rx.received, 15)
        hook = rx.received[0]
        assert verify_signature(SECRET.encode(), hook.headers["Parley-Signature"], hook.body)
        assert json.loads(hook.body)["metadata"] == {"deal": 1}
        assert c.get(f"/v1/calls/{a}/audio").content == WAV
        assert c.delete(f"/v1/calls/{a}").status_code == 204 and c.get(f"/v1/calls/{a}").status_code == 404
        metrics = httpx.get(stack.url + "/metrics").text
        assert 'parley_jobs{state="succeeded"} 1.0' in metrics


@pytest.mark.parametrize("backend", backends())
def test_worker_killed_mid_job_completes_exactly_once(make_stack, backend):
    """SIGKILL a worker while it holds leases; a second worker takes the jobs over after lease expiry; each
    job ends succeeded with exactly one result and one call.completed webhook."""
    stack = make_stack(backend, WORKER__EMBEDDED="false", WORKER__LEASE_S="2", WORKER__HEARTBEAT_S="0.5",
                       WORKER__FAKE_STAGE_S="0.5")
    stack.start_server()
    with Receiver() as rx, stack.client() as c:
        ids = [_submit(c, callback_url=f"{rx.url}/hook").json()["id"] for _ in range(3)]
        victim = stack.start_worker()
        wait_for(lambda: c.get(f"/v1/calls/{ids[0]}").json()["progress"].get("asr", 0) > 0, 30, 0.05)
        os.killpg(victim.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        assert c.get(f"/v1/calls/{ids[0]}").json()["status"] == "running"
        stack.start_worker()
        for jid in ids:
            wait_for(lambda jid=jid: c.get(f"/v1/calls/{jid}").json()["status"] == "succeeded", 60)
        recovery_s = time.monotonic() - killed_at
        wait_for(lambda: len(rx.received) >= 3, 20)
        time.sleep(1.0)  # a duplicate would arrive now
        with _db(stack).connect() as conn:
            results = dict(conn.execute(text("SELECT job_id, count(*) FROM job_results GROUP BY job_id")).all())
            attempts = dict(conn.execute(text("SELECT id, attempts FROM jobs")).all())
            reclaimed = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'lease_reclaimed'")).scalar()
        assert results == {jid: 1 for jid in ids}
        assert attempts[ids[0]] == 2 and reclaimed >= 1
        delivered = [json.loads(r.body)["id"] for r in rx.received]
        assert sorted(delivered) == sorted(ids)
        print(f"\ncrash[{backend}]: recovered 3 jobs {recovery_s:.1f} s after SIGKILL (lease 2 s), "
              f"attempts {sorted(attempts.values())}, results per job 1, webhooks {len(delivered)}")


def test_webhook_receiver_outage(make_stack):
    """The receiver is down while jobs finish; deliveries retry with backoff and all arrive once it is back."""
    port = free_port()
    stack = make_stack("postgresql", WEBHOOKS__MAX_ATTEMPTS="30")
    stack.start_server()
    with stack.client() as c:
        ids = [_submit(c, callback_url=f"http://127.0.0.1:{port}/hook").json()["id"] for _ in range(5)]
        for jid in ids:
            wait_for(lambda jid=jid: c.get(f"/v1/calls/{jid}").json()["status"] == "succeeded", 30)
        time.sleep(2.0)  # outage: connection refused
        pending = c.get("/v1/webhooks", params={"status": "pending"}).json()["data"]
        assert len(pending) == 5 and min(d["attempts"] for d in pending) >= 2
        outage_attempts = sum(d["attempts"] for d in pending)
        with Receiver(port=port) as rx:
            back = time.monotonic()
            wait_for(lambda: len(c.get("/v1/webhooks", params={"status": "delivered"}).json()["data"]) == 5, 30)
            catch_up = time.monotonic() - back
            time.sleep(0.5)
            assert sorted(json.loads(r.body)["id"] for r in rx.received) == sorted(ids)
        print(f"\noutage: 5 webhooks, {outage_attempts} failed attempts during ~2 s outage, "
              f"all delivered {catch_up:.1f} s after the receiver came back, 0 lost, 0 duplicates")


def test_burst_accepted_or_429_none_lost(make_stack):
    stack = make_stack("postgresql", API__RATE_LIMIT_PER_S="40", API__RATE_LIMIT_BURST="60",
                       WORKER__PROCESSES="2", WORKER__FAKE_STAGE_S="0")
    stack.start_server()
    n = 300
    with stack.client() as c:
        t0 = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            responses = list(pool.map(lambda i: _submit(c, correlation_id=f"burst-{i}"), range(n)))
        submit_s = time.monotonic() - t0
        codes = [r.status_code for r in responses]
        assert set(codes) <= {202, 429}, sorted(set(codes))
        accepted = {r.json()["id"] for r in responses if r.status_code == 202}
        assert all(r.json()["error"]["code"] == "rate_limited" and "retry-after" in r.headers
                   for r in responses if r.status_code == 429)
        assert len(accepted) == codes.count(202) > 0

        def all_done() -> bool:
            with _db(stack).connect() as conn:
                rows = dict(conn.execute(text("SELECT id, status FROM jobs")).all())
            return set(rows) == accepted and all(s == "succeeded" for s in rows.values())

        wait_for(all_done, 90, 0.5)
        done_s = time.monotonic() - t0
        print(f"\nburst: {n} submissions in {submit_s:.1f} s: {len(accepted)} accepted (202), "
              f"{codes.count(429)} refused (429), other 0; all accepted succeeded after {done_s:.1f} s, lost 0")
