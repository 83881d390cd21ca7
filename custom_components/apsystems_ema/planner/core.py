"""The call planner: when to poll next and exactly which endpoints to call.

The quota belongs to the App ID and is counted in the call book (see :mod:`.book`): each
entry gets a share of it, and its budget for the quota period is ``share - used - reserve -
committed``, where ``reserve`` (a share of the quota, shrinking as the period runs out) is
kept for buttons and retries, and ``committed`` is what the rest of the period needs for fixed
calls (the daily closing, the meters' morning summaries, the weekly inverter list, the detail
telemetry's share). What is left funds the daylight fast loop: the interval is the remaining
daylight divided by the polls the budget still buys, recomputed at every poll, so a quiet spell
(Home Assistant down) makes later polls faster and unexpected spend makes them slower. Each
day's window is divided evenly, its last poll at the window's end. Nothing is called at night
except the closing after sunset.

A battery (storage ECU) is read with every poll (its state of charge), its summary with the
day's first poll and the closing, its hours at the closing and, complete, the next morning;
with a battery the day's first poll comes at sunrise. The system's details (the status
light) come once a day, with the first poll after solar noon.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from math import ceil, floor
from zoneinfo import ZoneInfo

from ..openapi.errors import Failure
from .book import MARGIN, CallBook, month_start, next_month, period
from .model import (
    CallKind,
    DetailMode,
    Plan,
    PlanKind,
    PlannedCall,
    PlannerConfig,
    PlannerState,
    SiteGeometry,
)
from .sun import Daylight, DayWindow

# What each failure means for the rest of a plan: these concern one call only.
GO_ON = frozenset({Failure.DATA, Failure.BAD_REQUEST, Failure.BAD_ANSWER})
# Failures of one device's call while the rest of its poll is answered: that call is held
# back (asked again after HOLD_BASE, doubling up to HOLD_MAX), the others go on.
HOLDABLE = frozenset({Failure.TRANSPORT, Failure.SERVER, Failure.DATA, Failure.BAD_ANSWER})
HOLD_BASE = timedelta(minutes=30)
# The device calls a poll makes every time (summaries have their own once-a-day retry).
HELD_KINDS = frozenset(
    {
        CallKind.BATCH_POWER,
        CallKind.METER_MINUTELY,
        CallKind.STORAGE_LATEST,
        CallKind.INVERTER_MINUTELY,
    }
)
HOLD_MAX = timedelta(days=1)
REFUSED_AGAIN_AFTER = timedelta(hours=1)  # a refused answer is asked for again an hour later
CLOSING_KINDS = frozenset({CallKind.SYSTEM_HOURLY, CallKind.BATCH_ENERGY})
ONE_DAY = timedelta(days=1)
# An inverter's lifetime rolls forward with its exact days; its summary anchors it again
# this often (a day missed in between is not lost for good).
REANCHOR = timedelta(days=30)
# The set-up anchors this many inverters at once (a home system's inverter pages show their
# lifetime from the start); more ride along with the polls, one each, so that a large site's
# set-up day stays an ordinary day.
SETUP_ANCHORS = 8
FRESH_FOR = timedelta(minutes=5)  # the ECU uploads every 5 minutes
# A poll that fell due at the window's end still runs when it is woken a little late.
LATE_POLL = timedelta(minutes=15)
PAYS_KEPT = 8  # periods whose "does the share pay for the fixed calls" answer is kept


def _periods(q: Quota) -> tuple[Quota, ...]:
    """The quota's period and, in its margin, the previous one."""
    return (q,) if q.prev is None else (q, q.prev)


def _whole_second(at: datetime) -> datetime:
    """``at`` rounded up to the second."""
    return at if not at.microsecond else at.replace(microsecond=0) + timedelta(seconds=1)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("the planner needs timezone-aware datetimes")
    return at.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Quota:
    """The entry's side of the call book at one instant."""

    quota: int  # the entry's share of the App ID's quota
    used: int  # the entry's calls in the period (with its share of the assumed ones)
    left: int  # what the App ID as a whole may still spend now (in every period that counts)
    start: datetime  # the period's bounds
    end: datetime
    prev: Quota | None = None  # the previous period, while its trailing margin runs
    period_left: int = 0  # what the App ID may still spend in this period alone


@dataclass(frozen=True, slots=True)
class Budget:
    """The rest of a quota month as the planner sees it at one instant."""

    remaining: int  # quota - used - reserve
    committed: int  # fixed calls still due this month (closings, each day's first poll, ...)
    daylight: float  # seconds of polling window left this month

    @property
    def fast(self) -> int:
        """Calls the fast loop may still spend this month."""
        return self.remaining - self.committed


def doubled(base: timedelta, times: int, ceiling: timedelta) -> timedelta:
    """``base`` doubled ``times`` times, at most ``ceiling`` (the exponent stops at 16, so a
    month of failures in a row cannot overflow the delay)."""
    factor: int = 2 ** min(times, 16)
    return min(base * factor, ceiling)


