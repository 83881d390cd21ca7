"""The call planner: budget, daylight, rollover, DST, polar days, errors, persistence."""

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
import json
from zoneinfo import ZoneInfo

import pytest

from custom_components.apsystems_ema.openapi.errors import Failure
from custom_components.apsystems_ema.planner import (
    CallBook,
    CallKind,
    DayWindow,
    DetailMode,
    Plan,
    PlanKind,
    PlannedCall,
    Planner,
    PlannerConfig,
    PlannerState,
    SiteGeometry,
)
from custom_components.apsystems_ema.planner.book import month_start, period

LONDON = ZoneInfo("Europe/London")
OSLO = ZoneInfo("Europe/Oslo")
SECOND = timedelta(seconds=1)


def site(
    lat: float = 51.5,
    lon: float = -0.13,
    tz: str = "Europe/London",
    ecus: int = 1,
    inverters: int = 6,
    meters: int = 0,
) -> SiteGeometry:
    eids = tuple(f"E{i}" for i in range(ecus))
    uids = tuple(f"U{i}" for i in range(inverters))
    return SiteGeometry(lat, lon, tz, eids, uids, eids[:meters])


def local(day: date, hour: int, minute: int = 0, zone: ZoneInfo = LONDON) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def in_window(window: DayWindow | None, at: datetime) -> bool:
    """Whether a poll at ``at`` lies in ``window``: polls are whole seconds, rounded up, so
    the day's last one, at the window's end, may lie up to a second after it."""
    return window is not None and window.start <= at < window.end + SECOND


def fresh_state(now: datetime, closed: date | None = None) -> PlannerState:
    """As right after setup: details and inventory read, summary fetched, yesterday closed."""
    return PlannerState(inventory_at=now, closed_day=closed, last_ok={CallKind.DETAILS: now})


def book_at(now: datetime, used: int = 0, entry: str = "") -> CallBook:
    """A book that saw the whole period of ``now``, with ``used`` calls made at ``now``."""
    book = CallBook(since=period(now)[0])
    if used:
        book.record(now, entry, used)
    return book


def run(
    planner: Planner,
    start: datetime,
    end: datetime,
    book: CallBook | None = None,
    state: PlannerState | None = None,
    failure: Failure | None = None,
) -> Iterator[tuple[Plan, CallBook, PlannerState]]:
    """Follow the planner from ``start`` to ``end``, every call ending with ``failure``.

    The book sees the whole quota period of ``start`` unless one is given. The next plan is
    asked for at once, at the instant the last one ran: it must not be that one again.
    """
    now = start.astimezone(UTC)
    book = book or book_at(now)
    state = state or fresh_state(now, planner.daylight.local_day(now) - timedelta(days=1))
    last: tuple[datetime, PlanKind] | None = None
    while True:
        plan = planner.next_plan(now, book, state)
        assert plan.at >= now
        assert plan.calls or plan.at > now, "a plan without calls must lie ahead"
        assert (plan.at, plan.kind) != last, f"{plan} planned again after it ran"
        now = plan.at
        if now >= end:
            return
        for call in plan.calls:
            if not planner.record(call, now, book, state, failure=failure, plan=plan):
                break
        last = (plan.at, plan.kind)
        yield plan, book, state


# -- state ---------------------------------------------------------------------------------


def test_state_round_trip() -> None:
    now = datetime(2025, 6, 1, 12, tzinfo=UTC)
    state = PlannerState(
        last_poll=now,
        closing_day=date(2025, 5, 31),
        closing_done=("system_hourly:", "batch_energy:E0"),
        closed_day=date(2025, 5, 30),
        inventory_at=now - timedelta(days=2),
        detail_index=4,
        errors=2,
        backoff_until=now + timedelta(minutes=20),
        detail_day=date(2025, 5, 31),
        manual_day=date(2025, 6, 1),
        manual_used=3,
        last_ok={CallKind.BATCH_POWER: now},
    )
    data = json.loads(json.dumps(state.as_dict()))
    assert PlannerState.from_dict(data) == state
    data["last_ok"]["gone_endpoint"] = now.isoformat()
    assert PlannerState.from_dict(data).last_ok == {CallKind.BATCH_POWER: now}
    assert PlannerState.from_dict({}) == PlannerState()


def test_naive_datetimes_are_refused() -> None:
    planner = Planner(PlannerConfig(), site())
    with pytest.raises(ValueError, match="timezone-aware"):
        planner.month_bounds(datetime(2025, 6, 1, 12))
    with pytest.raises(ValueError, match="timezone-aware"):
        planner.next_plan(
            datetime(2025, 6, 1, 12), CallBook(since=datetime.now(UTC)), PlannerState()
        )


def test_month_bounds_are_the_utc_month() -> None:
    planner = Planner(PlannerConfig(), site(35.0, 139.7, "Asia/Tokyo"))
    # 16:00 UTC on 31 March is already 1 April in Tokyo, but still March's quota month.
    start, end = planner.month_bounds(datetime(2025, 3, 31, 16, tzinfo=UTC))
    assert (start, end) == (datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC))
    start, end = planner.month_bounds(datetime(2025, 2, 10, tzinfo=UTC))
    assert (start, end) == (datetime(2025, 2, 1, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC))


# -- month rollover ------------------------------------------------------------------------


def test_spent_month_waits_for_the_rollover_then_starts_afresh() -> None:
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 3, 30), 9)
    book = book_at(now, 998)
    state = fresh_state(now, date(2025, 3, 29))
    plan = planner.next_plan(now, book, state)
    assert plan.kind is PlanKind.WAKE
    assert plan.calls == ()
    assert plan.at == datetime(2025, 4, 1, tzinfo=UTC)  # the UTC month, not London's
    # Past the previous period's margin the new month starts afresh: polls on 1 April.
    later = datetime(2025, 4, 1, 14, tzinfo=UTC)
    assert planner.quota(book, later).left == 1000
    after = planner.next_plan(later, book, state)
    assert after.kind is PlanKind.POLL
    assert after.day == date(2025, 4, 1)
    assert in_window(planner.daylight.window(date(2025, 4, 1)), after.at)
    for call in after.calls:
        planner.record(call, after.at, book, state, plan=after)
    assert planner.quota(book, after.at).used == after.cost
    assert book.used(*period(after.at)) == after.cost


def test_the_previous_periods_margin_caps_the_first_hours_of_a_month() -> None:
    """The API's month may reset up to 14 h after UTC midnight: until then a call may still
    count toward the previous month, so a nearly spent previous period caps spending."""
    planner = Planner(PlannerConfig(), site())
    book = book_at(datetime(2025, 3, 30, 8, tzinfo=UTC), 990)
    state = fresh_state(datetime(2025, 3, 31, 20, tzinfo=UTC), date(2025, 3, 31))
    rollover = datetime(2025, 4, 1, tzinfo=UTC)
    for at in (rollover, rollover + timedelta(hours=13, minutes=59)):
        quota = planner.quota(book, at)
        assert (quota.quota, quota.used, quota.left) == (1000, 0, 10)
        assert not planner.can_spend(11, at, book, state)
    # Calls in the margin count toward both periods.
    book.record(rollover + timedelta(hours=3), "", 4)
    quota = planner.quota(book, rollover + timedelta(hours=4))
    assert (quota.used, quota.left) == (4, 6)
    # Once the margin is over only April counts.
    quota = planner.quota(book, rollover + timedelta(hours=14))
    assert (quota.used, quota.left) == (4, 996)
    # Nothing is planned that would spend more than the margin leaves.
    spent = 0
    for plan, _, _ in run(planner, rollover, rollover + timedelta(hours=14), book, state):
        spent += plan.cost
    assert spent <= 6


