"""When a power reading still counts as current: in daylight, at night, for meters, in polar
night; and whether an inverter or an ECU reports."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from custom_components.apsystems_ema.planner.freshness import (
    DAWN,
    DUSK,
    ECU_SILENT_AFTER,
    LOW_SUN,
    MAX_RISE,
    SILENT_SLOTS,
    SLOT,
    ecu_reporting,
    follow_sun,
    inverter_reporting,
    judged_span,
    live_power,
)
from custom_components.apsystems_ema.planner.sun import Daylight

AMSTERDAM = Daylight(52.37, 4.9, ZoneInfo("Europe/Amsterdam"))
TROMSO = Daylight(69.65, 18.96, ZoneInfo("Europe/Oslo"))
NOON = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)  # 12:00 in Amsterdam
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


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


def test_an_inverter_behind_its_siblings_by_three_slots_is_not_reporting() -> None:
    ecu = NOON
    assert inverter_reporting(ecu, ecu) is True
    assert inverter_reporting(ecu - 2 * SLOT, ecu) is True  # an upload or two late
    assert inverter_reporting(ecu - SILENT_SLOTS * SLOT, ecu) is False
    assert inverter_reporting(ecu - 5 * HOUR, ecu) is False
    # No curve yet (for it or its ECU): unknown, not a verdict.
    assert inverter_reporting(None, ecu) is None
    assert inverter_reporting(ecu, None) is None


def test_an_ecu_is_judged_in_daylight_without_its_edges() -> None:
    day = NOON.date()
    sun = AMSTERDAM.sun(day)
    assert sun is not None
    assert judged_span(AMSTERDAM, day) == (sun.start + DAWN, sun.end - DUSK)
    # The polling window's offsets narrow it further.
    late = Daylight(52.37, 4.9, ZoneInfo("Europe/Amsterdam"), sunrise_offset=3 * HOUR)
    span = judged_span(late, day)
    assert span is not None
    assert span[0] == sun.start + 3 * HOUR
    # Under the midnight sun the whole day counts; in polar night none of it.
    assert judged_span(TROMSO, date(2026, 6, 21)) == (
        TROMSO.midnight(date(2026, 6, 21)),
        TROMSO.midnight(date(2026, 6, 22)),
    )
    assert judged_span(TROMSO, date(2026, 12, 21)) is None


def test_an_ecu_without_a_recent_sample_in_daylight_is_not_reporting() -> None:
    def verdict(
        newest: datetime | None, fetched: datetime | None, previous: bool | None = None
    ) -> bool | None:
        return ecu_reporting(newest, fetched, AMSTERDAM, previous)

    assert verdict(NOON - 10 * MINUTE, NOON) is True
    assert verdict(NOON - ECU_SILENT_AFTER, NOON) is True
    assert verdict(NOON - ECU_SILENT_AFTER - MINUTE, NOON) is False
    assert verdict(None, NOON) is False  # a curve without any sample
    # Before any curve: unknown (or what was known).
    assert verdict(None, None) is None
    assert verdict(None, None, previous=False) is False
    # At night the last daylight verdict stands; without one, reporting.
    night = datetime(2026, 7, 1, 23, 0, tzinfo=UTC)
    assert verdict(night - 4 * HOUR, night, previous=False) is False
    assert verdict(night - 4 * HOUR, night, previous=True) is True
    assert verdict(night - 4 * HOUR, night) is True
    # Just after sunrise the inverters may not be awake yet: no verdict.
    sun = AMSTERDAM.sun(NOON.date())
    assert sun is not None
    dawn = sun.start + 30 * MINUTE
    assert verdict(dawn - 8 * HOUR, dawn, previous=True) is True
    assert verdict(dawn - 8 * HOUR, sun.start + DAWN + MINUTE, previous=True) is False


def test_the_system_power_follows_the_sun_between_polls() -> None:
    """The morning's reading rises with the sun until noon and falls with it in the
    evening, in proportion to the sine of the sun's elevation."""
    morning = NOON - 3 * HOUR  # 09:00
    carried = follow_sun(1000.0, morning, NOON, daylight=AMSTERDAM)
    assert carried is not None
    ratio = AMSTERDAM.height(NOON) / AMSTERDAM.height(morning)
    assert 1.2 < ratio < MAX_RISE
    assert carried == round(1000.0 * ratio, 1)
    evening = NOON + 8 * HOUR  # 20:00: lower than at noon
    falling = follow_sun(3000.0, NOON, evening, daylight=AMSTERDAM)
    assert falling is not None
    assert falling == round(3000.0 * AMSTERDAM.height(evening) / AMSTERDAM.height(NOON), 1)
    assert 0 < falling < 3000.0 * 0.5
    # The system's capacity bounds it.
    assert follow_sun(1000.0, morning, NOON, daylight=AMSTERDAM, limit_w=1100.0) == 1100.0


def test_a_reading_at_low_sun_or_no_reading_is_shown_as_it_is() -> None:
    dawn = datetime(2026, 7, 1, 3, 40, tzinfo=UTC)  # 05:40, the sun barely up
    assert AMSTERDAM.height(dawn) < LOW_SUN
    assert follow_sun(40.0, dawn, NOON, daylight=AMSTERDAM) == 40.0
    # Low but above the cut: the rise is capped.
    early = datetime(2026, 7, 1, 4, 35, tzinfo=UTC)  # 06:35
    assert LOW_SUN <= AMSTERDAM.height(early) < AMSTERDAM.height(NOON) / MAX_RISE
    assert follow_sun(100.0, early, NOON, daylight=AMSTERDAM) == 100.0 * MAX_RISE
    assert follow_sun(None, NOON, NOON, daylight=AMSTERDAM) is None
    assert follow_sun(0.0, NOON - HOUR, NOON, daylight=AMSTERDAM) == 0.0
    assert follow_sun(500.0, None, NOON, daylight=AMSTERDAM) == 500.0
    assert follow_sun(500.0, NOON, NOON, daylight=AMSTERDAM) == 500.0  # measured just now
    night = datetime(2026, 7, 1, 22, 0, tzinfo=UTC)
    assert AMSTERDAM.height(night) == 0.0
    assert follow_sun(500.0, NOON, night, daylight=AMSTERDAM) == 0.0
