"""The call planner: budget, daylight, rollover, DST, polar days, errors, persistence."""

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
import json
from zoneinfo import ZoneInfo

import pytest

from custom_components.apsystems_ema.planner import (
    CallKind,
    DetailMode,
    Ledger,
    Plan,
    PlanKind,
    PlannedCall,
    Planner,
    PlannerConfig,
    PlannerState,
    PollStep,
    SiteGeometry,
    auto_pattern,
)

LONDON = ZoneInfo("Europe/London")
OSLO = ZoneInfo("Europe/Oslo")


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


def fresh_state(now: datetime, closed: date | None = None) -> PlannerState:
    """As right after setup: inventory read, summary fetched, yesterday closed."""
    return PlannerState(inventory_at=now, summary_at=now, closed_day=closed)


def run(
    planner: Planner,
    start: datetime,
    end: datetime,
    ledger: Ledger | None = None,
    state: PlannerState | None = None,
    code: int = 0,
) -> Iterator[tuple[Plan, Ledger, PlannerState]]:
    """Follow the planner from ``start`` to ``end``, every call answering ``code``."""
    now = start.astimezone(UTC)
    ledger = ledger or planner.new_ledger(now)
    state = state or fresh_state(now, planner.daylight.local_day(now) - timedelta(days=1))
    while True:
        plan = planner.next_plan(now, ledger, state)
        assert plan.at >= now
        assert plan.calls or plan.at > now, "a plan without calls must lie ahead"
        now = plan.at
        if now >= end:
            return
        for call in plan.calls:
            if not planner.record(call, now, ledger, state, code=code, plan=plan):
                break
        yield plan, ledger, state


# -- ledger and state ----------------------------------------------------------------------


def test_ledger_round_trip_and_rollover() -> None:
    ledger = Ledger("2025-03", 812, exhausted=True)
    again = Ledger.from_dict(json.loads(json.dumps(ledger.as_dict())))
    assert again == ledger
    assert again.used_in("2025-03") == 812
    assert again.used_in("2025-04") == 0
    assert again.exhausted_in("2025-03")
    assert not again.exhausted_in("2025-04")
    again.roll("2025-03")
    assert again.used == 812
    again.roll("2025-04")
    assert again == Ledger("2025-04", 0, exhausted=False)


def test_state_round_trip() -> None:
    now = datetime(2025, 6, 1, 12, tzinfo=UTC)
    state = PlannerState(
        last_poll=now,
        cycle=3,
        summary_at=now,
        closing_day=date(2025, 5, 31),
        closing_done=("system_hourly:", "batch_energy:E0"),
        closed_day=date(2025, 5, 30),
        inventory_at=now - timedelta(days=2),
        detail_index=4,
        errors=2,
        backoff_until=now + timedelta(minutes=20),
        exhausted_at=now - timedelta(hours=1),
        last_ok={CallKind.ECU_MINUTELY: now},
    )
    data = json.loads(json.dumps(state.as_dict()))
    assert PlannerState.from_dict(data) == state
    data["last_ok"]["gone_endpoint"] = now.isoformat()
    assert PlannerState.from_dict(data).last_ok == {CallKind.ECU_MINUTELY: now}
    assert PlannerState.from_dict({}) == PlannerState()


def test_naive_datetimes_are_refused() -> None:
    planner = Planner(PlannerConfig(), site())
    with pytest.raises(ValueError, match="timezone-aware"):
        planner.month_key(datetime(2025, 6, 1, 12))


def test_month_key_is_system_local() -> None:
    planner = Planner(PlannerConfig(), site(35.0, 139.7, "Asia/Tokyo"))
    # 16:00 UTC on 31 March is already 1 April in Tokyo.
    assert planner.month_key(datetime(2025, 3, 31, 16, tzinfo=UTC)) == "2025-04"
    start, end = planner.month_bounds(datetime(2025, 2, 10, tzinfo=UTC))
    assert start == datetime(2025, 1, 31, 15, tzinfo=UTC)
    assert end == datetime(2025, 2, 28, 15, tzinfo=UTC)


# -- month rollover ------------------------------------------------------------------------


