"""Fixtures of the ingest tests."""

from __future__ import annotations

import pytest

from tests.loopback import LoopbackServer


@pytest.fixture(scope="module")
def shared_server():
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def loopback(shared_server):
    """One server for the module (each shutdown costs half a second); routes and log reset per test."""
    shared_server.routes.clear()
    shared_server.requests.clear()
    return shared_server
