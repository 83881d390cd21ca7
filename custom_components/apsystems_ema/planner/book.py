"""The call book: every API call made on one App ID, shared by the entries that use it.

The OpenAPI's monthly quota belongs to the App ID, not to a system: two systems (two config
entries) on one App ID draw from the same 1000 calls. The book counts calls per UTC hour and
per entry, and lends each entry a share of the quota in proportion to what one of its polls
costs, so that every system polls at the same rate.

Months are counted in UTC. The API's own month boundary is undocumented: it may lie in any
timezone, up to ``MARGIN`` before or after UTC midnight of the 1st. So a quota *period* is the
UTC month widened by ``MARGIN`` on both sides: calls in the margins count toward both months,
and neither month can be overrun whichever zone the API uses.

A book started in the middle of a period does not know what was spent on the App ID before
(another tool, an earlier installation): it assumes the quota was spent at an even rate until
then, so a first month spends at an ordinary daily rate. The set-ups' own calls (the
details, lists and lifetimes every system reads once when it is added) are taken as part of
that assumed spending, not on top of it: otherwise a set-up late in the month, or several
systems added together, would spend the rest of the month's even share at once and leave
nothing to poll with until the month turns.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from ..codec import count, mapping, number

MARGIN = timedelta(hours=14)  # every timezone on earth is within 14 hours of UTC
KEEP = timedelta(days=75)  # hours older than this are forgotten
_HOUR = "%Y-%m-%dT%H"


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("the call book needs timezone-aware datetimes")
    return at.astimezone(UTC)


def month_start(at: datetime) -> datetime:
    """UTC midnight of the 1st of the UTC month of ``at``."""
    return _utc(at).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(start: datetime) -> datetime:
    """The start of the UTC month after the one that starts at ``start``."""
    return (start + timedelta(days=32)).replace(day=1)


def period(at: datetime) -> tuple[datetime, datetime]:
    """The quota period of ``at``: its UTC month widened by ``MARGIN`` on both sides."""
    start = month_start(at)
    return start - MARGIN, next_month(start) + MARGIN


def month_key(at: datetime) -> str:
    """The UTC month of an instant, ``YYYY-MM``."""
    return _utc(at).strftime("%Y-%m")


@dataclass
class CallBook:
    """Calls per UTC hour and entry, the last 2005 answer, and when counting began."""

    since: datetime
    hours: dict[str, dict[str, int]] = field(default_factory=dict)
    exhausted_at: datetime | None = None
    # Each entry's weight (what one of its polls costs), kept while the entry exists, also
    # while it is not loaded: a restart does not hand a moment's whole quota to the first.
    weights: dict[str, float] = field(default_factory=dict)
    # Per entry, the calls its set-up made while the book's first period ran (see the
    # module's doc).
    excused: dict[str, int] = field(default_factory=dict)

    # -- counting -------------------------------------------------------------------------

    def record(self, at: datetime, entry: str, count: int = 1, *, setup: bool = False) -> None:
        """Count ``count`` calls of ``entry`` at ``at`` (every attempt counts); a ``setup``
        call of the book's first period counts as part of the spending assumed before it."""
        if setup and _utc(self.since) > period(at)[0]:
            self.excused[entry] = self.excused.get(entry, 0) + count
        key = _utc(at).strftime(_HOUR)
        per_entry = self.hours.setdefault(key, {})
        per_entry[entry] = per_entry.get(entry, 0) + count
        oldest = (_utc(at) - KEEP).strftime(_HOUR)
        for old in [k for k in self.hours if k < oldest]:
            del self.hours[old]

    def used(self, start: datetime, end: datetime, entry: str | None = None) -> int:
        """Calls made in ``[start, end)`` (whole hours), by ``entry`` or by everyone."""
        first, last = _utc(start).strftime(_HOUR), _utc(end).strftime(_HOUR)
        return sum(
            count
            for key, per_entry in self.hours.items()
            if first <= key <= last
            for name, count in per_entry.items()
            if entry is None or name == entry
        )

    def even(self, quota: int, at: datetime) -> float:
        """The quota at an even rate from the start of the period of ``at`` until the book
        began (0 for a period the book saw from its start)."""
        start, end = period(at)
        since = _utc(self.since)
        if since <= start:
            return 0.0
        return quota * (min(since, end) - start) / (end - start)

    def excused_in(self, at: datetime, entry: str | None = None) -> int:
        """The set-ups' calls (``entry``'s, or all) taken as part of the spending assumed in
        the period of ``at``: in the book's first period only."""
        if _utc(self.since) <= period(at)[0]:
            return 0
        if entry is not None:
            return self.excused.get(entry, 0)
        return sum(self.excused.values())

    def assumed(self, quota: int, at: datetime) -> int:
        """Calls assumed spent in the period of ``at`` before the book began: the quota at
        an even rate until then (none for a period the book saw from its start), of which
        the set-ups' own calls are a part."""
        return max(round(self.even(quota, at)) - self.excused_in(at), 0)

    def spent(self, quota: int, at: datetime, until: datetime | None = None) -> int:
        """The App ID's calls in the period of ``at`` until ``until`` (default ``at``),
        assumed ones included."""
        start, _ = period(at)
        return self.used(start, until or at) + self.assumed(quota, at)

    # -- sharing ---------------------------------------------------------------------------

    def share(self, entry: str) -> float:
        """The entry's share of the quota: its weight among the entries of the App ID."""
        total = sum(self.weights.values())
        if total <= 0 or entry not in self.weights:
            return 1.0
        return self.weights[entry] / total

    # -- the quota -------------------------------------------------------------------------

    def exhausted(self, at: datetime) -> bool:
        """Whether the API answered 2005 in the UTC month of ``at``."""
        return self.exhausted_at is not None and month_key(self.exhausted_at) == month_key(at)

    # -- persistence -----------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "since": self.since.isoformat(),
            "hours": self.hours,
            "weights": self.weights,
            "exhausted_at": None if self.exhausted_at is None else self.exhausted_at.isoformat(),
            "excused": self.excused,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Inverse of :meth:`as_dict`; raises ``ValueError`` for data it cannot read."""
        try:
            hours = {
                str(key): {str(name): count(n, f"hours.{key}") for name, n in per_entry.items()}
                for key, per_entry in mapping(data["hours"], "hours").items()
            }
            exhausted = data.get("exhausted_at")
            weights = {
                str(k): number(v, f"weights.{k}", minimum=0)
                for k, v in data.get("weights", {}).items()
            }
            book = cls(
                since=_utc(datetime.fromisoformat(data["since"])),
                hours=hours,
                weights=weights,
                exhausted_at=None if exhausted is None else datetime.fromisoformat(exhausted),
                excused={
                    str(k): count(v, f"excused.{k}")
                    for k, v in mapping(data.get("excused", {}), "excused").items()
                },
            )
        except (KeyError, TypeError, AttributeError) as err:
            raise ValueError(f"unreadable call book: {err!r}") from err
        return book
