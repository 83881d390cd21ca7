"""Hourly energy history for the Energy dashboard (pure Python, no Home Assistant).

The API's hourly list of a day has 24 values, one per hour of the SYSTEM's local day. Each
becomes a row at the UTC start of that hour. On the day clocks go forward the missing local
hour maps onto the next one (their energies add up); on the day they go back the repeated
hour gets the API's single value. Sums run over every stored day in order, so re-importing
is idempotent and a corrected day shifts every later sum consistently.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class HourRow:
    """One hour of production: its energy (kWh) and the running total since the first day."""

    start: datetime
    energy: float
    total: float


def hour_start(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """UTC start of a local hour (a nonexistent local time resolves to the hour after)."""
    local = datetime.combine(day, time(hour), tzinfo=zone)
    # Round-trip through UTC: a time in the spring-forward gap comes back normalised.
    return local.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """UTC start of the first hour of a local day."""
    return hour_start(day, 0, zone)


def rows(days: Mapping[date, Sequence[float]], zone: ZoneInfo, base: float = 0.0) -> list[HourRow]:
    """Hourly rows of every stored day, in time order, with running totals from ``base``
    (what the statistic summed before the first stored day)."""
    energy: dict[datetime, float] = {}
    for day in sorted(days):
        for hour, value in enumerate(days[day][:24]):
            start = hour_start(day, hour, zone)
            energy[start] = energy.get(start, 0.0) + max(value, 0.0)
    result: list[HourRow] = []
    total = base
    for start in sorted(energy):
        total += energy[start]
        result.append(HourRow(start, energy[start], round(total, 6)))
    return result


def rows_from(
    days: Mapping[date, Sequence[float]], zone: ZoneInfo, first: date, base: float = 0.0
) -> list[HourRow]:
    """The rows to (re)send after ``first`` changed: that day's and every later one."""
    cut = day_start(first, zone) - timedelta(hours=1)
    return [row for row in rows(days, zone, base) if row.start > cut]


def by_hour(times: Sequence[time], energy: Sequence[float]) -> list[float]:
    """Hourly sums of a day's 5-minute energies, up to the newest sample's hour."""
    hours = [0.0] * 24
    for at, kwh in zip(times, energy, strict=False):
        hours[at.hour] += kwh
    last = times[min(len(times), len(energy)) - 1].hour + 1 if times and energy else 0
    return [round(value, 6) for value in hours[:last]]


def by_label(labels: Sequence[str], values: Sequence[float]) -> list[float]:
    """A day's hourly list placed by its labels, not by position: ``"00"`` .. ``"23"`` name
    the hours they start (the API files 06:55-07:55 under ``"07"``); a list labelled
    ``"01"`` .. ``"24"`` names the hours they end. Hours the list leaves out (live accounts'
    lists are shorter than 24) are 0; a label that is not an hour is skipped. The list runs to
    the last hour it holds."""
    hours: dict[int, float] = {}
    numbers = [int(label) if label.strip().isdigit() else None for label in labels]
    shift = 1 if 24 in numbers else 0
    for number, value in zip(numbers, values, strict=False):
        if number is not None and 0 <= number - shift < 24:
            hours[number - shift] = hours.get(number - shift, 0.0) + value
    return [round(hours.get(h, 0.0), 6) for h in range(max(hours, default=-1) + 1)]
