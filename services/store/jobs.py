"""Job lifecycle: create -> queued -> running (leased) -> succeeded | failed; hard delete.

Every transition is guarded in SQL (status and lease owner in the WHERE clause), writes an audit row, and
enqueues its webhook in the same transaction (transactional outbox). A worker that lost its lease cannot
write a result: at most one result per job, and a crashed worker's job is reclaimed after lease expiry.
"""

from __future__ import annotations

import base64
import bisect
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.settings import ReviewSettings
from services.store import audit, leads, outbox
from services.store.db import utcnow
from services.store.models import Job, JobResult, StageLatency, WebhookDelivery

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
TERMINAL = ("succeeded", "failed")


@dataclass(frozen=True)
class Claim:
    job_id: str
    tenant_id: str
    attempt: int
    reclaimed: bool


def create_job(
    session: Session,
    *,
    job_id: str,
    tenant_id: str,
    source: str,
    api: str = "parley",
    options: dict[str, Any],
    max_attempts: int,
    actor: str,
    audio_path: str | None = None,
    audio_url: str | None = None,
    filename: str | None = None,
    content_type: str | None = None,
    audio_bytes: int | None = None,
    audio_duration_s: float | None = None,
    callback_url: str | None = None,
    metadata: dict[str, Any] | None = None,
    correlation_id: str | None = None,
) -> Job:
    now = utcnow()
    job = Job(
        id=job_id, tenant_id=tenant_id, status="queued", api=api, source=source, audio_url=audio_url,
        audio_path=audio_path, filename=filename, content_type=content_type, audio_bytes=audio_bytes,
        audio_duration_s=audio_duration_s, options=options, callback_url=callback_url, meta=metadata or {},
        correlation_id=correlation_id, progress={}, attempts=0, max_attempts=max_attempts,
        available_at=now, created_at=now, updated_at=now,
    )
    session.add(job)
    audit.record(session, actor=actor, entity="job", entity_id=job_id, action="created", tenant_id=tenant_id,
                 to_state="queued", detail={"source": source, "api": api})
    session.flush()
    return job


def get_job(session: Session, *, tenant_id: str, job_id: str) -> Job | None:
    """Tenant-scoped read: another tenant's job is indistinguishable from a missing one."""
    job = session.get(Job, job_id)
    return job if job is not None and job.tenant_id == tenant_id else None


def get_result(session: Session, *, job_id: str) -> dict[str, Any] | None:
    row = session.get(JobResult, job_id)
    return row.result if row is not None else None


def _encode_cursor(job: Job) -> str:
    return base64.urlsafe_b64encode(f"{job.created_at.isoformat()}|{job.id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    created, job_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
    return datetime.fromisoformat(created), job_id


def list_jobs(
    session: Session,
    *,
    tenant_id: str,
    limit: int,
    status: str | None = None,
    correlation_id: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    cursor: str | None = None,
) -> tuple[list[Job], str | None]:
    """Newest first, keyset pagination. Raises ValueError on a malformed cursor."""
    q = select(Job).where(Job.tenant_id == tenant_id)
    if status:
        q = q.where(Job.status == status)
    if correlation_id:
        q = q.where(Job.correlation_id == correlation_id)
    if created_after:
        q = q.where(Job.created_at >= created_after)
    if created_before:
        q = q.where(Job.created_at < created_before)
    if cursor:
        try:
            c_at, c_id = _decode_cursor(cursor)
        except Exception as exc:  # noqa: BLE001
            raise ValueError("malformed cursor") from exc
        q = q.where(or_(Job.created_at < c_at, and_(Job.created_at == c_at, Job.id < c_id)))
    rows = list(session.scalars(q.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit + 1)))
    nxt = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], nxt


def _claimable(now: datetime):  # noqa: ANN202
    return or_(
        and_(Job.status == "queued", Job.available_at <= now),
        and_(Job.status == "running", Job.lease_expires_at < now),
    )


