"""Meters: one energy counter per direction and the newest power readings, folded from the
meter's summary and its 5-minute curve (pure Python)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
import itertools
from typing import TYPE_CHECKING, Any

from .. import codec
from ..history import by_hour
from ..openapi import EnergySummary, MeterMinutely, MeterSummary, MeterTotals
from .curves import MAX_GAP, SLOT_MINUTES, energy_until, newest, zone_of
from .limits import METER_MAX_W, energy_problem
from .totals import Totals, totals_from

if TYPE_CHECKING:
    from .site import SiteState

METER_KEYS = ("consumed", "exported", "imported", "produced")
# The span one point's energy may cover (a point after a gap), for the bounds: minutes.
POINT_SPAN = 15


@dataclass
class MeterState:
    """A meter ECU: one counter per direction, and its newest power readings."""

    eid: str
    energy: dict[str, Totals] = field(default_factory=lambda: {k: Totals() for k in METER_KEYS})
    consumption_w: float | None = None
    grid_w: float | None = None
    production_w: float | None = None
    last_report: datetime | None = None


def apply_summary(site: SiteState, eid: str, summary: MeterSummary, fetched: datetime) -> None:
    """A meter's lifetime totals: exact at the start of its day, or (its ``today`` block
    null) an anchor as of ``fetched`` that its next curve settles."""
    meter = site.meters.setdefault(eid, MeterState(eid))
    if summary.lifetime is None:
        return
    day = site.local_day(fetched)
    for key in METER_KEYS:
        today = None if summary.today is None else getattr(summary.today, key)
        lifetime = getattr(summary.lifetime, key)
        meter.energy[key].set_summary(day, EnergySummary(today, 0.0, 0.0, lifetime), fetched)
    site.updated = fetched


def apply_minutely(site: SiteState, eid: str, minutely: MeterMinutely, fetched: datetime) -> None:
    """A meter's energy of today and its newest power readings."""
    meter = site.meters.setdefault(eid, MeterState(eid))
    zone = zone_of(site.timezone)
    if minutely.today is not None:
        for key in METER_KEYS:
            totals, today = meter.energy[key], getattr(minutely.today, key)
            if (anchor := totals.anchored_at(minutely.day)) is not None and fetched >= anchor:
                # The counter now, less what its points after the anchor hold (a point left
                # out of the list stays counted: the start errs low, never high).
                points = minutely.energy.get(key, ())
                later = sum(points) - energy_until(
                    minutely.times, points, anchor.astimezone(zone).time()
                )
                totals.settle(minutely.day, today - later)
            # A past day's curve is whole: its counter is the API's figure of that day.
            totals.set_today(minutely.day, today, exact=minutely.day < site.local_day(fetched))
    sample = newest(minutely.day, minutely.times, zone)
    if sample is not None and (meter.last_report is None or sample >= meter.last_report):
        meter.last_report = sample
        meter.consumption_w = minutely.consumed_power[-1] if minutely.consumed_power else None
        meter.grid_w = minutely.grid_power[-1] if minutely.grid_power else None
        meter.production_w = minutely.produced_power[-1] if minutely.produced_power else None
    site.updated = fetched


def hours(minutely: MeterMinutely, key: str, *, whole_day: bool = False) -> list[float]:
    """A meter curve's hourly energies of one direction (kWh, up to its newest point's
    hour; ``whole_day``: a past day's curve, to 24:00). A point left out of the list (live
    accounts' curves have gaps) takes the straight line between its neighbours' energies,
    and one missing at the day's start (or, for a whole day, its end) the energy of the
    point next to it (a meter measures all day), over ``MAX_GAP`` at most; the hours are
    then scaled to the day's counter (``today``), so they add up to the API's own day."""
    points = minutely.energy.get(key, ())
    times, energy = fill_gaps(minutely.times[: len(points)], points, whole_day=whole_day)
    values = by_hour(times, energy)
    counted = sum(values)
    total = None if minutely.today is None else getattr(minutely.today, key)
    if total is None or counted <= 0:
        return values
    return [round(value * total / counted, 6) for value in values]


