"""Leads in the real store (SQLite, and PostgreSQL when PARLEY_TEST_PG_DSN is set): routing inside
complete_job's transaction, the review state machine with optimistic concurrency, transitions and audit, domain
events in the outbox (claim check), and the CRM sync dispatcher with fake adapters (the per-CRM adapters have
their own tests)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from services.crm.base import CrmRecord, SyncOutcome
from services.crm.routing import RoutingPolicy, route
from services.crm.sync import SyncDispatcher, build_record
from services.settings import ReviewSettings
from services.store import audit, jobs, leads
from services.store.db import Database, open_database, utcnow
from services.store.models import CrmSync, LeadRow, WebhookDelivery
from tests.unit.server.conftest import build_settings
from tests.unit.server.lead_fixtures import complete_with, lead_json

HOOK = "http://127.0.0.1:9/hook"


def _backends() -> list:
    return ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
        not os.environ.get("PARLEY_TEST_PG_DSN"), reason="PARLEY_TEST_PG_DSN is not set"))]


@pytest.fixture(params=_backends())
def store(request, tmp_path) -> Iterator[Database]:
    overrides = {}
    if request.param == "postgresql":
        from tests.e2e.server.conftest import reset_pg

        reset_pg(os.environ["PARLEY_TEST_PG_DSN"])
        overrides = {"database": {"url": os.environ["PARLEY_TEST_PG_DSN"]}}
    db = open_database(build_settings(tmp_path, **overrides))
    yield db
    db.dispose()


def _lead(db: Database, job_id: str) -> LeadRow:
    with db.session() as s:
        return s.scalar(select(LeadRow).where(LeadRow.job_id == job_id))


def _events(db: Database, job_id: str) -> list[tuple[str, dict]]:
    with db.session() as s:
        rows = s.scalars(select(WebhookDelivery).where(WebhookDelivery.job_id == job_id)
                         .order_by(WebhookDelivery.created_at)).all()
        return [(d.event, d.payload) for d in rows if d.event.startswith("Lead")]


# ------------------------------------------------------------------------------------------- routing (pure)


def test_route_rules() -> None:
    policy = RoutingPolicy(threshold=0.7, hot_leads="threshold", needs_review_always=True)
    assert route(lead_json(confidence=0.9), policy).auto
    assert route(lead_json(confidence=0.5), policy).reasons == ("low_confidence",)
    assert route(lead_json(confidence=0.7), policy).auto  # at the threshold syncs
    assert "needs_review" in route(lead_json(needs_review=True), policy).reasons
    assert not route(lead_json(needs_review=True), RoutingPolicy(0.7, "threshold", False)).reasons
    assert route(lead_json(quote_budget="  "), policy).reasons == ("evidence_missing:budget",)
    hot = lead_json(score="hot", confidence=0.5)
    assert route(hot, RoutingPolicy(0.7, "review")).reasons == ("hot_lead", "low_confidence")
    assert route(hot, RoutingPolicy(0.7, "never")).auto
    assert route(lead_json(score="hot", confidence=0.95), RoutingPolicy(0.7, "review")).reasons == ("hot_lead",)


# ------------------------------------------------------------------------------------------- routing in the store


def test_high_confidence_is_approved_by_routing_in_the_same_transaction(store: Database) -> None:
    job_id = complete_with(store, lead_json(confidence=0.92), callback_url=HOOK)
    lead = _lead(store, job_id)
    assert (lead.state, lead.version, lead.reviewed_by) == ("approved", 1, "system:routing")
    assert lead.correlation_id == "crm-42" and lead.fields["contact_email"] == "dana@northwind.example"
    assert lead.fields["company_domain"] == "northwind.example"
    events = _events(store, job_id)
    assert [e for e, _ in events] == ["LeadScored", "LeadApproved"]
    body = events[0][1]
    assert body["call_id"] == job_id and body["lead_id"] == lead.id and body["correlation_id"] == "crm-42"
    assert len(body["event_id"]) == 32 and body["event_id"] != events[1][1]["event_id"]
    # claim check: no transcript, quotes or audio in any event
    text = json.dumps([b for _, b in events])
    assert "lose an hour" not in text and "fifty thousand" not in text and "audio" not in text
    with store.session() as s:
        trail = leads.transitions(s, lead_id=lead.id)
        assert [(t.actor, t.action, t.from_state, t.to_state) for t in trail] == \
            [("system:routing", "route", None, "approved")]
        assert [e.action for e in audit.list_events(s, entity_id=lead.id)] == ["route"]


def test_low_confidence_waits_for_review_and_no_lead_without_extraction(store: Database) -> None:
    job_id = complete_with(store, lead_json(confidence=0.41, needs_review=True), callback_url=HOOK)
    lead = _lead(store, job_id)
    assert lead.state == "draft" and lead.review_reasons == ["low_confidence", "needs_review", "low confidence"]
    assert [e for e, _ in _events(store, job_id)] == ["LeadScored", "LeadReviewRequired"]
    assert _lead(store, complete_with(store, None)) is None


def test_per_tenant_routing_and_events_url(store: Database) -> None:
    with store.session() as s:
        from services.store import tenants

        tenants.ensure_tenant(s, tenant_id="acme")
        leads.set_routing(s, tenant_id="acme", actor="test",
                          values={"threshold": 0.3, "events_url": "http://127.0.0.1:9/events"})
    job_id = complete_with(store, lead_json(confidence=0.41), callback_url=HOOK)
    assert _lead(store, job_id).state == "approved"  # 0.41 >= the tenant's 0.3
    with store.session() as s:
        urls = sorted({d.url for d in s.scalars(select(WebhookDelivery).where(WebhookDelivery.job_id == job_id))
                       if d.event.startswith("Lead")})
    assert urls == ["http://127.0.0.1:9/events", HOOK]
    other = complete_with(store, lead_json(confidence=0.41), tenant="globex")
    assert _lead(store, other).state == "draft"  # globex keeps the default 0.7


def test_complete_job_twice_creates_one_lead(store: Database) -> None:
    job_id = complete_with(store, lead_json(confidence=0.9))
    with store.session() as s:
        job = jobs.get_job(s, tenant_id="acme", job_id=job_id)
        again = leads.create_for_job(s, job=job, result={"lead": lead_json(confidence=0.1)}, review=ReviewSettings())
        assert again.confidence == 0.9
        assert len(s.scalars(select(LeadRow).where(LeadRow.job_id == job_id)).all()) == 1


# ------------------------------------------------------------------------------------------- review state machine


def test_edit_approve_records_diff_and_bumps_version(store: Database) -> None:
    lead_id = _lead(store, complete_with(store, lead_json(confidence=0.4), callback_url=HOOK)).id
    with store.session() as s:
        lead = leads.transition(s, tenant_id="acme", lead_id=lead_id, action="approve", actor="tenant:acme",
                                expected_version=1, changes={"contact_email": "dana.w@northwind.example",
                                                             "score": "hot", "contact_name": "Dana Whitfield"})
        assert (lead.state, lead.version, lead.score) == ("edited", 2, "hot")
        assert lead.fields["contact_email"] == "dana.w@northwind.example"
        trail = leads.transitions(s, lead_id=lead_id)
        assert trail[-1].diff == {"contact_email": ["dana@northwind.example", "dana.w@northwind.example"],
                                  "score": ["warm", "hot"]}
        assert trail[-1].actor == "tenant:acme" and trail[-1].version == 2
        job_id = lead.job_id
    approved = [b for e, b in _events(store, job_id) if e == "LeadApproved"]
    assert approved and approved[0]["diff"]["score"] == ["warm", "hot"]


def test_second_reviewer_gets_version_conflict(store: Database) -> None:
    lead_id = _lead(store, complete_with(store, lead_json(confidence=0.4))).id
    with store.session() as s:
        leads.transition(s, tenant_id="acme", lead_id=lead_id, action="approve", actor="a", expected_version=1)
    with pytest.raises(leads.VersionConflict) as err, store.session() as s:
        leads.transition(s, tenant_id="acme", lead_id=lead_id, action="reject", actor="b", expected_version=1,
                         reason="dup")
    assert err.value.code == "version_conflict" and err.value.http_status == 409
    with store.session() as s:
        assert [t.action for t in leads.transitions(s, lead_id=lead_id)] == ["route", "approve"]


def test_bad_transitions_and_inputs_have_codes(store: Database) -> None:
    lead_id = _lead(store, complete_with(store, lead_json(confidence=0.4))).id

    def attempt(**kw) -> str:  # noqa: ANN003
        with pytest.raises(leads.LeadError) as err, store.session() as s:
            leads.transition(s, tenant_id=kw.pop("tenant", "acme"), lead_id=lead_id, actor="x", **kw)
        return err.value.code

    assert attempt(action="reject", expected_version=1) == "reason_required"
    assert attempt(action="approve", expected_version=1, changes={"transcript": "x"}) == "invalid_fields"
    assert attempt(action="approve", expected_version=1, changes={"contact_email": "nope"}) == "invalid_fields"
    assert attempt(action="approve", expected_version=1, changes={"score": "lukewarm"}) == "invalid_fields"
    assert attempt(action="approve", expected_version=1, tenant="globex") == "not_found"
    assert attempt(action="apply", expected_version=1) == "invalid_transition"
    with store.session() as s:
        leads.transition(s, tenant_id="acme", lead_id=lead_id, action="reject", actor="x", expected_version=1,
                         reason="not a prospect")
    assert attempt(action="approve", expected_version=2) == "invalid_transition"
    with store.session() as s:
        lead = leads.transition(s, tenant_id="acme", lead_id=lead_id, action="discard", actor="x",
                                expected_version=2)
        assert lead.state == "discarded"


# ------------------------------------------------------------------------------------------- CRM sync dispatcher


class FakeCrm:
    """Implements the CrmAdapter protocol with scripted outcomes and a record of what it was sent."""

    def __init__(self, name: str, script: list[SyncOutcome] | None = None) -> None:
        self.name, self.script, self.sent, self.closed = name, list(script or []), [], False
        self.store: dict[str, dict] = {}  # upsert by key, like a CRM with a unique property

    async def sync(self, record: CrmRecord) -> SyncOutcome:
        self.sent.append(record)
        if self.script:
            return self.script.pop(0)
        self.store[record.key] = {"email": record.contact_email, "name": record.contact_name}
        return SyncOutcome(status="synced", external_ids={"contact": f"{self.name}-{len(self.store)}"})

    async def aclose(self) -> None:
        self.closed = True


def _dispatcher(store: Database, tmp_path, *adapters: FakeCrm, **cfg) -> SyncDispatcher:  # noqa: ANN001
    settings = build_settings(tmp_path, crm_sync={"backoff_base_s": 0.0, "backoff_max_s": 0.0, **cfg})
    return SyncDispatcher(db=store, settings=settings, adapters={a.name: a for a in adapters})


def _sync_rows(store: Database, lead_id: str) -> dict[str, CrmSync]:
    with store.session() as s:
        return {r.crm: r for r in leads.syncs(s, lead_id=lead_id)}


def test_sync_applies_lead_with_edited_fields_once_every_crm_has_it(store: Database, tmp_path) -> None:
    lead_id = _lead(store, complete_with(store, lead_json(confidence=0.4), callback_url=HOOK)).id
    hub, sf = FakeCrm("hubspot"), FakeCrm("salesforce", [SyncOutcome(status="retry", http_status=503,
                                                                        message="unavailable")])
    disp = _dispatcher(store, tmp_path, hub, sf)
    assert asyncio.run(disp.run_once()) == 0  # a draft is never synced
    with store.session() as s:
        leads.transition(s, tenant_id="acme", lead_id=lead_id, action="edit", actor="tenant:acme",
                         expected_version=1, changes={"contact_name": "Dana W. Whitfield"})
    assert asyncio.run(disp.run_once()) == 2
    rows = _sync_rows(store, lead_id)
    assert rows["hubspot"].status == "synced" and rows["hubspot"].external_ids == {"contact": "hubspot-1"}
    assert (rows["salesforce"].status, rows["salesforce"].attempts, rows["salesforce"].last_http_status) == \
        ("retry", 1, 503)
    assert hub.sent[0].contact_name == "Dana W. Whitfield" and hub.sent[0].reviewed_by == "tenant:acme"
    assert _lead(store, hub.sent[0].call_id).state == "edited"  # not applied until Salesforce has it too
    assert asyncio.run(disp.run_once()) == 1  # only the due Salesforce row; HubSpot is not sent again
    lead = _lead(store, hub.sent[0].call_id)
    assert (lead.state, lead.version) == ("applied", 3)
    assert len(hub.sent) == 1 and len(sf.sent) == 2
    synced = [b for e, b in _events(store, lead.job_id) if e == "LeadSynced"]
    assert sorted(b["crm"] for b in synced) == ["hubspot", "salesforce"]
    with store.session() as s:
        assert leads.transitions(s, lead_id=lead_id)[-1].actor == "system:sync"


def test_crm_down_for_an_hour_loses_and_duplicates_nothing(store: Database, tmp_path) -> None:
    """40 retry outcomes in a row (an hour of 5xx at the capped backoff), then the CRM is back: every lead
    arrives exactly once, upserted by key; rows only waited."""
    ids = [_lead(store, complete_with(store, lead_json(confidence=0.9, email=f"p{i}@x{i}.example"))).id
           for i in range(3)]
    down = [SyncOutcome(status="retry", http_status=502, message="bad gateway")] * (3 * 12)
    crm = FakeCrm("hubspot", list(down))
    disp = _dispatcher(store, tmp_path, crm)
    for _ in range(12):
        assert asyncio.run(disp.run_once()) == 3
    assert all(r["hubspot"].status == "retry" and r["hubspot"].attempts == 12
               for r in (_sync_rows(store, i) for i in ids))
    asyncio.run(disp.run_once())
    assert sorted(crm.store) == sorted(ids) and len(crm.sent) == 39
    assert all(_sync_rows(store, i)["hubspot"].status == "synced" for i in ids)
    assert asyncio.run(disp.run_once()) == 0  # nothing left, nothing sent twice


def test_parked_waits_and_known_ids_travel_and_failure_is_readable(store: Database, tmp_path) -> None:
    lead_id = _lead(store, complete_with(store, lead_json(confidence=0.9), callback_url=HOOK)).id
    crm = FakeCrm("hubspot", [
        SyncOutcome(status="parked", http_status=429, message="daily limit", retry_after_s=3600),
    ])
    disp = _dispatcher(store, tmp_path, crm)
    asyncio.run(disp.run_once())
    row = _sync_rows(store, lead_id)["hubspot"]
    assert row.status == "parked" and row.attempts == 0 and row.last_message == "daily limit"
    assert asyncio.run(disp.run_once()) == 0  # parked an hour: not claimed
    with store.session() as s:
        s.get(CrmSync, row.id).next_attempt_at = row.created_at  # the hour has passed
        s.get(CrmSync, row.id).external_ids = {"contact": "901"}
    crm.script = [SyncOutcome(status="failed", http_status=409, message="Contact already exists. Existing ID: 77")]
    asyncio.run(disp.run_once())
    assert crm.sent[-1].known_ids == {"contact": "901"}
    row = _sync_rows(store, lead_id)["hubspot"]
    assert row.status == "failed" and "Existing ID: 77" in row.last_message
    failed = [b for e, b in _events(store, crm.sent[-1].call_id) if e == "LeadSyncFailed"]
    assert failed[0]["message"] == row.last_message and failed[0]["crm"] == "hubspot"
    assert asyncio.run(disp.run_once()) == 0  # a failed row waits for a person
    with store.session() as s:
        assert leads.retry_failed_syncs(s, tenant_id="acme", lead_id=lead_id, actor="tenant:acme") == 1
    asyncio.run(disp.run_once())
    assert _lead(store, crm.sent[-1].call_id).state == "applied"


def test_retry_gives_up_after_max_attempts_and_adapter_errors_are_retried(store: Database, tmp_path) -> None:
    lead_id = _lead(store, complete_with(store, lead_json(confidence=0.9))).id

    class Broken(FakeCrm):
        async def sync(self, record: CrmRecord) -> SyncOutcome:
            raise RuntimeError("bug")

    disp = _dispatcher(store, tmp_path, Broken("hubspot"), max_attempts=3)
    for _ in range(3):
        asyncio.run(disp.run_once())
    row = _sync_rows(store, lead_id)["hubspot"]
    assert row.status == "failed" and row.last_message.startswith("gave up after 3 tries: adapter error")


def test_lease_hides_claimed_rows_from_a_second_dispatcher(store: Database) -> None:
    lead_id = _lead(store, complete_with(store, lead_json(confidence=0.9))).id
    with store.session() as s:
        leads.ensure_sync_rows(s, crms=["hubspot"])
        assert leads.ensure_sync_rows(s, crms=["hubspot"]) == 0  # idempotent
    with store.session() as s:
        assert len(leads.claim_due_syncs(s, crms=["hubspot"], limit=10, lease_s=60)) == 1
    with store.session() as s:
        assert leads.claim_due_syncs(s, crms=["hubspot"], limit=10, lease_s=60) == []
    with store.session() as s:
        lead = s.get(LeadRow, lead_id)
        record = build_record(lead, leads.syncs(s, lead_id=lead_id)[0], settings=build_settings("/tmp"))
    assert record.key == lead_id and record.evidence[0].quote == "we have about fifty thousand for this"
    assert record.evidence[0].start_s == 3.0 and record.competitors == ("Gong",)


def test_deleting_the_call_deletes_its_lead(store: Database) -> None:
    job_id = complete_with(store, lead_json(confidence=0.9))
    lead_id = _lead(store, job_id).id
    with store.session() as s:
        leads.ensure_sync_rows(s, crms=["hubspot"])
    with store.session() as s:
        jobs.delete_job(s, job_id=job_id, actor="test")
    with store.session() as s:
        assert s.get(LeadRow, lead_id) is None and leads.syncs(s, lead_id=lead_id) == []


def test_gateway_lifespan_starts_the_sync_dispatcher_from_build_adapters(tmp_path, monkeypatch) -> None:
    """The production wiring: create_app's lifespan imports services.crm.adapters.build_adapters lazily, runs
    the dispatcher thread next to the outbox and closes the adapters on shutdown."""
    import sys
    import time
    import types

    from fastapi.testclient import TestClient

    from services.gateway.app import create_app

    crm = FakeCrm("hubspot")
    module = types.ModuleType("services.crm.adapters")
    module.build_adapters = lambda settings: {"hubspot": crm}
    monkeypatch.setitem(sys.modules, "services.crm.adapters", module)
    settings = build_settings(tmp_path, crm_sync={"poll_interval_s": 0.05})
    db = open_database(settings)
    lead_id = _lead(db, complete_with(db, lead_json(confidence=0.9))).id
    with TestClient(create_app(settings, db=db, background=True)):
        deadline = time.monotonic() + 20
        while getattr(_sync_rows(db, lead_id).get("hubspot"), "status", None) != "synced":
            assert time.monotonic() < deadline, "the dispatcher did not sync the lead"
            time.sleep(0.05)
    assert crm.closed and [r.key for r in crm.sent] == [lead_id]
    with db.session() as s:
        assert s.get(LeadRow, lead_id).state == "applied"
    db.dispose()


def test_two_reviewers_at_once_only_one_decision_lands(store: Database) -> None:
    """Both loaded version 1 and decide at the same moment (threads, real transactions): one wins, the other
    gets version_conflict, the lead has exactly one review transition."""
    import threading

    lead_id = _lead(store, complete_with(store, lead_json(confidence=0.4))).id
    barrier, outcomes = threading.Barrier(2), []

    def review(action: str, reason: str | None) -> None:
        barrier.wait()
        try:
            with store.session() as s:
                leads.transition(s, tenant_id="acme", lead_id=lead_id, action=action, actor=f"r-{action}",
                                 expected_version=1, reason=reason)
            outcomes.append("ok")
        except leads.VersionConflict:
            outcomes.append("version_conflict")

    threads = [threading.Thread(target=review, args=a) for a in (("approve", None), ("reject", "no budget"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["ok", "version_conflict"]
    with store.session() as s:
        trail = leads.transitions(s, lead_id=lead_id)
        assert len(trail) == 2 and s.get(LeadRow, lead_id).version == 2


def test_429_storm_with_two_dispatchers_loses_and_duplicates_nothing(store: Database, tmp_path) -> None:
    """Two dispatchers on one database, a CRM that answers 429 (retry, no Retry-After) to 70 % of requests:
    every lead reaches the CRM exactly once as a successful upsert, and no row is claimed by both at once."""
    import random
    import threading

    ids = [_lead(store, complete_with(store, lead_json(confidence=0.9, email=f"p{i}@x.example"))).id
           for i in range(12)]
    rng, lock, in_flight, overlaps = random.Random(7), threading.Lock(), set(), []

    class Storm(FakeCrm):
        async def sync(self, record: CrmRecord) -> SyncOutcome:
            with lock:
                if record.key in in_flight:
                    overlaps.append(record.key)
                in_flight.add(record.key)
            await asyncio.sleep(0.01)
            with lock:
                in_flight.discard(record.key)
                throttled = rng.random() < 0.7
            if throttled:
                self.sent.append(record)
                return SyncOutcome(status="retry", http_status=429, message="TEN_SECONDLY_ROLLING")
            return await super().sync(record)

    crm = Storm("hubspot")
    a = _dispatcher(store, tmp_path, crm, max_attempts=1000, batch_size=4)
    b = _dispatcher(store, tmp_path, crm, max_attempts=1000, batch_size=4)

    def drive(d: SyncDispatcher) -> None:
        for _ in range(400):
            if all(getattr(_sync_rows(store, i).get("hubspot"), "status", None) == "synced" for i in ids):
                return
            asyncio.run(d.run_once())

    threads = [threading.Thread(target=drive, args=(d,)) for d in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert overlaps == []
    assert sorted(crm.store) == sorted(ids)  # each lead upserted once by key: nothing lost, nothing doubled
    synced_calls = [r.key for r in crm.sent if r.key in crm.store]
    assert len(synced_calls) > len(ids)  # the storm really throttled
    with store.session() as s:
        assert all(s.get(LeadRow, i).state == "applied" for i in ids)


def test_queue_order_hot_first_then_oldest(store: Database) -> None:
    first = _lead(store, complete_with(store, lead_json(score="cold", confidence=0.3))).id
    hot = _lead(store, complete_with(store, lead_json(score="hot", confidence=0.3))).id
    warm = _lead(store, complete_with(store, lead_json(score="warm", confidence=0.3))).id
    with store.session() as s:
        rows = leads.list_leads(s, tenant_id="acme", flt=leads.LeadFilter(states=("draft",)), limit=10)
        assert [r.id for r in rows] == [hot, warm, first]
        assert [r.id for r in leads.list_leads(s, tenant_id="acme", flt=leads.LeadFilter(reason="hot_lead"),
                                               limit=10)] == [hot]


def test_migration_0002_downgrades_and_upgrades_again(store: Database) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from services.store.migrate import alembic_config, upgrade

    new = {"leads", "lead_transitions", "crm_syncs", "routing_configs"}
    assert new <= set(inspect(store.engine).get_table_names())
    if store.dialect == "postgresql":
        with store.engine.begin() as conn:
            cfg = alembic_config(store.engine)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")
    else:
        command.downgrade(alembic_config(store.engine), "0001")
    assert not new & set(inspect(store.engine).get_table_names())
    upgrade(store.engine)
    assert new <= set(inspect(store.engine).get_table_names())


def test_default_schedule_outlasts_an_hour_long_outage(tmp_path) -> None:
    """With the shipped crm_sync defaults and the unluckiest jitter, a row retried on every answer waits well
    over an hour (4 h) before it fails; Retry-After is obeyed and parked waits cost no try."""
    import random

    from services.settings import Settings

    class Unlucky(random.Random):
        def random(self) -> float:
            return 0.0  # the shortest delay jitter allows (50 %)

    disp = SyncDispatcher(db=None, settings=Settings(), adapters={}, rng=Unlucky())  # type: ignore[arg-type]
    waited, attempts = 0.0, 0
    while True:
        result = disp.schedule(SyncOutcome(status="retry", http_status=503), attempts_before=attempts)
        if result.status == "failed":
            break
        attempts += 1
        waited += (result.next_attempt_at - utcnow()).total_seconds()
    assert attempts == Settings().crm_sync.max_attempts - 1 and waited > 4 * 3600
    assert "gave up after 60 tries" in result.message
    told = disp.schedule(SyncOutcome(status="retry", retry_after_s=10.0), attempts_before=0)
    parked = disp.schedule(SyncOutcome(status="parked", retry_after_s=7200.0), attempts_before=0)
    assert 9 < (told.next_attempt_at - parked.next_attempt_at).total_seconds() + 7200 < 11
    assert parked.status == "parked" and not parked.counts_as_attempt
