"""The site's state as the entities see it, folded from API answers (pure Python, no HA).

Each ``apply_*`` method takes one parsed API answer and the time it was fetched, and updates
entity-ready values. The state serialises to plain JSON (``as_dict`` / ``from_dict``) so the
coordinator can persist it and a restart costs no API call.

Totals follow one mechanism, :class:`Totals`: the energy at the start of the system-local day
(``start``) plus the energy of today. The daily summary sets ``start`` exactly; between
summaries a new day starts from where the previous one ended. Lifetime values never decrease.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import codec
from .openapi import (
    STORAGE_KEYS,
    BatchEnergy,
    BatchPower,
    EcuInfo,
    EcuMinutely,
    EnergySummary,
    InverterMinutely,
    InverterSummary,
    MeterMinutely,
    MeterSummary,
    MeterTotals,
    StatusLight,
    StorageLatest,
    StorageSummary,
    StorageTotals,
    SystemDetails,
)

# An ECU uploads every 5 minutes while its inverters produce; a newest sample older than this
# (relative to the fetch) means the inverters are asleep: power is 0, not the last value.
POWER_FRESH_FOR = timedelta(minutes=20)
STATE_VERSION = 1
SLOT_MINUTES = 5  # the ECU's upload grid
MAX_SLOT = 15  # minutes: a longer gap between two samples is not integrated over
# A summary may put the lifetime a little below what the counter shows (rounding); far below
# it is a bad answer (a lifetime of 0), not a correction.
SUMMARY_TOLERANCE = 1.0  # kWh
ROUNDING = 0.006  # kWh: half the last digit of a 2-decimal figure, and some float slack
HALF_CENT = 0.005  # kWh: the rounding of one 2-decimal value
# A day's list holding this much less than the day's known energy is cut short, not late.
SHORT_DAY_RATIO = 0.1
SHORT_DAY_KWH = 0.05
METER_KEYS = ("consumed", "exported", "imported", "produced")
# A device left out of two lists at least this far apart is gone (its device is removed).
GONE_AFTER = timedelta(days=1)
# Power the system can deliver: its capacity with this margin (modules can exceed their
# rating in cold sunshine, never by half); without a known capacity, NO_CAPACITY_W.
POWER_MARGIN = 1.5
NO_CAPACITY_W = 100_000.0
# A meter measures a household or small business: this much power at most (a large 3-phase
# connection), and its energies what that power gives in their period.
METER_MAX_W = 100_000.0


def zone_of(name: str | None) -> ZoneInfo:
    """The ZoneInfo of an API timezone name (UTC when unknown)."""
    try:
        return ZoneInfo(name or "UTC")
    except ZoneInfoNotFoundError, ValueError:
        return ZoneInfo("UTC")


def _energy_problem(what: str, energies: Mapping[str, float], days: int) -> str | None:
    """Why energies over ``days`` days cannot be a home's (negative, or beyond what
    ``METER_MAX_W`` gives in that time), naming the first such one, or None."""
    bound = METER_MAX_W * 24 * days / 1000
    for key, value in energies.items():
        if value < 0 or value > bound:
            return f"{what} {key} of {value:g} kWh"
    return None


def _newest(day: date, times: tuple[time, ...], zone: ZoneInfo) -> datetime | None:
    return datetime.combine(day, times[-1], tzinfo=zone) if times else None


def _reported(
    day: date, times: tuple[time, ...], series: Iterable[Sequence[float | None]], zone: ZoneInfo
) -> datetime | None:
    """The newest slot in which any of a device's series has a value (its last report)."""
    columns = list(series)
    for index in range(len(times) - 1, -1, -1):
        if any(index < len(values) and values[index] is not None for values in columns):
            return datetime.combine(day, times[index], zone)
    return None


def _after(sample: datetime, previous: datetime | None) -> bool:
    """Whether a sample is newer than the previous one (or there was none)."""
    return previous is None or sample > previous


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


def _fresh(value: float | None, sample: datetime | None, fetched: datetime) -> float:
    """Power of the newest sample, or 0 when it is too old to be current."""
    if value is None or sample is None or fetched - sample > POWER_FRESH_FOR:
        return 0.0
    return max(value, 0.0)


