"""Live accounts' answers (the field notes' quirks) through the whole integration.

Each case switches one quirk of the simulator on for every answer it applies to, sets the
integration up at 10:00 on a June morning, and runs it through that day, its closing, the
whole of the next day and its closing. At every step no lifetime sensor is above the API's
own lifetime (the newest answer plus what was produced after it) and none decreases; in
daylight the powers are known; at the end every lifetime equals the API's (the closings
made them exact), every hour of the statistics of both days is the truth's, the entry is
loaded, nothing escaped into the log and no re-authentication started (the next morning's
first poll brings the evenings of the meters and batteries).
"""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
import logging
from typing import Any, Unpack

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
)

from custom_components.apsystems_ema.const import DOMAIN
from custom_components.apsystems_ema.coordinator import APsystemsCoordinator
from custom_components.apsystems_ema.planner import CallKind
from custom_components.apsystems_ema.records import (
    METER_SERIES,
    PRODUCTION,
    STORAGE_SERIES,
    ecu_series,
    meter_series,
    storage_series,
)
from custom_components.apsystems_ema.state import HALF_CENT, METER_KEYS
from tests.ha.drive import hourly_rows, settle, statistics_problems, step, unhandled
from tests.ha.helpers import MORNING, STEADY_RECORDER, config_entry, setup, state_of
from tests.simulator import (
    INSTALLER_PATH,
    STORAGE_PREFIXES,
    Fault,
    Quirk,
    Simulator,
    demo_site,
    storage_site,
)
from tests.simulator.app import BASE_PATH
from tests.simulator.solar import Scope

DAY = MORNING.astimezone(demo_site(MORNING).zone).date()
NEXT = DAY + timedelta(days=1)
# After the next day's closing (sunset about 22:00, the closing 30 min later), before dawn;
# then after the morning's first poll, which brings the evening of meters and batteries.
CLOSED = datetime.combine(NEXT + timedelta(days=1), datetime.min.time(), demo_site(MORNING).zone)
CLOSED += timedelta(hours=2)
END = CLOSED + timedelta(hours=7)
# The API's rounding: 2 decimals per summary and per ECU's day, 0 decimals per channel's
# power (a few Wh a day integrated), 3 or 6 decimals for batteries and meters.
LIFETIME_TOLERANCE = 0.02  # kWh
HOUR_TOLERANCE = 0.011  # kWh
# A meter's point left out of its curve is the straight line between its neighbours: an hour
# with a gap is that close to the truth (the day's counter keeps the day exact).
HOUR_SHARE = 0.005
CURVE_SLACK = 0.03  # kWh an hour, on a 223-point day
WEEK_OF_ROUNDING = 0.1  # kWh: a week of exact days, each rounded to 2 decimals per hour

type Probe = Callable[[datetime], float]


@dataclass(frozen=True)
class Case:
    """One quirk (or a server property) and the site it is met on."""

    quirks: tuple[tuple[Quirk, tuple[str, ...]], ...] = ()
    storage: bool = False
    prefixes: frozenset[str] = STORAGE_PREFIXES
    statistics_days: tuple[int, ...] = (0, 1)  # days after the set-up day checked hour by hour
    # Runs of missing points (up to 25 minutes) leave the hours built from a device's curve
    # (an ECU's, a meter's) this close to the truth; their days stay exact (the API's day
    # counters), and the system's hours are the API's own.
    curve_slack: float = 0.0
    base_load_w: float | None = None  # the household's (None: the site's own)

    def arm(self, sim: Simulator) -> None:
        """Switch the quirks on."""
        for quirk, endpoints in self.quirks:
            sim.enable(quirk, *endpoints)
        sim.storage_prefixes = self.prefixes


def one(quirk: Quirk, *endpoints: str, storage: bool = False) -> Case:
    """A case of one quirk on the given endpoints (all it applies to when none)."""
    return Case(((quirk, endpoints),), storage=storage)


