"""Shared bits of the adapter unit tests: settings and a synchronous runner (no asyncio plugin)."""

from __future__ import annotations

import asyncio

import pytest

from services.crm.settings import CrmSettings


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def crm_settings() -> CrmSettings:
    return CrmSettings(retry_base_s=4.0, retry_max_s=600.0)