@dataclass
class Totals:
    """An energy counter of the system-local day: ``start`` + ``today`` = ``lifetime``.

    ``month_start`` / ``year_start`` are optional (only the system summary has them).
    """

    day: date | None = None
    today: float | None = None
    start: float | None = None
    month_start: float | None = None
    year_start: float | None = None
    lifetime: float | None = None
    exact: bool = False  # ``today`` is the API's own figure for the day, not an estimate
    yesterday: float | None = None  # the energy the day before ``day`` ended with

    def roll_to(self, day: date) -> None:
        """Begin a new day: yesterday's end is today's start (until a summary says better).

        The new start is the old start plus the day's energy, not the lifetime shown: an
        estimate a little above the exact figure is not carried into the following days.
        """
        if self.day is None or day <= self.day:
            self.day = self.day or day
            return
        ended = self.today or 0.0
        if self.month_start is not None:
            same_month = (day.year, day.month) == (self.day.year, self.day.month)
            self.month_start = self.month_start + ended if same_month else 0.0
        if self.year_start is not None:
            self.year_start = self.year_start + ended if day.year == self.day.year else 0.0
        if self.start is not None:
            self.start += ended
        elif self.lifetime is not None:
            self.start = self.lifetime
        consecutive = day - self.day == timedelta(days=1)
        self.yesterday = ended if consecutive and not self.exact else None
        self.day, self.today, self.exact = day, 0.0, False

    def set_today(
        self, day: date, value: float, *, exact: bool = False, resolution: float = 0.0
    ) -> None:
        """Today's energy so far. An estimate only grows and never replaces an exact figure;
        an exact figure (the API's own total of the day) replaces an estimate, also a higher
        one, unless the two agree within the figure's ``resolution`` (its rounding): then
        the finer estimate stands, so rounding does not add up day after day. The lifetime
        shown never decreases either way."""
        self.roll_to(day)
        if exact and self._correct_yesterday(day, value):
            return
        if day != self.day or (self.exact and not exact):
            return
        if exact and self.today is not None and abs(value - self.today) <= resolution:
            value = self.today
        self.today = value if exact else max(value, self.today or 0.0)
        self.exact = self.exact or exact
        self._update()

    def set_summary(self, day: date, summary: EnergySummary) -> str | None:
        """Exact values at the start of ``day`` from a summary fetched that day.

        A summary that contradicts itself (negative values, today above the month) or puts
        the lifetime well below the counter is ignored (it would move the start backwards):
        the reason is returned.
        """
        self.roll_to(day)
        if day != self.day:
            return None
        if not _consistent(summary):
            return "the summary contradicts itself"
        if self.lifetime is not None and summary.lifetime < self.lifetime - SUMMARY_TOLERANCE:
            return (
                f"a lifetime of {summary.lifetime:.2f} kWh, below the "
                f"{self.lifetime:.2f} kWh already counted"
            )
        self.start = summary.lifetime - summary.today
        if self.month_start is not None or summary.month:
            self.month_start = summary.month - summary.today
        if self.year_start is not None or summary.year:
            self.year_start = summary.year - summary.today
        self.today = max(summary.today, self.today or 0.0)
        self._update()
        return None

    def _correct_yesterday(self, day: date, value: float) -> bool:
        """Yesterday's exact figure, arriving after today began (a morning catch-up behind a
        poll of today): the difference moves today's start, once."""
        if self.day is None or self.yesterday is None or day != self.day - timedelta(days=1):
            return False
        delta, self.yesterday = value - self.yesterday, None
        if self.start is not None:
            self.start += delta
        if self.month_start is not None and day.month == self.day.month:
            self.month_start += delta
        if self.year_start is not None and day.year == self.day.year:
            self.year_start += delta
        self._update()
        return True

    def known_on(self, day: date) -> float | None:
        """The energy already known for ``day`` (None for another day)."""
        return self.today if self.day == day else None

    def _update(self) -> None:
        if self.start is not None:
            self.lifetime = max(self.start + (self.today or 0.0), self.lifetime or 0.0)

    @property
    def month(self) -> float | None:
        """This month's energy."""
        return None if self.month_start is None else self.month_start + (self.today or 0.0)

    @property
    def year(self) -> float | None:
        """This year's energy."""
        return None if self.year_start is None else self.year_start + (self.today or 0.0)


def _consistent(summary: EnergySummary) -> bool:
    values = (summary.today, summary.month, summary.year, summary.lifetime)
    if min(values) < 0 or summary.today > summary.lifetime + ROUNDING:
        return False
    # month and year are optional (0 when absent): when present they hold today, up to their
    # rounding (the API gives today with 5-6 decimals, month, year and lifetime with 2: on
    # the 1st, the month can round below today).
    return all(
        total == 0 or total >= summary.today - ROUNDING for total in (summary.month, summary.year)
    )


@dataclass
class ChannelState:
    """One inverter channel."""

    power_w: float | None = None
    today_kwh: float | None = None


@dataclass
class InverterDetail:
    """The newest detail telemetry of an inverter (from its ``minutely`` endpoint)."""

    at: datetime
    dc_voltage: dict[int, float | None] = field(default_factory=dict)
    dc_current: dict[int, float | None] = field(default_factory=dict)
    ac_voltage: float | None = None
    frequency: float | None = None
    temperature: float | None = None