def test_unspent_budget_is_used_by_the_end_of_the_month() -> None:
    planner = Planner(PlannerConfig(), site())
    start, end = local(date(2025, 6, 1), 0), local(date(2025, 7, 1), 0)
    months = Counter[int]()
    for plan, _, _ in run(planner, start, end):
        months[month_start(plan.at).month] += plan.cost
    assert 950 <= months[6] <= 1000
    assert months[5] == 0  # 1 June 00:00 in London is 31 May in UTC: nothing before sunrise


# -- daylight, DST, polar day and night ----------------------------------------------------


def test_dst_days_keep_windows_and_intervals_right() -> None:
    planner = Planner(PlannerConfig(), site())
    sun = planner.daylight
    assert sun.midnight(date(2025, 3, 30)) == datetime(2025, 3, 30, tzinfo=UTC)
    assert sun.midnight(date(2025, 3, 31)) == datetime(2025, 3, 30, 23, tzinfo=UTC)
    before, after = sun.window(date(2025, 3, 29)), sun.window(date(2025, 3, 30))
    assert before is not None
    assert after is not None
    # Sunrise moves an hour later on the wall clock, not in absolute time.
    assert abs((after.start - before.start) - timedelta(days=1)) < timedelta(minutes=5)
    assert after.start.astimezone(LONDON).hour == before.start.astimezone(LONDON).hour + 1
    for first, last in (
        (date(2025, 3, 29), date(2025, 4, 1)),
        (date(2025, 10, 25), date(2025, 10, 28)),
    ):
        start = local(first, 0)
        polls: dict[date, list[Plan]] = {}
        closings = Counter[date]()
        for plan, _, _ in run(planner, start, local(last, 0), CallBook(since=start)):
            if plan.kind is PlanKind.CLOSING:
                closings[plan.day] += 1
                continue
            assert in_window(sun.window(plan.day), plan.at)
            assert plan.day == plan.at.astimezone(LONDON).date()
            polls.setdefault(plan.day, []).append(plan)
        assert set(closings.values()) == {1}
        assert len(closings) == (last - first).days
        assert len(polls) == (last - first).days
        for day, plans in polls.items():
            window = sun.window(day)
            assert window is not None
            # The window divided evenly in absolute time: the last poll at its end.
            assert abs(plans[-1].at - window.end) < SECOND
            assert plans[0].at - window.start > plans[0].interval / 2  # type: ignore[operator]
            gaps = [b.at - a.at for a, b in pairwise(plans)]
            assert len(gaps) >= 5
            assert max(gaps) - min(gaps) < min(gaps) / 3, (day, gaps)


@pytest.mark.parametrize(
    ("lat", "lon", "tz", "summer", "winter"),
    [
        (70.0, 19.0, "Europe/Oslo", date(2025, 6, 21), date(2025, 12, 21)),
        (-70.0, 2.5, "Antarctica/Troll", date(2025, 12, 21), date(2025, 6, 21)),
    ],
)
def test_polar_day_and_night(lat: float, lon: float, tz: str, summer: date, winter: date) -> None:
    planner = Planner(PlannerConfig(), site(lat, lon, tz, ecus=2, inverters=20, meters=1))
    zone = ZoneInfo(tz)
    day = planner.daylight.window(summer)
    assert day is not None
    assert day.polar_day
    assert day.seconds == 86400
    assert planner.daylight.window(winter) is None
    assert planner.closing_at(winter) == local(winter, 12, zone=zone)
    # Polar night: one plan a day (the closing at noon), nothing else.
    plans = list(
        run(planner, local(winter, 0, zone=zone), local(winter + timedelta(3), 0, zone=zone))
    )
    paying = [p for p, _, _ in plans if p.calls]
    assert [p.kind for p in paying] == [PlanKind.CLOSING] * 3
    assert [p.at.astimezone(zone).time() for p in paying] == [time(12)] * 3
    assert (
        planner.interval(local(winter, 13, zone=zone), book_at(local(winter, 0)), PlannerState())
        is None
    )
    # Polar day: polls around the clock, the closing of a day just after its midnight.
    start = local(summer, 0, zone=zone)
    plans = list(run(planner, start, start + timedelta(days=3)))
    polls = [p for p, _, _ in plans if p.kind is PlanKind.POLL]
    hours = {p.at.astimezone(zone).hour for p in polls}
    assert {2, 12, 22} <= hours
    assert all(in_window(planner.daylight.window(p.day), p.at) for p in polls)


def test_polar_days_are_closed_just_after_midnight() -> None:
    planner = Planner(PlannerConfig(), site(70.0, 19.0, "Europe/Oslo", ecus=2, meters=1))
    summer = date(2025, 6, 21)
    start = local(summer, 0, zone=OSLO)
    plans = list(run(planner, start, start + timedelta(days=3)))
    closings = [p for p, _, _ in plans if p.kind is PlanKind.CLOSING]
    assert [c.day for c in closings] == [summer, summer + timedelta(1)]
    assert closings[0].at == local(summer + timedelta(1), 0, 30, OSLO)
    assert not [p for p, _, _ in plans if "gap" in p.reason]


def test_polar_transition_days_have_a_window() -> None:
    planner = Planner(PlannerConfig(), site(70.0, 19.0, "Europe/Oslo"))
    days = [date(2025, 5, 1) + timedelta(days=i) for i in range(40)]
    windows = [planner.daylight.window(d) for d in days]
    assert all(w is not None for w in windows)
    assert any(w is not None and not w.polar_day and w.seconds > 20 * 3600 for w in windows)


def test_offsets_can_close_a_short_window() -> None:
    cfg = PlannerConfig(sunrise_offset_minutes=200, sunset_offset_minutes=-200)
    planner = Planner(cfg, site(60.0, 10.75, "Europe/Oslo"))
    assert planner.daylight.window(date(2025, 12, 21)) is None
    assert planner.daylight.sun(date(2025, 12, 21)) is not None
    summer = planner.daylight.window(date(2025, 6, 21))
    sun = planner.daylight.sun(date(2025, 6, 21))
    assert summer is not None
    assert sun is not None
    assert summer.start - sun.start == timedelta(minutes=200)


# -- no calls at night ---------------------------------------------------------------------


def test_no_calls_at_night_except_the_closing() -> None:
    planner = Planner(PlannerConfig(), site(meters=1))
    first = date(2025, 5, 10)
    closings: list[Plan] = []
    start = local(first, 0)
    for plan, _, _ in run(planner, start, local(first + timedelta(7), 0), CallBook(since=start)):
        window = planner.daylight.window(plan.day)
        assert window is not None
        if plan.kind is PlanKind.CLOSING:
            assert plan.at == window.end + timedelta(minutes=30)
            closings.append(plan)
        else:
            assert plan.kind is PlanKind.POLL
            assert in_window(window, plan.at)
            assert plan.at > window.start  # nothing at sunrise
    assert [c.day for c in closings] == [first + timedelta(i) for i in range(7)]
    # The closing: the system's hourly list and each ECU's batch energy, nothing else.
    assert closings[0].calls == (
        PlannedCall(CallKind.SYSTEM_HOURLY, None, first),
        PlannedCall(CallKind.BATCH_ENERGY, "E0", first),
    )


def test_every_poll_is_batch_power_and_meter_curves() -> None:
    planner = Planner(PlannerConfig(), site(ecus=2, meters=1))
    day = date(2025, 5, 10)
    assert planner.poll_calls(day) == (
        PlannedCall(CallKind.BATCH_POWER, "E0", day),
        PlannedCall(CallKind.BATCH_POWER, "E1", day),
        PlannedCall(CallKind.METER_MINUTELY, "E0", day),
    )
    assert planner.mean_cost() == 2.5  # the meter's curve comes with every other poll
    assert planner.first_cost() == 4  # and the meter's summary
    now = local(day, 12)
    state = fresh_state(now, day - timedelta(1))
    state.last_poll = now
    plan = planner.next_plan(now, book_at(now), state)
    assert plan.kind is PlanKind.POLL
    assert plan.calls == planner.poll_calls(day)
    assert plan.reason == "poll"


