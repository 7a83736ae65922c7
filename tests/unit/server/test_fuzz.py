"""Property-based fuzz of the OpenAPI spec (schemathesis, bounded): no request may produce a 5xx."""

from __future__ import annotations

import ipaddress
import socket

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings

from services.gateway.app import create_app
from tests.unit.server.conftest import KEYS, build_settings

MAX_EXAMPLES = 25


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    settings = build_settings(tmp_path_factory.mktemp("fuzz"),
                              api={"rate_limit_per_s": 1e6, "rate_limit_burst": 10**6, "sync_timeout_s": 2.0})
    app = create_app(settings, background=False)
    real = socket.getaddrinfo

    def loopback_only(host, *args, **kw):  # generated URLs must never cause a real DNS query
        try:
            ipaddress.ip_address(str(host).strip("[]"))
        except ValueError:
            raise socket.gaierror("fuzz: name resolution disabled") from None
        return real(host, *args, **kw)

    with pytest.MonkeyPatch.context() as mp, TestClient(app):  # run the lifespan: database, tenants
        mp.setattr("services.netguard.socket.getaddrinfo", loopback_only)
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_server_errors(api_schema):
    """Each operation: MAX_EXAMPLES generated cases (schemathesis strategies driven by hypothesis directly;
    the schemathesis pytest plugin does not support pytest 9), with and without a valid API key."""
    operations = [r.ok() for r in api_schema.get_all_operations()]
    assert len(operations) >= 12
    failures: list[tuple] = []
    statuses: dict[int, int] = {}
    for op in operations:

        @given(case=op.as_strategy())
        @hsettings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                   phases=[Phase.explicit, Phase.generate], derandomize=True, database=None)
        def check(case):
            for headers in ({"Authorization": f"Bearer {KEYS['acme']}"}, {}):
                response = case.call(headers=headers)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code >= 500:
                    failures.append((case.method, case.path, response.status_code, response.text[:300]))
                elif response.status_code >= 400 and "json" in str(response.headers.get("content-type", "")):
                    assert "code" in response.json()["error"], response.text

        check()
    print(f"fuzz: {sum(statuses.values())} requests, statuses {dict(sorted(statuses.items()))}")
    assert failures == []
    assert sum(statuses.values()) >= 100 and any(200 <= c < 300 for c in statuses)