@dataclass
class InverterState:
    """A micro-inverter and its channels."""

    uid: str
    eid: str
    model: str | None = None
    channels: dict[int, ChannelState] = field(default_factory=dict)
    power_at: datetime | None = None
    energy_day: date | None = None
    exact_day: date | None = None  # the day whose channel energies are the API's own
    detail: InverterDetail | None = None
    # Its lifetime: anchored by its summary (on ``anchored``), rolled forward by its days.
    energy: Totals = field(default_factory=Totals)
    anchored: date | None = None
    last_report: datetime | None = None  # its newest sample with a value

    @property
    def power_w(self) -> float | None:
        """AC-side power: the sum of its channels."""
        values = [c.power_w for c in self.channels.values() if c.power_w is not None]
        return sum(values) if values else None

    @property
    def today_kwh(self) -> float | None:
        """Today's energy over its channels."""
        values = [c.today_kwh for c in self.channels.values() if c.today_kwh is not None]
        return sum(values) if values else None


def _estimate_channels(inv: InverterState, day: date, energies: dict[int, float]) -> None:
    """An inverter's channel energies of ``day`` so far, estimated from its power curve: they
    only grow, and never replace the API's exact figures of that day."""
    if (inv.energy_day is not None and day < inv.energy_day) or inv.exact_day == day:
        return
    if inv.energy_day != day:
        for channel in inv.channels.values():
            channel.today_kwh = 0.0
    for number, kwh in energies.items():
        channel = inv.channels.setdefault(number, ChannelState())
        channel.today_kwh = max(kwh, channel.today_kwh or 0.0)
    inv.energy_day = day


@dataclass
class EcuState:
    """An ECU: today's energy and power from ``minutely``, lifetime from its summary."""

    eid: str
    has_meter: bool = False
    energy: Totals = field(default_factory=Totals)
    power_w: float | None = None
    last_report: datetime | None = None


@dataclass
class MeterState:
    """A meter ECU: one counter per direction, and its newest power readings."""

    eid: str
    energy: dict[str, Totals] = field(default_factory=lambda: {k: Totals() for k in METER_KEYS})
    consumption_w: float | None = None
    grid_w: float | None = None
    production_w: float | None = None
    last_report: datetime | None = None


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


