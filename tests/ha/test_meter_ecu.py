"""An ECU with its meter activated that also has inverters (an ECU-C measuring the house and
connecting panels): it is an ECU that produces and a meter at once."""

from collections.abc import AsyncIterator
from dataclasses import replace

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest

from custom_components.apsystems_ema.const import DOMAIN
from custom_components.apsystems_ema.coordinator import APsystemsCoordinator
from tests.ha.helpers import MORNING, state_of
from tests.simulator import Simulator, demo_site


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
    """The demo site whose first ECU has its meter activated (and no separate meter)."""
    site = demo_site(MORNING)
    async with Simulator(replace(site, meters=(site.ecus[0].eid,))) as sim:
        yield sim


async def test_an_ecu_with_its_meter_activated_still_produces(
    hass: HomeAssistant, simulator: Simulator, coordinator: APsystemsCoordinator
) -> None:
    """Its inverters are polled, its energy counts in the system's, and its meter is shown."""
    sid, truth = simulator.sid, simulator.truth
    metered = simulator.site.ecus[0]
    # The inventory lists it once, as an ECU with its meter activated, with its inverters.
    assert {eid: e.has_meter for eid, e in coordinator.site.ecus.items()} == {
        e.eid: e is metered for e in simulator.site.ecus
    }
    assert {inv.eid for inv in coordinator.site.inverters.values()} == set(coordinator.site.ecus)

    endpoints = [(c.endpoint, c.path.rsplit("/", 1)[-1]) for c in simulator.calls]
    # Its summary at set-up, then its batch power curve at every poll (the day's energy is
    # that curve integrated: no ECU curve in the day).
    for kind in ("ecu_summary", "batch_power"):
        assert (kind, metered.eid) in endpoints, kind
    assert ("meter_minutely", metered.eid) in endpoints

    assert float(state_of(hass, f"{sid}_ecu_{metered.eid}_power")) > 0
    assert float(state_of(hass, f"{sid}_ecu_{metered.eid}_lifetime_energy")) == pytest.approx(
        truth.lifetime(MORNING, eid=metered.eid), abs=0.1
    )
    for inverter in metered.inverters:
        assert float(state_of(hass, f"{sid}_{inverter.uid}_power")) > 0
    # The system's energy of today is both ECUs' (not only the one without a meter).
    assert float(state_of(hass, f"{sid}_today_energy")) == pytest.approx(
        truth.day_energy(MORNING.date(), MORNING), abs=0.1
    )
    assert state_of(hass, f"{sid}_meter_{metered.eid}_grid_power") != "unknown"

    registry = dr.async_get(hass)
    entry_id = coordinator.config_entry.entry_id
    ecu = registry.async_get_device_by_identifier((DOMAIN, metered.eid), entry_id)
    meter = registry.async_get_device_by_identifier((DOMAIN, f"meter_{metered.eid}"), entry_id)
    assert ecu is not None
    assert meter is not None
    assert (ecu.model, meter.model) == ("ECU with meter", "Meter")
