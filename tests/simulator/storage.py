"""A battery's day, slot by slot: the truth behind the storage endpoints (manual v1.7 §3.6).

Each storage ECU is the home's battery between its PV, its household load and the grid. On
every 5-minute slot (the energy of the 5 minutes ending at the slot's label, as everywhere in
the simulator) with ``produced`` the PV energy (the site's APsystems production, or the
storage's own external array) and ``consumed`` the household load (the meter's load profile:
base load with morning and evening peaks):

- a surplus charges the battery (at most ``max_charge_w`` and what fits below 100 %), the
  rest is exported;
- a deficit is covered by discharging (at most ``max_discharge_w`` and what lies above the
  reserve), the rest is imported.

So on every slot, exactly: ``consumed = produced + discharge - charge + imported - exported``.
The state of charge moves by ``charge * efficiency - discharge / efficiency`` and is carried
from one day to the next from the site's creation day on (days are simulated in order once and
their end states cached, so any instant is computable and cheap). Powers are the slot's
average power (its energy over 5 minutes), so the identity holds for them too.

Modes (an opaque code string in the API; this mapping is the simulator's own choice, not
APsystems'): ``"1"`` self-consumption (charging, discharging, or holding), ``"2"`` full
(standby, the surplus is exported), ``"3"`` at the reserve (standby, the load is imported).
"""

from collections import OrderedDict
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from functools import lru_cache
from typing import Unpack

from .site import Site, Storage
from .solar import (
    _PROFILE,
    SLOT_MINUTES,
    SLOTS_PER_DAY,
    SLOTS_PER_HOUR,
    Scope,
    Truth,
    _days,
    _load,
    _month_start,
    days_in_month,
    production_curve,
    summed,
    unit_curve,
)

STORAGE_KEYS = ("discharge", "charge", "produced", "consumed", "exported", "imported")
"""The six quantities, in the API's order."""

MODE_SELF_CONSUMPTION = "1"
MODE_FULL = "2"
MODE_RESERVE = "3"

_SLOT_HOURS = SLOT_MINUTES / 60
SLOT_KWH_PER_W = _SLOT_HOURS / 1000
"""kWh per W over one slot (a slot's energy / this = its average power)."""
_EPSILON_KWH = 1e-9
_DAY_CACHE = 96


@dataclass(frozen=True, slots=True)
class StorageTotals:
    """The six storage energies (kWh) over some period."""

    discharge: float = 0.0
    charge: float = 0.0
    produced: float = 0.0
    consumed: float = 0.0
    exported: float = 0.0
    imported: float = 0.0

    def __add__(self, other: StorageTotals) -> StorageTotals:
        """Sum two periods."""
        return summed(self, other)

    def as_dict(self) -> dict[str, float]:
        """The six values keyed as the API does."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def imbalance(self) -> float:
        """``produced + discharge - charge + imported - exported - consumed`` (zero but for
        float rounding)."""
        return (
            self.produced
            + self.discharge
            - self.charge
            + self.imported
            - self.exported
            - self.consumed
        )


@dataclass(frozen=True, slots=True)
class StorageReading:
    """The battery at one slot: what ``storage/latest`` reports (powers in W)."""

    at: datetime
    """The slot's label as an aware local datetime."""
    soc: float
    """State of charge after the slot, %."""
    mode: str
    discharge: float
    charge: float
    produced: float
    consumed: float
    exported: float
    imported: float

    def powers(self) -> dict[str, float]:
        """The six powers keyed as the API does."""
        return {name: getattr(self, name) for name in STORAGE_KEYS}


