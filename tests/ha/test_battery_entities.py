"""The battery's device and entities (manual v1.7 storage), against the simulator's PV and
storage site; devices that come and go; the diagnostics keep the visitor code out."""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest

from custom_components.apsystems_ema.const import DOMAIN
from custom_components.apsystems_ema.diagnostics import async_get_config_entry_diagnostics
from custom_components.apsystems_ema.entity import NewDevices
from custom_components.apsystems_ema.state import (
    ChannelState,
    InverterState,
    MeterState,
    SiteState,
    StorageState,
)
from tests.ha.helpers import MORNING, VISITOR_CODE, config_entry, setup, state_of
from tests.simulator import Fault, Simulator

BATTERY = "216200003456"
CHARGED = f"sensor.battery_{BATTERY}_charged_energy"


async def test_the_battery_device_and_its_sensors(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, pv_storage: Simulator
) -> None:
    """A battery device under the system, with its state of charge, powers, mode, energy
    counters (the lifetimes charged and discharged for the Energy dashboard) and capacity."""
    freezer.move_to(MORNING)
    coordinator = await setup(hass, pv_storage, config_entry(pv_storage))
    sid, entry_id = coordinator.site.sid, coordinator.config_entry.entry_id
    devices = dr.async_get(hass)
    device = devices.async_get_device_by_identifier((DOMAIN, f"battery_{BATTERY}"), entry_id)
    system = devices.async_get_device_by_identifier((DOMAIN, sid), entry_id)
    assert device is not None
    assert system is not None
    assert (device.name, device.model, device.via_device_id) == (
        f"Battery {BATTERY}",
        "ELT-12",
        system.id,
    )

    def value(key: str) -> str:
        return state_of(hass, f"{sid}_battery_{BATTERY}_{key}")

    reading = pv_storage.truth.storage(BATTERY, MORNING)
    assert reading is not None
    assert float(value("soc")) == pytest.approx(reading.soc, abs=0.5)
    for key in ("charge", "discharge", "produced", "consumed", "imported", "exported"):
        assert float(value(f"{key}_power")) == pytest.approx(getattr(reading, key), abs=1), key
    lifetime = pv_storage.truth.storage_totals(BATTERY, "lifetime", MORNING)
    today = pv_storage.truth.storage_totals(BATTERY, "today", MORNING)
    for key in ("charge", "discharge", "imported", "exported"):
        assert float(value(f"{key}_lifetime")) == pytest.approx(getattr(lifetime, key), abs=0.01)
        assert float(value(f"{key}_today")) == pytest.approx(getattr(today, key), abs=0.01)
    # The mode is the API's code (no names are documented): an option of its own.
    mode = hass.states.get(f"sensor.battery_{BATTERY}_operation_mode")
    assert mode is not None
    assert mode.state == reading.mode
    assert mode.attributes["options"] == [reading.mode]
    charged = hass.states.get(CHARGED)
    assert charged is not None
    assert charged.attributes["state_class"] == "total_increasing"
    assert charged.attributes["device_class"] == "energy"
    assert float(value("capacity")) == 11.52
    capacity = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{sid}_battery_{BATTERY}_capacity"
    )
    assert capacity is not None
    registered = er.async_get(hass).async_get(capacity)
    assert registered is not None
    assert registered.entity_category is EntityCategory.DIAGNOSTIC


async def test_a_battery_lifetime_never_goes_below_its_recorded_state(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    pv_storage: Simulator,
) -> None:
    """The integration's files lost, and the API's summary then a little lower than what
    was shown (a rounding, a correction): the lifetime charged stays where it was."""
    freezer.move_to(MORNING)
    entry = config_entry(pv_storage)
    coordinator = await setup(hass, pv_storage, entry)
    unique_id = f"{coordinator.site.sid}_battery_{BATTERY}_charge_lifetime"
    shown = float(state_of(hass, unique_id))
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    key = f"{DOMAIN}.{entry.entry_id}"
    hass_storage.pop(key, None)
    hass_storage.pop(f"{key}.history", None)
    pv_storage.inject(Fault(endpoint="storage_summary", scale=0.99, times=None))
    coordinator = await setup(hass, pv_storage, entry)
    assert coordinator.site.storage[BATTERY].energy["charge"].lifetime == pytest.approx(
        shown * 0.99, abs=0.01
    )
    assert float(state_of(hass, unique_id)) == shown


async def test_no_secret_in_the_diagnostics(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, pv_storage: Simulator
) -> None:
    """The visitor code is redacted wherever it could appear (here: an entry that holds it),
    and the battery's id is replaced like every other serial."""
    freezer.move_to(MORNING)
    entry = config_entry(pv_storage, options={"authorization_code": VISITOR_CODE})
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, "authorization_code": VISITOR_CODE}
    )
    await setup(hass, pv_storage, entry)
    data = await async_get_config_entry_diagnostics(hass, entry)
    text = str(data)
    assert VISITOR_CODE not in text
    assert BATTERY not in text
    assert pv_storage.app_secret not in text
    assert data["entry"]["options"]["authorization_code"] == "**REDACTED**"
    assert data["entry"]["data"]["authorization_code"] == "**REDACTED**"


def test_devices_that_leave_and_come_back_are_new_again() -> None:
    """Each device (and channel) is new once; one that left the site is new again when it
    comes back, its entities then created anew without a reload."""
    site = SiteState("SID")
    known = NewDevices()
    first = known.arrivals(site)
    assert first.system
    assert (first.ecus, first.inverters, first.meters, first.batteries) == ([], [], [], [])
    site.storage["B1"] = StorageState("B1")
    site.meters["M1"] = MeterState("M1")
    inverter = InverterState("U1", "E1")
    site.inverters["U1"] = inverter
    new = known.arrivals(site)
    assert (new.system, new.batteries, new.meters, new.inverters, new.channels) == (
        False,
        ["B1"],
        ["M1"],
        ["U1"],
        [],
    )
    inverter.channels = {1: ChannelState(), 2: ChannelState()}
    assert known.arrivals(site).channels == [("U1", 1), ("U1", 2)]
    nothing = known.arrivals(site)
    assert not nothing.system
    assert nothing.inverters + nothing.meters + nothing.batteries + nothing.channels == []
    del site.storage["B1"], site.inverters["U1"]
    gone = known.arrivals(site)
    assert (gone.batteries, gone.inverters) == ([], [])
    site.storage["B1"] = StorageState("B1")
    site.inverters["U1"] = inverter
    back = known.arrivals(site)
    assert (back.batteries, back.inverters, back.channels) == (
        ["B1"],
        ["U1"],
        [("U1", 1), ("U1", 2)],
    )
    assert back.meters == []
