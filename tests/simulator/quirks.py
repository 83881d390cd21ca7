"""Quirks: standing reshapings that make the simulator answer like live accounts.

A fault is an error armed for some requests; a quirk is a property of the server ("this
account answers like that") applied to every matching successful answer while it is enabled
(``sim.enable(Quirk.GAPS_2, "ecu_minutely")``, ``sim.disable(Quirk.GAPS_2)``). Each quirk
reproduces a fact of ``apsystems-openapi-field-notes.md`` and declares the endpoints it can
apply to (:data:`QUIRK_ENDPOINTS`). Quirks are deterministic: what is random is seeded by the
site's seed and the requested day, and a 5-minute point is kept or left out by its slot in
the day (read from its ``HH:mm`` label), so every answer of a day leaves out the same points.
"""

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
import functools
import random
import re
from typing import Any

from .faults import ALIASES, ENDPOINTS
from .solar import SLOT_MINUTES, SLOTS_PER_DAY

type Json = Any

CODE_NO_DATA = 1001
CODE_NO_HOURLY = 5000
FAKE_AUTHORIZATION_CODE = "EMAvisitor-quirk"
"""The details' ``authorization_code`` under ``details_extra`` when the site has none."""
KEPT_OF_DAY = 223
"""Points ``day_223`` keeps of a full day of 288 (a real day's count)."""


class Quirk(StrEnum):
    """The quirks, by the name ``--quirk`` and :meth:`Simulator.enable` take."""

    TODAY_NULL = "today_null"
    """System and ECU summary: ``"today": null`` (before the day's first production)."""
    TODAY_ABSENT = "today_absent"
    """System and ECU summary: no ``today`` key at all (the lifetime still counts today)."""
    NO_DAY_KEYS = "no_day_keys"
    """Inverter summary: no ``d1..dN`` keys (``m``, ``y``, ``t`` stay)."""
    SWAPPED_TYPES = "swapped_types"
    """Every list of numbers: numeric strings become JSON numbers and numbers strings;
    scalars, identifiers, labels, serial numbers and batch energy entries stay."""
    NUMBERS = "numbers"
    """Every numeric string anywhere, scalars too, becomes a JSON number (identifiers,
    labels, serial numbers stay). Applied before ``swapped_types``: both together give
    number scalars and string lists."""
    AC_P1_ONLY = "ac_p1_only"
    """Inverter minutely: the AC power always under ``ac_p1`` (never ``ac_p``)."""
    GAPS_2 = "gaps_2"
    """Minutely answers: every 2nd 5-minute point missing (the slots of odd index)."""
    GAPS_4 = "gaps_4"
    """Minutely answers: every 4th 5-minute point missing (slot index % 4 == 3)."""
    DAY_223 = "day_223"
    """Minutely answers: runs of 1 to 4 slots missing so a full day of 288 keeps 223
    (seeded per site and day)."""
    HOURLY_FROM_01 = "hourly_from_01"
    """Meter and storage hourly: labels "01".."24" (the hours' ends), values unchanged."""
    HOURLY_SHORT = "hourly_short"
    """Meter and storage hourly: hours whose every value is zero left out."""
    HOURLY_5000 = "hourly_5000"
    """Hourly level of system, ECU, meter and storage energy: code 5000 for the current
    day (no hourly data yet); past days answer normally."""
    NO_DATA_1001 = "no_data_1001"
    """Inverter endpoints: code 1001 while the requested day (period) has no uploaded
    sample yet (before the first 5-minute point: the night, just after midnight)."""
    STORAGE_SHORT = "storage_short"
    """Storage minutely: points as ``gaps_4``, their energies scaled to sum 1-3 % short of
    the ``today`` block (a seeded factor per day); ``today`` unchanged."""
    DETAILS_EXTRA = "details_extra"
    """Details: ``light`` and an ``authorization_code`` (the site's, or a fake one)."""


SUMMARIES = frozenset({"system_summary", "ecu_summary"})
MINUTELY = frozenset(
    {"batch_power", "ecu_minutely", "meter_minutely", "storage_minutely", "inverter_minutely"}
)
"""The answers with a time list of 5-minute labels and lists aligned with it."""
HOURLY_TABLES = frozenset({"meter_period", "storage_period"})
"""The endpoints whose hourly level carries ``time`` labels."""
INVERTER_DATA = frozenset({"batch_power", "batch_energy", "inverter_energy", "inverter_minutely"})

