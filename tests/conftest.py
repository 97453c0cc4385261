"""Shared fixtures: an opened site and real HTTP servers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mmoda.api.site import Site, open_site
from support import LiveServer, free_port, make_settings, start_server


@pytest.fixture
def site() -> Site:
    """A fresh in-memory site with the ontology and the example catalog."""
    return open_site(make_settings(None))


@pytest.fixture
def live_server() -> Iterator[LiveServer]:
    """A fresh in-memory site served over HTTP on a free port."""
    server = start_server(make_settings(None, port=free_port()))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shared_server() -> Iterator[LiveServer]:
    """One server per test module, for tests that only read or clean up after themselves."""
    server = start_server(make_settings(None, port=free_port()))
    yield server
    server.stop()
