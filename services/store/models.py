"""SQLAlchemy 2 models. Schema changes go through Alembic (services/store/migrations)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.store.db import UTCDateTime, utcnow

JOB_STATES = ("queued", "running", "succeeded", "failed")
DELIVERY_STATES = ("pending", "delivered", "dead")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    retention_days: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12), doc="first characters of the key, for humans")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_claim", "status", "available_at"),
        Index("ix_jobs_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    api: Mapped[str] = mapped_column(String(16), default="parley", doc="parley | gladia | openai")
    source: Mapped[str] = mapped_column(String(8), doc="upload | url")
    audio_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    audio_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    audio_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    audio_duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    callback_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    correlation_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    lease_owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)


class JobResult(Base):
    """One result per job: the primary key is the job id, so a second write is a no-op (idempotent)."""

    __tablename__ = "job_results"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    result: Mapped[dict[str, Any]] = mapped_column()
    worker_id: Mapped[str] = mapped_column(String(100))
    attempt: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """Transactional outbox row: written in the same transaction as the state change it announces."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(nullable=True)


class AuditEvent(Base):
    """Every state change: who (actor), what (action, from -> to), when. Kept after hard deletes (no content)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    entity: Mapped[str] = mapped_column(String(32), doc="job | delivery | tenant | api_key")
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class StageLatency(Base):
    """Cumulative stage latency histogram (for /metrics), updated by workers with each result."""

    __tablename__ = "stage_latency"

    stage: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    total_s: Mapped[float] = mapped_column(Float, default=0.0)
    buckets: Mapped[list[Any]] = mapped_column(default=list, doc="cumulative counts per LATENCY_BUCKETS bound")


# --------------------------------------------------------------------------------------------- leads
# One lead per job (routing, review, CRM sync). See services/store/leads.py for the state machine.

LEAD_STATES = ("draft", "approved", "edited", "rejected", "applied", "discarded")
SYNC_STATES = ("pending", "synced", "retry", "parked", "failed")


class LeadRow(Base):
    """A scored call's lead: the CRM fields a reviewer may edit (`fields`), the lead JSON as extracted
    (`original`, never changed), its review state and `version` (optimistic concurrency: every change bumps it,
    every write checks it)."""

    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_tenant_state_created", "tenant_id", "state", "created_at"),
        Index("ix_leads_state", "state"),  # the sync dispatcher looks for approved leads of every tenant
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), unique=True)
    correlation_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    score: Mapped[str] = mapped_column(String(8), doc="hot | warm | cold (editable)")
    confidence: Mapped[float] = mapped_column(Float)
    fields: Mapped[dict[str, Any]] = mapped_column(doc="the editable CRM fields; a reviewer's edits win")
    original: Mapped[dict[str, Any]] = mapped_column(doc="the lead JSON of the result, as extracted")
    review_reasons: Mapped[list[Any]] = mapped_column(default=list, doc="why review was needed (routing + lead)")
    state: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    routing_reason: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LeadTransition(Base):
    """Every state change of a lead: who, when, from, to, why, and the field diff of an edit."""

    __tablename__ = "lead_transitions"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    diff: Mapped[dict[str, Any]] = mapped_column(default=dict, doc="field -> [before, after]")
    version: Mapped[int] = mapped_column(Integer, doc="the lead's version after this change")


class CrmSync(Base):
    """One lead in one CRM: a leased work item of the CRM sync dispatcher (services/crm/sync.py)."""

    __tablename__ = "crm_syncs"
    __table_args__ = (
        UniqueConstraint("lead_id", "crm", name="uq_crm_syncs_lead_crm"),
        Index("ix_crm_syncs_due", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    crm: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    external_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    synced_at: Mapped[datetime | None] = mapped_column(nullable=True)


class RoutingConfig(Base):
    """Per-tenant routing: a missing row or a NULL column means the default from settings (review.*)."""

    __tablename__ = "routing_configs"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    hot_leads: Mapped[str | None] = mapped_column(String(16), nullable=True, doc="review | threshold | never")
    needs_review_always: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    events_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
