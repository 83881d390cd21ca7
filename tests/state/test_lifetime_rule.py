"""The lifetime rule: a lifetime is never above the API's lifetime as of the newest answer plus
what was produced after it, also when a summary leaves out (or nulls) its ``today``.

The API's lifetime includes the day's energy so far (the manual). A summary without ``today``
is an anchor as of the instant it was fetched; the day's start follows once a curve of the
day, fetched after it, says how much of the day was counted by then.
"""

from datetime import time, timedelta

import pytest

from custom_components.apsystems_ema.openapi import (
    BatchPower,
    EcuMinutely,
    EnergySummary,
    InverterSummary,
    MeterMinutely,
    MeterSummary,
    MeterTotals,
)
from custom_components.apsystems_ema.state import (
    SiteState,
    Totals,
    ecu as ecus,
    energy_until,
    inverter as inverters,
    meter as meters,
    slot_energies,
)
from tests.state.test_state import DAY, at, site

# A curve of one channel: 1000 W from 08:00 to 12:00, every 5 minutes.
TIMES = tuple(time(h, m) for h in range(8, 12) for m in range(0, 60, 5))
WATTS = tuple(1000.0 for _ in TIMES)


def curve(upto: time, uids: tuple[str, ...] = ("U1", "U2")) -> BatchPower:
    """A batch power curve up to ``upto``: every inverter's channel 1 at 1000 W."""
    n = sum(1 for t in TIMES if t <= upto)
    return BatchPower(DAY, TIMES[:n], {uid: {1: WATTS[:n]} for uid in uids})


def until(clock: time, uids: int = 2) -> float:
    """The curve's energy up to ``clock`` (what the API counted by then), kWh."""
    return uids * energy_until(TIMES, slot_energies(TIMES, WATTS), clock)


def test_a_summary_with_today_fixes_the_start_at_once() -> None:
    totals = Totals()
    assert totals.set_summary(DAY, EnergySummary(3.0, 30.0, 300.0, 1000.0), at(DAY, 10)) is None
    assert (totals.start, totals.today, totals.lifetime) == (997.0, 3.0, 1000.0)
    assert totals.anchor is None


def test_a_summary_without_today_is_an_anchor_until_a_curve_settles_it() -> None:
    """Before the fix, the start was the lifetime itself: the day counted twice."""
    totals = Totals()
    assert totals.set_summary(DAY, EnergySummary(None, 30.0, 300.0, 1000.0), at(DAY, 10)) is None
    assert (totals.start, totals.lifetime) == (None, 1000.0)  # the API's own, as of 10:00
    assert totals.anchored_at(DAY) == at(DAY, 10)
    assert totals.anchored_at(DAY + timedelta(days=1)) is None
    totals.set_today(DAY, 3.5)  # an estimate before the anchor settles: no start yet
    assert totals.lifetime == 1000.0
    totals.settle(DAY, 3.0)  # 3 kWh of the day were counted by 10:00
    assert totals.anchor is None
    assert totals.start == 997.0
    assert totals.month == pytest.approx(30.5)
    assert totals.year == pytest.approx(300.5)
    assert totals.lifetime == pytest.approx(1000.5)
    totals.settle(DAY, 99.0)  # nothing to settle any more
    assert totals.start == 997.0


def test_an_anchor_left_unsettled_counts_its_whole_day_as_before_it() -> None:
    """No curve of the day came: the next day starts from the anchor's lifetime (never
    above the truth: the day's energy after the anchor is lost, not counted twice)."""
    totals = Totals()
    totals.set_summary(DAY, EnergySummary(None, 30.0, 300.0, 1000.0), at(DAY, 10))
    totals.set_today(DAY, 4.0)
    totals.set_today(DAY + timedelta(days=1), 1.0)
    assert totals.start == 1000.0
    assert totals.lifetime == 1001.0
    assert totals.anchor is None


def test_settling_is_bounded_by_the_anchor() -> None:
    totals = Totals()
    totals.set_summary(DAY, EnergySummary(None, 0.0, 0.0, 2.0), at(DAY, 10))
    totals.settle(DAY, 5.0)  # more than the lifetime: an inconsistent curve
    assert totals.start == 0.0
    totals = Totals()
    totals.set_summary(DAY, EnergySummary(None, 0.0, 0.0, 2.0), at(DAY, 10))
    totals.settle(DAY, -1.0)
    assert totals.start == 2.0


