"""Leads: created and routed when a job completes, reviewed by people, synced to CRMs.

State machine (every change bumps `version`, is checked against the version the caller saw, stored in
lead_transitions, written to the audit log and announced as a domain event, all in one transaction):

    (job completes) -> draft     routing sent it to the review queue            LeadScored, LeadReviewRequired
                    -> approved  routing passed (actor system:routing)           LeadScored, LeadApproved
    draft    --approve--> approved                                                LeadApproved
    draft    --edit-----> edited     (approved with the reviewer's field changes)  LeadApproved
    draft    --reject---> rejected   (a reason is required)                        LeadRejected
    approved | edited --apply--> applied    (every CRM row synced; system:sync)   LeadSynced (per CRM)
    approved | edited | rejected --discard--> discarded  (stop: nothing more goes to a CRM)

An approved / edited lead gets one crm_syncs row per configured CRM (ensure_sync_rows); the dispatcher
(services/crm/sync.py) claims due rows with leases and records each outcome here.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.crm.routing import RoutingPolicy, route
from services.errors import ParleyError
from services.settings import ReviewSettings
from services.store import audit, lead_events
from services.store.db import utcnow
from services.store.models import CrmSync, Job, LeadRow, LeadTransition, RoutingConfig

SYSTEM_ROUTING = "system:routing"
SYSTEM_SYNC = "system:sync"
REVIEWABLE = ("draft",)
SYNCABLE = ("approved", "edited")
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "approve"): "approved",
    ("draft", "edit"): "edited",
    ("draft", "reject"): "rejected",
    ("approved", "apply"): "applied",
    ("edited", "apply"): "applied",
    ("approved", "discard"): "discarded",
    ("edited", "discard"): "discarded",
    ("rejected", "discard"): "discarded",
}
# The CRM fields a reviewer may edit, with their longest accepted value.
EDITABLE: dict[str, int] = {
    "contact_name": 200, "contact_title": 200, "contact_email": 254, "contact_phone": 64, "company": 200,
    "company_domain": 253, "budget_amount": 100, "timeline_text": 200, "next_step": 500, "summary": 4000,
}
SCORES = ("hot", "warm", "cold")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PERSONAL_DOMAINS = frozenset({"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "aol.com",
                               "proton.me", "protonmail.com", "gmx.de", "web.de"})


# ------------------------------------------------------------------------------------------- errors


class LeadError(ParleyError):
    code = "invalid_request"
    http_status = 422


class LeadNotFound(LeadError):
    code = "not_found"
    http_status = 404


class InvalidTransition(LeadError):
    code = "invalid_transition"
    http_status = 409
    hint = "GET the lead for its current state; see README 'Review queue and lead routing' for the states"


class VersionConflict(LeadError):
    code = "version_conflict"
    http_status = 409
    hint = "someone changed this lead since you loaded it: reload it and decide again"


class InvalidFields(LeadError):
    code = "invalid_fields"
    http_status = 422


# ------------------------------------------------------------------------------------------- fields


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower()
    return None if domain in _PERSONAL_DOMAINS else domain or None


def fields_from_lead(lead: dict[str, Any]) -> dict[str, Any]:
    """The editable CRM fields of a lead JSON (services/pipeline/types.py Lead)."""
    contact = lead.get("contact") or {}
    return {
        "score": lead.get("score") or "cold",
        "contact_name": contact.get("name"), "contact_title": contact.get("title"),
        "contact_email": contact.get("email"), "contact_phone": contact.get("phone"),
        "company": contact.get("company"), "company_domain": email_domain(contact.get("email")),
        "budget_amount": lead.get("budget_amount"), "timeline_text": lead.get("timeline_text"),
        "next_step": lead.get("next_step"), "summary": lead.get("summary") or "",
    }


def validate_fields(changes: dict[str, Any]) -> dict[str, Any]:
    """Clean a reviewer's field changes: known names only, strings within bounds, '' means cleared (None)."""
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "score":
            if value not in SCORES:
                raise InvalidFields(f"score must be one of {', '.join(SCORES)}", code="invalid_fields")
            clean[name] = value
            continue
        if name not in EDITABLE:
            raise InvalidFields(f"{name!r} is not an editable field (editable: score, {', '.join(EDITABLE)})")
        if value is not None and not isinstance(value, str):
            raise InvalidFields(f"{name} must be a string or null")
        value = (value or "").strip()
        if len(value) > EDITABLE[name]:
            raise InvalidFields(f"{name} is longer than {EDITABLE[name]} characters")
        if name == "contact_email" and value and not _EMAIL.match(value):
            raise InvalidFields(f"contact_email {value!r} is not an e-mail address")
        clean[name] = value or (None if name != "summary" else "")
    return clean


