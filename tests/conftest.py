"""Shared fixtures."""

from collections.abc import AsyncIterator

import pytest

from tests.simulator import Simulator


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
    """The fake OpenAPI (demo site) on a free loopback port.

    ``socket_enabled`` lets the test create sockets; connections stay limited to 127.0.0.1.
    """
    sim = Simulator()
    await sim.start("127.0.0.1", 0)
    try:
        yield sim
    finally:
        await sim.stop()
