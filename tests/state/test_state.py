"""The entity-ready site state: derived lifetime, day rollover, monotonic totals, persistence."""

from datetime import UTC, date, datetime, time, timedelta
import json
from zoneinfo import ZoneInfo

import pytest

from custom_components.apsystems_ema.openapi import (
    BatchEnergy,
    BatchPower,
    ChannelEnergy,
    EcuInfo,
    EcuMinutely,
    EnergySummary,
    InverterInfo,
    InverterMinutely,
    InverterSummary,
    MeterMinutely,
    MeterSummary,
    MeterTotals,
    SystemDetails,
)
from custom_components.apsystems_ema.state import (
    SiteState,
    Totals,
    ecu as ecus,
    inverter as inverters,
    meter as meters,
    zone_of,
)

TZ = "Europe/Amsterdam"
ZONE = ZoneInfo(TZ)
DAY = date(2026, 6, 30)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    """A system-local instant."""
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=ZONE)


def minutely(day: date, today: float, last: tuple[int, int], power: float) -> EcuMinutely:
    """An ECU curve whose newest sample is at ``last`` with ``power``."""
    return EcuMinutely(day, today, (time(6, 0), time(*last)), (1.0, power), (0.0, today))


def site() -> SiteState:
    """A site with two ECUs and three inverters."""
    state = SiteState("SID1")
    state.apply_details(SystemDetails("SID1", date(2024, 1, 1), 4.2, 1, TZ, ("E1", "E2")))
    state.apply_inventory(
        (
            EcuInfo("E1", 0, TZ, (InverterInfo("U1", "DS3"), InverterInfo("U2", "DS3"))),
            EcuInfo("E2", 0, TZ, (InverterInfo("U3", "QT2"),)),
        ),
        DAY,
    )
    return state


def test_totals_day_rollover_and_months() -> None:
    """A new day starts from yesterday's end; month and year restart at their boundaries."""
    totals = Totals()
    totals.set_summary(
        date(2026, 12, 31), EnergySummary(2.0, 50.0, 900.0, 1000.0), at(date(2026, 12, 31), 9)
    )
    assert (totals.start, totals.lifetime, totals.month, totals.year) == (998.0, 1000.0, 50, 900)
    totals.set_today(date(2026, 12, 31), 5.0)
    assert totals.lifetime == 1003.0
    totals.set_today(date(2027, 1, 1), 1.0)
    assert totals.start == 1003.0
    assert totals.lifetime == 1004.0
    assert totals.month == 1.0
    assert totals.year == 1.0
    totals.set_today(date(2027, 1, 2), 2.0)
    assert totals.month == 3.0
    assert totals.year == 3.0


def test_totals_never_go_backwards() -> None:
    """A lower summary or a lower 'today' keeps the higher value (within a day)."""
    totals = Totals()
    totals.set_summary(DAY, EnergySummary(3.0, 0, 0, 100.0), at(DAY, 9))
    totals.set_today(DAY, 4.0)
    assert totals.lifetime == 101.0
    totals.set_today(DAY, 2.0)
    assert totals.today == 4.0
    totals.set_summary(DAY, EnergySummary(1.0, 0, 0, 95.0), at(DAY, 10))
    assert totals.lifetime == 101.0
    totals.set_today(DAY - timedelta(days=1), 50.0)
    assert totals.today == 4.0
    assert totals.day == DAY


def test_lifetime_moves_on_every_ecu_poll() -> None:
    """Lifetime = summary lifetime at the start of the day + the ECUs' energy of today."""
    state = site()
    state.apply_summary(EnergySummary(1.0, 30.0, 300.0, 5000.0), at(DAY, 9))
    assert state.energy.lifetime == 5000.0
    ecus.apply_minutely(state, "E1", minutely(DAY, 2.0, (10, 0), 800.0), at(DAY, 10, 5))
    assert state.energy.today == 1.0  # E2 has not reported today yet: keep the summary's
    ecus.apply_minutely(state, "E2", minutely(DAY, 1.5, (10, 0), 400.0), at(DAY, 10, 5))
    assert state.energy.today == 3.5
    assert state.energy.lifetime == 5002.5
    assert state.energy.month == 32.5
    assert state.power_w == 1200.0
    assert state.last_data == at(DAY, 10)
    ecus.apply_minutely(state, "E1", minutely(DAY, 3.0, (11, 0), 900.0), at(DAY, 11, 5))
    assert state.energy.lifetime == 5003.5


