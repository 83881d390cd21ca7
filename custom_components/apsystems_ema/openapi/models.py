"""Typed models of the OpenAPI's answers, parsed from its string numbers.

The API sends numbers as strings ("12.28", "0", "0.00"), sometimes nulls for absent blocks,
and truncates the arrays of the current period. Parsing is strict about types (a value that
is not a number raises :class:`APsystemsResponseError` naming the field) and lenient about
absence (a null or empty value becomes ``None`` where the field is optional).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from enum import IntEnum, StrEnum
import math
import re
from typing import Any, Self

from .errors import APsystemsResponseError


class EnergyLevel(StrEnum):
    """The ``energy_level`` values of the period endpoints."""

    MINUTELY = "minutely"
    HOURLY = "hourly"
    DAILY = "daily"
    MONTHLY = "monthly"
    YEARLY = "yearly"


class BatchLevel(StrEnum):
    """The ``energy_level`` values of the batch endpoint."""

    POWER = "power"
    ENERGY = "energy"


# ---------------------------------------------------------------------------------------------
# Field parsers

_INTEGER = re.compile(r"-?[0-9]+")


def _fail(what: str, value: object) -> APsystemsResponseError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return APsystemsResponseError(f"Unexpected value for {what}: {shown}")


# No number the API gives (W, kWh, V, A, Hz, °C, kW) comes near this: beyond it, it is garbage.
ABSURD = 1e9


def opt_float(value: object, what: str) -> float | None:
    """Parse an API number (usually a string); ``None`` and ``""`` mean absent. NaN,
    infinities and magnitudes beyond ``ABSURD`` are refused."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _fail(what, value)
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # a JSON integer beyond any float
            raise _fail(what, value) from None
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise _fail(what, value) from None
    else:
        raise _fail(what, value)
    if not math.isfinite(number) or abs(number) > ABSURD:
        raise _fail(what, value)
    return number


def req_float(value: object, what: str) -> float:
    """Parse an API number that must be present."""
    number = opt_float(value, what)
    if number is None:
        raise _fail(what, value)
    return number


def as_mapping(value: object, what: str) -> Mapping[str, Any]:
    """Return ``value`` as a JSON object or raise."""
    if not isinstance(value, Mapping):
        raise _fail(what, value)
    return value


def opt_mapping(value: object, what: str) -> Mapping[str, Any] | None:
    """Return ``value`` as a JSON object, or ``None`` when it is null."""
    return None if value is None else as_mapping(value, what)


def as_list(value: object, what: str) -> Sequence[Any]:
    """Return ``value`` as a JSON array (null counts as empty) or raise."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise _fail(what, value)
    return value


def as_str(value: object, what: str) -> str:
    """Return a required string (numbers are accepted and converted)."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _fail(what, value)


def opt_str(value: object, what: str) -> str | None:
    """Return an optional string."""
    return None if value is None or value == "" else as_str(value, what)


def as_int(value: object, what: str) -> int:
    """Return an integer given as a number or a numeric string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    raise _fail(what, value)


def is_digits(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts characters ``int`` refuses (``²``)."""
    return text.isascii() and text.isdigit()


def float_list(value: object, what: str) -> tuple[float | None, ...]:
    """Parse an array of API numbers; null entries stay ``None``."""
    return tuple(opt_float(item, f"{what}[{i}]") for i, item in enumerate(as_list(value, what)))


def energy_list(value: object, what: str) -> tuple[float, ...]:
    """Parse an array of energies; a null entry counts as 0 kWh."""
    return tuple(x or 0.0 for x in float_list(value, what))


def as_clock(value: object, what: str) -> time:
    """Parse a required ``HH:mm`` (or ``HH:mm:ss``) time of day."""
    if not isinstance(value, str):
        raise _fail(what, value)
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise _fail(what, value) from None


def opt_clock(value: object, what: str) -> time | None:
    """Parse an ``HH:mm`` time of day; ``None`` and ``""`` mean absent."""
    return None if value is None or value == "" else as_clock(value, what)


def clock_list(value: object, what: str) -> tuple[time, ...]:
    """Parse an array of ``HH:mm`` (or ``HH:mm:ss``) times of day."""
    return tuple(as_clock(item, f"{what}[{i}]") for i, item in enumerate(as_list(value, what)))


