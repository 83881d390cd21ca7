"""Batteries (storage-activated ECUs, manual v1.7): the latest reading and one energy counter
per quantity, folded from the storage endpoints (pure Python)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .. import codec
from ..openapi import STORAGE_KEYS, EnergySummary, StorageLatest, StorageSummary, StorageTotals
from .curves import SLOT_MINUTES, zone_of
from .limits import METER_MAX_W, energy_problem
from .totals import Totals, totals_from

if TYPE_CHECKING:
    from .site import SiteState


@dataclass
class StorageState:
    """A storage-activated ECU (a battery): its latest reading and its energy counters."""

    eid: str
    model: str | None = None
    capacity_kwh: float | None = None
    soc: float | None = None  # state of charge, %
    mode: str | None = None  # the operation mode's code (the manual names none)
    power: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(STORAGE_KEYS))
    last_report: datetime | None = None  # when the latest reading was taken
    energy: dict[str, Totals] = field(default_factory=lambda: {k: Totals() for k in STORAGE_KEYS})


def power_problem(latest: StorageLatest) -> str | None:
    """Why a storage ECU's latest powers cannot be real (beyond ``METER_MAX_W``)."""
    for key in STORAGE_KEYS:
        value = latest.power(key)
        if value is not None and value > METER_MAX_W:
            return f"storage {key} power of {value:g} W"
    return None


def totals_problem(what: str, totals: StorageTotals | Mapping[str, float], days: int) -> str | None:
    """Why a storage ECU's energies over ``days`` days cannot be real (negative, or beyond
    what ``METER_MAX_W`` gives in that time), or None."""
    if not isinstance(totals, Mapping):
        totals = {key: totals.get(key) for key in STORAGE_KEYS}
    return energy_problem(f"storage {what}", totals, days)


def _battery(site: SiteState, eid: str) -> StorageState:
    return site.storage.setdefault(eid, StorageState(eid))


def apply_latest(site: SiteState, eid: str, latest: StorageLatest, fetched: datetime) -> None:
    """A battery's latest reading: state of charge, mode and powers. Its ``HH:mm`` is
    today's, or yesterday's when later than now (the evening's reading, fetched after
    midnight)."""
    battery = _battery(site, eid)
    zone = zone_of(site.timezone)
    local = fetched.astimezone(zone)
    sample = None
    if latest.time is not None:
        sample = datetime.combine(local.date(), latest.time, tzinfo=zone)
        if sample > local + timedelta(minutes=SLOT_MINUTES):
            sample -= timedelta(days=1)
    if sample is not None and battery.last_report is not None and sample < battery.last_report:
        return  # an older reading than the one shown
    battery.soc = latest.soc
    battery.mode = latest.mode
    battery.power = {key: latest.power(key) for key in STORAGE_KEYS}
    battery.last_report = sample or battery.last_report
    site.updated = fetched


def apply_summary(site: SiteState, eid: str, summary: StorageSummary, fetched: datetime) -> None:
    """A battery's exact totals of today, this month, year and lifetime."""
    battery = _battery(site, eid)
    day = site.local_day(fetched)
    for key in STORAGE_KEYS:
        battery.energy[key].set_summary(
            day,
            EnergySummary(
                today=summary.today.get(key),
                month=summary.month.get(key),
                year=summary.year.get(key),
                lifetime=summary.lifetime.get(key),
            ),
            fetched,
        )
    site.updated = fetched


def battery_from(data: dict[str, Any]) -> StorageState:
    """A battery from its stored form."""
    energy = codec.mapping(data.get("energy", {}), "storage.energy")
    return StorageState(
        eid=data["eid"],
        model=data.get("model"),
        capacity_kwh=codec.opt_number(data.get("capacity_kwh"), "storage.capacity_kwh", minimum=0),
        soc=codec.opt_number(data.get("soc"), "storage.soc", minimum=0),
        mode=data.get("mode"),
        power={
            k: codec.opt_number(data.get("power", {}).get(k), f"storage.power.{k}")
            for k in STORAGE_KEYS
        },
        last_report=codec.opt_instant(data.get("last_report"), "storage.last_report"),
        energy={
            k: totals_from(energy[k], f"storage.{k}") if k in energy else Totals()
            for k in STORAGE_KEYS
        },
    )
