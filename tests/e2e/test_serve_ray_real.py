"""`parley serve --ray` with the REAL pipeline on a local Ray runtime: two calls uploaded at once run through the
Serve deployments (ASR with cross-call batching, diarization, alignment and NLP) and come back as signed
webhooks; /readyz reports the Serve app and each deployment's replicas. The runtime gets one logical GPU and the
ASR and diarization replicas ask for fractions of it, as on the gpu profile, so fractional-GPU scheduling is
exercised while the models themselves run on CPU."""

from __future__ import annotations

import json
import tempfile
import time

import httpx
import pytest

from services.crm.webhooks import verify_signature
from tests.e2e.serve_process import REPO, serve_env, start_serve, stop, wait_ready
from tests.e2e.server.conftest import free_port
from tests.unit.server.receiver import Receiver

pytestmark = [pytest.mark.slow, pytest.mark.integration]

SECRET = "serve-ray-secret-0123456789"
CALLS = ("hot_northwind", "cold_summit")


def test_parley_serve_ray_runs_concurrent_calls_through_serve(tmp_path):
    pytest.importorskip("ray.serve")
    port = free_port()
    env = serve_env(
        tmp_path / "server", SECRET,
        PARLEY_SERVING__LOCAL_NUM_GPUS="1",
        PARLEY_SERVING__ASR_NUM_GPUS="0.5",
        PARLEY_SERVING__DIARIZATION_NUM_GPUS="0.25",
        PARLEY_SERVING__ASR_BATCH_WAIT_S="0.2",
        # Unix socket paths are limited to 107 bytes: pytest's tmp_path is too deep for Ray's sockets.
        RAY_TMPDIR=tempfile.mkdtemp(prefix="pray", dir="/tmp"),
    )
    log_path = tmp_path / "serve.log"
    server = start_serve(["--ray", "--workers", "2", "--port", str(port)], env, log_path)
    base = f"http://127.0.0.1:{port}"
    try:
        with Receiver() as receiver, httpx.Client(base_url=base, timeout=30, trust_env=False) as client:
            # Ray start + three replicas loading their models on 2 cores
            ready = wait_ready(client, server, log_path, timeout_s=420)
            serve_state = ready["detail"]["serve"]
            assert ready["detail"]["backend"] == "ray" and serve_state["status"] == "RUNNING"
            for name in ("AsrDeployment", "DiarizationDeployment", "ExtractionDeployment", "PipelineDeployment"):
                assert serve_state["deployments"][name]["replicas"].get("RUNNING") == 1, serve_state

            ids = {}
            for name in CALLS:
                options = {"callback_url": f"{receiver.url}/hook", "extract_lead": False, "correlation_id": name}
                with (REPO / f"tests/fixtures/calls/{name}.flac").open("rb") as audio:
                    accepted = client.post("/v1/calls", files={"file": (f"{name}.flac", audio, "audio/flac")},
                                           data={"options": json.dumps(options)})
                assert accepted.status_code == 202, accepted.text
                ids[accepted.json()["id"]] = name

            deadline = time.monotonic() + 600
            while time.monotonic() < deadline and len(receiver.received) < len(CALLS):
                assert server.poll() is None, log_path.read_text()[-4000:]
                time.sleep(1)
            assert len(receiver.received) == len(CALLS), log_path.read_text()[-4000:]
            for hook in receiver.received:
                headers = {k.lower(): v for k, v in hook.headers.items()}
                assert verify_signature(SECRET.encode(), headers["parley-signature"], hook.body)
                payload = json.loads(hook.body)
                assert payload["status"] == "succeeded", payload
                assert ids[payload["id"]] == payload["correlation_id"]

            for call_id, name in ids.items():
                view = client.get(f"/v1/calls/{call_id}").json()
                assert view["status"] == "succeeded" and view["attempts"] == 1
                result = view["result"]
                assert len(result["speakers"]) == 2, name
                words = [w["text"] for w in result["words"]]
                assert len(words) > 100, name
                starts = [w["start"] for w in result["words"]]
                assert starts == sorted(starts) and starts[0] > 0.2, "words on the call's own timeline"
                text = " ".join(words).lower()
                assert ("northwind" in text.replace("north wind", "northwind")) == (name == "hot_northwind")
    finally:
        stop(server, grace_s=60)