def test_first_poll_of_the_day_adds_the_meters_day_before() -> None:
    """The meters' whole day before comes with the day's first poll, after today's curves
    (their evening completes the statistics, their exact day rolls the lifetimes on); not
    on the set-up day (no evening to complete); their summaries only after a gap."""
    planner = Planner(PlannerConfig(), site(ecus=2, meters=1))
    day = date(2025, 5, 10)
    now = local(day, 3)
    book = book_at(now)
    state = fresh_state(now, day - timedelta(1))
    plan = planner.next_plan(now, book, state)
    window = planner.daylight.window(day)
    assert window is not None
    # Not at sunrise: the window divided evenly, the first part already gone by.
    assert plan.interval is not None
    assert plan.at > window.start
    assert (
        abs(
            plan.at
            - (
                window.start
                + window.seconds * SECOND / round(window.seconds / plan.interval.total_seconds())
            )
        )
        <= SECOND
    )
    assert Counter(call.kind for call in plan.calls) == {
        CallKind.BATCH_POWER: 2,
        CallKind.METER_MINUTELY: 1,
    }
    assert "first of the day" in plan.reason
    state.meter_poll = now - timedelta(hours=8)  # the meter was polled yesterday evening
    plan = planner.next_plan(now, book, state)
    assert plan.calls[-1] == PlannedCall(CallKind.METER_MINUTELY, "E0", day - timedelta(1))
    assert plan.calls[-2] == PlannedCall(CallKind.METER_MINUTELY, "E0", day)
    assert CallKind.METER_SUMMARY not in {call.kind for call in plan.calls}
    state.closed_day = day - timedelta(days=3)  # days nobody watched
    plan = planner.next_plan(now, book, state)
    assert PlannedCall(CallKind.METER_SUMMARY, "E0") in plan.calls


def test_the_last_poll_of_a_long_day_lands_at_the_windows_end() -> None:
    planner = Planner(PlannerConfig(), site())
    day = date(2025, 6, 21)
    window = planner.daylight.window(day)
    assert window is not None
    assert window.seconds > 16 * 3600
    start = local(day, 0)
    polls = [
        plan
        for plan, _, _ in run(planner, start, local(day + timedelta(1), 0), CallBook(since=start))
        if plan.kind is PlanKind.POLL
    ]
    assert len(polls) > 5
    assert all(in_window(window, p.at) for p in polls)
    assert abs(polls[-1].at - window.end) < SECOND
    assert polls[0].at > window.start
    # Evenly spaced: no poll crammed in just before the end.
    gaps = [b.at - a.at for a, b in pairwise(polls)]
    assert min(gaps) > max(gaps) * 0.75


# -- adaptive interval ---------------------------------------------------------------------


def _interval(planner: Planner, now: datetime, used: int, state: PlannerState) -> timedelta:
    every = planner.interval(now, book_at(now, used), state)
    assert every is not None
    return every


def test_interval_adapts_to_the_budget_left() -> None:
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 6, 15), 12)
    state = fresh_state(now, date(2025, 6, 14))
    state.last_poll = now
    on_plan = _interval(planner, now, 480, state)
    after_downtime = _interval(planner, now, 250, state)  # HA was off: budget left over
    after_spend = _interval(planner, now, 650, state)  # buttons / other clients spent calls
    assert after_downtime < on_plan < after_spend
    assert after_downtime < on_plan * 0.7
    # Recomputed at every poll: the rest of the window is divided by the new interval.
    window = planner.daylight.window(date(2025, 6, 15))
    assert window is not None
    plan = planner.next_plan(now, book_at(now, 650), state)
    assert plan.interval == after_spend
    rest = window.end - now
    assert abs(plan.at - (now + rest / round(rest / after_spend))) <= SECOND
    assert abs((plan.at - now) - after_spend) < after_spend / 2
    budget = planner.budget(now, book_at(now, 650), state)
    assert budget.fast == budget.remaining - budget.committed > 0
    # Another entry's calls on the same App ID count too.
    shared = book_at(now, 480)
    shared.record(now, "other", 170)
    assert planner.interval(now, shared, state) == after_spend


def test_fixed_interval_is_a_floor() -> None:
    cfg = PlannerConfig(interval=timedelta(hours=2))
    planner = Planner(cfg, site())
    now = local(date(2025, 6, 15), 12)
    state = fresh_state(now, date(2025, 6, 14))
    state.last_poll = now
    assert planner.interval(now, book_at(now, 400), state) == timedelta(hours=2)
    assert _interval(Planner(PlannerConfig(), site()), now, 400, state) < timedelta(hours=2)


def test_detail_telemetry_is_a_share_of_the_quota_after_solar_noon() -> None:
    cfg = PlannerConfig(detail=DetailMode.ROTATE)
    planner = Planner(cfg, site(inverters=3))
    # 5 % of 1000 over June's 30 days: 50 calls, one or two a day, 50 in all.
    per_day = [planner.detail_per_day(date(2025, 6, d), 1000) for d in range(1, 31)]
    assert set(per_day) == {1, 2}
    assert sum(per_day) == 50
    assert sum(planner.detail_per_day(date(2025, 7, d), 1000) for d in range(1, 32)) == 50
    assert planner.detail_per_day(date(2025, 6, 1), 100_000) == 3  # never more than inverters
    off = Planner(PlannerConfig(), site(inverters=3))
    assert off.detail_per_day(date(2025, 6, 1), 1000) == 0
    day = date(2025, 6, 15)
    morning = local(day, 10)
    state = fresh_state(morning, day - timedelta(1))
    state.last_poll = morning
    book = book_at(morning, 400)
    # The details are committed for the rest of the month.
    # (up to 1 July: the period runs until 14:00 UTC that day)
    extra = sum(planner.detail_per_day(date(2025, 6, d), 1000) for d in range(15, 31))
    extra += planner.detail_per_day(date(2025, 7, 1), 1000)
    assert (
        planner.budget(morning, book, state).committed
        == off.budget(morning, book, state).committed + extra
    )
    # Before solar noon: none.
    plan = planner.next_plan(morning, book, state)
    assert plan.at < planner.daylight.local_noon(day)
    assert not [c for c in plan.calls if c.kind is CallKind.INVERTER_MINUTELY]
    # The first poll at or after noon takes the day's, the next inverters in turn.
    noon = planner.daylight.local_noon(day)
    state.last_poll = noon - timedelta(minutes=1)
    plan = planner.next_plan(noon, book, state)
    assert plan.at >= noon
    details = [c for c in plan.calls if c.kind is CallKind.INVERTER_MINUTELY]
    count = planner.detail_per_day(day, 1000)
    assert [c.target for c in details] == ["U0", "U1", "U2"][:count]
    assert all(c.day == day for c in details)
    for call in plan.calls:
        planner.record(call, plan.at, book, state, plan=plan)
    assert state.detail_day == day
    assert state.detail_index == count
    # Done for the day: the next poll has none; the next day goes on with the next inverter.
    again = planner.next_plan(plan.at + SECOND, book, state)
    assert again.day == day
    assert not [c for c in again.calls if c.kind is CallKind.INVERTER_MINUTELY]
    tomorrow = planner.daylight.local_noon(day + timedelta(1))
    state.last_poll = tomorrow - timedelta(minutes=1)
    nxt = planner.next_plan(tomorrow, book, state)
    targets = [c.target for c in nxt.calls if c.kind is CallKind.INVERTER_MINUTELY]
    assert targets
    assert targets[0] == ["U0", "U1", "U2"][count % 3]


