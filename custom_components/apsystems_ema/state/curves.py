"""The API's 5-minute curves and instants, as every device type reads them (pure Python).

A curve is a list of ``HH:mm`` labels (system-local) with values aligned to them. A point
labelled ``07:00`` is the ECU's upload of the 5 minutes ending at 07:00; a day's list has gaps
(live accounts answered 223 points for a whole day: points not uploaded) and starts and ends
with the light. A gap of up to ``MAX_GAP`` is bridged (the power between two points is taken
as the straight line between them); a longer one (an ECU offline) is bridged over its last
``MAX_GAP`` only. Energies are put on the regular 5-minute grid (:func:`on_grid`) before
they are summed per hour, so a point after a gap does not carry the gap's energy into its
own hour.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..openapi import BatchPower

# An ECU uploads every 5 minutes while its inverters produce; a newest sample older than this
# (relative to the fetch) means the inverters are asleep: power is 0, not the last value.
POWER_FRESH_FOR = timedelta(minutes=20)
SLOT_MINUTES = 5  # the ECU's upload grid
MAX_GAP = 30  # minutes: a longer gap between two samples is integrated over this much only


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


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def _clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def on_grid(times: Sequence[time], power: Sequence[float | None]) -> Slots:
    """A power curve's (W) energy (kWh) on the regular 5-minute grid: the trapezoid between
    each slot's power and the one before (0 W before the first sample, as a day's curve
    starts in the dark). Across a gap of up to ``MAX_GAP`` the power runs straight from one
    sample to the next, each missing slot getting its share; over a longer gap the last
    ``MAX_GAP`` are integrated, shared evenly. A missing value counts as 0 W.

    What the sky did inside a gap is not known: beside this best guess, the slots keep
    what a gap gives with the lower (``low``) and with the higher (``high``) of its two
    samples' power all through it, the bounds the lifetime rule needs."""
    labels: list[time] = []
    best: list[float] = []
    low: list[float] = []
    high: list[float] = []

    def slot(at: time, kwh: float, floor: float, ceiling: float) -> None:
        labels.append(at)
        best.append(kwh)
        low.append(floor)
        high.append(ceiling)

    previous: tuple[int, float] | None = None  # (minutes since midnight, W)
    for at, watts in zip(times, power, strict=False):
        minutes, now = _minutes(at), max(watts or 0.0, 0.0)
        if previous is None or minutes - previous[0] <= 0:
            before = 0.0 if previous is None else previous[1]
            span = SLOT_MINUTES if previous is None else 0
            kwh = span / 60 * (before + now) / 2 / 1000
            slot(at, kwh, kwh, kwh)
        elif (gap := minutes - previous[0]) <= MAX_GAP:
            start, watts_start = previous
            steps = max(round(gap / SLOT_MINUTES), 1)
            hours = gap / steps / 60 / 1000
            for step in range(1, steps + 1):
                watts_end = watts_start + (now - watts_start) * step / steps
                before_w = watts_start + (now - watts_start) * (step - 1) / steps
                kwh = hours * (before_w + watts_end) / 2
                if steps == 1:  # no sample missing: the trapezoid is the data's own
                    slot(at, kwh, kwh, kwh)
                else:
                    end = _clock(round(start + gap * step / steps))
                    slot(end, kwh, hours * min(watts_start, now), hours * max(watts_start, now))
        else:
            steps = MAX_GAP // SLOT_MINUTES
            hours = MAX_GAP / steps / 60 / 1000
            kwh = hours * (previous[1] + now) / 2
            floor, ceiling = hours * min(previous[1], now), hours * max(previous[1], now)
            for step in range(steps - 1, -1, -1):
                slot(_clock(minutes - step * SLOT_MINUTES), kwh, floor, ceiling)
        previous = (minutes, now)
    return Slots(tuple(labels), tuple(best), tuple(low), tuple(high))


@dataclass(frozen=True, slots=True)
class Slots:
    """Energies (kWh) on the 5-minute grid, each under its slot's ``HH:mm`` label: the best
    guess (``energy``), and the least (``low``) and most (``high``) a gap may have held."""

    times: tuple[time, ...] = ()
    energy: tuple[float, ...] = ()
    low: tuple[float, ...] = ()
    high: tuple[float, ...] = ()

    @property
    def total(self) -> float:
        """The energy of every slot (the best guess)."""
        return sum(self.energy)

    @property
    def floor(self) -> float:
        """The least energy the slots may hold (each gap at its lower sample's power)."""
        return sum(self.low)

    def floor_until(self, clock: time) -> float:
        """The least energy the slots labelled at or before ``clock`` may hold."""
        return energy_until(self.times, self.low, clock)

    def until(self, clock: time) -> float:
        """The most energy the slots labelled at or before ``clock`` may hold: at least what
        the API had counted of the day by then."""
        return energy_until(self.times, self.high, clock)

    def __add__(self, other: Slots) -> Slots:
        """Two curves of the same day slot by slot (a slot only one of them has counts)."""
        if not other.times:
            return self
        if not self.times:
            return other
        merged: dict[time, tuple[float, float, float]] = {}
        for curve in (self, other):
            for at, *kwh in zip(curve.times, curve.energy, curve.low, curve.high, strict=True):
                known = merged.get(at, (0.0, 0.0, 0.0))
                merged[at] = (known[0] + kwh[0], known[1] + kwh[1], known[2] + kwh[2])
        ordered = sorted(merged)
        return Slots(
            tuple(ordered),
            tuple(merged[at][0] for at in ordered),
            tuple(merged[at][1] for at in ordered),
            tuple(merged[at][2] for at in ordered),
        )


def slot_energies(times: Sequence[time], power: Sequence[float | None]) -> list[float]:
    """Energy (kWh) of each sample's interval (since the sample before it), from a power
    curve (W): :func:`on_grid` with each gap's slots summed into the sample that ends it."""
    grid = on_grid(times, power)
    energies: list[float] = []
    index = 0
    for at in times[: len(power)]:
        total = 0.0
        while index < len(grid.times) and grid.times[index] <= at:
            total += grid.energy[index]
            index += 1
        energies.append(total)
    return energies


def ecu_slots(power: BatchPower) -> Slots:
    """An ECU's energy (kWh) per 5-minute slot: its channels' curves integrated, summed."""
    total = Slots()
    for channels in power.power.values():
        for values in channels.values():
            total = total + on_grid(power.times, values)
    return total


def energy_until(times: Sequence[time], energies: Sequence[float], until: time) -> float:
    """The energy of a day's points labelled at or before ``until`` (a time of that day):
    what the API had counted of the day by then."""
    return sum(kwh for at, kwh in zip(times, energies, strict=False) if at <= until)
