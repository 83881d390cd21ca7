"""An ECU: its energy counter and newest power, folded from its summary and its 5-minute
curve (pure Python). The batch curves of its inverters (``inverter.py``) move it too."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .. import codec
from ..openapi import EcuMinutely, EnergySummary
from .curves import energy_until, fresh, newest, zone_of
from .totals import Totals, totals_from

if TYPE_CHECKING:
    from .site import SiteState


@dataclass
class EcuState:
    """An ECU: today's energy and power from its curves, lifetime from its summary."""

    eid: str
    has_meter: bool = False
    energy: Totals = field(default_factory=Totals)
    power_w: float | None = None
    last_report: datetime | None = None


def apply_summary(site: SiteState, eid: str, summary: EnergySummary, at: datetime) -> str | None:
    """An ECU's totals (its lifetime at the start of its day, or an anchor without its
    today); an impossible summary is ignored and the reason returned."""
    return site.summary_into(site.ecus.setdefault(eid, EcuState(eid)).energy, summary, at)


def apply_minutely(site: SiteState, eid: str, minutely: EcuMinutely, fetched: datetime) -> None:
    """An ECU's curve of the day: its energy so far and its newest power."""
    ecu = site.ecus.setdefault(eid, EcuState(eid))
    if ecu.energy.day is not None and minutely.day < ecu.energy.day:
        return  # an older day: nothing to learn for the live values
    today = minutely.today if minutely.today is not None else sum(minutely.energy)
    if not site.plausible_day(today):
        return  # a bad answer: nothing in it is worth showing
    zone = zone_of(site.timezone)
    if (anchor := ecu.energy.anchored_at(minutely.day)) is not None and fetched >= anchor:
        after = sum(minutely.energy) - energy_until(
            minutely.times, minutely.energy, anchor.astimezone(zone).time()
        )
        ecu.energy.settle(minutely.day, today - after)
    ecu.energy.set_today(minutely.day, today)
    sample = newest(minutely.day, minutely.times, zone)
    ecu.last_report = sample or ecu.last_report
    ecu.power_w = fresh(minutely.last_power, sample, fetched)
    site.sum_ecus(minutely.day)
    site.last_data = max((e.last_report for e in site.ecus.values() if e.last_report), default=None)
    site.updated = fetched


def ecu_from(data: dict[str, Any]) -> EcuState:
    """An ECU from its stored form."""
    return EcuState(
        eid=data["eid"],
        has_meter=data["has_meter"],
        energy=totals_from(data["energy"], "ecu.energy"),
        power_w=codec.opt_number(data["power_w"], "ecu.power_w"),
        last_report=codec.opt_instant(data["last_report"], "ecu.last_report"),
    )
