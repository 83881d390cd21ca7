"""The site as the entities see it: the system and the container of its devices (pure
Python, no Home Assistant).

Each device type folds its own answers in its own module (``ecu.py``, ``inverter.py``,
``meter.py``, ``battery.py``; their counters follow ``totals.py``); this one holds the
system's details, inventory and energy counter, the device lifecycle (listed, missing, gone),
the bounds an answer must stay within, and the persistence of the whole (``as_dict`` /
``from_dict``), so that a restart costs no API call.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, Self

from .. import codec
from ..openapi import EcuInfo, EnergySummary, StatusLight, SystemDetails
from .battery import StorageState, battery_from
from .curves import zone_of
from .ecu import EcuState, ecu_from
from .inverter import InverterState, inverter_from
from .limits import (
    NO_CAPACITY_W,
    POWER_MARGIN,
    RATING_MARGIN,
    SHORT_DAY_KWH,
    SHORT_DAY_RATIO,
    channel_bound,
    inverter_bound,
)
from .meter import MeterState, meter_from
from .totals import Totals, rounding, totals_from

STATE_VERSION = 1
# A device left out of two lists at least this far apart is gone (its device is removed).
GONE_AFTER = timedelta(days=1)


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
    # The energy each producing ECU's curve holds up to the system's anchor (a summary
    # without today): the system's start follows once every ECU gave its part.
    anchor_parts: dict[str, float] = field(default_factory=dict)

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

    @property
    def _peak_kw(self) -> float | None:
        """The most the system can produce in an hour (kWh): the declared capacity, or the
        inverters' ratings where they are more."""
        if self.capacity_kw is None:
            return None
        return max(self.capacity_kw, (self.capacity_w or 0.0) / 1000)

    def plausible_day(self, kwh: float) -> bool:
        """Whether a day's energy is physically possible: the whole capacity for 24 hours
        at most (an absurd value would lift the never-decreasing lifetime for good)."""
        peak = self._peak_kw
        return kwh >= 0 and (peak is None or kwh <= peak * 24)

    def plausible_lifetime(self, kwh: float, day: date) -> bool:
        """Whether a lifetime is possible: the capacity for 24 hours a day since creation."""
        if kwh < 0:
            return False
        peak = self._peak_kw
        if peak is None or self.create_date is None:
            return True
        days = max((day - self.create_date).days, 0) + 1
        return kwh <= peak * 24 * days

    def plausible_summary(self, summary: EnergySummary, day: date) -> bool:
        """Whether a summary's today and lifetime are possible on ``day``."""
        return self.plausible_day(summary.today or 0.0) and self.plausible_lifetime(
            summary.lifetime, day
        )

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
        """The most power the system can deliver (W): its inverters' ratings (see
        :mod:`.limits`); before the inverter list, its declared capacity with a margin."""
        rated = sum(self.inverter_bound(uid) for uid in self.listed_inverters)
        if rated > 0:
            return rated
        if self.capacity_kw is None or self.capacity_kw <= 0:
            return NO_CAPACITY_W
        return self.capacity_kw * 1000 * POWER_MARGIN

    def ecu_max_power_w(self, eid: str) -> float:
        """The most power an ECU's inverters can deliver (W); the system's while the
        inverter list names none of them."""
        rated = sum(
            self.inverter_bound(uid)
            for uid in self.listed_inverters
            if self.inverters[uid].eid == eid
        )
        return rated or self.max_power_w

    def inverter_bound(self, uid: str) -> float:
        """The most power an inverter can deliver (W)."""
        inverter = self.inverters.get(uid)
        if inverter is None:
            return inverter_bound(None)
        return inverter_bound(inverter.model, len(inverter.channels))

    def channel_bound(self, uid: str) -> float:
        """The most power one channel of an inverter can deliver (W)."""
        inverter = self.inverters.get(uid)
        if inverter is None:
            return channel_bound(None)
        return channel_bound(inverter.model, len(inverter.channels))

    @property
    def capacity_w(self) -> float | None:
        """The system's peak power as far as it is known (W): the declared capacity, or the
        inverters' ratings without their margin where those are more (an extension the
        details do not show)."""
        declared = (self.capacity_kw or 0.0) * 1000
        rated = self.max_power_w / RATING_MARGIN if self.listed_inverters else 0.0
        best = max(declared, rated)
        return best or None

    def power_problem(
        self, what: str, values: Iterable[float | None], bound: float | None = None
    ) -> str | None:
        """Why production power values (W) cannot be real, or None."""
        bound = self.max_power_w if bound is None else bound
        for value in values:
            if value is not None and value > bound:
                return f"{what} of {value:g} W, more than the {bound:g} W the system can deliver"
        return None

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

    # -- the system's energy ------------------------------------------------------------------

    def apply_summary(self, summary: EnergySummary, fetched: datetime) -> str | None:
        """The system's totals (its lifetime at the start of its day, or an anchor without
        its today); an impossible summary is ignored and the reason returned."""
        self.anchor_parts = {}
        return self.summary_into(self.energy, summary, fetched)

    def summary_into(self, totals: Totals, summary: EnergySummary, fetched: datetime) -> str | None:
        """A summary fetched at ``fetched`` into a counter, unless no system of this
        capacity can produce it (the reason is returned)."""
        day = self.local_day(fetched)
        self.updated = fetched
        if not self.plausible_summary(summary, day):
            return "values no system of this capacity can produce"
        return totals.set_summary(day, summary, fetched)

    def settle_system(self, eid: str, day: date, until: float) -> None:
        """One producing ECU's energy of ``day`` up to the system's anchor: once every
        producing ECU gave its part, the system's start follows."""
        if self.energy.anchored_at(day) is None:
            return
        self.anchor_parts[eid] = until
        producing = list(self.producing)
        if producing and all(e in self.anchor_parts for e in producing):
            self.energy.settle(day, sum(self.anchor_parts[e] for e in producing))
            self.anchor_parts = {}

    def apply_system_day_energy(
        self, day: date, total: float, fetched: datetime, *, exact: bool = False, terms: int = 0
    ) -> None:
        """The system's energy of a day (e.g. the sum of ``terms`` hourly values rounded to
        2 decimals); ``exact`` when it is the API's figure of the whole day (the closing)."""
        if self.plausible_day(total):
            self.energy.set_today(day, total, exact=exact, resolution=rounding(terms))
        self.updated = fetched

    def sum_ecus(self, day: date) -> None:
        """System today = the producing ECUs' todays, once they all report ``day``."""
        producing = list(self.producing.values())
        if producing and all(e.energy.day == day for e in producing):
            self.energy.set_today(day, sum(e.energy.today or 0.0 for e in producing))

    # -- inverters -------------------------------------------------------------------------

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
                ecus={k: ecu_from(v) for k, v in data["ecus"].items()},
                inverters={k: inverter_from(v) for k, v in data["inverters"].items()},
                meters={k: meter_from(v) for k, v in data["meters"].items()},
                energy=totals_from(data["energy"], "energy"),
                last_data=codec.opt_instant(data["last_data"], "last_data"),
                updated=codec.opt_instant(data["updated"], "updated"),
                missing={str(k): date.fromisoformat(v) for k, v in data.get("missing", {}).items()},
                storage={k: battery_from(v) for k, v in data.get("storage", {}).items()},
                system_type=codec.count(data.get("system_type", 1), "system_type"),
                light=_light(data.get("light")),
                light_at=codec.opt_instant(data.get("light_at"), "light_at"),
                storage_prefix=data.get("storage_prefix"),
                storage_refused={
                    str(k): date.fromisoformat(v)
                    for k, v in data.get("storage_refused", {}).items()
                },
                anchor_parts={
                    str(k): codec.number(v, "anchor_parts", minimum=0)
                    for k, v in data.get("anchor_parts", {}).items()
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


def _light(value: Any) -> StatusLight | None:
    if value is None:
        return None
    number = codec.count(value, "light")
    return StatusLight(number) if number in set(StatusLight) else None
