"""When a power reading still counts as current: in daylight, at night, for meters, in polar
night."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from custom_components.apsystems_ema.planner.freshness import live_power
from custom_components.apsystems_ema.planner.sun import Daylight

AMSTERDAM = Daylight(52.37, 4.9, ZoneInfo("Europe/Amsterdam"))
TROMSO = Daylight(69.65, 18.96, ZoneInfo("Europe/Oslo"))
NOON = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)  # 12:00 in Amsterdam
HOUR = timedelta(hours=1)


def test_a_reading_stands_for_three_intervals_of_daylight() -> None:
    def shown(age: timedelta, *, interval: timedelta = HOUR, production: bool = True) -> object:
        return live_power(
            500.0,
            NOON - age,
            NOON,
            daylight=AMSTERDAM,
            interval=interval,
            production=production,
        )

    assert shown(3 * HOUR) == 500.0
    assert shown(3 * HOUR + timedelta(minutes=1)) is None
    assert shown(timedelta(minutes=31), interval=timedelta(minutes=5)) is None  # 30 min at least
    assert shown(timedelta(minutes=29), interval=timedelta(minutes=5)) == 500.0
    # Last evening's reading: only the daylight since sunrise (about 05:20) counts.
    assert shown(timedelta(hours=14)) is None
    assert live_power(None, NOON, NOON, daylight=AMSTERDAM, interval=HOUR) is None
    assert live_power(7.0, None, NOON, daylight=AMSTERDAM, interval=HOUR) == 7.0


def test_production_is_zero_at_night_and_a_meter_just_ages() -> None:
    night = datetime(2026, 7, 1, 23, 0, tzinfo=UTC)  # 01:00 in Amsterdam
    sample = night - 5 * HOUR
    assert live_power(800.0, sample, night, daylight=AMSTERDAM, interval=HOUR) == 0.0
    meter = live_power(800.0, sample, night, daylight=AMSTERDAM, interval=HOUR, production=False)
    assert meter is None
    recent = live_power(
        800.0, night - HOUR, night, daylight=AMSTERDAM, interval=HOUR, production=False
    )
    assert recent == 800.0
    polar_night = datetime(2026, 12, 21, 11, 0, tzinfo=UTC)
    assert live_power(3.0, polar_night - 9 * HOUR, polar_night, daylight=TROMSO, interval=HOUR) == 0