#: The endpoints each quirk can apply to.
QUIRK_ENDPOINTS: Mapping[Quirk, frozenset[str]] = {
    Quirk.TODAY_NULL: SUMMARIES,
    Quirk.TODAY_ABSENT: SUMMARIES,
    Quirk.NO_DAY_KEYS: frozenset({"inverter_summary"}),
    Quirk.SWAPPED_TYPES: ENDPOINTS,
    Quirk.NUMBERS: ENDPOINTS,
    Quirk.AC_P1_ONLY: frozenset({"inverter_minutely"}),
    Quirk.GAPS_2: MINUTELY,
    Quirk.GAPS_4: MINUTELY,
    Quirk.DAY_223: MINUTELY,
    Quirk.HOURLY_FROM_01: HOURLY_TABLES,
    Quirk.HOURLY_SHORT: HOURLY_TABLES,
    Quirk.HOURLY_5000: frozenset({"system_energy", "ecu_energy", *HOURLY_TABLES}),
    Quirk.NO_DATA_1001: INVERTER_DATA,
    Quirk.STORAGE_SHORT: frozenset({"storage_minutely"}),
    Quirk.DETAILS_EXTRA: frozenset({"details"}),
}

#: Keys whose values are identifiers or labels: never converted.
_ID_KEYS = frozenset(
    {
        "sid",
        "eid",
        "uid",
        "ecu",
        "type",
        "timezone",
        "create_date",
        "mode",
        "time",
        "t",
        "authorization_code",
    }
)
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_LABEL = re.compile(r"^([0-9]{2}):([0-9]{2})")


def quirk_named(name: str) -> Quirk:
    """The quirk called ``name`` (ValueError for another name)."""
    try:
        return Quirk(name)
    except ValueError:
        raise ValueError(f"unknown quirk {name!r}; one of {sorted(Quirk)}") from None


def targets(quirk: Quirk, endpoints: Iterable[str]) -> frozenset[str] | None:
    """The endpoints a quirk is enabled for, checked (None: every one it applies to).

    Aliases ("summary", "energy") are accepted; an unknown endpoint, or one the quirk cannot
    apply to, raises ValueError.
    """
    names = [ALIASES.get(name, name) for name in endpoints]
    if not names:
        return None
    unknown = sorted(set(names) - ENDPOINTS)
    if unknown:
        raise ValueError(f"unknown endpoints {unknown}; one of {sorted(ENDPOINTS)}")
    foreign = sorted(set(names) - QUIRK_ENDPOINTS[quirk])
    if foreign:
        raise ValueError(
            f"{quirk} cannot apply to {foreign}; only to {sorted(QUIRK_ENDPOINTS[quirk])}"
        )
    return frozenset(names)


@dataclass(frozen=True, slots=True)
class Asked:
    """What the quirks need to know of a request besides its answer."""

    endpoint: str
    """The endpoint name (see ``faults.ENDPOINTS``)."""
    level: str | None
    """The ``energy_level`` (None for endpoints without one)."""
    day: date | None
    """The requested day (the first of the month or year for daily and monthly, today for
    yearly; None for endpoints without a date)."""
    today: date
    """The system's local date at the request."""
    seed: int
    """The site's seed."""
    authorization_code: str | None
    """The site's visitor code (None: it has none)."""
    sampled: Callable[[], bool]
    """Whether the requested day (or period) holds an uploaded sample by the request time
    (asked only by ``no_data_1001``)."""


type Enabled = Mapping[Quirk, Collection[str] | None]


def _on(enabled: Enabled, quirk: Quirk, endpoint: str) -> bool:
    """Whether ``quirk`` is enabled for ``endpoint`` (and can apply to it)."""
    if quirk not in enabled or endpoint not in QUIRK_ENDPOINTS[quirk]:
        return False
    names = enabled[quirk]
    return names is None or endpoint in names


def refusal(enabled: Enabled, asked: Asked) -> int | None:
    """The code a quirk answers instead of data (None: the answer's data stand)."""
    endpoint = asked.endpoint
    if (
        _on(enabled, Quirk.HOURLY_5000, endpoint)
        and asked.level == "hourly"
        and asked.day == asked.today
    ):
        return CODE_NO_HOURLY
    if _on(enabled, Quirk.NO_DATA_1001, endpoint) and not asked.sampled():
        return CODE_NO_DATA
    return None


