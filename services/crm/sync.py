"""CRM sync dispatcher: approved leads -> every configured CRM, durably.

Each round: make sure every approved / edited lead has a crm_syncs row per CRM, claim due rows with a lease
(SKIP LOCKED on PostgreSQL, like the webhook outbox), build a `CrmRecord` from the lead (the reviewer's edits
win, ids of an earlier sync travel in `known_ids` so the adapter updates by id), call the adapters
concurrently and store each outcome (services/store/leads.py record_sync):

  synced -> external ids kept; the lead is applied once every CRM has it; LeadSynced
  retry  -> tried again after the outcome's retry_after_s (the adapters always give one: the CRM's own
            Retry-After / rate-limit interval, else crm.retry_base_s doubling per try up to crm.retry_max_s,
            sized on `CrmRecord.attempt` = the row's attempts + 1), else crm_sync.backoff_* (an adapter that
            raised); after crm_sync.max_attempts retries the row fails
            (a 429 is retried at the CRM's pace without counting as a try: a rate-limit storm never fails a row)
  parked -> not tried before retry_after_s (a daily quota); does not count as a try
  failed -> LeadSyncFailed with the CRM's own message; the lead page shows it; a person retries or discards

Nothing is lost while a CRM is down: rows wait in the database, a crashed dispatcher's leases expire, and
adapters upsert (a row synced twice updates, it does not duplicate).
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from services.crm.base import BantEvidenceLine, CrmAdapter, CrmRecord, SyncOutcome
from services.crm.webhooks import backoff_s
from services.pipeline.bant_rules import CRITERIA
from services.settings import Settings
from services.store import leads
from services.store.db import Database, utcnow
from services.store.models import CrmSync, LeadRow

log = logging.getLogger("parley.crm.sync")


def call_url(settings: Settings, lead_id: str) -> str | None:
    """The link back to the lead in the CRM note; only with api.public_url (the gateway cannot guess it)."""
    base = settings.api.public_url
    return f"{base.rstrip('/')}/review/leads/{lead_id}" if base else None


def build_record(lead: LeadRow, sync: CrmSync, *, settings: Settings) -> CrmRecord:
    """A CrmRecord from the stored lead: edited fields (lead.fields) win over the extraction (lead.original)."""
    f: dict[str, Any] = dict(lead.fields or {})
    original: dict[str, Any] = dict(lead.original or {})
    bant = original.get("bant") or {}
    evidence = []
    for name in CRITERIA:
        item = bant.get(name) or {}
        first = next(iter(item.get("evidence") or ()), None) or {}
        evidence.append(BantEvidenceLine(criterion=name, status=item.get("status"), quote=first.get("quote"),
                                         start_s=first.get("start")))
    reasoning = "; ".join(f"{e.criterion}: {e.status or 'unknown'}" for e in evidence)
    if lead.routing_reason:
        reasoning += f". Routing: {lead.routing_reason}"
    return CrmRecord(
        key=lead.id, tenant_id=lead.tenant_id, call_id=lead.job_id, call_url=call_url(settings, lead.id),
        score=f.get("score") or lead.score, confidence=float(lead.confidence),
        contact_name=f.get("contact_name"), contact_title=f.get("contact_title"),
        contact_email=f.get("contact_email"), contact_phone=f.get("contact_phone"), company=f.get("company"),
        company_domain=f.get("company_domain"), budget_amount=f.get("budget_amount"),
        timeline_text=f.get("timeline_text"), next_step=f.get("next_step"),
        competitors=tuple(original.get("competitors") or ()), summary=f.get("summary") or "",
        reasoning=reasoning, evidence=tuple(evidence), reviewed_by=lead.reviewed_by,
        known_ids={k: str(v) for k, v in (sync.external_ids or {}).items()},
        # the adapters size their retry delay on this (services/crm/http.py transient); left at 1, every retry
        # waited ~crm.retry_base_s and max_attempts ran out minutes into an outage instead of hours
        attempt=(sync.attempts or 0) + 1,
    )


class SyncDispatcher:
    """Runs in its own thread with its own event loop (adapters are async httpx clients)."""

    def __init__(self, *, db: Database, settings: Settings, adapters: Mapping[str, CrmAdapter],
                 rng: random.Random | None = None) -> None:
        self.db, self.settings, self.adapters = db, settings, dict(adapters)
        self.cfg = settings.crm_sync
        self.rng = rng or random.Random()

    def backoff_s(self, attempt: int) -> float:
        return backoff_s(attempt, base_s=self.cfg.backoff_base_s, max_s=self.cfg.backoff_max_s, rng=self.rng)

    def schedule(self, outcome: SyncOutcome, *, attempts_before: int) -> leads.SyncResult:
        """Turn an adapter's outcome into what is stored: when to try again, or that it failed for good."""
        now = utcnow()
        if outcome.status == "retry" and outcome.http_status == 429:
            # the CRM pacing us (HubSpot's ten-secondly window), not failing: waiting out a long 429 storm at
            # the policy's interval must not use up the tries an outage needs (a DAILY limit is already parked)
            delay = outcome.retry_after_s if outcome.retry_after_s is not None else self.backoff_s(attempts_before + 1)
            return leads.SyncResult("retry", dict(outcome.external_ids), outcome.message, 429,
                                    next_attempt_at=now + timedelta(seconds=max(0.0, delay)),
                                    counts_as_attempt=False)
        if outcome.status == "retry":
            attempt = attempts_before + 1
            if attempt >= self.cfg.max_attempts:
                msg = f"gave up after {attempt} tries: {outcome.message or 'transient error'}"
                return leads.SyncResult("failed", dict(outcome.external_ids), msg, outcome.http_status)
            delay = outcome.retry_after_s if outcome.retry_after_s is not None else self.backoff_s(attempt)
            return leads.SyncResult("retry", dict(outcome.external_ids), outcome.message, outcome.http_status,
                                    next_attempt_at=now + timedelta(seconds=max(0.0, delay)))
        if outcome.status == "parked":
            delay = outcome.retry_after_s if outcome.retry_after_s is not None else self.cfg.backoff_max_s
            return leads.SyncResult("parked", dict(outcome.external_ids), outcome.message, outcome.http_status,
                                    next_attempt_at=now + timedelta(seconds=max(0.0, delay)),
                                    counts_as_attempt=False)
        return leads.SyncResult(outcome.status, dict(outcome.external_ids), outcome.message, outcome.http_status)

    async def _sync_one(self, crm: str, record: CrmRecord) -> SyncOutcome:
        try:
            return await self.adapters[crm].sync(record)
        except Exception as exc:  # noqa: BLE001 - an adapter bug must not take the dispatcher down; retried
            log.exception("adapter %s raised for lead %s", crm, record.key)
            return SyncOutcome(status="retry", message=f"adapter error: {type(exc).__name__}: {exc}"[:500])

    async def run_once(self) -> int:
        """One round; returns how many rows were attempted."""
        crms = sorted(self.adapters)
        if not crms:
            return 0
        with self.db.session() as s:
            leads.ensure_sync_rows(s, crms=crms)
        with self.db.session() as s:
            claimed = leads.claim_due_syncs(s, crms=crms, limit=self.cfg.batch_size, lease_s=self.cfg.lease_s)
            work = [(row.id, row.crm, row.attempts, build_record(s.get(LeadRow, row.lead_id), row,
                                                                  settings=self.settings)) for row in claimed]
        if not work:
            return 0
        outcomes = await asyncio.gather(*(self._sync_one(crm, record) for _, crm, _, record in work))
        for (sync_id, crm, attempts, record), outcome in zip(work, outcomes, strict=True):
            result = self.schedule(outcome, attempts_before=attempts)
            with self.db.session() as s:
                leads.record_sync(s, sync_id=sync_id, result=result, review=self.settings.review)
            log.info("lead %s -> %s: %s%s", record.key, crm, result.status,
                     f" ({result.message})" if result.message and result.status != "synced" else "")
        return len(work)

    async def _loop(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    n = await self.run_once()
                except Exception:  # noqa: BLE001
                    log.exception("crm sync dispatcher error")
                    n = 0
                if n == 0:
                    await asyncio.to_thread(stop.wait, self.cfg.poll_interval_s)
        finally:
            for adapter in self.adapters.values():
                try:
                    await adapter.aclose()
                except Exception:  # noqa: BLE001
                    log.exception("closing adapter %s", adapter.name)

    def run(self, stop: threading.Event) -> None:
        asyncio.run(self._loop(stop))


def start_sync_dispatcher(db: Database, settings: Settings, stop: threading.Event) -> threading.Thread | None:
    """Production wiring (the gateway's lifespan, so `parley serve`): adapters from the crm.* settings."""
    if not settings.crm_sync.enabled:
        return None
    from services.crm.adapters import build_adapters

    adapters = build_adapters(settings)
    if not adapters:
        log.info("no CRM configured: approved leads are not synced")
        return None
    dispatcher = SyncDispatcher(db=db, settings=settings, adapters=adapters)
    thread = threading.Thread(target=dispatcher.run, args=(stop,), name="crm-sync", daemon=True)
    thread.start()
    log.info("crm sync dispatcher started for %s", ", ".join(sorted(adapters)))
    return thread
