"""When a figure of the day, month or year is of an earlier one than the system's today (it
then shows 0 until a poll brings the new period's figure)."""

from datetime import date

import pytest

from custom_components.apsystems_ema.sensor import Period, _ended

TODAY = date(2027, 1, 1)


@pytest.mark.parametrize(
    ("of", "period", "ended"),
    [
        (None, "day", False),  # nothing known yet: the value itself says so
        (TODAY, "day", False),
        (date(2026, 12, 31), "day", True),
        (date(2027, 1, 2), "day", False),  # a later day (another clock): not ended
        (date(2026, 12, 31), "month", True),
        (date(2026, 12, 31), "year", True),
        (date(2027, 1, 31), "month", False),
        (date(2027, 6, 30), "year", False),
    ],
)
def test_a_period_ends_when_the_system_clock_leaves_it(
    of: date | None, period: Period, ended: bool
) -> None:
    assert _ended(of, TODAY, period) is ended


def test_a_month_ends_at_its_last_day_not_before() -> None:
    assert not _ended(date(2027, 3, 1), date(2027, 3, 31), "month")
    assert _ended(date(2027, 3, 31), date(2027, 4, 1), "month")
    assert not _ended(date(2027, 3, 31), date(2027, 4, 1), "year")