def claim_job(session: Session, *, worker_id: str, lease_s: float, now: datetime | None = None) -> Claim | None:
    """Lease the oldest claimable job (queued, or running with an expired lease).

    PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, so concurrent workers never block on each other.
    SQLite: the transaction starts with BEGIN IMMEDIATE (one writer), and the UPDATE repeats the
    claimable condition (compare-and-set), so two workers can never both own a job.
    A reclaimed job that already used all its attempts is failed (error code lease_expired) instead.
    """
    now = now or utcnow()
    pg = session.get_bind().dialect.name == "postgresql"
    for _ in range(10):
        q = select(Job.id, Job.status, Job.attempts, Job.max_attempts, Job.tenant_id, Job.lease_owner).where(
            _claimable(now)).order_by(Job.available_at, Job.id).limit(1)
        if pg:
            q = q.with_for_update(skip_locked=True)
        row = session.execute(q).first()
        if row is None:
            return None
        job_id, status, attempts, max_attempts, tenant_id, prev_owner = row
        reclaimed = status == "running"
        if attempts >= max_attempts:
            _finish_failed(session, job_id=job_id, tenant_id=tenant_id, from_state=status,
                           actor=f"worker:{worker_id}", code="lease_expired",
                           message=f"worker {prev_owner} lost its lease and no attempts are left", now=now)
            continue
        res = session.execute(
            update(Job)
            .where(Job.id == job_id, _claimable(now))
            .values(status="running", lease_owner=worker_id, lease_expires_at=now + timedelta(seconds=lease_s),
                    attempts=Job.attempts + 1, started_at=func.coalesce(Job.started_at, now), updated_at=now,
                    error_code=None, error_message=None)
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:
            continue
        audit.record(session, actor=f"worker:{worker_id}", entity="job", entity_id=job_id,
                     action="lease_reclaimed" if reclaimed else "claimed", tenant_id=tenant_id,
                     from_state=status, to_state="running",
                     detail={"attempt": attempts + 1, **({"previous_owner": prev_owner} if reclaimed else {})})
        return Claim(job_id=job_id, tenant_id=tenant_id, attempt=attempts + 1, reclaimed=reclaimed)
    return None


def _owned(job_id: str, worker_id: str):  # noqa: ANN202
    return and_(Job.id == job_id, Job.lease_owner == worker_id, Job.status == "running")


def heartbeat(session: Session, *, job_id: str, worker_id: str, lease_s: float) -> bool:
    """Extend the lease; False = the lease was lost (job reclaimed or deleted): stop working on it."""
    now = utcnow()
    res = session.execute(
        update(Job).where(_owned(job_id, worker_id))
        .values(lease_expires_at=now + timedelta(seconds=lease_s), updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return res.rowcount == 1


def set_progress(session: Session, *, job_id: str, worker_id: str, progress: dict[str, Any]) -> bool:
    res = session.execute(
        update(Job).where(_owned(job_id, worker_id)).values(progress=progress, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return res.rowcount == 1


def set_audio(session: Session, *, job_id: str, worker_id: str, audio_path: str, audio_bytes: int,
              audio_duration_s: float | None) -> bool:
    res = session.execute(
        update(Job).where(_owned(job_id, worker_id))
        .values(audio_path=audio_path, audio_bytes=audio_bytes, audio_duration_s=audio_duration_s)
        .execution_options(synchronize_session=False)
    )
    return res.rowcount == 1


def _record_latencies(session: Session, timings: dict[str, float]) -> None:
    for stage, seconds in sorted(timings.items()):
        if not isinstance(seconds, (int, float)):
            continue
        q = select(StageLatency).where(StageLatency.stage == stage)
        if session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update()
        row = session.scalar(q)
        if row is None:
            ins = (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(StageLatency)
            session.execute(ins.values(stage=stage, count=0, total_s=0.0,
                                       buckets=[0] * len(LATENCY_BUCKETS)).on_conflict_do_nothing())
            row = session.scalar(q)
        i = bisect.bisect_left(LATENCY_BUCKETS, float(seconds))
        buckets = list(row.buckets or [0] * len(LATENCY_BUCKETS))
        for j in range(i, len(LATENCY_BUCKETS)):
            buckets[j] += 1
        row.buckets, row.count, row.total_s = buckets, row.count + 1, row.total_s + float(seconds)


def _webhook(session: Session, *, job: Job, event: str, payload: dict[str, Any]) -> None:
    if job.callback_url:
        outbox.enqueue(session, tenant_id=job.tenant_id, job_id=job.id, event=event, url=job.callback_url,
                       payload={"event": event, "id": job.id, "correlation_id": job.correlation_id,
                                "metadata": job.meta, **payload})


def complete_job(
    session: Session, *, job_id: str, worker_id: str, attempt: int, result: dict[str, Any],
    timings: dict[str, float] | None = None, review: ReviewSettings | None = None,
) -> bool:
    """Write the result and mark the job succeeded, only while `worker_id` holds the lease. Idempotent:
    the result row's primary key is the job id (INSERT .. ON CONFLICT DO NOTHING). The call's lead is created
    and routed in the same transaction (services/store/leads.py; `review` holds the routing defaults)."""
    now = utcnow()
    res = session.execute(
        update(Job).where(_owned(job_id, worker_id))
        .values(status="succeeded", finished_at=now, updated_at=now, lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:
        return False
    ins = (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(JobResult)
    session.execute(ins.values(job_id=job_id, result=result, worker_id=worker_id, attempt=attempt,
                               created_at=now).on_conflict_do_nothing(index_elements=["job_id"]))
    job = session.get(Job, job_id)
    session.refresh(job)
    _record_latencies(session, timings or {})
    audit.record(session, actor=f"worker:{worker_id}", entity="job", entity_id=job_id, action="succeeded",
                 tenant_id=job.tenant_id, from_state="running", to_state="succeeded", detail={"attempt": attempt})
    # The result travels in the webhook, as Gladia/AssemblyAI callers expect; GET /v1/calls/{id} has it too.
    _webhook(session, job=job, event="call.completed", payload={"status": "succeeded", "result": result})
    leads.create_for_job(session, job=job, result=result, review=review or ReviewSettings())
    return True


def _finish_failed(session: Session, *, job_id: str, tenant_id: str, from_state: str, actor: str, code: str,
                   message: str, now: datetime) -> None:
    session.execute(
        update(Job).where(Job.id == job_id)
        .values(status="failed", finished_at=now, updated_at=now, lease_owner=None, lease_expires_at=None,
                error_code=code, error_message=message[:2000])
        .execution_options(synchronize_session=False)
    )
    job = session.get(Job, job_id)
    session.refresh(job)
    audit.record(session, actor=actor, entity="job", entity_id=job_id, action="failed", tenant_id=tenant_id,
                 from_state=from_state, to_state="failed", detail={"code": code})
    _webhook(session, job=job, event="call.failed",
             payload={"status": "failed", "error": {"code": code, "message": message[:2000]}})


def fail_job(
    session: Session, *, job_id: str, worker_id: str, code: str, message: str, retryable: bool,
    backoff_s: float = 0.0,
) -> str | None:
    """Record a failed attempt. Retryable with attempts left: back to queued after backoff_s; else failed.
    Returns the new status, or None if the lease was lost."""
    now = utcnow()
    job = session.scalar(select(Job).where(_owned(job_id, worker_id)))
    if job is None:
        return None
    if retryable and job.attempts < job.max_attempts:
        session.execute(
            update(Job).where(_owned(job_id, worker_id))
            .values(status="queued", lease_owner=None, lease_expires_at=None, updated_at=now,
                    available_at=now + timedelta(seconds=backoff_s), error_code=code, error_message=message[:2000])
            .execution_options(synchronize_session=False)
        )
        audit.record(session, actor=f"worker:{worker_id}", entity="job", entity_id=job_id, action="retry",
                     tenant_id=job.tenant_id, from_state="running", to_state="queued",
                     detail={"code": code, "attempt": job.attempts})
        return "queued"
    _finish_failed(session, job_id=job_id, tenant_id=job.tenant_id, from_state="running",
                   actor=f"worker:{worker_id}", code=code, message=message, now=now)
    return "failed"


def delete_job(session: Session, *, job_id: str, actor: str, tenant_id: str | None = None,
               action: str = "deleted") -> Job | None:
    """Hard delete: job row, result, pending deliveries. Returns the deleted job (the caller removes its
    audio file after commit). The audit trail keeps that it existed and who deleted it, not its content."""
    job = session.get(Job, job_id)
    if job is None or (tenant_id is not None and job.tenant_id != tenant_id):
        return None
    session.execute(delete(JobResult).where(JobResult.job_id == job_id))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.job_id == job_id))
    session.execute(delete(Job).where(Job.id == job_id).execution_options(synchronize_session=False))
    audit.record(session, actor=actor, entity="job", entity_id=job_id, action=action, tenant_id=job.tenant_id,
                 from_state=job.status, to_state=None)
    session.expunge(job)
    return job


def queue_stats(session: Session) -> dict[str, Any]:
    counts = dict(session.execute(select(Job.status, func.count()).group_by(Job.status)).all())
    backlog_s = session.scalar(
        select(func.coalesce(func.sum(Job.audio_duration_s), 0.0)).where(Job.status.in_(("queued", "running")))
    )
    return {"counts": {s: int(counts.get(s, 0)) for s in ("queued", "running", "succeeded", "failed")},
            "backlog_audio_s": float(backlog_s or 0.0)}


def count_queued(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Job).where(Job.status == "queued")) or 0)


def expired_jobs(session: Session, *, tenant_id: str, before: datetime, limit: int = 500) -> list[str]:
    q = select(Job.id).where(Job.tenant_id == tenant_id, Job.status.in_(TERMINAL), Job.finished_at < before)
    return list(session.scalars(q.limit(limit)))
