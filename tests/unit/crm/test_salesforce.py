"""Salesforce adapter against respx: token flows, upsert answers (201 / 200 / 204 / 300), renewal, limits, errors."""

from __future__ import annotations

import base64
import json
import random
import time

import httpx
import pytest
import respx

from services.crm.salesforce import (
    NOT_PROVIDED,
    SalesforceAdapter,
    jwt_assertion,
    limit_info,
)
from services.crm.settings import SalesforceSettings
from tests.unit.crm.conftest import run
from tests.unit.crm.records import make_record

INST = "https://acme.my.salesforce.com"
DATA = "/services/data/v62.0/sobjects"
LEAD_URL = f"{DATA}/Lead/Parley_Key__c/lead-7"
TASK_URL = f"{DATA}/Task/Parley_Task_Key__c/lead-7%3Anext"
LIMIT = {"Sforce-Limit-Info": "api-usage=42/15000"}


def adapter(crm_settings, **cfg) -> SalesforceAdapter:
    base = dict(enabled=True, instance_url=INST, client_id="cid", client_secret="secret")
    return SalesforceAdapter(SalesforceSettings(**{**base, **cfg}), crm_settings, rng=random.Random(2))


def token_route(mock, *responses):
    route = mock.post("/services/oauth2/token")
    if responses:
        route.mock(side_effect=list(responses))
    else:
        route.mock(return_value=httpx.Response(200, json={"access_token": "T1", "instance_url": INST}))
    return route


def created(rid: str) -> httpx.Response:
    return httpx.Response(201, json={"id": rid, "success": True, "errors": [], "created": True}, headers=LIMIT)


def mocked():
    return respx.mock(base_url=INST, assert_all_called=False)


def test_client_credentials_lead_and_task_upserted_by_external_id(crm_settings):
    with mocked() as mock:
        tok = token_route(mock)
        lead = mock.patch(LEAD_URL).mock(return_value=created("00Q1"))
        task = mock.patch(TASK_URL).mock(return_value=created("00T1"))
        out = run(adapter(crm_settings).sync(make_record(company=None, contact_name=None)))
        assert out.status == "synced" and out.external_ids == {"lead": "00Q1", "task": "00T1"}
        assert out.detail["api_usage"] == {"used": 42, "limit": 15000}
        form = dict(x.split("=") for x in tok.calls[0].request.content.decode().split("&"))
        assert form == {"grant_type": "client_credentials", "client_id": "cid", "client_secret": "secret"}
        body = json.loads(lead.calls[0].request.content)
        assert body["LastName"] == NOT_PROVIDED and body["Company"] == NOT_PROVIDED  # required on Lead
        assert body["Rating"] == "Hot" and body["AI_Confidence__c"] == 0.87 and "Parley_Key__c" not in body
        assert lead.calls[0].request.headers["Authorization"] == "Bearer T1"
        tbody = json.loads(task.calls[0].request.content)
        assert tbody["WhoId"] == "00Q1" and tbody["Subject"] == "Send the quote by Friday" and "Status" not in tbody


def test_update_answers_200_and_204_and_no_task_without_next_step(crm_settings):
    with mocked() as mock:
        token_route(mock)
        mock.patch(LEAD_URL).mock(return_value=httpx.Response(200, json={"id": "00Q1", "created": False, "success": True}))
        out = run(adapter(crm_settings).sync(make_record(next_step=None)))
        assert out.external_ids == {"lead": "00Q1"} and not any("Task" in c.request.url.path for c in mock.calls)
    with mocked() as mock:  # API versions before 46: 204 without a body -> read the id back by the same key
        token_route(mock)
        mock.patch(LEAD_URL).mock(return_value=httpx.Response(204))
        mock.get(LEAD_URL).mock(return_value=httpx.Response(200, json={"Id": "00Q9"}))
        out = run(adapter(crm_settings).sync(make_record(next_step=None)))
        assert out.status == "synced" and out.external_ids == {"lead": "00Q9"}


