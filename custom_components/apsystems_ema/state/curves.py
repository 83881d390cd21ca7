"""The API's 5-minute curves and instants, as every device type reads them (pure Python).

A curve is a list of ``HH:mm`` labels (system-local) with values aligned to them. A point
labelled ``07:00`` is the ECU's upload of the 5 minutes ending at 07:00; a day's list has gaps
(a point not uploaded) and starts and ends with the light.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..openapi import BatchPower

# An ECU uploads every 5 minutes while its inverters produce; a newest sample older than this
# (relative to the fetch) means the inverters are asleep: power is 0, not the last value.
POWER_FRESH_FOR = timedelta(minutes=20)
SLOT_MINUTES = 5  # the ECU's upload grid
MAX_SLOT = 15  # minutes: a longer gap between two samples is not integrated over


def zone_of(name: str | None) -> ZoneInfo:
    """The ZoneInfo of an API timezone name (UTC when unknown)."""
    try:
        return ZoneInfo(name or "UTC")
    except ZoneInfoNotFoundError, ValueError:
        return ZoneInfo("UTC")


def newest(day: date, times: Sequence[time], zone: ZoneInfo) -> datetime | None:
    """The instant of a curve's newest point."""
    return datetime.combine(day, times[-1], tzinfo=zone) if times else None


def reported(
    day: date, times: Sequence[time], series: Iterable[Sequence[float | None]], zone: ZoneInfo
) -> datetime | None:
    """The newest point in which any of a device's series has a value (its last report)."""
    columns = list(series)
    for index in range(len(times) - 1, -1, -1):
        if any(index < len(values) and values[index] is not None for values in columns):
            return datetime.combine(day, times[index], zone)
    return None


def after(sample: datetime, previous: datetime | None) -> bool:
    """Whether a sample is newer than the previous one (or there was none)."""
    return previous is None or sample > previous


def fresh(value: float | None, sample: datetime | None, fetched: datetime) -> float:
    """Power of the newest sample, or 0 when it is too old to be current."""
    if value is None or sample is None or fetched - sample > POWER_FRESH_FOR:
        return 0.0
    return max(value, 0.0)


def slot_energies(times: Sequence[time], power: Sequence[float | None]) -> list[float]:
    """Energy (kWh) of each sample's interval, from a power curve (W) on the ECU's 5-minute
    grid: the trapezoid between a sample and the one before it (0 W before the first, as a
    day's curve starts in the dark), the interval capped at ``MAX_SLOT`` so that a gap in
    the curve (an ECU offline) is not bridged. A missing sample counts as 0 W."""
    energies: list[float] = []
    previous: tuple[float, float] | None = None  # (minutes since midnight, W)
    for at, watts in zip(times, power, strict=False):
        minutes = at.hour * 60 + at.minute
        now = max(watts or 0.0, 0.0)
        if previous is None:
            span, before = float(SLOT_MINUTES), 0.0
        else:
            span, before = min(minutes - previous[0], MAX_SLOT), previous[1]
        energies.append(max(span, 0) / 60 * (before + now) / 2 / 1000)
        previous = (minutes, now)
    return energies


def ecu_slots(power: BatchPower) -> list[float]:
    """An ECU's energy (kWh) per sample interval: its channels' curves integrated, summed."""
    slots = [0.0] * len(power.times)
    for channels in power.power.values():
        for values in channels.values():
            for i, kwh in enumerate(slot_energies(power.times, values)):
                slots[i] += kwh
    return slots


def energy_until(times: Sequence[time], energies: Sequence[float], until: time) -> float:
    """The energy of a day's points labelled at or before ``until`` (a time of that day):
    what the API had counted of the day by then."""
    return sum(kwh for at, kwh in zip(times, energies, strict=False) if at <= until)
