"""Strict reading of what the integration stored (pure Python, no Home Assistant).

A stored file may be damaged or edited by hand: every value is checked for its type (and
range) as it is read back, and anything else raises ``ValueError`` naming the field, so the
caller starts that part afresh instead of failing later in arithmetic.
"""

from datetime import date, datetime
import math
from typing import Any


class UnreadableError(ValueError):
    """A stored value of the wrong type or out of range."""


def number(value: Any, what: str, *, minimum: float | None = None) -> float:
    """A finite number (not a bool, not a string), at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UnreadableError(f"{what}: {value!r} is not a number")
    if not math.isfinite(value) or (minimum is not None and value < minimum):
        raise UnreadableError(f"{what}: {value!r} is out of range")
    return float(value)


def opt_number(value: Any, what: str, *, minimum: float | None = None) -> float | None:
    """A number or None."""
    return None if value is None else number(value, what, minimum=minimum)


def count(value: Any, what: str) -> int:
    """A whole number of at least 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnreadableError(f"{what}: {value!r} is not a count")
    return value


def opt_day(value: Any, what: str) -> date | None:
    """An ISO date or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise UnreadableError(f"{what}: {value!r} is not a date")
    return date.fromisoformat(value)


def opt_instant(value: Any, what: str) -> datetime | None:
    """An ISO date and time with its offset, or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise UnreadableError(f"{what}: {value!r} is not a time")
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise UnreadableError(f"{what}: {value!r} has no offset")
    return instant


def mapping(value: Any, what: str) -> dict[str, Any]:
    """A JSON object."""
    if not isinstance(value, dict):
        raise UnreadableError(f"{what}: {type(value).__name__} is not a mapping")
    return value


# The files' minor versions: 2 added the devices' lifecycle and the inverters' lifetimes (state),
# and the statistics' recovered sums (history); 3 the planner's production envelope (state).
# A migration fills what an older file lacks.
STATE_MINOR = 3
HISTORY_MINOR = 2
HEALTH_MINOR = 1  # the panel health file (health/): the learned window and the verdicts


def migrate_state(major: int, minor: int, data: Any) -> Any:
    """The state file's data of version ``major``.``minor`` in today's shape."""
    if major != 1:
        raise UnreadableError(f"state file version {major}.{minor}")
    if minor < 2 and isinstance(data, dict) and isinstance(data.get("site"), dict):
        site = data["site"]
        site.setdefault("missing", {})
        for inverter in (site.get("inverters") or {}).values():
            if isinstance(inverter, dict):
                inverter.setdefault("anchored", None)
                inverter.setdefault("last_report", None)
    if minor < 3 and isinstance(data, dict) and isinstance(data.get("planner"), dict):
        data["planner"].setdefault("envelope", {})  # learnt from the next polls on
    return data


def migrate_history(major: int, minor: int, data: Any) -> Any:
    """The history file's data of version ``major``.``minor`` in today's shape."""
    if major != 1:
        raise UnreadableError(f"history file version {major}.{minor}")
    if minor < 2 and isinstance(data, dict):
        data.setdefault("bases", {})
        data.setdefault("recovering", False)
    return data


def migrate_health(major: int, minor: int, data: Any) -> Any:
    """The panel health file's data of version ``major``.``minor`` in today's shape (a
    major version of another shape cannot be read: what was learned starts afresh)."""
    if major != 1:
        raise UnreadableError(f"health file version {major}.{minor}")
    return data