def diff_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


# ------------------------------------------------------------------------------------------- routing


@dataclass(frozen=True)
class TenantRouting:
    policy: RoutingPolicy
    events_url: str | None


def routing_for(session: Session, *, tenant_id: str, defaults: ReviewSettings) -> TenantRouting:
    row = session.get(RoutingConfig, tenant_id)
    pick = (lambda v, d: d if v is None else v)  # noqa: E731
    return TenantRouting(
        policy=RoutingPolicy(
            threshold=pick(row.threshold if row else None, defaults.threshold),
            hot_leads=pick(row.hot_leads if row else None, defaults.hot_leads),
            needs_review_always=pick(row.needs_review_always if row else None, defaults.needs_review_always),
        ),
        events_url=pick(row.events_url if row else None, defaults.events_url),
    )


def set_routing(session: Session, *, tenant_id: str, actor: str, values: dict[str, Any]) -> RoutingConfig:
    """Set (or, with None, reset to the default) the tenant's routing fields named in `values`."""
    row = session.get(RoutingConfig, tenant_id)
    if row is None:
        row = RoutingConfig(tenant_id=tenant_id)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    audit.record(session, actor=actor, entity="tenant", entity_id=tenant_id, action="routing_set",
                 tenant_id=tenant_id, detail={k: v for k, v in values.items()})
    session.flush()
    return row


def _transition_row(session: Session, lead: LeadRow, *, actor: str, action: str, from_state: str | None,
                    reason: str | None = None, diff: dict[str, Any] | None = None) -> None:
    session.add(LeadTransition(lead_id=lead.id, at=utcnow(), actor=actor, action=action, from_state=from_state,
                               to_state=lead.state, reason=reason, diff=diff or {}, version=lead.version))
    audit.record(session, actor=actor, entity="lead", entity_id=lead.id, action=action, tenant_id=lead.tenant_id,
                 from_state=from_state, to_state=lead.state,
                 detail={"job_id": lead.job_id, "version": lead.version, **({"reason": reason} if reason else {}),
                         **({"fields": sorted(diff)} if diff else {})})


def create_for_job(session: Session, *, job: Job, result: dict[str, Any], review: ReviewSettings) -> LeadRow | None:
    """Create and route the lead of a completed job (called inside complete_job's transaction). A result
    without a lead (extraction off) creates nothing; a second call for the same job returns the first lead."""
    lead_json = result.get("lead")
    if not lead_json:
        return None
    existing = session.scalar(select(LeadRow).where(LeadRow.job_id == job.id))
    if existing is not None:
        return existing
    routing = routing_for(session, tenant_id=job.tenant_id, defaults=review)
    decision = route(lead_json, routing.policy)
    now = utcnow()
    reasons = list(dict.fromkeys((*decision.reasons, *(lead_json.get("review_reasons") or ()))))
    lead = LeadRow(
        id=uuid.uuid4().hex, tenant_id=job.tenant_id, job_id=job.id, correlation_id=job.correlation_id,
        score=lead_json.get("score") or "cold", confidence=float(lead_json.get("confidence") or 0.0),
        fields=fields_from_lead(lead_json), original=lead_json, review_reasons=reasons,
        state="approved" if decision.auto else "draft", version=1, routing_reason=decision.summary,
        reviewed_by=SYSTEM_ROUTING if decision.auto else None, created_at=now, updated_at=now,
    )
    session.add(lead)
    session.flush()
    _transition_row(session, lead, actor=SYSTEM_ROUTING, action="route", from_state=None, reason=decision.summary)
    lead_events.emit(session, "LeadScored", lead=lead, job=job, events_url=routing.events_url)
    lead_events.emit(session, "LeadApproved" if decision.auto else "LeadReviewRequired", lead=lead, job=job,
                     events_url=routing.events_url,
                     extra={"actor": SYSTEM_ROUTING} if decision.auto else {"reasons": reasons})
    return lead


