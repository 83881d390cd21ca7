"""The API's quota month starts later than UTC's (the manual does not say in which timezone
it resets): here the API counts months in Los Angeles, the system is in Amsterdam. The call
book counts UTC months widened by 14 hours, so on July 1 it polls from sunrise while the API
still counts June (until 09:00 in Amsterdam). Another program used up the API's June in its
last hours: the integration must not lose the whole of July 1 to the quota answers (2005) of
those hours."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
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
from tests.ha.helpers import STEADY_RECORDER, setup
from tests.simulator import Simulator, demo_site
from tests.simulator.app import CallRecord

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
START = datetime(2026, 6, 30, 12, 0, tzinfo=AMSTERDAM)
UTC_JULY = datetime(2026, 7, 1, tzinfo=UTC)  # 02:00 in Amsterdam, June 30 17:00 in LA
API_RESET = datetime(2026, 7, 1, 0, 0, tzinfo=LOS_ANGELES)  # 09:00 in Amsterdam


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
    """The demo site; the API's quota month is Los Angeles's."""
    async with Simulator(demo_site(START), quota_zone=LOS_ANGELES) as sim:
        yield sim


@pytest.mark.long
@pytest.mark.parametrize("recorder_config", [STEADY_RECORDER])
async def test_a_quota_month_that_resets_later_costs_an_hour_not_a_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The first calls of July 1 (UTC) still count in the API's June, which another program
    used up: they answer 2005. Early in the month that may only mean the API's month has not
    reset yet: the integration probes hourly and polls again within an hour of the reset."""
    sim = simulator
    freezer.move_to(START)
    coordinator = await setup(hass, sim, mock_config_entry)
    # A steady month, not the first: the book has counted June from its start (in a first
    # month the calls before the set-up are assumed spent, and July 1 waits for June's
    # margin to end before its first poll, after this API's reset: no 2005 to probe).
    coordinator.book.since = datetime(2026, 5, 1, tzinfo=UTC)
    issue_id = f"quota_exhausted_{mock_config_entry.entry_id}"
    await run_until(hass, freezer, sim, coordinator, UTC_JULY + timedelta(minutes=30))
    assert not any(c.code == 2005 for c in sim.calls)
    # Another program spends what is left of the API's June (in Los Angeles, June 30).
    left = sim.quota - sim.calls_this_month()
    assert left > 0
    now = UTC_JULY + timedelta(minutes=30)
    sim.calls.extend(CallRecord("details", "/", {}, now, code=0) for _ in range(left))

    # July 1 in Amsterdam, before the API's reset: nothing but 2005, probed hourly.
    await run_until(hass, freezer, sim, coordinator, API_RESET)
    july = [c for c in sim.calls if c.at >= now and c.path != "/"]
    assert all(c.code == 2005 for c in july)
    assert len(july) <= 6  # the first poll's refusal, then one probe an hour

    # Within an hour of the API's reset the integration polls again; the issue is gone.
    await run_until(hass, freezer, sim, coordinator, API_RESET + timedelta(hours=1, minutes=5))
    fresh = [c for c in sim.calls if c.at >= API_RESET and c.code == 0 and c.path != "/"]
    assert fresh, "no data within an hour of the API's reset"
    assert fresh[0].at - API_RESET <= timedelta(hours=1)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert coordinator.site.last_data is not None
    assert coordinator.site.last_data >= API_RESET - timedelta(minutes=10)
