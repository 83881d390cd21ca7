"""The fault matrix at integration level: a set-up entry whose coordinator polls the simulator
through a whole day while the simulator answers badly, once per endpoint kind.

For every fault: the user gets a clear log line (or a repair issue / reauth flow), entities
stay available unless the credentials are refused, no exception escapes, lifetime sensors
never decrease, and nothing is lost: after the fault the lifetimes and the day's hourly
statistics equal the simulator's truth, with no duplicated or backward hours.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
)
from sqlalchemy.exc import SQLAlchemyError

from custom_components.apsystems_ema import statistics
from custom_components.apsystems_ema.const import DOMAIN
from custom_components.apsystems_ema.coordinator import APsystemsCoordinator
from custom_components.apsystems_ema.openapi.errors import CODE_MESSAGES
from custom_components.apsystems_ema.statistics import PRODUCTION, ecu_series
from tests.ha.drive import (
    Watch,
    hourly_rows,
    lifetime_ids,
    run_until,
    statistics_problems,
    unhandled,
)
from tests.ha.helpers import setup, state_of
from tests.simulator import Fault, Simulator

# 03:00 in Amsterdam, before sunrise, on a long summer day, to 06:00 the day after (its first
# poll done).
NIGHT = datetime.fromisoformat("2026-06-17T01:00:00+00:00")
DAY = NIGHT.date()
END = NIGHT + timedelta(hours=27)

#: The endpoint kinds the coordinator polls through a day (bootstrap ones: see below; the
#: ECU curve and the summaries only at set-up, after a gap of days or for history).
DAILY = (
    "batch_power",  # every poll: every channel's power, integrated into the day's energy
    "meter_minutely",  # every other poll, and the day before with the morning's first
    "system_energy",  # the closing: the day's hourly energy
    "batch_energy",  # the closing: every inverter's day energy
)
BOOTSTRAP = ("inverters", "meters", "ecu_summary", "meter_summary")

AUTH_CODES = (2000, 2001, 2002, 2003, 2004, 3000, 3001, 3002, 3003, 3004)


@dataclass(frozen=True)
class Case:
    """Fault kinds of one family, spread over the endpoint kinds: the ``i``-th fault is kind
    ``i mod len(kinds)`` on endpoint ``i mod len(endpoints)``, as many as the longer of both
    (every kind meets an endpoint, every endpoint a kind), each armed ``times`` times."""

    kinds: tuple[Fault, ...]
    warning: str  # how the user's WARNING lines begin (one per spell of failures)
    logs: tuple[str, ...] = ()  # what the log must say, at any level
    times: int = 1
    endpoints: tuple[str, ...] = DAILY
    days: int = 1

    def arm(self, sim: Simulator) -> None:
        """Arm the kinds on the endpoint kinds."""
        kinds, endpoints = self.kinds, self.endpoints
        sim.inject(
            *(
                replace(
                    kinds[i % len(kinds)], endpoint=endpoints[i % len(endpoints)], times=self.times
                )
                for i in range(max(len(kinds), len(endpoints)))
            )
        )


def codes(*numbers: int) -> tuple[Fault, ...]:
    """Answers with these Annex 4.1 codes."""
    return tuple(Fault(code=n) for n in numbers)


UNREACHABLE = "The APsystems OpenAPI is unreachable"
REFUSED = "The APsystems OpenAPI refused"
UNUSABLE = "The APsystems OpenAPI sent an unusable answer"
HELD = "The APsystems OpenAPI fails to answer "
ANSWERS = "The APsystems OpenAPI answers "
SERVER_CODES = (1000, 1002, 1003, 5000, 6000, 9999)  # 1002, 1003, 9999: not in the manual
CASES: dict[str, Case] = {
    "server_codes": Case(
        codes(*SERVER_CODES), REFUSED, tuple(f"API code {c}" for c in SERVER_CODES)
    ),
    "throttle_codes": Case(
        codes(7000, 7001, 7002, 7003), REFUSED, ("API code 7000", "API code 7003")
    ),
    "no_data_and_bad_parameter": Case(codes(1001, 4001), REFUSED, ("API code 4001",)),
    # Polling stops for the day: the lifetime is exact again after the next morning's
    # summaries and the closing of the day nobody watched.
    "quota_2005": Case(
        codes(2005), REFUSED, ("API code 2005",), endpoints=("batch_power",), days=2
    ),
    "transport": Case(
        (Fault(delay=600), Fault(http_status=500), Fault(drop=True), Fault(http_status=502)),
        UNREACHABLE,
        ("in time", "HTTP 500", "Server disconnected", "HTTP 502"),
        times=2,  # aiohttp resends once what a reset keep-alive connection lost
    ),
    "bodies": Case(
        (Fault(invalid_json=True), Fault(octet_stream=True), Fault(nulls=True)),
        UNUSABLE,
        ("not JSON", "less than the"),
    ),
    "lists": Case((Fault(mismatch=True), Fault(truncate=True)), UNUSABLE, ("less than the",)),
    "negative_values": Case((Fault(scale=-1),), UNUSABLE, ("negative energy",)),
    "absurd_values": Case((Fault(scale=1e6),), UNUSABLE, ("more than the capacity",)),
    # Power a 6.56 kW system cannot deliver, a meter reading no household has: refused and
    # named, never shown.
    "implausible_power": Case(
        (Fault(scale=100), Fault(scale=1000)),
        UNUSABLE,
        ("W the system can deliver", "meter consumption power of"),
        endpoints=("batch_power", "meter_minutely"),
    ),
    # Zero lists; the day's only summary is the meters' (a zero lifetime there is ignored
    # without a word: the system summary's "below the" is a set-up matter now).
    "zero_values": Case((Fault(scale=0),), UNUSABLE, ("less than the",)),
}
assert {f.code for c in CASES.values() for f in c.kinds} | {*AUTH_CODES, 0, 4000} >= set(
    CODE_MESSAGES
)


@pytest.fixture
def recorder_config() -> dict[str, Any]:
    """Record statistics but no entity states: the tests read states from the state machine,
    and writing a hundred states per poll would make a simulated day slow."""
    return {"exclude": {"domains": ["sensor", "button"]}}


async def assert_exact(
    hass: HomeAssistant, sim: Simulator, coordinator: APsystemsCoordinator
) -> None:
    """Lifetimes now and yesterday's hourly statistics equal the truth; hours are unique and
    their sums never go back."""
    now = dt_util.utcnow()
    sid = sim.sid
    assert float(state_of(hass, f"{sid}_lifetime_energy")) == pytest.approx(
        sim.truth.lifetime(now), abs=0.1
    )
    for ecu in sim.site.ecus:
        value = state_of(hass, f"{sid}_ecu_{ecu.eid}_lifetime_energy")
        assert float(value) == pytest.approx(sim.truth.lifetime(now, eid=ecu.eid), abs=0.1)
    expected = {PRODUCTION: sim.truth.hourly(DAY)}
    expected |= {ecu_series(e.eid): sim.truth.hourly(DAY, eid=e.eid) for e in sim.site.ecus}
    for series, truth in expected.items():
        rows = await hourly_rows(hass, coordinator, DAY, 1, series)
        assert statistics_problems(rows) == [], series
        assert len(rows) >= 20, series
        assert sum(truth[len(rows) :]) == 0, series
        assert [r["state"] for r in rows] == pytest.approx(truth[: len(rows)], abs=0.01), series


@pytest.mark.parametrize("name", CASES)
async def test_fault_on_every_endpoint_kind(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    name: str,
) -> None:
    """The fault hits each endpoint kind of a day once; the day still ends exact."""
    case = CASES[name]
    caplog.set_level(logging.DEBUG, logger="custom_components.apsystems_ema")
    freezer.move_to(NIGHT)
    coordinator = await setup(hass, simulator, mock_config_entry)
    case.arm(simulator)
    watch = Watch(hass, lifetime_ids(simulator))
    end = END + timedelta(hours=18) if case.days == 2 else END
    await run_until(hass, freezer, simulator, coordinator, end, watch)

    faulted = {c.endpoint for c in simulator.calls if c.fault is not None}
    if case.kinds[0].code == 2005:
        # The quota stops every call for the day: the daily probe (a batch power curve) comes next
        # morning, and the issue is gone once it succeeds.
        assert faulted == {"batch_power"}
        issue = f"quota_exhausted_{mock_config_entry.entry_id}"
        assert ir.async_get(hass).async_get_issue(DOMAIN, issue) is None
        assert any("2005" in r.getMessage() for r in caplog.records)
    else:
        assert faulted == set(case.endpoints), f"never faulted: {set(DAILY) - faulted}"
    simulator.clear_faults()
    await coordinator.async_refresh_now()  # a clean poll: every live value is current
    await hass.async_block_till_done()
    watch.sample()

    assert unhandled(caplog.records) == []
    assert watch.decreases == []
    assert watch.unavailable == set()
    for text in case.logs:
        assert text in caplog.text
    ours = [r for r in caplog.records if r.name.startswith("custom_components.apsystems_ema")]
    warnings = [r.getMessage() for r in ours if r.levelno >= logging.WARNING]
    assert warnings, "no WARNING for the user"
    # A device's call failing while the rest of its poll is answered is that device's
    # trouble: held back, with a warning of its own naming it (and why).
    assert all(w.startswith((case.warning, HELD)) for w in warnings), warnings
    recovered = [
        r
        for r in ours
        if r.getMessage() == "The APsystems OpenAPI answers again"
        or (r.getMessage().startswith(ANSWERS) and r.getMessage().endswith(" again"))
    ]
    assert len(recovered) == len(warnings)  # each spell of failures ends, and says so
    # Every request counted, also the one aiohttp sends again after a dropped connection.
    assert coordinator.calls_used == simulator.calls_this_month()
    await assert_exact(hass, simulator, coordinator)


# Each refusal on an endpoint of the fast loop (the closing's and the morning's endpoints meet
# the other faults above); then a host clock 20 minutes off (the simulator's real signature
# check answers 4000 to every call).
REFUSALS = (
    (2000, "batch_power"),
    (2001, "meter_minutely"),
    (2002, "batch_power"),
    (2003, "meter_minutely"),
    (2004, "batch_power"),
    (3000, "meter_minutely"),
    (3001, "batch_power"),
    (3002, "meter_minutely"),
    (3003, "batch_power"),
    (3004, "meter_minutely"),
)


async def test_refused_credentials_start_reauth(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every auth code, each on an endpoint kind: a reauth flow starts, entities turn
    unavailable, polling stops, nothing escapes. Once the user gives working credentials
    (the entry reloads) nothing was lost."""
    freezer.move_to(NIGHT)
    coordinator = await setup(hass, simulator, mock_config_entry)
    watch = Watch(hass, lifetime_ids(simulator))
    deadline = NIGHT + timedelta(hours=60)
    for code, endpoint in REFUSALS:
        simulator.inject(Fault(endpoint=endpoint, code=code, times=None))
        while not hass.config_entries.flow.async_progress_by_handler(DOMAIN):
            assert dt_util.utcnow() < deadline, (code, endpoint)
            await run_until(hass, freezer, simulator, coordinator, dt_util.utcnow(), watch)
            await run_until(
                hass, freezer, simulator, coordinator, dt_util.utcnow() + timedelta(minutes=1)
            )
            watch.sample()
        refused = [c for c in simulator.calls if c.code == code]
        assert len(refused) == 1, (code, endpoint)
        assert refused[0].endpoint == endpoint, (code, endpoint)
        assert watch.unavailable == set(lifetime_ids(simulator)), code
        calls = len(simulator.calls)
        await run_until(
            hass, freezer, simulator, coordinator, dt_util.utcnow() + timedelta(hours=2)
        )
        assert len(simulator.calls) == calls, f"polling goes on after {code}"
        # The user re-enters working credentials: the flow ends, the entry reloads.
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN):
            assert flow["context"]["source"] == SOURCE_REAUTH
            hass.config_entries.flow.async_abort(flow["flow_id"])
        simulator.clear_faults()
        assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        coordinator = mock_config_entry.runtime_data
        watch.unavailable.clear()
        watch.sample()
        assert watch.unavailable == set()

    assert caplog.text.count("Authentication failed") == len(REFUSALS)
    await run_until(hass, freezer, simulator, coordinator, dt_util.utcnow() + timedelta(hours=1))
    await coordinator.async_refresh_now()
    await hass.async_block_till_done()
    watch.sample()
    assert watch.decreases == []
    assert unhandled(caplog.records) == []
    await assert_exact(hass, simulator, coordinator)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(
            Fault(endpoint=e, code=code),
            id=f"{e}-{code}",
        )
        for e in BOOTSTRAP
        for code in (5000, 7002)
    ],
)
async def test_fault_while_setting_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    fault: Fault,
) -> None:
    """A failure in the first run's inventory or ECU summaries (the details worked) is
    caught up later: by the next day every ECU's lifetime is known and exact."""
    freezer.move_to(NIGHT)
    simulator.inject(fault)
    coordinator = await setup(hass, simulator, mock_config_entry)
    watch = Watch(hass, lifetime_ids(simulator))
    await run_until(hass, freezer, simulator, coordinator, END, watch)
    await coordinator.async_refresh_now()
    await hass.async_block_till_done()
    assert any(c.fault is not None for c in simulator.calls)
    assert unhandled(caplog.records) == []
    assert watch.decreases == []
    await assert_exact(hass, simulator, coordinator)


