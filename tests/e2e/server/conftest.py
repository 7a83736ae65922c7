"""End-to-end fixtures: the real server (`python -m services.gateway`) and workers (`python -m services.worker`)
as subprocesses, on PostgreSQL from PARLEY_TEST_PG_DSN (skipped when unset) or an SQLite file.

The server runs with PARLEY_WORKER__RUNNER=fake: a TEST-ONLY runner (no models) so these tests exercise
durability, HTTP, webhooks and leases; the real models are covered by the integration tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
KEYS = {"acme": "key-acme-e2e-0123456789", "globex": "key-globex-e2e-0123456789"}
SECRET = "e2e-webhook-secret-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reset_pg(dsn: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(dsn)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@dataclass
class Stack:
    """Environment of one server + its workers; processes started through it are cleaned up."""

    env: dict[str, str]
    port: int
    procs: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(self, module: str, name: str, extra: dict[str, str] | None = None) -> subprocess.Popen:
        log = Path(self.env["PARLEY_SERVER__DATA_DIR"]) / f"{name}-{len(self.procs)}.log"
        self.logs.append(log)
        p = subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, env={**self.env, **(extra or {})},
                             stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(p)
        return p

    def start_server(self, timeout: float = 60) -> subprocess.Popen:
        p = self._spawn("services.gateway", "server")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if p.poll() is not None:
                raise RuntimeError(f"server exited: {self.logs[-1].read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return p
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not become ready")

    def start_worker(self, **extra: str) -> subprocess.Popen:
        return self._spawn("services.worker", "worker", extra)

    def stop_all(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(5)

    def client(self, tenant: str = "acme") -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {KEYS[tenant]}"}, timeout=30,
                            trust_env=False)


def backends() -> list[Any]:
    dsn = os.environ.get("PARLEY_TEST_PG_DSN")
    return [pytest.param("sqlite", id="sqlite"),
            pytest.param("postgresql", id="postgresql",
                         marks=pytest.mark.skipif(not dsn, reason="PARLEY_TEST_PG_DSN is not set"))]


@pytest.fixture
def make_stack(tmp_path) -> Iterator:
    stacks: list[Stack] = []

    def make(backend: str = "postgresql", **settings: Any) -> Stack:
        if backend == "postgresql":
            dsn = os.environ.get("PARLEY_TEST_PG_DSN")
            if not dsn:
                pytest.skip("PARLEY_TEST_PG_DSN is not set")
            reset_pg(dsn)
        data_dir = tmp_path / f"stack{len(stacks)}"
        data_dir.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
        env.update({
            "PYTHONPATH": str(ROOT),
            "PARLEY_SERVER__DATA_DIR": str(data_dir),
            "PARLEY_API__PORT": str(free_port()),
            "PARLEY_AUTH__ENABLED": "true",
            "PARLEY_AUTH__API_KEYS": json.dumps(KEYS),
            "PARLEY_WEBHOOKS__SECRET": SECRET,
            "PARLEY_WEBHOOKS__BACKOFF_BASE_S": "0.2",
            "PARLEY_WEBHOOKS__BACKOFF_MAX_S": "1.0",
            "PARLEY_WEBHOOKS__POLL_INTERVAL_S": "0.1",
            "PARLEY_WEBHOOKS__TIMEOUT_S": "2",
            "PARLEY_WORKER__RUNNER": "fake",  # TEST-ONLY runner
            "PARLEY_WORKER__FAKE_STAGE_S": "0.01",
            "PARLEY_WORKER__POLL_INTERVAL_S": "0.1",
            "PARLEY_WORKER__RETRY_BACKOFF_S": "0",
            "PARLEY_NETWORK__ALLOWED_HOSTS": json.dumps(["127.0.0.1"]),
            "PARLEY_RETENTION__SWEEP_INTERVAL_S": "3600",
        })
        if backend == "postgresql":
            env["PARLEY_DATABASE__URL"] = os.environ["PARLEY_TEST_PG_DSN"]
        env.update({f"PARLEY_{k.upper()}": str(v) for k, v in settings.items()})
        stack = Stack(env=env, port=int(env["PARLEY_API__PORT"]))
        stacks.append(stack)
        return stack

    yield make
    for s in stacks:
        s.stop_all()


def wait_for(predicate, timeout: float, interval: float = 0.2):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
