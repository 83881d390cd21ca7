"""Deterministic production and consumption data: the simulator's ground truth.

Everything derives from one *unit curve* per (site location, day): the power of a 1 W
module, sampled every 5 minutes of the local (system timezone) wall clock, from a clear-sky
model (solar declination / hour angle / elevation) times a seeded per-day cloudiness.

Each channel is ``peak_w * channel_factor(uid, channel)`` watts of that curve, so every
aggregate is a sum of per-channel 5-minute samples: ECU = sum of its channels, hourly = sum
of 12 slots, day = sum of the hours, month = sum of days, and so on.

A site with a measured ``sky`` (a file of ``skies/``, see :func:`measured_curve`) takes its
unit curve from measured production instead of the formula; every sum above still derives
from it, so they agree just the same.

Slot ``i`` is labelled ``HH:mm`` = ``i * 5`` minutes after local midnight; its power is the
instantaneous power at that time and its energy the energy of the 5 minutes ending then
(trapezoid). "Today" counts the slots whose label is not after "now".
"""

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from functools import lru_cache
import json
import math
from pathlib import Path
import random
from typing import TypedDict, Unpack
import zlib
from zoneinfo import ZoneInfo

from .site import Inverter, Site

SLOT_MINUTES = 5
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
SLOTS_PER_HOUR = 60 // SLOT_MINUTES
_SLOT_KWH_PER_W = SLOT_MINUTES / 60 / 1000
_MIN_SIN_ELEVATION = 0.02  # ~1.1 degrees: nothing is produced below
# Modules facing east or west see a sun below this height (~6 degrees) at a slant: their
# power ramps up from sunrise (and down to sunset) like the sun's height.
_FACING_SLANT = 0.1
_PRODUCTIONS_KEPT = 50_000  # a truth's remembered productions (scope and day) at most


class Scope(TypedDict, total=False):
    """Which part of the system: an ECU, an inverter, or one inverter channel."""

    eid: str
    uid: str
    channel: int


@dataclass(frozen=True, slots=True)
class DayCurve:
    """The unit curve of one day: per 1 W of module."""

    power: tuple[float, ...]
    """W per W-peak at each slot label."""
    energy: tuple[float, ...]
    """kWh per W-peak in the 5 minutes ending at each slot label."""
    total: float
    first: int | None
    """First slot with energy (first upload of the day), or None on a dark day."""
    last: int | None
    """Last slot with energy (the upload after sunset)."""


@dataclass(frozen=True, slots=True)
class Totals:
    """Energy (kWh) today / this month / this year / lifetime."""

    today: float
    month: float
    year: float
    lifetime: float


def summed[T](first: T, second: T) -> T:
    """Two energy totals of the same kind (a dataclass of kWh fields) added field by field."""
    return type(first)(*(getattr(first, f.name) + getattr(second, f.name) for f in fields(first)))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class MeterTotals:
    """Meter energies (kWh) over some period."""

    consumed: float = 0.0
    exported: float = 0.0
    imported: float = 0.0
    produced: float = 0.0

    def __add__(self, other: MeterTotals) -> MeterTotals:
        """Sum two periods."""
        return summed(self, other)

    def as_dict(self) -> dict[str, float]:
        """The four values keyed as the API does."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class MeterDay:
    """A meter's 5-minute samples over a day (W and kWh)."""

    consumed_w: tuple[float, ...]
    produced_w: tuple[float, ...]
    consumed: tuple[float, ...]
    produced: tuple[float, ...]
    imported: tuple[float, ...]
    exported: tuple[float, ...]


def slot_label(slot: int) -> str:
    """``HH:mm`` of a slot."""
    minutes = slot * SLOT_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def channel_factor(uid: str, channel: int) -> float:
    """A fixed per-channel derating (orientation, shading, module spread): 0.86 to 1.0."""
    return 0.86 + 0.14 * (zlib.crc32(f"{uid}-{channel}".encode()) % 1000) / 999


def _weather(seed: int, day: date) -> tuple[float, float, float, float, float, float]:
    """Clearness, variability and two cloud periods/phases for a day (seeded)."""
    rng = random.Random(f"{seed}/{day.isoformat()}")
    regime = rng.random()
    if regime < 0.4:
        clearness, variability = rng.uniform(0.93, 1.0), rng.uniform(0.0, 0.08)
    elif regime < 0.75:
        clearness, variability = rng.uniform(0.65, 0.92), rng.uniform(0.25, 0.55)
    else:
        clearness, variability = rng.uniform(0.12, 0.45), rng.uniform(0.1, 0.3)
    return (
        clearness,
        variability,
        rng.uniform(1.5, 4.0),
        rng.uniform(0.0, 2 * math.pi),
        rng.uniform(0.35, 1.1),
        rng.uniform(0.0, 2 * math.pi),
    )