CASES: dict[str, Case] = {
    "summary_today_null": one(Quirk.TODAY_NULL),
    "summary_today_absent": one(Quirk.TODAY_ABSENT),
    "inverter_summary_without_day_keys": one(Quirk.NO_DAY_KEYS),
    "numbers_and_strings_swapped": one(Quirk.SWAPPED_TYPES),
    "numbers_everywhere": one(Quirk.NUMBERS),
    "ac_p1_only": one(Quirk.AC_P1_ONLY),
    "every_2nd_point_missing": one(Quirk.GAPS_2),
    "every_4th_point_missing": one(Quirk.GAPS_4),
    "a_223_point_day": Case(((Quirk.DAY_223, ()),), curve_slack=CURVE_SLACK),
    "storage_hourly_labels_from_01": one(Quirk.HOURLY_FROM_01, storage=True),
    "storage_hourly_short": one(Quirk.HOURLY_SHORT, storage=True),
    # No household load: the battery idles at night, and the API leaves those hours out.
    "storage_hourly_short_without_a_base_load": Case(
        ((Quirk.HOURLY_SHORT, ()),), storage=True, base_load_w=0.0
    ),
    "hourly_level_5000": one(Quirk.HOURLY_5000),
    "storage_hourly_level_5000": one(Quirk.HOURLY_5000, storage=True),
    "inverter_energy_1001_before_the_first_sample": one(Quirk.NO_DATA_1001),
    "storage_minutely_short": one(Quirk.STORAGE_SHORT, storage=True),
    "details_with_light_and_authorization_code": one(Quirk.DETAILS_EXTRA),
    "storage_under_the_installer_prefix": Case(storage=True, prefixes=frozenset({INSTALLER_PATH})),
    "storage_under_the_user_prefix": Case(storage=True, prefixes=frozenset({BASE_PATH})),
    "everything_at_once": Case(
        (
            (Quirk.TODAY_ABSENT, ()),
            (Quirk.NO_DAY_KEYS, ()),
            (Quirk.NUMBERS, ()),
            (Quirk.AC_P1_ONLY, ()),
            (Quirk.DAY_223, ()),
            (Quirk.HOURLY_FROM_01, ()),
            (Quirk.NO_DATA_1001, ()),
            (Quirk.DETAILS_EXTRA, ()),
        ),
        storage=True,
        prefixes=frozenset({BASE_PATH}),
        curve_slack=CURVE_SLACK,
    ),
}


@pytest.fixture
def recorder_config() -> dict[str, Any]:
    """Statistics, but no entity states (the tests read them from the state machine), and
    Home Assistant's own commit interval (the harness commits after every event)."""
    return {**STEADY_RECORDER, "exclude": {"domains": ["sensor", "button", "binary_sensor"]}}


@pytest.fixture(params=list(CASES))
async def quirky(request: pytest.FixtureRequest, socket_enabled: None) -> AsyncIterator[Case]:
    """The case's name, its simulator started (``request.node.sim``)."""
    case = CASES[request.param]
    site = storage_site(MORNING) if case.storage else demo_site(MORNING)
    if case.base_load_w is not None:
        site = replace(site, base_load_w=case.base_load_w)
    async with Simulator(site) as sim:
        case.arm(sim)
        request.node.sim = sim
        yield case


