"""Batteries (manual v1.7), the status light and shared sub-user systems (v1.8), set up in
Home Assistant against the simulator."""

from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest

from custom_components.apsystems_ema.const import DOMAIN
from custom_components.apsystems_ema.diagnostics import async_get_config_entry_diagnostics
from custom_components.apsystems_ema.openapi import StatusLight
from custom_components.apsystems_ema.statistics import statistic_id
from tests.ha.helpers import MORNING, VISITOR_CODE, advance, config_entry, recorded_rows, setup
from tests.simulator import (
    BASE_PATH,
    INSTALLER_PATH,
    Simulator,
    storage_only_site,
    storage_site,
    subuser_site,
)

BATTERY = "216200003456"


async def test_a_pv_and_storage_system_shows_its_battery(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, pv_storage: Simulator
) -> None:
    freezer.move_to(MORNING)
    coordinator = await setup(hass, pv_storage, config_entry(pv_storage))
    site = coordinator.site
    truth = pv_storage.truth
    # The storage ECU is a battery, never polled as a producer.
    assert list(site.producing) == ["203000002345"]
    assert not [c for c in pv_storage.calls if BATTERY in c.path and "storage" not in c.path]
    battery = site.storage[BATTERY]
    assert (battery.model, battery.capacity_kwh) == ("ELT-12", 11.52)
    reading = truth.storage(BATTERY, MORNING)
    assert reading is not None
    assert battery.soc == pytest.approx(reading.soc, abs=0.5)
    assert battery.last_report == reading.at
    assert battery.power["charge"] == pytest.approx(reading.charge, abs=1)
    lifetime = truth.storage_totals(BATTERY, "lifetime", MORNING)
    for key in ("charge", "discharge", "imported", "exported"):
        assert battery.energy[key].lifetime == pytest.approx(getattr(lifetime, key), abs=0.01)
    assert (site.system_type, site.light) == (3, StatusLight.NORMAL)
    # The visitor code is no state of ours: nowhere in the diagnostics.
    entry = coordinator.config_entry
    assert VISITOR_CODE not in str(await async_get_config_entry_diagnostics(hass, entry))
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"battery_{BATTERY}"), entry.entry_id
    )
    assert device is not None
    assert device.model == "ELT-12"


@pytest.mark.parametrize("recorder_config", [{"commit_interval": 5}])
async def test_battery_hours_and_lifetimes_follow_the_truth_overnight(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, pv_storage: Simulator
) -> None:
    """The closing brings the battery's hours so far; the next morning's first poll the
    evening's and night's too: the day's hourly statistics equal the truth, and the lifetime
    counters the truth's after the morning's summary."""
    freezer.move_to(MORNING)
    coordinator = await setup(hass, pv_storage, config_entry(pv_storage))
    await advance(hass, freezer, timedelta(hours=22))  # 08:00 the next day
    day = coordinator.site.local_day(MORNING)
    truth = pv_storage.truth
    now = MORNING + timedelta(hours=22)
    sid = coordinator.site.sid
    start = coordinator.planner.daylight.midnight(day)
    end = start + timedelta(days=1)
    hours = truth.storage_series(BATTERY, "hourly", day, now)
    for key, series in (("charge", "battery_charge"), ("discharge", "battery_discharge")):
        rows = await recorded_rows(hass, statistic_id(sid, f"{BATTERY}_{series}"), start, end)
        # The API gives 3 decimals (rounded from its own sums).
        expected = [getattr(h, key) for h in hours]
        assert [r["state"] for r in rows] == pytest.approx(expected, abs=0.001)
    assert len(hours) == 24  # the whole day: the hours after the closing too
    battery = coordinator.site.storage[BATTERY]
    lifetime = truth.storage_totals(BATTERY, "lifetime", now)
    assert battery.energy["discharge"].lifetime == pytest.approx(lifetime.discharge, abs=0.02)
    assert battery.soc is not None
    assert 0 <= battery.soc <= 100


