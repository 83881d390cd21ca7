"""Properties of the planner over a simulated month of random sites and random outcomes.

For a random site (latitude, ECUs, inverters, meters, timezone), a random start and a random
cycle of call outcomes (success, transport failure, quota, throttling, server, no data, a
refused answer), the planner is asked
for plans until the month (31 days) is over, every planned call is recorded with the next
outcome, and now and then a "button" asks ``can_spend`` and spends when allowed. Checked on
every step: no quota period (a UTC month widened by 14 h) ever spends more than the quota,
the book's assumed calls of a first month included, no plan lies before ``now``, no call runs
at night except the closing (and the quota probe, which waits for daylight or noon in polar
night; a poll due at the window's end may run a little late), and ``can_spend`` never allows
going over the quota.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.apsystems_ema.openapi.errors import Failure
from custom_components.apsystems_ema.planner import (
    CallBook,
    CallKind,
    Plan,
    PlanKind,
    PlannedCall,
    Planner,
    PlannerConfig,
    PlannerState,
    SiteGeometry,
)
from custom_components.apsystems_ema.planner.book import month_key, period
from custom_components.apsystems_ema.planner.core import LATE_POLL

# Timezones with a longitude in their zone, so the sun rises in the local morning.
ZONES = {
    "Europe/Amsterdam": 4.9,
    "America/New_York": -74.0,
    "Australia/Sydney": 151.2,
    "Asia/Tokyo": 139.7,
    "UTC": 0.0,
    "America/Santiago": -70.6,
    "Pacific/Auckland": 174.8,
}
SUCCESS = None
OUTCOMES = st.sampled_from(
    [SUCCESS] * 6
    + [Failure.TRANSPORT, Failure.QUOTA, Failure.THROTTLE, Failure.SERVER]
    + [Failure.NO_DATA, Failure.DATA, Failure.BAD_ANSWER]
)
MAX_STEPS = 20_000


@dataclass(frozen=True, slots=True)
class Scenario:
    """One random site and its month."""

    latitude: float
    timezone: str
    longitude: float
    ecus: int
    inverters: int
    meters: int
    quota: int
    start: datetime
    outcomes: tuple[Failure | None, ...]
    buttons: tuple[int, ...]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A site, a start instant in 2024-2027, and the outcome cycle."""
    zone = draw(st.sampled_from(sorted(ZONES)))
    start = draw(
        st.datetimes(
            min_value=datetime(2024, 1, 1),
            max_value=datetime(2027, 12, 31),
        )
    ).replace(tzinfo=UTC)
    return Scenario(
        latitude=draw(st.floats(min_value=-70, max_value=70)),
        timezone=zone,
        longitude=ZONES[zone] + draw(st.floats(min_value=-5, max_value=5)),
        ecus=draw(st.integers(1, 3)),
        inverters=draw(st.integers(0, 40)),
        meters=draw(st.integers(0, 1)),
        quota=draw(st.sampled_from([1000, 1000, 1000, 400, 2000])),
        start=start,
        outcomes=tuple(draw(st.lists(OUTCOMES, min_size=1, max_size=40))),
        buttons=tuple(draw(st.lists(st.integers(1, 12), min_size=1, max_size=8))),
    )


def planner_for(s: Scenario) -> Planner:
    """The planner of a scenario's site."""
    ecus = tuple(f"2160000{i:05d}" for i in range(s.ecus))
    site = SiteGeometry(
        latitude=s.latitude,
        longitude=s.longitude,
        timezone=s.timezone,
        ecus=ecus,
        inverters=tuple(f"80600{i:07d}" for i in range(s.inverters)),
        meters=tuple(f"2170000{i:05d}" for i in range(s.meters)),
    )
    return Planner(PlannerConfig(quota=s.quota), site)


def in_daylight(planner: Planner, at: datetime) -> bool:
    """Whether ``at`` is inside its local day's polling window."""
    window = planner.daylight.window(planner.daylight.local_day(at))
    return window is not None and window.contains(at)