def test_spent_month_waits_for_the_rollover_then_starts_afresh() -> None:
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 3, 30), 9)
    ledger = Ledger("2025-03", 998)
    state = fresh_state(now, date(2025, 3, 29))
    plan = planner.next_plan(now, ledger, state)
    assert plan.kind is PlanKind.WAKE
    assert plan.calls == ()
    assert plan.at == local(date(2025, 4, 1), 0)  # BST midnight
    after = planner.next_plan(plan.at, ledger, state)
    assert after.kind is PlanKind.POLL
    assert after.day == date(2025, 4, 1)
    assert planner.daylight.window(date(2025, 4, 1)).contains(after.at)  # type: ignore[union-attr]
    planner.record(after.calls[0], after.at, ledger, state, plan=after)
    assert (ledger.month, ledger.used) == ("2025-04", 1)


def test_unspent_budget_is_used_by_the_end_of_the_month() -> None:
    planner = Planner(PlannerConfig(), site())
    start, end = local(date(2025, 6, 1), 0), local(date(2025, 7, 1), 0)
    months = Counter[str]()
    for plan, _, _ in run(planner, start, end):
        months[planner.month_key(plan.at)] += plan.cost
    assert 950 <= months["2025-06"] <= 1000


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
        previous: Plan | None = None
        closings = Counter[date]()
        for plan, _, _ in run(planner, local(first, 0), local(last, 0)):
            if plan.kind is PlanKind.CLOSING:
                closings[plan.day] += 1
                continue
            window = sun.window(plan.day)
            assert window is not None
            assert window.contains(plan.at)
            assert plan.day == plan.at.astimezone(LONDON).date()
            if previous is not None and previous.day == plan.day and plan.interval:
                assert plan.at - previous.at == plan.interval  # absolute, not wall clock
            previous = plan
        assert set(closings.values()) == {1}
        assert len(closings) == (last - first).days


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
        planner.interval(local(winter, 13, zone=zone), Ledger(f"{winter:%Y-%m}"), PlannerState())
        is None
    )
    # Polar day: polls around the clock, the closing of a day just after its midnight.
    start = local(summer, 0, zone=zone)
    plans = list(run(planner, start, start + timedelta(days=3)))
    polls = [p for p, _, _ in plans if p.kind is PlanKind.POLL]
    hours = {p.at.astimezone(zone).hour for p in polls}
    assert {2, 12, 22} <= hours
    closings = [p for p, _, _ in plans if p.kind is PlanKind.CLOSING]
    assert [c.day for c in closings] == [summer, summer + timedelta(1)]
    assert closings[0].at == local(summer + timedelta(1), 0, 30, zone)


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
    for plan, _, _ in run(planner, local(first, 0), local(first + timedelta(7), 0)):
        window = planner.daylight.window(plan.day)
        assert window is not None
        if plan.kind is PlanKind.CLOSING:
            assert plan.at == window.end + timedelta(minutes=30)
            closings.append(plan)
        else:
            assert plan.kind is PlanKind.POLL
            assert window.contains(plan.at)
    assert [c.day for c in closings] == [first + timedelta(i) for i in range(7)]
    kinds = {call.kind for call in closings[0].calls}
    assert kinds == {
        CallKind.SYSTEM_SUMMARY,
        CallKind.SYSTEM_HOURLY,
        CallKind.BATCH_ENERGY,
        CallKind.ECU_MINUTELY,
    }


def test_first_poll_of_the_day_fetches_everything() -> None:
    planner = Planner(PlannerConfig(), site(ecus=2, meters=1))
    now = local(date(2025, 5, 10), 3)
    plan = planner.next_plan(now, planner.new_ledger(now), fresh_state(now, date(2025, 5, 9)))
    kinds = Counter(call.kind for call in plan.calls)
    assert plan.at == planner.daylight.window(date(2025, 5, 10)).start  # type: ignore[union-attr]
    assert kinds[CallKind.ECU_MINUTELY] == kinds[CallKind.BATCH_POWER] == 2
    assert kinds[CallKind.METER_MINUTELY] == kinds[CallKind.METER_SUMMARY] == 1
    assert plan.cycle == 1
    assert auto_pattern(1) == (PollStep.ENERGY, PollStep.BATCH)
    assert auto_pattern(3).count(PollStep.BATCH) == 3


# -- adaptive interval ---------------------------------------------------------------------


def _interval(planner: Planner, now: datetime, used: int, state: PlannerState) -> timedelta:
    every = planner.interval(now, Ledger(planner.month_key(now), used), state)
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
    # Recomputed at every poll: the next poll is planned with the new interval.
    plan = planner.next_plan(now, Ledger("2025-06", 650), state)
    assert plan.at - now == after_spend
    assert plan.interval == after_spend
    budget = planner.budget(now, Ledger("2025-06", 650), state)
    assert budget.fast == budget.remaining - budget.committed > 0


