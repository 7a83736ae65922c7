"""Durability across a Ray node failure, for real: a two-node Ray cluster on this machine (`ray start --head` and
`ray start --address` as separate processes), `parley serve --ray` joined to it, one real call in flight. The
worker node (where the model replicas run) is killed mid-call and a replacement node joins, as a Kubernetes
node replacement would. The job must finish exactly once: one result, one webhook, a second attempt on record.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.serve_process import REPO, serve_env, start_serve, stop, wait_ready
from tests.e2e.server.conftest import free_port
from tests.unit.server.receiver import Receiver

pytestmark = [pytest.mark.slow, pytest.mark.integration]

RAY = str(Path(sys.executable).with_name("ray"))
SECRET = "node-kill-secret-0123456789"


def ray_env(tmp: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "RAY_"))}
    # A throw-away loopback cluster: token auth off for every process of it, so none depends on ~/.ray/auth_token.
    env.update({"RAY_USAGE_STATS_ENABLED": "0", "RAY_TMPDIR": tmp, "PYTHONPATH": str(REPO),
                "RAY_AUTH_MODE": "disabled"})
    return env


def start_worker_node(address: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    # --block keeps `ray start` in the foreground with the node's processes in its session: killing that session
    # takes the whole node down at once, replicas included, like a machine that disappears.
    return subprocess.Popen([RAY, "start", "--address", address, "--num-cpus", "4", "--num-gpus", "1", "--block",
                             "--disable-usage-stats"], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_nodes(address: str, env: dict[str, str], alive: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run([sys.executable, "-c",
                              "import ray; ray.init(address=%r, log_to_driver=False); "
                              "print(sum(1 for n in ray.nodes() if n['Alive']))" % address],
                             env=env, capture_output=True, text=True, timeout=60)
        if out.returncode == 0 and out.stdout.strip().splitlines()[-1:] == [str(alive)]:
            return
        time.sleep(2)
    raise AssertionError(f"cluster never had {alive} alive nodes")


def kill_leftovers(tmp: str) -> None:
    """Ray worker processes orphaned by the killed node exit on their own once they notice; do not wait."""
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            if f"RAY_TMPDIR={tmp}".encode() in (pid_dir / "environ").read_bytes().split(b"\0"):
                os.kill(int(pid_dir.name), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            pass


def test_killing_the_worker_node_mid_call_loses_and_duplicates_nothing(tmp_path):
    pytest.importorskip("ray.serve")
    tmp = tempfile.mkdtemp(prefix="pray", dir="/tmp")  # short: Ray's unix sockets live under it
    env = ray_env(tmp)
    gcs_port = free_port()
    address = f"127.0.0.1:{gcs_port}"
    ray_log = tmp_path / "ray.log"
    # The head holds no CPUs: model replicas can only run on worker nodes (the Serve controller needs none).
    # Every node runs with --block in its own session, so the test can take down exactly the node it means to.
    head = subprocess.Popen([RAY, "start", "--head", "--port", str(gcs_port), "--num-cpus", "0", "--num-gpus", "0",
                             "--include-dashboard=false", "--disable-usage-stats", "--block"], env=env,
                            stdout=ray_log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
    nodes = [head]
    wait_nodes(address, env, alive=1)
    nodes.append(start_worker_node(address, env, ray_log))
    server = None
    try:
        wait_nodes(address, env, alive=2)
        port = free_port()
        server_env = serve_env(
            tmp_path / "server", SECRET, base=env,
            PARLEY_SERVING__RAY_ADDRESS=address,
            PARLEY_SERVING__ASR_NUM_GPUS="0.5",
            PARLEY_SERVING__DIARIZATION_NUM_GPUS="0.25",
            PARLEY_WORKER__RETRY_BACKOFF_S="1",
            PARLEY_WORKER__MAX_ATTEMPTS="3",
        )
        log_path = tmp_path / "serve.log"
        server = start_serve(["--ray", "--workers", "1", "--port", str(port)], server_env, log_path)
        with Receiver() as receiver, httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30,
                                                  trust_env=False) as client:
            wait_ready(client, server, log_path, timeout_s=420)

            options = {"callback_url": f"{receiver.url}/hook", "extract_lead": False}
            with (REPO / "tests/fixtures/calls/demo_call.flac").open("rb") as audio:
                accepted = client.post("/v1/calls", files={"file": ("demo.flac", audio, "audio/flac")},
                                       data={"options": json.dumps(options)})
            assert accepted.status_code == 202, accepted.text
            call_id = accepted.json()["id"]

            # Mid-call: the ASR stage has started on the worker node's replicas.
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                view = client.get(f"/v1/calls/{call_id}").json()
                if view["status"] == "running" and view["current_stage"] in ("asr", "diarization"):
                    break
                assert view["status"] in ("queued", "running"), view
                time.sleep(0.2)
            else:
                raise AssertionError("the call never reached ASR")
            time.sleep(2.0)
            os.killpg(nodes[1].pid, signal.SIGKILL)
            nodes[1].wait(30)
            assert not receiver.received, "the call cannot have finished before its node died"

            nodes.append(start_worker_node(address, env, ray_log))  # the replacement node

            deadline = time.monotonic() + 900
            while time.monotonic() < deadline and not receiver.received:
                assert server.poll() is None, log_path.read_text()[-4000:]
                time.sleep(1)
            assert receiver.received, "no webhook: " + log_path.read_text()[-4000:]
            time.sleep(10)  # a duplicate delivery would arrive within this window
            assert len(receiver.received) == 1, [json.loads(h.body)["status"] for h in receiver.received]
            payload = json.loads(receiver.received[0].body)
            assert payload["id"] == call_id and payload["status"] == "succeeded"

            view = client.get(f"/v1/calls/{call_id}").json()
            assert view["status"] == "succeeded"
            assert view["attempts"] == 2, "the killed attempt was retried once"
            assert len(view["result"]["words"]) > 300
    finally:
        if server is not None:
            stop(server, grace_s=60)
        for node in reversed(nodes):
            try:
                os.killpg(node.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        kill_leftovers(tmp)
