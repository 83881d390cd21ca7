"""The hourly records behind the statistics, and the counters' day mechanics (pure)."""

from datetime import date, time

import pytest

from custom_components.apsystems_ema.history import by_hour
from custom_components.apsystems_ema.openapi import BatchPower
from custom_components.apsystems_ema.planner import CallKind
from custom_components.apsystems_ema.records import (
    PRODUCTION,
    STORAGE_SERIES,
    HourlyRecords,
    ecu_series,
    storage_series,
)
from custom_components.apsystems_ema.state import Slots, Totals, ecu_slots, on_grid, slot_energies

DAY = date(2026, 7, 2)


def curve(hours: range, watts: float, day: date = DAY) -> BatchPower:
    """A flat curve of one channel on the 5-minute grid over whole hours."""
    times = tuple(time(h, m) for h in hours for m in range(0, 60, 5))
    return BatchPower(day, times, {"U1": {1: tuple(watts for _ in times)}})


def test_slot_energies_integrate_trapezoids_and_skip_gaps() -> None:
    times = (time(10, 0), time(10, 5), time(10, 10), time(11, 0))
    energies = slot_energies(times, (600.0, 600.0, None, 1200.0))
    # 0 W before the first sample; a missing sample counts as 0 W; a 50-minute gap is
    # integrated over 30 minutes only.
    assert energies == pytest.approx([0.025, 0.05, 0.025, 0.3])
    assert slot_energies((), ()) == []


def test_gaps_are_shared_by_the_slots_they_cover() -> None:
    """A point after a gap carries the gap's energy; on the grid each missing slot gets its
    share, the power running straight between the two samples: an hour boundary inside a
    gap puts each part in its own hour (live accounts answer days with gaps)."""
    times = (time(9, 50), time(10, 5), time(10, 10), time(11, 0))
    grid = on_grid(times, (600.0, 1200.0, 1200.0, 600.0))
    assert grid.times[:5] == (time(9, 50), time(9, 55), time(10, 0), time(10, 5), time(10, 10))
    # 600 W -> 800 -> 1000 -> 1200 across the 15-minute gap.
    assert grid.energy[1:4] == pytest.approx([700 / 12000, 900 / 12000, 1100 / 12000])
    # Over the 50-minute gap, 30 minutes of (1200 + 600) / 2, in six even shares.
    assert grid.times[5:] == (*(time(10, m) for m in range(35, 60, 5)), time(11, 0))
    assert grid.energy[5:] == pytest.approx([0.45 / 6] * 6)
    assert sum(grid.energy) == pytest.approx(sum(slot_energies(times, (600, 1200, 1200, 600))))
    assert by_hour(grid.times, grid.energy)[9] == pytest.approx((300 + 700) / 12000, abs=1e-6)
    # The least and the most the gaps may have held: each at its lower or higher sample.
    assert grid.floor == pytest.approx((300 + 3 * 600 + 1200 + 6 * 600) / 12000)
    assert grid.until(time(10, 0)) == pytest.approx((300 + 1200 + 1200) / 12000)
    # A sample repeated at the same minute adds nothing.
    twice = on_grid((time(9, 0), time(9, 0)), (600.0, 600.0))
    assert twice.energy == pytest.approx([0.025, 0.0])
    assert (twice + Slots()) is twice
    assert (Slots() + twice) is twice
    assert (twice + twice).energy == pytest.approx([0.05])  # one slot, counted from both


def test_estimates_become_exact_and_system_hours_add_up() -> None:
    records = HourlyRecords()
    records.estimate("E1", curve(range(10, 12), 1200.0), ["E1", "E2"])
    assert PRODUCTION not in records.series  # E2 has no hours of the day yet
    records.estimate("E2", curve(range(10, 11), 600.0), ["E1", "E2"])
    e1 = records.days(ecu_series("E1"))[DAY]
    assert len(e1) == 12
    assert sum(e1) == pytest.approx(ecu_slots(curve(range(10, 12), 1200.0)).total)
    assert records.days(PRODUCTION)[DAY][10] == pytest.approx(
        e1[10] + records.days(ecu_series("E2"))[DAY][10]
    )
    # The closing's exact day scales the curve's hours; a full curve is not due again.
    exact = sum(e1) * 1.01  # the API's figure, 1 % above the curve's: within a full curve
    records.exact_ecu_day("E1", DAY, exact)
    assert sum(records.days(ecu_series("E1"))[DAY]) == pytest.approx(exact)
    assert records.curves_due == set()
    assert records.take_changed() == {ecu_series("E1"): DAY, ecu_series("E2"): DAY, PRODUCTION: DAY}
    assert records.changed == {}


