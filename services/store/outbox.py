"""Webhook outbox: deliveries are rows written in the same transaction as the event they announce; the
dispatcher claims due rows (leases via next_attempt_at), posts them and records the outcome."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.store import audit
from services.store.db import utcnow
from services.store.models import WebhookDelivery


def enqueue(
    session: Session, *, tenant_id: str, job_id: str | None, event: str, url: str, payload: dict[str, Any]
) -> WebhookDelivery:
    d = WebhookDelivery(
        id=uuid.uuid4().hex, tenant_id=tenant_id, job_id=job_id, event=event, url=url, payload=payload,
        status="pending", attempts=0, next_attempt_at=utcnow(),
    )
    session.add(d)
    return d


def claim_due(session: Session, *, limit: int, lease_s: float, now: datetime | None = None) -> list[WebhookDelivery]:
    """Claim up to `limit` due deliveries; they are invisible to other dispatchers for lease_s."""
    now = now or utcnow()
    q = (
        select(WebhookDelivery)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    rows = list(session.scalars(q))
    for d in rows:
        d.next_attempt_at = now + timedelta(seconds=lease_s)
        d.lease_expires_at = d.next_attempt_at
    session.flush()
    return rows


def record_attempt(
    session: Session,
    *,
    delivery_id: str,
    delivered: bool,
    status_code: int | None,
    error: str | None,
    next_attempt_at: datetime | None,
) -> str | None:
    """Record one delivery attempt. next_attempt_at None and not delivered = dead letter. Returns new status."""
    d = session.get(WebhookDelivery, delivery_id)
    if d is None:  # deleted meanwhile (job hard-deleted)
        return None
    before = d.status
    d.attempts += 1
    d.last_status_code = status_code
    d.last_error = error
    d.lease_expires_at = None
    if delivered:
        d.status, d.delivered_at = "delivered", utcnow()
    elif next_attempt_at is None:
        d.status = "dead"
    else:
        d.next_attempt_at = next_attempt_at
    if d.status != before:
        audit.record(session, actor="system:outbox", entity="delivery", entity_id=d.id, action=d.status,
                     tenant_id=d.tenant_id, from_state=before, to_state=d.status,
                     detail={"attempts": d.attempts, "status_code": status_code})
    return d.status


def redeliver(session: Session, *, tenant_id: str, delivery_id: str, actor: str) -> WebhookDelivery | None:
    d = session.get(WebhookDelivery, delivery_id)
    if d is None or d.tenant_id != tenant_id:
        return None
    before = d.status
    d.status, d.attempts, d.next_attempt_at, d.delivered_at = "pending", 0, utcnow(), None
    audit.record(session, actor=actor, entity="delivery", entity_id=d.id, action="redeliver",
                 tenant_id=tenant_id, from_state=before, to_state="pending")
    return d


def list_deliveries(
    session: Session, *, tenant_id: str, job_id: str | None = None, status: str | None = None, limit: int = 100
) -> list[WebhookDelivery]:
    q = select(WebhookDelivery).where(WebhookDelivery.tenant_id == tenant_id)
    if job_id is not None:
        q = q.where(WebhookDelivery.job_id == job_id)
    if status is not None:
        q = q.where(WebhookDelivery.status == status)
    return list(session.scalars(q.order_by(WebhookDelivery.created_at.desc()).limit(limit)))

