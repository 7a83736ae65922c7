"""Retention: hard-delete audio, transcripts and results of finished jobs older than the tenant's TTL."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from services.store import jobs
from services.store.db import Database, utcnow
from services.store.models import Tenant


def remove_audio(path: str | None) -> None:
    if path:
        Path(path).unlink(missing_ok=True)


def sweep(db: Database, *, default_ttl_days: float | None, now: datetime | None = None) -> list[str]:
    """One pass; returns the deleted job ids. Each job is deleted in its own short transaction."""
    now = now or utcnow()
    deleted: list[str] = []
    with db.session() as s:
        tenants = [(t.id, t.retention_days) for t in s.scalars(select(Tenant))]
    for tenant_id, days in tenants:
        ttl = days if days is not None else default_ttl_days
        if ttl is None:
            continue
        with db.session() as s:
            ids = jobs.expired_jobs(s, tenant_id=tenant_id, before=now - timedelta(days=ttl))
        for job_id in ids:
            with db.session() as s:
                job = jobs.delete_job(s, job_id=job_id, actor="system:retention", action="retention_deleted")
            if job is not None:
                remove_audio(job.audio_path)
                deleted.append(job_id)
    return deleted
