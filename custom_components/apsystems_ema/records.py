"""The hourly energies behind the statistics (pure Python, no Home Assistant).

Per statistic series (see ``statistics.py``: the system, each ECU, each meter direction) and
system-local day, the day's hourly energies: estimated while the day runs (each ECU's batch
power curves integrated; the system's as their sum), then exact from the closing (the
system's hourly list; each ECU's hours scaled to its exact day). A day known only at the daily
level (old backfill) holds one value, at local midnight.

It also remembers which backfill calls the API answered (never asked again), which ECU curves
missed a day's end (fetched again), and which series changed since they were last sent to
the recorder, and it composes the backfill queue the planner draws from.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from . import codec
from .history import by_hour
from .openapi import BatchPower
from .planner import CallKind, PlannedCall
from .planner.backfill import DeviceSeries, backfill_queue
from .state import Slots, ecu_slots

PRODUCTION = "solar_production"
# Meter energy key (API) -> series name.
METER_SERIES = {"imported": "grid_import", "exported": "grid_export", "consumed": "consumption"}
# Battery energy key (API) -> series name.
STORAGE_SERIES = {
    "charge": "battery_charge",
    "discharge": "battery_discharge",
    "imported": "battery_import",
    "exported": "battery_export",
}
HOURLY_BACKFILL_DAYS = 31  # older history is fetched at the daily level
# An ECU's curve of a day holding this much less than the day's exact energy missed its end.
SHORT_CURVE = 0.02
SHORT_CURVE_KWH = 0.05

type Days = dict[date, list[float]]


def ecu_series(eid: str) -> str:
    """The production series of one ECU."""
    return f"{eid}_production"


def meter_series(eid: str, what: str) -> str:
    """A meter series (``grid_import``, ``grid_export`` or ``consumption``)."""
    return f"{eid}_{what}"


def storage_series(eid: str, what: str) -> str:
    """A battery series (``battery_charge``, ``battery_discharge``, ``battery_import`` or
    ``battery_export``)."""
    return f"{eid}_{what}"


@dataclass
class HourlyRecords:
    """Every series' hourly energies, and what is still to fetch or to send."""

    series: dict[str, Days] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)  # PlannedCall.dated_key of backfill calls
    curves_due: set[tuple[str, date]] = field(default_factory=set)  # (ECU, day)
    changed: dict[str, date] = field(default_factory=dict)  # series -> oldest changed day
    hourly_days: int = field(default_factory=lambda: HOURLY_BACKFILL_DAYS)  # then daily
    # The stored history was lost or damaged (every series is then read back once), and
    # per series read back: its first stored day and the recorder's sum before it.
    recovering: bool = False
    bases: dict[str, tuple[date, float]] = field(default_factory=dict)

    def base(self, series: str) -> float | None:
        """What the statistic summed before the series' first stored day: 0 for a history
        kept from the start (the sums begin at its first day, and shift when history
        arrives for earlier days); after lost files, the recorder's sum there (None: still
        to be read). A day stored before it (backfill) then moves the base back by its
        energy, so every row already sent keeps its sum."""
        days = self.days(series)
        known = self.bases.get(series)
        if not days or known is None:
            return None if self.recovering and days else 0.0
        first = min(days)
        if first < known[0]:
            added = sum(sum(values) for day, values in days.items() if day < known[0])
            self.bases[series] = known = (first, known[1] - added)
        return known[1]

    def set_base(self, series: str, base: float) -> None:
        """The statistic's sum before the series' first stored day, as the recorder has it."""
        days = self.days(series)
        if days:
            self.bases[series] = (min(days), base)

    def days(self, series: str) -> Days:
        """The days of a series (empty when it has none)."""
        return self.series.get(series, {})

    def days_of(self, names: Iterable[str]) -> set[date]:
        """The days any of a device's series has (one call fetches all of them)."""
        return {day for name in names for day in self.days(name)}

    def record(self, series: str, day: date, values: Sequence[float]) -> bool:
        """Keep a day's hourly energies; returns whether anything changed."""
        days = self.series.setdefault(series, {})
        values = list(values)
        if not values or days.get(day) == values:
            return False
        days[day] = values
        self.changed[series] = min(day, self.changed.get(series, day))
        return True

    def take_changed(self) -> dict[str, date]:
        """The changed series (oldest changed day each), forgotten once taken."""
        changed, self.changed = self.changed, {}
        return changed

    # -- the day's estimates and exact figures ------------------------------------------

    def estimate(
        self,
        eid: str,
        power: BatchPower,
        producing: Sequence[str],
        *,
        slots: Slots | None = None,
        system: bool = True,
    ) -> None:
        """A day's hours from an ECU's batch power curve (its channels integrated: ``slots``
        when the caller has them already), and (with ``system``) the system's as the sum of
        every producing ECU's, once each has hours of that day."""
        slots = ecu_slots(power) if slots is None else slots
        self.record(ecu_series(eid), power.day, by_hour(slots.times, slots.energy))
        if not system:
            return
        hours = [self.days(ecu_series(e)).get(power.day) for e in producing]
        if hours and all(hours):
            total = [sum(values) for values in zip(*(h for h in hours if h), strict=False)]
            self.record(PRODUCTION, power.day, total)

    def exact_ecu_day(self, eid: str, day: date, total: float) -> None:
        """An ECU's hours of ``day`` scaled to its exact day energy. A curve that missed the
        day's end is due again; until then, or without any curve of that day, the system's
        hours lend their shape."""
        hours = self.days(ecu_series(eid)).get(day) or []
        if sum(hours) < total * (1 - SHORT_CURVE) - SHORT_CURVE_KWH:
            self.curves_due.add((eid, day))
            if sum(hours) <= 0:
                hours = self.days(PRODUCTION).get(day) or []
        estimated = sum(hours)
        if estimated > 0:
            self.record(ecu_series(eid), day, [h * total / estimated for h in hours])

    def complete(self, eid: str, power: BatchPower) -> None:
        """A past day's whole curve of an ECU: its hours, scaled to the day's exact energy
        (what the day's hours already add up to)."""
        self.curves_due.discard((eid, power.day))
        slots = ecu_slots(power)
        hours = by_hour(slots.times, slots.energy)
        total = sum(self.days(ecu_series(eid)).get(power.day) or [])
        if sum(hours) > 0 and total > 0:
            self.record(ecu_series(eid), power.day, [h * total / sum(hours) for h in hours])

    # -- backfill -----------------------------------------------------------------------

    def backfill(
        self,
        *,
        today: date,
        created: date | None,
        producing: Sequence[str],
        meters: Sequence[str],
        storage: Sequence[str] = (),
    ) -> tuple[PlannedCall, ...]:
        """The history still missing, most wanted first: curves that missed a day's end,
        then (see :func:`~.planner.backfill.backfill_queue`) recent days hour by hour,
        then older months day by day."""
        curves = tuple(
            call
            for eid, day in sorted(self.curves_due)
            if (call := PlannedCall(CallKind.BATCH_POWER, eid, day, backfill=True)).dated_key
            not in self.answered
        )
        devices = (
            [
                DeviceSeries(CallKind.ECU_MINUTELY, eid, set(self.days(ecu_series(eid))))
                for eid in producing
            ]
            + [
                DeviceSeries(
                    CallKind.METER_MINUTELY,
                    eid,
                    self.days_of(meter_series(eid, s) for s in METER_SERIES.values()),
                )
                for eid in meters
            ]
            + [
                DeviceSeries(
                    CallKind.STORAGE_HOURLY,
                    eid,
                    self.days_of(storage_series(eid, s) for s in STORAGE_SERIES.values()),
                    daily=CallKind.STORAGE_DAILY,
                )
                for eid in storage
            ]
        )
        return curves + backfill_queue(
            today=today,
            created=created,
            production=self.days(PRODUCTION),
            devices=devices,
            answered=self.answered,
            hourly_days=self.hourly_days,
            system=bool(producing) or not storage,
        )

    # -- persistence --------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON for Home Assistant's Store."""
        return {
            "series": {
                name: {day.isoformat(): values for day, values in sorted(days.items())}
                for name, days in self.series.items()
            },
            "answered": sorted(self.answered),
            "pending": {name: day.isoformat() for name, day in self.changed.items()},
            "curves": [[eid, day.isoformat()] for eid, day in sorted(self.curves_due)],
            "bases": {name: [day.isoformat(), base] for name, (day, base) in self.bases.items()},
            "recovering": self.recovering,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HourlyRecords:
        """Inverse of :meth:`as_dict`; raises ``ValueError`` for data it cannot read."""
        try:
            series = {
                str(name): {
                    date.fromisoformat(day): [
                        codec.number(v, f"history.{name}.{day}", minimum=0) for v in values
                    ]
                    for day, values in codec.mapping(days, f"history.{name}").items()
                }
                for name, days in codec.mapping(data["series"], "history.series").items()
            }
            return cls(
                series=series,
                answered={str(key) for key in data["answered"]},
                curves_due={
                    (str(eid), date.fromisoformat(day)) for eid, day in data.get("curves", [])
                },
                changed={
                    str(name): date.fromisoformat(day)
                    for name, day in data.get("pending", {}).items()
                    if name in series
                },
                bases={
                    str(name): (date.fromisoformat(day), codec.number(base, f"bases.{name}"))
                    for name, (day, base) in data.get("bases", {}).items()
                },
                recovering=bool(data.get("recovering", False)),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as err:
            raise ValueError(f"unreadable history: {err!r}") from err
