"""Batteries (storage ECUs, manual v1.7) and the status light in the site state."""

from datetime import date, datetime, time
import json
from zoneinfo import ZoneInfo

from custom_components.apsystems_ema.openapi import (
    EcuInfo,
    InverterInfo,
    StatusLight,
    StorageLatest,
    StorageSummary,
    StorageTotals,
    SystemDetails,
)
from custom_components.apsystems_ema.state import SiteState, battery as batteries

TZ = "Europe/Amsterdam"
ZONE = ZoneInfo(TZ)
DAY = date(2026, 7, 10)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=ZONE)


def totals(scale: float) -> StorageTotals:
    return StorageTotals(
        charge=1.0 * scale,
        discharge=2.0 * scale,
        produced=3.0 * scale,
        consumed=4.0 * scale,
        imported=5.0 * scale,
        exported=6.0 * scale,
    )


def latest(hh: int, mm: int, soc: float, charge: float = 0.0) -> StorageLatest:
    return StorageLatest("1", soc, time(hh, mm), charge, 0.0, 800.0, 400.0, 0.0, 0.0)


def pv_and_storage() -> SiteState:
    state = SiteState("SID1")
    details = SystemDetails(
        "SID1", date(2024, 1, 1), 4.2, 3, TZ, ("E1", "S1"), light=StatusLight.NORMAL
    )
    state.apply_details(details, at(DAY, 9))
    state.apply_inventory(
        (
            EcuInfo("E1", 0, TZ, (InverterInfo("U1", "DS3"),)),
            EcuInfo("S1", 2, TZ, (), model="ELT-12", capacity=11.52),
        ),
        DAY,
    )
    return state


def test_a_storage_ecu_is_a_battery_not_a_producer() -> None:
    state = pv_and_storage()
    assert list(state.producing) == ["E1"]
    assert state.listed_storage == ["S1"]
    battery = state.storage["S1"]
    assert (battery.model, battery.capacity_kwh) == ("ELT-12", 11.52)
    assert (state.system_type, state.light, state.light_at) == (3, StatusLight.NORMAL, at(DAY, 9))
    assert "battery_S1" in state.device_ids()


def test_a_battery_left_out_of_the_lists_goes_with_its_ecu() -> None:
    state = pv_and_storage()
    pv_only = (EcuInfo("E1", 0, TZ, (InverterInfo("U1", "DS3"),)),)
    assert state.apply_inventory(pv_only, DAY) == set()
    assert state.listed_storage == []  # missed: not polled, kept a day
    assert state.apply_inventory(pv_only, date(2026, 7, 11)) == {"S1", "battery_S1"}
    assert state.storage == {}
    # Details read again later do not bring the ECU back: the lists decide.
    state.apply_details(SystemDetails("SID1", None, 4.2, 3, TZ, ("E1", "S1")), at(DAY, 13))
    assert "S1" not in state.ecus


def test_the_latest_reading_is_dated_and_never_replaced_by_an_older_one() -> None:
    state = pv_and_storage()
    batteries.apply_latest(state, "S1", latest(12, 5, 64.0, 1500.0), at(DAY, 12, 7))
    battery = state.storage["S1"]
    assert (battery.soc, battery.mode, battery.last_report) == (64.0, "1", at(DAY, 12, 5))
    assert battery.power["charge"] == 1500.0
    batteries.apply_latest(state, "S1", latest(11, 0, 50.0), at(DAY, 12, 9))  # older: kept
    assert battery.soc == 64.0
    # Fetched after midnight, 23:55 is the evening before.
    next_day = date(2026, 7, 11)
    batteries.apply_latest(state, "S1", latest(23, 55, 31.0), at(next_day, 0, 10))
    assert battery.last_report == at(DAY, 23, 55)
    assert battery.soc == 31.0


def test_the_summary_gives_each_energy_its_day_and_lifetime() -> None:
    state = pv_and_storage()
    summary = StorageSummary(totals(1), totals(10), totals(100), totals(1000))
    batteries.apply_summary(state, "S1", summary, at(DAY, 12))
    energy = state.storage["S1"].energy
    assert energy["charge"].today == 1.0
    assert energy["charge"].lifetime == 1000.0
    assert energy["exported"].month == 60.0
    # A lower lifetime (a bad answer) never takes a counter back.
    batteries.apply_summary(
        state, "S1", StorageSummary(totals(1), totals(10), totals(100), totals(500)), at(DAY, 13)
    )
    assert energy["charge"].lifetime == 1000.0


def test_implausible_battery_answers_are_named() -> None:
    huge = StorageLatest("1", 50.0, time(12), 250_000.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    assert batteries.power_problem(huge) == "storage charge power of 250000 W"
    assert batteries.power_problem(latest(12, 0, 50.0)) is None
    assert batteries.totals_problem("today", totals(1), 1) is None
    # 100 kW for a day is 2400 kWh: 3000 kWh produced is not a home's.
    assert batteries.totals_problem("today", totals(1000), 1) == (
        "storage today produced of 3000 kWh"
    )
    assert batteries.totals_problem("lifetime", totals(1000), 3) is None
    day = {"charge": -1.0, "discharge": 0, "produced": 0, "consumed": 0, "imported": 0}
    assert batteries.totals_problem("day", {**day, "exported": 0}, 1) == (
        "storage day charge of -1 kWh"
    )


def test_batteries_and_the_light_survive_a_restart() -> None:
    state = pv_and_storage()
    batteries.apply_latest(state, "S1", latest(12, 5, 64.0, 1500.0), at(DAY, 12, 7))
    batteries.apply_summary(
        state, "S1", StorageSummary(totals(1), totals(10), totals(100), totals(1000)), at(DAY, 12)
    )
    state.storage_prefix = "/user/api/v2/systems"
    data = json.loads(json.dumps(state.as_dict()))
    again = SiteState.from_dict(data)
    assert again == state
    assert again.light is StatusLight.NORMAL
    # A state file of an earlier version (no batteries, no light) still loads.
    for key in ("storage", "light", "light_at", "system_type", "storage_prefix"):
        del data[key]
    older = SiteState.from_dict(data)
    assert (older.storage, older.light, older.system_type) == ({}, None, 1)


def test_a_refused_battery_is_left_out_until_the_next_days_details() -> None:
    state = pv_and_storage()
    state.refuse_storage("S1", DAY)
    assert state.listed_storage == []
    again = SiteState.from_dict(json.loads(json.dumps(state.as_dict())))
    assert again.storage_refused == {"S1": DAY}  # kept over a restart
    details = SystemDetails("SID1", None, 4.2, 3, TZ, ("E1", "S1"))
    state.apply_details(details, at(DAY, 13))  # the same day: still left out
    assert state.listed_storage == []
    state.apply_details(details, at(date(2026, 7, 11), 13))
    assert state.listed_storage == ["S1"]