def test_the_system_summary_without_today_settles_with_every_ecus_curve() -> None:
    """Summary at 10:00 without today; both ECUs' curves, fetched at 10:30, hold what the
    API had counted by 10:00: the lifetime is then the API's."""
    state = site()
    assert state.apply_summary(EnergySummary(None, 50.0, 400.0, 2000.0), at(DAY, 10)) is None
    assert state.energy.lifetime == 2000.0
    before = curve(time(10, 30), ("U1", "U2"))
    inverters.apply_batch_power(state, "E1", before, at(DAY, 9, 30))  # fetched before: no
    assert state.energy.anchored_at(DAY) == at(DAY, 10)
    inverters.apply_batch_power(state, "E1", before, at(DAY, 10, 30))
    assert state.energy.anchored_at(DAY) == at(DAY, 10)  # E2's part is still missing
    assert state.anchor_parts == {"E1": pytest.approx(until(time(10, 0)))}
    inverters.apply_batch_power(state, "E2", curve(time(10, 30), ("U3",)), at(DAY, 10, 30))
    assert state.energy.anchor is None
    assert state.anchor_parts == {}
    counted = until(time(10, 0)) + until(time(10, 0), uids=1)
    assert state.energy.start == pytest.approx(2000.0 - counted)
    # The lifetime shown is the API's at 10:00 plus what was produced after it.
    produced = until(time(10, 30), uids=3) - counted
    assert state.energy.lifetime == pytest.approx(2000.0 + produced)


def test_a_new_system_summary_forgets_the_parts_of_the_old_anchor() -> None:
    state = site()
    state.apply_summary(EnergySummary(None, 0.0, 0.0, 2000.0), at(DAY, 10))
    inverters.apply_batch_power(state, "E1", curve(time(10, 30)), at(DAY, 10, 30))
    assert state.anchor_parts
    state.apply_summary(EnergySummary(1.0, 0.0, 0.0, 2001.0), at(DAY, 11))
    assert state.anchor_parts == {}
    assert state.energy.anchor is None
    state.settle_system("E1", DAY, 1.0)  # no anchor: nothing kept
    assert state.anchor_parts == {}


def test_an_ecu_summary_without_today_settles_with_its_curves() -> None:
    state = site()
    assert ecus.apply_summary(state, "E1", EnergySummary(None, 0, 0, 500.0), at(DAY, 9)) is None
    inverters.apply_batch_power(state, "E1", curve(time(11, 0)), at(DAY, 11, 2))
    energy = state.ecus["E1"].energy
    assert energy.start == pytest.approx(500.0 - until(time(9, 0)))
    assert energy.lifetime == pytest.approx(500.0 - until(time(9, 0)) + until(time(11, 0)))
    # The ECU's own minutely curve settles it as well: its counter less the later points.
    ecus.apply_summary(state, "E2", EnergySummary(None, 0, 0, 300.0), at(DAY, 10))
    times = (time(9, 55), time(10, 0), time(10, 5))
    ecus.apply_minutely(
        state,
        "E2",
        EcuMinutely(DAY, 2.0, times, (100.0, 100.0, 100.0), (0.2, 0.2, 0.3)),
        at(DAY, 10, 6),
    )
    assert state.ecus["E2"].energy.start == pytest.approx(300.0 - (2.0 - 0.3))


def test_an_inverter_summary_without_day_keys_settles_with_its_curve() -> None:
    state = site()
    summary = InverterSummary.from_api({"m1": "17.12", "y1": "33.65", "t1": "1383.07"})
    assert summary.today is None
    assert inverters.apply_summary(state, "U1", summary, at(DAY, 9)) is None
    inv = state.inverters["U1"]
    assert inv.energy.lifetime == pytest.approx(1383.07)
    inverters.apply_batch_power(state, "E1", curve(time(11, 0)), at(DAY, 11, 2))
    half = until(time(9, 0), uids=1)
    assert inv.energy.start == pytest.approx(1383.07 - half)
    assert inv.energy.lifetime == pytest.approx(1383.07 - half + until(time(11, 0), uids=1))