SKIES = Path(__file__).with_name("skies")


@lru_cache(maxsize=8)
def measured_sky(name: str) -> dict[int, tuple[float, ...]]:
    """A measured sky (``skies/<name>.json``, written by ``scripts/skies_from_pvdata.py``):
    per day of its month, 288 powers per W-peak on the local 5-minute slots."""
    data = json.loads((SKIES / f"{name}.json").read_text())
    days = {int(day): tuple(float(v) for v in values) for day, values in data["days"].items()}
    if not days or any(len(v) != SLOTS_PER_DAY for v in days.values()):
        raise ValueError(f"the sky {name} has no 288 slots a day")
    return days


def measured_curve(sky: str, day: date) -> DayCurve:
    """The unit curve of ``day`` under a measured sky: the measured day of the same day of
    the month (the last measured day for a later one), so every day of the site's life has
    a real day's shape and its sums stay consistent."""
    days = measured_sky(sky)
    power = days.get(day.day) or days[max(days)]
    return _day_curve([max(0.0, p) for p in power])


def _sun_power(
    latitude: float, longitude: float, timezone: str, seed: int, day: date, facing: int
) -> list[float]:
    """The power (W per W-peak) at each slot label of modules facing the sun's noon, or
    ``facing`` minutes after it (before it, negative): their sun is the sun of that time,
    the sky the day's at this time, and they wake and sleep with the real sun (which they
    see at a slant near the horizon)."""
    zone = ZoneInfo(timezone)
    offset = datetime.combine(day, time(12), zone).utcoffset()
    offset_h = offset.total_seconds() / 3600 if offset is not None else 0.0
    gamma = 2 * math.pi * (day.timetuple().tm_yday - 1) / 365
    decl = (
        0.006918
        - 0.399912 * math.cos(gamma)
        + 0.070257 * math.sin(gamma)
        - 0.006758 * math.cos(2 * gamma)
        + 0.000907 * math.sin(2 * gamma)
        - 0.002697 * math.cos(3 * gamma)
        + 0.00148 * math.sin(3 * gamma)
    )
    eot_min = 229.18 * (
        0.000075
        + 0.001868 * math.cos(gamma)
        - 0.032077 * math.sin(gamma)
        - 0.014615 * math.cos(2 * gamma)
        - 0.040849 * math.sin(2 * gamma)
    )
    # solar time (h) = local wall-clock time (h) + shift
    shift = longitude / 15 + eot_min / 60 - offset_h
    phi = math.radians(latitude)
    a = math.sin(phi) * math.sin(decl)
    b = math.cos(phi) * math.cos(decl)
    clearness, variability, p1, ph1, p2, ph2 = _weather(seed, day)
    power = [0.0] * SLOTS_PER_DAY
    # only walk the slots where the sun can be above the cut-off
    limit = (_MIN_SIN_ELEVATION - a) / b if b > 1e-9 else 2.0
    if limit < 1.0:
        half_day = math.acos(max(-1.0, limit)) * 12 / math.pi  # hours either side of noon
        start = max(0, math.floor((12 - half_day - shift) * SLOTS_PER_HOUR))
        stop = min(SLOTS_PER_DAY, math.ceil((12 + half_day - shift) * SLOTS_PER_HOUR) + 1)
        k = math.pi / 12
        two_pi = 2 * math.pi
        for i in range(start, stop):
            hour = i / SLOTS_PER_HOUR
            s = a + b * math.cos((hour + shift - 12) * k)
            if s <= _MIN_SIN_ELEVATION:
                continue
            clouds = 1 - variability * (0.5 + 0.5 * math.sin(two_pi * hour / p1 + ph1)) * (
                0.5 + 0.5 * math.sin(two_pi * hour / p2 + ph2)
            )
            if facing:
                seen = a + b * math.cos((hour - facing / 60 + shift - 12) * k)
                slant = min(1.0, s / _FACING_SLANT)
                power[i] = min(1.0, 1.05 * max(seen, 0.0) ** 1.2) * slant * clearness * clouds
            else:
                power[i] = min(1.0, 1.05 * s**1.2) * clearness * clouds
    return power