@dataclass
class Guard:
    """Checks what the entities show after every step."""

    hass: HomeAssistant
    sim: Simulator
    coordinator: APsystemsCoordinator
    probes: dict[str, Probe] = field(default_factory=dict)
    # When each lifetime was last made exact: production's by the closing (nothing moves
    # after it), a meter's by its newest curve, a battery's by its newest summary.
    settled: dict[str, Callable[[], datetime]] = field(default_factory=dict)
    tolerance: dict[str, float] = field(default_factory=dict)  # beyond LIFETIME_TOLERANCE
    last: dict[str, float] = field(default_factory=dict)
    ahead: list[str] = field(default_factory=list)
    decreases: list[str] = field(default_factory=list)
    unknown_power: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Every lifetime sensor of the site, with the API's lifetime of its scope."""
        sim, sid, truth = self.sim, self.sim.sid, Lifetimes(self.sim)
        self.probes[f"{sid}_lifetime_energy"] = truth.production()
        for ecu in sim.site.ecus:
            unique_id = f"{sid}_ecu_{ecu.eid}_lifetime_energy"
            self.probes[unique_id] = truth.production(eid=ecu.eid)
            # Its exact day is the sum of its channels' days, each rounded to 2 decimals.
            channels = sum(inv.channels for inv in ecu.inverters)
            self.tolerance[unique_id] = LIFETIME_TOLERANCE + HALF_CENT * channels
            for inv in ecu.inverters:
                unique_id = f"{sid}_{inv.uid}_lifetime_energy"
                self.probes[unique_id] = truth.production(uid=inv.uid)
                self.tolerance[unique_id] = LIFETIME_TOLERANCE + HALF_CENT * inv.channels
        for meter in sim.site.meters:
            for key in METER_KEYS:
                unique_id = f"{sid}_meter_{meter}_{key}_lifetime"
                self.probes[unique_id] = truth.meter(key)
                self.settled[unique_id] = self._meter_report(meter)
        for unit in sim.site.storages:
            for key in ("charge", "discharge"):
                unique_id = f"{sid}_battery_{unit.eid}_{key}_lifetime"
                self.probes[unique_id] = truth.battery(unit.eid, key)
                self.settled[unique_id] = self._battery_summary

    def _meter_report(self, eid: str) -> Callable[[], datetime]:
        return lambda: _at(self.coordinator.site.meters[eid].last_report)

    def _battery_summary(self) -> datetime:
        return _at(self.coordinator.planner_state.last_ok.get(CallKind.STORAGE_SUMMARY))

    def check(self) -> None:
        """No lifetime above the API's, none going back, powers known in daylight."""
        now = dt_util.utcnow()
        for unique_id, truth in self.probes.items():
            value = _number(self.hass, unique_id)
            if value is None:
                continue
            if value > truth(now) + self.tolerance.get(unique_id, LIFETIME_TOLERANCE):
                self.ahead.append(f"{unique_id}: {value:.3f} > {truth(now):.3f} at {now}")
            before = self.last.get(unique_id)
            if before is not None and value < before - 1e-9:
                self.decreases.append(f"{unique_id}: {before} -> {value} at {now}")
            self.last[unique_id] = value
        sid = self.sim.sid
        if self.sim.site.ecus and _daylight_polled(self.coordinator, now):
            inverters = self.coordinator.site.inverters
            for unique_id in (f"{sid}_power", *(f"{sid}_{uid}_power" for uid in inverters)):
                if _number(self.hass, unique_id) is None:
                    self.unknown_power.append(f"{unique_id} at {now}")


class Lifetimes:
    """The simulator's lifetimes at any instant, the days before it summed once per day
    (a lifetime is the system's whole life: summing it at every step is the tests' cost)."""

    def __init__(self, sim: Simulator) -> None:
        """Bind to a simulator."""
        self.sim = sim
        self.before: dict[tuple[str, date], Any] = {}

    def _past(self, scope: str, day: date, total: Callable[[date], Any]) -> Any:
        key = (scope, day)
        if key not in self.before:
            self.before[key] = total(day - timedelta(days=1))
        return self.before[key]

    def production(self, **scope: Unpack[Scope]) -> Probe:
        """The system's (or an ECU's, an inverter's) lifetime."""
        truth = self.sim.truth
        name = repr(sorted(scope.items()))

        def lifetime(at: datetime) -> float:
            day = truth.today(at)
            created = self.sim.site.create_date
            past = self._past(name, day, lambda end: truth.range_energy(created, end, **scope))
            return float(past) + truth.day_energy(day, at, **scope)

        return lifetime

    def meter(self, key: str) -> Probe:
        """A meter's lifetime of one direction."""
        truth = self.sim.truth

        def lifetime(at: datetime) -> float:
            day = truth.today(at)
            created = self.sim.site.create_date
            past = self._past("meter", day, lambda end: truth.meter_range(created, end))
            return float(getattr(past, key) + getattr(truth.meter_day(day, at), key))

        return lifetime

    def battery(self, eid: str, key: str) -> Probe:
        """A battery's lifetime of one quantity."""
        truth = self.sim.truth

        def lifetime(at: datetime) -> float:
            day = truth.today(at)
            created = self.sim.site.create_date
            past = self._past(eid, day, lambda end: truth.storage_range(eid, created, end))
            today = truth.storage_day_totals(eid, day, at)
            return float(getattr(past, key) + getattr(today, key))

        return lifetime


