"""The API's quota month starts later than the system's (the manual does not say in which
timezone it resets): here the API counts months in Los Angeles, the system is in Amsterdam,
and June's quota is used up. July 1 starts in Amsterdam nine hours before it starts for the
API; the integration must not lose the whole of July 1 to the quota answers (2005) of those
hours."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
)

from custom_components.apsystems_ema.const import DOMAIN
from tests.ha.drive import run_until
from tests.ha.helpers import setup
from tests.simulator import Simulator, demo_site
from tests.simulator.app import CallRecord

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
START = datetime(2026, 6, 30, 12, 0, tzinfo=AMSTERDAM)
API_RESET = datetime(2026, 7, 1, 0, 0, tzinfo=LOS_ANGELES)  # 09:00 in Amsterdam


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
    """The demo site; the API's quota month is Los Angeles's."""
    async with Simulator(demo_site(START), quota_zone=LOS_ANGELES) as sim:
        yield sim


async def test_a_quota_month_that_resets_later_costs_an_hour_not_a_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """June 30 ends on the API's quota (another program spent most of it); the first calls
    of July 1 in Amsterdam still count in the API's June and answer 2005. The integration
    probes hourly and polls again within an hour of the API's reset."""
    sim = simulator
    freezer.move_to(START)
    # Another program used 990 of the API's June calls.
    earlier = START - timedelta(days=1)
    sim.calls.extend(CallRecord("details", "/", {}, earlier, code=0) for _ in range(990))
    coordinator = await setup(hass, sim, mock_config_entry)
    issue_id = f"quota_exhausted_{mock_config_entry.entry_id}"

    # June 30: the integration spends what it can until the API says 2005.
    await run_until(hass, freezer, sim, coordinator, START.replace(hour=23))
    assert any(c.code == 2005 for c in sim.calls)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None

    # July 1 in Amsterdam, before the API's reset: nothing but 2005, probed hourly.
    await run_until(hass, freezer, sim, coordinator, API_RESET)
    july = [c for c in sim.calls if c.at >= datetime(2026, 7, 1, tzinfo=AMSTERDAM)]
    assert july
    assert all(c.code == 2005 for c in july)
    assert len(july) <= 6  # the night's wake-up, then one probe an hour from sunrise

    # Within an hour of the API's reset the integration polls again; the issue is gone.
    await run_until(hass, freezer, sim, coordinator, API_RESET + timedelta(hours=1, minutes=5))
    fresh = [c for c in sim.calls if c.at >= API_RESET and c.code == 0]
    assert fresh
    assert fresh[0].at - API_RESET <= timedelta(hours=1)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert coordinator.site.last_data is not None
    assert coordinator.site.last_data >= API_RESET - timedelta(minutes=10)
