"""Lead domain events (LeadScored, LeadReviewRequired, LeadApproved, LeadRejected, LeadSynced, LeadSyncFailed)
through the transactional outbox: enqueued in the same transaction as the change they announce, delivered
signed by the webhook dispatcher (services/crm/webhooks.py).

Receivers: the call's callback_url (if it was given) and the tenant's events URL (PUT /v1/leads/routing
`events_url`, default review.events_url); one delivery per distinct URL. Every delivery of one event carries
the same `event_id` (payload field and Parley-Event-Id header): receivers de-duplicate on it, since an event
may reach them more than once (a retry after a lost answer, or a redelivery). Claim check: events carry ids
and the lead's CRM fields, never the transcript, its quotes or the audio; fetch those by id if needed.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from services.store import outbox
from services.store.db import utcnow
from services.store.models import Job, LeadRow

EVENTS = ("LeadScored", "LeadReviewRequired", "LeadApproved", "LeadRejected", "LeadSynced", "LeadSyncFailed")


def lead_snapshot(lead: LeadRow) -> dict[str, Any]:
    return {"state": lead.state, "version": lead.version, "score": lead.score, "confidence": lead.confidence,
            "fields": dict(lead.fields or {}), "routing_reason": lead.routing_reason,
            "review_reasons": list(lead.review_reasons or [])}


def payload(event: str, *, lead: LeadRow, job: Job | None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "event": event, "event_id": uuid.uuid4().hex, "occurred_at": utcnow().isoformat(),
        "tenant_id": lead.tenant_id, "call_id": lead.job_id, "lead_id": lead.id,
        "correlation_id": lead.correlation_id, "metadata": dict(job.meta or {}) if job is not None else {},
        "lead": lead_snapshot(lead), **(extra or {}),
    }


def emit(session: Session, event: str, *, lead: LeadRow, job: Job | None, events_url: str | None,
         extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Enqueue `event` to every receiver; returns the payload (with its event_id) even when nobody listens."""
    if event not in EVENTS:
        raise ValueError(f"unknown lead event {event!r}")
    body = payload(event, lead=lead, job=job, extra=extra)
    urls = [u for u in dict.fromkeys((job.callback_url if job is not None else None, events_url)) if u]
    for url in urls:
        outbox.enqueue(session, tenant_id=lead.tenant_id, job_id=lead.job_id, event=event, url=url, payload=body)
    return body
