"""Fixtures of the monitor tests: a shop whose listings change, on its own server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.servers import start_server
from tests.monitor.site import Shop, install_home


@pytest.fixture
def shop() -> Iterator[Shop]:
    """A fresh shop on its own 127.0.0.1 server (ephemeral port)."""
    server = start_server()
    install_home(server)
    try:
        yield Shop(server)
    finally:
        server.server.shutdown()
        server.server.server_close()