@dataclass(frozen=True, slots=True)
class StorageDay:
    """One day of a battery: per-slot energies (kWh), state of charge and mode."""

    start_kwh: float
    """Energy stored at the start of the day (end of the previous one)."""
    soc_kwh: tuple[float, ...]
    """Energy stored after each slot."""
    modes: tuple[str, ...]
    discharge: tuple[float, ...]
    charge: tuple[float, ...]
    produced: tuple[float, ...]
    consumed: tuple[float, ...]
    exported: tuple[float, ...]
    imported: tuple[float, ...]

    def slot(self, i: int) -> StorageTotals:
        """The six energies of slot ``i``."""
        return StorageTotals(
            self.discharge[i],
            self.charge[i],
            self.produced[i],
            self.consumed[i],
            self.exported[i],
            self.imported[i],
        )

    def totals(self, upto: int = SLOTS_PER_DAY) -> StorageTotals:
        """The sums over the first ``upto`` slots."""
        return StorageTotals(*(sum(getattr(self, name)[:upto]) for name in STORAGE_KEYS))

    @property
    def end_kwh(self) -> float:
        """Energy stored at the end of the day."""
        return self.soc_kwh[-1]


type StorageKey = tuple[float, float, str, int, float | Site, float, date, Storage]
"""(latitude, longitude, timezone, seed, PV, base load W, creation day, storage). The PV is
the W-peak of the unit curve, or the site whose production it is (its modules face east or
west, or have faults: the sum of its channels)."""


class StorageModel:
    """One battery's history, simulated day by day from the creation day (end states and day
    totals cached; the slot detail of recent days too)."""

    def __init__(self, key: StorageKey) -> None:
        """Bind to the site's parameters."""
        self.key = key
        self.create_date = key[6]
        self.storage = key[7]
        capacity = self.storage.capacity_kwh
        self.full_kwh = capacity
        self.reserve_kwh = capacity * self.storage.reserve_pct / 100
        self._starts: list[float] = [capacity * self.storage.initial_soc_pct / 100]
        self._totals: list[StorageTotals] = []
        self._days: OrderedDict[date, StorageDay] = OrderedDict()
        self._pv: Truth | None = None  # the production of a site whose channels differ

    def _simulate(self, day: date, start_kwh: float) -> StorageDay:
        latitude, longitude, timezone, seed, pv, base_w, _created, storage = self.key
        if isinstance(pv, Site):
            if self._pv is None:
                self._pv = Truth(pv)
            production = self._pv.production(day)
            curve = production_curve(latitude, longitude, timezone, seed, day, production)
            pv_w = 1.0
        else:
            curve, pv_w = unit_curve(latitude, longitude, timezone, seed, day), pv
        factor, shift = _load(seed, day)
        load_kwh = base_w * factor * SLOT_KWH_PER_W
        max_charge = storage.max_charge_w * SLOT_KWH_PER_W
        max_discharge = storage.max_discharge_w * SLOT_KWH_PER_W
        eff = storage.efficiency
        full, reserve = self.full_kwh, self.reserve_kwh
        soc = start_kwh
        out: dict[str, list[float]] = {name: [0.0] * SLOTS_PER_DAY for name in STORAGE_KEYS}
        socs = [0.0] * SLOTS_PER_DAY
        modes = [MODE_SELF_CONSUMPTION] * SLOTS_PER_DAY
        for i in range(SLOTS_PER_DAY):
            produced = curve.energy[i] * pv_w
            consumed = load_kwh * _PROFILE[(i - shift) % SLOTS_PER_DAY]
            surplus = produced - consumed
            if surplus > 0:
                charge = min(surplus, max_charge, max(0.0, (full - soc) / eff))
                soc = min(full, soc + charge * eff)
                out["charge"][i] = charge
                out["exported"][i] = surplus - charge
                if charge <= 0 and soc >= full - _EPSILON_KWH:
                    modes[i] = MODE_FULL
            else:
                discharge = min(-surplus, max_discharge, max(0.0, (soc - reserve) * eff))
                if discharge > 0:
                    soc = max(reserve, soc - discharge / eff)
                out["discharge"][i] = discharge
                out["imported"][i] = -surplus - discharge
                if discharge <= 0 and soc <= reserve + _EPSILON_KWH:
                    modes[i] = MODE_RESERVE
            out["produced"][i] = produced
            out["consumed"][i] = consumed
            socs[i] = soc
        return StorageDay(
            start_kwh,
            tuple(socs),
            tuple(modes),
            *(tuple(out[name]) for name in STORAGE_KEYS),
        )

    def _advance(self, index: int) -> None:
        """Simulate the days up to the ``index``-th since creation (their starts known)."""
        while len(self._totals) <= index:
            n = len(self._totals)
            day = date.fromordinal(self.create_date.toordinal() + n)
            result = self._simulate(day, self._starts[n])
            self._remember(day, result)
            self._totals.append(result.totals())
            self._starts.append(result.end_kwh)

    def _remember(self, day: date, result: StorageDay) -> None:
        self._days[day] = result
        self._days.move_to_end(day)
        while len(self._days) > _DAY_CACHE:
            self._days.popitem(last=False)

    def start_kwh(self, day: date) -> float:
        """Energy stored at the start of ``day`` (the initial charge before creation)."""
        index = (day - self.create_date).days
        if index <= 0:
            return self._starts[0]
        self._advance(index - 1)
        return self._starts[index]

    def day(self, day: date) -> StorageDay:
        """All 288 slots of ``day`` (a zero day before creation)."""
        if day < self.create_date:
            zero = (0.0,) * SLOTS_PER_DAY
            start = self._starts[0]
            return StorageDay(
                start,
                (start,) * SLOTS_PER_DAY,
                (MODE_SELF_CONSUMPTION,) * SLOTS_PER_DAY,
                *((zero,) * len(STORAGE_KEYS)),
            )
        cached = self._days.get(day)
        if cached is not None:
            self._days.move_to_end(day)
            return cached
        result = self._simulate(day, self.start_kwh(day))
        self._remember(day, result)
        return result

    def day_totals(self, day: date) -> StorageTotals:
        """A full day's six totals (zero before creation)."""
        index = (day - self.create_date).days
        if index < 0:
            return StorageTotals()
        self._advance(index)
        return self._totals[index]