def test_fixed_interval_is_a_floor_and_spare_budget_funds_details() -> None:
    cfg = PlannerConfig(interval=timedelta(hours=2), detail=DetailMode.ROTATE)
    planner = Planner(cfg, site(inverters=3))
    now = local(date(2025, 6, 15), 12)
    state = fresh_state(now, date(2025, 6, 14))
    state.last_poll = now
    ledger = Ledger("2025-06", 400)
    assert planner.interval(now, ledger, state) == timedelta(hours=2)
    plan = planner.next_plan(now, ledger, state)
    details = [c for c in plan.calls if c.kind is CallKind.INVERTER_MINUTELY]
    assert [c.target for c in details] == ["U0", "U1"]  # capped at detail_max_per_poll
    for call in plan.calls:
        planner.record(call, plan.at, ledger, state, plan=plan)
    assert state.detail_index == 2
    again = planner.next_plan(plan.at, ledger, state)
    assert [c.target for c in again.calls if c.kind is CallKind.INVERTER_MINUTELY] == ["U2", "U0"]
    # No spare budget, no details.
    tight = planner.next_plan(now, Ledger("2025-06", 900), state)
    assert not [c for c in tight.calls if c.kind is CallKind.INVERTER_MINUTELY]


def test_explicit_pattern_and_a_site_without_ecus() -> None:
    cfg = PlannerConfig(pattern=(PollStep.BOTH,))
    planner = Planner(cfg, site(ecus=2))
    assert planner.mean_cost() == 4
    bare = Planner(PlannerConfig(), SiteGeometry(51.5, -0.13, "Europe/London", ()))
    now = local(date(2025, 6, 15), 12)
    plan = bare.next_plan(now, bare.new_ledger(now), fresh_state(now, date(2025, 6, 14)))
    assert plan.calls[0] == PlannedCall(CallKind.SYSTEM_SUMMARY)


# -- never over the quota ------------------------------------------------------------------


@pytest.mark.parametrize(("first", "quota"), [(date(2025, 6, 1), 1000), (date(2025, 12, 1), 300)])
def test_a_month_never_exceeds_the_quota(first: date, quota: int) -> None:
    """Worst latitude (polar day at 70°N in June) and a big site with a meter."""
    cfg = PlannerConfig(quota=quota, detail=DetailMode.ROTATE)
    planner = Planner(cfg, site(70.0, 19.0, "Europe/Oslo", ecus=3, inverters=40, meters=1))
    start = local(first, 0, zone=OSLO)
    end = local((first + timedelta(days=32)).replace(day=1), 0, zone=OSLO)
    used = 0
    for plan, ledger, _ in run(planner, start, end):
        used += plan.cost
        assert ledger.used == used <= quota
    assert used > 0.9 * quota or first.month == 12


def test_a_flaky_month_stays_within_the_quota() -> None:
    """Every other call fails (a failure counts): retries come out of the reserve."""
    planner = Planner(PlannerConfig(), site(ecus=3, inverters=40))
    now = local(date(2025, 7, 1), 0).astimezone(UTC)
    end = local(date(2025, 8, 1), 0).astimezone(UTC)
    ledger, state = planner.new_ledger(now), fresh_state(now, date(2025, 6, 30))
    n = 0
    while now < end:
        plan = planner.next_plan(now, ledger, state)
        now = plan.at
        for call in plan.calls:
            n += 1
            if not planner.record(call, now, ledger, state, code=5000 if n % 2 else 0, plan=plan):
                break
        assert ledger.used_in("2025-07") <= 1000


# -- quota exhausted (2005) ----------------------------------------------------------------


