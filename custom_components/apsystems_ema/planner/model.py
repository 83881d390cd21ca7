"""The planner's vocabulary: calls, plans, configuration, site and state.

What the caller persists (:class:`PlannerState`; the call book in :mod:`.book`) converts to
and from plain JSON-able dicts for Home Assistant's ``Store``.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Self

from ..codec import count, mapping, opt_day, opt_instant
from .envelope import Envelope


class CallKind(StrEnum):
    """One API endpoint (manual §3) as the planner schedules it."""

    DETAILS = "details"  # 3.1.1
    INVENTORY = "inventory"  # 3.1.2, ECUs and their inverters
    METERS = "meters"  # 3.1.3
    SYSTEM_SUMMARY = "system_summary"  # 3.2.1, today/month/year/lifetime
    SYSTEM_HOURLY = "system_hourly"  # 3.2.2 hourly, the day's 24 hourly energies
    SYSTEM_DAILY = "system_daily"  # 3.2.2 daily, a month's daily energies (backfill)
    ECU_SUMMARY = "ecu_summary"  # 3.3.1
    ECU_MINUTELY = "ecu_minutely"  # 3.3.2 minutely, the day's power curve + today
    METER_SUMMARY = "meter_summary"  # 3.4.1
    METER_MINUTELY = "meter_minutely"  # 3.4.2 minutely
    INVERTER_SUMMARY = "inverter_summary"  # 3.5.1, an inverter's lifetime (its anchor)
    INVERTER_MINUTELY = "inverter_minutely"  # 3.5.2 minutely, detail telemetry
    BATCH_POWER = "batch_power"  # 3.5.3 power, every inverter's curve under one ECU
    BATCH_ENERGY = "batch_energy"  # 3.5.3 energy, every inverter's day energy
    STORAGE_LATEST = "storage_latest"  # 3.6.1 (v1.7), a battery's state of charge and powers
    STORAGE_SUMMARY = "storage_summary"  # 3.6.2, a battery's today/month/year/lifetime
    STORAGE_HOURLY = "storage_hourly"  # 3.6.3 hourly, a battery's day hour by hour
    STORAGE_DAILY = "storage_daily"  # 3.6.3 daily, a month's daily energies (backfill)


class PlanKind(StrEnum):
    """Why a plan exists."""

    POLL = "poll"  # the daylight fast loop
    CLOSING = "closing"  # once a day after the window: the day's exact figures
    PROBE = "probe"  # quota exhausted (2005): one call a day to see whether it reset
    WAKE = "wake"  # no call: wake up then and plan again (e.g. at the month's rollover)


class DetailMode(StrEnum):
    """Per-inverter detail telemetry (temperature, voltages, frequency)."""

    OFF = "off"
    ROTATE = "rotate"  # one inverter after the other, only with spare budget


@dataclass(frozen=True, slots=True)
class PlannedCall:
    """One API call: the endpoint, its ECU/inverter/meter id, and its date when it takes one.

    ``backfill`` marks a call for a past day's history (statistics only, never live state).
    """

    kind: CallKind
    target: str | None = None
    day: date | None = None
    backfill: bool = False

    @property
    def key(self) -> str:
        """A stable text key (used to remember which closing calls are done)."""
        return f"{self.kind}:{self.target or ''}"

    @property
    def dated_key(self) -> str:
        """The key with the date (used to remember which backfill calls were answered)."""
        return f"{self.key}:{self.day.isoformat() if self.day else ''}"


@dataclass(frozen=True, slots=True)
class Plan:
    """When to call next and exactly what.

    ``day`` is the system-local day the plan serves (the caller passes the plan to
    :meth:`Planner.record`, which remembers when the last poll ran).
    """

    at: datetime
    kind: PlanKind
    calls: tuple[PlannedCall, ...]
    reason: str
    day: date
    interval: timedelta | None = None

    @property
    def cost(self) -> int:
        """API calls the plan spends (every attempt counts toward the quota)."""
        return len(self.calls)


@dataclass(frozen=True, slots=True)
class PlannerConfig:
    """User options and tuning. Offsets are minutes, signed (negative = earlier)."""

    quota: int = 1000  # the App ID's monthly quota (shared by its entries)
    entry: str = ""  # the entry whose calls this planner plans (its name in the call book)
    reserve_fraction: float = 0.04
    sunrise_offset_minutes: int = 0
    sunset_offset_minutes: int = 0
    interval: timedelta | None = None  # None: automatic (adapts to the budget)
    min_interval: timedelta = timedelta(minutes=5)
    detail: DetailMode = DetailMode.OFF
    detail_share: float = 0.05  # of the quota, for inverter detail telemetry when on
    meter_every: int = 2  # the meters' curves come with every n-th poll (first, last: always)
    closing_delay: timedelta = timedelta(minutes=30)
    closing_retry_for: timedelta = timedelta(hours=3)
    inventory_every: timedelta = timedelta(days=7)
    backoff_base: timedelta = timedelta(minutes=10)
    backoff_max: timedelta = timedelta(hours=4)
    probe_every: timedelta = timedelta(hours=24)
    # The API's quota month may start up to 26 hours after the system's (the manual does not
    # say in which timezone it resets): a 2005 that early in the month is probed again soon.
    reset_uncertainty: timedelta = timedelta(hours=26)
    reset_probe_every: timedelta = timedelta(hours=1)
    backfill_per_day: int = 4  # history calls added to a closing, from spare budget only


@dataclass(frozen=True, slots=True)
class SiteGeometry:
    """Where the site is and what it has (ids, as the API names them)."""

    latitude: float
    longitude: float
    timezone: str
    ecus: tuple[str, ...]
    inverters: tuple[str, ...] = ()
    meters: tuple[str, ...] = ()
    storage: tuple[str, ...] = ()  # storage-activated ECUs (batteries)


def _instant(value: Any, what: str) -> datetime:
    instant = opt_instant(value, what)
    if instant is None:
        raise ValueError(f"{what}: missing")
    return instant


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass
class PlannerState:
    """What the planner remembers between polls (the caller persists it; no API data)."""

    last_poll: datetime | None = None  # when the last fast poll ran (attempted)
    meter_poll: datetime | None = None  # when the last poll with the meters' curves ran
    closing_day: date | None = None  # the day ``closing_done`` refers to
    closing_done: tuple[str, ...] = ()  # PlannedCall.key of the closing calls done
    closed_day: date | None = None  # last day whose closing calls all succeeded
    inventory_at: datetime | None = None  # last successful inverter list
    detail_index: int = 0  # next inverter of the detail rotation
    errors: int = 0  # consecutive failed calls
    backoff_until: datetime | None = None
    detail_day: date | None = None  # the day whose detail telemetry calls were made
    manual_day: date | None = None  # the day ``manual_used`` counts
    manual_used: int = 0  # calls the buttons spent that day
    refused: dict[str, datetime] = field(default_factory=dict)  # PlannedCall.key -> when
    curves: dict[str, datetime] = field(default_factory=dict)  # ECU -> its last batch curve
    summaries_tried: dict[str, date] = field(default_factory=dict)  # lost lifetimes: daily
    last_ok: dict[CallKind, datetime] = field(default_factory=dict)
    # Device calls that failed while the rest of their poll was answered (one meter's curve
    # answering HTTP 500 day after day, say): PlannedCall.key -> (failures in a row, not
    # asked again before). Left out of the polls until then, asked last after it.
    held: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    answered_at: datetime | None = None  # the last call that succeeded
    # The system's production envelope, learnt from the curves the polls fetch: what its
    # power follows between polls.
    envelope: Envelope = field(default_factory=Envelope)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "last_poll": _iso(self.last_poll),
            "meter_poll": _iso(self.meter_poll),
            "closing_day": _iso(self.closing_day),
            "closing_done": list(self.closing_done),
            "closed_day": _iso(self.closed_day),
            "inventory_at": _iso(self.inventory_at),
            "detail_index": self.detail_index,
            "errors": self.errors,
            "backoff_until": _iso(self.backoff_until),
            "detail_day": _iso(self.detail_day),
            "manual_day": _iso(self.manual_day),
            "manual_used": self.manual_used,
            "refused": {k: v.isoformat() for k, v in self.refused.items()},
            "curves": {k: v.isoformat() for k, v in self.curves.items()},
            "summaries_tried": {k: v.isoformat() for k, v in self.summaries_tried.items()},
            "last_ok": {str(k): v.isoformat() for k, v in self.last_ok.items()},
            "held": {k: [n, until.isoformat()] for k, (n, until) in self.held.items()},
            "answered_at": _iso(self.answered_at),
            "envelope": self.envelope.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Inverse of :meth:`as_dict` (unknown endpoint names are dropped); raises
        ``ValueError`` for data it cannot read."""
        data = mapping(data, "planner")
        known = {str(k) for k in CallKind}
        return cls(
            last_poll=opt_instant(data.get("last_poll"), "last_poll"),
            meter_poll=opt_instant(data.get("meter_poll"), "meter_poll"),
            closing_day=opt_day(data.get("closing_day"), "closing_day"),
            closing_done=tuple(data.get("closing_done", ())),
            closed_day=opt_day(data.get("closed_day"), "closed_day"),
            inventory_at=opt_instant(data.get("inventory_at"), "inventory_at"),
            detail_index=count(data.get("detail_index", 0), "detail_index"),
            errors=count(data.get("errors", 0), "errors"),
            backoff_until=opt_instant(data.get("backoff_until"), "backoff_until"),
            detail_day=opt_day(data.get("detail_day"), "detail_day"),
            manual_day=opt_day(data.get("manual_day"), "manual_day"),
            manual_used=count(data.get("manual_used", 0), "manual_used"),
            refused={str(k): datetime.fromisoformat(v) for k, v in data.get("refused", {}).items()},
            last_ok={
                CallKind(k): datetime.fromisoformat(v)
                for k, v in data.get("last_ok", {}).items()
                if k in known
            },
            held={
                str(k): (count(n, f"held.{k}"), _instant(until, f"held.{k}"))
                for k, (n, until) in mapping(data.get("held", {}), "held").items()
            },
            answered_at=opt_instant(data.get("answered_at"), "answered_at"),
            envelope=Envelope.from_dict(data.get("envelope", {})),
        )
