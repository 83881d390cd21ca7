"""Plausibility from the hardware: the inverters' ratings bound the power, not the capacity the
details declare; one impossible figure is dropped, an answer full of them refused."""

from datetime import date, time

import pytest

from custom_components.apsystems_ema.dispatch import plausible_power
from custom_components.apsystems_ema.openapi import BatchPower, EcuInfo, InverterInfo, SystemDetails
from custom_components.apsystems_ema.state import SiteState
from custom_components.apsystems_ema.state.limits import (
    CHANNEL_W,
    RATING_MARGIN,
    channel_bound,
    inverter_bound,
)
from tests.state.test_state import DAY, TZ

TIMES = tuple(time(12, m) for m in range(0, 60, 5))


def extended() -> SiteState:
    """Declared 3.84 kW (the installer's figure before the extension); now 8 DS3 with 375 W
    modules on two ECUs: 6 kW."""
    state = SiteState("SID1")
    state.apply_details(SystemDetails("SID1", date(2024, 1, 1), 3.84, 1, TZ, ("E1", "E2")))
    state.apply_inventory(
        tuple(
            EcuInfo(eid, 0, TZ, tuple(InverterInfo(f"{eid}U{n}", "DS3") for n in range(4)))
            for eid in ("E1", "E2")
        ),
        DAY,
    )
    return state


def curve(eid: str, watts: float, *, glitch: float | None = None) -> BatchPower:
    """Each of the ECU's 4 DS3 channels at ``watts`` all hour (one figure ``glitch``)."""
    power = {f"{eid}U{n}": {c: tuple(watts for _ in TIMES) for c in (1, 2)} for n in range(4)}
    if glitch is not None:
        values = list(power[f"{eid}U0"][1])
        values[5] = glitch
        power[f"{eid}U0"][1] = tuple(values)
    return BatchPower(DAY, TIMES, power)


def test_ratings_per_model_and_a_generous_default() -> None:
    # The larger of the data sheet's rating and CHANNEL_W per channel, with the margin.
    assert inverter_bound("DS3D", 2) == 1800 * RATING_MARGIN  # the longest known prefix
    assert inverter_bound("DS3", 2) == 2 * CHANNEL_W * RATING_MARGIN
    assert inverter_bound("QT2D") == 4 * CHANNEL_W * RATING_MARGIN  # its model's 4 channels
    assert inverter_bound("XYZ-9", 2) == 2 * CHANNEL_W * RATING_MARGIN
    assert inverter_bound(None) == 4 * CHANNEL_W * RATING_MARGIN
    assert channel_bound("XYZ-9", 2) == CHANNEL_W * RATING_MARGIN
    assert channel_bound("DS3D") == 1800 * RATING_MARGIN


def test_an_extended_system_delivers_more_than_its_declared_capacity() -> None:
    """6005 W at noon on a system declared at 3.84 kW (1.5 times that: 5760 W, which refused
    it) is within what its 8 DS3 can deliver (16 channels of 750 W, with the margin 18 kW)."""
    state = extended()
    assert state.max_power_w == 16 * CHANNEL_W * RATING_MARGIN
    state.ecus["E1"].power_w = 3000.0
    power, problem = plausible_power(state, "E2", curve("E2", 375.625))  # 3005 W
    assert problem is None
    assert power == curve("E2", 375.625)
    # Its energies are no longer bounded by the declared capacity either.
    assert state.plausible_day(6.0 * 12)
    assert state.capacity_w == pytest.approx(16 * CHANNEL_W)


def test_one_impossible_figure_is_dropped_the_rest_kept() -> None:
    state = extended()
    for glitch in (1e6, -50.0):
        power, problem = plausible_power(state, "E1", curve("E1", 300.0, glitch=glitch))
        assert problem is None
        values = power.power["E1U0"][1]
        assert values[5] is None
        assert values[4] == values[6] == 300.0
        assert power.power["E1U1"][2] == tuple(300.0 for _ in TIMES)


@pytest.mark.parametrize("factor", [100.0, 1e6, -1.0])
def test_absurd_answers_stay_refused(factor: float) -> None:
    """An answer scaled by 100, a million or -1 (tests/ha/test_faults.py) is no glitch."""
    state = extended()
    _, problem = plausible_power(state, "E1", curve("E1", 300.0 * factor))
    assert problem is not None
    assert "channel power" in problem
