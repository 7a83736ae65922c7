"""The real adapters against the real local contract servers (HTTP on 127.0.0.1): create, re-sync without
duplicates, edits arriving, a 429 storm, an hour-long outage, expired tokens, multiple matches, duplicate rules.

A sync loop here plays the dispatcher's part (part B): call sync, on `retry` / `parked` remember the ids the
outcome carries and the delay, call again. Delays are added up as simulated time instead of slept, except for
the real ten-secondly window test, whose window is shortened to 2 s.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time

import httpx
import pytest
from fastapi import (  # module level: the receiver's annotations resolve here
    FastAPI,
    Request,
)
from fastapi.responses import JSONResponse

from services.crm.adapters import build_adapters
from services.crm.base import CrmRecord, SyncOutcome
from services.crm.webhooks import verify_signature
from services.settings import Settings
from tests.contract_servers import fixtures as contract
from tests.contract_servers.fixtures import (
    hubspot_settings,
    running_hubspot,
    running_salesforce,
    salesforce_settings,
    serve,
)
from tests.unit.crm.records import make_record

pytestmark = pytest.mark.integration
hubspot_server = contract.hubspot_server  # the shared fixtures, registered in this module
salesforce_server = contract.salesforce_server


def one_adapter(name: str, crm: dict):
    return build_adapters(Settings(crm=crm))[name]


def drive(adapter, record: CrmRecord, *, max_tries: int = 30, sleep: bool = False,
          between=None) -> tuple[SyncOutcome, list[SyncOutcome], float]:
    """Dispatcher stand-in: re-call on retry/parked with the ids gathered so far; returns the final outcome,
    all outcomes, and the simulated seconds waited."""

    async def loop():
        outcomes, waited, known = [], 0.0, dict(record.known_ids)
        for attempt in range(1, max_tries + 1):
            out = await adapter.sync(dataclasses.replace(record, known_ids=dict(known), attempt=attempt))
            outcomes.append(out)
            known.update(out.external_ids)
            if out.status in ("synced", "failed"):
                break
            waited += out.retry_after_s or 0.0
            if sleep:
                await asyncio.sleep(out.retry_after_s or 0.0)
            if between:
                between(attempt, waited)
        await adapter.aclose()
        return outcomes[-1], outcomes, waited

    return asyncio.run(loop())


def sync_once(adapter, record: CrmRecord) -> SyncOutcome:
    async def go():
        try:
            return await adapter.sync(record)
        finally:
            await adapter.aclose()

    return asyncio.run(go())


# ------------------------------------------------------------------------------------------- HubSpot
def test_hubspot_create_resync_and_edits_without_duplicates(hubspot_server):
    crm = {"hubspot": hubspot_settings(hubspot_server)}
    record = make_record()
    first = sync_once(one_adapter("hubspot", crm), record)
    assert first.status == "synced", first.message
    ids = first.external_ids
    state = hubspot_server.state
    contact = state.all("contacts")[0]
    assert contact["properties"]["ai_lead_score"] == "hot" and contact["properties"]["ai_confidence"] == "0.87"
    assert state.all("companies")[0]["properties"]["parley_company_key"] == "domain:example.com"
    assert state.associated("contacts", ids["contact"], "companies") == [ids["company"]]
    assert state.associated("notes", ids["note"], "contacts") == [ids["contact"]]

    stamp = state.all("notes")[0]["properties"]["hs_timestamp"]
    # the reviewer edited the lead: re-sync with the stored ids updates by id
    edited = dataclasses.replace(record, contact_title="COO", confidence=0.95, summary="Edited: 60 seats.",
                                 known_ids=ids, reviewed_by="rita")
    second = sync_once(one_adapter("hubspot", crm), edited)
    assert second.status == "synced" and second.external_ids == ids
    assert [len(state.all(t)) for t in ("companies", "contacts", "notes")] == [1, 1, 1]
    contact = state.all("contacts")[0]["properties"]
    assert contact["jobtitle"] == "COO" and contact["ai_confidence"] == "0.95"
    assert "Edited: 60 seats." in state.all("notes")[0]["properties"]["hs_note_body"]
    assert state.all("notes")[0]["properties"]["hs_timestamp"] == stamp  # the note keeps its place in the timeline
    assert any(m == "PATCH" and p.endswith(f"/contacts/{ids['contact']}") for m, p, _ in state.requests)

    # the ids were lost (e.g. the outcome never reached the store): the keyed upserts still find the records
    third = sync_once(one_adapter("hubspot", crm), dataclasses.replace(edited, known_ids={}))
    assert third.status == "synced" and third.external_ids == ids
    assert [len(state.all(t)) for t in ("companies", "contacts", "notes")] == [1, 1, 1]


def test_concurrent_syncs_on_one_adapter_keep_their_own_ids(hubspot_server, salesforce_server):
    crm = {"hubspot": hubspot_settings(hubspot_server), "salesforce": salesforce_settings(salesforce_server)}
    adapters = build_adapters(Settings(crm=crm))
    records = [make_record(key=f"lead-{i}", contact_email=f"p{i}@example.com", company=f"Co {i}",
                           company_domain=f"co{i}.example") for i in range(6)]

    async def go():
        outs = {}
        for name, adapter in adapters.items():
            outs[name] = await asyncio.gather(*(adapter.sync(r) for r in records))
            await adapter.aclose()
        return outs

    outs = asyncio.run(go())
    state = hubspot_server.state
    for record, out in zip(records, outs["hubspot"]):
        assert out.status == "synced"
        contact = next(c for c in state.all("contacts") if c["id"] == out.external_ids["contact"])
        assert contact["properties"]["email"] == record.contact_email
        assert state.associated("contacts", contact["id"], "companies") == [out.external_ids["company"]]
    for record, out in zip(records, outs["salesforce"]):
        lead = salesforce_server.state.find("Lead", "Id", out.external_ids["lead"])[0]
        assert out.status == "synced" and lead["Parley_Key__c"] == record.key
    assert salesforce_server.state.tokens_issued == 1 and len(salesforce_server.state.all("Lead")) == 6


def test_hubspot_contact_without_email_keyed_on_lead_and_search_lags_writes(hubspot_server):
    crm = {"hubspot": hubspot_settings(hubspot_server)}
    record = make_record(contact_email=None)
    for _ in range(2):
        assert sync_once(one_adapter("hubspot", crm), record).status == "synced"
    contacts = hubspot_server.state.all("contacts")
    assert len(contacts) == 1 and contacts[0]["properties"]["parley_lead_key"] == "lead-7"
    # why the adapter never searches first: right after the write the search index does not have it yet
    query = {"filterGroups": [{"filters": [{"propertyName": "parley_lead_key", "operator": "EQ", "value": "lead-7"}]}]}
    found = httpx.post(f"{hubspot_server.base_url}/crm/objects/2026-09/contacts/search", json=query,
                       headers={"Authorization": f"Bearer {hubspot_server.token}"}).json()
    assert found["total"] == 0


def test_hubspot_contract_server_enforces_unique_properties_and_batch_rules(hubspot_server):
    url, auth = hubspot_server.base_url + "/crm/objects/2026-09/contacts", {"Authorization": f"Bearer {hubspot_server.token}"}
    assert httpx.post(url, json={"properties": {"email": "a@x.com"}}, headers=auth).status_code == 201
    dup = httpx.post(url, json={"properties": {"email": "A@x.com"}}, headers=auth)
    assert dup.status_code == 409 and dup.json()["message"].startswith("Contact already exists. Existing ID:")
    twice = {"inputs": [{"idProperty": "email", "id": "b@x.com", "properties": {}}] * 2}
    assert httpx.post(url + "/batch/upsert", json=twice, headers=auth).status_code == 400
    not_unique = {"inputs": [{"idProperty": "firstname", "id": "Bo", "properties": {}}]}
    assert httpx.post(url + "/batch/upsert", json=not_unique, headers=auth).status_code == 400
    unknown = httpx.post(url, json={"properties": {"favourite_colour": "red"}}, headers=auth)
    assert unknown.status_code == 400 and "does not exist" in unknown.text
    assert httpx.post(url, json={"properties": {}}, headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_hubspot_unknown_custom_property_is_a_readable_failure(hubspot_server):
    hubspot_server.state.properties["contacts"].discard("ai_reasoning")  # the portal admin never created it
    out = sync_once(one_adapter("hubspot", {"hubspot": hubspot_settings(hubspot_server)}), make_record())
    assert out.status == "failed" and out.http_status == 207
    assert 'Property "ai_reasoning" does not exist' in out.message


def test_hubspot_429_storm_from_a_real_ten_secondly_window():
    # a sync is 5 requests; 6 allowed per 2 s window: back-to-back leads hit the limit, wait the interval, go on
    with running_hubspot(ten_secondly_max=6, window_s=2.0) as server:
        crm = {"hubspot": hubspot_settings(server)}
        records = [make_record(key=f"lead-{i}", contact_email=f"p{i}@example.com") for i in range(3)]
        throttled = 0
        for record in records:
            final, outcomes, _ = drive(one_adapter("hubspot", crm), record, sleep=True)
            assert final.status == "synced", final.message
            assert all(o.retry_after_s == 2.0 for o in outcomes if o.status == "retry")
            throttled += sum(o.http_status == 429 for o in outcomes)
        assert throttled >= 1  # 2 when the box is not loaded; a slow box spreads requests over more windows
        assert len(server.state.all("contacts")) == 3 and len(server.state.all("notes")) == 3
        assert len(server.state.all("companies")) == 1  # one company (same domain) for all three


def test_hubspot_injected_429_storm_and_daily_limit(hubspot_server):
    crm = {"hubspot": hubspot_settings(hubspot_server)}
    hubspot_server.state.rate_limit_next(8)  # no Retry-After, interval header 10 s
    final, outcomes, waited = drive(one_adapter("hubspot", crm), make_record())
    assert final.status == "synced" and len(outcomes) == 9 and waited == 80.0
    assert [len(hubspot_server.state.all(t)) for t in ("companies", "contacts", "notes")] == [1, 1, 1]

    hubspot_server.state.rate_limit_next(1, policy="DAILY")
    out = sync_once(one_adapter("hubspot", crm), make_record(key="lead-8", contact_email="z@example.com"))
    assert out.status == "parked" and out.retry_after_s > 60


def test_hubspot_hour_long_outage_mid_sync_loses_and_duplicates_nothing(hubspot_server):
    crm = {"hubspot": hubspot_settings(hubspot_server)}
    state = hubspot_server.state
    state.fail_next(503, 10_000, after=2)  # company and contact written, then the CRM goes down

    def end_outage_after_an_hour(attempt, waited):
        if waited >= 3600:
            state.faults.clear()

    final, outcomes, waited = drive(one_adapter("hubspot", crm), make_record(), between=end_outage_after_an_hour)
    assert final.status == "synced", final.message
    retries = [o for o in outcomes if o.status == "retry"]
    assert len(retries) >= 8 and waited >= 3600 and all(o.http_status == 503 for o in retries)
    assert max(o.retry_after_s for o in retries) <= 900
    assert [len(state.all(t)) for t in ("companies", "contacts", "notes")] == [1, 1, 1]
    assert state.associated("notes", final.external_ids["note"], "contacts") == [final.external_ids["contact"]]


# ---------------------------------------------------------------------------------------- Salesforce
def test_salesforce_create_resync_and_edits_without_duplicates(salesforce_server):
    crm = {"salesforce": salesforce_settings(salesforce_server)}
    state, record = salesforce_server.state, make_record()
    first = sync_once(one_adapter("salesforce", crm), record)
    assert first.status == "synced", first.message
    lead = state.all("Lead")[0]
    assert lead["Parley_Key__c"] == "lead-7" and lead["LastName"] == "Lee" and lead["Rating"] == "Hot"
    task = state.all("Task")[0]
    assert task["WhoId"] == first.external_ids["lead"] and task["Subject"] == "Send the quote by Friday"

    state.records["Task"][task["Id"]]["Status"] = "Completed"  # a salesperson closed it meanwhile
    edited = dataclasses.replace(record, contact_title="COO", score="warm", known_ids=first.external_ids)
    second = sync_once(one_adapter("salesforce", crm), edited)
    assert second.status == "synced" and second.external_ids == first.external_ids
    assert len(state.all("Lead")) == 1 and len(state.all("Task")) == 1
    assert state.all("Lead")[0]["Title"] == "COO" and state.all("Lead")[0]["Rating"] == "Warm"
    assert state.all("Task")[0]["Status"] == "Completed"  # not reopened by the re-sync

    third = sync_once(one_adapter("salesforce", crm), dataclasses.replace(edited, known_ids={}))
    assert third.status == "synced" and third.external_ids == first.external_ids
    assert len(state.all("Lead")) == 1 and len(state.all("Task")) == 1


def test_salesforce_expired_token_is_renewed_once(salesforce_server):
    crm = {"salesforce": salesforce_settings(salesforce_server)}
    adapter = one_adapter("salesforce", crm)

    async def go():
        a = await adapter.sync(make_record())
        salesforce_server.state.expire_tokens()
        b = await adapter.sync(make_record(contact_title="CTO"))
        await adapter.aclose()
        return a, b

    a, b = asyncio.run(go())
    assert a.status == b.status == "synced" and salesforce_server.state.tokens_issued == 2
    assert salesforce_server.state.all("Lead")[0]["Title"] == "CTO"
    assert any(status == 401 for _, _, status in salesforce_server.state.requests)


def test_salesforce_token_ttl_and_bad_credentials():
    with running_salesforce(token_ttl_s=1.0) as server:
        crm = {"salesforce": salesforce_settings(server)}
        adapter = one_adapter("salesforce", crm)

        async def go():
            first = await adapter.sync(make_record())
            await asyncio.sleep(1.1)
            second = await adapter.sync(make_record())
            await adapter.aclose()
            return first, second

        assert [o.status for o in asyncio.run(go())] == ["synced", "synced"]
        assert server.state.tokens_issued >= 2  # the first expired between the syncs: a new one, no failure
        bad = sync_once(one_adapter("salesforce", {"salesforce": salesforce_settings(server, client_secret="nope")}), make_record())
        assert bad.status == "failed" and "invalid_client" in bad.message


def test_salesforce_multiple_matches_fail_with_the_ids(salesforce_server):
    state = salesforce_server.state
    ids = [state.add_record("Lead", {"LastName": n, "Company": "X", "Parley_Key__c": "lead-7"}) for n in ("A", "B")]
    out = sync_once(one_adapter("salesforce", {"salesforce": salesforce_settings(salesforce_server)}), make_record())
    assert out.status == "failed" and out.http_status == 300 and out.detail["matching_ids"] == ids
    assert len(state.all("Lead")) == 2  # nothing written


def test_salesforce_duplicate_rule_and_unknown_field_are_readable_failures(salesforce_server):
    state = salesforce_server.state
    state.add_record("Lead", {"LastName": "Lee", "Company": "Example", "Email": "dana.lee@example.com"})
    out = sync_once(one_adapter("salesforce", {"salesforce": salesforce_settings(salesforce_server)}), make_record())
    assert out.status == "failed" and out.message.startswith("DUPLICATES_DETECTED: Use one of these records?")
    crm = {"salesforce": salesforce_settings(salesforce_server, tenant_mappings={"acme": {"lead": {"reasoning": "Why__c"}}})}
    out = sync_once(one_adapter("salesforce", crm), make_record(contact_email="other@example.com"))
    assert out.status == "failed" and out.message == "INVALID_FIELD: No such column 'Why__c' on sobject of type Lead"


def test_salesforce_request_limit_parks_and_limit_info_is_reported():
    with running_salesforce(api_limit=1) as server:
        out = sync_once(one_adapter("salesforce", {"salesforce": salesforce_settings(server, limit_park_s=600)}), make_record())
        assert out.status == "parked" and out.retry_after_s == 600 and out.external_ids == {"lead": out.external_ids["lead"]}
        assert out.detail["api_usage"] == {"used": 2, "limit": 1}


def test_salesforce_hour_long_outage_then_success_without_duplicates(salesforce_server):
    state = salesforce_server.state
    state.fail_next(503, 10_000, path_contains="/Task/")  # the Lead made it, the Task did not

    def end_outage(attempt, waited):
        if waited >= 3600:
            state.faults.clear()

    final, outcomes, waited = drive(one_adapter("salesforce", {"salesforce": salesforce_settings(salesforce_server)}),
                                    make_record(), between=end_outage)
    assert final.status == "synced" and waited >= 3600
    assert len(state.all("Lead")) == 1 and len(state.all("Task")) == 1


def test_salesforce_legacy_api_version_answers_204(salesforce_server):
    crm = {"salesforce": salesforce_settings(salesforce_server, api_version="v45.0")}
    sync_once(one_adapter("salesforce", crm), make_record())
    out = sync_once(one_adapter("salesforce", crm), make_record(contact_title="CFO"))
    assert out.status == "synced" and out.external_ids["lead"] == salesforce_server.state.all("Lead")[0]["Id"]
    assert any(status == 204 for _, _, status in salesforce_server.state.requests)


def test_salesforce_jwt_bearer_against_the_apps_certificate_key(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    keyfile = tmp_path / "sf.pem"
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with running_salesforce(jwt_public_key_pem=public) as server:
        jwt = dict(auth="jwt_bearer", client_secret=None, jwt_username="integration@parley.test", jwt_private_key_file=str(keyfile))
        out = sync_once(one_adapter("salesforce", {"salesforce": salesforce_settings(server, **jwt)}), make_record())
        assert out.status == "synced" and server.state.tokens_issued == 1
        wrong_user = dict(jwt, jwt_username="someone@else.test")
        out = sync_once(one_adapter("salesforce", {"salesforce": salesforce_settings(server, **wrong_user)}), make_record())
        assert out.status == "failed" and "invalid_grant" in out.message


# --------------------------------------------------------------------------------------- webhook sink
def test_webhook_sink_to_a_real_receiver_that_verifies_and_dedupes():
    received: dict[str, dict] = {}
    plan = {"fail": 2}
    app = FastAPI()

    @app.post("/hook")
    async def hook(request: Request):
        body = await request.body()
        if not verify_signature(b"s3cret", request.headers["Parley-Signature"], body):
            return JSONResponse({"error": "bad signature"}, status_code=401)
        if plan["fail"] > 0:
            plan["fail"] -= 1
            return JSONResponse({"error": "down"}, status_code=503)
        received[request.headers["Parley-Delivery"]] = {"key": request.headers["Idempotency-Key"], "at": time.time()}
        return {"id": f"ext-{request.headers['Idempotency-Key']}"}

    with serve(app) as url:
        crm = {"webhook": {"enabled": True, "url": url + "/hook", "secret": "s3cret"}}
        final, outcomes, _ = drive(one_adapter("webhook", crm), make_record())
        assert [o.status for o in outcomes] == ["retry", "retry", "synced"]
        assert final.external_ids == {"webhook": "ext-lead-7"}
        drive(one_adapter("webhook", crm), make_record())  # a re-send of the same content: same delivery id
        assert len(received) == 1
        bad = drive(one_adapter("webhook", {"webhook": dict(crm["webhook"], secret="wrong")}), make_record())[0]
        assert bad.status == "failed" and bad.http_status == 401


# ------------------------------------------------------------------------------------- slow CRMs, quotas
@pytest.mark.parametrize("written", [False, True], ids=["timeout-before-write", "write-done-answer-lost"])
def test_timeouts_against_slow_servers_retry_then_succeed_once(hubspot_server, salesforce_server, written):
    status = 0 if written else 503  # 0: the server writes, then answers after the client gave up
    hubspot_server.state.fail_next(status, 2, delay_s=1.5, path_contains="/contacts/")  # slower than the timeout
    salesforce_server.state.fail_next(status, 1, delay_s=1.5, path_contains="/Lead/")
    crm = {"hubspot": hubspot_settings(hubspot_server, timeout_s=0.5),
           "salesforce": salesforce_settings(salesforce_server, timeout_s=0.5)}
    for name, server_count in (("hubspot", lambda: len(hubspot_server.state.all("contacts"))),
                               ("salesforce", lambda: len(salesforce_server.state.all("Lead")))):
        final, outcomes, _ = drive(one_adapter(name, crm), make_record())
        assert final.status == "synced", (name, final.message)
        assert any(o.status == "retry" and o.message.startswith("timeout") for o in outcomes)
        assert server_count() == 1
    if written:  # the timed-out requests did write (and the retries found those records instead of duplicating)
        assert sum(1 for _, p, st in hubspot_server.state.requests if "/contacts/batch/upsert" in p and st == 200) == 3
        assert sum(1 for _, p, st in salesforce_server.state.requests if "/Lead/" in p and st in (200, 201)) >= 2


def test_hubspot_daily_quota_used_up_parks():
    with running_hubspot(daily_max=3) as server:
        out = sync_once(one_adapter("hubspot", {"hubspot": hubspot_settings(server)}), make_record())
        assert out.status == "parked" and out.http_status == 429 and out.retry_after_s > 0
        assert out.detail["rate_limit"]["daily_remaining"] == "0" and set(out.external_ids) == {"company", "contact"}