def test_a_site_without_ecus_polls_the_system_summary() -> None:
    planner = Planner(PlannerConfig(), site(ecus=2))
    assert planner.mean_cost() == 2
    bare = Planner(PlannerConfig(), SiteGeometry(51.5, -0.13, "Europe/London", ()))
    assert bare.poll_calls(None) == (PlannedCall(CallKind.SYSTEM_SUMMARY),)
    now = local(date(2025, 6, 15), 12)
    plan = bare.next_plan(now, book_at(now), fresh_state(now, date(2025, 6, 14)))
    assert plan.calls[0] == PlannedCall(CallKind.SYSTEM_SUMMARY)
    assert plan.cost == 1


# -- never over the quota ------------------------------------------------------------------


@pytest.mark.parametrize(("first", "quota"), [(date(2025, 6, 1), 1000), (date(2025, 12, 1), 300)])
def test_a_month_never_exceeds_the_quota(first: date, quota: int) -> None:
    """Worst latitude (polar day at 70°N in June) and a big site with a meter."""
    cfg = PlannerConfig(quota=quota, detail=DetailMode.ROTATE)
    planner = Planner(cfg, site(70.0, 19.0, "Europe/Oslo", ecus=3, inverters=40, meters=1))
    start = datetime.combine(first, time(0), tzinfo=UTC)
    end = datetime.combine((first + timedelta(days=32)).replace(day=1), time(0), tzinfo=UTC)
    used = 0
    for plan, book, _ in run(planner, start, end):
        used += plan.cost
        assert book.used(*period(start)) == used
        assert book.spent(quota, plan.at) <= quota
    assert used > 0.9 * quota or first.month == 12


def test_a_flaky_month_stays_within_the_quota() -> None:
    """Every other call fails (a failure counts): retries come out of the reserve."""
    planner = Planner(PlannerConfig(), site(ecus=3, inverters=40))
    now = datetime(2025, 7, 1, tzinfo=UTC)
    end = datetime(2025, 8, 1, tzinfo=UTC)
    book, state = book_at(now), fresh_state(now, date(2025, 6, 30))
    n, last = 0, None
    while now < end:
        plan = planner.next_plan(now, book, state)
        assert plan.calls or plan.at > now, "a plan without calls must lie ahead"
        assert (plan.at, plan.kind) != last, f"{plan} planned again after it ran"
        now, last = plan.at, (plan.at, plan.kind)
        for call in plan.calls:
            n += 1
            if not planner.record(
                call, now, book, state, failure=Failure.SERVER if n % 2 else None, plan=plan
            ):
                break
        assert book.spent(1000, min(now, end - SECOND)) <= 1000
    assert book.used(*period(end - SECOND)) > 900


def test_two_entries_share_the_app_ids_quota() -> None:
    """Two systems on one App ID: each plans within its share (by poll cost), together never
    over the quota, followed through July."""
    big = Planner(PlannerConfig(entry="A"), site(ecus=2, meters=1))
    small = Planner(PlannerConfig(entry="B"), site(53.4, -2.2, ecus=1))
    start, end = datetime(2025, 7, 1, tzinfo=UTC), datetime(2025, 8, 1, tzinfo=UTC)
    book = book_at(start)
    book.weights = {"A": big.mean_cost(), "B": small.mean_cost()}
    assert book.share("A") == pytest.approx(2.5 / 3.5)
    assert big.quota(book, start).quota == 714
    assert small.quota(book, start).quota == 285
    states = {
        "A": fresh_state(start, date(2025, 6, 30)),
        "B": fresh_state(start, date(2025, 6, 30)),
    }
    planners = {"A": big, "B": small}
    now = dict.fromkeys(planners, start)
    while True:
        plans = {e: planners[e].next_plan(now[e], book, states[e]) for e in planners}
        entry = min(plans, key=lambda e: plans[e].at)
        plan = plans[entry]
        if plan.at >= end:
            break
        for call in plan.calls:
            planners[entry].record(call, plan.at, book, states[entry], plan=plan)
        now[entry] = plan.at
        assert book.spent(1000, plan.at) <= 1000
        for planner in planners.values():
            assert planner.quota(book, plan.at).used <= planner.quota(book, plan.at).quota
    used_a = book.used(*period(start), entry="A")
    used_b = book.used(*period(start), entry="B")
    assert 0.9 * 714 < used_a <= 714
    assert 0.9 * 285 < used_b <= 285
    # Polls at about the same rate: the shares follow what one poll costs.
    assert used_a / big.mean_cost() == pytest.approx(used_b / small.mean_cost(), rel=0.15)


def test_a_first_month_started_mid_month_spends_at_the_ordinary_rate() -> None:
    """A new book assumes the month so far was spent evenly: no burst on the first day."""
    planner = Planner(PlannerConfig(), site())
    start, end = local(date(2025, 7, 15), 0), datetime(2025, 8, 1, tzinfo=UTC)
    book = CallBook(since=start)
    assert book.assumed(1000, start) > 400
    per_day = Counter[date]()
    for plan, _, _ in run(planner, start, end, book):
        per_day[planner.daylight.local_day(plan.at)] += plan.cost
    days = sorted(per_day)
    assert days[0] == date(2025, 7, 15)
    average = sum(per_day.values()) / len(days)
    assert per_day[days[0]] <= 2 * average
    assert book.spent(1000, end - SECOND) <= 1000
    # A book that saw the whole month would have spent far more on the 15th.
    full = Counter[date]()
    for plan, _, _ in run(planner, start, local(date(2025, 7, 16), 0)):
        full[planner.daylight.local_day(plan.at)] += plan.cost
    assert full[date(2025, 7, 15)] > 1.5 * per_day[days[0]]


def test_the_last_poll_of_a_day_is_not_repeated() -> None:
    """The day's last poll lands at the window's end (a whole second, up to one after it);
    asked again at once, or a little later, the planner goes on to the closing."""
    planner = Planner(PlannerConfig(), site())
    day = date(2025, 6, 10)
    window = planner.daylight.window(day)
    assert window is not None
    now = window.end - timedelta(minutes=3)
    book, state = book_at(now, 300), fresh_state(now, day - timedelta(1))
    state.last_poll = window.end - timedelta(minutes=10)
    last = planner.next_plan(now, book, state)
    assert last.kind is PlanKind.POLL
    assert last.day == day
    assert abs(last.at - window.end) < SECOND
    for call in last.calls:
        planner.record(call, last.at, book, state, plan=last)
    for asked in (last.at, last.at + SECOND, last.at + timedelta(minutes=10)):
        again = planner.next_plan(asked, book, state)
        assert again.kind is PlanKind.CLOSING
        assert again.at == planner.closing_at(day)


# -- quota exhausted (2005) ----------------------------------------------------------------


def test_quota_exhausted_stops_until_the_reset_and_probes_daily() -> None:
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 6, 10), 12).astimezone(UTC)
    book, state = book_at(now, 400), fresh_state(now, date(2025, 6, 9))
    call = PlannedCall(CallKind.BATCH_POWER, "E0", date(2025, 6, 10))
    assert planner.record(call, now, book, state, failure=Failure.QUOTA) is False
    assert book.exhausted_at == now
    assert book.exhausted(now)
    assert not planner.can_spend(1, now, book, state)
    probe = planner.next_plan(now, book, state)
    assert probe.kind is PlanKind.PROBE
    assert probe.cost == 1
    assert probe.calls[0].kind is CallKind.BATCH_POWER
    assert probe.at == now + timedelta(days=1)  # still daylight a day later
    # The probe fails again: the next one is a day after that.
    planner.record(probe.calls[0], probe.at, book, state, failure=Failure.QUOTA)
    assert planner.next_plan(probe.at, book, state).at == probe.at + timedelta(days=1)
    # A successful probe lifts the stop.
    planner.record(probe.calls[0], probe.at, book, state, failure=None)
    assert book.as_dict()["exhausted_at"] is None
    assert not book.exhausted(probe.at)
    assert planner.next_plan(probe.at, book, state).kind is PlanKind.POLL


