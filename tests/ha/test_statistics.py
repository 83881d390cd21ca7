"""Hourly production imported as external statistics, checked against the simulator's truth."""

from datetime import date, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
)

from custom_components.apsystems_ema.const import CONF_IMPORT_STATISTICS
from custom_components.apsystems_ema.coordinator import APsystemsCoordinator
from custom_components.apsystems_ema.history import day_start
from custom_components.apsystems_ema.state import zone_of
from custom_components.apsystems_ema.statistics import PRODUCTION, statistic_id
from tests.ha.helpers import MORNING, advance, recorded_rows, setup, state_of
from tests.simulator import Simulator

DAY = MORNING.date()


async def hourly_rows(
    hass: HomeAssistant, coordinator: APsystemsCoordinator, day: date, series: str = PRODUCTION
) -> list[dict[str, float]]:
    """The recorder's hourly rows of a local day (state and sum)."""
    zone = zone_of(coordinator.site.timezone)
    rows = await recorded_rows(
        hass,
        statistic_id(coordinator.site.sid, series),
        day_start(day, zone),
        day_start(day + timedelta(days=1), zone),  # 23 to 25 hours
    )
    return [{"state": r["state"], "sum": r["sum"]} for r in rows]


async def test_the_closing_imports_the_day_exactly(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    coordinator: APsystemsCoordinator,
) -> None:
    """After sunset the day's 24 hours are in the recorder, equal to the simulator's truth;
    importing again changes nothing, and a corrected day shifts every later total."""
    await advance(hass, freezer, timedelta(hours=14))  # past the closing, 00:00 local
    rows = await hourly_rows(hass, coordinator, DAY)
    truth = simulator.truth.hourly(DAY)
    # The closing runs after sunset: the API lists the hours elapsed by then, and the hours
    # after it (no sun) are not written ahead of time.
    assert 22 <= len(rows) <= 24
    assert sum(truth[len(rows) :]) == 0
    assert [r["state"] for r in rows] == pytest.approx(truth[: len(rows)], abs=0.01)
    before = rows[0]["sum"] - rows[0]["state"]  # earlier days (history backfill)
    assert rows[-1]["sum"] - before == pytest.approx(sum(truth), abs=0.05)
    assert [r["sum"] for r in rows] == sorted(r["sum"] for r in rows)

    # Each ECU's hours come from its 5-minute curve, polled through the day.
    for ecu in simulator.site.ecus:
        ecu_rows = await hourly_rows(hass, coordinator, DAY, f"{ecu.eid}_production")
        ecu_truth = simulator.truth.hourly(DAY, eid=ecu.eid)
        assert len(ecu_rows) >= 18
        assert sum(ecu_truth[len(ecu_rows) :]) == 0  # the closing curve reaches the last sun
        assert [r["state"] for r in ecu_rows] == pytest.approx(ecu_truth[: len(ecu_rows)], abs=0.01)
    # The meter's directions, likewise.
    meter = simulator.site.meters[0]
    for series in ("grid_import", "grid_export", "consumption"):
        meter_rows = await hourly_rows(hass, coordinator, DAY, f"{meter}_{series}")
        assert len(meter_rows) >= 18, series
        assert [r["sum"] for r in meter_rows] == sorted(r["sum"] for r in meter_rows)
    export = await hourly_rows(hass, coordinator, DAY, f"{meter}_grid_export")
    assert export[-1]["sum"] > 0  # a sunny day exports

    # Idempotent: the same day again leaves the same rows.
    coordinator.history[PRODUCTION].pop(DAY)
    coordinator.records.record(PRODUCTION, DAY, [float(r["state"]) for r in rows])
    await coordinator.session.import_changed()
    assert await hourly_rows(hass, coordinator, DAY) == rows

    # A correction of an earlier day re-sends that day and every later one.
    earlier = DAY - timedelta(days=1)
    fetched = sum(coordinator.history[PRODUCTION][earlier])  # with the set-up
    coordinator.records.record(PRODUCTION, earlier, [0.5] * 24)
    await coordinator.session.import_changed()
    shifted = await hourly_rows(hass, coordinator, DAY)
    assert [r["state"] for r in shifted] == [r["state"] for r in rows]
    assert shifted[-1]["sum"] == pytest.approx(rows[-1]["sum"] - fetched + 12.0, abs=1e-6)


