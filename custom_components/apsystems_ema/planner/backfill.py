"""Which past days of history are still missing, and the calls that fetch them (pure Python).

The Energy dashboard wants history from the system's first day. The OpenAPI gives a day's
hourly energies for one call per day and a month's daily energies for one call per month, so:

* the last ``hourly_days`` days (before yesterday, which belongs to the closing) are fetched
  hourly, most recent first; this also fills the days missed while Home Assistant was down;
* every ECU and meter series is filled the same way, but only from its own first recorded day
  on (the days after installation), since each of its days costs one call per device;
* older months, back to the system's creation date, are fetched at the daily level: one row
  per day at local midnight (documented; the day's hours are not known and never invented).

A day counts as done once any answer for it has been stored, or once its call was answered at
all (``answered``: an API error such as "no data" must not be asked again every day).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from .model import CallKind, PlannedCall

HOURS_IN_DAY = 24


@dataclass(frozen=True, slots=True)
class DeviceSeries:
    """The days one device series already has, and the call that fetches one of its days."""

    kind: CallKind  # ECU_MINUTELY or METER_MINUTELY
    target: str
    days: Iterable[date]


def month_start(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def previous_month(first: date) -> date:
    """The first day of the month before ``first``'s."""
    return month_start(first - timedelta(days=1))


def first_hourly_day(today: date, created: date | None, hourly_days: int) -> date:
    """The oldest day fetched hourly; older days are fetched at the daily level."""
    first = today - timedelta(days=hourly_days + 1)
    return first if created is None else max(first, created)


def backfill_queue(
    *,
    today: date,
    created: date | None,
    production: Mapping[date, Sequence[float]],
    devices: Sequence[DeviceSeries] = (),
    answered: Iterable[str] = (),
    hourly_days: int = 31,
) -> tuple[PlannedCall, ...]:
    """The history calls still needed, most recent day first (system before its devices),
    then the older months at daily resolution, most recent first."""
    done = set(answered)
    last = today - timedelta(days=2)  # yesterday is the closing's (or the morning catch-up's)
    first_hourly = first_hourly_day(today, created, hourly_days)
    calls: list[PlannedCall] = []

    def want(call: PlannedCall) -> None:
        if call.dated_key not in done:
            calls.append(call)

    firsts = [(device, min(device.days, default=None)) for device in devices]
    day = last
    while day >= first_hourly:
        if len(production.get(day, ())) < HOURS_IN_DAY:
            want(PlannedCall(CallKind.SYSTEM_HOURLY, None, day, backfill=True))
        for device, first in firsts:
            if first is not None and day > first and day not in device.days:
                want(PlannedCall(device.kind, device.target, day, backfill=True))
        day -= timedelta(days=1)

    if created is not None:
        month = month_start(first_hourly - timedelta(days=1))
        while month >= month_start(created):
            days = _days_of_month(month)
            if any(created <= d < first_hourly and d not in production for d in days):
                want(PlannedCall(CallKind.SYSTEM_DAILY, None, month, backfill=True))
            month = previous_month(month)
    return tuple(calls)


def daily_rows(
    month: date,
    values: Sequence[float],
    *,
    created: date | None,
    before: date,
    production: Mapping[date, Sequence[float]],
) -> dict[date, list[float]]:
    """The days a month's daily energies add: from the system's creation on, before the
    hourly range, and only where nothing is stored yet (hourly data is never overwritten)."""
    added: dict[date, list[float]] = {}
    for day, value in zip(_days_of_month(month), values, strict=False):
        if day >= before or (created is not None and day < created) or day in production:
            continue
        added[day] = [max(value, 0.0)]
    return added


def _days_of_month(first: date) -> list[date]:
    days = []
    day = first
    while day.month == first.month:
        days.append(day)
        day += timedelta(days=1)
    return days