def test_quota_exhausted_at_the_end_of_the_month_waits_for_the_reset() -> None:
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 6, 30), 10).astimezone(UTC)
    book, state = book_at(now, 1000), fresh_state(now, date(2025, 6, 29))
    book.exhausted_at = now
    plan = planner.next_plan(now, book, state)
    assert plan.kind is PlanKind.WAKE
    assert plan.at == datetime(2025, 7, 1, tzinfo=UTC)
    assert not book.exhausted(plan.at)
    # June's period is spent: nothing runs in its margin; after it the polls go on, the
    # first of them catching up the closing of 30 June.
    assert planner.quota(book, plan.at).left == 0
    assert not planner.can_spend(1, plan.at, book, state)
    margin = planner.next_plan(plan.at, book, state)
    assert margin.kind is PlanKind.WAKE
    assert margin.at == datetime(2025, 7, 1, 14, tzinfo=UTC)
    assert margin.reason == "the previous month's margin ends"
    after = margin.at
    poll = planner.next_plan(after, book, state)
    assert poll.kind is PlanKind.POLL
    assert poll.day == date(2025, 7, 1)
    assert PlannedCall(CallKind.SYSTEM_HOURLY, None, date(2025, 6, 30)) in poll.calls
    assert "catch up" in poll.reason


def test_quota_exhausted_early_in_the_month_probes_hourly() -> None:
    """A 2005 on the morning of the 1st, with hardly any call of the month made, means the
    API's month (in a timezone the manual does not give) has not reset yet: probe hourly,
    not a day later. After the first 26 hours of the month, probes are daily again."""
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 7, 1), 8).astimezone(UTC)
    book, state = book_at(now, 3), fresh_state(now, date(2025, 6, 30))
    call = PlannedCall(CallKind.BATCH_POWER, "E0", date(2025, 7, 1))
    assert planner.record(call, now, book, state, failure=Failure.QUOTA) is False
    probe = planner.next_plan(now, book, state)
    assert probe.kind is PlanKind.PROBE
    assert probe.at == now + timedelta(hours=1)
    assert "hourly" in probe.reason
    planner.record(probe.calls[0], probe.at, book, state, failure=Failure.QUOTA)
    assert planner.next_plan(probe.at, book, state).at == probe.at + timedelta(hours=1)
    # Late in the evening of the 1st the next hour is night: the probe waits for sunrise.
    evening = local(date(2025, 7, 1), 23).astimezone(UTC)
    planner.record(probe.calls[0], evening, book, state, failure=Failure.QUOTA)
    sunrise = planner.daylight.window(date(2025, 7, 2)).start  # type: ignore[union-attr]
    assert planner.next_plan(evening, book, state).at == sunrise
    # On the 2nd at noon (36 hours into the month) a 2005 is the month's: a day to wait.
    noon = local(date(2025, 7, 2), 12).astimezone(UTC)
    planner.record(probe.calls[0], noon, book, state, failure=Failure.QUOTA)
    daily = planner.next_plan(noon, book, state)
    assert daily.at == noon + timedelta(days=1)
    assert daily.reason == "quota exhausted (2005): daily probe"


def _exhausted(at: datetime) -> CallBook:
    book = book_at(at, 10)
    book.exhausted_at = at
    return book


def test_probe_times_follow_daylight() -> None:
    planner = Planner(PlannerConfig(), site(70.0, 19.0, "Europe/Oslo"))
    # Polar night: the probe goes at noon, today or tomorrow.
    morning = local(date(2025, 12, 10), 8, zone=OSLO)
    book, state = _exhausted(morning - timedelta(days=1)), PlannerState()
    assert planner.next_plan(morning, book, state).at == local(date(2025, 12, 10), 12, zone=OSLO)
    evening = local(date(2025, 12, 10), 18, zone=OSLO)
    book = _exhausted(evening - timedelta(days=1))
    assert planner.next_plan(evening, book, state).at == local(date(2025, 12, 11), 12, zone=OSLO)
    # After sunset: tomorrow's sunrise.
    london = Planner(PlannerConfig(), site())
    night = local(date(2025, 6, 10), 23)
    probe = london.next_plan(night, _exhausted(night - timedelta(days=1)), state)
    assert probe.at == london.daylight.window(date(2025, 6, 11)).start  # type: ignore[union-attr]
    # Midnight sun → polar night boundary at 70°N: next day without a window → its noon.
    polar = local(date(2025, 11, 26), 23, zone=OSLO)
    probe = planner.next_plan(polar, _exhausted(polar - timedelta(days=1)), state)
    assert probe.at == local(date(2025, 11, 27), 12, zone=OSLO)


# -- throttling and other failures ---------------------------------------------------------


@pytest.mark.parametrize("failure", [Failure.THROTTLE, Failure.SERVER, Failure.TRANSPORT])
def test_throttling_backs_off_exponentially(failure: Failure) -> None:
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 6, 10), 12).astimezone(UTC)
    book, state = book_at(now, 300), fresh_state(now, date(2025, 6, 9))
    state.last_poll = now - timedelta(hours=2)
    call = PlannedCall(CallKind.BATCH_POWER, "E0", date(2025, 6, 10))
    delays = []
    for _ in range(3):
        assert planner.record(call, now, book, state, failure=failure) is False
        plan = planner.next_plan(now, book, state)
        assert state.backoff_until is not None
        assert plan.at >= state.backoff_until
        delays.append(state.backoff_until - now)
    assert delays == [timedelta(minutes=10), timedelta(minutes=20), timedelta(minutes=40)]
    for _ in range(10):
        planner.record(call, now, book, state, failure=failure)
    assert state.backoff_until == now + timedelta(hours=4)
    assert book.used(now, now) == 313  # every attempt counts
    planner.record(call, now, book, state, failure=None, attempts=2)  # a resent request: two
    assert book.used(now, now) == 315
    stored = state.as_dict()
    assert (stored["errors"], stored["backoff_until"]) == (0, None)


def test_a_failed_request_lets_the_rest_of_the_plan_run() -> None:
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 6, 10), 12).astimezone(UTC)
    book, state = book_at(now, 300), PlannerState()
    call = PlannedCall(CallKind.BATCH_POWER, "E0", date(2025, 6, 10))
    assert planner.record(call, now, book, state, failure=Failure.BAD_REQUEST) is True
    assert (
        planner.record(call, now, book, state, failure=Failure.NO_DATA) is True
    )  # "no data" is fine
    assert planner.record(call, now, book, state, failure=Failure.TRANSPORT) is False
    assert book.used(now, now) == 303
    assert book.used(now, now, "") == 303