# ------------------------------------------------------------------------------------------- reads


def get_lead(session: Session, *, tenant_id: str, lead_id: str) -> LeadRow:
    lead = session.get(LeadRow, lead_id)
    if lead is None or lead.tenant_id != tenant_id:  # another tenant's lead is indistinguishable from none
        raise LeadNotFound(f"no lead {lead_id!r}")
    return lead


@dataclass(frozen=True)
class LeadFilter:
    states: tuple[str, ...] = ()
    scores: tuple[str, ...] = ()
    min_confidence: float | None = None
    max_confidence: float | None = None
    max_age_s: float | None = None
    reason: str | None = None
    """substring of a review reason (e.g. low_confidence, evidence_missing)"""
    call_id: str | None = None


def list_leads(session: Session, *, tenant_id: str, flt: LeadFilter, limit: int, offset: int = 0,
               now: datetime | None = None) -> list[LeadRow]:
    """Hot before warm before cold (hot leads are reviewed first), then oldest first: the queue order."""
    q = select(LeadRow).where(LeadRow.tenant_id == tenant_id)
    if flt.states:
        q = q.where(LeadRow.state.in_(flt.states))
    if flt.scores:
        q = q.where(LeadRow.score.in_(flt.scores))
    if flt.min_confidence is not None:
        q = q.where(LeadRow.confidence >= flt.min_confidence)
    if flt.max_confidence is not None:
        q = q.where(LeadRow.confidence <= flt.max_confidence)
    if flt.max_age_s is not None:
        q = q.where(LeadRow.created_at >= (now or utcnow()) - timedelta(seconds=flt.max_age_s))
    if flt.call_id:
        q = q.where(LeadRow.job_id == flt.call_id)
    rank = case((LeadRow.score == "hot", 0), (LeadRow.score == "warm", 1), else_=2)
    q = q.order_by(rank, LeadRow.created_at, LeadRow.id)
    if flt.reason:
        # review_reasons is a JSON list; filtering it portably in SQL is not worth a dialect branch at queue sizes
        rows = [r for r in session.scalars(q) if any(flt.reason in str(x) for x in (r.review_reasons or ()))]
        return rows[offset:offset + limit]
    return list(session.scalars(q.offset(offset).limit(limit)))


def transitions(session: Session, *, lead_id: str) -> list[LeadTransition]:
    return list(session.scalars(select(LeadTransition).where(LeadTransition.lead_id == lead_id)
                                .order_by(LeadTransition.id)))


def syncs(session: Session, *, lead_id: str) -> list[CrmSync]:
    return list(session.scalars(select(CrmSync).where(CrmSync.lead_id == lead_id).order_by(CrmSync.crm)))


# ------------------------------------------------------------------------------------------- review