class Planner:
    """Plans API calls for one site (one entry). Pure: it reads the call book and its state,
    the caller runs the calls and reports each one to :meth:`record`."""

    def __init__(self, config: PlannerConfig, site: SiteGeometry) -> None:
        self.config = config
        self.site = site
        self.zone = ZoneInfo(site.timezone)
        self.daylight = Daylight(
            site.latitude,
            site.longitude,
            self.zone,
            timedelta(minutes=config.sunrise_offset_minutes),
            timedelta(minutes=config.sunset_offset_minutes),
        )
        # History the caller still misses, most wanted first (see planner.backfill).
        self.backfill: tuple[PlannedCall, ...] = ()
        # Per period (its start and the entry's share): whether the share pays for the
        # period's fixed calls (see _behind_pace; the same all period, so asked once).
        self._pays: dict[tuple[datetime, int], bool] = {}

    # -- calendar ---------------------------------------------------------------------------

    def month_bounds(self, at: datetime) -> tuple[datetime, datetime]:
        """UTC start and end of the (UTC) quota month of ``at``."""
        start = month_start(at)
        return start, next_month(start)

    def closing_at(self, day: date) -> datetime:
        """When the day's closing call is due: after the window, or at noon in polar night."""
        window = self.daylight.window(day)
        if window is None:
            return self.daylight.local_noon(day)
        return window.end + self.config.closing_delay

    # -- budget -----------------------------------------------------------------------------

    def quota(self, book: CallBook, now: datetime) -> Quota:
        """The entry's quota, its calls so far and what the App ID may still spend."""
        now = _utc(now)
        month = month_start(now)
        prev = None
        if now < month + MARGIN and book.since <= period(month - MARGIN)[0]:
            # The previous month's period still runs: the API may count these calls there.
            # (Not when counting began in it: what it spent is only assumed, at an even rate
            # that goes on into these hours.)
            prev = self._period_quota(book, month - timedelta(seconds=1), now)
        return self._period_quota(book, now, now, prev)

    def _period_quota(
        self, book: CallBook, of: datetime, now: datetime, prev: Quota | None = None
    ) -> Quota:
        """The entry's side of the period that holds ``of``, as of ``now``."""
        share = book.share(self.config.entry)
        start, end = period(of)
        quota = self.config.quota
        # Its share of what the App ID is assumed to have spent before the book began, of
        # which its own set-up's calls are a part.
        entry = self.config.entry
        assumed = max(round(book.even(quota, of) * share) - book.excused_in(of, entry), 0)
        used = book.used(start, now, entry) + assumed
        left = max(quota - book.spent(quota, of, now), 0)
        spendable = left if prev is None else min(left, prev.left)
        return Quota(floor(quota * share), used, spendable, start, end, prev, left)

    def reserve(self, at: datetime, q: Quota | None = None) -> int:
        """Calls kept for buttons and retries, pro rata of the period still ahead."""
        start, end = (q.start, q.end) if q else period(at)
        share = max(end - _utc(at), timedelta(0)) / (end - start)
        base = self.config.quota if q is None else q.quota
        return ceil(base * self.config.reserve_fraction * share)

    def budget(
        self, now: datetime, book: CallBook, state: PlannerState, *, history: bool = True
    ) -> Budget:
        """The period's budget at ``now`` (see :meth:`_budget`)."""
        return self._budget(_utc(now), self.quota(book, now), state, history=history)

    def _budget(
        self, now: datetime, q: Quota, state: PlannerState, *, history: bool = True
    ) -> Budget:
        """The period's budget; with ``history``, the history the backfill queue will fetch
        at the period's closings counts among its fixed calls, so the polls' interval is
        the same all month instead of stretching once history has been fetched."""
        end = q.end
        first = self.first_cost()
        committed, daylight, closings = 0, 0.0, 0
        day = today = self.daylight.local_day(now)
        while self.daylight.midnight(day) < end:
            window = self.daylight.window(day)
            if window is not None and window.end > now:
                # The period's daylight only: after its end the next period pays.
                daylight += max((min(window.end, end) - max(window.start, now)).total_seconds(), 0)
                if not self._first_done(window, state):
                    committed += first
            if window is not None and state.detail_day != day:
                committed += self.detail_per_day(day, q.quota)
            if window is not None and window.end > now and self._light_day(state) != day:
                committed += 1  # the status light's daily details
            if self.closing_at(day) < end:  # a closing after the period's end is the next's
                committed += len(self.closing_calls(day, state))
                # History at the closings of the days to come (today's takes what today's
                # polls leave: a set-up day is not squeezed).
                closings += day > today
            day += ONE_DAY
        if history:
            committed += min(len(self.backfill), self._history_per_day(q) * closings)
        committed += self._inventory_due(now, end, state) * len(self._inventory_calls())
        remaining = min(q.quota - q.used, q.period_left) - self.reserve(now, q)
        return Budget(remaining, committed, daylight)

    def _behind_pace(self, at: datetime, q: Quota) -> bool:
        """Whether the entry's spending is ahead of an even pace through its period while its
        share cannot pay for the period's fixed calls at all (many systems on one App ID:
        each day's closing, first poll and status light, more than the share): then those
        are thinned evenly over the period instead of spent up front and followed by weeks
        of nothing. Never for a share that pays for them (every ordinary system, also one
        that spent more than planned: its closings run while they fit)."""
        key = (q.start, q.quota)
        pays = self._pays.get(key)
        if pays is None:
            if len(self._pays) > PAYS_KEPT:
                self._pays.clear()
            fixed = self._budget(q.start, q, PlannerState(), history=False).committed
            pays = self._pays[key] = fixed <= q.quota
        if pays:
            return False
        span = (q.end - q.start).total_seconds()
        elapsed = min(max((_utc(at) - q.start).total_seconds() / span, 0.0), 1.0)
        return q.used > q.quota * elapsed

    def _inventory_due(self, now: datetime, end: datetime, state: PlannerState) -> int:
        every = self.config.inventory_every
        due = now if state.inventory_at is None else max(now, state.inventory_at + every)
        return max(0, ceil((end - due) / every))

    def mean_cost(self) -> float:
        """Calls of an average fast poll (without detail telemetry): the meters' curves come
        with every ``meter_every``-th poll."""
        meters = len(self.site.meters) / max(self.config.meter_every, 1)
        return len(self.poll_calls(None, meters=False)) + meters

    def first_cost(self) -> int:
        """Calls of the day's first poll: a fast poll, the meters' summaries, and each
        battery's summary and hours of the day before."""
        return len(self.poll_calls(None)) + len(self.site.meters) + 2 * len(self.site.storage)

    def interval(self, now: datetime, book: CallBook, state: PlannerState) -> timedelta | None:
        """The fast loop's interval at ``now`` (None: the budget buys no more polls)."""
        return self._interval(_utc(now), self.quota(book, now), state)

    def _interval(self, now: datetime, q: Quota, state: PlannerState) -> timedelta | None:
        """The slower of the intervals of the period and, in its margin, the previous one."""
        every = self._period_interval(now, q, state)
        if q.prev is None or every is None:
            return every
        before = self._period_interval(now, q.prev, state)
        return None if before is None else max(every, before)

    def _period_interval(self, now: datetime, q: Quota, state: PlannerState) -> timedelta | None:
        budget = self._budget(now, q, state)
        cost = self.mean_cost()
        if budget.fast < cost or budget.daylight <= 0:
            return None
        seconds = budget.daylight * cost / budget.fast
        floor_ = max(self.config.min_interval, self.config.interval or timedelta(0))
        return max(timedelta(seconds=ceil(seconds)), floor_)

    def detail_per_day(self, day: date, quota: int) -> int:
        """Inverter detail calls on ``day``: ``detail_share`` of the quota spread evenly over
        the month's days (e.g. 50 calls in July: 1 or 2 a day), never more than inverters."""
        if self.config.detail is DetailMode.OFF or not self.site.inverters:
            return 0
        days = (next_month(datetime(day.year, day.month, 1, tzinfo=UTC)).date() - ONE_DAY).day
        month = quota * self.config.detail_share
        count = floor(month * day.day / days) - floor(month * (day.day - 1) / days)
        return min(count, len(self.site.inverters))

    def _detail_calls(
        self, at: datetime, day: date, state: PlannerState, q: Quota
    ) -> list[PlannedCall]:
        """The day's detail calls, with the first poll after solar noon (the day's most
        telling sample: temperature, voltages under load), the next inverters in turn."""
        if state.detail_day == day or at < self.daylight.local_noon(day):
            return []
        uids = self.site.inverters
        count = self.detail_per_day(day, q.quota)
        return [
            PlannedCall(CallKind.INVERTER_MINUTELY, uids[(state.detail_index + i) % len(uids)], day)
            for i in range(count)
        ]

    def can_spend(
        self, n: int, now: datetime, book: CallBook, state: PlannerState | None = None
    ) -> bool:
        """Whether a button may spend ``n`` calls now: never into the fixed calls the period
        still needs nor into the retry half of the reserve. Without ``state`` it assumes
        nothing was done today (stricter)."""
        now = _utc(now)
        if book.exhausted(now):
            return False
        q = self.quota(book, now)
        budget = self._budget(now, q, state or PlannerState())
        keep = budget.committed + ceil(self.reserve(now, q) / 2)
        return q.used + n <= q.quota - keep and n <= q.left - ceil(self.reserve(now) / 2)

    @property
    def manual_allowance(self) -> int:
        """Calls the buttons may spend a day: four refreshes' worth."""
        return max(4 * len(self.poll_calls(None)), 2 * len(self._inventory_calls()))

    def fresh(self, calls: tuple[PlannedCall, ...], now: datetime, state: PlannerState) -> bool:
        """Whether every call's answer is younger than the ECU's upload interval: asking
        again would fetch nothing new."""
        now = _utc(now)
        return bool(calls) and all(
            (at := state.last_ok.get(call.kind)) is not None and now - at < FRESH_FOR
            for call in calls
        )

    def refuse_manual(
        self, calls: tuple[PlannedCall, ...], now: datetime, book: CallBook, state: PlannerState
    ) -> str | None:
        """Why a button may not spend ``calls`` now ("allowance": today's manual calls are
        spent; "budget": the period's fixed calls and retries need them), or None."""
        now = _utc(now)
        used = state.manual_used if state.manual_day == self.daylight.local_day(now) else 0
        if used + len(calls) > self.manual_allowance:
            return "allowance"
        if not self.can_spend(len(calls), now, book, state):
            return "budget"
        return None

    # -- the first run and lost lifetimes ----------------------------------------------------

    def bootstrap_calls(
        self, now: datetime, state: PlannerState, *, details: bool
    ) -> tuple[PlannedCall, ...]:
        """The first run's calls while the system's ECUs are unknown: its details (unless
        ``details`` are at hand already, e.g. the set-up form's answer), then its inverter and
        meter lists. Nothing during a failure's backoff (Home Assistant retries a failed
        set-up within seconds), and a system whose details listed no ECU is asked again a day
        later, not at every refresh."""
        now = _utc(now)
        if state.backoff_until is not None and now < state.backoff_until:
            return ()
        answered = state.last_ok.get(CallKind.DETAILS)
        if not details and answered is not None and now - answered < ONE_DAY:
            return ()
        calls = () if details else (PlannedCall(CallKind.DETAILS),)
        return (*calls, PlannedCall(CallKind.INVENTORY), PlannedCall(CallKind.METERS))

    def battery_readings(self) -> tuple[PlannedCall, ...]:
        """At set-up, each battery's latest reading: its state of charge at once."""
        return tuple(PlannedCall(CallKind.STORAGE_LATEST, eid) for eid in self.site.storage)

    @staticmethod
    def first_history(today: date) -> tuple[PlannedCall, ...]:
        """At set-up, yesterday's hours of the system: the solar production statistic
        exists at once, also at night (yesterday is no closing's and, until tomorrow, no
        backfill's day)."""
        return (PlannedCall(CallKind.SYSTEM_HOURLY, None, today - ONE_DAY, backfill=True),)

    @staticmethod
    def lifetime_calls(
        system: bool,
        ecus: Iterable[str],
        inverters: Mapping[str, date | None] | None = None,
        today: date | None = None,
        *,
        limit: int | None = None,
        storage: Iterable[str] = (),
        meters: Iterable[str] = (),
    ) -> tuple[PlannedCall, ...]:
        """The summaries that give the start of the lifetimes not known yet: the system's
        (``system``), each of ``ecus``', each battery's of ``storage`` and each meter's of
        ``meters``. The counters then roll forward day by day.

        ``inverters`` maps each inverter to the day its lifetime was last anchored by its
        summary (None: never); those never anchored, then (unless one was anchored
        ``today``) those anchored more than ``REANCHOR`` before, oldest first, follow, at
        most ``limit`` of them (the set-up anchors up to ``SETUP_ANCHORS``, a poll one: see
        :meth:`lost_summaries`)."""
        calls: tuple[PlannedCall, ...] = (PlannedCall(CallKind.SYSTEM_SUMMARY),) if system else ()
        calls += tuple(PlannedCall(CallKind.ECU_SUMMARY, eid) for eid in ecus)
        calls += tuple(PlannedCall(CallKind.STORAGE_SUMMARY, eid) for eid in storage)
        calls += tuple(PlannedCall(CallKind.METER_SUMMARY, eid) for eid in meters)
        if inverters and today is not None:
            # One anchor again a day at most: a 40-inverter site is not re-anchored in a burst.
            again = today not in inverters.values()
            due = sorted(
                (anchored or date.min, uid)
                for uid, anchored in inverters.items()
                if anchored is None or (again and today - anchored >= REANCHOR)
            )
            calls += tuple(PlannedCall(CallKind.INVERTER_SUMMARY, uid) for _, uid in due[:limit])
        return calls

    def lost_summaries(
        self,
        plan: Plan,
        unknown: tuple[PlannedCall, ...],
        now: datetime,
        book: CallBook,
        state: PlannerState,
    ) -> tuple[PlannedCall, ...]:
        """The summaries of counters whose start is still unknown (a failed first run), to add
        to ``plan``: once a day each, and only when the budget allows (never to a probe).
        Inverter summaries ride along one per poll (a set-up day stays an ordinary day)."""
        if plan.kind is PlanKind.PROBE:
            return ()
        day = self.daylight.local_day(_utc(now))
        candidates = [
            c for c in unknown if c not in plan.calls and state.summaries_tried.get(c.key) != day
        ]
        inverters = [c for c in candidates if c.kind is CallKind.INVERTER_SUMMARY]
        extra = tuple(c for c in candidates if c.kind is not CallKind.INVERTER_SUMMARY)
        if plan.kind is PlanKind.POLL:
            extra += tuple(inverters[:1])
        if not extra or not self.can_spend(len(plan.calls) + len(extra), now, book, state):
            return ()
        state.summaries_tried = {**state.summaries_tried, **{c.key: day for c in extra}}
        return extra

    # -- what to call -----------------------------------------------------------------------

    def poll_calls(self, day: date | None, *, meters: bool = True) -> tuple[PlannedCall, ...]:
        """One fast poll: the batch power curve of every producing ECU (every channel's
        power and, integrated, every channel's, inverter's, ECU's and the system's energy of
        the day), each battery's latest reading (its state of charge) and (with ``meters``)
        every meter's curve; the system summary while neither an ECU nor a battery is
        known."""
        site = self.site
        calls = tuple(PlannedCall(CallKind.BATCH_POWER, eid, day) for eid in site.ecus)
        if not calls and not site.storage:
            calls = (PlannedCall(CallKind.SYSTEM_SUMMARY),)
        # A battery's state of charge is what its owner watches: with every poll.
        calls += tuple(PlannedCall(CallKind.STORAGE_LATEST, eid) for eid in site.storage)
        if not meters:
            return calls
        return calls + tuple(PlannedCall(CallKind.METER_MINUTELY, m, day) for m in site.meters)

    def _inventory_calls(self) -> tuple[PlannedCall, ...]:
        calls = (PlannedCall(CallKind.INVENTORY),)
        return calls + ((PlannedCall(CallKind.METERS),) if self.site.meters else ())

    def closing_calls(self, day: date, state: PlannerState) -> tuple[PlannedCall, ...]:
        """The day's closing calls not yet done: the day's hourly energy (the system's exact
        hours and day) and every ECU's batch energy (every channel's exact day, which sum
        to each ECU's). The fast loop's curves hold the day's shape; an ECU whose curve was
        not fetched at the day's end (its last poll failed, or Home Assistant was down then)
        gets its curve of the whole day first."""
        if state.closed_day is not None and state.closed_day >= day:
            return ()
        calls = []
        if self.site.ecus or not self.site.storage:  # a storage-only system produces nothing
            calls.append(PlannedCall(CallKind.SYSTEM_HOURLY, None, day))
        window = self.daylight.window(day)
        if window and state.last_poll and state.last_poll >= window.start:
            end = window.end - self.config.min_interval
            calls.extend(
                PlannedCall(CallKind.BATCH_POWER, eid, day)
                for eid in self.site.ecus
                if (curve := state.curves.get(eid)) is None or curve < end
            )
        calls.extend(PlannedCall(CallKind.BATCH_ENERGY, eid, day) for eid in self.site.ecus)
        # The batteries' totals and hours so far (the next morning's first poll adds the
        # evening's and the night's).
        for eid in self.site.storage:
            calls.append(PlannedCall(CallKind.STORAGE_SUMMARY, eid, day))
            calls.append(PlannedCall(CallKind.STORAGE_HOURLY, eid, day))
        done = state.closing_done if state.closing_day == day else ()
        return tuple(c for c in calls if c.key not in done)

    def _meters_due(self, at: datetime, state: PlannerState, every: timedelta | None) -> bool:
        """Whether a poll brings the meters' curves: every ``meter_every``-th poll (the day's
        first and last always do); the production curves come with every poll."""
        if every is None or state.meter_poll is None:
            return True
        return at - state.meter_poll >= every * (self.config.meter_every - 0.5)

    @staticmethod
    def _refused_until(call: PlannedCall, state: PlannerState) -> datetime:
        """When a call whose answer was refused may be asked again (an hour later)."""
        refused = state.refused.get(call.key)
        return refused + REFUSED_AGAIN_AFTER if refused else datetime.min.replace(tzinfo=UTC)

    def _light_day(self, state: PlannerState) -> date | None:
        """The day whose status light is known (the details are read once a day, with the
        first poll after solar noon, when every inverter should report)."""
        read = state.last_ok.get(CallKind.DETAILS)
        return None if read is None else self.daylight.local_day(read)

    @staticmethod
    def _first_done(window: DayWindow, state: PlannerState) -> bool:
        return state.last_poll is not None and state.last_poll >= window.start

    # -- planning ---------------------------------------------------------------------------

    def next_plan(self, now: datetime, book: CallBook, state: PlannerState) -> Plan:
        """The next thing to do at or after ``now``. Run ``plan.calls`` at ``plan.at`` (a plan
        without calls only asks to be woken then), report each call to :meth:`record`, and
        ask again. Planning is pure, so asking again at any time is safe."""
        now = _utc(now)
        if book.exhausted(now):
            return self._probe(now, book, state)
        start = max(now, state.backoff_until) if state.backoff_until else now
        q = self.quota(book, start)
        _, end = self.month_bounds(start)
        wake = Plan(end, PlanKind.WAKE, (), "the quota month resets", self.daylight.local_day(end))
        candidates = [self._closing(start, q, state), self._poll(start, q, state), wake]
        margin_end = month_start(start) + MARGIN
        if start < margin_end:
            # The previous period's margin may hold polls back: plan again once it is over.
            candidates.append(
                Plan(
                    margin_end,
                    PlanKind.WAKE,
                    (),
                    "the previous month's margin ends",
                    self.daylight.local_day(margin_end),
                )
            )
        plans = [p for p in candidates if p is not None]
        return min(plans, key=lambda p: (p.at, p.kind is not PlanKind.CLOSING))

    def _closing(self, start: datetime, q: Quota, state: PlannerState) -> Plan | None:
        today = self.daylight.local_day(start)
        for day in (today - ONE_DAY, today, today + ONE_DAY):
            calls = self.closing_calls(day, state)
            due = self.closing_at(day)
            if not calls or start > due + self.config.closing_retry_for:
                continue  # done, or missed: the next morning's first poll catches up
            at = max(start, due, *(self._refused_until(c, state) for c in calls))
            if q.used + len(calls) > q.quota - self.reserve(at, q) or len(calls) > q.left:
                return None
            if self._behind_pace(at, q):
                return None
            history = self._backfill_calls(at, q, state)
            reason = f"closing of {day}" + (f", {len(history)} history" if history else "")
            return Plan(at, PlanKind.CLOSING, calls + history, reason, day)
        return None

    def _backfill_calls(
        self, at: datetime, q: Quota, state: PlannerState
    ) -> tuple[PlannedCall, ...]:
        """Up to ``backfill_per_day`` history calls, only as far as spare budget goes: never
        into the fixed calls the month still needs nor into the retry half of the reserve
        (the closing's own calls are part of those fixed calls)."""
        budget = self._budget(at, q, state, history=False)
        keep = budget.committed + ceil(self.reserve(at, q) / 2)
        spare = min(q.quota - q.used - keep, q.left - keep)
        count = max(0, min(self._history_per_day(q), len(self.backfill), spare))
        return self.backfill[:count]

    def _history_per_day(self, q: Quota) -> int:
        """History calls a closing may add: ``backfill_per_day`` for the whole quota, in
        proportion for an entry's share of it (at least one)."""
        share = q.quota / max(self.config.quota, 1)
        return max(1, round(self.config.backfill_per_day * share))

    def _poll(self, start: datetime, q: Quota, state: PlannerState) -> Plan | None:
        found = self._next_poll_time(start, q, state)
        if found is None:
            return None
        at, every, day = found
        return self._compose(at, q, state, every, day)

    def _next_poll_time(
        self, start: datetime, q: Quota, state: PlannerState
    ) -> tuple[datetime, timedelta | None, date] | None:
        """The next poll: the rest of the day's window is divided evenly into as many polls
        as the interval allows, the last at the window's end (the day's whole curve), so no
        poll is spent at sunrise, before anything was produced."""
        _, end = self.month_bounds(start)
        day = self.daylight.local_day(start)
        while self.daylight.midnight(day) < end:
            window = self.daylight.window(day)
            day += ONE_DAY
            if window is None or window.end + LATE_POLL < start:
                continue
            first = not self._first_done(window, state)
            if first:
                needed = self.first_cost() + len(self.closing_calls(window.day, state))
                at = max(start, window.start)
                if any(self._budget(at, p, state).remaining < needed for p in _periods(q)):
                    continue
                if self._behind_pace(at, q):
                    continue
            every = self._interval(start, q, state)
            if every is None and not first:
                continue
            added_now = state.last_poll is None and start >= window.start
            if first and (self.site.storage or added_now):
                # A battery works through the night: its morning's state of charge at once,
                # not one interval into the day. A system just added in daylight is polled
                # at once as well: its owner sees data from the first minute.
                return max(start, window.start), every, window.day
            since = window.start if first or state.last_poll is None else state.last_poll
            since = max(since, window.start)
            rest = window.end - since
            if not first and rest < self.config.min_interval:
                continue  # the day's last poll, at the window's end, is done
            count = 1 if every is None else max(1, round(rest / every))
            at = max(start, _whole_second(since + rest / count))
            if at <= window.end + LATE_POLL:
                return at, every, window.day
        return None

    def _compose(
        self, at: datetime, q: Quota, state: PlannerState, every: timedelta | None, day: date
    ) -> Plan:
        window = self.daylight.window(day)
        first = window is not None and not self._first_done(window, state)
        reasons = ["poll" + (" (first of the day)" if first else "")]
        calls: list[PlannedCall] = []
        if first:
            calls.extend(self._morning_calls(day, state, reasons))
        last = window is not None and at >= window.end - timedelta(seconds=1)
        calls.extend(
            self.poll_calls(day, meters=first or last or self._meters_due(at, state, every))
        )
        if first and state.meter_poll is not None:
            # The meters' whole day before, after today's curves: its evening (a home goes on
            # consuming after the last poll) reaches the statistics, and its exact totals
            # correct the lifetimes' start of today (nothing to complete on the set-up day).
            yesterday = day - ONE_DAY
            calls.extend(
                PlannedCall(CallKind.METER_MINUTELY, m, yesterday) for m in self.site.meters
            )
        inventory_at = state.inventory_at
        if inventory_at is None or at - inventory_at >= self.config.inventory_every:
            calls.extend(self._inventory_calls())
            reasons.append("inventory")
        calls.extend(self._detail_calls(at, day, state, q))
        if (
            at >= self.daylight.local_noon(day)
            and self._light_day(state) != day
            and not self._behind_pace(at, q)
        ):
            calls.append(PlannedCall(CallKind.DETAILS))
            reasons.append("status light")
        calls = self._unheld(calls, at, state, reasons)
        allowed = max(1, min(q.quota - q.used - self.reserve(at, q), q.left))
        return Plan(at, PlanKind.POLL, tuple(calls[:allowed]), ", ".join(reasons), day, every)

    @staticmethod
    def _unheld(
        calls: list[PlannedCall], at: datetime, state: PlannerState, reasons: list[str]
    ) -> list[PlannedCall]:
        """A poll's calls without those held back (but never all of them); a call that failed
        before comes last, after the others had their chance to be answered."""
        if not state.held:
            return calls
        held = [c for c in calls if (h := state.held.get(c.key)) is not None and h[1] > at]
        if len(held) == len(calls):
            held = []  # a poll holds back some of its calls, never all of them
        if held:
            reasons.append(f"{len(held)} held back")
        retried = [c for c in calls if c.key in state.held and c not in held]
        return [c for c in calls if c.key not in state.held] + retried

    def _morning_calls(
        self, day: date, state: PlannerState, reasons: list[str]
    ) -> list[PlannedCall]:
        """Yesterday's closing calls when the closing was missed (before today's curves, so
        that yesterday's exact figures still land on yesterday), the system's, ECUs' and
        meters' summaries after a gap, and each battery's summary and day before."""
        yesterday = day - ONE_DAY
        missed: tuple[PlannedCall, ...] = ()
        if state.closed_day is not None and state.closed_day < yesterday:
            missed = self.closing_calls(yesterday, state)
            reasons.append(f"catch up the closing of {yesterday}")
        extra = list(missed)
        if state.closed_day is None or state.closed_day < day - 2 * ONE_DAY:
            # Days nobody watched (yesterday's exact figures close one missed day, not more):
            # their energy is in no counter. The summaries restart the system's and every
            # ECU's lifetime from the API's own totals.
            if self.site.ecus:
                extra.append(PlannedCall(CallKind.SYSTEM_SUMMARY))
            extra.extend(PlannedCall(CallKind.ECU_SUMMARY, eid) for eid in self.site.ecus)
            reasons.append("summaries after a gap")
            extra.extend(PlannedCall(CallKind.METER_SUMMARY, eid) for eid in self.site.meters)
        # A battery works on after sunset: its totals after the night, and its whole day
        # before, hour by hour.
        # The set-up (no poll yet) read every battery's summary a moment ago.
        fresh = state.last_poll is None and CallKind.STORAGE_SUMMARY in state.last_ok
        battery = [
            call
            for eid in self.site.storage
            for call in (
                *(() if fresh else (PlannedCall(CallKind.STORAGE_SUMMARY, eid),)),
                PlannedCall(CallKind.STORAGE_HOURLY, eid, yesterday),
            )
        ]
        caught_up = {call.key for call in missed}  # a missed closing's bring them already
        extra.extend(call for call in battery if call.key not in caught_up)
        return extra

    def _probe(self, now: datetime, book: CallBook, state: PlannerState) -> Plan:
        """One call a day to see whether the quota is back; hourly early in the month, when
        the 2005 may only mean that the API's month has not reset yet."""
        start, end = self.month_bounds(now)
        exhausted_at = book.exhausted_at or now
        early = exhausted_at - start < self.config.reset_uncertainty
        every = self.config.reset_probe_every if early else self.config.probe_every
        at = self._next_daylight(max(now, exhausted_at + every))
        if at >= end:
            return Plan(end, PlanKind.WAKE, (), "quota month resets", self.daylight.local_day(end))
        call = self.poll_calls(self.daylight.local_day(at))[0]
        if early:
            reason = "quota exhausted (2005) early in the month: hourly probe for the reset"
        else:
            reason = "quota exhausted (2005): daily probe"
        return Plan(at, PlanKind.PROBE, (call,), reason, self.daylight.local_day(at))

    def _next_daylight(self, after: datetime) -> datetime:
        """The first instant at or after ``after`` inside a window (noon in polar night)."""
        day = self.daylight.local_day(after)
        window = self.daylight.window(day)
        if window is not None and window.end >= after:
            return max(after, window.start)
        if window is None and self.daylight.local_noon(day) >= after:
            return self.daylight.local_noon(day)
        window = self.daylight.window(day + ONE_DAY)
        return window.start if window else self.daylight.local_noon(day + ONE_DAY)

    # -- outcomes ---------------------------------------------------------------------------

    def record(
        self,
        call: PlannedCall,
        at: datetime,
        book: CallBook,
        state: PlannerState,
        *,
        failure: Failure | None = None,
        plan: Plan | None = None,
        attempts: int = 1,
        manual: bool = False,
        setup: bool = False,
    ) -> bool:
        """Count one attempted call (failures count too) and learn from its outcome.

        ``failure`` says how the call failed (None: it succeeded; see ``Failure``). Pass the
        plan the call belongs to (None for button calls), how many requests it took (a
        dropped connection's request is sent twice), whether a button asked for it and
        whether the set-up made it (see :class:`~.book.CallBook`).
        Returns whether the rest of the plan should still run (False after quota,
        throttling and transport, auth and server failures).
        """
        at = _utc(at)
        book.record(at, self.config.entry, max(attempts, 1), setup=setup)
        if manual:
            day = self.daylight.local_day(at)
            used = state.manual_used if state.manual_day == day else 0
            state.manual_day, state.manual_used = day, used + max(attempts, 1)
        if plan is not None and plan.kind is PlanKind.POLL:
            state.last_poll = plan.at
            if call.kind is CallKind.METER_MINUTELY:
                state.meter_poll = plan.at
        if failure is None or failure is Failure.NO_DATA:
            book.exhausted_at = None
            self._succeeded(call, at, state, plan)
            return True
        if self._hold(call, at, state, failure, plan):
            return True
        if failure is Failure.QUOTA:
            book.exhausted_at = at
            return False
        if failure is Failure.BAD_ANSWER:
            state.refused = {**state.refused, call.key: at}
        # A device's id refused (4001): it may have left the system. The lists are read again
        # with the next poll (once a day at most), instead of asking on and on.
        listed_at = state.inventory_at
        if failure is Failure.BAD_REQUEST and call.target is not None and not call.backfill:
            state.inventory_at = None if listed_at and at - listed_at >= ONE_DAY else listed_at
        state.errors += 1
        backoff = doubled(self.config.backoff_base, state.errors - 1, self.config.backoff_max)
        state.backoff_until = at + backoff
        return failure in GO_ON

    @staticmethod
    def _hold(
        call: PlannedCall, at: datetime, state: PlannerState, failure: Failure, plan: Plan | None
    ) -> bool:
        """A device's call of a poll failed: counted, and asked last from now on. When an
        earlier call of the same poll was answered, the failure is that device's, not the
        API's: it is held back (HOLD_BASE, doubling with each failure in a row, up to
        HOLD_MAX) and the poll goes on (True). Otherwise the API itself may be failing:
        the usual backoff applies (False)."""
        if plan is None or plan.kind is not PlanKind.POLL or call.kind not in HELD_KINDS:
            return False
        if failure not in HOLDABLE or call.backfill:
            return False
        failures = state.held.get(call.key, (0, at))[0] + 1
        answered = state.answered_at is not None and state.answered_at >= plan.at
        until = at + doubled(HOLD_BASE, failures - 1, HOLD_MAX) if answered else at
        state.held = {**state.held, call.key: (failures, until)}
        return answered

    def held_until(self, call: PlannedCall, state: PlannerState) -> datetime | None:
        """When a held-back device call is asked again (None: it is not held back)."""
        held = state.held.get(call.key)
        return None if held is None else held[1]

    def _succeeded(
        self, call: PlannedCall, at: datetime, state: PlannerState, plan: Plan | None
    ) -> None:
        state.errors, state.backoff_until = 0, None
        state.answered_at = at
        if call.key in state.held:
            state.held = {k: v for k, v in state.held.items() if k != call.key}
        state.refused = {k: v for k, v in state.refused.items() if k != call.key}
        if call.backfill:
            return  # history of a past day: no bearing on live polling or closings
        state.last_ok[call.kind] = at
        if call.kind is CallKind.BATCH_POWER and call.target:
            state.curves = {**state.curves, call.target: at}
        elif call.kind is CallKind.INVENTORY:
            state.inventory_at = at
        elif call.kind is CallKind.INVERTER_MINUTELY:
            state.detail_index = (state.detail_index + 1) % max(1, len(self.site.inverters))
            state.detail_day = call.day
        closing = call.kind in CLOSING_KINDS or (
            plan is not None
            and (plan.kind is PlanKind.CLOSING or (call.day is not None and call.day < plan.day))
        )
        if call.day is not None and closing:
            if state.closing_day != call.day:
                state.closing_day, state.closing_done = call.day, ()
            state.closing_done = (*state.closing_done, call.key)
        for day in {call.day, plan.day if plan else None} - {None}:
            self._maybe_closed(day, at, state)

    def _maybe_closed(self, day: date | None, at: datetime, state: PlannerState) -> None:
        if day is None or at < self.closing_at(day) or self.closing_calls(day, state):
            return
        state.closed_day = max(day, state.closed_day or day)