def test_power_is_zero_when_the_newest_sample_is_old() -> None:
    """After sunset the last sample is hours old: power 0, not the last value."""
    state = site()
    ecus.apply_minutely(state, "E1", minutely(DAY, 9.0, (21, 10), 15.0), at(DAY, 23))
    assert state.ecus["E1"].power_w == 0.0
    ecus.apply_minutely(state, "E1", minutely(DAY, 9.0, (21, 10), 15.0), at(DAY, 21, 20))
    assert state.ecus["E1"].power_w == 15.0


def test_older_days_do_not_touch_live_values() -> None:
    """A curve of yesterday, fetched after today's, changes nothing."""
    state = site()
    ecus.apply_minutely(state, "E1", minutely(DAY, 2.0, (10, 0), 500.0), at(DAY, 10, 5))
    ecus.apply_minutely(
        state, "E1", minutely(DAY - timedelta(days=1), 9.0, (20, 0), 5.0), at(DAY, 10, 6)
    )
    assert state.ecus["E1"].energy.today == 2.0
    assert state.ecus["E1"].power_w == 500.0


def test_ecu_lifetime_from_its_summary() -> None:
    """ECU lifetime = its summary at the start of the day + its minutely today."""
    state = site()
    ecus.apply_summary(state, "E1", EnergySummary(1.0, 0, 0, 300.0), at(DAY, 8))
    ecus.apply_minutely(state, "E1", minutely(DAY, 2.0, (10, 0), 500.0), at(DAY, 10, 5))
    assert state.ecus["E1"].energy.lifetime == 301.0
    ecus.apply_minutely(
        state,
        "E1",
        minutely(DAY + timedelta(days=1), 0.5, (7, 0), 50.0),
        at(DAY + timedelta(days=1), 7, 5),
    )
    assert state.ecus["E1"].energy.lifetime == 301.5


def test_inventory_changes() -> None:
    """New inverters appear and models update; a device the lists leave out is no longer
    polled at once, and gone (reported for removal) only when a list a day later leaves it
    out too; one listed again in between is kept. ECUs and meters alike, kept across a
    restart."""
    state = site()
    listed = (EcuInfo("E1", 0, TZ, (InverterInfo("U1", "DS3-L"), InverterInfo("U9", None))),)
    assert state.apply_inventory(listed, DAY) == set()
    assert set(state.inverters) == {"U1", "U2", "U3", "U9"}
    assert state.listed_inverters == ["U1", "U9"]
    assert list(state.producing) == ["E1"]  # E2 is left out: not polled
    assert state.inverters["U1"].model == "DS3-L"
    assert state.apply_inventory(listed, DAY) == set()  # the same day: still only missed
    state = SiteState.from_dict(json.loads(json.dumps(state.as_dict())))
    assert state.missing == {"inverter:U2": DAY, "inverter:U3": DAY, "ecu:E2": DAY}
    back = (
        EcuInfo("E1", 0, TZ, (InverterInfo("U1", "DS3-L"), InverterInfo("U9", None))),
        EcuInfo("E2", 0, TZ, (InverterInfo("U3", "QT2"),)),
    )
    tomorrow = DAY + timedelta(days=1)
    assert state.apply_inventory(back, tomorrow) == {"U2"}
    assert set(state.inverters) == {"U1", "U3", "U9"}
    assert list(state.producing) == ["E1", "E2"]
    assert state.apply_inventory(listed, tomorrow) == set()
    assert state.apply_inventory(listed, tomorrow + timedelta(days=1)) == {"U3", "E2"}
    assert set(state.ecus) == {"E1"}
    assert state.missing == {}
    assert state.apply_meters(("M1",), DAY) == set()
    assert state.apply_meters(("M2",), DAY) == set()
    assert state.listed_meters == ["M2"]
    assert state.apply_meters(("M2",), tomorrow) == {"meter_M1"}
    assert set(state.meters) == {"M2"}


