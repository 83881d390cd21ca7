"""Hourly rows in the system's timezone → UTC hour starts, DST-correct, with running totals."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from custom_components.apsystems_ema.history import (
    HourRow,
    by_hour,
    by_label,
    hour_start,
    rows,
    rows_from,
)

AMS = ZoneInfo("Europe/Amsterdam")


def utc(text: str) -> datetime:
    """A UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_summer_day() -> None:
    """Local midnight in Amsterdam (UTC+2) is 22:00 UTC the day before; totals run on."""
    values = [0.0] * 6 + [1.0] * 12 + [0.0] * 6
    result = rows({date(2026, 6, 17): values}, AMS)
    assert len(result) == 24
    assert result[0].start == utc("2026-06-16T22:00:00")
    assert result[6] == HourRow(utc("2026-06-17T04:00:00"), 1.0, 1.0)
    assert result[-1].total == 12.0


def test_spring_forward_merges_the_missing_hour() -> None:
    """29 March 2026: 02:00 does not exist; its energy joins 03:00 (both 01:00 UTC)."""
    values = [float(h) for h in range(24)]
    result = rows({date(2026, 3, 29): values}, AMS)
    assert len(result) == 23
    assert hour_start(date(2026, 3, 29), 2, AMS) == hour_start(date(2026, 3, 29), 3, AMS)
    merged = next(r for r in result if r.start == utc("2026-03-29T01:00:00"))
    assert merged.energy == 2.0 + 3.0
    assert result[-1].total == sum(values)


def test_fall_back_keeps_every_value() -> None:
    """25 October 2026 has 25 hours; the API's 24 values land on 24 distinct UTC hours."""
    values = [1.0] * 24
    result = rows({date(2026, 10, 25): values}, AMS)
    assert len(result) == 24
    assert len({r.start for r in result}) == 24
    assert result[-1].total == 24.0
    assert utc("2026-10-25T01:00:00") not in {r.start for r in result}  # the repeated hour


def test_totals_run_across_days_and_rows_from_cuts() -> None:
    """A later day's totals continue; a change re-sends that day and every later one."""
    days = {date(2026, 6, 17): [1.0] * 24, date(2026, 6, 18): [2.0] * 24}
    result = rows(days, AMS)
    assert len(result) == 48
    assert result[23].total == 24.0
    assert result[-1].total == 72.0
    later = rows_from(days, AMS, date(2026, 6, 18))
    assert len(later) == 24
    assert later[0].start == utc("2026-06-17T22:00:00")
    assert later[0].total == 26.0


@pytest.mark.parametrize("bad", [[-1.0] * 24, [1.0] * 30])
def test_negative_and_extra_values(bad: list[float]) -> None:
    """Negative energies count as 0; values past the 24th hour are ignored."""
    result = rows({date(2026, 6, 17): bad}, AMS)
    assert len(result) == 24
    assert result[-1].total == (0.0 if bad[0] < 0 else 24.0)


def test_by_hour() -> None:
    """5-minute energies add up per hour of their label, up to the newest sample's hour."""
    times = [time(6, 0), time(6, 55), time(7, 0), time(9, 5)]
    assert by_hour(times, [0.1, 0.2, 0.3, 0.4]) == [0.0] * 6 + [0.3, 0.3, 0.0, 0.4]
    assert by_hour([], []) == []
    assert by_hour(times[:2], [0.5]) == [0.0] * 6 + [0.5]


def test_by_label() -> None:
    """Hourly lists land on the hours their labels name, whatever their length or start."""
    assert by_label(["00", "01", "02"], [1.0, 2.0, 3.0]) == [1.0, 2.0, 3.0]
    # Shorter than 24 and starting later: the hours left out are 0.
    assert by_label(["07", "09"], [1.5, 2.5]) == [0.0] * 7 + [1.5, 0.0, 2.5]
    # Labelled by the hours' ends ("01".."24"): "01" is the hour from midnight.
    ends = [f"{h:02d}" for h in range(1, 25)]
    assert by_label(ends, [float(h) for h in range(24)]) == [float(h) for h in range(24)]
    # A list that only starts at "01" (hour 00 left out) keeps its hours.
    assert by_label(["01", "02"], [4.0, 5.0]) == [0.0, 4.0, 5.0]
    # Labels that are not hours are skipped; a repeated hour adds up.
    assert by_label(["x", "05", "05", "30"], [9.0, 1.0, 2.0, 9.0]) == [0.0] * 5 + [3.0]
    assert by_label([], []) == []