def test_a_curve_that_missed_the_days_end_is_due_and_completed() -> None:
    records = HourlyRecords()
    records.record(PRODUCTION, DAY, [0.0] * 10 + [1.0, 2.0, 1.0])
    records.estimate("E1", curve(range(10, 11), 1200.0), ["E1"], system=False)
    records.exact_ecu_day("E1", DAY, 3.0)  # the curve holds 1.1 kWh: the end is missing
    assert records.curves_due == {("E1", DAY)}
    assert sum(records.days(ecu_series("E1"))[DAY]) == pytest.approx(3.0)
    queue = records.backfill(today=DAY, created=DAY, producing=["E1"], meters=[])
    assert (queue[0].kind, queue[0].target, queue[0].day, queue[0].backfill) == (
        CallKind.BATCH_POWER,
        "E1",
        DAY,
        True,
    )
    records.complete("E1", curve(range(10, 13), 1000.0))
    hours = records.days(ecu_series("E1"))[DAY]
    assert sum(hours) == pytest.approx(3.0)  # the exact day, now in the whole curve's shape
    assert hours[11] == pytest.approx(hours[12])  # flat after the first sample's ramp
    assert records.curves_due == set()
    # Without any curve of the day, the system's hours lend their shape.
    records.exact_ecu_day("E2", DAY, 2.0)
    assert records.days(ecu_series("E2"))[DAY][11] == pytest.approx(1.0)


def test_records_round_trip_and_refuse_garbage() -> None:
    records = HourlyRecords()
    records.record(PRODUCTION, DAY, [0.5, 1.5])
    records.answered.add("system_hourly::2026-07-01")
    records.curves_due.add(("E1", DAY))
    again = HourlyRecords.from_dict(records.as_dict())
    assert (again.series, again.answered, again.curves_due, again.changed) == (
        records.series,
        records.answered,
        records.curves_due,
        records.changed,
    )
    with pytest.raises(ValueError, match="unreadable"):
        HourlyRecords.from_dict({"series": {PRODUCTION: []}, "answered": []})
    with pytest.raises(ValueError, match="Invalid isoformat"):
        HourlyRecords.from_dict({"series": {PRODUCTION: {"not a day": [1]}}, "answered": []})
    assert not records.record(PRODUCTION, DAY, [0.5, 1.5])  # the same hours change nothing
    assert not records.record(PRODUCTION, DAY, [])


def test_an_exact_day_within_its_rounding_keeps_the_estimate() -> None:
    totals = Totals(day=DAY, today=10.0, start=100.0, lifetime=110.0)
    totals.set_today(DAY, 10.004, exact=True, resolution=0.01)
    assert (totals.today, totals.exact) == (10.0, True)
    totals.set_today(DAY, 12.0)  # an estimate never replaces an exact figure
    assert totals.today == 10.0
    other = Totals(day=DAY, today=10.0, start=100.0, lifetime=110.0)
    other.set_today(DAY, 9.5, exact=True, resolution=0.01)  # beyond the rounding: it corrects
    assert other.today == 9.5
    assert other.lifetime == 110.0  # the lifetime shown never decreases


def test_yesterdays_exact_figure_after_today_began_moves_todays_start() -> None:
    totals = Totals(day=DAY, today=10.0, start=100.0, month_start=50.0, lifetime=110.0)
    tomorrow = date(2026, 7, 3)
    totals.set_today(tomorrow, 1.0)  # a morning poll before the catch-up closing
    assert totals.start == 110.0
    totals.set_today(DAY, 12.0, exact=True)  # yesterday ended with 12, not 10
    assert totals.start == 112.0
    assert totals.month_start == pytest.approx(62.0)
    assert totals.lifetime == 113.0
    totals.set_today(DAY, 13.0, exact=True)  # only once
    assert totals.start == 112.0


def test_a_batterys_missing_days_are_backfilled_hour_by_hour() -> None:
    """A battery's series (charge, discharge, grid import and export) are filled like the
    system's production: hour by hour for a month, then month by month back to the
    creation."""
    records = HourlyRecords()
    first = date(2026, 6, 25)
    records.record(storage_series("S1", "battery_charge"), first, [0.5] * 24)
    records.record(storage_series("S1", "battery_export"), date(2026, 6, 28), [0.1] * 24)
    queue = records.backfill(
        today=DAY, created=date(2025, 1, 1), producing=[], meters=[], storage=["S1"]
    )
    battery = [c for c in queue if c.target == "S1"]
    assert {c.target for c in battery} == {"S1"}
    assert all(c.backfill for c in battery)
    hourly = [c.day for c in battery if c.kind is CallKind.STORAGE_HOURLY]
    daily = [c.day for c in battery if c.kind is CallKind.STORAGE_DAILY]
    # Like the system's: the last 31 days hour by hour (up to the day before yesterday, but
    # the days it has), then the older months back to the creation day by day.
    assert hourly[:4] == [
        date(2026, 6, 30),
        date(2026, 6, 29),
        date(2026, 6, 27),
        date(2026, 6, 26),
    ]
    assert first not in hourly
    assert len(hourly) == 31 - 2
    assert daily[0] == date(2026, 5, 1)
    assert daily[-1] == date(2025, 1, 1)
    assert len(daily) == 17
    # A storage-only system produces nothing: no solar history is asked for.
    assert not [c for c in queue if c.kind in (CallKind.SYSTEM_HOURLY, CallKind.SYSTEM_DAILY)]
    assert set(STORAGE_SERIES.values()) == {
        "battery_charge",
        "battery_discharge",
        "battery_import",
        "battery_export",
    }