def _day_curve(power: list[float]) -> DayCurve:
    """A day's curve from its powers: each slot's energy the trapezoid since the one before."""
    energy = [0.0] * SLOTS_PER_DAY
    previous = 0.0
    for i, p in enumerate(power):
        energy[i] = (previous + p) / 2 * _SLOT_KWH_PER_W
        previous = p
    lit = [i for i, e in enumerate(energy) if e > 0]
    return DayCurve(
        power=tuple(power),
        energy=tuple(energy),
        total=sum(energy),
        first=lit[0] if lit else None,
        last=lit[-1] if lit else None,
    )


@lru_cache(maxsize=512)
def unit_curve(
    latitude: float, longitude: float, timezone: str, seed: int, day: date, sky: str = ""
) -> DayCurve:
    """The unit curve of ``day`` (cached): the formula's, or the measured ``sky``'s."""
    if sky:
        return measured_curve(sky, day)
    return _day_curve(_sun_power(latitude, longitude, timezone, seed, day, 0))


type Shape = tuple[int, tuple[tuple[float, float, float], ...]]
"""How one channel's curve differs from the unit curve on a day: where its modules face
(minutes, see :attr:`~.site.Inverter.facing_minutes`) and the losses of its faults, each
``(share lost, from hour, to hour)`` (local hours; ``0, 24`` for all day)."""
PLAIN: Shape = (0, ())
"""The unit curve itself: facing the sun's noon, nothing lost."""

type Production = tuple[tuple[Shape, float], ...]
"""The channels of a scope on a day by their shape: each shape with its channels' W-peak."""


@lru_cache(maxsize=2048)
def shaped_curve(
    latitude: float,
    longitude: float,
    timezone: str,
    seed: int,
    day: date,
    shape: Shape,
    sky: str = "",
) -> DayCurve:
    """The curve (per W-peak) of channels of ``shape`` on ``day`` (cached). A measured
    ``sky`` already holds its modules' orientation: only the losses apply to it."""
    if shape == PLAIN:
        return unit_curve(latitude, longitude, timezone, seed, day, sky)
    facing, losses = shape
    if facing and not sky:
        power = _sun_power(latitude, longitude, timezone, seed, day, facing)
    else:
        power = list(unit_curve(latitude, longitude, timezone, seed, day, sky).power)
    for i in range(SLOTS_PER_DAY):
        hour = i / SLOTS_PER_HOUR
        for share, start, end in losses:
            if start <= hour < end:
                power[i] *= 1.0 - share
    return _day_curve(power)


@lru_cache(maxsize=16384)
def shaped_total(
    latitude: float,
    longitude: float,
    timezone: str,
    seed: int,
    day: date,
    shape: Shape,
    sky: str = "",
) -> float:
    """The day's energy per W-peak of channels of ``shape`` (cached apart from the curves)."""
    if shape == PLAIN:
        return unit_total(latitude, longitude, timezone, seed, day, sky)
    return shaped_curve(latitude, longitude, timezone, seed, day, shape, sky).total


@lru_cache(maxsize=8192)
def unit_total(
    latitude: float, longitude: float, timezone: str, seed: int, day: date, sky: str = ""
) -> float:
    """The day's unit energy, kWh per W-peak (cached separately from the curves)."""
    return unit_curve(latitude, longitude, timezone, seed, day, sky).total


@lru_cache(maxsize=256)
def production_curve(
    latitude: float,
    longitude: float,
    timezone: str,
    seed: int,
    day: date,
    production: Production,
    sky: str = "",
) -> DayCurve:
    """The curve of a scope's channels (W and kWh, not per W-peak): each shape's curve times
    its W-peak, summed (cached)."""
    curves = [
        (shaped_curve(latitude, longitude, timezone, seed, day, shape, sky), scale)
        for shape, scale in production
    ]
    if len(curves) == 1:
        curve, scale = curves[0]
        return DayCurve(
            power=tuple(p * scale for p in curve.power),
            energy=tuple(e * scale for e in curve.energy),
            total=curve.total * scale,
            first=curve.first,
            last=curve.last,
        )
    power = [sum(c.power[i] * w for c, w in curves) for i in range(SLOTS_PER_DAY)]
    energy = [sum(c.energy[i] * w for c, w in curves) for i in range(SLOTS_PER_DAY)]
    lit = [i for i, e in enumerate(energy) if e > 0]
    return DayCurve(
        tuple(power), tuple(energy), sum(energy), lit[0] if lit else None, lit[-1] if lit else None
    )