def _at(instant: datetime | None) -> datetime:
    assert instant is not None
    return instant


def _number(hass: HomeAssistant, unique_id: str) -> float | None:
    try:
        return float(state_of(hass, unique_id))
    except ValueError, AssertionError:
        return None


def _daylight_polled(coordinator: APsystemsCoordinator, now: datetime) -> bool:
    """Whether the day's first poll is done and the sun is still up (powers must show)."""
    planner = coordinator.planner
    window = planner.daylight.window(planner.daylight.local_day(now))
    last = coordinator.planner_state.last_poll
    return window is not None and last is not None and window.start <= last <= now <= window.end


async def run(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: Simulator,
    coordinator: APsystemsCoordinator,
    end: datetime,
    guard: Guard,
) -> None:
    """Jump from wake-up to wake-up until ``end``, checking after every step."""
    while (now := dt_util.utcnow()) < end:
        interval = coordinator.update_interval or timedelta(minutes=5)
        await step(hass, freezer, sim, max(min(interval, end - now), timedelta(seconds=1)))
        guard.check()


def expected_hours(sim: Simulator, series: str, day: Any) -> list[float]:
    """The truth's 24 hours of a statistic series on a local day."""
    truth = sim.truth
    if series == PRODUCTION:
        return truth.hourly(day)
    for ecu in sim.site.ecus:
        if series == ecu_series(ecu.eid):
            return truth.hourly(day, eid=ecu.eid)
    for meter in sim.site.meters:
        for key, name in METER_SERIES.items():
            if series == meter_series(meter, name):
                end = datetime.combine(day, datetime.max.time(), sim.site.zone)
                return [getattr(h, key) for h in truth.meter_series("hourly", day, end)]
    for unit in sim.site.storages:
        for key, name in STORAGE_SERIES.items():
            if series == storage_series(unit.eid, name):
                end = datetime.combine(day, datetime.max.time(), sim.site.zone)
                return [getattr(h, key) for h in truth.storage_series(unit.eid, "hourly", day, end)]
    raise KeyError(series)


def all_series(sim: Simulator) -> list[str]:
    """Every statistic series the integration imports for the site."""
    names = [PRODUCTION] if sim.site.ecus else []
    names += [ecu_series(e.eid) for e in sim.site.ecus]
    names += [meter_series(m, s) for m in sim.site.meters for s in METER_SERIES.values()]
    names += [storage_series(u.eid, s) for u in sim.site.storages for s in STORAGE_SERIES.values()]
    return names


