"""Fixtures of the API tests that more than one module uses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support import LiveServer, free_port, make_settings, start_server


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    """A fresh on-disk site served over HTTP, its runs polled every 0.1 s."""
    server = start_server(make_settings(tmp_path / "data", port=free_port(), poll_interval=0.1))
    yield server
    server.stop()