def test_quota_exhausted_stops_until_the_reset_and_probes_daily() -> None:
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 6, 10), 12).astimezone(UTC)
    ledger, state = Ledger("2025-06", 400), fresh_state(now, date(2025, 6, 9))
    call = PlannedCall(CallKind.ECU_MINUTELY, "E0", date(2025, 6, 10))
    assert planner.record(call, now, ledger, state, code=2005) is False
    assert ledger.exhausted
    assert not planner.can_spend(1, now, ledger, state)
    probe = planner.next_plan(now, ledger, state)
    assert probe.kind is PlanKind.PROBE
    assert probe.cost == 1
    assert probe.at == now + timedelta(days=1)  # still daylight a day later
    # The probe fails again: the next one is a day after that.
    planner.record(probe.calls[0], probe.at, ledger, state, code=2005)
    assert planner.next_plan(probe.at, ledger, state).at == probe.at + timedelta(days=1)
    # A successful probe lifts the stop.
    planner.record(probe.calls[0], probe.at, ledger, state, code=0)
    assert not ledger.exhausted_in("2025-06")
    assert planner.next_plan(probe.at, ledger, state).kind is PlanKind.POLL


def test_quota_exhausted_at_the_end_of_the_month_waits_for_the_reset() -> None:
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 6, 30), 10).astimezone(UTC)
    ledger, state = Ledger("2025-06", 1000, exhausted=True), PlannerState(exhausted_at=now)
    plan = planner.next_plan(now, ledger, state)
    assert plan.kind is PlanKind.WAKE
    assert plan.at == local(date(2025, 7, 1), 0)
    # The new month's budget first pays the closing of 30 June, then the polls go on.
    closing = planner.next_plan(plan.at, ledger, state)
    assert closing.kind is PlanKind.CLOSING
    assert closing.day == date(2025, 6, 30)
    state.closed_day = date(2025, 6, 30)
    assert planner.next_plan(plan.at, ledger, state).kind is PlanKind.POLL


def test_quota_exhausted_early_in_the_month_probes_hourly() -> None:
    """A 2005 on the morning of the 1st, with hardly any call of the month made, means the
    API's month (in a timezone the manual does not give) has not reset yet: probe hourly,
    not a day later. After the first 26 hours of the month, probes are daily again."""
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 7, 1), 8).astimezone(UTC)
    ledger, state = Ledger("2025-07", 3), fresh_state(now, date(2025, 6, 30))
    call = PlannedCall(CallKind.ECU_MINUTELY, "E0", date(2025, 7, 1))
    assert planner.record(call, now, ledger, state, code=2005) is False
    probe = planner.next_plan(now, ledger, state)
    assert probe.kind is PlanKind.PROBE
    assert probe.at == now + timedelta(hours=1)
    assert "hourly" in probe.reason
    planner.record(probe.calls[0], probe.at, ledger, state, code=2005)
    assert planner.next_plan(probe.at, ledger, state).at == probe.at + timedelta(hours=1)
    # Late in the evening of the 1st the next hour is night: the probe waits for sunrise.
    evening = local(date(2025, 7, 1), 23).astimezone(UTC)
    planner.record(probe.calls[0], evening, ledger, state, code=2005)
    sunrise = planner.daylight.window(date(2025, 7, 2)).start  # type: ignore[union-attr]
    assert planner.next_plan(evening, ledger, state).at == sunrise
    # On the 2nd at noon (36 hours into the month) a 2005 is the month's: a day to wait.
    noon = local(date(2025, 7, 2), 12).astimezone(UTC)
    planner.record(probe.calls[0], noon, ledger, state, code=2005)
    daily = planner.next_plan(noon, ledger, state)
    assert daily.at == noon + timedelta(days=1)
    assert daily.reason == "quota exhausted (2005): daily probe"


def test_probe_times_follow_daylight() -> None:
    planner = Planner(PlannerConfig(), site(70.0, 19.0, "Europe/Oslo"))
    ledger = Ledger("2025-12", 10, exhausted=True)
    # Polar night: the probe goes at noon, today or tomorrow.
    morning = local(date(2025, 12, 10), 8, zone=OSLO)
    state = PlannerState(exhausted_at=morning - timedelta(days=1))
    assert planner.next_plan(morning, ledger, state).at == local(date(2025, 12, 10), 12, zone=OSLO)
    evening = local(date(2025, 12, 10), 18, zone=OSLO)
    state = PlannerState(exhausted_at=evening - timedelta(days=1))
    assert planner.next_plan(evening, ledger, state).at == local(date(2025, 12, 11), 12, zone=OSLO)
    # After sunset: tomorrow's sunrise.
    london = Planner(PlannerConfig(), site())
    night = local(date(2025, 6, 10), 23)
    state = PlannerState(exhausted_at=night - timedelta(days=1))
    probe = london.next_plan(night, Ledger("2025-06", 10, exhausted=True), state)
    assert probe.at == london.daylight.window(date(2025, 6, 11)).start  # type: ignore[union-attr]
    # Midnight sun → polar night boundary at 70°N: next day without a window → its noon.
    polar = local(date(2025, 11, 26), 23, zone=OSLO)
    state = PlannerState(exhausted_at=polar - timedelta(days=1))
    probe = planner.next_plan(polar, Ledger("2025-11", 10, exhausted=True), state)
    assert probe.at == local(date(2025, 11, 27), 12, zone=OSLO)


