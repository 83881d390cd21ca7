"""Shared fixtures, and a guard every test runs under: no secret in any log line."""

from collections.abc import AsyncIterator, Iterator
import logging

import aiohttp
import pytest

from tests.simulator import DEMO_APP_ID, DEMO_APP_SECRET, Simulator

# The Home Assistant test plugin configures logging on import: a handler on stderr at INFO and
# SQLAlchemy's statements at INFO. Records still reach each test's captured log (``caplog``),
# but nothing leaks into the suite's output between tests (the recorder's thread logs after a
# test's capture ended): no stderr handler, and SQLAlchemy at WARNING.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
for _handler in list(logging.root.handlers):
    if type(_handler) is logging.StreamHandler:
        logging.root.removeHandler(_handler)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``long`` (a simulated month or week) run first: with the suite spread
    over two workers (``scripts/test`` runs ``-n 2``), a long test started last would keep
    one worker busy while the other idles."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
    """The fake OpenAPI (demo site) on a free loopback port.

    ``socket_enabled`` lets the test create sockets; connections stay limited to 127.0.0.1.
    """
    async with Simulator() as sim:
        yield sim


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session for the client (Home Assistant would inject its shared one)."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture(autouse=True)
def no_secret_in_logs(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """Every test's scenario runs with the integration's and its client's loggers at DEBUG;
    afterwards no captured line (of any logger) holds the App ID, the App Secret or a
    signature a simulator received."""
    for name in ("custom_components.apsystems_ema", "aiohttp", "homeassistant.config_entries"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield
    simulators = [v for v in request.node.funcargs.values() if isinstance(v, Simulator)]
    text = "\n".join(record.getMessage() for record in caplog.records)
    leaked = secrets_in(text, simulators)
    assert not leaked, f"in the log: {', '.join(leaked)}"


def secrets_in(text: str, simulators: list[Simulator]) -> list[str]:
    """Which secrets ``text`` holds: the demo App ID and App Secret, each simulator's own,
    its site's visitor authorization code, and the signatures the simulators received."""
    secrets: list[tuple[str, str | None]] = [
        ("app id", DEMO_APP_ID),
        ("app secret", DEMO_APP_SECRET),
    ]
    for sim in simulators:
        secrets += [("app id", sim.app_id), ("app secret", sim.app_secret)]
        secrets.append(("authorization code", sim.site.authorization_code))
        secrets += [(f"signature of call {n}", c.signature) for n, c in enumerate(sim.calls)]
    return list(dict.fromkeys(name for name, secret in secrets if secret and secret in text))
