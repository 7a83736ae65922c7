"""/v1/leads and /review over the ASGI app (TestClient, SQLite, the real worker loop with the fake runner):
routing of real jobs, filters, decisions with version checks, tenant isolation, house error shape, the
review page's auth, CSRF, rendering and audio with HTTP Range; and the webhook dispatcher's event id header."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from services.worker.fake import fake_runner
from services.worker.loop import Worker
from tests.unit.server.conftest import auth, build_settings, make_client, make_wav

STATIC = Path(__file__).resolve().parents[3] / "services" / "gateway" / "static"


def _call(client, db, settings, *, seconds: float, tenant: str = "acme", account: str = "Northwind",
          contact: str = "Dana Whitfield") -> dict:
    options = {"context": {"accounts": [account], "contacts": [contact]}, "correlation_id": f"crm-{account}"}
    r = client.post("/v1/calls", headers=auth(tenant), files={"file": ("call.wav", make_wav(seconds), "audio/wav")},
                    data={"options": json.dumps(options)})
    assert r.status_code == 202, r.text
    w = Worker(db=db, settings=settings, runner=fake_runner(settings))
    while w.run_once():
        pass
    leads = client.get("/v1/leads", headers=auth(tenant), params={"call_id": r.json()["id"]}).json()["data"]
    assert len(leads) == 1
    return leads[0]


def test_routing_of_real_jobs_and_filters(client, db, settings) -> None:
    low = _call(client, db, settings, seconds=1.0, account="Northwind")
    high = _call(client, db, settings, seconds=5.0, account="Globex Corp", contact="Hank Scorpio")
    assert (low["state"], low["confidence"]) == ("draft", 0.19)
    assert "low_confidence" in low["review_reasons"] and low["correlation_id"] == "crm-Northwind"
    assert (high["state"], high["confidence"]) == ("approved", 0.95)
    q = lambda **p: [x["id"] for x in client.get("/v1/leads", headers=auth(), params=p).json()["data"]]  # noqa: E731
    assert q(state="draft") == [low["id"]]
    assert set(q()) == {low["id"], high["id"]}
    assert q(min_confidence=0.5) == [high["id"]] and q(max_confidence=0.5) == [low["id"]]
    assert q(reason="low_confidence") == [low["id"]] and q(score="hot") == []
    assert set(q(max_age_h=1)) == {low["id"], high["id"]}
    assert client.get("/v1/leads", headers=auth("globex")).json()["data"] == []  # tenant-scoped
    r = client.get("/v1/leads", headers=auth(), params={"state": "bogus"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"


def test_decisions_versions_and_errors(client, db, settings) -> None:
    lead = _call(client, db, settings, seconds=1.0)
    url = f"/v1/leads/{lead['id']}"
    full = client.get(url, headers=auth()).json()
    assert full["lead"]["bant"]["budget"]["evidence"][0]["quote"] == "about fifty thousand dollars"
    assert [t["action"] for t in full["transitions"]] == ["route"] and full["syncs"] == []
    r = client.post(url + "/edit", headers=auth(), json={"version": 1, "fields": {"contact_title": "CRO"}})
    assert r.status_code == 200 and r.json()["state"] == "edited" and r.json()["version"] == 2
    assert r.json()["fields"]["contact_title"] == "CRO" and r.json()["transitions"][-1]["diff"] == \
        {"contact_title": ["VP Sales", "CRO"]}
    again = client.post(url + "/reject", headers=auth(), json={"version": 1, "reason": "dup"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "version_conflict"
    assert again.json()["error"]["hint"].startswith("someone changed")
    bad = client.post(url + "/approve", headers=auth(), json={"version": 2})
    assert bad.status_code == 409 and bad.json()["error"]["code"] == "invalid_transition"
    other = _call(client, db, settings, seconds=1.0, account="Initech")
    r = client.post(f"/v1/leads/{other['id']}/reject", headers=auth(), json={"version": 1})
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    r = client.post(f"/v1/leads/{other['id']}/approve", headers=auth(),
                    json={"version": 1, "fields": {"contact_email": "not-an-email"}})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_fields"
    assert client.get(f"/v1/leads/{other['id']}", headers=auth("globex")).status_code == 404
    r = client.post(f"/v1/leads/{other['id']}/reject", headers=auth("globex"), json={"version": 1, "reason": "x"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.post(f"/v1/leads/{other['id']}/reject", headers=auth(), json={"version": 1, "reason": "spam"})
    assert r.json()["state"] == "rejected" and r.json()["transitions"][-1]["reason"] == "spam"
    assert client.get(f"/v1/leads/{other['id']}/sync", headers=auth()).json() == []


def test_routing_config_api(client, db, settings) -> None:
    r = client.get("/v1/leads/routing", headers=auth())
    assert r.json() == {"threshold": 0.7, "hot_leads": "review", "needs_review_always": True, "events_url": None}
    r = client.put("/v1/leads/routing", headers=auth(), json={"threshold": 0.1, "needs_review_always": False})
    assert r.status_code == 200 and r.json()["threshold"] == 0.1
    assert _call(client, db, settings, seconds=1.0)["state"] == "approved"  # 0.19 >= 0.1 for acme only
    assert client.get("/v1/leads/routing", headers=auth("globex")).json()["threshold"] == 0.7
    r = client.put("/v1/leads/routing", headers=auth(), json={"events_url": "http://10.0.0.1/hook"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "url_not_allowed"
    r = client.put("/v1/leads/routing", headers=auth(), json={"threshold": None})
    assert r.json()["threshold"] == 0.7  # null resets to the default


# ------------------------------------------------------------------------------------------- /review page


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client) -> None:
    page = client.get("/review/login")
    r = client.post("/review/login", data={"api_key": "key-acme-0123456789", "csrf_token": _csrf(page.text),
                                            "next": "/review"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/review"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_review_page_login_csrf_and_decisions(client, db, settings) -> None:
    lead = _call(client, db, settings, seconds=1.0)
    r = client.get("/review", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/review/login")
    page = client.get("/review/login")
    r = client.post("/review/login", data={"api_key": "wrong", "csrf_token": _csrf(page.text)})
    assert r.status_code == 401 and "unknown or revoked" in r.text
    r = client.post("/review/login", data={"api_key": "key-acme-0123456789", "csrf_token": "forged"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    _login(client)
    queue = client.get("/review")
    assert queue.status_code == 200 and "Dana Whitfield" in queue.text
    assert "script-src 'self'" in queue.headers["content-security-policy"]
    assert 'src="/static/htmx.min.js"' in queue.text and "cdn" not in queue.text.lower()
    assert "Dana Whitfield" not in client.get("/review", params={"min_confidence": "0.5"}).text
    page = client.get(f"/review/leads/{lead['id']}")
    assert page.status_code == 200
    assert '<mark class="evidence budget" data-start="0.5"' in page.text  # the quote, highlighted and seekable
    assert "about fifty thousand dollars" in page.text and 'class="role">prospect' in page.text
    token = _csrf(page.text)
    form = {"version": "1", "action": "approve", "contact_name": "Dana W. Whitfield", "score": "hot"}
    r = client.post(f"/review/leads/{lead['id']}", data=form)  # no token
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    r = client.post(f"/review/leads/{lead['id']}", data={**form, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    view = client.get(f"/v1/leads/{lead['id']}", headers=auth()).json()
    assert (view["state"], view["version"], view["fields"]["contact_name"]) == ("edited", 2, "Dana W. Whitfield")
    assert view["reviewed_by"] == "reviewer:acme" and view["score"] == "hot"
    stale = client.post(f"/review/leads/{lead['id']}", headers={"X-CSRF-Token": token},
                        data={"version": "1", "action": "reject", "reason": "late"})
    assert stale.status_code == 409 and "version_conflict" in stale.text
    audio = client.get(f"/review/leads/{lead['id']}/audio", headers={"Range": "bytes=100-199"})
    assert audio.status_code == 206 and len(audio.content) == 100
    assert audio.headers["content-range"].startswith("bytes 100-199/")
    client.cookies.clear()
    assert client.get(f"/review/leads/{lead['id']}/audio").status_code == 401


def test_review_page_is_tenant_scoped_and_accepts_api_keys(client, db, settings) -> None:
    lead = _call(client, db, settings, seconds=1.0)
    assert client.get(f"/review/leads/{lead['id']}", headers=auth()).status_code == 200
    r = client.get(f"/review/leads/{lead['id']}", headers=auth("globex"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert "Dana" not in client.get("/review", headers=auth("globex")).text


def test_review_without_auth_is_tenant_default_with_csrf(tmp_path) -> None:
    from services.store.db import open_database

    settings = build_settings(tmp_path, auth={"enabled": False, "api_keys": {}})
    db = open_database(settings)
    with make_client(settings, db) as client:
        page = client.get("/review")
        assert page.status_code == 200 and client.cookies.get("parley_review")
        r = client.post("/review/logout", data={"csrf_token": "nope"})
        assert r.status_code == 403
    db.dispose()


def test_htmx_is_the_vendored_2_0_11() -> None:
    digest = hashlib.sha256((STATIC / "htmx.min.js").read_bytes()).hexdigest()
    assert digest == "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
    assert digest in (STATIC / "HTMX-ORIGIN.md").read_text() and (STATIC / "htmx.LICENSE").is_file()


def test_events_carry_a_stable_event_id_header(db, settings) -> None:
    """Two receivers of one event get different delivery ids and the same event id (header and body)."""
    import httpx

    from services.crm.webhooks import Dispatcher
    from tests.unit.server.lead_fixtures import complete_with, lead_json

    seen: list[tuple[str, str, dict]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.headers["Parley-Delivery"], request.headers.get("Parley-Event-Id", ""),
                     json.loads(request.content)))
        return httpx.Response(204)

    with db.session() as s:
        from services.store import leads, tenants

        tenants.ensure_tenant(s, tenant_id="acme")
        leads.set_routing(s, tenant_id="acme", actor="t", values={"events_url": "http://127.0.0.1:9/events"})
    complete_with(db, lead_json(confidence=0.9), callback_url="http://127.0.0.1:9/hook")
    settings = settings.model_copy(update={"network": settings.network.model_copy(update={"allow_private": True})})
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        Dispatcher(db=db, settings=settings, secret=b"s" * 32).run_once(http)
    lead_events = [x for x in seen if x[2].get("event", "").startswith("Lead")]
    assert len(lead_events) == 4  # LeadScored + LeadApproved, to two receivers each
    by_event: dict[str, set] = {}
    for delivery, event_id, body in lead_events:
        assert event_id == body["event_id"]
        by_event.setdefault(body["event"], set()).add((event_id, delivery))
    for pairs in by_event.values():
        assert len({e for e, _ in pairs}) == 1 and len({d for _, d in pairs}) == 2


def test_failed_sync_shows_the_crm_message_and_retry_from_the_page(client, db, settings) -> None:
    from services.store import leads as store_leads

    lead = _call(client, db, settings, seconds=5.0)  # approved by routing
    with db.session() as s:
        store_leads.ensure_sync_rows(s, crms=["salesforce"])
    with db.session() as s:
        row = store_leads.syncs(s, lead_id=lead["id"])[0]
        store_leads.record_sync(s, sync_id=row.id, result=store_leads.SyncResult(
            "failed", {}, "MULTIPLE_CHOICES: 2 Leads match External_Id__c (00Q1, 00Q2)", 300))
    sync = client.get(f"/v1/leads/{lead['id']}/sync", headers=auth()).json()
    assert sync[0]["status"] == "failed" and sync[0]["last_http_status"] == 300
    _login(client)
    page = client.get(f"/review/leads/{lead['id']}")
    assert "MULTIPLE_CHOICES: 2 Leads match" in page.text and 'value="retry_sync"' in page.text
    r = client.post(f"/review/leads/{lead['id']}", data={"version": str(lead["version"]), "action": "retry_sync",
                                                       "csrf_token": _csrf(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get(f"/v1/leads/{lead['id']}/sync", headers=auth()).json()[0]["status"] == "pending"