def _bump(session: Session, lead: LeadRow, *, expected_version: int, values: dict[str, Any]) -> None:
    """The optimistic-concurrency write: only if nobody changed the lead since `expected_version`."""
    res = session.execute(
        update(LeadRow).where(LeadRow.id == lead.id, LeadRow.version == expected_version)
        .values(version=expected_version + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:
        raise VersionConflict(f"lead {lead.id} is no longer at version {expected_version}")
    session.refresh(lead)


def transition(
    session: Session,
    *,
    tenant_id: str,
    lead_id: str,
    action: str,
    actor: str,
    expected_version: int,
    reason: str | None = None,
    changes: dict[str, Any] | None = None,
    review: ReviewSettings | None = None,
) -> LeadRow:
    """A reviewer's decision (approve, edit, reject, discard). `approve` with field changes is an edit; `edit`
    without a change is an approve. Raises LeadNotFound, VersionConflict, InvalidTransition, InvalidFields."""
    lead = get_lead(session, tenant_id=tenant_id, lead_id=lead_id)
    if lead.version != expected_version:
        raise VersionConflict(f"lead {lead.id} is at version {lead.version}, not {expected_version}")
    clean = validate_fields(changes or {})
    diff = diff_fields(lead.fields or {}, clean)
    if action in ("approve", "edit"):
        action = "edit" if diff else "approve"
    elif diff:
        raise InvalidFields(f"{action} does not take field changes")
    reason = (reason or "").strip() or None
    if action == "reject" and not reason:
        raise LeadError("a rejection needs a reason", code="reason_required")
    if reason is not None and len(reason) > 2000:
        raise LeadError("the reason is longer than 2000 characters", code="reason_too_long")
    to_state = TRANSITIONS.get((lead.state, action))
    if to_state is None:
        raise InvalidTransition(f"cannot {action} a lead in state {lead.state}")
    from_state = lead.state
    values: dict[str, Any] = {"state": to_state}
    if action in ("approve", "edit", "reject"):
        values["reviewed_by"] = actor
    if diff:
        values["fields"] = {**(lead.fields or {}), **clean}
        values["score"] = values["fields"]["score"]
    _bump(session, lead, expected_version=expected_version, values=values)
    _transition_row(session, lead, actor=actor, action=action, from_state=from_state, reason=reason, diff=diff)
    job = session.get(Job, lead.job_id)
    events_url = routing_for(session, tenant_id=lead.tenant_id, defaults=review or ReviewSettings()).events_url
    if to_state in ("approved", "edited"):
        lead_events.emit(session, "LeadApproved", lead=lead, job=job, events_url=events_url,
                         extra={"actor": actor, "diff": diff})
    elif to_state == "rejected":
        lead_events.emit(session, "LeadRejected", lead=lead, job=job, events_url=events_url,
                         extra={"actor": actor, "reason": reason})
    return lead


# ------------------------------------------------------------------------------------------- CRM sync rows


def ensure_sync_rows(session: Session, *, crms: list[str], now: datetime | None = None) -> int:
    """One pending crm_syncs row per (approved or edited lead, configured CRM) that has none yet. Idempotent and
    safe with several dispatchers: the (lead_id, crm) unique key absorbs the race (ON CONFLICT DO NOTHING)."""
    now = now or utcnow()
    ins_fn = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    created = 0
    for crm in crms:
        missing = session.execute(
            select(LeadRow.id, LeadRow.tenant_id).where(
                LeadRow.state.in_(SYNCABLE),
                ~exists().where(and_(CrmSync.lead_id == LeadRow.id, CrmSync.crm == crm)),
            ).limit(500)
        ).all()
        for lead_id, tenant_id in missing:
            res = session.execute(ins_fn(CrmSync).values(
                id=uuid.uuid4().hex, tenant_id=tenant_id, lead_id=lead_id, crm=crm, status="pending",
                external_ids={}, attempts=0, next_attempt_at=now, created_at=now, updated_at=now,
            ).on_conflict_do_nothing(index_elements=["lead_id", "crm"]))
            created += res.rowcount or 0
    return created


def claim_due_syncs(session: Session, *, crms: list[str], limit: int, lease_s: float,
                    now: datetime | None = None) -> list[CrmSync]:
    """Claim due rows (pending, retry, parked whose time has come) of approved / edited leads; they are invisible
    to other dispatchers for lease_s (a crashed dispatcher's rows come back after it). SKIP LOCKED on PostgreSQL."""
    now = now or utcnow()
    q = (
        select(CrmSync).join(LeadRow, LeadRow.id == CrmSync.lead_id)
        .where(CrmSync.status.in_(("pending", "retry", "parked")), CrmSync.next_attempt_at <= now,
               CrmSync.crm.in_(crms), LeadRow.state.in_(SYNCABLE))
        .order_by(CrmSync.next_attempt_at).limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(of=CrmSync, skip_locked=True)
    rows = list(session.scalars(q))
    for row in rows:
        row.next_attempt_at = row.lease_expires_at = now + timedelta(seconds=lease_s)
    session.flush()
    return rows


@dataclass(frozen=True)
class SyncResult:
    """What the dispatcher learned from one adapter call, already turned into a schedule."""

    status: str  # synced | retry | parked | failed
    external_ids: dict[str, str]
    message: str | None
    http_status: int | None
    next_attempt_at: datetime | None = None
    counts_as_attempt: bool = True


def record_sync(session: Session, *, sync_id: str, result: SyncResult, review: ReviewSettings | None = None) -> str | None:
    """Store one sync outcome. synced: ids kept, and once every CRM row of the lead is synced the lead is
    applied (LeadSynced per CRM). failed: LeadSyncFailed with the CRM's message. Returns the row's status,
    None if the lead was deleted meanwhile."""
    row = session.get(CrmSync, sync_id)
    if row is None:
        return None
    lead = session.get(LeadRow, row.lead_id)
    now = utcnow()
    row.attempts += 1 if result.counts_as_attempt else 0
    row.status = result.status
    row.last_http_status = result.http_status
    row.last_message = (result.message or None) and result.message[:4000]
    row.lease_expires_at = None
    row.updated_at = now
    if result.external_ids:
        row.external_ids = {**(row.external_ids or {}), **result.external_ids}
    if result.status in ("retry", "parked"):
        row.next_attempt_at = result.next_attempt_at or now
    elif result.status == "synced":
        row.synced_at = now
    session.flush()
    job = session.get(Job, lead.job_id)
    events_url = routing_for(session, tenant_id=lead.tenant_id, defaults=review or ReviewSettings()).events_url
    if result.status == "synced":
        lead_events.emit(session, "LeadSynced", lead=lead, job=job, events_url=events_url,
                         extra={"crm": row.crm, "external_ids": dict(row.external_ids or {})})
        pending = session.scalar(select(func.count()).select_from(CrmSync).where(
            CrmSync.lead_id == lead.id, CrmSync.status != "synced"))
        if not pending and lead.state in SYNCABLE:
            from_state = lead.state
            _bump(session, lead, expected_version=lead.version, values={"state": "applied"})
            _transition_row(session, lead, actor=SYSTEM_SYNC, action="apply", from_state=from_state,
                            reason="synced to " + ", ".join(s.crm for s in syncs(session, lead_id=lead.id)))
    elif result.status == "failed":
        lead_events.emit(session, "LeadSyncFailed", lead=lead, job=job, events_url=events_url,
                         extra={"crm": row.crm, "message": row.last_message, "http_status": row.last_http_status,
                                "attempts": row.attempts})
    audit.record(session, actor=SYSTEM_SYNC, entity="crm_sync", entity_id=row.id, action=result.status,
                 tenant_id=row.tenant_id, to_state=result.status,
                 detail={"lead_id": row.lead_id, "crm": row.crm, "http_status": result.http_status,
                         "attempts": row.attempts})
    return row.status


def retry_failed_syncs(session: Session, *, tenant_id: str, lead_id: str, actor: str) -> int:
    """A person fixed the cause of a failed sync (e.g. the CRM's duplicate): try the failed rows again."""
    lead = get_lead(session, tenant_id=tenant_id, lead_id=lead_id)
    if lead.state not in SYNCABLE:
        raise InvalidTransition(f"a lead in state {lead.state} is not synced")
    rows = [r for r in syncs(session, lead_id=lead_id) if r.status == "failed"]
    for r in rows:
        r.status, r.attempts, r.next_attempt_at, r.updated_at = "pending", 0, utcnow(), utcnow()
        audit.record(session, actor=actor, entity="crm_sync", entity_id=r.id, action="retry", tenant_id=tenant_id,
                     from_state="failed", to_state="pending", detail={"lead_id": lead_id, "crm": r.crm})
    return len(rows)
