"""Pytest fixtures that run the contract servers on 127.0.0.1 (a free port, uvicorn in a thread).

Use from any test module:

    from tests.contract_servers import fixtures as contract
    hubspot_server = contract.hubspot_server          # registers the fixtures in this module
    salesforce_server = contract.salesforce_server

    def test_x(hubspot_server):
        hubspot_server.base_url          # e.g. http://127.0.0.1:41234 -> PARLEY_CRM__HUBSPOT__BASE_URL
        hubspot_server.token             # the bearer token it accepts
        hubspot_server.state.fail_next(503, 3)        # faults: 5xx, rate_limit_next(n, policy=...)
        hubspot_server.state.all("contacts")          # state: objects, associations, requests

    def test_y(salesforce_server):
        salesforce_server.base_url       # instance_url (the token endpoint is on it too)
        salesforce_server.state.expire_tokens(); salesforce_server.state.add_record("Lead", {...})

A realistic record to sync: tests.unit.crm.records.make_record(**overrides). Each test gets a fresh server (about 0.1 s to start). `serve(app)` runs any ASGI app the same way, and
`hubspot_settings(server)` / `salesforce_settings(server)` give the matching `crm.*` settings dicts.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tests.contract_servers.hubspot import HubSpotState
from tests.contract_servers.hubspot import create_app as create_hubspot_app
from tests.contract_servers.salesforce import SalesforceState
from tests.contract_servers.salesforce import create_app as create_salesforce_app


@contextmanager
def serve(app, *, ready_timeout_s: float = 15.0) -> Iterator[str]:
    """Run an ASGI app with uvicorn on 127.0.0.1:<free port> in a daemon thread; yields its base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"contract-server-{port}",
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + ready_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("contract server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class HubSpotServer:
    base_url: str
    state: HubSpotState

    @property
    def token(self) -> str:
        return self.state.token


@dataclass
class SalesforceServer:
    base_url: str
    state: SalesforceState


def hubspot_settings(server: HubSpotServer, **overrides) -> dict:
    return {"enabled": True, "base_url": server.base_url, "token": server.token, **overrides}


def salesforce_settings(server: SalesforceServer, **overrides) -> dict:
    return {"enabled": True, "instance_url": server.base_url, "client_id": server.state.client_id,
            "client_secret": server.state.client_secret, **overrides}


@contextmanager
def running_hubspot(**state_kwargs) -> Iterator[HubSpotServer]:
    state = HubSpotState(**state_kwargs)
    with serve(create_hubspot_app(state)) as url:
        yield HubSpotServer(url, state)


@contextmanager
def running_salesforce(**state_kwargs) -> Iterator[SalesforceServer]:
    state = SalesforceState(**state_kwargs)
    with serve(create_salesforce_app(state)) as url:
        yield SalesforceServer(url, state)


@pytest.fixture
def hubspot_server() -> Iterator[HubSpotServer]:
    with running_hubspot() as server:
        yield server


@pytest.fixture
def salesforce_server() -> Iterator[SalesforceServer]:
    with running_salesforce() as server:
        yield server