# -- throttling and other failures ---------------------------------------------------------


@pytest.mark.parametrize("code", [7001, 7002, 7003])
def test_throttling_backs_off_exponentially(code: int) -> None:
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 6, 10), 12).astimezone(UTC)
    ledger, state = Ledger("2025-06", 300), fresh_state(now, date(2025, 6, 9))
    state.last_poll = now - timedelta(hours=2)
    call = PlannedCall(CallKind.ECU_MINUTELY, "E0", date(2025, 6, 10))
    delays = []
    for _ in range(3):
        assert planner.record(call, now, ledger, state, code=code) is False
        plan = planner.next_plan(now, ledger, state)
        assert state.backoff_until is not None
        assert plan.at >= state.backoff_until
        delays.append(state.backoff_until - now)
    assert delays == [timedelta(minutes=10), timedelta(minutes=20), timedelta(minutes=40)]
    for _ in range(10):
        planner.record(call, now, ledger, state, code=code)
    assert state.backoff_until == now + timedelta(hours=4)
    assert ledger.used == 313  # every attempt counts
    planner.record(call, now, ledger, state, code=0)
    stored = state.as_dict()
    assert (stored["errors"], stored["backoff_until"]) == (0, None)


def test_a_failed_request_lets_the_rest_of_the_plan_run() -> None:
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 6, 10), 12).astimezone(UTC)
    ledger, state = Ledger("2025-06", 300), PlannerState()
    call = PlannedCall(CallKind.BATCH_POWER, "E0", date(2025, 6, 10))
    assert planner.record(call, now, ledger, state, code=4001) is True
    assert planner.record(call, now, ledger, state, code=1001) is True  # "no data" is fine
    assert planner.record(call, now, ledger, state, code=None) is False  # transport failure
    assert ledger.used == 303


def test_a_failed_closing_is_retried_then_caught_up_next_morning() -> None:
    planner = Planner(PlannerConfig(), site(ecus=2))
    day = date(2025, 6, 10)
    due = planner.closing_at(day)
    ledger, state = (
        Ledger("2025-06", 300),
        fresh_state(due - timedelta(hours=3), day - timedelta(1)),
    )
    state.last_poll = due - timedelta(hours=1)
    closing = planner.next_plan(due - timedelta(minutes=20), ledger, state)
    assert closing.kind is PlanKind.CLOSING
    assert closing.at == due
    assert len(closing.calls) == 6  # summary, hourly, 2 x batch energy, 2 x ECU curve
    summary, hourly, energy0, energy1, curve0, curve1 = closing.calls
    assert (curve0.kind, curve0.day) == (CallKind.ECU_MINUTELY, day)
    assert planner.record(summary, due, ledger, state, code=0, plan=closing)
    assert planner.record(hourly, due, ledger, state, code=0, plan=closing)
    assert planner.record(energy0, due, ledger, state, code=4000, plan=closing)
    assert not planner.record(energy1, due, ledger, state, code=None, plan=closing)
    retry = planner.next_plan(due, ledger, state)
    assert retry.kind is PlanKind.CLOSING
    assert retry.at == state.backoff_until
    assert retry.calls == (energy0, energy1, curve0, curve1)
    # Still failing past the retry window: the next morning's first poll catches up.
    late = due + timedelta(hours=4)
    morning = planner.next_plan(late, ledger, state)
    assert morning.kind is PlanKind.POLL
    assert morning.day == day + timedelta(1)
    assert energy0 in morning.calls
    assert energy1 in morning.calls
    assert curve0 in morning.calls  # yesterday's curve, besides today's
    assert "catch up" in morning.reason
    for call in morning.calls:
        planner.record(call, morning.at, ledger, state, plan=morning)
    assert state.closed_day == day