def test_producing_ecus() -> None:
    """An ECU produces unless it is a meter ECU without inverters: an ECU with its meter
    activated that connects inverters produces as well."""
    state = SiteState("S")
    state.apply_inventory(
        (
            EcuInfo("E1", 0, TZ, (InverterInfo("U1", "DS3"),)),
            EcuInfo("E2", 1, TZ, (InverterInfo("U2", "DS3"),)),
            EcuInfo("M1", 1, TZ, ()),
        ),
        DAY,
    )
    assert list(state.producing) == ["E1", "E2"]
    assert state.ecus["E2"].has_meter
    state.apply_inventory((EcuInfo("E1", 0, TZ, ()), EcuInfo("E2", 1, TZ, ())), DAY)
    assert list(state.producing) == ["E1"]  # a plain ECU still counts; a bare meter does not
    state.apply_meters(("E1",), DAY)  # in the meter list (whatever its type), no inverters
    assert list(state.producing) == []


def test_batch_power_and_energy() -> None:
    """One batch call per ECU fills every channel; energy resets on a new day."""
    state = site()
    power = BatchPower(
        DAY, (time(12, 0), time(12, 5)), {"U1": {1: (100.0, 110.0), 2: (90.0, None)}}
    )
    inverters.apply_batch_power(state, "E1", power, at(DAY, 12, 10))
    inv = state.inverters["U1"]
    assert inv.channels[1].power_w == 110.0
    assert inv.channels[2].power_w == 0.0
    assert inv.power_w == 110.0
    assert inv.power_at == at(DAY, 12, 5)
    # One batch call covers the ECU: its newer sample refreshes the ECU's and the site's power.
    assert state.ecus["E1"].power_w == 110.0
    assert state.ecus["E1"].last_report == at(DAY, 12, 5)
    assert state.last_data == at(DAY, 12, 5)
    older = BatchPower(DAY, (time(11, 0),), {"U1": {1: (999.0,)}})
    inverters.apply_batch_power(state, "E1", older, at(DAY, 12, 11))
    assert inv.channels[1].power_w == 110.0  # an older curve changes nothing
    assert state.ecus["E1"].power_w == 110.0
    assert state.ecus["E1"].last_report == at(DAY, 12, 5)
    # The curve integrated (trapezoids, 0 W before the first sample) is the day so far.
    assert inv.channels[1].today_kwh == pytest.approx((100 / 2 + 105) * 5 / 60 / 1000)
    assert inv.channels[2].today_kwh == pytest.approx(90 / 2 * 5 / 60 / 1000 + 45 * 5 / 60 / 1000)
    assert state.ecus["E1"].energy.today == pytest.approx(inv.today_kwh)
    assert [state.ecus["E1"].energy.exact] == [False]
    # The closing's batch energy is exact: it replaces the estimates, also lower ones.
    inverters.apply_batch_energy(
        state, "E1", BatchEnergy(DAY, {"U1": {1: 1.2, 2: 0.8}}), at(DAY, 13)
    )
    assert inv.today_kwh == pytest.approx(2.0)
    assert state.ecus["E1"].energy.exact
    inverters.apply_batch_energy(
        state, "E1", BatchEnergy(DAY, {"U1": {1: 1.0, 2: 0.9}}), at(DAY, 14)
    )
    assert inv.channels[1].today_kwh == 1.0
    inverters.apply_batch_power(state, "E1", power, at(DAY, 14))  # an estimate never replaces it
    assert inv.channels[1].today_kwh == 1.0
    inverters.apply_batch_energy(
        state, "E1", BatchEnergy(DAY + timedelta(days=1), {"U1": {1: 0.1, 2: 0.0}}), at(DAY, 23)
    )
    assert inv.today_kwh == pytest.approx(0.1)
    inverters.apply_batch_energy(state, "E1", BatchEnergy(DAY, {"U1": {1: 5.0}}), at(DAY, 23))
    assert inv.today_kwh == pytest.approx(0.1)
    assert state.inverters["U2"].power_w is None
    assert state.inverters["U2"].today_kwh is None