def test_a_failed_closing_is_retried_then_caught_up_next_morning() -> None:
    planner = Planner(PlannerConfig(), site(ecus=2))
    day = date(2025, 6, 10)
    due = planner.closing_at(day)
    book = book_at(due - timedelta(hours=3), 300)
    state = fresh_state(due - timedelta(hours=3), day - timedelta(1))
    window = planner.daylight.window(day)
    assert window is not None
    state.last_poll = window.end  # the day's last poll ran, and fetched every ECU's curve
    state.curves = {"E0": window.end, "E1": window.end}
    closing = planner.next_plan(due - timedelta(minutes=20), book, state)
    assert closing.kind is PlanKind.CLOSING
    assert closing.at == due
    assert len(closing.calls) == 3  # hourly, 2 x batch energy
    hourly, energy0, energy1 = closing.calls
    assert (hourly.kind, hourly.day) == (CallKind.SYSTEM_HOURLY, day)
    assert (energy0.kind, energy0.target, energy1.target) == (CallKind.BATCH_ENERGY, "E0", "E1")
    assert planner.record(hourly, due, book, state, failure=None, plan=closing)
    assert planner.record(energy0, due, book, state, failure=Failure.BAD_REQUEST, plan=closing)
    assert not planner.record(energy1, due, book, state, failure=Failure.TRANSPORT, plan=closing)
    assert state.closed_day == day - timedelta(1)
    retry = planner.next_plan(due, book, state)
    assert retry.kind is PlanKind.CLOSING
    assert retry.at == state.backoff_until
    assert retry.calls == (energy0, energy1)
    # Still failing past the retry window: the next morning's first poll catches up, first.
    late = due + timedelta(hours=4)
    morning = planner.next_plan(late, book, state)
    assert morning.kind is PlanKind.POLL
    assert morning.day == day + timedelta(1)
    assert morning.calls[:2] == (energy0, energy1)
    assert "catch up" in morning.reason
    assert "gap" not in morning.reason  # one missed closing is no gap
    for call in morning.calls:
        planner.record(call, morning.at, book, state, plan=morning)
    assert state.closed_day == day


def test_a_long_gap_adds_summaries_to_the_first_poll() -> None:
    """Days nobody watched are in no counter: the system's and every ECU's summary restart
    the lifetimes from the API's totals."""
    planner = Planner(PlannerConfig(), site(ecus=2))
    now = local(date(2025, 6, 10), 12)
    state = PlannerState(inventory_at=now)
    state.closed_day = date(2025, 6, 5)
    plan = planner.next_plan(now, book_at(now, 100), state)
    assert plan.at == now
    assert PlannedCall(CallKind.SYSTEM_SUMMARY) in plan.calls
    ecu_summaries = [c.target for c in plan.calls if c.kind is CallKind.ECU_SUMMARY]
    assert ecu_summaries == list(planner.site.ecus)
    assert "gap" in plan.reason
    # Two days back (yesterday's closing missed) is no gap yet; neither is a watched day.
    for closed in (date(2025, 6, 8), date(2025, 6, 9)):
        state = PlannerState(inventory_at=now)
        state.closed_day = closed
        plan = planner.next_plan(now, book_at(now, 100), state)
        kinds = {c.kind for c in plan.calls}
        assert CallKind.ECU_SUMMARY not in kinds
        assert CallKind.SYSTEM_SUMMARY not in kinds
    # Never set up (no closed day): the summaries too.
    plan = planner.next_plan(now, book_at(now, 100), PlannerState(inventory_at=now))
    assert PlannedCall(CallKind.SYSTEM_SUMMARY) in plan.calls


def test_weekly_inventory() -> None:
    planner = Planner(PlannerConfig(), site(meters=1))
    now = local(date(2025, 6, 10), 12)
    state = fresh_state(now, date(2025, 6, 9))
    state.inventory_at = now - timedelta(days=8)
    book = book_at(now, 100)
    plan = planner.next_plan(now, book, state)
    assert PlannedCall(CallKind.INVENTORY) in plan.calls
    assert PlannedCall(CallKind.METERS) in plan.calls
    for call in plan.calls:
        planner.record(call, plan.at, book, state, plan=plan)
    assert state.inventory_at == plan.at
    assert PlannedCall(CallKind.INVENTORY) not in planner.next_plan(plan.at, book, state).calls


# -- reserve and buttons -------------------------------------------------------------------


def test_reserve_shrinks_over_the_period() -> None:
    planner = Planner(PlannerConfig(), site())
    # June's period: 31 May 10:00 UTC to 1 July 14:00 UTC (748 hours).
    assert planner.reserve(datetime(2025, 6, 1, tzinfo=UTC)) == 40
    assert planner.reserve(datetime(2025, 6, 16, tzinfo=UTC)) == 20  # 374 hours left
    assert planner.reserve(datetime(2025, 6, 30, 23, tzinfo=UTC)) == 1
    half = PlannerConfig(quota=500)
    assert Planner(half, site()).reserve(datetime(2025, 6, 16, tzinfo=UTC)) == 10


def test_can_spend_refuses_to_eat_into_the_reserve() -> None:
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 6, 10), 12)
    state = fresh_state(now, date(2025, 6, 9))
    state.last_poll = now
    committed = planner.budget(now, book_at(now), state).committed
    keep = committed + (planner.reserve(now) + 1) // 2
    assert planner.can_spend(1, now, book_at(now, 500), state)
    assert planner.can_spend(5, now, book_at(now, 1000 - keep - 5), state)
    assert not planner.can_spend(6, now, book_at(now, 1000 - keep - 5), state)
    # Without the state the planner assumes today's first poll and closing are still due.
    assert not planner.can_spend(5, now, book_at(now, 1000 - keep - 5))
    # Last month's calls do not count.
    old = book_at(now)
    old.record(datetime(2025, 5, 20, tzinfo=UTC), "", 1000)
    assert planner.can_spend(6, now, old, state)
    # Another entry's calls on the App ID do: what the App ID has left caps a button, and
    # it keeps the retry half of the App ID's reserve too.
    half = (planner.reserve(now) + 1) // 2
    shared = book_at(now, 500)
    shared.record(now, "other", 497 - half)
    assert planner.quota(shared, now).left == 3 + half
    assert planner.can_spend(3, now, shared, state)
    assert not planner.can_spend(4, now, shared, state)


def test_buttons_have_a_daily_allowance_and_skip_fresh_data() -> None:
    planner = Planner(PlannerConfig(), site(ecus=2, meters=1))
    assert planner.manual_allowance == 12  # four refreshes of three calls
    now = local(date(2025, 6, 10), 12)
    state = fresh_state(now, date(2025, 6, 9))
    state.last_poll = now
    book = book_at(now, 300)
    calls = planner.poll_calls(date(2025, 6, 10))
    assert not planner.fresh(calls, now, state)
    assert not planner.fresh((), now, state)
    for _ in range(4):
        assert planner.refuse_manual(calls, now, book, state) is None
        for call in calls:
            planner.record(call, now, book, state, manual=True)
    assert (state.manual_day, state.manual_used) == (date(2025, 6, 10), 12)
    assert book.used(now, now) == 312
    assert planner.refuse_manual(calls, now, book, state) == "allowance"
    assert planner.refuse_manual(calls[:0], now, book, state) is None
    # Answers younger than five minutes: nothing new to fetch.
    assert planner.fresh(calls, now + timedelta(minutes=4), state)
    assert not planner.fresh(calls, now + timedelta(minutes=5), state)
    # A new day, a new allowance; planned calls do not touch it.
    tomorrow = local(date(2025, 6, 11), 9)
    assert planner.refuse_manual(calls, tomorrow, book, state) is None
    planner.record(calls[0], tomorrow, book, state)
    assert state.manual_used == 12
    planner.record(calls[0], tomorrow, book, state, manual=True, attempts=2)
    assert (state.manual_day, state.manual_used) == (date(2025, 6, 11), 2)
    # Within the allowance, but the period's fixed calls need the rest.
    spent = book_at(tomorrow, 990)
    assert planner.refuse_manual(calls, tomorrow, spent, PlannerState()) == "budget"


