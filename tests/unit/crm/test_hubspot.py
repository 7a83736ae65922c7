"""HubSpot adapter against respx: every branch (paths, keys, update by id, rate limits, 5xx, timeouts, 4xx)."""

from __future__ import annotations

import json
import random

import httpx
import pytest
import respx

from services.crm.hubspot import (
    HubSpotAdapter,
    hubspot_message,
    seconds_to_utc_midnight,
)
from services.crm.settings import HubSpotSettings
from tests.unit.crm.conftest import run
from tests.unit.crm.records import make_record

BASE = "https://api.hubapi.com"
V = "/crm/objects/2026-09"


def adapter(crm_settings, **cfg) -> HubSpotAdapter:
    return HubSpotAdapter(HubSpotSettings(enabled=True, token="tok", **cfg), crm_settings, rng=random.Random(1))


def upsert_ok(oid: str, new: bool = True) -> httpx.Response:
    return httpx.Response(200, json={"status": "COMPLETE", "results": [{"id": oid, "new": new, "properties": {}}]})


def happy(mock: respx.MockRouter, prefix: str = V, assoc: str = V) -> None:
    mock.post(f"{prefix}/companies/batch/upsert").mock(return_value=upsert_ok("11"))
    mock.post(f"{prefix}/contacts/batch/upsert").mock(return_value=upsert_ok("22"))
    mock.post(f"{prefix}/notes/batch/upsert").mock(return_value=upsert_ok("33"))
    mock.put(url__regex=rf"{assoc}/\w+/\d+/associations/default/\w+/\d+").mock(return_value=httpx.Response(200, json={}))


def sent(mock: respx.MockRouter, path_end: str) -> dict:
    calls = [c for c in mock.calls if c.request.url.path.endswith(path_end)]
    assert calls, f"no request to {path_end}"
    return json.loads(calls[-1].request.content)


def test_create_writes_company_contact_note_and_associations(crm_settings):
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        happy(mock)
        out = run(adapter(crm_settings).sync(make_record()))
        assert out.status == "synced" and out.external_ids == {"company": "11", "contact": "22", "note": "33"}
        company = sent(mock, "/companies/batch/upsert")["inputs"][0]
        assert company["idProperty"] == "parley_company_key" and company["id"] == "domain:example.com"
        assert company["properties"] == {"name": "Example Widgets Inc.", "domain": "https://www.example.com/"}
        contact = sent(mock, "/contacts/batch/upsert")["inputs"][0]
        assert contact["idProperty"] == "email" and contact["id"] == "dana.lee@example.com"
        assert contact["properties"]["ai_lead_score"] == "hot" and contact["properties"]["ai_confidence"] == 0.87
        assert contact["properties"]["ai_reasoning"].startswith("Budget and timeline")
        note = sent(mock, "/notes/batch/upsert")["inputs"][0]
        assert note["idProperty"] == "parley_note_key" and note["id"] == "lead-7"
        body = note["properties"]["hs_note_body"]
        assert "BUDGET: stated &quot;about fifty thousand dollars&quot; @32s" in body
        assert "https://parley.local/review/lead-7" in body and "Needs 40 seats" in body
        puts = [c.request.url.path for c in mock.calls if c.request.method == "PUT"]
        assert puts == [f"{V}/contacts/22/associations/default/companies/11", f"{V}/notes/33/associations/default/contacts/22"]
        assert all(c.request.headers["Authorization"] == "Bearer tok" for c in mock.calls)


def test_legacy_v3_paths(crm_settings):
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        happy(mock, prefix="/crm/v3/objects", assoc="/crm/v4/objects")
        out = run(adapter(crm_settings, api_version="v3").sync(make_record()))
        assert out.status == "synced"
        assert {c.request.url.path for c in mock.calls} >= {"/crm/v3/objects/contacts/batch/upsert",
                                                             "/crm/v4/objects/notes/33/associations/default/contacts/22"}


def test_contact_without_email_is_keyed_on_the_lead_and_no_company_without_a_name(crm_settings):
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        happy(mock)
        out = run(adapter(crm_settings).sync(make_record(contact_email=None, company=None, company_domain=None)))
        assert out.external_ids == {"contact": "22", "note": "33"}
        contact = sent(mock, "/contacts/batch/upsert")["inputs"][0]
        assert (contact["idProperty"], contact["id"]) == ("parley_lead_key", "lead-7")
        assert not any("companies" in c.request.url.path for c in mock.calls)


def test_known_ids_update_by_id_and_a_vanished_id_falls_back_to_the_keyed_upsert(crm_settings):
    record = make_record(known_ids={"company": "11", "contact": "22", "note": "33"})
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        happy(mock)
        mock.patch(f"{V}/companies/11").mock(return_value=httpx.Response(200, json={"id": "11"}))
        mock.patch(f"{V}/contacts/22").mock(return_value=httpx.Response(404, json={"status": "error", "category": "OBJECT_NOT_FOUND", "message": "gone"}))
        mock.patch(f"{V}/notes/33").mock(return_value=httpx.Response(200, json={"id": "33"}))
        out = run(adapter(crm_settings).sync(record))
        assert out.status == "synced" and out.external_ids == {"company": "11", "contact": "22", "note": "33"}
        paths = [(c.request.method, c.request.url.path) for c in mock.calls]
        assert ("POST", f"{V}/companies/batch/upsert") not in paths and ("POST", f"{V}/notes/batch/upsert") not in paths
        assert ("POST", f"{V}/contacts/batch/upsert") in paths  # the merged / deleted contact is re-created by key