def test_300_multiple_matches_is_failed_with_the_ids(crm_settings):
    with mocked() as mock:
        token_route(mock)
        mock.patch(LEAD_URL).mock(return_value=httpx.Response(300, json=[f"{DATA}/Lead/00QA", f"{DATA}/Lead/00QB"]))
        out = run(adapter(crm_settings).sync(make_record()))
    assert out.status == "failed" and out.http_status == 300
    assert out.detail["matching_ids"] == ["00QA", "00QB"] and "00QA, 00QB" in out.message


def test_known_ids_patch_by_id_then_fall_back_when_gone(crm_settings):
    with mocked() as mock:
        token_route(mock)
        by_id = mock.patch(f"{DATA}/Lead/00Q1").mock(return_value=httpx.Response(204))
        task_gone = mock.patch(f"{DATA}/Task/00T1").mock(return_value=httpx.Response(
            404, json=[{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]))
        task = mock.patch(TASK_URL).mock(return_value=created("00T2"))
        out = run(adapter(crm_settings).sync(make_record(known_ids={"lead": "00Q1", "task": "00T1"})))
        assert out.status == "synced" and out.external_ids == {"lead": "00Q1", "task": "00T2"}
        assert by_id.called and task_gone.called and task.called


def test_invalid_session_mints_a_new_token_and_retries_once(crm_settings):
    expired = httpx.Response(401, json=[{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}])
    with mocked() as mock:
        tok = token_route(mock, httpx.Response(200, json={"access_token": "T1"}), httpx.Response(200, json={"access_token": "T2"}))
        lead = mock.patch(LEAD_URL).mock(side_effect=[expired, created("00Q1")])
        a = adapter(crm_settings)
        out = run(a.sync(make_record(next_step=None)))
        assert out.status == "synced" and tok.call_count == 2 and a.tokens_minted == 2
        assert [c.request.headers["Authorization"] for c in lead.calls] == ["Bearer T1", "Bearer T2"]
    with mocked() as mock:  # still refused with a fresh token: no loop, a readable failure
        token_route(mock)
        mock.patch(LEAD_URL).mock(return_value=expired)
        out = run(adapter(crm_settings).sync(make_record()))
        assert out.status == "failed" and out.http_status == 401 and "freshly minted" in out.message


def test_request_limit_parks_other_403_fails(crm_settings):
    with mocked() as mock:
        token_route(mock)
        mock.patch(LEAD_URL).mock(return_value=httpx.Response(
            403, json=[{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}],
            headers={"Sforce-Limit-Info": "api-usage=15001/15000"}))
        out = run(adapter(crm_settings, limit_park_s=1200).sync(make_record()))
        assert out.status == "parked" and out.retry_after_s == 1200 and out.detail["api_usage"]["used"] == 15001
    with mocked() as mock:
        token_route(mock)
        mock.patch(LEAD_URL).mock(return_value=httpx.Response(
            403, json=[{"errorCode": "INSUFFICIENT_ACCESS", "message": "insufficient access rights on object id"}]))
        out = run(adapter(crm_settings).sync(make_record()))
        assert out.status == "failed" and out.message == "INSUFFICIENT_ACCESS: insufficient access rights on object id"


def test_400_is_failed_with_code_message_and_fields(crm_settings):
    with mocked() as mock:
        token_route(mock)
        mock.patch(LEAD_URL).mock(return_value=created("00Q1"))
        mock.patch(TASK_URL).mock(return_value=httpx.Response(400, json=[
            {"errorCode": "INVALID_FIELD", "message": "No such column 'Subject' on sobject of type Task", "fields": ["Subject"]}]))
        out = run(adapter(crm_settings).sync(make_record()))
    assert out.status == "failed" and out.external_ids == {"lead": "00Q1"}
    assert out.message == "INVALID_FIELD: No such column 'Subject' on sobject of type Task (fields: Subject)"
    assert out.detail["error_code"] == "INVALID_FIELD"


@pytest.mark.parametrize("answer", [httpx.Response(503, text="Service Unavailable"), httpx.ReadTimeout("slow"),
                                    httpx.ConnectError("refused"),
                                    httpx.Response(500, json=[{"errorCode": "UNKNOWN_EXCEPTION", "message": "An unexpected error occurred"}])])
def test_5xx_and_transport_errors_retry(crm_settings, answer):
    with mocked() as mock:
        token_route(mock)
        kw = {"side_effect": answer} if isinstance(answer, Exception) else {"return_value": answer}
        mock.patch(LEAD_URL).mock(**kw)
        out = run(adapter(crm_settings).sync(make_record(attempt=2)))
    assert out.status == "retry" and 4.0 <= out.retry_after_s <= 8.0


def test_token_endpoint_failures(crm_settings):
    with mocked() as mock:
        token_route(mock, httpx.Response(400, json={"error": "invalid_client", "error_description": "invalid client credentials"}))
        out = run(adapter(crm_settings).sync(make_record()))
        assert out.status == "failed" and out.message.endswith("invalid_client: invalid client credentials")
    with mocked() as mock:
        token_route(mock, httpx.Response(503, text="down"))
        out = run(adapter(crm_settings).sync(make_record()))
        assert out.status == "retry" and out.message.startswith("token:")
    with mocked() as mock:
        mock.post("/services/oauth2/token").mock(side_effect=httpx.ConnectTimeout("slow"))
        assert run(adapter(crm_settings).sync(make_record())).status == "retry"


def test_login_url_and_api_version_are_configurable(crm_settings):
    with respx.mock(assert_all_called=False) as mock:
        tok = mock.post("https://login.example.test/services/oauth2/token").mock(
            return_value=httpx.Response(200, json={"access_token": "T"}))
        lead = mock.patch(f"{INST}/services/data/v60.0/sobjects/Lead/Parley_Key__c/lead-7").mock(return_value=created("00Q1"))
        out = run(adapter(crm_settings, login_url="https://login.example.test", api_version="v60.0").sync(make_record(next_step=None)))
        assert out.status == "synced" and tok.called and lead.called


def _rsa_pair():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem, key.public_key()


def test_jwt_bearer_assertion_is_signed_and_sent(crm_settings, tmp_path):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    pem, public = _rsa_pair()
    keyfile = tmp_path / "sf.key"
    keyfile.write_bytes(pem)
    with mocked() as mock:
        tok = token_route(mock)
        mock.patch(LEAD_URL).mock(return_value=created("00Q1"))
        a = adapter(crm_settings, auth="jwt_bearer", client_secret=None, jwt_username="bot@acme.com",
                    jwt_private_key_file=keyfile)
        assert run(a.sync(make_record(next_step=None))).status == "synced"
        form = dict(x.split("=", 1) for x in tok.calls[0].request.content.decode().split("&"))
    assert form["grant_type"] == "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
    header, claims, sig = form["assertion"].split(".")
    pad = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))  # noqa: E731
    public.verify(pad(sig), f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
    c = json.loads(pad(claims))
    assert c["iss"] == "cid" and c["sub"] == "bot@acme.com" and c["aud"] == "https://login.salesforce.com"
    assert 0 < c["exp"] - time.time() <= 180
    assert jwt_assertion(client_id="a", username="b", audience="c", private_key_pem=pem, now=0).count(".") == 2


def test_limit_info_parsing():
    assert limit_info(httpx.Response(200, headers={"Sforce-Limit-Info": "api-usage=18/5000"})) == {"used": 18, "limit": 5000}
    assert limit_info(httpx.Response(200, headers={"Sforce-Limit-Info": "per-app-api-usage=1/2(appName=x)"})) == {}
    assert limit_info(httpx.Response(200)) == {}