@dataclass
class SiteState:
    """Everything the entities show."""

    sid: str
    timezone: str = "UTC"
    capacity_kw: float | None = None
    create_date: date | None = None
    ecus: dict[str, EcuState] = field(default_factory=dict)
    inverters: dict[str, InverterState] = field(default_factory=dict)
    meters: dict[str, MeterState] = field(default_factory=dict)
    storage: dict[str, StorageState] = field(default_factory=dict)  # storage ECU id -> battery
    energy: Totals = field(default_factory=Totals)
    last_data: datetime | None = None
    updated: datetime | None = None
    # Devices the latest lists left out ("ecu:<eid>", "inverter:<uid>", "meter:<eid>"), and
    # the day they were first missed: not polled; gone once missed a day later too.
    missing: dict[str, date] = field(default_factory=dict)
    system_type: int = 1  # 1 PV, 2 storage, 3 PV and storage
    light: StatusLight | None = None  # the EMA status light, as the details last gave it
    light_at: datetime | None = None  # when the details gave it
    storage_prefix: str | None = None  # the API path prefix that serves storage (None: unknown)
    # Batteries whose storage data the API refused (under both prefixes), and the day: not
    # asked again before the next day's details.
    storage_refused: dict[str, date] = field(default_factory=dict)

    @property
    def producing(self) -> dict[str, EcuState]:
        """The ECUs whose inverters produce: every ECU but a meter ECU (type "meter activated"
        or in the meter list) without inverters; an ECU with its meter activated may also
        connect inverters of its own. ECUs the inventory left out are not polled."""
        with_inverters = {self.inverters[uid].eid for uid in self.listed_inverters}
        return {
            eid: ecu
            for eid, ecu in self.ecus.items()
            if (
                eid in with_inverters
                or not (ecu.has_meter or eid in self.meters or eid in self.storage)
            )
            and f"ecu:{eid}" not in self.missing
        }

    @property
    def listed_storage(self) -> list[str]:
        """The storage ECUs (batteries) the latest inventory lists, but those whose data the
        API refused today."""
        return [
            eid
            for eid in self.storage
            if f"ecu:{eid}" not in self.missing and eid not in self.storage_refused
        ]

    def refuse_storage(self, eid: str, day: date) -> None:
        """The API refused a battery's storage data on ``day``: not asked again before the
        next day's details."""
        self.storage_refused[eid] = day

    @property
    def listed_inverters(self) -> list[str]:
        """The inverters the latest inventory lists (the others are not polled)."""
        return [uid for uid in self.inverters if f"inverter:{uid}" not in self.missing]

    @property
    def listed_meters(self) -> list[str]:
        """The meters the latest meter list holds (the others are not polled)."""
        return [eid for eid in self.meters if f"meter:{eid}" not in self.missing]

    def _gone(self, key: str, today: date) -> bool:
        """A device left out of a list: missed now, or gone for good when it was first
        missed at least ``GONE_AFTER`` before (two lists a day apart)."""
        first = self.missing.setdefault(key, today)
        if today - first < GONE_AFTER:
            return False
        del self.missing[key]
        return True

    def local_day(self, at: datetime) -> date:
        """The system-local date at an instant (the API's dates are system-local)."""
        return at.astimezone(zone_of(self.timezone)).date()

    def plausible_day(self, kwh: float) -> bool:
        """Whether a day's energy is physically possible: the whole capacity for 24 hours
        at most (an absurd value would lift the never-decreasing lifetime for good)."""
        return kwh >= 0 and (self.capacity_kw is None or kwh <= self.capacity_kw * 24)

    def plausible_lifetime(self, kwh: float, day: date) -> bool:
        """Whether a lifetime is possible: the capacity for 24 hours a day since creation."""
        if kwh < 0:
            return False
        if self.capacity_kw is None or self.create_date is None:
            return True
        days = max((day - self.create_date).days, 0) + 1
        return kwh <= self.capacity_kw * 24 * days

    def _plausible_summary(self, summary: EnergySummary, day: date) -> bool:
        return self.plausible_day(summary.today) and self.plausible_lifetime(summary.lifetime, day)

    def day_problem(self, values: Sequence[float], known: float | None) -> str | None:
        """Why a day's energies (hourly or 5-minute, kWh) cannot be the day's, or None.

        ``known`` is the day's energy already known. A list holding clearly less (cut short,
        zeros, nulls) would replace good hours in the statistics; small shortfalls (rounding,
        the newest samples not in yet) are accepted.
        """
        if any(v < 0 for v in values):
            return "negative energy"
        total = sum(values)
        if not self.plausible_day(total):
            return f"{total:.1f} kWh in a day, more than the capacity can produce"
        if known is not None and total < known * (1 - SHORT_DAY_RATIO) - SHORT_DAY_KWH:
            return f"{total:.2f} kWh in all, less than the {known:.2f} kWh already known"
        return None

    @property
    def max_power_w(self) -> float:
        """The most power the system can deliver (W)."""
        if self.capacity_kw is None or self.capacity_kw <= 0:
            return NO_CAPACITY_W
        return self.capacity_kw * 1000 * POWER_MARGIN

    def power_problem(self, what: str, values: Iterable[float | None]) -> str | None:
        """Why production power values (W) cannot be real, or None."""
        bound = self.max_power_w
        for value in values:
            if value is not None and value > bound:
                return f"{what} of {value:g} W, more than the {bound:g} W the system can deliver"
        return None

    def meter_problem(self, eid: str, minutely: MeterMinutely) -> str | None:
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
        slot_kwh = METER_MAX_W * MAX_SLOT / 60 / 1000
        for key, energies in minutely.energy.items():
            if any(abs(kwh) > slot_kwh for kwh in energies):
                return f"meter {key} energy of {max(energies, key=abs):g} kWh in 5 minutes"
        meter = self.meters.get(eid)
        newest = _newest(minutely.day, minutely.times, zone_of(self.timezone))
        if meter is not None and meter.last_report and newest and minutely.today is not None:
            hours = max((newest - meter.last_report).total_seconds(), 0) / 3600
            allowed = METER_MAX_W * (hours + MAX_SLOT / 60) / 1000
            for key in METER_KEYS:
                known = meter.energy[key].known_on(minutely.day)
                grown = getattr(minutely.today, key) - (known or 0.0)
                if known is not None and grown > allowed:
                    return f"meter today {key} grown by {grown:g} kWh in {hours:.1f} h"
        return self.meter_totals_problem("today", minutely.today, 1)

    def meter_totals_problem(self, what: str, totals: MeterTotals | None, days: int) -> str | None:
        """Why a meter's totals over ``days`` days cannot be real (negative, or beyond what
        ``METER_MAX_W`` gives in that time), or None."""
        if totals is None:
            return None
        return _energy_problem(f"meter {what}", {k: getattr(totals, k) for k in METER_KEYS}, days)

    @property
    def power_w(self) -> float | None:
        """Current power: the sum of the ECUs' fresh newest samples."""
        values = [e.power_w for e in self.ecus.values() if e.power_w is not None]
        return sum(values) if values else None

    # -- inventory -------------------------------------------------------------------------

    def apply_details(self, details: SystemDetails, fetched: datetime | None = None) -> None:
        """Timezone, capacity, type, the status light and, until the inventory lists them,
        the ECU ids (the inventory then decides which ECUs come and go)."""
        self.timezone = details.timezone
        self.capacity_kw = details.capacity_kw
        self.create_date = details.create_date
        self.system_type = details.type
        self.light, self.light_at = details.light, fetched
        if fetched is not None:  # a refused battery is asked again the next day
            today = self.local_day(fetched)
            self.storage_refused = {e: d for e, d in self.storage_refused.items() if d >= today}
        if not self.ecus:
            for eid in details.ecus:
                self.ecus.setdefault(eid, EcuState(eid))

    def apply_inventory(self, ecus: tuple[EcuInfo, ...], today: date) -> set[str]:
        """ECUs and inverters as the API lists them now. One left out is no longer polled;
        left out again a day later it is gone: returns the device identifiers gone."""
        seen: set[str] = set()
        for ecu in ecus:
            self.ecus.setdefault(ecu.eid, EcuState(ecu.eid)).has_meter = ecu.has_meter
            self.missing.pop(f"ecu:{ecu.eid}", None)
            if ecu.is_storage:
                battery = self.storage.setdefault(ecu.eid, StorageState(ecu.eid))
                battery.model = ecu.model or battery.model
                battery.capacity_kwh = ecu.capacity or battery.capacity_kwh
            for inv in ecu.inverters:
                seen.add(inv.uid)
                self.missing.pop(f"inverter:{inv.uid}", None)
                known = self.inverters.setdefault(inv.uid, InverterState(inv.uid, ecu.eid))
                known.eid, known.model = ecu.eid, inv.type or known.model
        gone = {uid for uid in set(self.inverters) - seen if self._gone(f"inverter:{uid}", today)}
        for uid in gone:
            del self.inverters[uid]
        listed = {ecu.eid for ecu in ecus}
        gone_ecus = {eid for eid in set(self.ecus) - listed if self._gone(f"ecu:{eid}", today)}
        for eid in gone_ecus:
            del self.ecus[eid]
        gone_batteries = {f"battery_{eid}" for eid in gone_ecus if self.storage.pop(eid, None)}
        return gone | gone_ecus | gone_batteries

    def device_ids(self) -> set[str]:
        """The identifiers of the devices the site knows (system, ECUs, inverters, meters,
        batteries)."""
        return {
            self.sid,
            *self.ecus,
            *self.inverters,
            *(f"meter_{m}" for m in self.meters),
            *(f"battery_{e}" for e in self.storage),
        }

    def orphans(self, registered: set[str], today: date) -> set[str]:
        """Registered devices the site does not know (its state was lost while they were
        gone from the lists): gone, like any device, when still unknown a day later."""
        unknown = registered - self.device_ids()
        for key in [k for k in self.missing if k.startswith("device:")]:
            if key.removeprefix("device:") not in unknown:
                del self.missing[key]
        return {ident for ident in unknown if self._gone(f"device:{ident}", today)}

    def apply_meters(self, meters: tuple[str, ...], today: date) -> set[str]:
        """Meter ECU ids, with the same lifecycle as :meth:`apply_inventory`: returns the
        device identifiers (``meter_<eid>``) gone."""
        for eid in meters:
            self.meters.setdefault(eid, MeterState(eid))
            self.missing.pop(f"meter:{eid}", None)
        gone = {eid for eid in set(self.meters) - set(meters) if self._gone(f"meter:{eid}", today)}
        for eid in gone:
            del self.meters[eid]
        return {f"meter_{eid}" for eid in gone}

    # -- energy ----------------------------------------------------------------------------

    def apply_summary(self, summary: EnergySummary, fetched: datetime) -> str | None:
        """The system's exact totals at the start of its day; an impossible summary is
        ignored and the reason returned."""
        return self._summary(self.energy, summary, fetched)

    def apply_ecu_summary(self, eid: str, summary: EnergySummary, fetched: datetime) -> str | None:
        """An ECU's exact totals at the start of its day; an impossible summary is ignored
        and the reason returned."""
        return self._summary(self.ecus.setdefault(eid, EcuState(eid)).energy, summary, fetched)

    def _summary(self, totals: Totals, summary: EnergySummary, fetched: datetime) -> str | None:
        day = self.local_day(fetched)
        self.updated = fetched
        if not self._plausible_summary(summary, day):
            return "values no system of this capacity can produce"
        return totals.set_summary(day, summary)

    def apply_ecu_minutely(self, eid: str, minutely: EcuMinutely, fetched: datetime) -> None:
        """An ECU's curve of the day: its energy so far and its newest power."""
        ecu = self.ecus.setdefault(eid, EcuState(eid))
        if ecu.energy.day is not None and minutely.day < ecu.energy.day:
            return  # an older day: nothing to learn for the live values
        today = minutely.today if minutely.today is not None else sum(minutely.energy)
        if not self.plausible_day(today):
            return  # a bad answer: nothing in it is worth showing
        ecu.energy.set_today(minutely.day, today)
        sample = _newest(minutely.day, minutely.times, zone_of(self.timezone))
        ecu.last_report = sample or ecu.last_report
        ecu.power_w = _fresh(minutely.last_power, sample, fetched)
        self._sum_ecus(minutely.day)
        self.last_data = max(
            (e.last_report for e in self.ecus.values() if e.last_report), default=None
        )
        self.updated = fetched

    def apply_system_day_energy(
        self, day: date, total: float, fetched: datetime, *, exact: bool = False, terms: int = 0
    ) -> None:
        """The system's energy of a day (e.g. the sum of ``terms`` hourly values rounded to
        2 decimals); ``exact`` when it is the API's figure of the whole day (the closing)."""
        if self.plausible_day(total):
            self.energy.set_today(day, total, exact=exact, resolution=terms * HALF_CENT)
        self.updated = fetched

    def _sum_ecus(self, day: date) -> None:
        """System today = the producing ECUs' todays, once they all report ``day``."""
        producing = list(self.producing.values())
        if producing and all(e.energy.day == day for e in producing):
            self.energy.set_today(day, sum(e.energy.today or 0.0 for e in producing))

    # -- inverters -------------------------------------------------------------------------

    def apply_batch_power(self, eid: str, power: BatchPower, fetched: datetime) -> None:
        """Every channel's newest power under one ECU, and every channel's energy of the day
        so far: the curve integrated (an estimate the closing's batch energy makes exact).
        The ECU's energy of the day is the sum of its channels, so one call per ECU moves
        the channels, inverters, ECU and system alike."""
        zone = zone_of(self.timezone)
        sample = _newest(power.day, power.times, zone)
        energies = {
            uid: {n: sum(slot_energies(power.times, v)) for n, v in channels.items()}
            for uid, channels in power.power.items()
        }
        total = sum(sum(channels.values()) for channels in energies.values())
        plausible = self.plausible_day(total)
        newer = False
        for uid, channels in power.power.items():
            inv = self.inverters.get(uid)
            if inv is None:
                continue  # not in the inventory (the lists are the authority on devices)
            if sample is not None and inv.power_at is not None and sample < inv.power_at:
                continue  # an older curve than the one we have
            newer = True
            if plausible:
                _estimate_channels(inv, power.day, energies[uid])
                if inv.energy_day == power.day and inv.today_kwh is not None:
                    inv.energy.set_today(power.day, inv.today_kwh)
            for number, values in channels.items():
                channel = inv.channels.setdefault(number, ChannelState())
                channel.power_w = _fresh(values[-1] if values else None, sample, fetched)
            inv.power_at = sample or inv.power_at
            reported = _reported(power.day, power.times, channels.values(), zone)
            if reported is not None and _after(reported, inv.last_report):
                inv.last_report = reported
        ecu = self.ecus.get(eid)
        if ecu is not None and plausible and newer:
            ecu.energy.set_today(power.day, total)
            self._sum_ecus(power.day)
        # The same call covers every inverter of the ECU: a newer sample is the ECU's power too.
        if ecu is not None and sample is not None and _after(sample, ecu.last_report):
            ecu.last_report = sample
            ecu.power_w = sum(
                inv.power_w or 0.0 for inv in self.inverters.values() if inv.eid == eid
            )
            self.last_data = max(sample, self.last_data or sample)
        self.updated = fetched

    def apply_batch_energy(self, eid: str, energy: BatchEnergy, fetched: datetime) -> None:
        """Every channel's exact energy of the day under one ECU (an impossible day is
        ignored): it replaces the estimates, and closes the ECU's day exactly."""
        total = sum(sum(channels.values()) for channels in energy.energy.values())
        if not self.plausible_day(total):
            return
        for uid, channels in energy.energy.items():
            inv = self.inverters.get(uid)
            if inv is None or (inv.energy_day is not None and energy.day < inv.energy_day):
                continue
            if inv.energy_day != energy.day:
                for channel in inv.channels.values():
                    channel.today_kwh = 0.0
            for number, kwh in channels.items():
                inv.channels.setdefault(number, ChannelState()).today_kwh = kwh
            inv.energy_day = inv.exact_day = energy.day
            terms = sum(1 for kwh in channels.values() if kwh)
            inv.energy.set_today(
                energy.day, sum(channels.values()), exact=True, resolution=terms * HALF_CENT
            )
        ecu = self.ecus.get(eid)
        if ecu is not None and energy.energy:
            terms = sum(
                1 for channels in energy.energy.values() for kwh in channels.values() if kwh
            )
            ecu.energy.set_today(energy.day, total, exact=True, resolution=terms * HALF_CENT)
            self._sum_ecus(energy.day)
        self.updated = fetched

    def apply_inverter_summary(
        self, uid: str, summary: InverterSummary, fetched: datetime
    ) -> str | None:
        """An inverter's exact lifetime at the start of its day (its anchor); an impossible
        summary is ignored and the reason returned."""
        inv = self.inverters.get(uid)
        if inv is None:
            return None  # no longer listed
        day = self.local_day(fetched)
        totals = EnergySummary(
            today=summary.today,
            month=sum(c.month for c in summary.channels),
            year=sum(c.year for c in summary.channels),
            lifetime=summary.lifetime,
        )
        if not self._plausible_summary(totals, day):
            return "values no system of this capacity can produce"
        problem = inv.energy.set_summary(day, totals)
        if problem is None:
            inv.anchored = day
        self.updated = fetched
        return problem

    def apply_inverter_detail(self, uid: str, detail: InverterMinutely, fetched: datetime) -> None:
        """The newest detail telemetry sample of one inverter."""
        inv = self.inverters.get(uid)
        at = _newest(detail.day, detail.times, zone_of(self.timezone))
        if inv is None or at is None:
            return

        def last(values: tuple[float | None, ...]) -> float | None:
            return values[-1] if values else None

        ac_voltages = [v for v in (last(s) for s in detail.ac_voltage.values()) if v is not None]
        inv.detail = InverterDetail(
            at=at,
            dc_voltage={n: last(s) for n, s in detail.dc_voltage.items()},
            dc_current={n: last(s) for n, s in detail.dc_current.items()},
            ac_voltage=ac_voltages[0] if ac_voltages else None,
            frequency=last(detail.ac_frequency),
            temperature=last(detail.temperature),
        )
        self.updated = fetched

    # -- meters ----------------------------------------------------------------------------

    def apply_meter_summary(self, eid: str, summary: MeterSummary, fetched: datetime) -> None:
        """A meter's exact lifetime totals at the start of its day."""
        meter = self.meters.setdefault(eid, MeterState(eid))
        if summary.lifetime is None or summary.today is None:
            return
        day = self.local_day(fetched)
        for key in METER_KEYS:
            today, lifetime = getattr(summary.today, key), getattr(summary.lifetime, key)
            meter.energy[key].set_summary(day, EnergySummary(today, 0.0, 0.0, lifetime))
        self.updated = fetched

    def apply_meter_minutely(self, eid: str, minutely: MeterMinutely, fetched: datetime) -> None:
        """A meter's energy of today and its newest power readings."""
        meter = self.meters.setdefault(eid, MeterState(eid))
        if minutely.today is not None:
            for key in METER_KEYS:
                meter.energy[key].set_today(minutely.day, getattr(minutely.today, key))
        sample = _newest(minutely.day, minutely.times, zone_of(self.timezone))
        if sample is not None and (meter.last_report is None or sample >= meter.last_report):
            meter.last_report = sample
            meter.consumption_w = minutely.consumed_power[-1] if minutely.consumed_power else None
            meter.grid_w = minutely.grid_power[-1] if minutely.grid_power else None
            meter.production_w = minutely.produced_power[-1] if minutely.produced_power else None
        self.updated = fetched

    # -- storage ---------------------------------------------------------------------------

    def storage_power_problem(self, latest: StorageLatest) -> str | None:
        """Why a storage ECU's latest powers cannot be real (beyond ``METER_MAX_W``)."""
        for key in STORAGE_KEYS:
            value = latest.power(key)
            if value is not None and value > METER_MAX_W:
                return f"storage {key} power of {value:g} W"
        return None

    def storage_totals_problem(
        self, what: str, totals: StorageTotals | Mapping[str, float], days: int
    ) -> str | None:
        """Why a storage ECU's energies over ``days`` days cannot be real (negative, or
        beyond what ``METER_MAX_W`` gives in that time), or None."""
        if not isinstance(totals, Mapping):
            totals = {key: totals.get(key) for key in STORAGE_KEYS}
        return _energy_problem(f"storage {what}", totals, days)

    def _storage(self, eid: str) -> StorageState:
        return self.storage.setdefault(eid, StorageState(eid))

    def apply_storage_latest(self, eid: str, latest: StorageLatest, fetched: datetime) -> None:
        """A battery's latest reading: state of charge, mode and powers. Its ``HH:mm`` is
        today's, or yesterday's when later than now (the evening's reading, fetched after
        midnight)."""
        battery = self._storage(eid)
        zone = zone_of(self.timezone)
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
        self.updated = fetched

    def apply_storage_summary(self, eid: str, summary: StorageSummary, fetched: datetime) -> None:
        """A battery's exact totals of today, this month, year and lifetime."""
        battery = self._storage(eid)
        day = self.local_day(fetched)
        for key in STORAGE_KEYS:
            battery.energy[key].set_summary(
                day,
                EnergySummary(
                    today=summary.today.get(key),
                    month=summary.month.get(key),
                    year=summary.year.get(key),
                    lifetime=summary.lifetime.get(key),
                ),
            )
        self.updated = fetched

    # -- persistence -----------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON for HA's Store."""
        return {"version": STATE_VERSION, **_encode(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Rebuild from :meth:`as_dict`; raises ``ValueError`` for data it cannot read."""
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise ValueError("unsupported state (not a mapping of a known version)")
        try:
            return cls(
                sid=data["sid"],
                timezone=data["timezone"],
                capacity_kw=codec.opt_number(data["capacity_kw"], "capacity_kw", minimum=0),
                create_date=codec.opt_day(data["create_date"], "create_date"),
                ecus={k: _ecu(v) for k, v in data["ecus"].items()},
                inverters={k: _inverter(v) for k, v in data["inverters"].items()},
                meters={k: _meter(v) for k, v in data["meters"].items()},
                energy=_totals(data["energy"], "energy"),
                last_data=codec.opt_instant(data["last_data"], "last_data"),
                updated=codec.opt_instant(data["updated"], "updated"),
                missing={str(k): date.fromisoformat(v) for k, v in data.get("missing", {}).items()},
                storage={k: _battery(v) for k, v in data.get("storage", {}).items()},
                system_type=codec.count(data.get("system_type", 1), "system_type"),
                light=_light(data.get("light")),
                light_at=codec.opt_instant(data.get("light_at"), "light_at"),
                storage_prefix=data.get("storage_prefix"),
                storage_refused={
                    str(k): date.fromisoformat(v)
                    for k, v in data.get("storage_refused", {}).items()
                },
            )
        except (KeyError, TypeError, AttributeError) as err:
            raise ValueError(f"unreadable state: {err!r}") from err


def _encode(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _encode(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    return value


def _totals(data: Any, what: str = "totals") -> Totals:
    data = codec.mapping(data, what)
    return Totals(
        day=codec.opt_day(data["day"], f"{what}.day"),
        today=codec.opt_number(data["today"], f"{what}.today", minimum=0),
        start=codec.opt_number(data["start"], f"{what}.start", minimum=0),
        month_start=codec.opt_number(data["month_start"], f"{what}.month_start"),
        year_start=codec.opt_number(data["year_start"], f"{what}.year_start"),
        lifetime=codec.opt_number(data["lifetime"], f"{what}.lifetime", minimum=0),
        exact=bool(data.get("exact", False)),
        yesterday=codec.opt_number(data.get("yesterday"), f"{what}.yesterday", minimum=0),
    )


def _ecu(data: dict[str, Any]) -> EcuState:
    return EcuState(
        eid=data["eid"],
        has_meter=data["has_meter"],
        energy=_totals(data["energy"], "ecu.energy"),
        power_w=codec.opt_number(data["power_w"], "ecu.power_w"),
        last_report=codec.opt_instant(data["last_report"], "ecu.last_report"),
    )


def _inverter(data: dict[str, Any]) -> InverterState:
    detail = data["detail"]
    return InverterState(
        uid=data["uid"],
        eid=data["eid"],
        model=data["model"],
        channels={
            int(k): ChannelState(
                power_w=codec.opt_number(v["power_w"], "channel.power_w"),
                today_kwh=codec.opt_number(v["today_kwh"], "channel.today_kwh", minimum=0),
            )
            for k, v in data["channels"].items()
        },
        power_at=codec.opt_instant(data["power_at"], "inverter.power_at"),
        energy_day=codec.opt_day(data["energy_day"], "inverter.energy_day"),
        exact_day=codec.opt_day(data.get("exact_day"), "inverter.exact_day"),
        energy=_totals(data["energy"], "inverter.energy") if "energy" in data else Totals(),
        anchored=codec.opt_day(data.get("anchored"), "inverter.anchored"),
        last_report=codec.opt_instant(data.get("last_report"), "inverter.last_report"),
        detail=None
        if detail is None
        else InverterDetail(
            at=datetime.fromisoformat(detail["at"]),
            dc_voltage={int(k): v for k, v in detail["dc_voltage"].items()},
            dc_current={int(k): v for k, v in detail["dc_current"].items()},
            ac_voltage=detail["ac_voltage"],
            frequency=detail["frequency"],
            temperature=detail["temperature"],
        ),
    )


def _meter(data: dict[str, Any]) -> MeterState:
    return MeterState(
        eid=data["eid"],
        energy={k: _totals(v, f"meter.{k}") for k, v in data["energy"].items()},
        consumption_w=codec.opt_number(data["consumption_w"], "meter.consumption_w"),
        grid_w=codec.opt_number(data["grid_w"], "meter.grid_w"),
        production_w=codec.opt_number(data["production_w"], "meter.production_w"),
        last_report=codec.opt_instant(data["last_report"], "meter.last_report"),
    )


def _light(value: Any) -> StatusLight | None:
    if value is None:
        return None
    number = codec.count(value, "light")
    return StatusLight(number) if number in set(StatusLight) else None


def _battery(data: dict[str, Any]) -> StorageState:
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
            k: _totals(energy[k], f"storage.{k}") if k in energy else Totals() for k in STORAGE_KEYS
        },
    )