async def test_import_can_be_switched_off(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """With the option off the history is kept but nothing reaches the recorder, and no
    history is backfilled; turned on, what was kept is imported at once (no API call)."""
    freezer.move_to(MORNING)
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_IMPORT_STATISTICS: False}
    )
    coordinator = await setup(hass, simulator, mock_config_entry)
    assert coordinator.planner.backfill == ()
    await advance(hass, freezer, timedelta(hours=14))
    assert DAY in coordinator.history[PRODUCTION]
    assert await hourly_rows(hass, coordinator, DAY) == []
    assert not [c for c in simulator.calls if c.query.get("date_range", "9") < str(DAY)]

    calls = len(simulator.calls)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_IMPORT_STATISTICS: True}
    )
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = mock_config_entry.runtime_data
    rows = await hourly_rows(hass, coordinator, DAY)
    assert [r["state"] for r in rows] == coordinator.history[PRODUCTION][DAY][: len(rows)]
    assert len(rows) >= 22
    assert len(simulator.calls) == calls
    assert coordinator.planner.backfill  # and history before the first day is now wanted


def test_statistic_id() -> None:
    """Lower case, domain-prefixed, only safe characters."""
    assert statistic_id("AZ12649A3DFF") == "apsystems_ema:az12649a3dff_solar_production"
    assert statistic_id("A-b c") == "apsystems_ema:a_b_c_solar_production"


