"""Panel health's decisions: relative yield against the siblings, Underperforming after 3
low days with enough sun (a dead one at once), off after 2 good days, the threshold."""

from datetime import date, timedelta

import pytest

from custom_components.apsystems_ema.health import Health
from custom_components.apsystems_ema.health.judge import LOW_DAYS, MIN_DAYS, Verdict
from tests.health.helpers import Roof, inverters, run

DAY = date(2026, 7, 1)
LEARNING = [5.0, 4.6, 5.2, 4.9, 5.1]  # good days: a week of learning
A1 = ("a", 1)


def learned(roof: Roof, threshold: float = 0.85) -> tuple[Health, date]:
    """A learner that has seen a week of good days; the next day."""
    health = Health(threshold)
    return health, run(health, roof, DAY, LEARNING)


def mixed() -> Roof:
    """Four inverters facing south, modules of three sizes."""
    return Roof(
        {
            ("a", 1): 0.40,
            ("a", 2): 0.40,
            ("b", 1): 0.44,
            ("b", 2): 0.44,
            ("c", 1): 0.30,
            ("c", 2): 0.43,
            ("d", 1): 0.41,
            ("d", 2): 0.41,
        }
    )


def test_mixed_modules_show_their_figures_and_no_alarm() -> None:
    """Every channel and inverter shows about 100 % once learned; nothing turns on over a
    month of sunny and dull days."""
    health, day = learned(mixed())
    for level in [5.0, 0.5, 3.0, 4.4, 1.6, 5.3] * 4:
        run(health, mixed(), day, [level])
        day += timedelta(days=1)
    for verdict in [*health.channels.values(), *health.inverters.values()]:
        assert not verdict.on
        assert verdict.figure == pytest.approx(1.0, abs=0.02)
    small = health.channel("c", 1)
    assert small is not None
    assert small.expected == pytest.approx(0.30 * 5.3, abs=0.02)
    assert small.energy == pytest.approx(0.30 * 5.3, abs=0.01)
    assert small.day == day - timedelta(days=1)


def test_no_figure_before_the_shares_are_learned() -> None:
    """The first days only teach: a figure needs MIN_DAYS good days of the channel before."""
    health = Health()
    day = run(health, mixed(), DAY, LEARNING[:MIN_DAYS])
    assert all(v.figure is None and v.judged is None for v in health.channels.values())
    run(health, mixed(), day, LEARNING[:1])
    assert all(v.figure is not None for v in health.channels.values())


def test_three_low_days_with_enough_sun_turn_it_on() -> None:
    """A module 25 % down: low on each sunny day, on after the third (since the first); the
    dull days between neither count nor break the run. Its inverter is down 12.5 %: off."""
    health, day = learned(mixed())
    loss = {A1: 0.25}
    day = run(health, mixed(), day, [5.0, 0.4, 4.8], losses=loss)  # two low, one dull
    verdict = health.channel(*A1)
    assert verdict is not None
    assert (verdict.on, verdict.low, verdict.low_since) == (False, 2, day - timedelta(days=3))
    assert verdict.figure == pytest.approx(0.75, abs=0.01)
    day = run(health, mixed(), day, [4.9], losses=loss)
    assert (verdict.on, verdict.since) == (True, day - timedelta(days=4))
    assert not verdict.dead
    inverter = health.inverter("a")
    assert inverter is not None
    assert not inverter.on
    assert inverter.figure == pytest.approx(0.875, abs=0.01)
    others = [v for c, v in health.channels.items() if c != A1]
    assert not any(v.on for v in others)
    assert all(v.figure == pytest.approx(1.0, abs=0.02) for v in others)


def test_two_good_days_turn_it_off_and_a_low_day_restarts_the_count() -> None:
    """On, then a good day, a low day (the good run starts again), two good days: off."""
    health, day = learned(mixed())
    day = run(health, mixed(), day, [5.0] * LOW_DAYS, losses={A1: 0.3})
    verdict = health.channel(*A1)
    assert verdict is not None
    assert verdict.on
    day = run(health, mixed(), day, [5.0])
    day = run(health, mixed(), day, [5.0], losses={A1: 0.3})
    day = run(health, mixed(), day, [5.0, 0.3])  # a good day and a dull one
    assert verdict.on
    assert verdict.good == 1
    run(health, mixed(), day, [4.5])
    assert (verdict.on, verdict.since) == (False, None)


def test_a_good_day_breaks_the_low_run() -> None:
    """Low, good, low, low: never three low in a row, never on."""
    health, day = learned(mixed())
    for loss in (0.3, 0.0, 0.3, 0.3, 0.0, 0.3, 0.3):
        day = run(health, mixed(), day, [5.0], losses={A1: loss})
    verdict = health.channel(*A1)
    assert verdict is not None
    assert not verdict.on
    assert verdict.low == 2


def test_a_mild_loss_stays_off_and_the_threshold_is_the_option() -> None:
    """10 % down: never on at 85 %; 20 % down: on at 85 %, off at a threshold of 75 %."""
    for threshold, loss, on in ((0.85, 0.10, False), (0.85, 0.20, True), (0.75, 0.20, False)):
        health, day = learned(mixed(), threshold)
        run(health, mixed(), day, [5.0] * 4, losses={A1: loss})
        verdict = health.channel(*A1)
        assert verdict is not None
        assert verdict.on is on, (threshold, loss)