def opt_date(value: object, what: str) -> date | None:
    """Parse a ``yyyy-MM-dd`` date, or ``None`` when absent."""
    text = opt_str(value, what)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise _fail(what, value) from None


def aligned(length_of: Sequence[Sequence[Any]]) -> int:
    """Length shared by parallel arrays: the API sometimes sends mismatched lengths."""
    return min((len(seq) for seq in length_of), default=0)


# ---------------------------------------------------------------------------------------------
# System details (§3.1)


def split_ecu_id(text: str, what: str = "ecu id") -> tuple[str, str | None]:
    """Split an ECU id as listed by the API (manual v1.8, shared sub-user systems).

    ``"2030000001236-002405253708"`` (the main user's ECU id, a dash, the sub-user's
    *virtual* id) gives ``("002405253708", "2030000001236")``: the virtual id first, since
    every device query must use it. A plain id gives ``(id, None)``. An empty part, or more
    than one dash, raises :class:`APsystemsResponseError`.
    """
    parts = text.strip().split("-")
    if len(parts) > 2 or not all(parts):
        raise _fail(what, text)
    if len(parts) == 1:
        return parts[0], None
    return parts[1], parts[0]


class StatusLight(IntEnum):
    """The details' ``light`` (manual v1.7): EMA's status light of the system."""

    NORMAL = 1  # green
    ALARM = 2  # yellow: some inverters have alarms
    ECU_OFFLINE = 3  # red: the ECU's network has a problem
    NO_DATA = 4  # grey: no data uploaded yet


def opt_light(value: object, what: str) -> StatusLight | None:
    """Parse a status light; absent or a value the manual does not list is ``None``."""
    if value is None or value == "":
        return None
    number = as_int(value, what)
    return StatusLight(number) if number in StatusLight else None


