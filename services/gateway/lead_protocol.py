"""Wire types of /v1/leads (the review queue's JSON API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

LeadState = Literal["draft", "approved", "edited", "rejected", "applied", "discarded"]
LeadScore = Literal["hot", "warm", "cold"]
SyncStatus = Literal["pending", "synced", "retry", "parked", "failed"]


class LeadFields(BaseModel):
    """The CRM fields of a lead; a reviewer may change any of them (null or "" clears one)."""

    model_config = ConfigDict(extra="forbid")

    score: LeadScore | None = None
    contact_name: str | None = Field(None, max_length=200)
    contact_title: str | None = Field(None, max_length=200)
    contact_email: str | None = Field(None, max_length=254)
    contact_phone: str | None = Field(None, max_length=64)
    company: str | None = Field(None, max_length=200)
    company_domain: str | None = Field(None, max_length=253)
    budget_amount: str | None = Field(None, max_length=100)
    timeline_text: str | None = Field(None, max_length=200)
    next_step: str | None = Field(None, max_length=500)
    summary: str | None = Field(None, max_length=4000)


class SyncView(BaseModel):
    crm: str
    status: SyncStatus
    external_ids: dict[str, Any]
    attempts: int
    next_attempt_at: datetime | None
    last_http_status: int | None
    last_message: str | None = Field(description="the CRM's own words when a sync failed or is retried")
    synced_at: datetime | None


class TransitionView(BaseModel):
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str
    reason: str | None
    diff: dict[str, Any] = Field(description="field -> [before, after] of an edit")
    version: int


class LeadSummary(BaseModel):
    id: str
    call_id: str
    correlation_id: str | None
    state: LeadState
    version: int
    score: LeadScore
    confidence: float
    contact_name: str | None
    company: str | None
    review_reasons: list[str]
    routing_reason: str
    created_at: datetime
    updated_at: datetime


class LeadView(LeadSummary):
    fields: dict[str, Any] = Field(description="the CRM fields as they will be synced (edits applied)")
    lead: dict[str, Any] = Field(description="the lead as extracted (BANT, evidence, contact): never changed")
    reviewed_by: str | None
    transitions: list[TransitionView]
    syncs: list[SyncView]


class LeadList(BaseModel):
    data: list[LeadSummary]
    offset: int
    limit: int


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, description="the version you reviewed; another change since answers 409 version_conflict")
    reason: str | None = Field(None, max_length=2000, description="why (required to reject)")


class ApproveRequest(Decision):
    fields: LeadFields | None = Field(None, description="changes to make before approving (then the state is edited)")


class EditRequest(Decision):
    fields: LeadFields = Field(description="the changed fields; the lead is approved with them (state edited)")


class RejectRequest(Decision):
    reason: str = Field(min_length=1, max_length=2000, description="why the lead is rejected")


class RoutingView(BaseModel):
    threshold: float
    hot_leads: Literal["review", "threshold", "never"]
    needs_review_always: bool
    events_url: str | None


class RoutingUpdate(BaseModel):
    """Fields to change; an explicit null resets one to the server default (settings review.*)."""

    model_config = ConfigDict(extra="forbid")

    threshold: float | None = Field(None, ge=0.0, le=1.0)
    hot_leads: Literal["review", "threshold", "never"] | None = None
    needs_review_always: bool | None = None
    events_url: str | None = Field(None, max_length=2048)