def test_inverter_lifetime_and_last_report() -> None:
    """An inverter's lifetime starts at its summary and rolls forward with its days; its
    last report is its own newest sample with a value, not the ECU's."""
    state = site()
    inv = state.inverters["U1"]
    assert inv.energy.lifetime is None  # unknown until its summary
    summary = InverterSummary(
        (ChannelEnergy(1, 0.05, 20.0, 200.0, 600.0), ChannelEnergy(2, 0.05, 20.0, 200.0, 400.0))
    )
    assert inverters.apply_summary(state, "U1", summary, at(DAY, 9)) is None
    assert inv.anchored == DAY
    assert (inv.energy.start, inv.energy.lifetime) == pytest.approx((999.9, 1000.0))
    power = BatchPower(
        DAY,
        (time(12, 0), time(12, 5), time(12, 10)),
        {"U1": {1: (600.0, 600.0, None), 2: (600.0, 600.0, None)}, "U2": {1: (1.0, 2.0, 3.0)}},
    )
    inverters.apply_batch_power(state, "E1", power, at(DAY, 12, 12))
    assert inv.last_report == at(DAY, 12, 5)  # silent in the newest slot
    assert state.inverters["U2"].last_report == at(DAY, 12, 10)
    assert state.ecus["E1"].last_report == at(DAY, 12, 10)
    # The estimate (the curve integrated) is above the summary's today: it moves the lifetime.
    today = inv.today_kwh
    assert today is not None
    assert today > 0.1
    assert inv.energy.lifetime == pytest.approx(999.9 + today)
    # The closing's exact day, then the next day rolls forward from it.
    inverters.apply_batch_energy(
        state, "E1", BatchEnergy(DAY, {"U1": {1: 1.5, 2: 1.5}}), at(DAY, 23)
    )
    assert inv.energy.lifetime == pytest.approx(1002.9)
    tomorrow = DAY + timedelta(days=1)
    inverters.apply_batch_energy(
        state, "E1", BatchEnergy(tomorrow, {"U1": {1: 0.2, 2: 0.3}}), at(DAY, 23)
    )
    assert inv.energy.start == pytest.approx(1002.9)
    assert inv.energy.lifetime == pytest.approx(1003.4)
    # A summary no system of this capacity can give, or one below the counter, is refused.
    absurd = InverterSummary((ChannelEnergy(1, 0.0, 0.0, 0.0, 1e9),))
    assert inverters.apply_summary(state, "U1", absurd, at(tomorrow, 9)) is not None
    low = InverterSummary((ChannelEnergy(1, 0.0, 0.0, 0.0, 10.0),))
    assert inverters.apply_summary(state, "U1", low, at(tomorrow, 9)) is not None
    assert inv.energy.lifetime == pytest.approx(1003.4)
    assert inv.anchored == DAY
    assert inverters.apply_summary(state, "GONE", summary, at(tomorrow, 9)) is None
    # Kept across a restart.
    again = SiteState.from_dict(json.loads(json.dumps(state.as_dict())))
    assert again.inverters["U1"] == inv


def test_inverter_detail() -> None:
    """The newest sample of voltages, current, frequency and temperature is kept."""
    state = site()
    detail = InverterMinutely(
        DAY,
        (time(12, 0), time(12, 5)),
        dc_power={1: (100.0, 110.0)},
        dc_current={1: (3.0, 3.2)},
        dc_voltage={1: (33.0, 34.0), 2: (None, None)},
        dc_energy={},
        ac_voltage={1: (None, 231.0)},
        ac_power=(200.0, 210.0),
        ac_frequency=(50.0, 49.98),
        temperature=(40.0, 41.0),
    )
    inverters.apply_detail(state, "U1", detail, at(DAY, 12, 10))
    got = state.inverters["U1"].detail
    assert got is not None
    assert (got.dc_voltage, got.dc_current) == ({1: 34.0, 2: None}, {1: 3.2})
    assert (got.ac_voltage, got.frequency, got.temperature) == (231.0, 49.98, 41.0)
    inverters.apply_detail(state, "nope", detail, at(DAY, 12, 10))
    assert "nope" not in state.inverters


