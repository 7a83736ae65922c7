"""`parley serve` on its embedded defaults (SQLite, embedded worker) with the REAL pipeline: a call uploaded over
HTTP comes back as a signed webhook carrying the result. Lead extraction is off here to keep CI lean: the LLM
is exercised by tests/integration/test_calls_real.py."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from services.crm.webhooks import verify_signature
from tests.e2e.serve_process import REPO, serve_env, start_serve, stop, wait_ready
from tests.e2e.server.conftest import free_port
from tests.unit.server.receiver import Receiver

pytestmark = [pytest.mark.slow, pytest.mark.integration]

SECRET = "serve-real-secret-0123456789"


def test_parley_serve_delivers_signed_webhook_with_real_result(tmp_path):
    port = free_port()
    env = serve_env(tmp_path / "server", SECRET)
    log_path = tmp_path / "serve.log"
    server = start_serve(["--port", str(port)], env, log_path)
    base = f"http://127.0.0.1:{port}"
    try:
        with Receiver() as receiver, httpx.Client(base_url=base, timeout=30, trust_env=False) as client:
            wait_ready(client, server, log_path, timeout_s=90)
            options = {"callback_url": f"{receiver.url}/hook", "extract_lead": False, "correlation_id": "crm-42"}
            with (REPO / "tests/fixtures/calls/hot_northwind.flac").open("rb") as audio:
                accepted = client.post("/v1/calls", files={"file": ("hot.flac", audio, "audio/flac")},
                                       data={"options": json.dumps(options)})
            assert accepted.status_code == 202, accepted.text
            call_id = accepted.json()["id"]

            deadline = time.monotonic() + 600
            while time.monotonic() < deadline and not receiver.received:
                assert server.poll() is None, log_path.read_text()[-3000:]
                time.sleep(1)
            assert receiver.received, "no webhook within 10 minutes"
            hook = receiver.received[0]
            headers = {k.lower(): v for k, v in hook.headers.items()}
            assert verify_signature(SECRET.encode(), headers["parley-signature"], hook.body)
            payload = json.loads(hook.body)
            assert payload["id"] == call_id and payload["correlation_id"] == "crm-42"
            assert payload["status"] == "succeeded" and payload["result"]["words"]

            view = client.get(f"/v1/calls/{call_id}").json()
            assert view["status"] == "succeeded"
            result = view["result"]
            assert result["schema_version"] == "1.1" and len(result["speakers"]) == 2
            text = " ".join(w["text"] for w in result["words"]).lower()
            assert "northwind" in text.replace("north wind", "northwind")
    finally:
        stop(server, grace_s=30)