async def test_unreadable_stored_state_and_history_start_afresh(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Corrupt files (e.g. a manual edit) are reported once and replaced, not fatal."""
    freezer.move_to(MORNING)
    key = f"apsystems_ema.{mock_config_entry.entry_id}"
    hass_storage[key] = {"version": 1, "key": key, "data": {"site": {"sid": 5}}}
    hass_storage[f"{key}.history"] = {
        "version": 1,
        "key": f"{key}.history",
        "data": {"series": {"solar_production": {"not a day": [1]}}, "answered": []},
    }
    coordinator = await setup(hass, simulator, mock_config_entry)
    assert "Ignoring unreadable stored state" in caplog.text
    assert "Ignoring unreadable stored history" in caplog.text
    assert coordinator.site.ecus  # bootstrapped again from the API
    # Only what the API answered since: yesterday's hours (fetched with the set-up) and
    # today's, from the first poll's curves.
    yesterday = MORNING.date() - timedelta(days=1)
    assert set(coordinator.history.get(PRODUCTION, {})) == {yesterday, MORNING.date()}


async def test_older_files_are_migrated_and_newer_ones_start_afresh(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A state file of version 1.1 (before the devices' lifecycle, the inverters' lifetimes
    and the envelope of 1.3) is brought to 1.3 through the Store's migration: a restart
    with it costs no call. A file of a newer major version (a downgrade) starts afresh with
    one warning."""
    freezer.move_to(MORNING)
    await setup(hass, simulator, mock_config_entry)
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    key = f"apsystems_ema.{mock_config_entry.entry_id}"
    old = hass_storage[key]
    assert old["minor_version"] == 3
    old["minor_version"] = 1
    del old["data"]["planner"]["envelope"]
    del old["data"]["site"]["missing"]
    for inverter in old["data"]["site"]["inverters"].values():
        del inverter["anchored"], inverter["last_report"]
    hass_storage[f"{key}.history"]["minor_version"] = 1
    del hass_storage[f"{key}.history"]["data"]["bases"]
    calls = len(simulator.calls)
    freezer.tick(timedelta(minutes=1))
    coordinator = await setup(hass, simulator, mock_config_entry)
    assert len(simulator.calls) == calls
    assert coordinator.site.missing == {}
    assert "Ignoring" not in caplog.text
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass_storage[key]["minor_version"] == 3
    assert "envelope" in hass_storage[key]["data"]["planner"]

    hass_storage[key]["version"] = 9
    coordinator = await setup(hass, simulator, mock_config_entry)
    assert "Ignoring an unreadable stored state file" in caplog.text
    assert coordinator.site.ecus  # bootstrapped again from the API


async def test_mistyped_stored_values_start_that_part_afresh(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A stored lifetime of "abc", then a planner with a negative error count: each part is
    refused when loaded (named in one warning) and starts afresh (the site with its
    planner's memory); polling goes on and the lifetime is a number again."""
    freezer.move_to(MORNING)
    coordinator = await setup(hass, simulator, mock_config_entry)
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    key = f"apsystems_ema.{mock_config_entry.entry_id}"
    hass_storage[key]["data"]["site"]["energy"]["lifetime"] = "abc"
    caplog.clear()
    coordinator = await setup(hass, simulator, mock_config_entry)
    assert "Ignoring unreadable stored state (energy.lifetime: 'abc'" in caplog.text
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    hass_storage[key]["data"]["planner"]["errors"] = -3
    coordinator = await setup(hass, simulator, mock_config_entry)
    assert "Ignoring unreadable stored planner state (errors: -3" in caplog.text
    assert coordinator.planner_state.errors == 0
    assert coordinator.site.energy.lifetime is not None  # the site was kept
    calls = len(simulator.calls)
    await advance(hass, freezer, timedelta(hours=4))
    polls = [c for c in simulator.calls[calls:] if c.endpoint == "batch_power"]
    assert polls, "polling goes on"
    lifetime = float(state_of(hass, f"{simulator.sid}_lifetime_energy"))
    assert lifetime == pytest.approx(simulator.truth.lifetime(polls[-1].at), abs=0.2)


@pytest.mark.parametrize(
    ("day", "expected_rows"),
    [(date(2026, 3, 29), 23), (date(2026, 10, 25), 24)],
    ids=["spring_forward", "fall_back"],
)
async def test_dst_days_in_the_system_timezone(
    hass: HomeAssistant,
    coordinator: APsystemsCoordinator,
    day: date,
    expected_rows: int,
) -> None:
    """A day with 23 or 25 local hours (Amsterdam): every kWh lands once, at a real UTC hour
    start, and the sum still adds up to the day's 24 API values."""
    values = [float(hour) for hour in range(24)]
    coordinator.records.record(PRODUCTION, day, values)
    await coordinator.session.import_changed()
    rows = await hourly_rows(hass, coordinator, day)
    assert len(rows) == expected_rows
    assert sum(r["state"] for r in rows) == pytest.approx(sum(values))
    assert rows[-1]["sum"] - rows[0]["sum"] + rows[0]["state"] == pytest.approx(sum(values))
    if expected_rows == 23:
        # 02:00 does not exist: its energy joins 03:00 (01:00 UTC).
        assert [r["state"] for r in rows[:4]] == [0.0, 1.0, 2.0 + 3.0, 4.0]


async def test_the_statistic_is_live_and_consistent_through_the_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    coordinator: APsystemsCoordinator,
) -> None:
    """From the set-up on, the solar production statistic holds yesterday's exact hours and
    today's hours so far; after every poll its running sum matches the lifetime's growth
    since yesterday ended, no hour is negative and no sum goes back, and the closing makes
    every hour exact without a dip."""
    zone = zone_of(coordinator.site.timezone)
    yesterday = DAY - timedelta(days=1)
    sid = coordinator.site.sid
    last_sum = 0.0
    for _ in range(8):  # 08:00 to 22:00 UTC: midnight local, after the closing
        rows = await recorded_rows(
            hass, statistic_id(sid, PRODUCTION), day_start(yesterday, zone), day_start(DAY, zone)
        )
        today = await hourly_rows(hass, coordinator, DAY)
        assert [r["state"] for r in rows] == pytest.approx(
            simulator.truth.hourly(yesterday), abs=0.01
        )
        assert today, "today's hours are written from the first poll"
        assert min(r["state"] for r in today) >= 0
        sums = [rows[-1]["sum"]] + [r["sum"] for r in today]
        assert sums == sorted(sums)
        # The statistic's growth today is the lifetime's (both from the same curves).
        energy = coordinator.site.energy
        assert today[-1]["sum"] - rows[-1]["sum"] == pytest.approx(energy.today, abs=0.01)
        assert today[-1]["sum"] >= last_sum - 0.02  # no dip, the closing included
        last_sum = today[-1]["sum"]
        await advance(hass, freezer, timedelta(hours=2))
    final = await hourly_rows(hass, coordinator, DAY)
    truth = simulator.truth.hourly(DAY)
    assert [r["state"] for r in final] == pytest.approx(truth[: len(final)], abs=0.01)