def poll_in_window(planner: Planner, plan: Plan) -> bool:
    """Whether a poll lies in its day's window, or at most ``LATE_POLL`` after its end (the
    last poll, rounded up to the second, or run late after a backoff)."""
    window = planner.daylight.window(plan.day)
    return window is not None and window.start <= plan.at <= window.end + LATE_POLL


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(s=scenarios(), mid_period=st.booleans())
def test_a_month_of_random_outcomes_keeps_the_invariants(s: Scenario, mid_period: bool) -> None:
    """Quota never exceeded (book and independent count), no night calls but the closing,
    ``can_spend`` never lets a button go over."""
    planner = planner_for(s)
    book = CallBook(since=s.start if mid_period else period(s.start)[0])
    state = PlannerState()
    spent: Counter[str] = Counter()  # our own count per UTC month
    end = s.start + timedelta(days=31)
    now = s.start
    outcome = 0
    steps = 0
    presses = 0

    def check(at: datetime) -> None:
        month = month_key(at)
        assert spent[month] + book.assumed(s.quota, at) <= s.quota, (month, spent[month])
        assert book.spent(s.quota, at) <= s.quota, at

    def spend(call: PlannedCall, at: datetime, plan_: Plan | None) -> bool:
        nonlocal outcome
        failure = s.outcomes[outcome % len(s.outcomes)]
        outcome += 1
        keep = planner.record(
            call, at, book, state, failure=failure, plan=plan_, manual=plan_ is None
        )
        spent[month_key(at)] += 1
        assert book.used(at, at) >= 1
        check(at)
        return keep

    while now < end:
        steps += 1
        assert steps < MAX_STEPS, "the planner does not move forward"
        plan = planner.next_plan(now, book, state)
        assert plan.at >= now
        if plan.at >= end:
            break
        if not plan.calls:
            assert plan.kind is PlanKind.WAKE
            assert plan.at > now, "a wake-up plan that does not move time"
            now = plan.at
            continue
        now = plan.at
        if plan.kind is PlanKind.CLOSING:
            # After the day's window (or at noon in polar night), never before.
            assert now >= planner.closing_at(plan.day)
        elif plan.kind is PlanKind.PROBE:
            day = planner.daylight.local_day(now)
            assert in_daylight(planner, now) or (
                planner.daylight.window(day) is None and now == planner.daylight.local_noon(day)
            )
        else:
            assert plan.kind is PlanKind.POLL
            assert poll_in_window(planner, plan), (plan, planner.daylight.window(plan.day))
        assert plan.cost <= s.quota
        for call in plan.calls:
            if not spend(call, now, plan):
                break
        # A button press now and then: whatever can_spend allows must fit in the quota.
        if steps % 7 == 0:
            n = s.buttons[presses % len(s.buttons)]
            presses += 1
            calls = tuple(PlannedCall(CallKind.BATCH_POWER, planner.site.ecus[0]) for _ in range(n))
            refused = planner.refuse_manual(calls, now, book, state)
            if planner.can_spend(n, now, book, state):
                assert book.spent(s.quota, now) + n <= s.quota
                assert refused in (None, "allowance")
            else:
                assert refused is not None
            if refused is None:
                for call in calls:
                    spend(call, now, None)
                assert state.manual_used <= planner.manual_allowance
            assert not planner.can_spend(s.quota + 1, now, book, state)
        now += timedelta(seconds=1)
    assert sum(spent.values()) > 0 or not s.outcomes


@settings(max_examples=30, deadline=None, database=None)
@given(
    s=scenarios(),
    used=st.integers(0, 2000),
    n=st.integers(1, 50),
    offset=st.integers(0, 31 * 24 * 3600),
    with_state=st.booleans(),
)
def test_can_spend_never_allows_exceeding_the_quota(
    s: Scenario, used: int, n: int, offset: int, with_state: bool
) -> None:
    """For any book and instant, a granted spend stays within the quota and leaves the
    period's fixed calls and half the reserve untouched."""
    planner = planner_for(s)
    now = s.start + timedelta(seconds=offset)
    book = CallBook(since=period(now)[0])
    book.record(now, planner.config.entry, used)
    state = PlannerState(last_poll=now) if with_state else None
    if planner.can_spend(n, now, book, state):
        assert used + n <= s.quota
        assert book.spent(s.quota, now) + n <= s.quota
        budget = planner.budget(now, book, state or PlannerState())
        assert used + n <= s.quota - budget.committed
    # A spent quota month (2005) grants nothing.
    book.exhausted_at = now
    assert not planner.can_spend(1, now, book, state)
