"""The system's learnt production envelope: learning from the curves, its fallback to the sun,
its bounded size, following it between polls, and its persistence with the planner's memory
(and the migration of a file from before it)."""

from datetime import UTC, date, datetime, time, timedelta
import math
from zoneinfo import ZoneInfo

import pytest

from custom_components.apsystems_ema import codec
from custom_components.apsystems_ema.planner import PlannerState
from custom_components.apsystems_ema.planner.envelope import (
    BIN_MINUTES,
    BINS,
    MIN_DAYS,
    WINDOW_DAYS,
    Envelope,
)
from custom_components.apsystems_ema.planner.freshness import (
    MAX_INDEX,
    follow_envelope,
    follow_sun,
)
from custom_components.apsystems_ema.planner.sun import Daylight

ZONE = ZoneInfo("Europe/Amsterdam")
AMSTERDAM = Daylight(52.37, 4.9, ZONE)
TODAY = date(2026, 7, 10)


def bell(at: datetime, peak: float = 3000.0) -> float:
    """A clear day's power (W): a bell around 13:40 local (11:40 UTC), 0 at night."""
    hours = at.astimezone(UTC).hour + at.astimezone(UTC).minute / 60 - 11.67
    return max(0.0, peak * math.cos(hours / 8 * math.pi)) if abs(hours) < 4 else 0.0


def day_samples(day: date, share: float = 1.0, until: time = time(23, 55)):  # type: ignore[no-untyped-def]
    """Every 5-minute sample of a local day up to ``until``: the bell times ``share``."""
    out = []
    at = datetime.combine(day, time(0), ZONE)
    while at.time() <= until and at.date() == day:
        out.append((at, bell(at) * share))
        at += timedelta(minutes=5)
    return out


def learnt(days: int, share: float = 1.0) -> Envelope:
    envelope = Envelope()
    for n in range(days, 0, -1):
        day = TODAY - timedelta(days=n)
        envelope.learn(day, "E1", day_samples(day, share))
    return envelope


