"""The system's power between polls: it follows the sun from the last measured power, with
no API call; the per-device powers stay as measured; the option turns it off."""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
)

from custom_components.apsystems_ema.const import CONF_FOLLOW_SUN
from custom_components.apsystems_ema.coordinator import APsystemsCoordinator
from custom_components.apsystems_ema.planner.freshness import follow_sun
from tests.ha.helpers import MORNING, advance, setup, state_of
from tests.simulator import Simulator

BETWEEN_POLLS = timedelta(minutes=15)


def _inverters(hass: HomeAssistant, simulator: Simulator) -> float:
    """The sum of the inverters' power sensors (W)."""
    return sum(
        float(state_of(hass, f"{simulator.sid}_{inv.uid}_power"))
        for ecu in simulator.site.ecus
        for inv in ecu.inverters
    )


async def test_the_system_power_rises_with_the_morning_sun_without_a_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    coordinator: APsystemsCoordinator,
) -> None:
    sid = simulator.sid
    measured, sample = coordinator.site.power_w, coordinator.site.last_data
    assert measured is not None
    assert measured > 0
    assert sample is not None
    calls = len(simulator.calls)
    await advance(hass, freezer, BETWEEN_POLLS)
    assert len(simulator.calls) == calls  # no poll in between
    shown = float(state_of(hass, f"{sid}_power"))
    capacity = coordinator.site.capacity_kw
    assert capacity is not None
    expected = follow_sun(
        measured,
        sample,
        dt_util.utcnow(),
        daylight=coordinator.planner.daylight,
        limit_w=capacity * 1000,
    )
    assert expected is not None
    assert expected > measured
    assert shown == expected
    # The inverters' powers are the measured ones: they add up to the measured total.
    assert abs(_inverters(hass, simulator) - measured) < 1.0
    # The next poll shows what it measured again.
    await advance(hass, freezer, coordinator.poll_interval)
    assert len(simulator.calls) > calls
    assert coordinator.site.last_data is not None
    assert coordinator.site.last_data > sample


async def test_with_the_option_off_the_last_measured_power_stands(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    freezer.move_to(MORNING)
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options={CONF_FOLLOW_SUN: False})
    coordinator = await setup(hass, simulator, mock_config_entry)
    measured = coordinator.site.power_w
    assert measured is not None
    assert measured > 0
    calls = len(simulator.calls)
    await advance(hass, freezer, BETWEEN_POLLS)
    assert len(simulator.calls) == calls
    assert float(state_of(hass, f"{simulator.sid}_power")) == measured