def fill_gaps(
    times: Sequence[time], energy: Sequence[float], *, whole_day: bool = False
) -> tuple[list[time], list[float]]:
    """Per-slot energies on the regular 5-minute grid (see :func:`hours`)."""
    if not times:
        return [], []
    grid: dict[int, float] = {}
    marks = [(t.hour * 60 + t.minute, kwh) for t, kwh in zip(times, energy, strict=False)]
    for (start, before), (end, after) in itertools.pairwise(marks):
        steps = (end - start) // SLOT_MINUTES
        if steps > 1 and end - start <= MAX_GAP:
            for step in range(1, steps):
                grid[start + step * SLOT_MINUTES] = before + (after - before) * step / steps
    first, last = marks[0], marks[-1]
    for minutes in range(max(first[0] - MAX_GAP, 0), first[0], SLOT_MINUTES):
        grid[minutes] = first[1]
    if whole_day:
        end_of_day = 24 * 60 - SLOT_MINUTES
        for minutes in range(last[0] + SLOT_MINUTES, min(last[0] + MAX_GAP, end_of_day) + 1, 5):
            grid[minutes] = last[1]
    grid.update(marks)
    ordered = sorted(grid)
    return [time(m // 60, m % 60) for m in ordered], [grid[m] for m in ordered]


def curve_problem(site: SiteState, eid: str, minutely: MeterMinutely) -> str | None:
    """Why a meter's curve cannot be real (power beyond ``METER_MAX_W``, energies beyond
    what it gives in their period, today's totals grown by more than that since the
    newest sample known), or None."""
    powers = (
        ("consumption power", minutely.consumed_power),
        ("grid power", minutely.grid_power),
        ("production power", minutely.produced_power),
    )
    for what, values in powers:
        for value in values:
            if value is not None and abs(value) > METER_MAX_W:
                return f"meter {what} of {value:g} W"
    slot_kwh = METER_MAX_W * POINT_SPAN / 60 / 1000
    for key, energies in minutely.energy.items():
        if any(abs(kwh) > slot_kwh for kwh in energies):
            return f"meter {key} energy of {max(energies, key=abs):g} kWh in 5 minutes"
    meter = site.meters.get(eid)
    latest = newest(minutely.day, minutely.times, zone_of(site.timezone))
    if meter is not None and meter.last_report and latest and minutely.today is not None:
        hours = max((latest - meter.last_report).total_seconds(), 0) / 3600
        allowed = METER_MAX_W * (hours + POINT_SPAN / 60) / 1000
        for key in METER_KEYS:
            known = meter.energy[key].known_on(minutely.day)
            grown = getattr(minutely.today, key) - (known or 0.0)
            if known is not None and grown > allowed:
                return f"meter today {key} grown by {grown:g} kWh in {hours:.1f} h"
    return totals_problem("today", minutely.today, 1)


def totals_problem(what: str, totals: MeterTotals | None, days: int) -> str | None:
    """Why a meter's totals over ``days`` days cannot be real (negative, or beyond what
    ``METER_MAX_W`` gives in that time), or None."""
    if totals is None:
        return None
    return energy_problem(f"meter {what}", {k: getattr(totals, k) for k in METER_KEYS}, days)


def meter_from(data: dict[str, Any]) -> MeterState:
    """A meter from its stored form."""
    return MeterState(
        eid=data["eid"],
        energy={k: totals_from(v, f"meter.{k}") for k, v in data["energy"].items()},
        consumption_w=codec.opt_number(data["consumption_w"], "meter.consumption_w"),
        grid_w=codec.opt_number(data["grid_w"], "meter.grid_w"),
        production_w=codec.opt_number(data["production_w"], "meter.production_w"),
        last_report=codec.opt_instant(data["last_report"], "meter.last_report"),
    )
