"""The call planner: when to poll next and exactly which endpoints to call.

The month's budget is ``quota - used - reserve - committed``, where ``reserve`` (a share of the
quota, shrinking as the month runs out) is kept for buttons and retries, and ``committed`` is
what the rest of the month needs for fixed calls (the daily closing, the meters' morning
summaries, the weekly inverter list). What is left funds the daylight fast loop: the interval
is the remaining daylight of the month divided by the polls the budget still buys, recomputed
at every poll, so a quiet spell (Home Assistant down) makes later polls faster and unexpected
spend makes them slower. Nothing is called at night except one closing call after sunset.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from math import ceil, floor
from zoneinfo import ZoneInfo

from .model import (
    CallKind,
    DetailMode,
    Ledger,
    Plan,
    PlanKind,
    PlannedCall,
    PlannerConfig,
    PlannerState,
    PollStep,
    SiteGeometry,
)
from .sun import Daylight, DayWindow

OK_CODES = frozenset({0, 1001})  # 1001 "no data" is an answer, not a failure
QUOTA_CODE = 2005
GO_ON_CODES = frozenset({1000, 4000, 4001})  # the failure concerns that one call only
CLOSING_KINDS = frozenset({CallKind.SYSTEM_HOURLY, CallKind.BATCH_ENERGY})
ONE_DAY = timedelta(days=1)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("the planner needs timezone-aware datetimes")
    return at.astimezone(UTC)


def auto_pattern(ecus: int) -> tuple[PollStep, ...]:
    """The fast loop's steps after the day's first poll (which does both): ECU minutely
    (energy + power) and batch power (every inverter) alternate; with several ECUs batch power
    gets three polls in four, as its calls cover many inverters."""
    if ecus <= 1:
        return (PollStep.ENERGY, PollStep.BATCH)
    return (PollStep.ENERGY, PollStep.BATCH, PollStep.BATCH, PollStep.BATCH)


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


class Planner:
    """Plans API calls for one site. Pure: it reads the ledger and state, the caller runs the
    calls and reports each one to :meth:`record`."""

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
        self.pattern = config.pattern or auto_pattern(len(site.ecus))
        # History the caller still misses, most wanted first (see planner.backfill).
        self.backfill: tuple[PlannedCall, ...] = ()

    # -- calendar ---------------------------------------------------------------------------

    def month_key(self, at: datetime) -> str:
        """The quota month ("YYYY-MM") of an instant, in the system's timezone."""
        return _utc(at).astimezone(self.zone).strftime("%Y-%m")

    def new_ledger(self, at: datetime) -> Ledger:
        """An empty ledger for the month of ``at``."""
        return Ledger(self.month_key(at))

    def month_bounds(self, at: datetime) -> tuple[datetime, datetime]:
        """UTC start and end of the quota month of ``at``."""
        local = _utc(at).astimezone(self.zone)
        first = local.date().replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
        return self.daylight.midnight(first), self.daylight.midnight(after)

    def closing_at(self, day: date) -> datetime:
        """When the day's closing call is due: after the window, or at noon in polar night."""
        window = self.daylight.window(day)
        if window is None:
            return self.daylight.local_noon(day)
        return window.end + self.config.closing_delay

    # -- budget -----------------------------------------------------------------------------

    def reserve(self, at: datetime) -> int:
        """Calls kept for buttons and retries, pro rata of the month still ahead."""
        start, end = self.month_bounds(at)
        share = (end - _utc(at)) / (end - start)
        return ceil(self.config.quota * self.config.reserve_fraction * share)

    def budget(self, now: datetime, ledger: Ledger, state: PlannerState) -> Budget:
        """The month's budget at ``now``."""
        now = _utc(now)
        return self._budget(now, ledger.used_in(self.month_key(now)), state)

    def _budget(self, now: datetime, used: int, state: PlannerState) -> Budget:
        _, end = self.month_bounds(now)
        first = self.first_cost()
        committed, daylight = 0, 0.0
        day = self.daylight.local_day(now)
        while self.daylight.midnight(day) < end:
            window = self.daylight.window(day)
            if window is not None and window.end > now:
                daylight += (window.end - max(window.start, now)).total_seconds()
                if not self._first_done(window, state):
                    committed += first
            committed += len(self.closing_calls(day, state))
            day += ONE_DAY
        committed += self._inventory_due(now, end, state) * len(self._inventory_calls())
        remaining = self.config.quota - used - self.reserve(now)
        return Budget(remaining, committed, daylight)

    def _inventory_due(self, now: datetime, end: datetime, state: PlannerState) -> int:
        every = self.config.inventory_every
        due = now if state.inventory_at is None else max(now, state.inventory_at + every)
        return max(0, ceil((end - due) / every))

    def mean_cost(self) -> float:
        """Calls of an average fast poll after the day's first (without detail telemetry)."""
        costs = [len(self._step_calls(step, None)) for step in self.pattern]
        return sum(costs) / len(costs) + len(self.site.meters)

    def first_cost(self) -> int:
        """Calls of the day's first poll: energy and batch power, meters and their summary."""
        return len(self._step_calls(PollStep.BOTH, None)) + 2 * len(self.site.meters)

    def interval(self, now: datetime, ledger: Ledger, state: PlannerState) -> timedelta | None:
        """The fast loop's interval at ``now`` (None: the budget buys no more polls)."""
        now = _utc(now)
        return self._interval(now, ledger.used_in(self.month_key(now)), state)

    def _interval(self, now: datetime, used: int, state: PlannerState) -> timedelta | None:
        budget = self._budget(now, used, state)
        cost = self.mean_cost()
        if budget.fast < cost or budget.daylight <= 0:
            return None
        seconds = budget.daylight * cost / budget.fast
        floor_ = max(self.config.min_interval, self.config.interval or timedelta(0))
        return max(timedelta(seconds=ceil(seconds)), floor_)

    def _detail_count(self, now: datetime, used: int, state: PlannerState, every: timedelta) -> int:
        """Inverter detail calls per poll that spare budget (beyond the fast loop) pays for."""
        if self.config.detail is DetailMode.OFF or not self.site.inverters:
            return 0
        budget = self._budget(now, used, state)
        polls = budget.daylight / every.total_seconds() + 1
        spare = budget.fast - self.mean_cost() * polls
        cap = min(self.config.detail_max_per_poll, len(self.site.inverters))
        return max(0, min(cap, floor(spare / polls)))

    def can_spend(
        self, n: int, now: datetime, ledger: Ledger, state: PlannerState | None = None
    ) -> bool:
        """Whether a button may spend ``n`` calls now: never into the fixed calls the month
        still needs nor into the retry half of the reserve. Without ``state`` it assumes
        nothing was done today (stricter)."""
        now = _utc(now)
        month = self.month_key(now)
        if ledger.exhausted_in(month):
            return False
        used = ledger.used_in(month)
        budget = self._budget(now, used, state or PlannerState())
        keep = budget.committed + ceil(self.reserve(now) / 2)
        return used + n <= self.config.quota - keep

    # -- what to call -----------------------------------------------------------------------

    def _step_calls(self, step: PollStep, day: date | None) -> tuple[PlannedCall, ...]:
        ecus = self.site.ecus
        if not ecus:
            return (PlannedCall(CallKind.SYSTEM_SUMMARY),)
        energy = tuple(PlannedCall(CallKind.ECU_MINUTELY, eid, day) for eid in ecus)
        batch = tuple(PlannedCall(CallKind.BATCH_POWER, eid, day) for eid in ecus)
        if step is PollStep.ENERGY:
            return energy
        if step is PollStep.BATCH:
            return batch
        return energy + batch

    def _inventory_calls(self) -> tuple[PlannedCall, ...]:
        calls = (PlannedCall(CallKind.INVENTORY),)
        return calls + ((PlannedCall(CallKind.METERS),) if self.site.meters else ())

    def closing_calls(self, day: date, state: PlannerState) -> tuple[PlannedCall, ...]:
        """The day's closing calls not yet done: the end-of-day system summary (lifetime),
        the day's hourly energy (exact hourly statistics), every inverter's day energy and
        every ECU's whole-day curve (exact hourly statistics per ECU)."""
        if state.closed_day is not None and state.closed_day >= day:
            return ()
        calls: list[PlannedCall] = []
        if state.summary_at is None or state.summary_at < self.closing_at(day):
            calls.append(PlannedCall(CallKind.SYSTEM_SUMMARY, None, day))
        calls.append(PlannedCall(CallKind.SYSTEM_HOURLY, None, day))
        calls.extend(PlannedCall(CallKind.BATCH_ENERGY, eid, day) for eid in self.site.ecus)
        # The ECUs' whole-day curves: exact hourly statistics per ECU, to the last sample.
        calls.extend(PlannedCall(CallKind.ECU_MINUTELY, eid, day) for eid in self.site.ecus)
        done = state.closing_done if state.closing_day == day else ()
        return tuple(c for c in calls if c.key not in done)

    @staticmethod
    def _first_done(window: DayWindow, state: PlannerState) -> bool:
        return state.last_poll is not None and state.last_poll >= window.start

    # -- planning ---------------------------------------------------------------------------

    def next_plan(self, now: datetime, ledger: Ledger, state: PlannerState) -> Plan:
        """The next thing to do at or after ``now``. Run ``plan.calls`` at ``plan.at`` (a plan
        without calls only asks to be woken then), report each call to :meth:`record`, and
        ask again. Planning is pure, so asking again at any time is safe."""
        now = _utc(now)
        month = self.month_key(now)
        if ledger.exhausted_in(month):
            return self._probe(now, state)
        start = max(now, state.backoff_until) if state.backoff_until else now
        used = ledger.used_in(month)
        _, end = self.month_bounds(start)
        wake = Plan(end, PlanKind.WAKE, (), "the quota month resets", self.daylight.local_day(end))
        candidates = [self._closing(start, used, state), self._poll(start, used, state), wake]
        plans = [p for p in candidates if p is not None]
        return min(plans, key=lambda p: (p.at, p.kind is not PlanKind.CLOSING))

    def _closing(self, start: datetime, used: int, state: PlannerState) -> Plan | None:
        today = self.daylight.local_day(start)
        for day in (today - ONE_DAY, today, today + ONE_DAY):
            calls = self.closing_calls(day, state)
            due = self.closing_at(day)
            if not calls or start > due + self.config.closing_retry_for:
                continue  # done, or missed: the next morning's first poll catches up
            at = max(start, due)
            if used + len(calls) > self.config.quota - self.reserve(at):
                return None
            history = self._backfill_calls(at, used, state)
            reason = f"closing of {day}" + (f", {len(history)} history" if history else "")
            return Plan(at, PlanKind.CLOSING, calls + history, reason, day)
        return None

    def _backfill_calls(
        self, at: datetime, used: int, state: PlannerState
    ) -> tuple[PlannedCall, ...]:
        """Up to ``backfill_per_day`` history calls, only as far as spare budget goes: never
        into the fixed calls the month still needs nor into the retry half of the reserve
        (the closing's own calls are part of those fixed calls)."""
        budget = self._budget(at, used, state)
        keep = budget.committed + ceil(self.reserve(at) / 2)
        spare = self.config.quota - used - keep
        count = max(0, min(self.config.backfill_per_day, len(self.backfill), spare))
        return self.backfill[:count]

    def _poll(self, start: datetime, used: int, state: PlannerState) -> Plan | None:
        found = self._next_poll_time(start, used, state)
        if found is None:
            return None
        at, every = found
        return self._compose(at, used, state, every)

    def _next_poll_time(
        self, start: datetime, used: int, state: PlannerState
    ) -> tuple[datetime, timedelta | None] | None:
        _, end = self.month_bounds(start)
        day = self.daylight.local_day(start)
        while self.daylight.midnight(day) < end:
            window = self.daylight.window(day)
            day += ONE_DAY
            if window is None or window.end < start:
                continue
            if not self._first_done(window, state):
                at = max(start, window.start)
                needed = self.first_cost() + len(self.closing_calls(window.day, state))
                if self._budget(at, used, state).remaining >= needed:
                    return at, None
                continue
            every = self._interval(start, used, state)
            if every is not None and state.last_poll is not None:
                at = max(start, state.last_poll + every)
                if at <= window.end:
                    return at, every
        return None

    def _compose(
        self, at: datetime, used: int, state: PlannerState, every: timedelta | None
    ) -> Plan:
        day = self.daylight.local_day(at)
        window = self.daylight.window(day)
        first = window is not None and not self._first_done(window, state)
        position = 0 if first else state.cycle
        step = PollStep.BOTH if first else self.pattern[position % len(self.pattern)]
        calls = list(self._step_calls(step, day))
        calls.extend(PlannedCall(CallKind.METER_MINUTELY, eid, day) for eid in self.site.meters)
        reasons = [f"{step} poll" + (" (first of the day)" if first else "")]
        if first:
            calls.extend(self._morning_calls(day, state, calls, reasons))
        inventory_at = state.inventory_at
        if inventory_at is None or at - inventory_at >= self.config.inventory_every:
            calls.extend(self._inventory_calls())
            reasons.append("inventory")
        count = self._detail_count(at, used, state, every) if every else 0
        uids = self.site.inverters
        calls.extend(
            PlannedCall(CallKind.INVERTER_MINUTELY, uids[(state.detail_index + i) % len(uids)], day)
            for i in range(count)
        )
        allowed = max(1, self.config.quota - used - self.reserve(at))
        return Plan(
            at, PlanKind.POLL, tuple(calls[:allowed]), ", ".join(reasons), day, every, position + 1
        )

    def _morning_calls(
        self, day: date, state: PlannerState, calls: list[PlannedCall], reasons: list[str]
    ) -> list[PlannedCall]:
        """Meter summaries (they cover the night), the system's and ECUs' summaries after a
        gap, and yesterday's closing calls when the closing was missed."""
        extra = [PlannedCall(CallKind.METER_SUMMARY, eid) for eid in self.site.meters]
        yesterday = day - ONE_DAY
        gap = state.summary_at is None or self.daylight.local_day(state.summary_at) < yesterday
        missed: tuple[PlannedCall, ...] = ()
        if state.closed_day is not None and state.closed_day < yesterday:
            missed = tuple(
                c
                for c in self.closing_calls(yesterday, state)
                if c.kind in CLOSING_KINDS or c.kind is CallKind.ECU_MINUTELY
            )
            reasons.append(f"catch up the closing of {yesterday}")
        if gap or missed:
            # A day nobody watched: its energy is in no counter. The summaries restart the
            # system's and every ECU's lifetime from the API's own totals.
            if PlannedCall(CallKind.SYSTEM_SUMMARY) not in calls:
                extra.append(PlannedCall(CallKind.SYSTEM_SUMMARY))
            extra.extend(PlannedCall(CallKind.ECU_SUMMARY, eid) for eid in self.site.ecus)
            reasons.append("summaries after a gap")
        return extra + list(missed)

    def _probe(self, now: datetime, state: PlannerState) -> Plan:
        """One call a day to see whether the quota is back; hourly early in the month, when
        the 2005 may only mean that the API's month has not reset yet."""
        start, end = self.month_bounds(now)
        exhausted_at = state.exhausted_at or now
        early = exhausted_at - start < self.config.reset_uncertainty
        every = self.config.reset_probe_every if early else self.config.probe_every
        at = self._next_daylight(max(now, exhausted_at + every))
        if at >= end:
            return Plan(end, PlanKind.WAKE, (), "quota month resets", self.daylight.local_day(end))
        call = self._step_calls(PollStep.ENERGY, self.daylight.local_day(at))[0]
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
        ledger: Ledger,
        state: PlannerState,
        *,
        code: int | None = 0,
        plan: Plan | None = None,
        attempts: int = 1,
    ) -> bool:
        """Count one attempted call (failures count too) and learn from its outcome.

        ``code`` is the API's answer code (0 success, None for a transport failure). Pass the
        plan the call belongs to (None for button calls), and how many requests it took (a
        dropped connection's request is sent twice). Returns whether the rest of the plan
        should still run (False after quota, throttling and transport/auth/server failures).
        """
        at = _utc(at)
        ledger.roll(self.month_key(at))
        ledger.used += max(attempts, 1)
        if plan is not None and plan.kind is PlanKind.POLL:
            state.last_poll, state.cycle = plan.at, plan.cycle
        if code in OK_CODES:
            ledger.exhausted = False
            self._succeeded(call, at, state, plan)
            return True
        if code == QUOTA_CODE:
            ledger.exhausted, state.exhausted_at = True, at
            return False
        state.errors += 1
        factor = 2 ** min(state.errors - 1, 16)
        state.backoff_until = at + min(self.config.backoff_base * factor, self.config.backoff_max)
        return code in GO_ON_CODES

    def _succeeded(
        self, call: PlannedCall, at: datetime, state: PlannerState, plan: Plan | None
    ) -> None:
        state.errors, state.backoff_until, state.exhausted_at = 0, None, None
        if call.backfill:
            return  # history of a past day: no bearing on live polling or closings
        state.last_ok[call.kind] = at
        if call.kind is CallKind.SYSTEM_SUMMARY:
            state.summary_at = at
        elif call.kind is CallKind.INVENTORY:
            state.inventory_at = at
        elif call.kind is CallKind.INVERTER_MINUTELY:
            state.detail_index = (state.detail_index + 1) % max(1, len(self.site.inverters))
        # A day's curve fetched after its closing time is that day's closing curve.
        if call.day is not None and (call.kind in CLOSING_KINDS or at >= self.closing_at(call.day)):
            if state.closing_day != call.day:
                state.closing_day, state.closing_done = call.day, ()
            state.closing_done = (*state.closing_done, call.key)
        for day in {call.day, plan.day if plan else None} - {None}:
            self._maybe_closed(day, at, state)

    def _maybe_closed(self, day: date | None, at: datetime, state: PlannerState) -> None:
        if day is None or at < self.closing_at(day) or self.closing_calls(day, state):
            return
        state.closed_day = max(day, state.closed_day or day)