async def test_quirk_through_two_days(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    quirky: Case,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Set up at 10:00 with the quirk on, run to the third morning: see the module."""
    sim: Simulator = request.node.sim
    caplog.set_level(logging.INFO, logger="custom_components.apsystems_ema")
    hass.loop.set_debug(False)
    freezer.move_to(MORNING)
    entry: MockConfigEntry = config_entry(sim)
    coordinator = await setup(hass, sim, entry)
    guard = Guard(hass, sim, coordinator)
    guard.check()
    await run(hass, freezer, sim, coordinator, CLOSED, guard)
    await settle(hass, freezer, sim)
    now = dt_util.utcnow()
    behind = {}
    for unique_id, truth in guard.probes.items():
        settled = guard.settled.get(unique_id, lambda: now)()
        value = _number(hass, unique_id)
        tolerance = guard.tolerance.get(unique_id, LIFETIME_TOLERANCE)
        if value is None or value < truth(settled) - tolerance:
            behind[unique_id] = (value, truth(settled), settled)
    assert behind == {}, "below the API's lifetime after the closing"
    await run(hass, freezer, sim, coordinator, END, guard)

    assert entry.state is ConfigEntryState.LOADED
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert unhandled(caplog.records) == []
    assert guard.ahead == [], guard.ahead[:5]
    assert guard.decreases == [], guard.decreases[:5]
    assert guard.unknown_power == [], guard.unknown_power[:5]
    # The API's own hourly lists: the system's production and the batteries'.
    official = {PRODUCTION} | {
        storage_series(u.eid, name) for u in sim.site.storages for name in STORAGE_SERIES.values()
    }
    # An ECU's exact day is the sum of its channels' days, each rounded to 2 decimals.
    rounding = {
        ecu_series(e.eid): HALF_CENT * sum(inv.channels for inv in e.inverters)
        for e in sim.site.ecus
    }
    for series in all_series(sim):
        for offset in quirky.statistics_days:
            day = DAY + timedelta(days=offset)
            rows = await hourly_rows(hass, coordinator, day, 1, series)
            assert statistics_problems(rows) == [], series
            hours = {r["start"]: r["state"] for r in rows}
            expected = expected_hours(sim, series, day)
            shown = [hours.get(_hour(sim, day, h), 0.0) for h in range(24)]
            slack = 0.0 if series in official else quirky.curve_slack
            bound = [max(HOUR_TOLERANCE, HOUR_SHARE * value, slack) for value in expected]
            wrong = [
                (h, round(value, 4), round(truth, 4))
                for h, (value, truth, most) in enumerate(zip(shown, expected, bound, strict=True))
                if abs(value - truth) > most
            ]
            day_bound = LIFETIME_TOLERANCE + rounding.get(series, 0.0)
            assert sum(shown) == pytest.approx(sum(expected), abs=day_bound), series
            assert not wrong, f"{series} {day}: {wrong}"


def _hour(sim: Simulator, day: Any, hour: int) -> datetime:
    return (
        datetime.combine(day, datetime.min.time(), sim.site.zone).replace(hour=hour).astimezone(UTC)
    )


@pytest.fixture
async def plain(socket_enabled: None) -> AsyncIterator[Simulator]:
    """The demo site (two ECUs and a meter), no quirk."""
    async with Simulator(demo_site(MORNING)) as sim:
        yield sim


def _ours(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("custom_components.apsystems_ema") and r.levelno == level
    ]


async def test_a_meter_answering_http_500_for_a_week(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plain: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every call of the meter's curve answers HTTP 500 for a week (seen live): the rest of
    the system stays fresh, the meter's calls back off (not asked at every poll), one clear
    warning names it, and it comes back by itself once it answers again."""
    sim = plain
    meter = sim.site.meters[0]
    caplog.set_level(logging.INFO, logger="custom_components.apsystems_ema")
    hass.loop.set_debug(False)
    freezer.move_to(MORNING)
    sim.inject(Fault(endpoint="meter_minutely", http_status=500, times=None))
    coordinator = await setup(hass, sim, config_entry(sim))
    guard = Guard(hass, sim, coordinator)
    week = CLOSED + timedelta(days=5)  # a night, a week after the set-up
    await run(hass, freezer, sim, coordinator, week, guard)

    polls = [c for c in sim.calls if c.endpoint == "batch_power"]
    failed = [c for c in sim.calls if c.endpoint == "meter_minutely"]
    assert len(polls) >= 6 * 2 * 8  # two ECUs, eight polls a day or more: fresh
    assert all(c.status == 500 for c in failed)
    assert len(failed) <= 14, f"{len(failed)} meter calls in a week"  # backing off
    assert guard.ahead == guard.decreases == guard.unknown_power == []
    warnings = _ours(caplog, logging.WARNING)
    assert len(warnings) == 1, warnings
    assert "meter_minutely" in warnings[0]
    assert meter in warnings[0]
    assert float(state_of(hass, f"{sim.sid}_lifetime_energy")) == pytest.approx(
        sim.truth.lifetime(week), abs=LIFETIME_TOLERANCE + WEEK_OF_ROUNDING
    )

    sim.clear_faults()
    await run(hass, freezer, sim, coordinator, week + timedelta(days=1), guard)
    assert f"The APsystems OpenAPI answers meter_minutely of {meter} again" in _ours(
        caplog, logging.INFO
    )
    report = coordinator.site.meters[meter].last_report
    assert report is not None
    assert dt_util.utcnow() - report < timedelta(hours=6)
    assert _ours(caplog, logging.WARNING) == warnings
    assert unhandled(caplog.records) == []


@pytest.mark.parametrize("code", [7002, 7003])
async def test_throttled_for_hours(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plain: Simulator,
    caplog: pytest.LogCaptureFixture,
    code: int,
) -> None:
    """Six hours of "too many requests" / "system busy" on every call: the integration backs
    off (a handful of calls, no quota burnt in a loop), asks for nothing else, and catches
    up exactly once the API answers again."""
    sim = plain
    hass.loop.set_debug(False)
    freezer.move_to(MORNING)
    coordinator = await setup(hass, sim, config_entry(sim))
    guard = Guard(hass, sim, coordinator)
    sim.inject(Fault(code=code, times=None))
    before = len(sim.calls)
    await run(hass, freezer, sim, coordinator, MORNING + timedelta(hours=6), guard)
    refused = sim.calls[before:]
    assert all(c.code == code for c in refused)
    assert 1 <= len(refused) <= 7, f"{len(refused)} calls in six throttled hours"
    sim.clear_faults()
    await run(hass, freezer, sim, coordinator, CLOSED, guard)
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert guard.ahead == guard.decreases == []
    assert float(state_of(hass, f"{sim.sid}_lifetime_energy")) == pytest.approx(
        sim.truth.lifetime(CLOSED), abs=LIFETIME_TOLERANCE
    )
    assert unhandled(caplog.records) == []


async def test_no_data_at_night_and_across_midnight(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plain: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The inverter endpoints answer 1001 ("no data") before a day's first sample: pressed
    at night, just before and after midnight and before dawn, nothing shown is lost (the
    lifetime stands; the day's energy stands until midnight, and the new day's is 0 until
    it has data)."""
    sim = plain
    sim.enable(Quirk.NO_DATA_1001)
    hass.loop.set_debug(False)
    freezer.move_to(MORNING)
    coordinator = await setup(hass, sim, config_entry(sim))
    guard = Guard(hass, sim, coordinator)
    zone = sim.site.zone
    evening = datetime.combine(DAY, datetime.min.time(), zone) + timedelta(hours=23, minutes=50)
    await run(hass, freezer, sim, coordinator, evening, guard)
    sid = sim.sid
    shown = {
        key: float(state_of(hass, f"{sid}_{key}")) for key in ("lifetime_energy", "today_energy")
    }
    assert shown["today_energy"] == pytest.approx(sim.truth.day_energy(DAY), abs=0.05)
    for after in (timedelta(0), timedelta(minutes=20), timedelta(hours=3)):
        await run(hass, freezer, sim, coordinator, evening + after, guard)
        before = len(sim.calls)
        await coordinator.async_refresh_now()
        await hass.async_block_till_done()
        guard.check()
        answers = [c.code for c in sim.calls[before:] if c.endpoint == "batch_power"]
        assert answers, after
        # The day's curve is there before midnight; the new day has none yet.
        assert set(answers) == ({0} if after == timedelta(0) else {1001}), after
        assert float(state_of(hass, f"{sid}_lifetime_energy")) == shown["lifetime_energy"]
        today = shown["today_energy"] if after == timedelta(0) else 0.0
        assert float(state_of(hass, f"{sid}_today_energy")) == today, after
    await run(hass, freezer, sim, coordinator, CLOSED, guard)
    assert guard.ahead == guard.decreases == []
    assert float(state_of(hass, f"{sid}_lifetime_energy")) == pytest.approx(
        sim.truth.lifetime(CLOSED), abs=LIFETIME_TOLERANCE
    )
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert unhandled(caplog.records) == []
