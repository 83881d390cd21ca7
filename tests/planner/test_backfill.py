"""History backfill: which days are missing, and how the planner funds their calls."""

from datetime import UTC, date, datetime, timedelta

from custom_components.apsystems_ema.openapi.errors import Failure
from custom_components.apsystems_ema.planner import (
    CallBook,
    CallKind,
    PlanKind,
    PlannedCall,
    Planner,
    PlannerConfig,
    PlannerState,
    SiteGeometry,
)
from custom_components.apsystems_ema.planner.backfill import (
    DeviceSeries,
    backfill_queue,
    daily_rows,
    first_hourly_day,
)
from custom_components.apsystems_ema.planner.book import period

TODAY = date(2026, 6, 17)
FULL = [0.0] * 24


def days_back(*offsets: int) -> list[date]:
    return [TODAY - timedelta(days=n) for n in offsets]


def test_recent_days_first_then_older_months_at_the_daily_level() -> None:
    """Hourly from the day before yesterday back ``hourly_days`` days, then whole months back
    to the system's creation, most recent first; yesterday is left to the closing."""
    created = date(2026, 4, 20)
    queue = backfill_queue(today=TODAY, created=created, production={}, hourly_days=3)
    hourly = [c.day for c in queue if c.kind is CallKind.SYSTEM_HOURLY]
    assert hourly == days_back(2, 3, 4)
    assert first_hourly_day(TODAY, created, 3) == TODAY - timedelta(days=4)
    monthly = [c.day for c in queue if c.kind is CallKind.SYSTEM_DAILY]
    assert monthly == [date(2026, 6, 1), date(2026, 5, 1), date(2026, 4, 1)]
    assert all(c.backfill for c in queue)
    assert [c.kind for c in queue] == [CallKind.SYSTEM_HOURLY] * 3 + [CallKind.SYSTEM_DAILY] * 3


def test_days_already_stored_or_answered_are_not_asked_again() -> None:
    """A full day (24 values) is done; a daily-level value in the hourly range is upgraded;
    answered calls (even "no data") are not repeated; a month with every day stored is done."""
    created = date(2026, 5, 1)
    production = dict.fromkeys(days_back(2), FULL) | {TODAY - timedelta(days=3): [1.5]}
    production |= {date(2026, 5, 1) + timedelta(days=i): [2.0] for i in range(31)}
    answered = {f"system_hourly::{(TODAY - timedelta(days=4)).isoformat()}"}
    queue = backfill_queue(
        today=TODAY, created=created, production=production, answered=answered, hourly_days=3
    )
    assert [(c.kind, c.day) for c in queue] == [
        (CallKind.SYSTEM_HOURLY, TODAY - timedelta(days=3)),
        (CallKind.SYSTEM_DAILY, date(2026, 6, 1)),
    ]


def test_the_hourly_range_starts_at_creation_and_nothing_without_history_to_fill() -> None:
    """A system created last week needs only its own days; today and yesterday need none."""
    created = TODAY - timedelta(days=3)
    queue = backfill_queue(today=TODAY, created=created, production={}, hourly_days=31)
    assert [c.day for c in queue] == days_back(2, 3)
    assert backfill_queue(today=TODAY, created=TODAY, production={}) == ()
    # Unknown creation date: the hourly range only, no monthly calls.
    unknown = backfill_queue(today=TODAY, created=None, production={}, hourly_days=2)
    assert [c.kind for c in unknown] == [CallKind.SYSTEM_HOURLY] * 2


def test_device_series_fill_only_their_gaps_since_installation() -> None:
    """An ECU recorded from 10 days ago with a 2-day hole gets those two days, each day after
    the system's own call; nothing before its first recorded day."""
    first = TODAY - timedelta(days=10)
    recorded = {first + timedelta(days=i) for i in range(11)} - set(days_back(5, 6))
    production = {first + timedelta(days=i): FULL for i in range(11)}
    queue = backfill_queue(
        today=TODAY,
        created=date(2020, 1, 1),
        production=production | dict.fromkeys(days_back(*range(11, 40)), FULL),
        devices=[
            DeviceSeries(CallKind.ECU_MINUTELY, "E1", recorded),
            DeviceSeries(CallKind.METER_MINUTELY, "M1", set()),  # never recorded: nothing
        ],
        hourly_days=31,
    )
    assert [(c.kind, c.target, c.day) for c in queue if c.day and c.day >= first] == [
        (CallKind.ECU_MINUTELY, "E1", TODAY - timedelta(days=5)),
        (CallKind.ECU_MINUTELY, "E1", TODAY - timedelta(days=6)),
    ]