def apply(enabled: Enabled, asked: Asked, data: Json) -> Json:
    """A successful answer's ``data`` with the enabled quirks applied (a new object)."""
    endpoint = asked.endpoint

    def on(quirk: Quirk) -> bool:
        return _on(enabled, quirk, endpoint)

    if not isinstance(data, dict):
        pass
    elif endpoint == "details":
        if on(Quirk.DETAILS_EXTRA):
            data = _details_extra(data, asked.authorization_code)
    elif endpoint in SUMMARIES:
        if on(Quirk.TODAY_NULL):
            data = {**data, "today": None}
        if on(Quirk.TODAY_ABSENT):
            data = {k: v for k, v in data.items() if k != "today"}
    elif endpoint == "inverter_summary":
        if on(Quirk.NO_DAY_KEYS):
            data = {k: v for k, v in data.items() if not re.fullmatch(r"d[0-9]+", k)}
    elif endpoint in MINUTELY:
        data = _minutely(data, asked, on)
    elif endpoint in HOURLY_TABLES and asked.level == "hourly":
        if on(Quirk.HOURLY_SHORT):
            data = _hourly_short(data)
        if on(Quirk.HOURLY_FROM_01):
            data = {**data, "time": [f"{int(label) + 1:02d}" for label in data["time"]]}
    if on(Quirk.NUMBERS):
        data = numbers(data)
    if on(Quirk.SWAPPED_TYPES):
        data = swapped(data)
    return data


# ------------------------------------------------------------------------- details


def _details_extra(data: dict[str, Json], code: str | None) -> dict[str, Json]:
    """The details with ``light`` and an ``authorization_code``."""
    out = dict(data)
    out.setdefault("light", 1)
    out["authorization_code"] = code or FAKE_AUTHORIZATION_CODE
    return out


# ------------------------------------------------------------------------- minutely


def slot_of(label: str) -> int:
    """The slot index in the day of an ``HH:mm`` label (``"07:05"`` is 85)."""
    match = _LABEL.match(label)
    if match is None:
        raise ValueError(f"not a HH:mm label: {label!r}")
    return (int(match.group(1)) * 60 + int(match.group(2))) // SLOT_MINUTES


@functools.lru_cache(maxsize=64)
def day_223_missing(seed: int, day: date) -> frozenset[int]:
    """The slots ``day_223`` leaves out of a day: runs of 1 to 4 consecutive slots (one of 4
    at least: a gap of 25 minutes), apart from each other, 288 - 223 in all."""
    rng = random.Random(f"day_223/{seed}/{day.isoformat()}")
    total = SLOTS_PER_DAY - KEPT_OF_DAY
    runs = [4]
    while sum(runs) < total:
        runs.append(min(rng.randint(1, 4), total - sum(runs)))
    rng.shuffle(runs)
    # Insert each run after a distinct number of kept slots: runs never touch each other.
    places = sorted(rng.sample(range(KEPT_OF_DAY + 1), len(runs)))
    missing: set[int] = set()
    slot = kept = 0
    for place, run in zip(places, runs, strict=True):
        slot += place - kept
        kept = place
        missing.update(range(slot, slot + run))
        slot += run
    return frozenset(missing)


def storage_factor(seed: int, day: date) -> float:
    """The share of the ``today`` block the points of ``storage_short`` sum to (0.97 to 0.99)."""
    return random.Random(f"storage_short/{seed}/{day.isoformat()}").uniform(0.97, 0.99)


def _minutely(data: dict[str, Json], asked: Asked, on: Callable[[Quirk], bool]) -> dict[str, Json]:
    """A minutely answer with its points thinned, AC power renamed, storage energy short."""
    seed, day = asked.seed, asked.day or asked.today
    drops: list[Callable[[int], bool]] = []
    if on(Quirk.GAPS_2):
        drops.append(lambda slot: slot % 2 == 1)
    if on(Quirk.GAPS_4) or on(Quirk.STORAGE_SHORT):
        drops.append(lambda slot: slot % 4 == 3)
    if on(Quirk.DAY_223):
        missing = day_223_missing(seed, day)
        drops.append(missing.__contains__)
    if drops:
        data = _thin(data, lambda slot: any(drop(slot) for drop in drops))
    if on(Quirk.AC_P1_ONLY):
        data = {("ac_p1" if k == "ac_p" else k): v for k, v in data.items()}
    if on(Quirk.STORAGE_SHORT):
        data = _storage_short(data, storage_factor(seed, day))
    return data