@pytest.mark.parametrize("ha_zone", ["Pacific/Kiritimati", "America/Los_Angeles"])
async def test_system_midnight_in_another_timezone(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    ha_zone: str,
) -> None:
    """Home Assistant runs 12 hours ahead of (or 9 behind) the system's Amsterdam: days
    change at the system's midnight; today restarts, lifetimes go on, hours are exact. The
    figures of the day show 0 from the system's midnight on, with no call, not yesterday's
    until the morning's first poll."""
    await hass.config.async_set_time_zone(ha_zone)
    freezer.move_to(NIGHT)
    coordinator = await setup(hass, simulator, mock_config_entry)
    watch = Watch(hass, lifetime_ids(simulator))
    sid = simulator.sid
    # Amsterdam's midnight is 22:00 UTC; the next day's first poll comes after sunrise.
    midnight = datetime.fromisoformat("2026-06-17T22:00:00+00:00")
    await run_until(hass, freezer, simulator, coordinator, midnight - timedelta(minutes=1), watch)
    yesterday = float(state_of(hass, f"{sid}_today_energy"))
    assert yesterday == pytest.approx(simulator.truth.day_energy(DAY), abs=0.05)
    inverter = simulator.site.ecus[0].inverters[0].uid
    meter = simulator.site.meters[0]
    of_the_day = [
        f"{sid}_today_energy",
        *(f"{sid}_ecu_{ecu.eid}_today_energy" for ecu in simulator.site.ecus),
        f"{sid}_{inverter}_today_energy",
        f"{sid}_{inverter}_ch1_today_energy",
        f"{sid}_meter_{meter}_imported_today",
        f"{sid}_meter_{meter}_consumed_today",
    ]
    assert all(float(state_of(hass, key)) > 0 for key in of_the_day)
    calls = len(simulator.calls)
    await run_until(hass, freezer, simulator, coordinator, midnight + timedelta(seconds=2), watch)
    assert len(simulator.calls) == calls
    assert [float(state_of(hass, key)) for key in of_the_day] == [0.0] * len(of_the_day)
    await run_until(hass, freezer, simulator, coordinator, END, watch)
    await coordinator.async_refresh_now()
    await hass.async_block_till_done()
    watch.sample()
    now = END
    today = float(state_of(hass, f"{sid}_today_energy"))
    assert today == pytest.approx(simulator.truth.day_energy(DAY + timedelta(days=1), now), abs=0.1)
    assert coordinator.site.energy.day == DAY + timedelta(days=1)
    assert watch.decreases == []
    assert unhandled(caplog.records) == []
    await assert_exact(hass, simulator, coordinator)


