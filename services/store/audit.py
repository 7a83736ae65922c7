"""Audit log: every state change, who did it and when. Rows carry no transcript content."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.store.db import utcnow
from services.store.models import AuditEvent


def record(
    session: Session,
    *,
    actor: str,
    entity: str,
    entity_id: str,
    action: str,
    tenant_id: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEvent(
            at=utcnow(),
            actor=actor,
            entity=entity,
            entity_id=entity_id,
            action=action,
            tenant_id=tenant_id,
            from_state=from_state,
            to_state=to_state,
            detail=detail or {},
        )
    )


def list_events(session: Session, *, entity_id: str, tenant_id: str | None = None) -> list[AuditEvent]:
    q = select(AuditEvent).where(AuditEvent.entity_id == entity_id)
    if tenant_id is not None:
        q = q.where(AuditEvent.tenant_id == tenant_id)
    return list(session.scalars(q.order_by(AuditEvent.id)))
