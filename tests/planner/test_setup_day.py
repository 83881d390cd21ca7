"""The set-up day starves nobody: systems added together with one App ID, or one added late in
a month, poll again within their ordinary interval. The set-ups' own calls count as part of
the spending the first month assumes before the book began, not on top of it."""

from datetime import UTC, datetime, timedelta
import itertools
from zoneinfo import ZoneInfo

import pytest

from custom_components.apsystems_ema.planner import (
    CallBook,
    CallKind,
    DetailMode,
    PlanKind,
    PlannedCall,
    Planner,
    PlannerConfig,
    PlannerState,
    SiteGeometry,
)
from custom_components.apsystems_ema.planner.book import period

ZONE = ZoneInfo("Europe/Amsterdam")
SETUP_CALLS = 16  # details, lists, summaries, yesterday's hours: a small system's set-up


def systems(count: int, at: datetime) -> tuple[CallBook, list[Planner], list[PlannerState]]:
    """``count`` small systems on one App ID, each set up at ``at`` (its set-up calls
    booked as the set-up's)."""
    book = CallBook(since=at)
    planners, states = [], []
    for n in range(count):
        site = SiteGeometry(
            52.09,
            5.12,
            "Europe/Amsterdam",
            (f"E{n}",),
            tuple(f"U{n}{k}" for k in range(2 + n % 3)),
            (f"M{n}",) if n % 3 == 0 else (),
        )
        planner = Planner(PlannerConfig(entry=f"e{n}", detail=DetailMode.ROTATE), site)
        book.weights[f"e{n}"] = max(planner.mean_cost(), 1.0)
        state = PlannerState(closed_day=at.astimezone(ZONE).date() - timedelta(days=1))
        state.inventory_at = at
        state.last_ok[CallKind.DETAILS] = at
        book.record(at, f"e{n}", SETUP_CALLS, setup=True)
        planners.append(planner)
        states.append(state)
    return book, planners, states


def run(
    book: CallBook, planners: list[Planner], states: list[PlannerState], start: datetime, hours: int
) -> list[list[datetime]]:
    """Every plan run as planned (each call answered) for ``hours``: each system's polls."""
    polls: list[list[datetime]] = [[] for _ in planners]
    now, end = start, start + timedelta(hours=hours)
    pairs = list(zip(planners, states, strict=True))
    while True:
        plan, n = min(
            ((p.next_plan(now, book, s), n) for n, (p, s) in enumerate(pairs)),
            key=lambda found: found[0].at,
        )
        now = max(now, plan.at)
        if now >= end:
            return polls
        for call in plan.calls:
            planners[n].record(call, now, book, states[n], plan=plan)
        if plan.kind is PlanKind.POLL:
            polls[n].append(now)
        now += timedelta(seconds=1)


def longest_gap(polls: list[datetime], planner: Planner, start: datetime) -> timedelta:
    """The longest wait for a poll in the set-up day's polling window."""
    window = planner.daylight.window(start.astimezone(ZONE).date())
    assert window is not None
    marks = [start, *(p for p in polls if p <= window.end), window.end]
    return max(b - a for a, b in itertools.pairwise(marks))


@pytest.mark.parametrize(
    ("count", "setup"),
    [
        (2, datetime(2026, 6, 30, 10, 0, tzinfo=ZONE)),  # the issue: the month's last day
        (1, datetime(2026, 6, 30, 12, 0, tzinfo=ZONE)),  # one system at noon on its last day
        (2, datetime(2026, 6, 10, 10, 0, tzinfo=ZONE)),  # mid-month: it already worked
    ],
)
def test_after_the_set_up_every_system_polls_again_within_hours(
    count: int, setup: datetime
) -> None:
    at = setup.astimezone(UTC)
    book, planners, states = systems(count, at)
    polls = run(book, planners, states, at, 14)
    for planner, mine in zip(planners, polls, strict=True):
        assert mine[0] - at < timedelta(minutes=1)  # at once: data from the first minute
        assert longest_gap(mine, planner, at) <= timedelta(hours=3, minutes=30)
        assert len([p for p in mine if p.date() == at.date()]) >= 4


def test_the_set_ups_count_as_part_of_the_assumed_spending() -> None:
    at = datetime(2026, 6, 30, 8, 0, tzinfo=UTC)
    even = CallBook(since=at).assumed(1000, at)
    book, _, _ = systems(2, at)
    assert book.excused == {"e0": SETUP_CALLS, "e1": SETUP_CALLS}
    assert book.assumed(1000, at) == even - 2 * SETUP_CALLS
    # The App ID's spending in the period is what it was assumed to be before the set-up.
    assert book.spent(1000, at) == even
    # Never below nothing; and later calls, or set-ups after the first period, are not excused.
    book.excused = {"e0": 10 * even}
    assert book.assumed(1000, at) == 0
    later = CallBook(since=datetime(2026, 5, 1, tzinfo=UTC))
    later.record(at, "e9", SETUP_CALLS, setup=True)
    assert later.excused == {}
    assert period(at)[0] > later.since


def test_the_excused_calls_are_kept_with_the_book() -> None:
    book, _, _ = systems(2, datetime(2026, 6, 30, 8, 0, tzinfo=UTC))
    again = CallBook.from_dict(book.as_dict())
    assert again.excused == book.excused
    old = book.as_dict()
    del old["excused"]
    assert CallBook.from_dict(old).excused == {}


def test_the_quota_holds_with_the_set_ups_excused() -> None:
    """Two systems added on the month's last morning: what the App ID spends in the period
    stays within the quota, with the even-rate spending assumed before the set-up (of which
    the set-ups' calls are taken to be part)."""
    at = datetime(2026, 6, 30, 8, 0, tzinfo=UTC)
    book, planners, states = systems(2, at)
    even = CallBook(since=at).assumed(1000, at)
    run(book, planners, states, at, 40)
    start, end = period(at)
    assert book.used(start, end) - book.excused_in(at) + even <= 1000


def test_history_comes_in_proportion_to_the_share() -> None:
    """Each closing adds history calls in proportion to the entry's share of the quota (at
    least one): two systems do not both spend a whole system's history pace."""
    at = datetime(2026, 7, 10, 8, 0, tzinfo=UTC)
    book, planners, states = systems(2, at)
    history = tuple(
        PlannedCall(CallKind.SYSTEM_HOURLY, None, at.date() - timedelta(days=n), backfill=True)
        for n in range(1, 30)
    )
    for planner in planners:
        planner.backfill = history
    night = datetime(2026, 7, 10, 21, 0, tzinfo=UTC)
    shares = [book.share(p.config.entry) for p in planners]
    for planner, state, share in zip(planners, states, shares, strict=True):
        state.last_poll = night - timedelta(hours=1)
        plan = planner.next_plan(night, book, state)
        assert plan.kind is PlanKind.CLOSING
        added = [c for c in plan.calls if c.backfill]
        assert len(added) == max(1, round(planner.config.backfill_per_day * share))
        assert len(added) < planner.config.backfill_per_day
