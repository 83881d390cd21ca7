"""When a power reading still counts as the current power (pure Python, no Home Assistant).

A reading stands until ``STALE_POLLS`` planned poll intervals (at least ``STALE_AT_LEAST``)
passed without a newer sample; then it is unknown: an outage does not show an old reading as
current. For production only daylight counts, and outside daylight the production has ended:
0 W. A meter's consumption goes on at night: its readings just age.
"""

from datetime import datetime, timedelta

from .sun import Daylight

STALE_POLLS = 3
STALE_AT_LEAST = timedelta(minutes=30)


def live_power(
    value: float | None,
    sample: datetime | None,
    now: datetime,
    *,
    daylight: Daylight,
    interval: timedelta,
    production: bool = True,
) -> float | None:
    """``value`` (W, sampled at ``sample``) as the current power at ``now``, for polls
    planned ``interval`` apart; None: not current any more."""
    if value is None or sample is None:
        return value
    stale_after = max(interval * STALE_POLLS, STALE_AT_LEAST)
    if not production:
        return value if now - sample <= stale_after else None
    day = daylight.local_day(now)
    windows = [w for w in (daylight.sun(day), daylight.window(day)) if w is not None]
    if not windows:
        return 0.0  # polar night
    start = min(w.start for w in windows)
    if not start <= now <= max(w.end for w in windows):
        return 0.0
    return value if now - max(sample, start) <= stale_after else None
