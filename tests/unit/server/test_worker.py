"""Worker loop with injected runners: success, bad input, transient errors, lost lease, URL fetch."""

from __future__ import annotations

import threading
import time

import pytest

from services.errors import AudioUndecodable
from services.store import jobs, tenants
from services.store.models import Job, JobResult
from services.worker.fake import fake_runner
from services.worker.loop import Worker
from tests.unit.server.conftest import build_settings, make_wav
from tests.unit.server.receiver import Receiver


def _submit(db, tmp_path, *, url: str | None = None, tenant: str = "acme") -> str:
    path = None
    if url is None:
        path = tmp_path / f"in{time.monotonic_ns()}.wav"
        path.write_bytes(make_wav(0.6))
    with db.session() as s:
        tenants.ensure_tenant(s, tenant_id=tenant)
        jid = f"{time.monotonic_ns():032d}"
        jobs.create_job(s, job_id=jid, tenant_id=tenant, source="url" if url else "upload", audio_url=url,
                        audio_path=str(path) if path else None, options={"language": "de", "vocabulary": ["Acme"]},
                        max_attempts=2, actor="test")
    return jid


def _job(db, jid) -> Job:
    with db.session() as s:
        job = s.get(Job, jid)
        s.expunge(job)
        return job


def test_fake_runner_job_succeeds_with_options(db, settings, tmp_path):
    seen = {}
    base = fake_runner(settings)

    def runner(path, options, progress):
        seen["options"] = options
        return base(path, options, progress)

    jid = _submit(db, tmp_path)
    assert Worker(db=db, settings=settings, runner=runner).run_once()
    job = _job(db, jid)
    assert job.status == "succeeded" and job.progress["extraction"] == 1.0
    assert seen["options"].vocabulary == ("Acme",) and seen["options"].language == "de"
    with db.session() as s:
        assert jobs.get_result(s, job_id=jid)["language"] == "de"


def test_input_error_fails_without_retry(db, settings, tmp_path):
    def bad(path, options, progress):
        raise AudioUndecodable("garbage")

    jid = _submit(db, tmp_path)
    Worker(db=db, settings=settings, runner=bad).run_once()
    job = _job(db, jid)
    assert (job.status, job.error_code, job.attempts) == ("failed", "audio_undecodable", 1)


def test_crash_in_runner_is_retried_then_failed(db, settings, tmp_path):
    calls = []

    def flaky(path, options, progress):
        calls.append(1)
        raise RuntimeError("model exploded")

    jid = _submit(db, tmp_path)
    w = Worker(db=db, settings=settings, runner=flaky)
    assert w.run_once() and w.run_once() and not w.run_once()
    job = _job(db, jid)
    assert (job.status, job.error_code, len(calls)) == ("failed", "internal_error", 2)


def test_lost_lease_aborts_and_writes_nothing(tmp_path):
    settings = build_settings(tmp_path, worker={"lease_s": 0.3, "heartbeat_s": 0.1})
    from services.store.db import open_database

    db = open_database(settings)
    jid = _submit(db, tmp_path)
    started = threading.Event()

    def slow(path, options, progress):
        started.set()
        for _ in range(40):
            time.sleep(0.05)
            progress("asr", 0.5, "working")
        raise AssertionError("should have been aborted")

    w1 = Worker(db=db, settings=settings, runner=slow, worker_id="w1")
    t = threading.Thread(target=w1.run_once)
    t.start()
    assert started.wait(5)
    # simulate the lease being taken over by another worker
    with db.session() as s:
        s.get(Job, jid).lease_owner = "w2"
    t.join(10)
    assert not t.is_alive()
    with db.session() as s:
        assert s.get(JobResult, jid) is None and s.get(Job, jid).lease_owner == "w2"
    db.dispose()


def test_url_job_is_fetched_with_redirects(db, settings, tmp_path):
    with Receiver(files={"call.wav": make_wav(0.7)}) as rx:
        jid = _submit(db, tmp_path, url=f"{rx.url}/redirect/2/call.wav")
        Worker(db=db, settings=settings, runner=fake_runner(settings)).run_once()
    job = _job(db, jid)
    assert job.status == "succeeded", job.error_message
    assert job.audio_duration_s == pytest.approx(0.7) and job.audio_bytes > 0


def test_url_job_refused_for_private_target(tmp_path):
    settings = build_settings(tmp_path, network={"allowed_hosts": []})
    from services.store.db import open_database

    db = open_database(settings)
    with Receiver(files={"call.wav": make_wav(0.7)}) as rx:
        jid = _submit(db, tmp_path, url=f"{rx.url}/audio/call.wav")
        Worker(db=db, settings=settings, runner=fake_runner(settings)).run_once()
        assert rx.received == []
    assert (_job(db, jid).status, _job(db, jid).error_code) == ("failed", "url_not_allowed")
    db.dispose()


def test_too_many_redirects(db, settings, tmp_path):
    with Receiver(files={"call.wav": make_wav(0.7)}) as rx:
        jid = _submit(db, tmp_path, url=f"{rx.url}/redirect/5/call.wav")
        Worker(db=db, settings=settings, runner=fake_runner(settings)).run_once()
    assert _job(db, jid).error_code == "audio_fetch_failed"
