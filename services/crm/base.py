"""What every CRM adapter takes and gives back: the one contract between the lead sync (review queue, outbox,
dispatcher) and the per-CRM code (HubSpot, Salesforce, signed webhook sink).

A `CrmRecord` is built from a stored lead after routing or review (the reviewer's edits already applied); it
carries ids and fields, never the transcript or audio (claim check). An adapter turns one record into keyed
upserts in its CRM and answers a `SyncOutcome`; it never raises for a CRM's answer, only for programming errors.
Re-sending the same record must not duplicate anything: adapters upsert on `record.key` (or the e-mail).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

SyncStatus = Literal["synced", "retry", "parked", "failed"]


@dataclass(frozen=True)
class BantEvidenceLine:
    criterion: Literal["budget", "authority", "need", "timeline"]
    status: str | None
    quote: str | None
    start_s: float | None = None


@dataclass(frozen=True)
class CrmRecord:
    """One lead as the CRM should see it. `key` is Parley's stable id for the lead (the lead id): the external
    id / unique property adapters upsert on, so a re-run updates instead of creating."""

    key: str
    tenant_id: str
    call_id: str
    call_url: str | None
    score: Literal["hot", "warm", "cold"]
    confidence: float
    contact_name: str | None = None
    contact_title: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    company: str | None = None
    company_domain: str | None = None
    budget_amount: str | None = None
    timeline_text: str | None = None
    next_step: str | None = None
    competitors: tuple[str, ...] = ()
    summary: str = ""
    reasoning: str = ""
    evidence: tuple[BantEvidenceLine, ...] = ()
    reviewed_by: str | None = None
    known_ids: dict[str, str] = field(default_factory=dict)  # ids a previous sync of this lead got: update by id
    extra: dict[str, str] = field(default_factory=dict)
    attempt: int = 1  # 1-based try of this sync, set by the dispatcher: adapters size the retry backoff on it


@dataclass(frozen=True)
class SyncOutcome:
    """`synced`: done, `external_ids` says what was written (e.g. {"contact": "123", "company": "45", "note":
    "67"} or {"lead": "00Q...", "task": "00T..."}). `retry`: transient (5xx, timeout, rate limit) - try again
    after `retry_after_s`. `parked`: a long limit (e.g. a daily quota) - do not try before `retry_after_s`.
    `failed`: the CRM refused the content (4xx, multiple matches): a person must look; `message` is the CRM's
    own words, readable."""

    status: SyncStatus
    external_ids: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    http_status: int | None = None
    retry_after_s: float | None = None
    detail: dict[str, object] = field(default_factory=dict)


class CrmAdapter(Protocol):
    name: str  # "hubspot" | "salesforce" | "webhook"

    async def sync(self, record: CrmRecord) -> SyncOutcome: ...

    async def aclose(self) -> None: ...