@pytest.mark.parametrize("headers,expected", [
    ({"X-HubSpot-RateLimit-Interval-Milliseconds": "10000", "X-HubSpot-RateLimit-Remaining": "0"}, 10.0),
    ({}, 7.5),
    ({"Retry-After": "3"}, 3.0),
])
def test_429_without_retry_after_backs_off_on_the_policy_interval(crm_settings, headers, expected):
    body = {"status": "error", "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING",
            "message": "You have reached your ten_secondly_rolling limit."}
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.post(f"{V}/companies/batch/upsert").mock(return_value=httpx.Response(429, json=body, headers=headers))
        out = run(adapter(crm_settings, rate_limit_retry_s=7.5).sync(make_record()))
    assert out.status == "retry" and out.http_status == 429 and out.retry_after_s == expected
    assert "ten_secondly_rolling" in out.message


def test_daily_limit_parks_until_midnight(crm_settings):
    body = {"status": "error", "errorType": "RATE_LIMIT", "policyName": "DAILY", "message": "You have reached your daily limit."}
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        happy(mock)
        mock.post(f"{V}/contacts/batch/upsert").mock(return_value=httpx.Response(429, json=body))
        out = run(adapter(crm_settings).sync(make_record()))
    assert out.status == "parked" and out.external_ids == {"company": "11"}
    assert abs(out.retry_after_s - seconds_to_utc_midnight()) < 5


def test_5xx_retries_with_backoff_on_the_dispatchers_attempt_keeping_partial_ids(crm_settings):
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        happy(mock)
        mock.post(f"{V}/notes/batch/upsert").mock(return_value=httpx.Response(502, text="Bad Gateway"))
        out = run(adapter(crm_settings).sync(make_record(attempt=3)))
    assert out.status == "retry" and out.http_status == 502
    assert 8.0 <= out.retry_after_s <= 16.0  # base 4 s * 2^(3-1), jitter 50-100 %
    assert out.external_ids == {"company": "11", "contact": "22"} and "502" in out.message


@pytest.mark.parametrize("exc", [httpx.ReadTimeout("slow"), httpx.ConnectError("refused")])
def test_timeouts_and_connection_errors_retry(crm_settings, exc):
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.post(f"{V}/companies/batch/upsert").mock(side_effect=exc)
        out = run(adapter(crm_settings).sync(make_record()))
    assert out.status == "retry" and 2.0 <= out.retry_after_s <= 4.0 and out.http_status is None
    assert ("timeout" if isinstance(exc, httpx.TimeoutException) else "connection error") in out.message


def test_validation_error_is_failed_with_hubspots_words(crm_settings):
    body = {"status": "error", "category": "VALIDATION_ERROR", "message": "Property values were not valid",
            "errors": [{"message": 'Property "ai_lead_score" does not exist', "code": "PROPERTY_DOESNT_EXIST"}]}
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        happy(mock)
        mock.post(f"{V}/contacts/batch/upsert").mock(return_value=httpx.Response(400, json=body))
        out = run(adapter(crm_settings).sync(make_record()))
    assert out.status == "failed" and out.http_status == 400
    assert out.message == 'VALIDATION_ERROR: Property values were not valid (Property "ai_lead_score" does not exist)'


def test_conflict_on_update_by_id_is_failed(crm_settings):
    body = {"status": "error", "category": "CONFLICT", "message": "Contact already exists. Existing ID: 99"}
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        happy(mock)
        mock.patch(f"{V}/contacts/22").mock(return_value=httpx.Response(409, json=body))
        out = run(adapter(crm_settings).sync(make_record(known_ids={"contact": "22"})))
    assert out.status == "failed" and out.http_status == 409 and "Existing ID: 99" in out.message


def test_batch_with_per_input_errors_is_failed(crm_settings):
    body = {"status": "COMPLETE", "results": [], "numErrors": 1,
            "errors": [{"status": "error", "category": "CONFLICT", "message": "Company already exists. Existing ID: 5"}]}
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.post(f"{V}/companies/batch/upsert").mock(return_value=httpx.Response(207, json=body))
        out = run(adapter(crm_settings).sync(make_record()))
    assert out.status == "failed" and out.message == "CONFLICT: Company already exists. Existing ID: 5"


def test_redirects_are_not_followed_and_auth_errors_fail(crm_settings):
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.post(f"{V}/companies/batch/upsert").mock(return_value=httpx.Response(301, headers={"Location": "https://evil.example/"}))
        out = run(adapter(crm_settings).sync(make_record()))
        assert out.status == "failed" and "not followed" in out.message and len(mock.calls) == 1
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.post(f"{V}/companies/batch/upsert").mock(return_value=httpx.Response(
            401, json={"status": "error", "category": "INVALID_AUTHENTICATION", "message": "Authentication credentials not found."}))
        out = run(adapter(crm_settings).sync(make_record()))
        assert out.status == "failed" and out.message.startswith("INVALID_AUTHENTICATION")


def test_error_message_for_non_json_bodies():
    assert hubspot_message(httpx.Response(503, text="<html>Service Unavailable</html>")) == "HTTP 503: <html>Service Unavailable</html>"
    assert hubspot_message(httpx.Response(500)) == "HTTP 500: Internal Server Error"