def _consumption_profile() -> tuple[float, ...]:
    """Household load shape (multiples of the base load) over the slots of a day."""
    shape = []
    for i in range(SLOTS_PER_DAY):
        h = i / SLOTS_PER_HOUR
        morning = 1.6 * math.exp(-(((h - 7.4) / 0.9) ** 2))
        midday = 0.7 * math.exp(-(((h - 12.5) / 1.5) ** 2))
        evening = 3.8 * math.exp(-(((h - 19.2) / 1.6) ** 2))
        fridge = 0.25 * (1 if (i // 4) % 3 == 0 else 0)
        shape.append(1.0 + morning + midday + evening + fridge)
    return tuple(shape)


_PROFILE = _consumption_profile()
_PROFILE_SUM = sum(_PROFILE)


type MeterKey = tuple[float, float, str, int, Production, float, date, str]
"""(latitude, longitude, timezone, seed, the system's production, base load W, day, sky)."""


def _load(seed: int, day: date) -> tuple[float, int]:
    """The day's load factor and evening shift (slots), seeded."""
    rng = random.Random(f"meter/{seed}/{day.isoformat()}")
    factor = rng.uniform(0.8, 1.25) * (1.15 if day.weekday() >= 5 else 1.0)
    return factor, rng.randrange(-6, 7)


@lru_cache(maxsize=64)
def meter_day(key: MeterKey) -> MeterDay:
    """5-minute meter samples of one day for a site (cached)."""
    latitude, longitude, timezone, seed, production, base_w, day, sky = key
    curve = production_curve(latitude, longitude, timezone, seed, day, production, sky)
    factor, shift = _load(seed, day)
    load = base_w * factor
    consumed_w = tuple(load * _PROFILE[(i - shift) % SLOTS_PER_DAY] for i in range(SLOTS_PER_DAY))
    produced_w = curve.power
    consumed = tuple(w * _SLOT_KWH_PER_W for w in consumed_w)
    produced = curve.energy
    imported = tuple(max(c - p, 0.0) for c, p in zip(consumed, produced, strict=True))
    exported = tuple(max(p - c, 0.0) for c, p in zip(consumed, produced, strict=True))
    return MeterDay(consumed_w, produced_w, consumed, produced, imported, exported)


@lru_cache(maxsize=8192)
def meter_day_totals(key: MeterKey) -> MeterTotals:
    """A full day's meter totals (cached; the same sums as :func:`meter_day`, computed
    without building the day's lists: only daylight slots can export)."""
    latitude, longitude, timezone, seed, production, base_w, day, sky = key
    if len(production) == 1:  # one shape: its curve times its W-peak, without the lists
        shape, scale_w = production[0]
        curve = shaped_curve(latitude, longitude, timezone, seed, day, shape, sky)
    else:
        curve, scale_w = production_curve(*key[:4], day, production, sky), 1.0
    factor, shift = _load(seed, day)
    load_kwh = base_w * factor * _SLOT_KWH_PER_W
    consumed = load_kwh * _PROFILE_SUM
    produced = curve.total * scale_w
    exported = 0.0
    if curve.first is not None and curve.last is not None:
        energy = curve.energy
        for i in range(curve.first, curve.last + 1):
            surplus = energy[i] * scale_w - load_kwh * _PROFILE[(i - shift) % SLOTS_PER_DAY]
            if surplus > 0:
                exported += surplus
    return MeterTotals(consumed, exported, consumed - produced + exported, produced)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def days_in_month(year: int, month: int) -> int:
    """Number of days of a month."""
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return (nxt - date(year, month, 1)).days


def _days(start: date, end: date) -> Iterable[date]:
    """Days from start to end inclusive."""
    for n in range(start.toordinal(), end.toordinal() + 1):
        yield date.fromordinal(n)


class Truth:
    """The exact values behind every answer, for tests to compare against.

    Scope keywords: none = whole system; ``eid`` = one ECU; ``uid`` = one inverter;
    ``uid`` + ``channel`` = one channel (1-based). ``at`` is an aware datetime ("now"):
    days after its local date count zero and its own day counts only the slots up to it.
    Days before ``site.create_date`` count zero. Unrounded floats, kWh (W for power).
    """

    def __init__(self, site: Site) -> None:
        """Bind to a site."""
        self.site = site
        self.zone = ZoneInfo(site.timezone)
        self._key = (site.latitude, site.longitude, site.timezone, site.seed)
        self.system_scale = self.scale()
        # Every channel faces the sun's noon and has no fault: every scope is the unit curve
        # times its W-peak.
        self._plain = not site.faults and all(inv.facing_minutes == 0 for inv in site.inverters)
        self._productions: dict[tuple[date, str | None, str | None, int | None], Production] = {}

    # ---------------------------------------------------------------- scopes and time
    def _scoped(
        self, eid: str | None, uid: str | None, channel: int | None
    ) -> Iterable[tuple[Inverter, int]]:
        """The channels in a scope (each with its inverter); None: any."""
        for ecu in self.site.ecus:
            if eid is not None and ecu.eid != eid:
                continue
            for inv in ecu.inverters:
                if uid is not None and inv.uid != uid:
                    continue
                for ch in range(1, inv.channels + 1):
                    if channel is None or ch == channel:
                        yield inv, ch

    def scale(self, **scope: Unpack[Scope]) -> float:
        """Sum of the channel W-peaks in the scope (raises KeyError if it names nothing)."""
        eid, uid, channel = scope.get("eid"), scope.get("uid"), scope.get("channel")
        total = 0.0
        found = False
        for inv, ch in self._scoped(eid, uid, channel):
            found = True
            total += inv.peak_w * channel_factor(inv.uid, ch)
        if not found and (eid is not None or uid is not None):
            raise KeyError(eid or uid)
        return total

    def local_now(self, at: datetime) -> datetime:
        """``at`` in the system timezone."""
        return at.astimezone(self.zone)

    def today(self, at: datetime) -> date:
        """The system-local date of ``at``."""
        return self.local_now(at).date()

    def slots_until(self, day: date, at: datetime | None) -> int:
        """How many of the day's slots have been uploaded by ``at`` (all if None)."""
        if day < self.site.create_date:
            return 0
        if at is None:
            return SLOTS_PER_DAY
        now = self.local_now(at)
        if day < now.date():
            return SLOTS_PER_DAY
        if day > now.date():
            return 0
        return (now.hour * 60 + now.minute) // SLOT_MINUTES + 1

    def curve(self, day: date) -> DayCurve:
        """The unit curve of a day."""
        return unit_curve(*self._key, day, self.site.sky)

    def window(self, day: date, at: datetime | None = None) -> range:
        """Slots reported by the minutely endpoints: first upload to last (or to ``at``)."""
        curve = self.curve(day)
        upto = self.slots_until(day, at)
        if curve.first is None or curve.last is None or upto <= curve.first:
            return range(0)
        return range(curve.first, min(curve.last + 1, upto))

    # ---------------------------------------------------------------- production
    def shape(self, inverter: Inverter, channel: int, day: date) -> Shape:
        """How a channel's curve differs from the unit curve on ``day``: where its modules
        face and what its faults take (see :data:`Shape`)."""
        losses = tuple(
            (fault.loss, *(fault.hours or (0.0, 24.0)))
            for fault in self.site.faults
            if fault.applies(inverter.uid, channel, day)
        )
        return (inverter.facing_minutes, losses)

    def production(self, day: date, **scope: Unpack[Scope]) -> Production:
        """The scope's channels on ``day`` by their shape, each with its W-peak: one shape
        (the unit curve) on a site whose modules all face the sun's noon without a fault."""
        if self._plain:
            return ((PLAIN, self.scale(**scope)),)
        key = (day, scope.get("eid"), scope.get("uid"), scope.get("channel"))
        known = self._productions.get(key)
        if known is not None:
            return known
        self.scale(**scope)  # a scope that names nothing raises KeyError
        eid, uid, channel = key[1:]
        shapes: dict[Shape, float] = {}
        for inv, ch in self._scoped(eid, uid, channel):
            shape = self.shape(inv, ch, day)
            shapes[shape] = shapes.get(shape, 0.0) + inv.peak_w * channel_factor(inv.uid, ch)
        production = tuple(shapes.items()) or ((PLAIN, 0.0),)
        if len(self._productions) > _PRODUCTIONS_KEPT:
            self._productions.clear()
        self._productions[key] = production
        return production

    def _curves(self, day: date, **scope: Unpack[Scope]) -> list[tuple[DayCurve, float]]:
        """Each shape's curve of the scope on ``day`` with its W-peak."""
        return [
            (shaped_curve(*self._key, day, shape, self.site.sky), scale)
            for shape, scale in self.production(day, **scope)
        ]

    def slot_energy(
        self, day: date, at: datetime | None = None, **scope: Unpack[Scope]
    ) -> list[float]:
        """The 288 five-minute energies of the day (zero after ``at``), kWh."""
        curves = self._curves(day, **scope)
        upto = self.slots_until(day, at)
        if len(curves) == 1:
            curve, s = curves[0]
            return [e * s if i < upto else 0.0 for i, e in enumerate(curve.energy)]
        return [
            sum(c.energy[i] * s for c, s in curves) if i < upto else 0.0
            for i in range(SLOTS_PER_DAY)
        ]

    def slot_power(self, day: date, **scope: Unpack[Scope]) -> list[float]:
        """The 288 instantaneous powers of the day, W."""
        curves = self._curves(day, **scope)
        if len(curves) == 1:
            curve, s = curves[0]
            return [p * s for p in curve.power]
        return [sum(c.power[i] * s for c, s in curves) for i in range(SLOTS_PER_DAY)]

    def hourly(self, day: date, at: datetime | None = None, **scope: Unpack[Scope]) -> list[float]:
        """The 24 hourly energies of the day, kWh."""
        slots = self.slot_energy(day, at, **scope)
        return [sum(slots[h * SLOTS_PER_HOUR : (h + 1) * SLOTS_PER_HOUR]) for h in range(24)]

    def _shaped_day(self, day: date, at: datetime | None, shape: Shape) -> float:
        """A day's energy per W-peak of channels of ``shape`` (up to ``at``)."""
        upto = self.slots_until(day, at)
        if upto == 0:
            return 0.0
        if upto == SLOTS_PER_DAY:
            return shaped_total(*self._key, day, shape, self.site.sky)
        return sum(shaped_curve(*self._key, day, shape, self.site.sky).energy[:upto])

    def _unit_day(self, day: date, at: datetime | None) -> float:
        return self._shaped_day(day, at, PLAIN)

    def day_energy(self, day: date, at: datetime | None = None, **scope: Unpack[Scope]) -> float:
        """Energy of one day, kWh."""
        if self._plain:
            return self._unit_day(day, at) * self.scale(**scope)
        return sum(
            self._shaped_day(day, at, shape) * scale
            for shape, scale in self.production(day, **scope)
        )

    def range_energy(
        self, start: date, end: date, at: datetime | None = None, **scope: Unpack[Scope]
    ) -> float:
        """Energy over the days ``start`` to ``end`` inclusive, kWh."""
        start = max(start, self.site.create_date)
        if at is not None:
            end = min(end, self.today(at))
        if self._plain:
            unit = sum(self._unit_day(d, at) for d in _days(start, end))
            return unit * self.scale(**scope)
        return sum(self.day_energy(d, at, **scope) for d in _days(start, end))

    def summary(self, at: datetime, **scope: Unpack[Scope]) -> Totals:
        """Today / month / year / lifetime at ``at``, kWh."""
        today = self.today(at)
        return Totals(
            today=self.day_energy(today, at, **scope),
            month=self.range_energy(_month_start(today), today, at, **scope),
            year=self.range_energy(today.replace(month=1, day=1), today, at, **scope),
            lifetime=self.range_energy(self.site.create_date, today, at, **scope),
        )

    def lifetime(self, at: datetime, **scope: Unpack[Scope]) -> float:
        """Lifetime energy at ``at``, kWh."""
        return self.range_energy(self.site.create_date, self.today(at), at, **scope)

    def series(self, level: str, key: date, at: datetime, **scope: Unpack[Scope]) -> list[float]:
        """A period list as the API returns it (current period truncated), kWh.

        ``level``: hourly (the day ``key``), daily (the month of ``key``), monthly (the
        year of ``key``) or yearly (since creation; ``key`` ignored).
        """
        today = self.today(at)
        if level == "hourly":
            values = self.hourly(key, at, **scope)
            return values[: self.local_now(at).hour + 1] if key == today else values
        if level == "daily":
            count = days_in_month(key.year, key.month)
            if (key.year, key.month) == (today.year, today.month):
                count = today.day
            return [self.day_energy(key.replace(day=d), at, **scope) for d in range(1, count + 1)]
        if level == "monthly":
            months = today.month if key.year == today.year else 12
            return [
                self.range_energy(
                    date(key.year, m, 1), date(key.year, m, days_in_month(key.year, m)), at, **scope
                )
                for m in range(1, months + 1)
            ]
        if level == "yearly":
            return [
                self.range_energy(date(y, 1, 1), date(y, 12, 31), at, **scope)
                for y in range(self.site.create_date.year, today.year + 1)
            ]
        raise ValueError(level)

    # ---------------------------------------------------------------- meter
    def _meter_key(self, day: date) -> MeterKey:
        return (*self._key, self.production(day), self.site.base_load_w, day, self.site.sky)

    def meter_samples(self, day: date) -> MeterDay:
        """The meter's 5-minute samples (all 288) of a day."""
        return meter_day(self._meter_key(day))

    def meter_slots(self, day: date, at: datetime | None = None) -> list[MeterTotals]:
        """Per-slot meter energies (zero for slots not uploaded by ``at``)."""
        upto = self.slots_until(day, at)
        d = self.meter_samples(day)
        return [
            MeterTotals(d.consumed[i], d.exported[i], d.imported[i], d.produced[i])
            if i < upto
            else MeterTotals()
            for i in range(SLOTS_PER_DAY)
        ]

    def meter_day(self, day: date, at: datetime | None = None) -> MeterTotals:
        """A day's meter totals."""
        upto = self.slots_until(day, at)
        if upto == 0:
            return MeterTotals()
        if upto == SLOTS_PER_DAY:
            return meter_day_totals(self._meter_key(day))
        total = MeterTotals()
        for slot in self.meter_slots(day, at)[:upto]:
            total += slot
        return total

    def meter_range(self, start: date, end: date, at: datetime | None = None) -> MeterTotals:
        """Meter totals over ``start`` to ``end`` inclusive."""
        start = max(start, self.site.create_date)
        if at is not None:
            end = min(end, self.today(at))
        total = MeterTotals()
        for d in _days(start, end):
            total += self.meter_day(d, at)
        return total

    def meter_summary(self, at: datetime) -> dict[str, MeterTotals]:
        """today / month / year / lifetime meter totals."""
        today = self.today(at)
        return {
            "today": self.meter_day(today, at),
            "month": self.meter_range(_month_start(today), today, at),
            "year": self.meter_range(today.replace(month=1, day=1), today, at),
            "lifetime": self.meter_range(self.site.create_date, today, at),
        }

    def meter_series(self, level: str, key: date, at: datetime) -> list[MeterTotals]:
        """Meter period list (current period truncated) like :meth:`series`."""
        today = self.today(at)
        if level == "hourly":
            slots = self.meter_slots(key, at)
            hours = self.local_now(at).hour + 1 if key == today else 24
            out = []
            for h in range(hours):
                total = MeterTotals()
                for slot in slots[h * SLOTS_PER_HOUR : (h + 1) * SLOTS_PER_HOUR]:
                    total += slot
                out.append(total)
            return out
        if level == "daily":
            count = days_in_month(key.year, key.month)
            if (key.year, key.month) == (today.year, today.month):
                count = today.day
            return [self.meter_day(key.replace(day=d), at) for d in range(1, count + 1)]
        if level == "monthly":
            months = today.month if key.year == today.year else 12
            return [
                self.meter_range(
                    date(key.year, m, 1), date(key.year, m, days_in_month(key.year, m)), at
                )
                for m in range(1, months + 1)
            ]
        if level == "yearly":
            return [
                self.meter_range(date(y, 1, 1), date(y, 12, 31), at)
                for y in range(self.site.create_date.year, today.year + 1)
            ]
        raise ValueError(level)

    # ---------------------------------------------------------------- helpers
    def warm(self, at: datetime) -> None:
        """Compute (and cache) every day's totals up to ``at``, so requests stay fast."""
        for d in _days(self.site.create_date, self.today(at)):
            unit_total(*self._key, d, self.site.sky)
            if self.site.meters:
                meter_day_totals(self._meter_key(d))

    def channels(self, inverter: Inverter) -> range:
        """The 1-based channel numbers of an inverter."""
        return range(1, inverter.channels + 1)