def test_a_meter_summary_without_today_settles_with_the_meters_counter() -> None:
    state = site()
    lifetime = MeterTotals(1000.0, 200.0, 300.0, 900.0)
    meters.apply_summary(state, "M1", MeterSummary(None, None, None, lifetime), at(DAY, 10))
    consumed = state.meters["M1"].energy["consumed"]
    assert consumed.lifetime == 1000.0
    assert consumed.anchored_at(DAY) == at(DAY, 10)
    times = (time(9, 55), time(10, 0), time(10, 5))
    energy = dict.fromkeys(("consumed", "exported", "imported", "produced"), (0.1, 0.1, 0.1))
    today = MeterTotals(5.0, 1.0, 2.0, 4.0)
    curve_ = MeterMinutely(DAY, today, times, (1.0,) * 3, (1.0,) * 3, (1.0,) * 3, energy)
    meters.apply_minutely(state, "M1", curve_, at(DAY, 10, 6))
    # 5 kWh consumed by 10:05, 0.1 of it after 10:00: 4.9 were in the lifetime of 10:00.
    assert consumed.start == pytest.approx(1000.0 - 4.9)
    assert consumed.lifetime == pytest.approx(1000.1)
    assert state.meters["M1"].energy["produced"].lifetime == pytest.approx(900.1)


def test_a_meter_summary_without_lifetime_is_ignored() -> None:
    state = site()
    meters.apply_summary(state, "M1", MeterSummary(None, None, None, None), at(DAY, 10))
    assert state.meters["M1"].energy["consumed"].lifetime is None


def test_the_anchor_survives_a_restart() -> None:
    state = site()
    state.apply_summary(EnergySummary(None, 5.0, 6.0, 2000.0), at(DAY, 10))
    inverters.apply_batch_power(state, "E1", curve(time(10, 30)), at(DAY, 10, 30))
    again = SiteState.from_dict(state.as_dict())
    assert again.energy.anchor == state.energy.anchor
    assert again.anchor_parts == state.anchor_parts
    inverters.apply_batch_power(again, "E2", curve(time(10, 30), ("U3",)), at(DAY, 10, 31))
    assert again.energy.anchor is None


@pytest.mark.parametrize(
    "anchor",
    [{"at": None, "lifetime": 1.0}, {"at": "2026-06-30T10:00:00+02:00", "lifetime": -1}],
)
def test_an_unreadable_anchor_is_refused(anchor: dict[str, object]) -> None:
    data = site().as_dict()
    data["energy"]["anchor"] = anchor
    with pytest.raises(ValueError, match="anchor"):
        SiteState.from_dict(data)


def test_summaries_without_today_parse() -> None:
    stub = EnergySummary.from_api({"month": "68.79", "year": "134.67", "lifetime": "5559.20"})
    assert stub == EnergySummary(None, 68.79, 134.67, 5559.2)
    assert EnergySummary.from_api({"today": None, "lifetime": "1"}).today is None
    assert InverterSummary.from_api({"d1": "1", "t1": "9", "t2": "8"}).today is None
    assert InverterSummary.from_api({}).today is None
    assert InverterSummary.from_api({"d1": "1", "d2": "0.5", "t1": "9", "t2": "8"}).today == 1.5


def test_a_summarys_today_caps_the_curves_of_its_day_only() -> None:
    """The curves' estimate of the summary's day holds no more than the summary's today up
    to its instant plus what the curve holds after it; the next day is not capped."""
    totals = Totals()
    totals.set_summary(DAY, EnergySummary(2.0, 0.0, 0.0, 100.0), at(DAY, 10))

    def until(instant: object) -> float:
        return 2.5  # the curve says 2.5 kWh by 10:00, the API counted 2.0

    assert totals.cap(DAY, 4.0, until) == pytest.approx(3.5)
    assert totals.cap(DAY, 1.0, until) == 1.0
    totals.set_today(DAY + timedelta(days=1), 0.5)
    assert totals.reference is None
    assert totals.cap(DAY + timedelta(days=1), 4.0, until) == 4.0