def utc(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(TODAY, time(hour, minute), UTC)


def test_it_knows_nothing_until_it_saw_enough_days() -> None:
    envelope = learnt(MIN_DAYS - 1)
    assert not envelope.ready(TODAY)
    assert envelope.at(utc(11, 45), TODAY) is None
    envelope = learnt(MIN_DAYS)
    assert envelope.ready(TODAY)
    noon = envelope.at(utc(11, 45), TODAY)
    assert noon is not None
    assert noon == pytest.approx(3000.0, rel=0.01)
    # Between bins' centres the envelope runs straight; at night it is 0.
    assert envelope.at(utc(0), TODAY) == 0.0
    morning = envelope.at(utc(9, 0), TODAY)
    assert morning is not None
    assert 0 < morning < noon


def test_the_envelope_is_the_best_day_of_the_window_summed_over_ecus() -> None:
    envelope = learnt(5, share=0.4)  # dull days
    envelope.learn(TODAY - timedelta(days=2), "E1", day_samples(TODAY - timedelta(days=2)))
    envelope.learn(TODAY - timedelta(days=2), "E2", day_samples(TODAY - timedelta(days=2), 0.5))
    noon = envelope.at(utc(11, 45), TODAY)
    assert noon == pytest.approx(4500.0, rel=0.01)  # E1's clear day and E2's best


def test_its_size_is_bounded_by_its_window() -> None:
    envelope = learnt(40)
    assert len(envelope.days) == WINDOW_DAYS + 1
    assert all(len(bins) == BINS for ecus in envelope.days.values() for bins in ecus.values())
    assert BINS * BIN_MINUTES == 24 * 60
    # Impossible samples are not learnt.
    envelope.learn(TODAY, "E1", [(utc(11, 40), -5.0), (utc(11, 45), math.inf), (utc(12), None)])
    assert all(v is None for v in envelope.days[TODAY]["E1"])


def test_power_follows_the_envelope_from_the_share_measured() -> None:
    envelope = learnt(7)
    sample = datetime.combine(TODAY, time(10, 30), ZONE)  # 08:30 UTC
    now = datetime.combine(TODAY, time(12, 30), ZONE)
    half = 0.5 * (envelope.at(sample, TODAY) or 0.0)
    shown = follow_envelope(half, sample, now, daylight=AMSTERDAM, envelope=envelope)
    assert shown == pytest.approx(0.5 * (envelope.at(now, TODAY) or 0.0), abs=0.1)
    # Capped by the system's limit, and a cloud's edge counts at most MAX_INDEX.
    capped = follow_envelope(half, sample, now, daylight=AMSTERDAM, envelope=envelope, limit_w=1000)
    assert capped == 1000.0
    bright = follow_envelope(1e6, sample, now, daylight=AMSTERDAM, envelope=envelope)
    assert bright == pytest.approx(MAX_INDEX * (envelope.at(now, TODAY) or 0.0), abs=0.1)
    # A reading of now, or none, is shown as it is.
    assert follow_envelope(half, now, now, daylight=AMSTERDAM, envelope=envelope) == half
    assert follow_envelope(None, sample, now, daylight=AMSTERDAM, envelope=envelope) is None


def test_before_the_first_poll_the_day_before_gives_its_clearness() -> None:
    envelope = learnt(6)
    yesterday = TODAY - timedelta(days=1)
    envelope.learn(yesterday, "E1", day_samples(yesterday, 0.5))  # bins keep their best ...
    envelope.days[yesterday]["E1"] = [
        None if v is None else v / 2 for v in envelope.days[yesterday]["E1"]
    ]  # ... so a dull day is set by hand
    evening = datetime.combine(yesterday, time(21, 30), ZONE)
    morning = datetime.combine(TODAY, time(9, 0), ZONE)
    shown = follow_envelope(0.0, evening, morning, daylight=AMSTERDAM, envelope=envelope)
    clearness = envelope.clearness(yesterday, TODAY)
    assert clearness == pytest.approx(0.5, abs=0.02)
    assert clearness is not None
    assert shown == pytest.approx(clearness * (envelope.at(morning, TODAY) or 0.0), abs=0.1)
    # At night nothing is made up.
    night = datetime.combine(TODAY, time(2, 0), ZONE)
    assert follow_envelope(0.0, evening, night, daylight=AMSTERDAM, envelope=envelope) == 0.0


def test_until_it_knows_enough_it_follows_the_sun() -> None:
    envelope = learnt(MIN_DAYS - 1)
    sample = datetime.combine(TODAY, time(9, 30), ZONE)
    now = datetime.combine(TODAY, time(11, 30), ZONE)
    assert follow_envelope(800.0, sample, now, daylight=AMSTERDAM, envelope=envelope) == (
        follow_sun(800.0, sample, now, daylight=AMSTERDAM)
    )


def test_it_is_kept_with_the_planner_memory_and_an_older_file_gains_it() -> None:
    state = PlannerState(envelope=learnt(4))
    again = PlannerState.from_dict(state.as_dict())
    assert again.envelope.at(utc(11, 45), TODAY) == pytest.approx(
        state.envelope.at(utc(11, 45), TODAY) or 0.0, abs=1.0
    )
    assert again.envelope.as_dict() == state.envelope.as_dict()
    # A planner memory from before the envelope (state file 1.2) reads with an empty one.
    old = state.as_dict()
    del old["envelope"]
    migrated = codec.migrate_state(1, 2, {"site": {}, "planner": old})
    assert migrated["planner"]["envelope"] == {}
    assert PlannerState.from_dict(migrated["planner"]).envelope.days == {}
    assert PlannerState.from_dict(old).envelope.days == {}
    # A damaged envelope is unreadable (the planner's memory then starts afresh).
    bad: object
    for bad in ({"2026-07-01": {"E1": [1, 2]}}, {"2026-07-01": {"E1": ["x"] * BINS}}, []):
        with pytest.raises(ValueError, match="envelope"):
            PlannerState.from_dict({**old, "envelope": bad})