def test_a_long_gap_adds_summaries_to_the_first_poll() -> None:
    """Days nobody watched are in no counter: the system's and every ECU's summary restart
    the lifetimes from the API's totals."""
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 6, 10), 12)
    state = PlannerState(summary_at=now - timedelta(days=5), inventory_at=now)
    plan = planner.next_plan(now, Ledger("2025-06", 100), state)
    assert plan.at == now
    assert PlannedCall(CallKind.SYSTEM_SUMMARY) in plan.calls
    ecu_summaries = [c.target for c in plan.calls if c.kind is CallKind.ECU_SUMMARY]
    assert ecu_summaries == list(planner.site.ecus)
    assert "gap" in plan.reason
    # A morning after a watched day needs none of them.
    state = PlannerState(summary_at=now - timedelta(hours=16), inventory_at=now)
    state.closed_day = date(2025, 6, 9)
    plan = planner.next_plan(now, Ledger("2025-06", 100), state)
    kinds = {c.kind for c in plan.calls}
    assert CallKind.ECU_SUMMARY not in kinds
    assert CallKind.SYSTEM_SUMMARY not in kinds


def test_weekly_inventory() -> None:
    planner = Planner(PlannerConfig(), site(meters=1))
    now = local(date(2025, 6, 10), 12)
    state = fresh_state(now, date(2025, 6, 9))
    state.inventory_at = now - timedelta(days=8)
    plan = planner.next_plan(now, Ledger("2025-06", 100), state)
    assert PlannedCall(CallKind.INVENTORY) in plan.calls
    assert PlannedCall(CallKind.METERS) in plan.calls
    for call in plan.calls:
        planner.record(call, plan.at, Ledger("2025-06", 100), state, plan=plan)
    assert state.inventory_at == plan.at
    assert (
        PlannedCall(CallKind.INVENTORY)
        not in planner.next_plan(plan.at, Ledger("2025-06"), state).calls
    )


# -- reserve and buttons -------------------------------------------------------------------


def test_reserve_shrinks_over_the_month() -> None:
    planner = Planner(PlannerConfig(), site())
    assert planner.reserve(local(date(2025, 6, 1), 0)) == 40
    assert planner.reserve(local(date(2025, 6, 16), 0)) == 20
    assert planner.reserve(local(date(2025, 6, 30), 23)) == 1


def test_can_spend_refuses_to_eat_into_the_reserve() -> None:
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 6, 10), 12)
    state = fresh_state(now, date(2025, 6, 9))
    state.last_poll = now
    committed = planner.budget(now, Ledger("2025-06"), state).committed
    keep = committed + (planner.reserve(now) + 1) // 2
    assert planner.can_spend(1, now, Ledger("2025-06", 500), state)
    assert planner.can_spend(5, now, Ledger("2025-06", 1000 - keep - 5), state)
    assert not planner.can_spend(6, now, Ledger("2025-06", 1000 - keep - 5), state)
    # Without the state the planner assumes today's first poll and closing are still due.
    assert not planner.can_spend(5, now, Ledger("2025-06", 1000 - keep - 5))
    # Last month's ledger does not count.
    assert planner.can_spend(6, now, Ledger("2025-05", 1000), state)


def test_nothing_affordable_means_waiting_for_the_reset() -> None:
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 6, 10), 12)
    state = fresh_state(now, date(2025, 6, 9))
    state.last_poll = now
    assert planner.interval(now, Ledger("2025-06", 990), state) is None
    # Polls resume only once the shrinking reserve frees enough for a day's first poll.
    plan = planner.next_plan(now, Ledger("2025-06", 990), state)
    assert plan.kind is PlanKind.POLL
    assert plan.at > local(date(2025, 6, 25), 0)
    plan = planner.next_plan(now, Ledger("2025-06", 1000), state)
    assert plan.kind is PlanKind.WAKE
    assert plan.at == local(date(2025, 7, 1), 0)
    # Closings still fit when polls no longer do.
    plan = planner.next_plan(now, Ledger("2025-06", 940), state)
    assert plan.kind is PlanKind.CLOSING


def test_no_closing_once_the_days_are_closed() -> None:
    planner = Planner(PlannerConfig(), site())
    now = local(date(2025, 6, 10), 23)
    state = fresh_state(now, date(2025, 6, 11))  # e.g. restored from a later snapshot
    plan = planner.next_plan(now, Ledger("2025-06", 100), state)
    assert plan.kind is PlanKind.POLL
    assert plan.day == date(2025, 6, 11)
    assert planner.closing_calls(date(2025, 6, 10), state) == ()
