"""Energy counters of the system-local day: ``start`` + ``today`` = ``lifetime`` (pure Python).

Every counter (the system's, each ECU's, inverter's, meter direction's and battery
quantity's) follows one rule: the energy at the start of the day plus the energy of today. A
summary sets ``start`` exactly; between summaries a new day starts from where the previous
one ended. The lifetime shown never decreases.

**The lifetime rule.** The lifetime shown is never above the API's lifetime as of the newest
answer plus what was produced after it. A summary that gives ``today`` fixes the day's start
at once (its lifetime minus its today). A summary without ``today`` (null or absent, as live
accounts send before the day's first production and in some answers all day) still counts
today in its lifetime, as the manual defines it: its totals become an :class:`Anchor` as of
the instant they were fetched, and the day's start follows once the energy of the day until
that instant is known from a curve of the day fetched after it (:meth:`Totals.settle`). Until
then the lifetime shown is the anchor's own. A day that ends before that takes the whole
day's energy as counted before the anchor: the start never moves above the truth.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from math import sqrt
from typing import Any

from .. import codec
from ..openapi import EnergySummary

# A summary may put the lifetime a little below what the counter shows (rounding); far below
# it is a bad answer (a lifetime of 0), not a correction.
SUMMARY_TOLERANCE = 1.0  # kWh
ROUNDING = 0.006  # kWh: half the last digit of a 2-decimal figure, and some float slack
HALF_CENT = 0.005  # kWh: the rounding of one 2-decimal value


def rounding(terms: int) -> float:
    """How far a sum of ``terms`` figures rounded to 2 decimals typically is from the
    unrounded sum (each is off by up to half a cent, independently): an estimate closer to
    the exact figure than this is as good as it, and finer."""
    return HALF_CENT * sqrt(terms)


@dataclass
class Anchor:
    """A summary's totals as of ``at`` that include an unknown part of that day."""

    at: datetime
    lifetime: float
    month: float = 0.0
    year: float = 0.0


@dataclass
class Reference:
    """The day's energy the API counted by ``at`` (a summary's today): an estimate from a
    curve holds no more than that up to ``at``."""

    at: datetime
    today: float


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
    anchor: Anchor | None = None  # a summary of ``day`` without its today, not yet settled
    reference: Reference | None = None  # a summary's today of ``day``

    def roll_to(self, day: date) -> None:
        """Begin a new day: yesterday's end is today's start (until a summary says better).

        The new start is the old start plus the day's energy, not the lifetime shown: an
        estimate a little above the exact figure is not carried into the following days.
        An anchor still unsettled counts the whole day as before it.
        """
        if self.day is None or day <= self.day:
            self.day = self.day or day
            return
        ended = self.today or 0.0
        self.settle(self.day, ended)
        self.reference = None  # the summary's today was of the day that ended
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

    def set_summary(self, day: date, summary: EnergySummary, at: datetime) -> str | None:
        """The API's totals, fetched at ``at`` (on the system-local ``day``).

        With its ``today`` they fix the start of the day at once; without it they become the
        day's anchor (see the module's lifetime rule). A summary that contradicts itself
        (negative values, today above the month) or puts the lifetime well below the
        counter is ignored (it would move the start backwards): the reason is returned.
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
        if summary.today is None:
            self.anchor = Anchor(at, summary.lifetime, summary.month, summary.year)
            self.lifetime = max(self.lifetime or 0.0, summary.lifetime)
            return None
        self.anchor = None
        self.reference = Reference(at, summary.today)
        self._restart(summary.lifetime, summary.month, summary.year, summary.today)
        self.today = max(summary.today, self.today or 0.0)
        self._update()
        return None

    def settle(self, day: date, until: float) -> None:
        """The energy of ``day`` up to the anchor's instant, ``until``, is known (from a
        curve of ``day`` fetched after the anchor): the day's start follows from the
        anchor. Nothing without an anchor of that day."""
        anchor = self.anchor
        if anchor is None or day != self.day:
            return
        self.anchor = None
        until = min(max(until, 0.0), anchor.lifetime)
        self._restart(anchor.lifetime, anchor.month, anchor.year, until)
        self.today = max(until, self.today or 0.0)
        self._update()

    def cap(self, day: date, estimate: float, until: Callable[[datetime], float]) -> float:
        """An estimate of ``day`` from a curve, held to the API's own count: no more than the
        summary's today up to the summary's instant (``until`` gives the curve's energy up
        to an instant), plus the curve's energy after it."""
        reference = self.reference
        if reference is None or self.day != day:
            return estimate
        return min(estimate, reference.today + max(estimate - until(reference.at), 0.0))

    def anchored_at(self, day: date) -> datetime | None:
        """The instant of the anchor of ``day`` still to settle (None: none)."""
        return self.anchor.at if self.anchor is not None and self.day == day else None

    def _restart(self, lifetime: float, month: float, year: float, today: float) -> None:
        self.start = max(lifetime - today, 0.0)
        if self.month_start is not None or month:
            self.month_start = month - today
        if self.year_start is not None or year:
            self.year_start = year - today

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
    today = summary.today or 0.0
    values = (today, summary.month, summary.year, summary.lifetime)
    if min(values) < 0 or today > summary.lifetime + ROUNDING:
        return False
    # month and year are optional (0 when absent): when present they hold today, up to their
    # rounding (the API gives today with 5-6 decimals, month, year and lifetime with 2: on
    # the 1st, the month can round below today).
    return all(total == 0 or total >= today - ROUNDING for total in (summary.month, summary.year))


def totals_from(data: Any, what: str = "totals") -> Totals:
    """A counter from its stored form (:func:`~.site.encode`); raises ``ValueError``."""
    data = codec.mapping(data, what)
    anchor, reference = data.get("anchor"), data.get("reference")
    return Totals(
        day=codec.opt_day(data["day"], f"{what}.day"),
        today=codec.opt_number(data["today"], f"{what}.today", minimum=0),
        start=codec.opt_number(data["start"], f"{what}.start", minimum=0),
        month_start=codec.opt_number(data["month_start"], f"{what}.month_start"),
        year_start=codec.opt_number(data["year_start"], f"{what}.year_start"),
        lifetime=codec.opt_number(data["lifetime"], f"{what}.lifetime", minimum=0),
        exact=bool(data.get("exact", False)),
        yesterday=codec.opt_number(data.get("yesterday"), f"{what}.yesterday", minimum=0),
        anchor=None if anchor is None else _anchor(anchor, f"{what}.anchor"),
        reference=None if reference is None else _reference(reference, f"{what}.reference"),
    )


def _reference(data: Any, what: str) -> Reference:
    data = codec.mapping(data, what)
    at = codec.opt_instant(data["at"], f"{what}.at")
    if at is None:
        raise ValueError(f"{what}.at: missing")
    return Reference(at=at, today=codec.number(data["today"], f"{what}.today", minimum=0))


def _anchor(data: Any, what: str) -> Anchor:
    data = codec.mapping(data, what)
    at = codec.opt_instant(data["at"], f"{what}.at")
    if at is None:
        raise ValueError(f"{what}.at: missing")
    return Anchor(
        at=at,
        lifetime=codec.number(data["lifetime"], f"{what}.lifetime", minimum=0),
        month=codec.number(data.get("month", 0.0), f"{what}.month", minimum=0),
        year=codec.number(data.get("year", 0.0), f"{what}.year", minimum=0),
    )
