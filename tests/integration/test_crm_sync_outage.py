"""The real sync dispatcher (services/crm/sync.py) with the real adapters from `build_adapters` against the local
HubSpot and Salesforce contract servers, through a real store (SQLite; PostgreSQL too when PARLEY_TEST_PG_DSN is
set), at the SHIPPED retry settings (crm.retry_base_s 5, crm.retry_max_s 900, crm_sync.max_attempts 60), over an
hour of simulated time.

The dispatcher's clock (utcnow in services/crm/sync.py and services/store/leads.py) is driven by the test: after
each round it jumps to the earliest due row, so an hour of backoff takes a few seconds; the HTTP calls, the
contract servers' faults and timeouts are real. Phases (simulated):
  0-30 min   both CRMs answer 503 (each lets one write through first: a sync stops half-way and its retry
             carries the ids already written)
  30-60 min  both CRMs do the write and then answer too late (the client times out: lost answers, the case
             that duplicates a search-then-create or a plain create)
  60 min     HubSpot: a storm of 429s without Retry-After; Salesforce: 403 REQUEST_LIMIT_EXCEEDED (parks)
  then       both healthy again
Afterwards every lead is in each CRM exactly once, applied, with one LeadSynced event per CRM, and no row
used up its tries.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from services.crm.adapters import build_adapters
from services.crm.sync import SyncDispatcher
from services.store.db import open_database
from services.store.models import CrmSync, LeadRow, WebhookDelivery
from tests.contract_servers.fixtures import (
    hubspot_settings,
    running_hubspot,
    running_salesforce,
    salesforce_settings,
)
from tests.e2e.server.conftest import backends, reset_pg
from tests.unit.server.conftest import build_settings
from tests.unit.server.lead_fixtures import complete_with, lead_json

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(240)]

LEADS = 6
HOOK = "http://127.0.0.1:9/hook"  # events stay in the outbox (nothing listens): the test counts them there


class Clock:
    def __init__(self, start: datetime) -> None:
        self.start = self.now = start

    def __call__(self) -> datetime:
        return self.now

    @property
    def minutes(self) -> float:
        return (self.now - self.start).total_seconds() / 60


@pytest.mark.parametrize("backend", backends())
def test_an_hour_down_then_a_rate_limit_storm_loses_and_duplicates_nothing(backend: str, tmp_path, monkeypatch) -> None:
    import services.crm.sync as sync_mod
    import services.store.leads as leads_mod

    with running_hubspot() as hub, running_salesforce() as sf:
        # timeout_s 0.25: a "late answer" fault (0.6 s) is a real client timeout; everything else is shipped defaults
        database = {"url": None}
        if backend == "postgresql":
            reset_pg(os.environ["PARLEY_TEST_PG_DSN"])
            database = {"url": os.environ["PARLEY_TEST_PG_DSN"]}
        settings = build_settings(tmp_path, database=database,
                                  crm={"hubspot": hubspot_settings(hub, timeout_s=0.25),
                                       "salesforce": salesforce_settings(sf, timeout_s=0.25)})
        assert (settings.crm.retry_base_s, settings.crm.retry_max_s, settings.crm_sync.max_attempts) == (5.0, 900.0, 60)
        db = open_database(settings)
        try:
            jobs = [complete_with(db, lead_json(confidence=0.9, name=f"Pat Lee{i}", email=f"pat{i}@acct{i}.example",
                                                company=f"Account {i}"), callback_url=HOOK) for i in range(LEADS)]
            with db.session() as s:
                lead_ids = {s.scalar(select(LeadRow.id).where(LeadRow.job_id == j)) for j in jobs}
                assert {s.get(LeadRow, i).state for i in lead_ids} == {"approved"}

            clock = Clock(datetime.now(sync_mod.utcnow().tzinfo) + timedelta(seconds=1))
            monkeypatch.setattr(sync_mod, "utcnow", clock)
            monkeypatch.setattr(leads_mod, "utcnow", clock)
            dispatcher = SyncDispatcher(db=db, settings=settings, adapters=build_adapters(settings))

            def down(status: int, *, delay_s: float = 0.0, after: int = 0) -> None:
                for server in (hub, sf):
                    server.state.faults.clear()
                    server.state.fail_next(status, 10**6, after=after, delay_s=delay_s)

            async def drive() -> tuple[int, int, dict[str, int]]:
                """One event loop for all rounds, as in `parley serve` (the adapters' clients belong to it)."""
                down(503, after=1)
                phase, rounds, peak, tries_in_hour = "503", 0, 0, {}
                while True:
                    if phase == "503" and clock.minutes >= 30:
                        phase = "late"
                        down(0, delay_s=0.6)  # the write happens, the answer comes after the client gave up
                    elif phase == "late" and clock.minutes >= 60:
                        phase = "storm"
                        hub.state.faults.clear()
                        hub.state.rate_limit_next(3 * LEADS)
                        sf.state.faults.clear()
                        sf.state.fail_next(403, LEADS, body=[{"errorCode": "REQUEST_LIMIT_EXCEEDED",
                                                             "message": "TotalRequests Limit exceeded."}])
                    elif phase == "storm" and not (hub.state.faults.pending or sf.state.faults.pending):
                        phase = "healthy"
                    await dispatcher.run_once()
                    rounds += 1
                    with db.session() as s:
                        rows = list(s.scalars(select(CrmSync)))
                        assert not [r for r in rows if r.status == "failed"], [(r.crm, r.last_message) for r in rows]
                        assert not [r for r in rows if (r.last_message or "").startswith("adapter error")]
                        peak = max([peak, *(r.attempts for r in rows)])
                        if phase == "late" and clock.minutes < 60:
                            tries_in_hour = {r.id: r.attempts for r in rows}
                        waiting = [r.next_attempt_at for r in rows if r.status != "synced"]
                    if len(rows) == 2 * LEADS and not waiting:
                        await asyncio.gather(*(a.aclose() for a in dispatcher.adapters.values()))
                        return rounds, peak, tries_in_hour
                    assert rounds < 400 and clock.minutes < 24 * 60, (phase, clock.minutes)
                    clock.now = max(clock.now, min(waiting))

            rounds, peak, tries_in_hour = asyncio.run(drive())
            hub_state, sf_state = hub.state, sf.state
            # each lead exactly once in each CRM: one contact per e-mail, one company per key, one note per lead,
            # one Lead per external id, one Task per task key
            emails = Counter(c["properties"]["email"] for c in hub_state.all("contacts"))
            assert emails == Counter({f"pat{i}@acct{i}.example": 1 for i in range(LEADS)})
            assert len(hub_state.all("companies")) == LEADS and len(hub_state.all("notes")) == LEADS
            notes = Counter(n["properties"]["parley_note_key"] for n in hub_state.all("notes"))
            assert set(notes) == lead_ids and set(notes.values()) == {1}
            keys = Counter(r["Parley_Key__c"] for r in sf_state.all("Lead"))
            assert set(keys) == lead_ids and set(keys.values()) == {1}
            assert len(sf_state.all("Task")) == LEADS
            with db.session() as s:
                assert {s.get(LeadRow, i).state for i in lead_ids} == {"applied"}
                synced = Counter((d.payload["lead_id"], d.payload["crm"]) for d in s.scalars(
                    select(WebhookDelivery).where(WebhookDelivery.event == "LeadSynced")))
                assert synced == Counter({(i, c): 1 for i in lead_ids for c in ("hubspot", "salesforce")})
            # the hour really was retried through, and at the shipped settings it cost a fraction of the tries
            assert min(tries_in_hour.values()) >= 8, tries_in_hour
            assert peak < settings.crm_sync.max_attempts // 2, (peak, clock.minutes, rounds)
            # the storm happened and cost no try (a 429 is the CRM pacing us; REQUEST_LIMIT_EXCEEDED parks)
            assert sum(1 for _, _, st in hub_state.requests if st == 429) == 3 * LEADS
            assert sum(1 for _, _, st in sf_state.requests if st == 403) == LEADS
            injected = hub_state.faults.injected + sf_state.faults.injected
            print(f"\n{LEADS} leads x 2 CRMs, {clock.minutes:.0f} simulated minutes, {rounds} rounds, "
                  f"{injected} faults answered, tries per row in the hour {min(tries_in_hour.values())}-"
                  f"{max(tries_in_hour.values())}, most tries {peak} of {settings.crm_sync.max_attempts}, duplicates 0")
        finally:
            db.dispose()
