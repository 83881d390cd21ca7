"""The API call counters over a month boundary, through the recorder's statistics."""

from datetime import UTC, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.recorder import get_instance
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (  # type: ignore[import-untyped]
    async_wait_recording_done,
    do_adhoc_statistics,
)

from custom_components.apsystems_ema.const import DOMAIN
from tests.ha.helpers import setup
from tests.simulator import Simulator

EVENING = datetime(2026, 6, 30, 20, 0, tzinfo=UTC)  # 22:00 in Amsterdam, the last evening


async def test_the_monthly_counter_resets_without_a_negative_statistic(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """ "API calls this month" falls back when the month turns: its long-term statistics
    take that as a new cycle (total increasing), not as hundreds of calls given back."""
    freezer.move_to(EVENING)
    coordinator = await setup(hass, simulator, mock_config_entry)
    coordinator.book.record(EVENING - timedelta(days=10), "another entry", 700)
    coordinator.async_update_listeners()
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{simulator.sid}_api_calls_used"
    )
    assert entity_id is not None
    before = float(hass.states.get(entity_id).state)  # type: ignore[union-attr]
    assert before > 700
    hour = EVENING
    for _ in range(6):  # June 30, 20:00 UTC to July 1, 02:00 UTC
        freezer.move_to(hour + timedelta(minutes=59))
        async_fire_time_changed(hass)
        coordinator.async_update_listeners()
        await hass.async_block_till_done()
        await async_wait_recording_done(hass)
        # The hour's last 5-minute run compiles the hour's long-term statistics.
        do_adhoc_statistics(hass, start=hour + timedelta(minutes=55))
        await async_wait_recording_done(hass)
        hour += timedelta(hours=1)
    after = float(hass.states.get(entity_id).state)  # type: ignore[union-attr]
    assert after < before / 10  # July counts afresh (but for the margin's calls)
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period, hass, EVENING, hour, {entity_id}, "hour", None, {"sum"}
    )
    sums = [float(row["sum"] or 0.0) for row in rows[entity_id]]
    assert len(sums) == 6
    assert sums == sorted(sums), sums  # never a negative hour
