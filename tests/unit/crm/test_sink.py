"""Signed webhook sink against respx: signature, idempotency headers, retry and failure branches."""

from __future__ import annotations

import json
import random

import httpx
import pytest
import respx

from services.crm.http import CrmConfigError
from services.crm.settings import WebhookSinkSettings
from services.crm.sink import WebhookSinkAdapter
from services.crm.webhooks import verify_signature
from tests.unit.crm.conftest import run
from tests.unit.crm.records import make_record

URL = "https://hooks.example.com/parley/lead"


def sink(crm_settings, **cfg) -> WebhookSinkAdapter:
    return WebhookSinkAdapter(WebhookSinkSettings(enabled=True, url=URL, secret="whsec", **cfg), crm_settings,
                              rng=random.Random(3))


def test_signed_post_with_stable_delivery_id(crm_settings):
    with respx.mock() as mock:
        route = mock.post(URL).mock(return_value=httpx.Response(200, json={"id": "crm-42"}))
        a = sink(crm_settings)
        out = run(a.sync(make_record()))
        run(a.sync(make_record()))
        run(a.sync(make_record(contact_title="CEO")))
    assert out.status == "synced" and out.external_ids == {"webhook": "crm-42"}
    first, again, edited = (c.request for c in route.calls)
    assert verify_signature(b"whsec", first.headers["Parley-Signature"], first.content)
    assert not verify_signature(b"other", first.headers["Parley-Signature"], first.content)
    assert first.headers["Idempotency-Key"] == "lead-7" and first.headers["Parley-Event"] == "lead.sync"
    assert first.headers["Parley-Delivery"] == again.headers["Parley-Delivery"] != edited.headers["Parley-Delivery"]
    body = json.loads(first.content)
    assert body["key"] == "lead-7" and body["fields"]["score"] == "hot" and body["fields"]["confidence"] == 0.87
    assert "note_text" not in body["fields"]


def test_tenant_mapping_renames_keys(crm_settings):
    with respx.mock() as mock:
        route = mock.post(URL).mock(return_value=httpx.Response(204))
        out = run(sink(crm_settings, tenant_mappings={"acme": {"lead": {"score": "rating", "summary": ""}}}).sync(make_record()))
    fields = json.loads(route.calls[0].request.content)["fields"]
    assert out.status == "synced" and out.external_ids == {"webhook": "lead-7"}
    assert fields["rating"] == "hot" and "score" not in fields and "summary" not in fields


@pytest.mark.parametrize("answer,expected_delay", [
    (httpx.Response(503, headers={"Retry-After": "120"}), 120.0),
    (httpx.Response(429), None), (httpx.Response(408), None), (httpx.ReadTimeout("slow"), None),
])
def test_transient_answers_retry(crm_settings, answer, expected_delay):
    with respx.mock() as mock:
        kw = {"side_effect": answer} if isinstance(answer, Exception) else {"return_value": answer}
        mock.post(URL).mock(**kw)
        out = run(sink(crm_settings).sync(make_record()))
    assert out.status == "retry"
    if expected_delay is not None:
        assert out.retry_after_s == expected_delay
    else:
        assert 2.0 <= out.retry_after_s <= 4.0


def test_other_4xx_fail_with_the_receivers_answer(crm_settings):
    with respx.mock() as mock:
        mock.post(URL).mock(return_value=httpx.Response(422, text='{"error":"email is invalid"}'))
        out = run(sink(crm_settings).sync(make_record()))
    assert out.status == "failed" and out.http_status == 422 and "email is invalid" in out.message


def test_secret_is_required(crm_settings):
    with pytest.raises(CrmConfigError):
        WebhookSinkAdapter(WebhookSinkSettings(enabled=True, url=URL), crm_settings)