def _thin(data: dict[str, Json], drop: Callable[[int], bool]) -> dict[str, Json]:
    """Leave out the points of the slots ``drop`` names, from the time list and every list
    aligned with it (nested maps too)."""
    key = "t" if "t" in data else "time"
    labels = data.get(key)
    if not isinstance(labels, list):
        return data
    keep = [not drop(slot_of(label)) for label in labels]
    return {k: _kept(v, keep) for k, v in data.items()}


def _kept(value: Json, keep: list[bool]) -> Json:
    if isinstance(value, list) and len(value) == len(keep):
        return [v for v, k in zip(value, keep, strict=True) if k]
    if isinstance(value, dict):
        return {k: _kept(v, keep) for k, v in value.items()}
    return value


def _storage_short(data: dict[str, Json], factor: float) -> dict[str, Json]:
    """Each energy list scaled so its points sum ``factor`` times the ``today`` block's value."""
    today, energy = data.get("today"), data.get("energy")
    if not isinstance(today, dict) or not isinstance(energy, dict):
        return data
    scaled: dict[str, Json] = {}
    for name, values in energy.items():
        points = sum(float(v) for v in values)
        target = float(today.get(name) or 0) * factor
        scaled[name] = _rescaled(values, target / points) if points > 0 else values
    return {**data, "energy": scaled}


def _rescaled(values: list[str], factor: float) -> list[str]:
    """Number strings multiplied, rounded by their running total (so they add up to the
    rounded total) to the decimals the longest of them has."""
    decimals = max((len(v.partition(".")[2]) for v in values), default=0)
    out: list[str] = []
    total = shown = 0.0
    for value in values:
        total += float(value) * factor
        rounded = round(total, decimals)
        text = f"{rounded - shown:.{decimals}f}"
        out.append("0" if float(text) == 0 else text)
        shown = rounded
    return out


# ------------------------------------------------------------------------- hourly


def _hourly_short(data: dict[str, Json]) -> dict[str, Json]:
    """A meter or storage hourly table without the hours whose every value is zero."""
    labels = data.get("time")
    if not isinstance(labels, list):
        return data
    lists = [v for k, v in data.items() if k != "time" and isinstance(v, list)]
    keep = [
        any(float(values[i] or 0) != 0 for values in lists if i < len(values))
        for i in range(len(labels))
    ]
    return {k: _kept(v, keep) for k, v in data.items()}


# ------------------------------------------------------------------------- types


def _is_numeric(value: str) -> bool:
    """A number string that is not a serial number (10 digits or more)."""
    return bool(_NUMBER.match(value)) and not (value.isdigit() and len(value) >= 10)


def _number(text: str) -> int | float:
    """``"12"`` -> 12, ``"0.50"`` -> 0.5."""
    return float(text) if "." in text else int(text)


def numbers(data: Json, key: str | None = None) -> Json:
    """Every numeric string (scalars and list items) as a JSON number; identifiers, labels
    and serial numbers left alone."""
    if key in _ID_KEYS:
        return data
    if isinstance(data, list):
        return [numbers(v, key) for v in data]
    if isinstance(data, dict):
        return {k: numbers(v, k) for k, v in data.items()}
    if isinstance(data, str) and _is_numeric(data):
        return _number(data)
    return data


def swapped(data: Json, key: str | None = None, listed: bool = False) -> Json:
    """In every list, numeric strings as JSON numbers and numbers as strings; scalars,
    identifiers, labels, serial numbers and batch energy entries left alone."""
    if key in _ID_KEYS:
        return data
    if isinstance(data, list):
        return [swapped(v, key, listed=True) for v in data]
    if isinstance(data, dict):
        return {k: swapped(v, k) for k, v in data.items()}
    if not listed or isinstance(data, bool):
        return data
    if isinstance(data, str) and _is_numeric(data):
        return _number(data)
    if isinstance(data, int | float):
        return str(data)
    return data


__all__ = [
    "FAKE_AUTHORIZATION_CODE",
    "HOURLY_TABLES",
    "MINUTELY",
    "QUIRK_ENDPOINTS",
    "SUMMARIES",
    "Asked",
    "Quirk",
    "apply",
    "day_223_missing",
    "numbers",
    "quirk_named",
    "refusal",
    "slot_of",
    "storage_factor",
    "swapped",
    "targets",
]
