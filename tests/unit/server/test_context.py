"""Per-call context (known names) through the API: validated, stored with the job, handed to the runner."""

from __future__ import annotations

import json

import pytest

from services.pipeline.lead_context import CallContext
from services.pipeline.options import CallOptions
from services.worker.fake import fake_runner
from services.worker.loop import Worker
from services.worker.runner import call_options
from tests.unit.server.conftest import KEYS, auth

CONTEXT = {
    "own_company": "Parley Systems",
    "products": ["Parley Cloud"],
    "competitors": ["Gong", "Salesforce"],
    "accounts": ["Brightwave Logistics"],
    "contacts": ["Dana Reyes"],
}


def _upload(client, data: bytes, options):
    return client.post("/v1/calls", headers=auth(), files={"file": ("call.wav", data, "audio/wav")},
                       data={"options": json.dumps(options)})


def _run_capturing(db, settings) -> list[CallOptions]:
    seen: list[CallOptions] = []
    base = fake_runner(settings)

    def runner(path, options, progress):
        seen.append(options)
        return base(path, options, progress)

    w = Worker(db=db, settings=settings, runner=runner)
    while w.run_once():
        pass
    return seen


def test_upload_context_is_stored_and_reaches_the_runner(client, db, settings, wav):
    r = _upload(client, wav, {"context": CONTEXT, "competitors": ["Chorus"]})
    assert r.status_code == 202, r.text
    view = client.get(f"/v1/calls/{r.json()['id']}", headers=auth()).json()
    assert view["options"]["context"] == CONTEXT and view["options"]["competitors"] == ["Chorus"]
    (options,) = _run_capturing(db, settings)
    assert options.context == CallContext(own_company="Parley Systems", products=("Parley Cloud",),
                                          competitors=("Gong", "Salesforce"), accounts=("Brightwave Logistics",),
                                          contacts=("Dana Reyes",))
    assert options.lead_context().competitors == ("Gong", "Salesforce", "Chorus")
    assert client.get(f"/v1/calls/{r.json()['id']}", headers=auth()).json()["status"] == "succeeded"


def test_context_defaults_to_empty(client, db, settings, wav):
    assert _upload(client, wav, {}).status_code == 202
    (options,) = _run_capturing(db, settings)
    assert options.context == CallContext() and options.context.empty


def test_json_body_context_is_stored(client):
    body = {"audio_url": "http://127.0.0.1:9/a.wav", "context": {"contacts": ["  Dana   Reyes ", "dana reyes"]}}
    r = client.post("/v1/calls", headers=auth(), json=body)
    assert r.status_code == 202, r.text
    opts = client.get(f"/v1/calls/{r.json()['id']}", headers=auth()).json()["options"]
    assert opts["context"]["contacts"] == ["Dana Reyes"]  # trimmed, each name once
    assert call_options(opts).context.contacts == ("Dana Reyes",)


@pytest.mark.parametrize(
    ("context", "field"),
    [
        ({"accounts": [f"Account {i}" for i in range(21)]}, "accounts"),
        ({"competitors": [f"C{i}" for i in range(101)]}, "competitors"),
        ({"contacts": ["x" * 101]}, "contacts"),
        ({"products": ["  "]}, "products"),
        ({"own_company": "x" * 101}, "own_company"),
        ({"own_company": "Acme\x00"}, "own_company"),
        ({"surprise": ["x"]}, "surprise"),
        ({"contacts": "Dana Reyes"}, "contacts"),
    ],
)
def test_bad_context_is_refused_with_422(client, wav, context, field):
    r = client.post("/v1/calls", headers=auth(), json={"audio_url": "http://127.0.0.1:9/a.wav", "context": context})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "validation_error"
    assert any(d["loc"][:2] == ["context", field] or d["loc"][-2:-1] == [field] or field in d["loc"]
               for d in err["details"]), err
    r = _upload(client, wav, {"context": context})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid_request" and f"context.{field}" in err["message"], err


def test_context_must_be_an_object(client, wav):
    r = _upload(client, wav, {"context": ["Gong"]})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_request")


def test_gladia_accepts_context_as_an_extension(client, db, settings):
    body = {"audio_url": "http://127.0.0.1:9/a.wav", "context": {"products": ["Parley Cloud"]},
            "custom_vocabulary": ["BANT"]}
    r = client.post("/v2/pre-recorded", headers={"x-gladia-key": KEYS["acme"]}, json=body)
    assert r.status_code == 201, r.text
    opts = client.get(f"/v1/calls/{r.json()['id']}", headers=auth()).json()["options"]
    assert opts["context"]["products"] == ["Parley Cloud"] and opts["vocabulary"] == ["BANT"]
    bad = {**body, "context": {"products": ["x" * 200]}}
    r = client.post("/v2/pre-recorded", headers={"x-gladia-key": KEYS["acme"]}, json=bad)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "validation_error")


def test_call_options_from_stored_json():
    opts = call_options({"vocabulary": ["Acme"], "competitors": ["Gong"], "unknown": 1,
                         "context": {"own_company": "Parley", "contacts": ["Dana Reyes"], "future_field": ["x"]}})
    assert opts.vocabulary == ("Acme",) and opts.competitors == ("Gong",)
    assert opts.context == CallContext(own_company="Parley", contacts=("Dana Reyes",))
    assert call_options({}).context == CallContext()
    merged = opts.lead_context(("HubSpot", "Gong"))
    assert merged.competitors == ("Gong", "HubSpot") and merged.contacts == ("Dana Reyes",)
    assert opts.hotwords(("HubSpot",)) == ("Acme", "Parley", "Gong", "HubSpot", "Dana Reyes")
