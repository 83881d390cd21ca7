"""Which past days of history are still missing, and the calls that fetch them (pure Python).

The Energy dashboard wants history from the system's first day. The OpenAPI gives a day's
hourly energies for one call per day and a month's daily energies for one call per month, so:

* the last ``hourly_days`` days (before yesterday, which belongs to the closing) are fetched
  hourly, most recent first; this also fills the days missed while Home Assistant was down;
* every ECU and meter series is filled the same way, but only from its own first recorded day
  on (the days after installation), since each of its days costs one call per device;
* a battery's series (charge, discharge, grid import and export: one call per day or month
  gives all four) go back to the system's creation like the system's, hourly then daily;
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

    kind: CallKind  # ECU_MINUTELY, METER_MINUTELY or STORAGE_HOURLY
    target: str
    days: Iterable[date]
    # With the call of a month's daily energies, the series' history goes back to the
    # system's creation like the system's (a battery); without, it starts at its first day.
    daily: CallKind | None = None


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
    system: bool = True,
) -> tuple[PlannedCall, ...]:
    """The history calls still needed, most recent day first (system before its devices),
    then the older months at daily resolution, most recent first. Without ``system`` (a
    storage-only system produces nothing) only the devices' days are asked for."""
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
        if system and len(production.get(day, ())) < HOURS_IN_DAY:
            want(PlannedCall(CallKind.SYSTEM_HOURLY, None, day, backfill=True))
        for device, first in firsts:
            since_first = first is not None and day > first
            if (since_first or device.daily is not None) and day not in device.days:
                want(PlannedCall(device.kind, device.target, day, backfill=True))
        day -= timedelta(days=1)

    if created is not None:
        month = month_start(first_hourly - timedelta(days=1))
        while month >= month_start(created):
            days = [d for d in _days_of_month(month) if created <= d < first_hourly]
            if system and any(d not in production for d in days):
                want(PlannedCall(CallKind.SYSTEM_DAILY, None, month, backfill=True))
            for device, _ in firsts:
                if device.daily is not None and any(d not in device.days for d in days):
                    want(PlannedCall(device.daily, device.target, month, backfill=True))
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