def test_nothing_affordable_means_waiting_for_the_reset() -> None:
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 6, 10), 12)
    state = fresh_state(now, date(2025, 6, 9))
    state.last_poll = now
    assert planner.interval(now, book_at(now, 990), state) is None
    # Polls resume only once the shrinking reserve frees enough for a day's first poll.
    plan = planner.next_plan(now, book_at(now, 990), state)
    assert plan.kind is PlanKind.POLL
    assert plan.at > local(date(2025, 6, 25), 0)
    plan = planner.next_plan(now, book_at(now, 1000), state)
    assert plan.kind is PlanKind.WAKE
    assert plan.at == datetime(2025, 7, 1, tzinfo=UTC)
    # Closings still fit when polls no longer do.
    plan = planner.next_plan(now, book_at(now, 940), state)
    assert plan.kind is PlanKind.CLOSING


def test_no_closing_once_the_days_are_closed() -> None:
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 6, 10), 23)
    state = fresh_state(now, date(2025, 6, 11))  # e.g. restored from a later snapshot
    plan = planner.next_plan(now, book_at(now, 100), state)
    assert plan.kind is PlanKind.POLL
    assert plan.day == date(2025, 6, 11)
    assert planner.closing_calls(date(2025, 6, 10), state) == ()


def test_an_ecu_curve_missed_at_the_days_end_is_fetched_by_the_closing() -> None:
    """An ECU whose last poll of the day failed gets its whole-day curve in the closing,
    before its batch energy (the exact day then scales complete hours); the others not."""
    planner = Planner(PlannerConfig(), site(ecus=2))
    day = date(2025, 6, 10)
    window = planner.daylight.window(day)
    assert window is not None
    state = fresh_state(window.start, day - timedelta(1))
    state.last_poll = window.end
    state.curves = {"E0": window.end, "E1": window.end - timedelta(hours=2)}
    calls = planner.closing_calls(day, state)
    assert [(c.kind, c.target) for c in calls] == [
        (CallKind.SYSTEM_HOURLY, None),
        (CallKind.BATCH_POWER, "E1"),
        (CallKind.BATCH_ENERGY, "E0"),
        (CallKind.BATCH_ENERGY, "E1"),
    ]
    # Days ahead are budgeted without it: nothing was polled on them yet.
    assert all(
        c.kind is not CallKind.BATCH_POWER for c in planner.closing_calls(day + timedelta(1), state)
    )
    # Its success counts as a closing call done (not asked again tonight).
    closing = planner.next_plan(planner.closing_at(day), book_at(window.end, 300), state)
    assert closing.kind is PlanKind.CLOSING
    for call in closing.calls:
        planner.record(call, closing.at, book_at(window.end, 300), state, plan=closing)
    assert planner.closing_calls(day, state) == ()


def test_the_first_run_asks_details_then_the_lists_and_respects_its_backoff() -> None:
    planner = Planner(PlannerConfig(), site())
    now = datetime(2025, 6, 10, 10, tzinfo=UTC)
    state = PlannerState()
    kinds = [c.kind for c in planner.bootstrap_calls(now, state, details=False)]
    assert kinds == [CallKind.DETAILS, CallKind.INVENTORY, CallKind.METERS]
    handed = [c.kind for c in planner.bootstrap_calls(now, state, details=True)]
    assert handed == [CallKind.INVENTORY, CallKind.METERS]
    state.backoff_until = now + timedelta(minutes=10)  # a failed set-up: retries wait
    assert planner.bootstrap_calls(now, state, details=False) == ()
    state.backoff_until = None
    state.last_ok[CallKind.DETAILS] = now - timedelta(hours=3)  # answered, without ECUs
    assert planner.bootstrap_calls(now, state, details=False) == ()
    assert planner.bootstrap_calls(now + timedelta(hours=22), state, details=False)


def test_lost_lifetimes_are_asked_once_a_day_within_the_budget() -> None:
    planner = Planner(PlannerConfig(), site(ecus=2))
    now = local(date(2025, 6, 10), 12)
    state = fresh_state(now, date(2025, 6, 9))
    book = book_at(now, 300)
    plan = planner.next_plan(now, book, state)
    lost = (PlannedCall(CallKind.SYSTEM_SUMMARY), PlannedCall(CallKind.ECU_SUMMARY, "E1"))
    assert planner.lost_summaries(plan, lost, now, book, state) == lost
    assert planner.lost_summaries(plan, lost, now + timedelta(hours=2), book, state) == ()
    tomorrow = now + timedelta(days=1)
    assert planner.lost_summaries(plan, lost, tomorrow, book, state) == lost
    probe = Plan(now, PlanKind.PROBE, plan.calls[:1], "probe", date(2025, 6, 12))
    assert planner.lost_summaries(probe, lost, now + timedelta(days=2), book, state) == ()
    spent = book_at(now, 990)  # the month's fixed calls need what is left
    assert planner.lost_summaries(plan, lost, now + timedelta(days=2), spent, state) == ()


def test_inverter_lifetimes_are_anchored_one_per_poll_and_again_monthly() -> None:
    """Inverters never anchored come first, then those anchored 30 days ago or more, oldest
    first; a poll carries one of them (the set-up takes up to its limit), a closing none."""
    planner = Planner(PlannerConfig(), site(ecus=2))
    today = date(2025, 6, 10)
    anchors = {
        "U1": today - timedelta(days=3),
        "U2": None,
        "U3": today - timedelta(days=40),
        "U4": today - timedelta(days=31),
        "U5": None,
    }
    calls = planner.lifetime_calls(False, ["E2"], anchors, today)
    assert [(c.kind, c.target) for c in calls] == [
        (CallKind.ECU_SUMMARY, "E2"),
        *[(CallKind.INVERTER_SUMMARY, uid) for uid in ("U2", "U5", "U3", "U4")],
    ]
    assert len(planner.lifetime_calls(True, [], anchors, today, limit=2)) == 3
    assert planner.lifetime_calls(False, [], {"U1": today}, today) == ()
    # One was anchored today: the others due again wait (one a day), new ones do not.
    anchored_today = {**anchors, "U1": today}
    waiting = planner.lifetime_calls(False, [], anchored_today, today)
    assert [c.target for c in waiting] == ["U2", "U5"]

    now = local(today, 12)
    state = fresh_state(now, today - timedelta(days=1))
    book = book_at(now, 300)
    plan = planner.next_plan(now, book, state)
    assert plan.kind is PlanKind.POLL
    extra = planner.lost_summaries(plan, calls, now, book, state)
    assert [c.target for c in extra] == ["E2", "U2"]
    # The next poll the same day: the ECU's summary waits for tomorrow, the next inverter goes.
    later = planner.lost_summaries(plan, calls, now + timedelta(hours=1), book, state)
    assert [c.target for c in later] == ["U5"]
    closing = Plan(now, PlanKind.CLOSING, plan.calls, "closing", today)
    assert planner.lost_summaries(closing, calls[3:], now, book, state) == ()


def inventory_at(state: PlannerState) -> datetime | None:
    """When the lists were last read (a call: mypy keeps no narrowing across it)."""
    return state.inventory_at


