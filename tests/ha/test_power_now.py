"""The system's power between polls: it follows the sun from the last measured power, with
no API call; the per-device powers stay as measured; the option turns it off."""

from dataclasses import replace
from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
)

from custom_components.apsystems_ema.const import CONF_FOLLOW_SUN, DOMAIN
from custom_components.apsystems_ema.coordinator import APsystemsCoordinator
from custom_components.apsystems_ema.planner.freshness import follow_sun
from custom_components.apsystems_ema.sensor import (
    ESTIMATED,
    MEASURED_AT,
    MEASURED_POWER,
    SystemPowerSensor,
)
from tests.ha.helpers import MORNING, advance, config_entry, setup, state_of
from tests.simulator import Simulator, demo_site

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


def _attributes(hass: HomeAssistant, unique_id: str) -> dict[str, object]:
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id("sensor", DOMAIN, unique_id)
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return dict(state.attributes)


async def test_the_power_says_what_was_measured_and_whether_it_is_estimated(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    coordinator: APsystemsCoordinator,
) -> None:
    """measured_power (W) and measured_at (the sample's time) beside the state; estimated
    while the state follows the envelope (or the sun) between polls; the recorder leaves
    the three out."""
    sid = simulator.sid
    measured, sample = coordinator.site.power_w, coordinator.site.last_data
    assert measured is not None
    assert sample is not None
    attributes = _attributes(hass, f"{sid}_power")
    assert attributes[MEASURED_POWER] == round(measured, 1)
    assert attributes[MEASURED_AT] == sample.isoformat()
    assert attributes[ESTIMATED] is False  # just measured: the state is the measurement
    await advance(hass, freezer, BETWEEN_POLLS)
    attributes = _attributes(hass, f"{sid}_power")
    assert float(state_of(hass, f"{sid}_power")) != measured
    assert attributes[MEASURED_POWER] == round(measured, 1)
    assert attributes[MEASURED_AT] == sample.isoformat()
    assert attributes[ESTIMATED] is True
    assert {MEASURED_POWER, MEASURED_AT, ESTIMATED} <= SystemPowerSensor._unrecorded_attributes
    # Another device's power has no such attributes.
    inverter = simulator.site.inverters[0].uid
    assert MEASURED_POWER not in _attributes(hass, f"{sid}_{inverter}_power")


async def test_an_extended_system_shows_more_than_its_declared_capacity(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    socket_enabled: None,
) -> None:
    """The details declare 3.2 kW (an installer's figure from before an extension) while
    the modules give 5.5 kW at noon: the noon curves are kept (the bound is the inverters'
    ratings, not 1.5 times the declared capacity), no answer is called unusable."""
    noon = datetime.fromisoformat("2026-06-17T12:00:00+00:00")
    async with Simulator(replace(demo_site(noon), declared_kw=3.2)) as sim:
        freezer.move_to(noon)
        coordinator = await setup(hass, sim, config_entry(sim))
        measured = coordinator.site.power_w
        assert measured is not None
        assert measured > 1.5 * 3200  # refused by the declared capacity's bound before
        assert float(state_of(hass, f"{sim.sid}_power")) == pytest.approx(measured, abs=0.1)
        assert _inverters(hass, sim) == pytest.approx(measured, rel=0.01)
        assert coordinator.site.capacity_kw == pytest.approx(3.2)
    assert "unusable" not in caplog.text