def test_meter() -> None:
    """Meter lifetime per direction moves with its minutely totals; power follows the newest."""
    state = site()
    block = MeterTotals(consumed=2.0, exported=1.0, imported=1.5, produced=3.0)
    life = MeterTotals(consumed=900.0, exported=400.0, imported=700.0, produced=1000.0)
    meters.apply_summary(state, "M1", MeterSummary(block, None, None, life), at(DAY, 8))
    later = MeterTotals(consumed=3.0, exported=1.5, imported=2.0, produced=4.0)
    curve = MeterMinutely(DAY, later, (time(12, 0),), (500.0,), (-250.0,), (750.0,))
    meters.apply_minutely(state, "M1", curve, at(DAY, 12, 5))
    meter = state.meters["M1"]
    assert meter.energy["imported"].lifetime == 700.5
    assert meter.energy["exported"].lifetime == 400.5
    assert (meter.consumption_w, meter.grid_w, meter.production_w) == (500.0, -250.0, 750.0)
    meters.apply_summary(state, "M1", MeterSummary(None, None, None, None), at(DAY, 13))
    assert meter.energy["imported"].lifetime == 700.5


def test_round_trip_through_json() -> None:
    """Everything survives HA's Store (JSON) unchanged."""
    state = site()
    state.apply_summary(EnergySummary(1.0, 30.0, 300.0, 5000.0), at(DAY, 9))
    ecus.apply_minutely(state, "E1", minutely(DAY, 2.0, (10, 0), 800.0), at(DAY, 10, 5))
    inverters.apply_batch_power(
        state, "E1", BatchPower(DAY, (time(10, 0),), {"U1": {1: (5.0,)}}), at(DAY, 10, 5)
    )
    detail = InverterMinutely(
        DAY, (time(10, 0),), {}, {1: (3.0,)}, {1: (33.0,)}, {}, {1: (230.0,)}, (), (50.0,), ()
    )
    inverters.apply_detail(state, "U1", detail, at(DAY, 10, 5))
    assert state.inverters["U1"].detail is not None
    block = MeterTotals(1.0, 2.0, 3.0, 4.0)
    meters.apply_summary(state, "M1", MeterSummary(block, None, None, block), at(DAY, 8))
    restored = SiteState.from_dict(json.loads(json.dumps(state.as_dict())))
    assert restored == state


@pytest.mark.parametrize("data", [{"version": 99}, {"version": 1}, {"version": 1, "sid": "x"}, []])
def test_unreadable_state(data: dict[str, object]) -> None:
    """Bad persisted data raises ValueError (the coordinator then starts fresh)."""
    with pytest.raises(ValueError, match="state"):
        SiteState.from_dict(data)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("energy", "lifetime"), "abc", "energy.lifetime"),
        (("energy", "today"), -5.0, "energy.today"),
        (("energy", "start"), True, "energy.start"),
        (("energy",), [], "energy"),
        (("capacity_kw",), float("inf"), "capacity_kw"),
        (("ecus", "E1", "energy", "lifetime"), "12", "ecu.energy.lifetime"),
        (("ecus", "E1", "last_report"), "2026-06-30T10:00:00", "ecu.last_report"),
        (("inverters", "U1", "channels", "1", "today_kwh"), {}, "channel.today_kwh"),
        (("meters", "M1", "energy", "consumed", "lifetime"), "x", "meter.consumed"),
    ],
)
def test_mistyped_stored_values_are_named(path: tuple[str, ...], value: object, field: str) -> None:
    """A stored value of the wrong type or out of range (a hand edit, a damaged file) is
    refused with its field named, instead of failing later in arithmetic."""
    state = site()
    state.apply_summary(EnergySummary(1.0, 30.0, 300.0, 5000.0), at(DAY, 9))
    ecus.apply_minutely(state, "E1", minutely(DAY, 2.0, (10, 0), 800.0), at(DAY, 10, 5))
    inverters.apply_batch_power(
        state, "E1", BatchPower(DAY, (time(10, 0),), {"U1": {1: (5.0,)}}), at(DAY, 10, 5)
    )
    block = MeterTotals(1.0, 2.0, 3.0, 4.0)
    meters.apply_summary(state, "M1", MeterSummary(block, None, None, block), at(DAY, 8))
    data = json.loads(json.dumps(state.as_dict()))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValueError, match=field):
        SiteState.from_dict(data)


def test_zone_fallback() -> None:
    """An unknown timezone name falls back to UTC."""
    assert zone_of("Mars/Olympus") == ZoneInfo("UTC")
    assert zone_of(None) == ZoneInfo("UTC")
    assert SiteState("S").local_day(datetime(2026, 1, 1, 23, tzinfo=UTC)) == date(2026, 1, 1)