async def test_a_clock_that_is_off_raises_a_repair_not_a_reauth(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The host's clock runs 20 minutes ahead of the API server's: every request gets code
    4000. A repair issue names the offset and how to fix it, no re-authentication starts,
    the warning is logged once; once the clock is right again the next poll goes on and the
    issue goes away."""
    freezer.move_to(NIGHT)
    coordinator = await setup(hass, simulator, mock_config_entry)
    simulator.inject(Fault(clock_skew=20 * 60, times=None))
    issue_id = f"clock_skew_{mock_config_entry.entry_id}"
    await run_until(hass, freezer, simulator, coordinator, NIGHT + timedelta(hours=20))
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "clock_skew"
    assert issue.translation_placeholders == {"offset": "+20 min"}
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and "clock is off by +20 min" in r.getMessage()
    ]
    assert len(warnings) == 1
    simulator.clear_faults()
    await run_until(hass, freezer, simulator, coordinator, NIGHT + timedelta(hours=30))
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert simulator.calls[-1].code == 0


@pytest.mark.parametrize("busy_reads", [0, 1])
async def test_lost_files_keep_totals_and_sums(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
    busy_reads: int,
) -> None:
    """Overnight the integration's state file is damaged and its history file lost, and
    the API's summary then gives a lifetime a little below what was shown: no lifetime
    sensor goes back (each keeps its last recorded state as a floor), and every statistic's
    running sum continues the recorded one (no negative hour, no restart at 0), also when
    the recorder cannot be read at the first try (``busy_reads``: the series wait)."""
    freezer.move_to(NIGHT)
    coordinator = await setup(hass, simulator, mock_config_entry)
    watch = Watch(hass, lifetime_ids(simulator))
    await run_until(hass, freezer, simulator, coordinator, END, watch)
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    key = f"apsystems_ema.{mock_config_entry.entry_id}"
    hass_storage[key] = {"version": 1, "key": key, "data": {"site": [], "planner": 7}}
    hass_storage.pop(f"{key}.history", None)
    simulator.inject(Fault(endpoint="summary", scale=0.99, times=None))
    reads: list[bool] = []

    def busy_then_read(*args: Any) -> Any:
        reads.append(len(reads) >= busy_reads)
        if not reads[-1]:
            raise SQLAlchemyError("the pool's lock timed out")
        return statistics_during_period(*args)

    with patch.object(statistics, "statistics_during_period", busy_then_read):
        coordinator = await setup(hass, simulator, mock_config_entry)
        watch.sample()
        await run_until(hass, freezer, simulator, coordinator, END + timedelta(days=1), watch)
    assert reads.count(False) == busy_reads
    assert watch.decreases == []
    series = [PRODUCTION, *(ecu_series(e.eid) for e in simulator.site.ecus)]
    series += [f"{m}_{s}" for m in simulator.site.meters for s in ("grid_import", "consumption")]
    for name in series:
        rows = await hourly_rows(hass, coordinator, DAY - timedelta(days=1), 3, name)
        assert statistics_problems(rows) == [], name
        assert len(rows) > 24, name
    assert 0 < reads.count(True) < len(series) / 2  # the series' sums are read together
