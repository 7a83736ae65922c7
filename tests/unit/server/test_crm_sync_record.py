"""The sync dispatcher's side of the adapter contract: the CrmRecord it builds from a stored lead (every field the
adapters map), the try number adapters size their backoff on, and ids a partial sync got travelling into the
next try (so the adapter updates by id instead of writing again)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from services.crm.base import CrmRecord, SyncOutcome
from services.crm.sync import SyncDispatcher, build_record
from services.store import leads
from services.store.db import Database, open_database
from services.store.models import CrmSync, LeadRow
from tests.unit.server.conftest import build_settings
from tests.unit.server.lead_fixtures import complete_with, lead_json


@pytest.fixture
def store(tmp_path) -> Iterator[Database]:
    db = open_database(build_settings(tmp_path))
    yield db
    db.dispose()


class ScriptedCrm:
    """CrmAdapter with scripted outcomes; remembers every record it was sent."""

    def __init__(self, name: str, script: list[SyncOutcome]) -> None:
        self.name, self.script, self.sent = name, list(script), []

    async def sync(self, record: CrmRecord) -> SyncOutcome:
        self.sent.append(record)
        return self.script.pop(0) if self.script else SyncOutcome("synced", external_ids={"contact": "c-1"})

    async def aclose(self) -> None:
        pass


def _lead_id(store: Database, job_id: str) -> str:
    with store.session() as s:
        return s.scalar(select(LeadRow.id).where(LeadRow.job_id == job_id))


def _due_now(store: Database) -> None:
    from services.store.db import utcnow

    with store.session() as s:
        for row in s.scalars(select(CrmSync)):
            row.next_attempt_at = utcnow()


def test_record_carries_every_mapped_field_with_the_reviewers_edits(store: Database, tmp_path) -> None:
    settings = build_settings(tmp_path, api={"public_url": "https://parley.example/"})
    lead = lead_json(confidence=0.4)
    lead["contact"]["phone"] = "+1 415 555 0100"
    lead["timeline_text"] = "this quarter"
    lead_id = _lead_id(store, complete_with(store, lead))
    with store.session() as s:
        leads.transition(s, tenant_id="acme", lead_id=lead_id, action="edit", actor="reviewer:acme",
                         expected_version=1, changes={"company": "Northwind Traders", "score": "hot"})
        leads.ensure_sync_rows(s, crms=["hubspot"])
    with store.session() as s:
        row = s.scalar(select(CrmSync))
        record = build_record(s.get(LeadRow, lead_id), row, settings=settings)
    assert (record.key, record.tenant_id, record.score, record.confidence) == (lead_id, "acme", "hot", 0.4)
    assert record.call_url == f"https://parley.example/review/leads/{lead_id}"
    assert (record.contact_name, record.contact_title, record.contact_email, record.contact_phone) == \
        ("Dana Whitfield", "VP Sales", "dana@northwind.example", "+1 415 555 0100")
    assert (record.company, record.company_domain) == ("Northwind Traders", "northwind.example")
    assert (record.budget_amount, record.timeline_text, record.next_step) == ("$50,000", "this quarter", "demo on Friday")
    assert record.competitors == ("Gong",) and record.summary == "Northwind wants call notes in the CRM."
    assert record.reviewed_by == "reviewer:acme" and record.attempt == 1 and record.known_ids == {}
    budget = next(e for e in record.evidence if e.criterion == "budget")
    assert (budget.status, budget.quote, budget.start_s) == ("stated", "we have about fifty thousand for this", 3.0)
    assert [e.criterion for e in record.evidence] == ["budget", "authority", "need", "timeline"]
    assert record.reasoning.startswith("budget: stated; authority: stated; need: stated; timeline: absent")


def test_try_number_grows_with_retries_and_partial_ids_become_known_ids(store: Database, tmp_path) -> None:
    """retry (company written, contact not) -> parked (contact written too) -> synced: the second and third
    tries update by the ids already written; parked waits do not count as a try."""
    lead_id = _lead_id(store, complete_with(store, lead_json(confidence=0.9)))
    crm = ScriptedCrm("hubspot", [
        SyncOutcome("retry", external_ids={"company": "45"}, http_status=503, message="down", retry_after_s=0.0),
        SyncOutcome("parked", external_ids={"company": "45", "contact": "77"}, http_status=429, retry_after_s=0.0),
        SyncOutcome("retry", http_status=504, message="timeout", retry_after_s=0.0),
    ])
    disp = SyncDispatcher(db=store, settings=build_settings(tmp_path), adapters={"hubspot": crm})
    for _ in range(4):
        _due_now(store)
        assert asyncio.run(disp.run_once()) == 1
    assert [r.attempt for r in crm.sent] == [1, 2, 2, 3]
    assert [r.known_ids for r in crm.sent] == [
        {}, {"company": "45"}, {"company": "45", "contact": "77"}, {"company": "45", "contact": "77"}]
    with store.session() as s:
        row = s.scalar(select(CrmSync).where(CrmSync.lead_id == lead_id))
        assert (row.status, row.attempts) == ("synced", 3)
        assert row.external_ids == {"company": "45", "contact": "c-1"}
        assert s.get(LeadRow, lead_id).state == "applied"


def test_a_429_storm_uses_no_tries_but_an_outage_does(store: Database, tmp_path) -> None:
    """Ten 429s (the CRM pacing us) leave the row's tries alone; then three 503s with max_attempts 3 fail it."""
    lead_id = _lead_id(store, complete_with(store, lead_json(confidence=0.9)))
    storm = [SyncOutcome("retry", http_status=429, message="ten_secondly_rolling", retry_after_s=0.0)] * 10
    outage = [SyncOutcome("retry", http_status=503, message="unavailable", retry_after_s=0.0)] * 3
    crm = ScriptedCrm("hubspot", storm + outage)
    disp = SyncDispatcher(db=store, settings=build_settings(tmp_path, crm_sync={"max_attempts": 3}),
                          adapters={"hubspot": crm})
    for _ in range(10):
        _due_now(store)
        asyncio.run(disp.run_once())
    with store.session() as s:
        row = s.scalar(select(CrmSync).where(CrmSync.lead_id == lead_id))
        assert (row.status, row.attempts, row.last_http_status) == ("retry", 0, 429)
    for _ in range(3):
        _due_now(store)
        asyncio.run(disp.run_once())
    assert [r.attempt for r in crm.sent] == [1] * 10 + [1, 2, 3]
    with store.session() as s:
        row = s.scalar(select(CrmSync).where(CrmSync.lead_id == lead_id))
        assert row.status == "failed" and row.last_message.startswith("gave up after 3 tries: unavailable")