def test_totals_without_a_summary_and_late_summaries() -> None:
    """Counters without a summary only track today; a summary of an earlier day is ignored."""
    totals = Totals()
    totals.set_today(DAY, 3.0)
    totals.set_today(DAY + timedelta(days=1), 1.0)
    assert (totals.today, totals.lifetime, totals.month, totals.year) == (1.0, None, None, None)
    totals.set_summary(DAY, EnergySummary(9.0, 9.0, 9.0, 999.0), at(DAY, 9))
    assert totals.lifetime is None
    assert totals.day == DAY + timedelta(days=1)


def test_meter_without_totals_and_older_samples() -> None:
    """A curve without totals still updates power; an older sample never replaces a newer."""
    state = site()
    newer = MeterMinutely(DAY, None, (time(12, 0),), (500.0,), (100.0,), (0.0,))
    older = MeterMinutely(DAY, None, (time(11, 0),), (400.0,), (50.0,), (0.0,))
    meters.apply_minutely(state, "M1", newer, at(DAY, 12, 5))
    meters.apply_minutely(state, "M1", older, at(DAY, 12, 6))
    meter = state.meters["M1"]
    assert meter.grid_w == 100.0
    assert meter.energy["imported"].today is None
    empty = MeterMinutely(DAY, None, (time(13, 0),), (), (), ())
    meters.apply_minutely(state, "M1", empty, at(DAY, 13, 5))
    assert [meter.consumption_w, meter.grid_w, meter.production_w] == [None, None, None]
    meters.apply_minutely(state, "M1", MeterMinutely(DAY, None, (), (), (), ()), at(DAY, 13, 6))
    assert meter.last_report == at(DAY, 13)


def test_power_and_meter_bounds() -> None:
    """Production power beyond what the inverters can deliver (2 DS3 and a QT2: 9000 W with
    the margin; before the inverter list 1.5 times the capacity), meter power beyond 100 kW,
    meter energies beyond what that gives in their period, or today's meter totals grown
    faster than that: each named with its field and value."""
    state = site()  # 4.2 kW declared
    assert state.power_problem("channel power", [100.0, None, 9000.0]) is None
    problem = state.power_problem("channel power", [100.0, 9001.0])
    assert problem == "channel power of 9001 W, more than the 9000 W the system can deliver"
    unlisted = SiteState("S", capacity_kw=4.2)
    assert unlisted.max_power_w == 6300.0
    unlisted.capacity_kw = None
    assert unlisted.power_problem("x", [99_000.0]) is None
    assert unlisted.power_problem("x", [100_001.0]) is not None

    def curve(power: float, energy: float, today: float) -> MeterMinutely:
        totals = MeterTotals(today, today, today, today)
        return MeterMinutely(
            DAY,
            totals,
            (time(12, 0),),
            (power,),
            (-power,),
            (power,),
            {"consumed": (energy,)},
        )

    assert meters.curve_problem(state, "M1", curve(5000.0, 0.4, 30.0)) is None
    assert meters.curve_problem(state, "M1", curve(-100_001.0, 0.4, 30.0)) is not None
    assert meters.curve_problem(state, "M1", curve(5000.0, 26.0, 30.0)) == (
        "meter consumed energy of 26 kWh in 5 minutes"
    )
    assert meters.curve_problem(state, "M1", curve(5000.0, 0.4, 2401.0)) is not None
    meters.apply_minutely(state, "M1", curve(5000.0, 0.4, 30.0), at(DAY, 12, 1))
    later = MeterMinutely(
        DAY, MeterTotals(30.0, 30.0, 30.0, 260.0), (time(13, 0),), (1.0,), (1.0,), (1.0,), {}
    )
    # 230 kWh in an hour is no household's: 100 kW for 1 h 15 min gives 125 at most.
    assert (
        meters.curve_problem(state, "M1", later) == "meter today produced grown by 230 kWh in 1.0 h"
    )
    assert meters.totals_problem("lifetime", MeterTotals(1.0, 1.0, 1.0, -1.0), 9) is not None
    assert meters.totals_problem("lifetime", None, 9) is None
