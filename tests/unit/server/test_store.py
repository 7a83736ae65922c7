"""Store: job lifecycle, leases, idempotent results, deletes, pagination, retention (SQLite)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from services.store import jobs, retention, tenants
from services.store.db import utcnow
from services.store.models import AuditEvent, JobResult


def _job(db, tenant="acme", **kw):
    with db.session() as s:
        tenants.ensure_tenant(s, tenant_id=tenant)
        return jobs.create_job(s, job_id=kw.pop("job_id", None) or jobs_id(), tenant_id=tenant, source="upload",
                               options={}, max_attempts=kw.pop("max_attempts", 3), actor="test", **kw).id


_n = [0]


def jobs_id() -> str:
    _n[0] += 1
    return f"job{_n[0]:029d}"


def test_claim_is_exclusive_and_ordered(db):
    a, b = _job(db), _job(db)
    with db.session() as s:
        c1 = jobs.claim_job(s, worker_id="w1", lease_s=30)
    with db.session() as s:
        c2 = jobs.claim_job(s, worker_id="w2", lease_s=30)
    with db.session() as s:
        c3 = jobs.claim_job(s, worker_id="w3", lease_s=30)
    assert (c1.job_id, c2.job_id, c3) == (a, b, None)


def test_expired_lease_is_reclaimed_and_old_owner_cannot_write(db):
    jid = _job(db)
    with db.session() as s:
        jobs.claim_job(s, worker_id="w1", lease_s=30)
    later = utcnow() + timedelta(seconds=31)
    with db.session() as s:
        c = jobs.claim_job(s, worker_id="w2", lease_s=30, now=later)
    assert c is not None and c.job_id == jid and c.reclaimed and c.attempt == 2
    with db.session() as s:
        assert not jobs.heartbeat(s, job_id=jid, worker_id="w1", lease_s=30)
        assert not jobs.complete_job(s, job_id=jid, worker_id="w1", attempt=1, result={"x": 1})
    with db.session() as s:
        assert jobs.complete_job(s, job_id=jid, worker_id="w2", attempt=2, result={"x": 2})
    with db.session() as s:  # a second completion (retry of the same write) is a no-op
        assert not jobs.complete_job(s, job_id=jid, worker_id="w2", attempt=2, result={"x": 3})
        assert s.scalar(select(func.count()).select_from(JobResult)) == 1
        assert jobs.get_result(s, job_id=jid) == {"x": 2}
        actions = [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.entity_id == jid))]
    assert actions == ["created", "claimed", "lease_reclaimed", "succeeded"]


def test_lease_expiry_after_last_attempt_fails_job(db):
    jid = _job(db, max_attempts=1)
    with db.session() as s:
        jobs.claim_job(s, worker_id="w1", lease_s=1)
    with db.session() as s:
        assert jobs.claim_job(s, worker_id="w2", lease_s=1, now=utcnow() + timedelta(seconds=5)) is None
        job = jobs.get_job(s, tenant_id="acme", job_id=jid)
        assert (job.status, job.error_code) == ("failed", "lease_expired")


def test_fail_retries_then_fails(db):
    jid = _job(db, max_attempts=2)
    for expected in ("queued", "failed"):
        with db.session() as s:
            assert jobs.claim_job(s, worker_id="w", lease_s=30).job_id == jid
        with db.session() as s:
            assert jobs.fail_job(s, job_id=jid, worker_id="w", code="boom", message="x", retryable=True) == expected


def test_input_error_is_not_retried(db):
    jid = _job(db)
    with db.session() as s:
        jobs.claim_job(s, worker_id="w", lease_s=30)
    with db.session() as s:
        assert jobs.fail_job(s, job_id=jid, worker_id="w", code="audio_empty", message="x", retryable=False) == "failed"


def test_tenant_scoping_and_pagination(db):
    mine = [_job(db, "acme") for _ in range(5)]
    _job(db, "globex")
    with db.session() as s:
        assert jobs.get_job(s, tenant_id="globex", job_id=mine[0]) is None
        page1, cur = jobs.list_jobs(s, tenant_id="acme", limit=3)
        page2, cur2 = jobs.list_jobs(s, tenant_id="acme", limit=3, cursor=cur)
    ids = [j.id for j in page1 + page2]
    assert sorted(ids) == sorted(mine) and len(set(ids)) == 5 and cur2 is None


def test_delete_is_hard_and_audited(db, tmp_path):
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"x")
    jid = _job(db, audio_path=str(audio))
    with db.session() as s:
        assert jobs.delete_job(s, job_id=jid, tenant_id="globex", actor="t") is None
        job = jobs.delete_job(s, job_id=jid, tenant_id="acme", actor="tenant:acme")
    retention.remove_audio(job.audio_path)
    with db.session() as s:
        assert jobs.get_job(s, tenant_id="acme", job_id=jid) is None
        last = s.scalars(select(AuditEvent).where(AuditEvent.entity_id == jid).order_by(AuditEvent.id)).all()[-1]
    assert (last.action, last.actor) == ("deleted", "tenant:acme") and not audio.exists()


def test_retention_sweep_per_tenant_ttl(db):
    old, fresh = _job(db, "acme"), _job(db, "globex")
    for jid in (old, fresh):
        with db.session() as s:
            c = jobs.claim_job(s, worker_id="w", lease_s=30)
        with db.session() as s:
            jobs.complete_job(s, job_id=c.job_id, worker_id="w", attempt=1, result={})
    with db.session() as s:
        tenants.set_retention(s, tenant_id="acme", retention_days=1.0, actor="admin")
    # acme: 1 day TTL -> deleted two days later; globex: default None -> kept
    deleted = retention.sweep(db, default_ttl_days=None, now=utcnow() + timedelta(days=2))
    assert deleted == [old]
    assert retention.sweep(db, default_ttl_days=3.0, now=utcnow() + timedelta(days=2)) == []
    assert retention.sweep(db, default_ttl_days=1.0, now=utcnow() + timedelta(days=2)) == [fresh]


def test_migrations_match_models(db):
    """Alembic head == SQLAlchemy models (a model change without a migration fails here)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from services.store.models import Base

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