async def test_storage_on_the_user_prefix_only_is_found_once_and_remembered(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, socket_enabled: None
) -> None:
    """The manual's installer prefix refused (4001): the user prefix is tried, both calls
    count, and the prefix that answered is kept, also over a restart."""
    freezer.move_to(MORNING)
    async with Simulator(storage_site(MORNING), storage_prefixes={BASE_PATH}) as sim:
        entry = config_entry(sim)
        coordinator = await setup(hass, sim, entry)
        refused = [c for c in sim.calls if c.path.startswith(INSTALLER_PATH)]
        assert len(refused) == 1
        assert refused[0].code == 4001
        assert coordinator.site.storage_prefix == BASE_PATH
        assert coordinator.calls_used == len(sim.calls)  # the refused call counts too
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        await advance(hass, freezer, timedelta(hours=3))
        assert [c for c in sim.calls if c.path.startswith(INSTALLER_PATH)] == refused
        assert entry.runtime_data.site.storage[BATTERY].last_report is not None
        assert len([c for c in sim.calls if "storage" in c.path]) > 2


async def test_a_storage_only_system_sets_up_without_production_calls(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, socket_enabled: None
) -> None:
    freezer.move_to(MORNING)
    async with Simulator(storage_only_site(MORNING)) as sim:
        coordinator = await setup(hass, sim, config_entry(sim))
        await advance(hass, freezer, timedelta(hours=14))  # past the closing and its history
        assert coordinator.site.producing == {}
        assert coordinator.site.storage["216200004567"].soc is not None
        kinds = {c.endpoint for c in sim.calls}
        # Nothing of a production it does not have: no curves, no solar history.
        assert not kinds & {"batch_power", "batch_energy", "ecu_summary", "system_energy"}
        assert {"storage_latest", "storage_summary", "storage_period"} <= kinds
        assert not [c for c in sim.calls if c.code not in (0, None)]
        history = coordinator.history["216200004567_battery_charge"]
        assert len(history) >= 3  # yesterday, today, and days before from spare budget


async def test_a_shared_sub_user_system_uses_its_virtual_ids(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, socket_enabled: None
) -> None:
    """Manual v1.8: the details list "main-virtual" ECU ids; every device query goes to the
    virtual id, devices are named by it, and no call is refused."""
    freezer.move_to(MORNING)
    async with Simulator(subuser_site(MORNING)) as sim:
        coordinator = await setup(hass, sim, config_entry(sim))
        await advance(hass, freezer, timedelta(hours=3))
        assert set(coordinator.site.ecus) == {"002405253708", "002405253709", "002405253710"}
        assert not [c for c in sim.calls if c.code not in (0, None)]
        registry = dr.async_get(hass)
        entry_id = coordinator.config_entry.entry_id
        device = registry.async_get_device_by_identifier((DOMAIN, "002405253708"), entry_id)
        assert device is not None
        assert device.name == "ECU 002405253708"
        assert registry.async_get_device_by_identifier((DOMAIN, "2030000001236"), entry_id) is None
        assert coordinator.site.inverters


async def test_a_battery_the_api_refuses_is_asked_again_the_next_day_only(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    socket_enabled: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An account without access to the storage data (2004 "no permission" under both
    prefixes): no re-authentication (the credentials are fine), one warning, the battery's
    calls stop for the day, and the next day's details bring one more try."""
    freezer.move_to(MORNING)
    async with Simulator(storage_site(MORNING), storage_prefixes=(), storage_refusal=2004) as sim:
        entry = config_entry(sim)
        coordinator = await setup(hass, sim, entry)
        assert entry.state is ConfigEntryState.LOADED
        assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        assert coordinator.site.listed_storage == []
        assert coordinator.planner.site.storage == ()
        refused = [c for c in sim.calls if "storage" in c.path]
        assert len(refused) == 2  # one call, under both prefixes
        await advance(hass, freezer, timedelta(hours=12))
        assert [c for c in sim.calls if "storage" in c.path] == refused
        ours = [
            r.getMessage()
            for r in caplog.records
            if r.levelno == logging.WARNING and r.name.startswith("custom_components")
        ]
        assert len(ours) == 1
        assert "storage refused under both path prefixes" in ours[0]
        await advance(hass, freezer, timedelta(hours=18))  # the next day's details
        assert len([c for c in sim.calls if "storage" in c.path]) > 2
        assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