def test_a_refused_device_id_has_the_lists_read_again() -> None:
    """A 4001 for a device's call (it may have left the system) makes the next poll read
    the inventory and meter lists, at most once a day; a history call's refusal does not."""
    planner = Planner(PlannerConfig(), site(ecus=2))
    now = local(date(2025, 6, 10), 12)
    state = fresh_state(now, date(2025, 6, 9))
    book = book_at(now, 300)
    state.inventory_at = now - timedelta(hours=2)
    call = PlannedCall(CallKind.BATCH_POWER, "E1", now.date())
    planner.record(call, now, book, state, failure=Failure.BAD_REQUEST)
    assert state.inventory_at == now - timedelta(hours=2)  # listed today already
    later = now + timedelta(days=1)
    history = PlannedCall(CallKind.ECU_MINUTELY, "E1", date(2025, 6, 1), backfill=True)
    planner.record(history, later, book, state, failure=Failure.BAD_REQUEST)
    assert state.inventory_at == now - timedelta(hours=2)
    planner.record(call, later, book, state, failure=Failure.BAD_REQUEST)
    assert inventory_at(state) is None
    plan = planner.next_plan(later + timedelta(hours=2), book, state)
    assert CallKind.INVENTORY in [c.kind for c in plan.calls]


# -- batteries and the status light --------------------------------------------------------


def battery_site(ecus: int = 1, storage: int = 1) -> SiteGeometry:
    eids = tuple(f"E{i}" for i in range(ecus))
    return SiteGeometry(
        51.5, -0.13, "Europe/London", eids, ("U0", "U1"), (), tuple(f"S{i}" for i in range(storage))
    )


def test_a_battery_joins_every_poll_and_its_totals_the_closing() -> None:
    planner = Planner(PlannerConfig(), battery_site())
    day = date(2025, 7, 10)
    assert planner.poll_calls(day) == (
        PlannedCall(CallKind.BATCH_POWER, "E0", day),
        PlannedCall(CallKind.STORAGE_LATEST, "S0"),
    )
    assert planner.mean_cost() == 2
    assert planner.first_cost() == 4  # and the battery's summary and hours of the day before
    assert planner.battery_readings() == (PlannedCall(CallKind.STORAGE_LATEST, "S0"),)
    closing = planner.closing_calls(day, PlannerState())
    assert closing == (
        PlannedCall(CallKind.SYSTEM_HOURLY, None, day),
        PlannedCall(CallKind.BATCH_ENERGY, "E0", day),
        PlannedCall(CallKind.STORAGE_SUMMARY, "S0", day),
        PlannedCall(CallKind.STORAGE_HOURLY, "S0", day),
    )


def test_a_batterys_whole_day_comes_with_the_next_mornings_first_poll() -> None:
    planner = Planner(PlannerConfig(), battery_site())
    day = date(2025, 7, 10)
    now = local(day, 2)
    plan = planner.next_plan(now, book_at(now), fresh_state(now, day - timedelta(days=1)))
    assert plan.kind is PlanKind.POLL
    assert "first of the day" in plan.reason
    assert PlannedCall(CallKind.STORAGE_HOURLY, "S0", day - timedelta(days=1)) in plan.calls
    assert PlannedCall(CallKind.STORAGE_LATEST, "S0") in plan.calls
    assert PlannedCall(CallKind.STORAGE_SUMMARY, "S0") in plan.calls
    # At sunrise (the window's start), not one interval into the day: the battery's night.
    window = planner.daylight.window(day)
    assert window is not None
    assert plan.at == window.start
    # A missed closing's summary is not asked twice in the same plan.
    late = fresh_state(now, day - timedelta(days=2))
    caught_up = planner.next_plan(now, book_at(now), late)
    summaries = [c for c in caught_up.calls if c.kind is CallKind.STORAGE_SUMMARY]
    assert summaries == [PlannedCall(CallKind.STORAGE_SUMMARY, "S0", day - timedelta(days=1))]
    hours = [c for c in caught_up.calls if c.kind is CallKind.STORAGE_HOURLY]
    assert hours == [PlannedCall(CallKind.STORAGE_HOURLY, "S0", day - timedelta(days=1))]


def test_a_storage_only_system_polls_its_battery_and_no_production() -> None:
    planner = Planner(PlannerConfig(), battery_site(ecus=0))
    day = date(2025, 7, 10)
    assert planner.poll_calls(day, meters=False) == (PlannedCall(CallKind.STORAGE_LATEST, "S0"),)
    assert planner.closing_calls(day, PlannerState()) == (
        PlannedCall(CallKind.STORAGE_SUMMARY, "S0", day),
        PlannedCall(CallKind.STORAGE_HOURLY, "S0", day),
    )
    assert planner.lifetime_calls(False, (), storage=("S0",)) == (
        PlannedCall(CallKind.STORAGE_SUMMARY, "S0"),
    )


def test_the_status_light_is_read_once_a_day_after_solar_noon() -> None:
    """A July month of a PV + storage site: the details (the status light) come once a day,
    with the first poll after solar noon; the month stays within the quota, the battery is
    read with every poll and its summary twice a day."""
    planner = Planner(PlannerConfig(), battery_site())
    start = datetime(2025, 7, 1, tzinfo=UTC)
    end = datetime(2025, 8, 1, tzinfo=UTC)
    details: Counter[date] = Counter()
    summaries: Counter[date] = Counter()
    used = polls = latest = 0
    for plan, book, _ in run(planner, start, end):
        used += plan.cost
        assert book.spent(1000, plan.at) <= 1000
        for call in plan.calls:
            if call.kind is CallKind.DETAILS:
                assert plan.at >= planner.daylight.local_noon(plan.day)
                details[plan.day] += 1
            latest += call.kind is CallKind.STORAGE_LATEST
            summaries[plan.day] += call.kind is CallKind.STORAGE_SUMMARY
        polls += plan.kind is PlanKind.POLL
    assert set(details.values()) == {1}
    # The battery's totals: after the night (the first poll) and at the closing.
    assert set(summaries.values()) == {2}
    assert len(details) >= 30  # the first day's light came with the set-up
    assert latest == polls
    assert 900 < used <= 1000


def test_a_device_failing_for_weeks_is_held_at_most_a_day() -> None:
    """A meter whose curve fails at every poll while the ECU answers: held back 30 min, then
    doubling, never more than a day, however long the failures last (a month of them once
    overflowed the delay)."""
    planner = Planner(PlannerConfig(), site(meters=1))
    state = PlannerState()
    at = local(date(2025, 6, 10), 12).astimezone(UTC)
    book = book_at(at)
    holds = []
    for _ in range(40):
        plan = Plan(at, PlanKind.POLL, planner.poll_calls(at.date()), "poll", at.date())
        batch, meter = plan.calls
        assert planner.record(batch, at, book, state, plan=plan)
        assert planner.record(meter, at, book, state, failure=Failure.SERVER, plan=plan)
        until = planner.held_until(meter, state)
        assert until is not None
        holds.append(until - at)
        at = until
    assert holds[:3] == [timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2)]
    assert max(holds) == holds[-1] == timedelta(days=1)


def test_a_share_too_small_for_the_fixed_calls_spends_them_evenly() -> None:
    """A share that cannot pay for the month's closings, first polls and status lights (as
    for each of many systems on one App ID) spends them at an even pace: ahead of it, the
    evening's closing waits for a later day instead of spending the share up front and
    leaving weeks without a call; at or behind it, the closing runs. A share that pays for
    them runs its closings however much it spent, while they fit."""
    now = local(date(2025, 6, 10), 23)
    state = fresh_state(now, date(2025, 6, 9))
    state.last_poll = local(date(2025, 6, 10), 20)
    small = Planner(PlannerConfig(quota=100), site())
    q = small.quota(book_at(now), now)
    assert small._budget(q.start, q, PlannerState(), history=False).committed > q.quota == 100
    # June 10 at 23:00 is about a third of the month: an even pace is about 33 calls.
    assert small.next_plan(now, book_at(now, 45), state).kind is not PlanKind.CLOSING
    assert small.next_plan(now, book_at(now, 25), state).kind is PlanKind.CLOSING
    ample = Planner(PlannerConfig(), site())
    assert ample.next_plan(now, book_at(now, 900), state).kind is PlanKind.CLOSING
