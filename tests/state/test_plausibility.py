"""Bad answers cannot lift or lower a lifetime for good (found by tests/ha/test_faults.py)."""

from datetime import date, time

from custom_components.apsystems_ema.dispatch import plausible_power
from custom_components.apsystems_ema.openapi import BatchEnergy, BatchPower, EnergySummary
from custom_components.apsystems_ema.state import (
    SiteState,
    Totals,
    ecu as ecus,
    inverter as inverters,
)
from tests.state.test_state import DAY, at, minutely, site


def started() -> SiteState:
    """The test site (4.2 kW) with exact summaries at 10:00 and a first curve."""
    state = site()
    state.apply_summary(EnergySummary(5.0, 100.0, 900.0, 5000.0), at(DAY, 10))
    ecus.apply_summary(state, "E1", EnergySummary(3.0, 60.0, 500.0, 3000.0), at(DAY, 10))
    ecus.apply_minutely(state, "E1", minutely(DAY, 3.0, (10, 0), 500.0), at(DAY, 10))
    return state


def test_absurd_values_are_ignored() -> None:
    """A million times the energy: summary, curve, hourly total and batch energy ignored."""
    state = started()
    lifetime, ecu_lifetime = state.energy.lifetime, state.ecus["E1"].energy.lifetime
    state.apply_summary(EnergySummary(5e6, 1e8, 9e8, 5e9), at(DAY, 11))
    ecus.apply_summary(state, "E1", EnergySummary(3e6, 6e7, 5e8, 3e9), at(DAY, 11))
    ecus.apply_minutely(state, "E1", minutely(DAY, 3e6, (11, 0), 5e8), at(DAY, 11))
    state.apply_system_day_energy(DAY, 5e6, at(DAY, 11))
    inverters.apply_batch_energy(state, "E1", BatchEnergy(DAY, {"U1": {1: 2e6}}), at(DAY, 11))
    assert state.energy.lifetime == lifetime
    assert state.ecus["E1"].energy.lifetime == ecu_lifetime
    assert state.ecus["E1"].power_w == 500.0
    assert state.inverters["U1"].today_kwh is None
    # A plausible answer still counts.
    ecus.apply_minutely(state, "E1", minutely(DAY, 4.0, (11, 0), 600.0), at(DAY, 11))
    assert state.ecus["E1"].energy.lifetime == 3001.0


def test_negative_and_zero_summaries_are_ignored() -> None:
    """A lifetime of 0, negative values or a self-contradicting summary move nothing back."""
    state = started()
    before = (state.energy.start, state.energy.month, state.energy.lifetime)
    for bad in (
        EnergySummary(0.0, 0.0, 0.0, 0.0),
        EnergySummary(-5.0, -100.0, -900.0, -5000.0),
        EnergySummary(6.0, 2.0, 900.0, 5006.0),  # today above the month
        EnergySummary(6.0, 100.0, 900.0, 3.0),  # today above the lifetime
    ):
        state.apply_summary(bad, at(DAY, 12))
        assert (state.energy.start, state.energy.month, state.energy.lifetime) == before
    ecus.apply_minutely(state, "E1", minutely(DAY, -3.0, (12, 0), -5.0), at(DAY, 12))
    assert state.ecus["E1"].energy.today == 3.0
    # A slightly lower lifetime (rounding) and absent month / year are fine.
    state.apply_summary(EnergySummary(6.0, 0.0, 0.0, 4999.5), at(DAY, 13))
    assert state.energy.start == 4993.5


def test_bounds_without_capacity_or_creation_date() -> None:
    """Unknown capacity: only negative values are impossible."""
    state = SiteState("S")
    assert state.plausible_day(1e9)
    assert not state.plausible_day(-1)
    assert state.plausible_lifetime(1e12, date(2026, 1, 1))
    assert not state.plausible_lifetime(-1, date(2026, 1, 1))
    totals = Totals()
    totals.set_summary(DAY, EnergySummary(1.0, 0.0, 0.0, 10.0), at(DAY, 9))
    assert totals.lifetime == 10.0


def test_a_day_cut_short_or_impossible_is_a_problem() -> None:
    """Lists with less than the day's known energy (cut short, zeros, nulls), negative or
    impossible values are refused with a reason; a little less (late samples) is not."""
    state = started()  # 4.2 kW
    hours = [0.0] * 7 + [0.5] * 10 + [0.0] * 7  # 5 kWh
    assert state.day_problem(hours, None) is None
    assert state.day_problem(hours, 5.0) is None
    assert state.day_problem(hours, 5.4) is None  # within 10 % + 50 Wh
    assert state.day_problem(hours, 5.7) == (
        "5.00 kWh in all, less than the 5.70 kWh already known"
    )
    assert state.day_problem([0.0] * 24, 5.0) is not None
    assert state.day_problem([], 5.0) is not None
    assert state.day_problem([], None) is None  # nothing known, nothing lost
    assert state.day_problem([*hours[:-1], -0.1], None) == "negative energy"
    assert "more than the capacity" in str(state.day_problem([50.0] * 24, None))


def test_refused_summaries_say_why() -> None:
    """The reason a summary was ignored comes back (the coordinator logs it)."""
    state = started()
    assert state.apply_summary(EnergySummary(6.0, 101.0, 901.0, 5001.0), at(DAY, 11)) is None
    assert state.apply_summary(EnergySummary(0.0, 0.0, 0.0, 0.0), at(DAY, 12)) == (
        "a lifetime of 0.00 kWh, below the 5001.00 kWh already counted"
    )
    assert ecus.apply_summary(state, "E1", EnergySummary(6.0, 2.0, 9.0, 3006.0), at(DAY, 12)) == (
        "the summary contradicts itself"
    )
    assert "capacity" in str(state.apply_summary(EnergySummary(5e6, 1e8, 9e8, 5e9), at(DAY, 12)))
    assert state.energy.known_on(DAY) == 6.0
    assert state.energy.known_on(date(2026, 1, 1)) is None


def test_power_beyond_the_hardware_is_named() -> None:
    """A batch power curve is refused when its ECU's slot or the system with the other
    ECUs' power exceeds what their inverters can deliver (their ratings with a margin: E2's
    QT2's 4 channels of 750 W, 4500 W; the system's 2 DS3 and a QT2, 9000 W), or when its
    impossible
    figures are more than a glitch; a glitch is dropped, the rest kept."""
    state = started()  # E1 shows 500 W
    times = (time(12, 0), time(12, 5))

    def curve(*values: float) -> BatchPower:
        return BatchPower(DAY, times, {"U3": {n: (v, v) for n, v in enumerate(values, 1)}})

    def problem(power: BatchPower, eid: str = "E2") -> str | None:
        return plausible_power(state, eid, power)[1]

    assert problem(curve(500.0, 500.0, 500.0, 400.0)) is None
    assert problem(curve(550.0, 550.0, 550.0, 550.0)) is None  # 2200 W: within the margin
    assert problem(curve(1400.0, 1400.0, 1400.0, 1400.0)) == (
        "the ECU's power of 5600 W, more than the 4500 W the system can deliver"
    )
    state.ecus["E1"].power_w = 7000.0
    assert problem(curve(550.0, 550.0, 550.0, 550.0)) == (
        "the system's power of 9200 W, more than the 9000 W the system can deliver"
    )
    assert "channel power of 640000 W" in str(problem(curve(6400.0 * 100)))
