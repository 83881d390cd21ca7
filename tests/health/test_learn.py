"""Panel health's learning: orientation groups from the mean times of production, and each
channel's share within its group over the window of good days."""

from datetime import date, timedelta

import pytest

from custom_components.apsystems_ema.health import Health
from custom_components.apsystems_ema.health.learn import (
    GROUP_GAP,
    DayRecord,
    Model,
    fit_shares,
    learn,
    mean_times,
    split,
)
from tests.health.helpers import Roof, inverters, run

DAY = date(2026, 7, 1)
SUNNY = [5.0, 4.8, 5.2, 4.9, 5.1, 4.7]


def test_split_cuts_where_neighbours_lie_far_apart() -> None:
    """Sorted by mean time of production, a gap wider than GROUP_GAP starts a group."""
    offsets = {
        ("a", 1): -95.0,
        ("a", 2): -90.0,
        ("b", 1): 0.0,
        ("b", 2): GROUP_GAP - 1,  # a corner shaded in the morning: with the south side
        ("c", 1): 95.0,
        ("c", 2): 90.0,
    }
    assert split(offsets) == [
        [("a", 1), ("a", 2)],
        [("b", 1), ("b", 2)],
        [("c", 2), ("c", 1)],
    ]
    assert split({}) == []
    assert split(offsets, gap=200) == [sorted(offsets, key=offsets.__getitem__)]


def test_mean_times_count_only_the_days_a_channel_taught() -> None:
    """A day a channel did badly (not in ``learn``) does not move its mean time."""
    days = [
        DayRecord(DAY, {("a", 1): 1.0}, {("a", 1): -10.0}, frozenset({("a", 1)})),
        DayRecord(DAY, {("a", 1): 1.0}, {("a", 1): 30.0}, frozenset({("a", 1)})),
        DayRecord(DAY, {("a", 1): 0.2}, {("a", 1): 500.0}, frozenset()),
    ]
    assert mean_times(days) == {("a", 1): 10.0}


def test_shares_follow_the_module_sizes() -> None:
    """Mixed module sizes are the norm: each share is the channel's size against its group's
    average (1.0), whatever the weather of the day."""
    roof = Roof({("a", 1): 0.40, ("a", 2): 0.40, ("b", 1): 0.44, ("b", 2): 0.30})
    health = Health()
    run(health, roof, DAY, [5.0, 2.0, 3.0, 4.5])
    share = health.model.share
    mean = sum(roof.sizes.values()) / 4
    for channel, size in roof.sizes.items():
        assert share[channel] == pytest.approx(size / mean, abs=0.01)
    assert health.model.groups == 1
    assert health.model.days == dict.fromkeys(roof.sizes, 4)


def test_a_split_roof_makes_groups_that_last() -> None:
    """East, south and west channels end in three groups, earliest first; a cloudy morning
    does not move them (each day's times are against the system's of the same day)."""
    roof = inverters(("e", 2, 0.41, -90), ("s", 4, 0.43, 0), ("w", 2, 0.44, 90))
    health = Health()
    day = run(health, roof, DAY, SUNNY)
    run(health, roof, day, [4.0, 4.0], morning=0.3)
    model = health.model
    assert model.groups == 3
    assert {model.group[("e", 1)], model.group[("e", 2)]} == {0}
    assert {model.group[("s", n)] for n in range(1, 5)} == {1}
    assert {model.group[("w", 1)], model.group[("w", 2)]} == {2}
    assert health.group("w", 2) == 2
    assert health.group("x", 1) is None


def test_a_channel_never_seen_joins_the_group_nearest_the_system() -> None:
    """Without a curve (the polls failed all along) a channel joins the group nearest the
    system's mean time; a new channel goes where its own curve of the day says."""
    model = Model(
        group={("e", 1): 0, ("s", 1): 1},
        offset={("e", 1): -80.0, ("s", 1): 5.0},
        share={},
        days={},
        typical={},
    )
    assert model.place(("x", 1), None) == 1
    assert model.place(("x", 1), -70.0) == 0
    assert model.place(("e", 1), 300.0) == 0  # a learned channel keeps its group
    assert Model({}, {}, {}, {}, {}).place(("x", 1), 12.0) == 0
    days = [
        DayRecord(
            DAY + timedelta(days=n),
            {("e", 1): 1.0, ("e", 2): 1.0, ("s", 1): 2.0, ("s", 2): 2.0},
            {("e", 1): -80.0, ("e", 2): -80.0, ("s", 1): 40.0},
            frozenset({("e", 1), ("e", 2), ("s", 1), ("s", 2)}),
        )
        for n in range(3)
    ]
    learned = learn(days)
    assert learned.group[("s", 2)] == learned.group[("s", 1)]


def test_shares_leave_out_the_days_a_channel_did_badly() -> None:
    """A channel's bad day (left out of ``learn``) moves neither its own share nor its
    siblings'; a day that teaches one channel alone teaches nothing."""
    members = [("a", 1), ("a", 2), ("a", 3)]
    healthy = {("a", 1): 2.0, ("a", 2): 2.0, ("a", 3): 1.0}
    bad = {**healthy, ("a", 3): 0.2}
    days = [
        DayRecord(DAY, healthy, {}, frozenset(members)),
        DayRecord(DAY, bad, {}, frozenset(members[:2])),
        DayRecord(DAY, healthy, {}, frozenset(members[:1])),
    ]
    share, counted, typical = fit_shares(members, days)
    assert share == pytest.approx({("a", 1): 1.2, ("a", 2): 1.2, ("a", 3): 0.6}, rel=1e-4)
    assert counted == {("a", 1): 2, ("a", 2): 2, ("a", 3): 1}
    assert typical == pytest.approx(2.0 / 1.2, rel=1e-4)
    assert fit_shares(members, days[2:]) == ({}, {}, None)


def test_dull_days_do_not_teach() -> None:
    """A day whose median channel made too little (rounding would rule), or far below the
    group's typical good day, is not kept in the window."""
    roof = inverters(("a", 2, 0.4, 0), ("b", 2, 0.4, 0))
    health = Health()
    day = run(health, roof, DAY, [0.1])  # 0.04 kWh each
    assert health.days == []
    day = run(health, roof, day, [5.0, 5.0, 5.0])
    run(health, roof, day, [1.0])  # a fifth of a good day: judged? no; learned? no
    assert [r.day for r in health.days] == [DAY + timedelta(days=n) for n in (1, 2, 3)]