def test_daily_rows_never_overwrite_or_invent() -> None:
    """Only days from creation, before the hourly range, not stored yet; negative clamps."""
    month = date(2026, 4, 1)
    values = [float(i) for i in range(1, 31)]
    values[24] = -3.0
    added = daily_rows(
        month,
        values,
        created=date(2026, 4, 10),
        before=date(2026, 4, 28),
        production={date(2026, 4, 12): FULL},
    )
    assert min(added) == date(2026, 4, 10)
    assert max(added) == date(2026, 4, 27)
    assert date(2026, 4, 12) not in added
    assert added[date(2026, 4, 10)] == [10.0]
    assert added[date(2026, 4, 25)] == [0.0]
    assert all(len(v) == 1 for v in added.values())
    # A short list (the API cut the month) adds only the days it covers.
    assert daily_rows(month, [1.0], created=None, before=TODAY, production={}) == {month: [1.0]}


# -- the planner funds history from spare budget only, at the closing ----------------------


def planner(quota: int = 1000) -> Planner:
    geometry = SiteGeometry(51.5, -0.13, "Europe/London", ("E0",), ("U0", "U1"))
    return Planner(PlannerConfig(quota=quota), geometry)


def history(n: int) -> tuple[PlannedCall, ...]:
    return tuple(
        PlannedCall(CallKind.SYSTEM_HOURLY, None, TODAY - timedelta(days=2 + i), backfill=True)
        for i in range(n)
    )


NIGHT = datetime(2026, 6, 17, 22, 30, tzinfo=UTC)  # after the closing time in London


def book_at(used: int = 0) -> CallBook:
    """A book that saw the whole quota period of ``NIGHT``, with ``used`` calls made then."""
    book = CallBook(since=period(NIGHT)[0])
    if used:
        book.record(NIGHT, "", used)
    return book


def test_the_closing_carries_a_few_history_calls() -> None:
    """Up to ``backfill_per_day`` history calls ride on the closing, after its own calls."""
    p = planner()
    p.backfill = history(10)
    state = PlannerState(last_poll=NIGHT - timedelta(hours=3), closed_day=TODAY - timedelta(1))
    book = book_at()
    plan = p.next_plan(NIGHT, book, state)
    assert plan.kind is PlanKind.CLOSING
    own = p.closing_calls(TODAY, state)
    assert plan.calls[: len(own)] == own
    assert plan.calls[len(own) :] == history(4)
    assert "4 history" in plan.reason
    # Recording them closes the day normally: history calls do not disturb the bookkeeping.
    for call in plan.calls:
        assert p.record(call, plan.at, book, state, plan=plan)
    assert state.closed_day == TODAY
    assert state.closing_day == TODAY
    assert p.closing_calls(TODAY, state) == ()


def test_history_never_eats_into_what_the_month_still_needs() -> None:
    """With only the fixed calls and the reserve left, no history call is planned; with the
    month nearly spent the closing itself still runs."""
    p = planner()
    p.backfill = history(10)
    state = PlannerState(last_poll=NIGHT - timedelta(hours=3), closed_day=TODAY - timedelta(1))
    budget = p.budget(NIGHT, book_at(), state, history=False)
    keep = budget.committed + -(-p.reserve(NIGHT) // 2)
    for spare in (0, 2, 7):
        plan = p.next_plan(NIGHT, book_at(p.config.quota - keep - spare), state)
        assert plan.kind is PlanKind.CLOSING
        extra = [c for c in plan.calls if c.backfill]
        assert len(extra) == min(spare, 4), spare
    plan = p.next_plan(NIGHT, book_at(p.config.quota - keep + 5), state)
    assert plan.kind is PlanKind.CLOSING
    assert not any(c.backfill for c in plan.calls)


def test_a_failed_history_call_backs_off_but_keeps_the_day_open() -> None:
    """A history call is an ordinary call for the call book and for errors, nothing more."""
    p = planner()
    state = PlannerState(closed_day=TODAY)
    book = book_at()
    call = history(1)[0]
    assert not p.record(call, NIGHT, book, state, failure=Failure.TRANSPORT)
    assert book.used(*period(NIGHT)) == 1
    assert p.quota(book, NIGHT).used == 1
    assert state.backoff_until is not None
    assert p.record(call, NIGHT, book, state, failure=None)
    assert book.used(*period(NIGHT)) == 2
    assert state.errors == 0
    assert state.closed_day == TODAY
    assert CallKind.SYSTEM_HOURLY not in state.last_ok
    assert state.closing_day is None
