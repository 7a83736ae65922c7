"""/v1/leads: the review queue as JSON: list and filter leads, read one (fields, extracted lead, transitions,
CRM sync status), approve / edit / reject / discard with the version you reviewed, retry failed syncs, and
the tenant's routing policy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.gateway.deps import DbDep, SettingsDep, TenantDep
from services.gateway.lead_protocol import (
    ApproveRequest, Decision, EditRequest, LeadList, LeadScore, LeadState, LeadSummary, LeadView, RejectRequest,
    RoutingUpdate, RoutingView, SyncView, TransitionView,
)
from services.netguard import check_url
from services.store import leads
from services.store.models import LeadRow

router = APIRouter(prefix="/v1/leads", tags=["leads"])

_ERRORS = {
    401: {"description": "unauthorized"},
    404: {"description": "not_found (also another tenant's lead)"},
    409: {"description": "version_conflict (someone changed the lead since you read it) | invalid_transition"},
    422: {"description": "validation_error | invalid_fields | reason_required"},
}


def summary(lead: LeadRow) -> LeadSummary:
    f = lead.fields or {}
    return LeadSummary(id=lead.id, call_id=lead.job_id, correlation_id=lead.correlation_id, state=lead.state,
                       version=lead.version, score=lead.score, confidence=lead.confidence,
                       contact_name=f.get("contact_name"), company=f.get("company"),
                       review_reasons=[str(r) for r in lead.review_reasons or ()], routing_reason=lead.routing_reason,
                       created_at=lead.created_at, updated_at=lead.updated_at)


def sync_views(session, lead_id: str) -> list[SyncView]:  # noqa: ANN001
    return [SyncView(crm=r.crm, status=r.status, external_ids=r.external_ids or {}, attempts=r.attempts,
                     next_attempt_at=r.next_attempt_at if r.status in ("pending", "retry", "parked") else None,
                     last_http_status=r.last_http_status, last_message=r.last_message, synced_at=r.synced_at)
            for r in leads.syncs(session, lead_id=lead_id)]


def view(session, lead: LeadRow) -> LeadView:  # noqa: ANN001
    return LeadView(
        **summary(lead).model_dump(), fields=dict(lead.fields or {}), lead=dict(lead.original or {}),
        reviewed_by=lead.reviewed_by,
        transitions=[TransitionView(at=t.at, actor=t.actor, action=t.action, from_state=t.from_state,
                                    to_state=t.to_state, reason=t.reason, diff=t.diff or {}, version=t.version)
                     for t in leads.transitions(session, lead_id=lead.id)],
        syncs=sync_views(session, lead.id),
    )


def parse_filter(*, state: list[str] | None, score: list[str] | None, min_confidence: float | None,
                 max_confidence: float | None, max_age_h: float | None, reason: str | None,
                 call_id: str | None) -> leads.LeadFilter:
    return leads.LeadFilter(states=tuple(state or ()), scores=tuple(score or ()), min_confidence=min_confidence,
                            max_confidence=max_confidence, max_age_s=max_age_h * 3600 if max_age_h else None,
                            reason=reason or None, call_id=call_id)


@router.get("", response_model=LeadList, responses=_ERRORS,
            summary="List leads: the review queue is state=draft (hot first, then oldest)")
def list_leads(
    tenant: TenantDep,
    db: DbDep,
    state: Annotated[list[LeadState] | None, Query()] = None,
    score: Annotated[list[LeadScore] | None, Query()] = None,
    min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
    max_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
    max_age_h: Annotated[float | None, Query(gt=0, description="created within this many hours")] = None,
    reason: Annotated[str | None, Query(max_length=64, description="a review reason, e.g. low_confidence")] = None,
    call_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> LeadList:
    flt = parse_filter(state=state, score=score, min_confidence=min_confidence, max_confidence=max_confidence,
                       max_age_h=max_age_h, reason=reason, call_id=call_id)
    with db.session() as s:
        rows = leads.list_leads(s, tenant_id=tenant, flt=flt, limit=limit, offset=offset)
        return LeadList(data=[summary(r) for r in rows], offset=offset, limit=limit)


def _routing_view(session, tenant: str, settings) -> RoutingView:  # noqa: ANN001
    r = leads.routing_for(session, tenant_id=tenant, defaults=settings.review)
    return RoutingView(threshold=r.policy.threshold, hot_leads=r.policy.hot_leads,
                       needs_review_always=r.policy.needs_review_always, events_url=r.events_url)


@router.get("/routing", response_model=RoutingView, summary="The tenant's routing policy (with defaults filled in)")
def get_routing(tenant: TenantDep, db: DbDep, settings: SettingsDep) -> RoutingView:
    with db.session() as s:
        return _routing_view(s, tenant, settings)


@router.put("/routing", response_model=RoutingView, responses=_ERRORS,
            summary="Change the tenant's routing policy (fields sent; null resets one to the default)")
def put_routing(body: RoutingUpdate, tenant: TenantDep, db: DbDep, settings: SettingsDep) -> RoutingView:
    values = body.model_dump(exclude_unset=True)
    if values.get("events_url"):
        check_url(values["events_url"], network=settings.network)  # the same SSRF guard as callback_url
    with db.session() as s:
        leads.set_routing(s, tenant_id=tenant, actor=f"tenant:{tenant}", values=values)
        return _routing_view(s, tenant, settings)


@router.get("/{lead_id}", response_model=LeadView, responses=_ERRORS)
def get_lead(lead_id: str, tenant: TenantDep, db: DbDep) -> LeadView:
    with db.session() as s:
        return view(s, leads.get_lead(s, tenant_id=tenant, lead_id=lead_id))


def decide(db, settings, *, tenant: str, lead_id: str, action: str, body: Decision,  # noqa: ANN001
           changes: dict | None = None) -> LeadView:
    with db.session() as s:
        lead = leads.transition(s, tenant_id=tenant, lead_id=lead_id, action=action, actor=f"tenant:{tenant}",
                                expected_version=body.version, reason=body.reason, changes=changes,
                                review=settings.review)
        return view(s, lead)


def _changes(fields) -> dict:  # noqa: ANN001
    return fields.model_dump(exclude_unset=True) if fields is not None else {}


@router.post("/{lead_id}/approve", response_model=LeadView, responses=_ERRORS,
             summary="Approve a draft (with field changes it becomes edited); it is then synced")
def approve(lead_id: str, body: ApproveRequest, tenant: TenantDep, db: DbDep, settings: SettingsDep) -> LeadView:
    return decide(db, settings, tenant=tenant, lead_id=lead_id, action="approve", body=body,
                  changes=_changes(body.fields))


@router.post("/{lead_id}/edit", response_model=LeadView, responses=_ERRORS,
             summary="Change fields of a draft and approve it with them")
def edit(lead_id: str, body: EditRequest, tenant: TenantDep, db: DbDep, settings: SettingsDep) -> LeadView:
    return decide(db, settings, tenant=tenant, lead_id=lead_id, action="edit", body=body,
                  changes=_changes(body.fields))


@router.post("/{lead_id}/reject", response_model=LeadView, responses=_ERRORS, summary="Reject a draft, with a reason")
def reject(lead_id: str, body: RejectRequest, tenant: TenantDep, db: DbDep, settings: SettingsDep) -> LeadView:
    return decide(db, settings, tenant=tenant, lead_id=lead_id, action="reject", body=body)


@router.post("/{lead_id}/discard", response_model=LeadView, responses=_ERRORS,
             summary="Stop: a rejected lead, or an approved one whose sync failed, goes nowhere")
def discard(lead_id: str, body: Decision, tenant: TenantDep, db: DbDep, settings: SettingsDep) -> LeadView:
    return decide(db, settings, tenant=tenant, lead_id=lead_id, action="discard", body=body)


@router.get("/{lead_id}/sync", response_model=list[SyncView], responses=_ERRORS,
            summary="CRM sync status of the lead, one entry per CRM")
def sync_status(lead_id: str, tenant: TenantDep, db: DbDep) -> list[SyncView]:
    with db.session() as s:
        leads.get_lead(s, tenant_id=tenant, lead_id=lead_id)
        return sync_views(s, lead_id)


@router.post("/{lead_id}/sync/retry", response_model=list[SyncView], responses=_ERRORS, status_code=202,
             summary="Try the failed CRM syncs of the lead again (after fixing the cause in the CRM)")
def retry_sync(lead_id: str, tenant: TenantDep, db: DbDep) -> list[SyncView]:
    with db.session() as s:
        leads.retry_failed_syncs(s, tenant_id=tenant, lead_id=lead_id, actor=f"tenant:{tenant}")
        return sync_views(s, lead_id)
