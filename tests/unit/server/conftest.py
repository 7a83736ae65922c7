"""Fixtures for the server unit tests: settings built per test (SQLite in tmp_path, fake runner), an app with
its background threads off, two tenants with API keys, WAV bytes made with the standard library."""

from __future__ import annotations

import io
import math
import struct
import wave
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.settings import Settings
from services.store.db import Database, open_database

KEYS = {"acme": "key-acme-0123456789", "globex": "key-globex-0123456789"}


def make_wav(seconds: float = 1.0, rate: int = 16000, channels: int = 1) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        n = int(seconds * rate)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 8))) * channels for i in range(n)))
    return buf.getvalue()


def build_settings(tmp_path, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "server": {"data_dir": str(tmp_path)},
        "database": {"url": None},
        "auth": {"enabled": True, "api_keys": KEYS},
        "webhooks": {"secret": "s" * 32, "backoff_base_s": 0.01, "backoff_max_s": 0.05, "max_attempts": 3,
                     "timeout_s": 2.0},
        "worker": {"runner": "fake", "fake_stage_s": 0.0, "lease_s": 5.0, "heartbeat_s": 1.0,
                   "poll_interval_s": 0.05, "retry_backoff_s": 0.0, "progress_interval_s": 0.0},
        "network": {"allowed_hosts": ["127.0.0.1"], "connect_timeout_s": 2.0, "fetch_timeout_s": 5.0},
        "api": {"rate_limit_per_s": 1000.0, "rate_limit_burst": 1000},
    }
    for section, values in overrides.items():
        base.setdefault(section, {}).update(values) if isinstance(values, dict) else base.__setitem__(section, values)
    return Settings(**base)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return build_settings(tmp_path)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = open_database(settings)
    yield database
    database.dispose()


def make_client(settings: Settings, db: Database) -> TestClient:
    from services.gateway.app import create_app

    return TestClient(create_app(settings, db=db, background=False))


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    with make_client(settings, db) as c:
        yield c


def auth(tenant: str = "acme") -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[tenant]}"}


@pytest.fixture
def wav() -> bytes:
    return make_wav(1.0)