def test_a_dead_channel_is_on_the_same_day() -> None:
    """Nothing while its siblings produce: on at once, its figure 0, also on the very first
    day (nothing learned yet), and also alone in its group (the system are its siblings)."""
    health = Health()
    run(health, mixed(), DAY, [5.0], losses={A1: 1.0})
    verdict = health.channel(*A1)
    assert verdict is not None
    assert (verdict.on, verdict.dead, verdict.since, verdict.figure) == (True, True, DAY, 0.0)
    assert health.inverter("a") is not None
    assert not health.inverter("a").on  # type: ignore[union-attr]
    # Coming back without a learned share: each day it produces with the others is good.
    run(health, mixed(), DAY + timedelta(days=1), [5.0, 5.0])
    assert not verdict.on
    assert verdict.figure is None
    # Alone on its side of the roof.
    roof = inverters(("e", 2, 0.4, -90), ("w", 1, 0.4, 90))
    health, day = learned(roof)
    run(health, roof, day, [5.0], losses={("w", 1): 1.0})
    assert health.channel("w", 1).on  # type: ignore[union-attr]


def test_no_dead_channel_on_a_dark_day() -> None:
    """Snow or night-like darkness everywhere: 0.00 all round is no dead channel."""
    health, day = learned(mixed())
    run(health, mixed(), day, [0.05], losses={A1: 1.0})
    verdict = health.channel(*A1)
    assert verdict is not None
    assert not verdict.on


def test_a_dead_inverter_is_on_the_same_day_and_its_channels_too() -> None:
    """Every channel of an inverter at 0.00 (or not in the answer): the inverter and its
    channels are on at once."""
    health, day = learned(mixed())
    run(health, mixed(), day, [4.0], losses={("b", 1): 1.0, ("b", 2): 1.0})
    inverter = health.inverter("b")
    assert inverter is not None
    assert (inverter.on, inverter.dead, inverter.figure) == (True, True, 0.0)
    assert inverter.expected == pytest.approx(0.88 * 4.0, abs=0.05)
    assert all(health.channel("b", n).on for n in (1, 2))  # type: ignore[union-attr]
    assert not health.inverter("a").on  # type: ignore[union-attr]


def test_a_split_roof_never_alarms_in_sun_or_cloud() -> None:
    """East and west compared within their sides: a cloudy morning (the east side makes a
    third of its usual) or afternoon is no alarm on either side."""
    roof = inverters(("e1", 2, 0.41, -90), ("e2", 2, 0.41, -90), ("w1", 2, 0.44, 90))
    roof.sizes[("w2", 1)] = roof.sizes[("w2", 2)] = 0.30
    roof.facing[("w2", 1)] = roof.facing[("w2", 2)] = 90
    health, day = learned(roof)
    for _ in range(3):
        day = run(health, roof, day, [5.0], morning=0.3)
        day = run(health, roof, day, [5.0], afternoon=0.2)
        day = run(health, roof, day, [5.0])
    assert health.model.groups == 2
    assert not any(v.on for v in [*health.channels.values(), *health.inverters.values()])
    assert all(v.figure == pytest.approx(1.0, abs=0.03) for v in health.channels.values())


def test_a_whole_system_down_alike_is_no_alarm() -> None:
    """Everyone 30 % down (dust on the whole roof, a hazy day) is no module's fault."""
    health, day = learned(mixed())
    run(health, mixed(), day, [5.0] * 4, losses=dict.fromkeys(mixed().sizes, 0.3))
    assert not any(v.on for v in health.channels.values())


def test_underperforming_siblings_leave_the_reference() -> None:
    """Two modules of an inverter down together: each is still judged against the healthy
    others, and their inverter too; the healthy ones never turn on."""
    health, day = learned(mixed())
    run(health, mixed(), day, [5.0] * 4, losses={("d", 1): 0.4, ("d", 2): 0.4})
    assert health.channel("d", 1).on  # type: ignore[union-attr]
    assert health.channel("d", 2).on  # type: ignore[union-attr]
    assert health.inverter("d").on  # type: ignore[union-attr]
    assert health.inverter("d").figure == pytest.approx(0.6, abs=0.02)  # type: ignore[union-attr]
    healthy = [v for c, v in health.channels.items() if c[0] != "d"]
    assert not any(v.on for v in healthy)


def test_a_day_closed_twice_or_out_of_order_is_ignored() -> None:
    """Closing an older day again changes nothing."""
    health, day = learned(mixed())
    before = health.as_dict()
    run(health, mixed(), DAY, [0.1], losses={A1: 1.0})
    assert health.as_dict() == before
    assert health.closed == day - timedelta(days=1)


def test_verdict_turns_on_once() -> None:
    """A unit already on keeps its first day; a dead one keeps its own."""
    verdict = Verdict()
    for n in range(4):
        verdict.decide(DAY + timedelta(days=n), 0.5, 0.85)
    assert (verdict.on, verdict.since, verdict.low) == (True, DAY, 4)
    verdict.died(DAY + timedelta(days=5), 1.0)
    assert (verdict.since, verdict.dead) == (DAY, False)