@lru_cache(maxsize=32)
def storage_model(key: StorageKey) -> StorageModel:
    """The (shared, cached) model of one battery on one site."""
    return StorageModel(key)


class StorageTruth(Truth):
    """:class:`Truth` plus the storage ECUs' exact values (kWh for energies, W for powers,
    % for the state of charge; unrounded).

    ``eid`` names a storage ECU (KeyError otherwise); ``at`` is "now" as everywhere: slots
    after it count zero. Accessors: :meth:`storage` (the reading at an instant: state of
    charge, mode and the six powers), :meth:`storage_day` (all slots of a day),
    :meth:`storage_slots`, :meth:`storage_day_totals`, :meth:`storage_range`,
    :meth:`storage_totals` (today / month / year / lifetime), :meth:`storage_summary` (the
    four) and :meth:`storage_series` (the period lists).
    """

    def __init__(self, site: Site) -> None:
        """Bind to a site."""
        super().__init__(site)
        self._storage_eids = frozenset(s.eid for s in site.storages)

    def scale(self, **scope: Unpack[Scope]) -> float:
        """As :meth:`Truth.scale`; a storage ECU (no inverters) has none: 0."""
        eid = scope.get("eid")
        if eid is not None and eid in self._storage_eids and scope.get("uid") is None:
            return 0.0
        return super().scale(**scope)

    def storage_model(self, eid: str) -> StorageModel:
        """The battery model of the storage ECU ``eid``."""
        unit = self.site.storage(eid)
        if unit is None:
            raise KeyError(eid)
        pv: float | Site = unit.pv_peak_w or (self.system_scale if self._plain else self.site)
        return storage_model((*self._key, pv, self.site.base_load_w, self.site.create_date, unit))

    def storage_day(self, eid: str, day: date) -> StorageDay:
        """Every slot of ``day`` (regardless of "now")."""
        return self.storage_model(eid).day(day)

    def storage_slots(self, eid: str, day: date, at: datetime | None = None) -> list[StorageTotals]:
        """The 288 per-slot energies of ``day`` (zero after ``at``)."""
        upto = self.slots_until(day, at)
        result = self.storage_day(eid, day)
        return [result.slot(i) if i < upto else StorageTotals() for i in range(SLOTS_PER_DAY)]

    def storage_day_totals(self, eid: str, day: date, at: datetime | None = None) -> StorageTotals:
        """The six energies of one day (up to ``at``)."""
        upto = self.slots_until(day, at)
        if upto == 0:
            return StorageTotals()
        if upto == SLOTS_PER_DAY:
            return self.storage_model(eid).day_totals(day)
        return self.storage_day(eid, day).totals(upto)

    def storage_range(
        self, eid: str, start: date, end: date, at: datetime | None = None
    ) -> StorageTotals:
        """The six energies of the days ``start`` to ``end`` inclusive."""
        start = max(start, self.site.create_date)
        if at is not None:
            end = min(end, self.today(at))
        total = StorageTotals()
        for d in _days(start, end):
            total += self.storage_day_totals(eid, d, at)
        return total

    def storage_totals(self, eid: str, scope: str, at: datetime) -> StorageTotals:
        """``scope`` = today / month / year / lifetime at ``at``."""
        today = self.today(at)
        first = {
            "today": today,
            "month": _month_start(today),
            "year": today.replace(month=1, day=1),
            "lifetime": self.site.create_date,
        }[scope]
        return self.storage_range(eid, first, today, at)

    def storage_summary(self, eid: str, at: datetime) -> dict[str, StorageTotals]:
        """today / month / year / lifetime, as ``storage/summary``."""
        return {s: self.storage_totals(eid, s, at) for s in ("today", "month", "year", "lifetime")}

    def storage_reading(self, eid: str, day: date, slot: int) -> StorageReading:
        """The battery at slot ``slot`` of ``day``."""
        result = self.storage_day(eid, day)
        unit = self.site.storage(eid)
        assert unit is not None
        minutes = slot * SLOT_MINUTES
        label = datetime.combine(day, time(minutes // 60, minutes % 60), self.zone)
        return StorageReading(
            at=label,
            soc=100 * result.soc_kwh[slot] / unit.capacity_kwh,
            mode=result.modes[slot],
            **{name: getattr(result, name)[slot] / SLOT_KWH_PER_W for name in STORAGE_KEYS},
        )

    def storage(self, eid: str, at: datetime) -> StorageReading | None:
        """The newest reading uploaded by ``at`` (None before the first one)."""
        day = self.today(at)
        upto = self.slots_until(day, at)
        if upto == 0:
            day = date.fromordinal(day.toordinal() - 1)
            upto = self.slots_until(day, at)
            if upto == 0:
                return None
        return self.storage_reading(eid, day, upto - 1)

    def storage_series(self, eid: str, level: str, key: date, at: datetime) -> list[StorageTotals]:
        """A storage period list (current period truncated), like :meth:`Truth.series`."""
        today = self.today(at)
        if level == "hourly":
            slots = self.storage_slots(eid, key, at)
            hours = self.local_now(at).hour + 1 if key == today else 24
            out = []
            for h in range(hours):
                total = StorageTotals()
                for slot in slots[h * SLOTS_PER_HOUR : (h + 1) * SLOTS_PER_HOUR]:
                    total += slot
                out.append(total)
            return out
        if level == "daily":
            count = days_in_month(key.year, key.month)
            if (key.year, key.month) == (today.year, today.month):
                count = today.day
            return [
                self.storage_day_totals(eid, key.replace(day=d), at) for d in range(1, count + 1)
            ]
        if level == "monthly":
            months = today.month if key.year == today.year else 12
            return [
                self.storage_range(
                    eid, date(key.year, m, 1), date(key.year, m, days_in_month(key.year, m)), at
                )
                for m in range(1, months + 1)
            ]
        if level == "yearly":
            return [
                self.storage_range(eid, date(y, 1, 1), date(y, 12, 31), at)
                for y in range(self.site.create_date.year, today.year + 1)
            ]
        raise ValueError(level)

    def warm(self, at: datetime) -> None:
        """As :meth:`Truth.warm`, and every battery's days up to ``at``."""
        super().warm(at)
        for unit in self.site.storages:
            self.storage_model(unit.eid).day_totals(self.today(at))