@dataclass(frozen=True, slots=True)
class SystemDetails:
    """§3.1.1: a system's registration details.

    ``type`` is 1 (PV), 2 (storage) or 3 (PV and storage). ``ecus`` holds the ids every
    device query must use: for a shared sub-user system (v1.8) the virtual ids, with
    ``shared`` mapping each virtual id to the main user's ECU id (empty otherwise).
    ``authorization_code`` (v1.7, set when the owner enabled visitor access) is a secret:
    it is never shown in the repr.
    """

    sid: str
    create_date: date | None
    capacity_kw: float | None
    type: int
    timezone: str
    ecus: tuple[str, ...]
    light: StatusLight | None = None
    authorization_code: str | None = field(default=None, repr=False)
    shared: Mapping[str, str] = field(default_factory=dict, hash=False)  # details stay hashable

    @property
    def has_storage(self) -> bool:
        """Type 2 (storage) or 3 (PV and storage)."""
        return self.type in (2, 3)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Parse the ``data`` block."""
        obj = as_mapping(data, "details")
        timezone = opt_str(obj.get("timezone"), "details.timezone") or "UTC"
        ecus: list[str] = []
        shared: dict[str, str] = {}
        for raw in as_list(obj.get("ecu"), "details.ecu"):
            eid, main = split_ecu_id(as_str(raw, "details.ecu[]"), "details.ecu[]")
            ecus.append(eid)
            if main is not None:
                shared[eid] = main
        return cls(
            sid=as_str(obj.get("sid"), "details.sid"),
            create_date=opt_date(obj.get("create_date"), "details.create_date"),
            capacity_kw=opt_float(obj.get("capacity"), "details.capacity"),
            type=as_int(obj.get("type", 1), "details.type"),
            timezone=timezone,
            ecus=tuple(ecus),
            light=opt_light(obj.get("light"), "details.light"),
            authorization_code=opt_str(obj.get("authorization_code"), "details.authorization_code"),
            shared=shared,
        )


@dataclass(frozen=True, slots=True)
class InverterInfo:
    """One micro-inverter under an ECU."""

    uid: str
    type: str | None


@dataclass(frozen=True, slots=True)
class EcuInfo:
    """§3.1.2: one ECU and its inverters.

    ``eid`` is the id device queries use (a shared sub-user's virtual id). Storage ECUs
    (type 2) carry ``model`` and ``capacity`` (kWh).
    """

    eid: str
    type: int
    timezone: str | None
    inverters: tuple[InverterInfo, ...]
    model: str | None = None
    capacity: float | None = None

    @property
    def has_meter(self) -> bool:
        """ECU type 1 is an ECU with a meter activated."""
        return self.type == 1

    @property
    def is_storage(self) -> bool:
        """ECU type 2 is an ECU with storage activated (manual v1.7)."""
        return self.type == 2

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Parse one element of the inverters list."""
        obj = as_mapping(data, "inverters[]")
        inverters = []
        for item in as_list(obj.get("inverter"), "inverters[].inverter"):
            inv = as_mapping(item, "inverters[].inverter[]")
            inverters.append(
                InverterInfo(
                    uid=as_str(inv.get("uid"), "inverter.uid"),
                    type=opt_str(inv.get("type"), "inverter.type"),
                )
            )
        return cls(
            eid=split_ecu_id(as_str(obj.get("eid"), "inverters[].eid"), "inverters[].eid")[0],
            type=as_int(obj.get("type", 0) or 0, "inverters[].type"),
            timezone=opt_str(obj.get("timezone"), "inverters[].timezone"),
            inverters=tuple(inverters),
            model=opt_str(obj.get("model"), "inverters[].model"),
            capacity=opt_float(obj.get("capacity"), "inverters[].capacity"),
        )


def parse_inventory(data: object) -> tuple[EcuInfo, ...]:
    """§3.1.2: every ECU of the system with its inverters."""
    return tuple(EcuInfo.from_api(item) for item in as_list(data, "inverters"))


def parse_meters(data: object) -> tuple[str, ...]:
    """§3.1.3: the meter ECU ids (a shared sub-user's virtual ids)."""
    return tuple(
        split_ecu_id(as_str(item, "meters[]"), "meters[]")[0] for item in as_list(data, "meters")
    )


# ---------------------------------------------------------------------------------------------
# Energy summaries and periods (§3.2, §3.3)


@dataclass(frozen=True, slots=True)
class EnergySummary:
    """§3.2.1 / §3.3.1: accumulated energy in kWh.

    ``today`` is ``None`` when the API leaves it out or sends null (live accounts do both
    before the day's first production); ``lifetime`` (and ``month``, ``year``) include the
    day's energy so far all the same, as the manual defines them. An absent ``month`` or
    ``year`` is 0.
    """

    today: float | None
    month: float
    year: float
    lifetime: float

    @classmethod
    def from_api(cls, data: object, what: str = "summary") -> Self:
        """Parse the ``data`` block."""
        obj = as_mapping(data, what)
        return cls(
            today=opt_float(obj.get("today"), f"{what}.today"),
            month=opt_float(obj.get("month"), f"{what}.month") or 0.0,
            year=opt_float(obj.get("year"), f"{what}.year") or 0.0,
            lifetime=req_float(obj.get("lifetime"), f"{what}.lifetime"),
        )


@dataclass(frozen=True, slots=True)
class EnergyPeriod:
    """§3.2.2 / §3.3.2: an energy list in kWh, one value per hour, day, month or year.

    For the current period the API sends only the elapsed part (not padded with zeros).
    """

    level: EnergyLevel
    values: tuple[float, ...]

    @property
    def total(self) -> float:
        """Sum of the values."""
        return sum(self.values)

    @classmethod
    def from_api(cls, data: object, level: EnergyLevel, what: str = "energy") -> Self:
        """Parse the ``data`` list."""
        return cls(level=level, values=energy_list(data, what))


@dataclass(frozen=True, slots=True)
class EcuMinutely:
    """§3.3.2 ``minutely``: the day's 5-minute curve of an ECU (times are ECU-local)."""

    day: date
    today: float | None
    times: tuple[time, ...]
    power: tuple[float | None, ...]
    energy: tuple[float, ...]

    @classmethod
    def from_api(cls, data: object, day: date) -> Self:
        """Parse the ``data`` object; mismatched arrays are cut to their common length."""
        obj = as_mapping(data, "ecu_minutely")
        times = clock_list(obj.get("time"), "ecu_minutely.time")
        power = float_list(obj.get("power"), "ecu_minutely.power")
        energy = energy_list(obj.get("energy"), "ecu_minutely.energy")
        n = aligned([times, power, *([energy] if energy else [])])
        return cls(
            day=day,
            today=opt_float(obj.get("today"), "ecu_minutely.today"),
            times=times[:n],
            power=power[:n],
            energy=energy[:n],
        )

    @property
    def last_time(self) -> time | None:
        """Time of the newest sample."""
        return self.times[-1] if self.times else None

    @property
    def last_power(self) -> float | None:
        """Newest power sample in W."""
        return self.power[-1] if self.power else None


# ---------------------------------------------------------------------------------------------
# Meter (§3.4)

_METER_KEYS = ("consumed", "exported", "imported", "produced")


@dataclass(frozen=True, slots=True)
class MeterTotals:
    """Consumed / exported / imported / produced energy in kWh."""

    consumed: float
    exported: float
    imported: float
    produced: float

    @classmethod
    def from_api(cls, data: object, what: str) -> Self | None:
        """Parse a totals block; a null block is ``None``."""
        obj = opt_mapping(data, what)
        if obj is None:
            return None
        values = {key: opt_float(obj.get(key), f"{what}.{key}") or 0.0 for key in _METER_KEYS}
        return cls(**values)


@dataclass(frozen=True, slots=True)
class MeterSummary:
    """§3.4.1: a meter's totals for today, this month, this year and its lifetime."""

    today: MeterTotals | None
    month: MeterTotals | None
    year: MeterTotals | None
    lifetime: MeterTotals | None

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Parse the ``data`` block."""
        obj = as_mapping(data, "meter_summary")

        def block(key: str) -> MeterTotals | None:
            return MeterTotals.from_api(obj.get(key), f"meter_summary.{key}")

        return cls(block("today"), block("month"), block("year"), block("lifetime"))


@dataclass(frozen=True, slots=True)
class MeterPeriod:
    """§3.4.2 hourly/daily/monthly/yearly: per-period meter energies in kWh."""

    level: EnergyLevel
    labels: tuple[str, ...]
    consumed: tuple[float, ...]
    exported: tuple[float, ...]
    imported: tuple[float, ...]
    produced: tuple[float, ...]

    @classmethod
    def from_api(cls, data: object, level: EnergyLevel) -> Self:
        """Parse the ``data`` object of lists."""
        obj = as_mapping(data, "meter_period")
        labels = tuple(str(x) for x in as_list(obj.get("time"), "meter_period.time"))
        series = {k: energy_list(obj.get(k), f"meter_period.{k}") for k in _METER_KEYS}
        return cls(level=level, labels=labels, **series)


@dataclass(frozen=True, slots=True)
class MeterMinutely:
    """§3.4.2 minutely: a meter's day curve (power in W, energy per interval in kWh).

    ``grid_power`` is the API's ``imported_exported``: positive while importing.
    """

    day: date
    today: MeterTotals | None
    times: tuple[time, ...]
    consumed_power: tuple[float | None, ...]
    grid_power: tuple[float | None, ...]
    produced_power: tuple[float | None, ...]
    energy: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    @classmethod
    def from_api(cls, data: object, day: date) -> Self:
        """Parse the ``data`` object; mismatched arrays are cut to their common length."""
        obj = as_mapping(data, "meter_minutely")
        times = clock_list(obj.get("time"), "meter_minutely.time")
        power = opt_mapping(obj.get("power"), "meter_minutely.power") or {}
        energy = opt_mapping(obj.get("energy"), "meter_minutely.energy") or {}
        series = [
            float_list(power.get(key), f"meter_minutely.power.{key}")
            for key in ("consumed", "imported_exported", "produced")
        ]
        n = aligned([times, *(s for s in series if s)])
        return cls(
            day=day,
            today=MeterTotals.from_api(obj.get("today"), "meter_minutely.today"),
            times=times[:n],
            consumed_power=series[0][:n],
            grid_power=series[1][:n],
            produced_power=series[2][:n],
            energy={
                key: energy_list(energy.get(key), f"meter_minutely.energy.{key}")[:n]
                for key in _METER_KEYS
            },
        )


# ---------------------------------------------------------------------------------------------
# Inverters (§3.5)

_CHANNEL_KEY = re.compile(r"^([a-z_]+?)(\d)$")


def _channels(obj: Mapping[str, Any], prefix: str) -> list[int]:
    """Channel numbers present as ``{prefix}{n}`` keys, sorted."""
    found = set()
    for key in obj:
        match = _CHANNEL_KEY.match(key)
        if match and match.group(1) == prefix:
            found.add(int(match.group(2)))
    return sorted(found)


@dataclass(frozen=True, slots=True)
class ChannelEnergy:
    """One inverter channel's energies in kWh (``today`` is ``None`` without its ``d`` key)."""

    channel: int
    today: float | None
    month: float
    year: float
    lifetime: float


@dataclass(frozen=True, slots=True)
class InverterSummary:
    """§3.5.1: energy per channel (d = today, m = month, y = year, t = lifetime)."""

    channels: tuple[ChannelEnergy, ...]

    @property
    def today(self) -> float | None:
        """Today's energy over all channels; ``None`` when the answer has no day keys (live
        accounts leave out ``d1``, ``d2``, ...: the lifetimes still include the day)."""
        days = [c.today for c in self.channels]
        if not days or any(kwh is None for kwh in days):
            return None
        return sum(kwh or 0.0 for kwh in days)

    @property
    def lifetime(self) -> float:
        """Lifetime energy over all channels."""
        return sum(c.lifetime for c in self.channels)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Parse the ``data`` block."""
        obj = as_mapping(data, "inverter_summary")
        numbers = sorted(
            set(_channels(obj, "d")) | set(_channels(obj, "t")) | set(_channels(obj, "m"))
        )

        def value(key: str) -> float:
            return opt_float(obj.get(key), f"inverter_summary.{key}") or 0.0

        def day(n: int) -> float | None:
            return opt_float(obj.get(f"d{n}"), f"inverter_summary.d{n}")

        return cls(
            channels=tuple(
                ChannelEnergy(n, day(n), value(f"m{n}"), value(f"y{n}"), value(f"t{n}"))
                for n in numbers
            )
        )


@dataclass(frozen=True, slots=True)
class InverterEnergy:
    """§3.5.2 hourly/daily/monthly/yearly: energy lists per channel in kWh."""

    level: EnergyLevel
    channels: Mapping[int, tuple[float, ...]]

    @classmethod
    def from_api(cls, data: object, level: EnergyLevel) -> Self:
        """Parse the ``data`` object (``e1`` .. ``e4``)."""
        obj = as_mapping(data, "inverter_energy")
        return cls(
            level=level,
            channels={
                n: energy_list(obj.get(f"e{n}"), f"inverter_energy.e{n}")
                for n in _channels(obj, "e")
            },
        )


@dataclass(frozen=True, slots=True)
class InverterMinutely:
    """§3.5.2 minutely: an inverter's detail telemetry through the day.

    Per-channel series are keyed by channel number; AC voltage by phase.
    """

    day: date
    times: tuple[time, ...]
    dc_power: Mapping[int, tuple[float | None, ...]]
    dc_current: Mapping[int, tuple[float | None, ...]]
    dc_voltage: Mapping[int, tuple[float | None, ...]]
    dc_energy: Mapping[int, tuple[float | None, ...]]
    ac_voltage: Mapping[int, tuple[float | None, ...]]
    ac_power: tuple[float | None, ...]
    ac_frequency: tuple[float | None, ...]
    temperature: tuple[float | None, ...]

    @classmethod
    def from_api(cls, data: object, day: date) -> Self:
        """Parse the ``data`` object; arrays are cut to the length of ``t``."""
        obj = as_mapping(data, "inverter_minutely")
        times = clock_list(obj.get("t"), "inverter_minutely.t")
        n = len(times)

        def series(key: str) -> tuple[float | None, ...]:
            values = float_list(obj.get(key), f"inverter_minutely.{key}")[:n]
            return values + (None,) * (n - len(values)) if values else ()

        def per_channel(prefix: str) -> dict[int, tuple[float | None, ...]]:
            return {c: series(f"{prefix}{c}") for c in _channels(obj, prefix)}

        return cls(
            day=day,
            times=times,
            dc_power=per_channel("dc_p"),
            dc_current=per_channel("dc_i"),
            dc_voltage=per_channel("dc_v"),
            dc_energy=per_channel("dc_e"),
            ac_voltage=per_channel("ac_v"),
            # The API names AC power ``ac_p`` on some models and ``ac_p1`` on others.
            ac_power=series("ac_p") or series("ac_p1"),
            ac_frequency=series("ac_f"),
            temperature=series("ac_t"),
        )


def _split_key(text: str, what: str) -> tuple[str, int]:
    uid, sep, channel = text.rpartition("-")
    if not sep or not uid or not is_digits(channel):
        raise _fail(what, text)
    return uid, int(channel)


@dataclass(frozen=True, slots=True)
class BatchEnergy:
    """§3.5.3 ``energy``: every inverter channel's energy of the day, in kWh."""

    day: date
    energy: Mapping[str, Mapping[int, float]]

    def inverter_total(self, uid: str) -> float:
        """Day energy of one inverter over all its channels."""
        return sum(self.energy.get(uid, {}).values())

    @classmethod
    def from_api(cls, data: object, day: date) -> Self:
        """Parse entries of the form ``uid-channel-kWh``."""
        obj = as_mapping(data, "batch_energy")
        result: dict[str, dict[int, float]] = {}
        for i, item in enumerate(as_list(obj.get("energy"), "batch_energy.energy")):
            what = f"batch_energy.energy[{i}]"
            text = as_str(item, what)
            key, sep, value = text.rpartition("-")
            if not sep:
                raise _fail(what, item)
            uid, channel = _split_key(key, what)
            result.setdefault(uid, {})[channel] = opt_float(value, what) or 0.0
        return cls(day=day, energy=result)


@dataclass(frozen=True, slots=True)
class BatchPower:
    """§3.5.3 ``power``: every inverter channel's power curve through the day, in W."""

    day: date
    times: tuple[time, ...]
    power: Mapping[str, Mapping[int, tuple[float | None, ...]]]

    def latest(self, uid: str, channel: int) -> float | None:
        """Newest power sample of one channel."""
        values = self.power.get(uid, {}).get(channel, ())
        return values[-1] if values else None

    @classmethod
    def from_api(cls, data: object, day: date) -> Self:
        """Parse ``time`` and ``power`` (``{"uid-channel": [W, ...]}``)."""
        obj = as_mapping(data, "batch_power")
        times = clock_list(obj.get("time"), "batch_power.time")
        power_obj = opt_mapping(obj.get("power"), "batch_power.power") or {}
        raw: dict[str, dict[int, tuple[float | None, ...]]] = {}
        for key, values in power_obj.items():
            what = f"batch_power.power[{key}]"
            uid, channel = _split_key(key, what)
            raw.setdefault(uid, {})[channel] = float_list(values, what)
        n = aligned([times, *(s for ch in raw.values() for s in ch.values())])
        power = {uid: {ch: s[:n] for ch, s in chans.items()} for uid, chans in raw.items()}
        return cls(day=day, times=times[:n], power=power)


# ---------------------------------------------------------------------------------------------
# Storage (§3.6, manual v1.7)

STORAGE_KEYS = ("charge", "discharge", "produced", "consumed", "imported", "exported")
"""The six quantities of every storage answer, as the API names them."""

_Clock = time  # ``StorageLatest.time`` would shadow the type in its own class body


def _storage_key(key: str) -> str:
    if key not in STORAGE_KEYS:
        raise KeyError(key)
    return key


@dataclass(frozen=True, slots=True)
class StorageTotals:
    """§3.6.2: energies in kWh: charged into and discharged from the battery, produced
    (PV), consumed (home), imported from and exported to the grid."""

    charge: float
    discharge: float
    produced: float
    consumed: float
    imported: float
    exported: float

    def get(self, key: str) -> float:
        """The energy named by one of ``STORAGE_KEYS`` (``KeyError`` for another name)."""
        return float(getattr(self, _storage_key(key)))

    @classmethod
    def from_api(cls, data: object, what: str) -> Self:
        """Parse a block of six kWh strings; an absent value counts as 0 kWh."""
        obj = as_mapping(data, what)
        return cls(**{key: opt_float(obj.get(key), f"{what}.{key}") or 0.0 for key in STORAGE_KEYS})


@dataclass(frozen=True, slots=True)
class StorageLatest:
    """§3.6.1: a storage ECU's latest reading.

    ``mode`` is the operation mode as the API gives it (an opaque code such as ``"4"``);
    ``soc`` the state of charge in %; ``time`` the reading's time of day (system timezone);
    the six powers in W (absent values are ``None``).
    """

    mode: str | None
    soc: float | None
    time: _Clock | None
    charge: float | None
    discharge: float | None
    produced: float | None
    consumed: float | None
    imported: float | None
    exported: float | None

    def power(self, key: str) -> float | None:
        """The power named by one of ``STORAGE_KEYS`` (``KeyError`` for another name)."""
        value: float | None = getattr(self, _storage_key(key))
        return value

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Parse the ``data`` block; a SoC outside 0..100 or a negative power raises."""
        obj = as_mapping(data, "storage_latest")
        soc = opt_float(obj.get("soc"), "storage_latest.soc")
        if soc is not None and not 0 <= soc <= 100:
            raise _fail("storage_latest.soc", obj.get("soc"))
        powers: dict[str, float | None] = {}
        for key in STORAGE_KEYS:
            what = f"storage_latest.{key}"
            value = opt_float(obj.get(key), what)
            if value is not None and value < 0:
                raise _fail(what, obj.get(key))
            powers[key] = value
        return cls(
            mode=opt_str(obj.get("mode"), "storage_latest.mode"),
            soc=soc,
            time=opt_clock(obj.get("time"), "storage_latest.time"),
            **powers,
        )


@dataclass(frozen=True, slots=True)
class StorageSummary:
    """§3.6.2: a storage ECU's totals for today, this month, this year and its lifetime."""

    today: StorageTotals
    month: StorageTotals
    year: StorageTotals
    lifetime: StorageTotals

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Parse the ``data`` block (four blocks, each required)."""
        obj = as_mapping(data, "storage_summary")

        def block(key: str) -> StorageTotals:
            return StorageTotals.from_api(obj.get(key), f"storage_summary.{key}")

        return cls(block("today"), block("month"), block("year"), block("lifetime"))


@dataclass(frozen=True, slots=True)
class StoragePeriod:
    """§3.6.3 hourly/daily/monthly/yearly: per-period storage energies in kWh.

    ``times`` are the API's labels ("01", "02", ...). ``values`` has every key of
    ``STORAGE_KEYS``: a list aligned to ``times`` (arrays of different lengths are cut to
    their common length), or empty when the API left that list out.
    """

    level: EnergyLevel
    times: tuple[str, ...]
    values: Mapping[str, tuple[float, ...]]

    def series(self, key: str) -> tuple[float, ...]:
        """The list named by one of ``STORAGE_KEYS`` (``KeyError`` for another name)."""
        return self.values[_storage_key(key)]

    @classmethod
    def from_api(cls, data: object, level: EnergyLevel) -> Self:
        """Parse the ``data`` object of lists."""
        obj = as_mapping(data, "storage_period")
        times = tuple(
            as_str(item, f"storage_period.time[{i}]")
            for i, item in enumerate(as_list(obj.get("time"), "storage_period.time"))
        )
        series = {k: energy_list(obj.get(k), f"storage_period.{k}") for k in STORAGE_KEYS}
        n = aligned([times, *(s for s in series.values() if s)])
        return cls(level=level, times=times[:n], values={k: s[:n] for k, s in series.items()})


@dataclass(frozen=True, slots=True)
class StorageMinutely:
    """§3.6.3 minutely: a storage ECU's day in 5-minute slots (system-local times).

    ``power`` (W) and ``energy`` (kWh per slot) have every key of ``STORAGE_KEYS``: a list
    aligned to ``times``, or empty when the API left it out. ``today`` holds the day's
    totals (``None`` when the API sends none).
    """

    day: date
    today: StorageTotals | None
    times: tuple[_Clock, ...]
    power: Mapping[str, tuple[float | None, ...]]
    energy: Mapping[str, tuple[float, ...]]

    @classmethod
    def from_api(cls, data: object, day: date) -> Self:
        """Parse the ``data`` object; mismatched arrays are cut to their common length."""
        obj = as_mapping(data, "storage_minutely")
        today = opt_mapping(obj.get("today"), "storage_minutely.today")
        times = clock_list(obj.get("time"), "storage_minutely.time")
        power_obj = opt_mapping(obj.get("power"), "storage_minutely.power") or {}
        energy_obj = opt_mapping(obj.get("energy"), "storage_minutely.energy") or {}
        power = {
            k: float_list(power_obj.get(k), f"storage_minutely.power.{k}") for k in STORAGE_KEYS
        }
        energy = {
            k: energy_list(energy_obj.get(k), f"storage_minutely.energy.{k}") for k in STORAGE_KEYS
        }
        n = aligned([times, *(s for s in (*power.values(), *energy.values()) if s)])
        return cls(
            day=day,
            today=None
            if today is None
            else StorageTotals.from_api(today, "storage_minutely.today"),
            times=times[:n],
            power={k: s[:n] for k, s in power.items()},
            energy={k: s[:n] for k, s in energy.items()},
        )


def local_datetime(day: date, at: time, tzinfo: tzinfo) -> datetime:
    """Combine an API ``HH:mm`` with its day in the system's timezone."""
    return datetime.combine(day, at, tzinfo=tzinfo)
