"""/v1 API over the ASGI app (TestClient, SQLite, fake runner): lifecycle, isolation, limits, SSRF, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from services.worker.fake import fake_runner
from services.worker.loop import Worker
from tests.unit.server.conftest import auth, build_settings, make_client, make_wav


def _upload(client, data: bytes, tenant="acme", ctype="audio/wav", options=None):
    form = {"options": json.dumps(options)} if options is not None else {}
    return client.post("/v1/calls", headers=auth(tenant), files={"file": ("call.wav", data, ctype)}, data=form)


def _work(db, settings):
    w = Worker(db=db, settings=settings, runner=fake_runner(settings))
    while w.run_once():
        pass


def test_upload_lifecycle(client, db, settings, wav):
    r = _upload(client, wav, options={"metadata": {"crm_id": 7}, "correlation_id": "c-1", "vocabulary": ["Parley"]})
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "queued" and body["status_url"].endswith(f"/v1/calls/{body['id']}")
    view = client.get(f"/v1/calls/{body['id']}", headers=auth()).json()
    assert view["status"] == "queued" and view["result"] is None and view["audio"]["duration_s"] == pytest.approx(1.0)
    _work(db, settings)
    view = client.get(f"/v1/calls/{body['id']}", headers=auth()).json()
    assert view["status"] == "succeeded" and view["metadata"] == {"crm_id": 7}
    assert view["result"]["utterances"][0]["text"] == "hello world" and set(view["progress"]) >= {"asr", "nlp"}
    assert client.get(f"/v1/calls/{body['id']}/audio", headers=auth()).content == wav
    events = [e["action"] for e in client.get(f"/v1/calls/{body['id']}/events", headers=auth()).json()]
    assert events == ["created", "claimed", "succeeded"]
    listed = client.get("/v1/calls", params={"correlation_id": "c-1", "status": "succeeded"}, headers=auth()).json()
    assert [c["id"] for c in listed["data"]] == [body["id"]]


def test_delete_removes_audio_and_result(client, db, settings, wav, tmp_path):
    jid = _upload(client, wav).json()["id"]
    _work(db, settings)
    files = list(Path(tmp_path, "audio").rglob("*"))
    assert any(p.is_file() for p in files)
    assert client.delete(f"/v1/calls/{jid}", headers=auth()).status_code == 204
    assert client.get(f"/v1/calls/{jid}", headers=auth()).status_code == 404
    assert client.delete(f"/v1/calls/{jid}", headers=auth()).status_code == 404
    assert not any(p.is_file() for p in Path(tmp_path, "audio").rglob("*"))


def test_tenant_isolation(client, db, settings, wav):
    mine = _upload(client, wav, "acme", options={"callback_url": "http://127.0.0.1:9/hook"}).json()["id"]
    theirs = _upload(client, wav, "globex").json()["id"]
    _work(db, settings)
    for path in (f"/v1/calls/{mine}", f"/v1/calls/{mine}/audio", f"/v1/calls/{mine}/events"):
        r = client.get(path, headers=auth("globex"))
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert client.delete(f"/v1/calls/{mine}", headers=auth("globex")).status_code == 404
    assert [c["id"] for c in client.get("/v1/calls", headers=auth("globex")).json()["data"]] == [theirs]
    assert client.get("/v1/webhooks", headers=auth("globex")).json()["data"] == []
    (delivery,) = client.get("/v1/webhooks", headers=auth("acme")).json()["data"]
    assert client.post(f"/v1/webhooks/{delivery['id']}/redeliver", headers=auth("globex")).status_code == 404
    assert client.get(f"/v1/calls/{mine}", headers=auth("acme")).status_code == 200


def test_auth_required(client, wav):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"X-API-Key": "x" * 300}):
        r = client.get("/v1/calls", headers=headers)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert client.get("/v1/calls", headers={"X-API-Key": "key-globex-0123456789"}).status_code == 200


def test_pagination(client, wav):
    ids = {_upload(client, wav).json()["id"] for _ in range(5)}
    seen, cursor = [], None
    while True:
        page = client.get("/v1/calls", params={"limit": 2, **({"cursor": cursor} if cursor else {})},
                          headers=auth()).json()
        seen += [c["id"] for c in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert set(seen) == ids and len(seen) == 5
    assert client.get("/v1/calls", params={"cursor": "%%%"}, headers=auth()).json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize(
    ("data", "ctype", "status", "code"),
    [
        (b"this is not audio at all" * 10, "audio/wav", 415, "audio_undecodable"),
        (b"", "audio/wav", 422, "audio_empty"),
        (make_wav(1.0), "text/html", 415, "unsupported_media_type"),
        (make_wav(0.1), "audio/wav", 422, "audio_empty"),
    ],
)
def test_bad_uploads(client, data, ctype, status, code, tmp_path):
    r = _upload(client, data, ctype=ctype)
    assert (r.status_code, r.json()["error"]["code"]) == (status, code)
    assert not any(p.is_file() for p in Path(tmp_path, "audio").rglob("*"))  # nothing left behind


def test_size_and_duration_limits(tmp_path, db):
    settings = build_settings(tmp_path, limits={"max_file_mb": 0.05, "max_duration_s": 1.0})
    with make_client(settings, db) as client:
        r = _upload(client, make_wav(2.0))  # 64 KB > 0.05 MB
        assert (r.status_code, r.json()["error"]["code"]) == (413, "audio_too_large")
        r = _upload(client, make_wav(1.4, rate=8000))  # 22 KB, 1.4 s > 1 s
        assert (r.status_code, r.json()["error"]["code"]) == (413, "audio_too_long")
        r = client.post("/v1/calls", headers={**auth(), "Content-Length": "999999999"}, content=b"x")
        assert r.status_code == 413


def test_request_validation(client):
    cases = [
        ({"audio_url": "https://example.com/a.wav", "num_speakers": 0}, "validation_error"),
        ({"audio_url": "https://example.com/a.wav", "surprise": 1}, "validation_error"),
        ({"audio_url": "https://example.com/a.wav", "language": "english!"}, "validation_error"),
        ({}, "validation_error"),
    ]
    for body, code in cases:
        r = client.post("/v1/calls", headers=auth(), json=body)
        assert (r.status_code, r.json()["error"]["code"]) == (422, code), r.text
    r = client.post("/v1/calls", headers={**auth(), "Content-Type": "text/plain"}, content=b"hi")
    assert (r.status_code, r.json()["error"]["code"]) == (415, "unsupported_media_type")
    r = client.post("/v1/calls", headers=auth(), files={"file": ("a.wav", make_wav(1), "audio/wav")},
                    data={"options": "{not json"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_request")


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/a.wav", "http://10.0.0.1/a.wav", "http://169.254.169.254/latest",
     "http://[::1]/a.wav", "http://localhost/a.wav", "http://0.0.0.0/a", "gopher://x", "http:///nohost"],
)
def test_ssrf_refused(tmp_path, db, url):
    settings = build_settings(tmp_path, network={"allowed_hosts": []})
    with make_client(settings, db) as client:
        for body in ({"audio_url": url}, {"audio_url": "https://1.1.1.1/x.wav", "callback_url": url}):
            r = client.post("/v1/calls", headers=auth(), json=body)
            assert (r.status_code, r.json()["error"]["code"]) == (422, "url_not_allowed"), (url, r.text)


def test_rate_limit_and_queue_cap(tmp_path, db, wav):
    settings = build_settings(tmp_path, api={"rate_limit_per_s": 0.01, "rate_limit_burst": 3})
    with make_client(settings, db) as client:
        codes = [_upload(client, wav).status_code for _ in range(5)]
        assert codes == [202, 202, 202, 429, 429]
        r = _upload(client, wav)
        assert r.json()["error"]["code"] == "rate_limited" and int(r.headers["Retry-After"]) >= 1
        assert _upload(client, wav, tenant="globex").status_code == 202  # per tenant
    settings = build_settings(tmp_path, api={"max_queued_jobs": 4})
    with make_client(settings, db) as client:
        r = _upload(client, wav)
        assert (r.status_code, r.json()["error"]["code"]) == (429, "queue_full")


def test_health_ready_metrics(client, db, settings, wav):
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").json()["status"] == "ok"
    _upload(client, wav)
    text = client.get("/metrics").text
    assert 'parley_jobs{state="queued"} 1.0' in text and "parley_queue_audio_seconds 1.0" in text
    _work(db, settings)
    text = client.get("/metrics").text
    assert 'parley_jobs{state="succeeded"} 1.0' in text
    assert 'parley_stage_latency_seconds_count{stage="asr"} 1.0' in text


def test_unsafe_settings_refused(tmp_path):
    from services.gateway.app import check_settings
    from services.gateway.errors import ConfigError

    for over in ({"api": {"host": "0.0.0.0"}, "auth": {"enabled": False}},
                 {"webhooks": {"secret": None}},
                 {"profile": "gpu"},
                 {"worker": {"heartbeat_s": 10, "lease_s": 5}}):
        with pytest.raises(ConfigError):
            check_settings(build_settings(tmp_path, **over))


def test_gateway_never_imports_torch():
    code = ("import sys; from services.settings import Settings; from services.gateway.app import create_app;"
            "from fastapi.testclient import TestClient; import tempfile;"
            "s = Settings(server={'data_dir': tempfile.mkdtemp()});"
            "c = TestClient(create_app(s)).__enter__(); assert c.get('/readyz').status_code == 200;"
            "bad = [m for m in ('torch', 'torchaudio', 'pyannote', 'faster_whisper', 'ctranslate2') if m in sys.modules];"
            "assert not bad, bad; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).parents[3])
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-2000:]
