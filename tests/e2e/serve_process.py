"""`parley serve` as a subprocess for the real-model end-to-end tests: its environment, start, readiness wait and
stop, shared so each test states only what it does differently."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]


def serve_env(data_dir: Path, secret: str, base: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The test's own PARLEY_* settings only (none leak in from the caller's shell), loopback webhooks allowed."""
    env = {k: v for k, v in (base if base is not None else os.environ).items() if not k.startswith("PARLEY_")}
    env.update({
        "PYTHONPATH": str(REPO),
        "PARLEY_SERVER__DATA_DIR": str(data_dir),
        "PARLEY_WEBHOOKS__SECRET": secret,
        "PARLEY_NETWORK__ALLOWED_HOSTS": json.dumps(["127.0.0.1"]),
        **extra,
    })
    return env


def start_serve(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """`python -m services.cli serve ARGS` in its own session (stop() takes down its workers with it)."""
    return subprocess.Popen([sys.executable, "-m", "services.cli", "serve", *args], cwd=REPO, env=env,
                            stdout=log_path.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


def wait_ready(client: httpx.Client, server: subprocess.Popen, log_path: Path, timeout_s: float) -> dict[str, Any]:
    """Poll /readyz until 200 and return its body; fail with the server's log if it dies or never gets ready."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert server.poll() is None, log_path.read_text()[-4000:]
        try:
            response = client.get("/readyz")
            if response.status_code == 200:
                return response.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"not ready within {timeout_s:.0f} s: " + log_path.read_text()[-4000:])


def stop(server: subprocess.Popen, grace_s: float) -> None:
    """SIGTERM to the server's session, SIGKILL after grace_s."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
