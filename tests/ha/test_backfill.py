"""History backfill into the recorder, checked against the simulator's truth.

The site here was created 70 days before the test's first day, and the hourly range is cut
to 5 days, so the whole history (5 days hourly, older months daily) fits in a few closings.
"""

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
    async_fire_time_changed,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.apsystems_ema import records as records_module
from custom_components.apsystems_ema.coordinator import APsystemsCoordinator
from custom_components.apsystems_ema.history import day_start
from custom_components.apsystems_ema.state import zone_of
from custom_components.apsystems_ema.statistics import PRODUCTION, statistic_id
from tests.ha.helpers import MORNING, STEADY_RECORDER, recorded_rows, setup
from tests.simulator import Fault, Simulator
from tests.simulator.site import demo_site

DAY = MORNING.date()
CREATED = DAY - timedelta(days=70)
HOURLY_DAYS = 5


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
    """The demo site, created 70 days before the first test day."""
    async with Simulator(replace(demo_site(MORNING), create_date=CREATED)) as sim:
        yield sim


@pytest.fixture(autouse=True)
def short_hourly_range(monkeypatch: pytest.MonkeyPatch) -> None:
    """Five days hourly (31 in production), so the test needs few closings."""
    monkeypatch.setattr(records_module, "HOURLY_BACKFILL_DAYS", HOURLY_DAYS)


async def until(hass: HomeAssistant, freezer: FrozenDateTimeFactory, end: datetime) -> None:
    """Move the clock to ``end`` in 20-minute steps, letting scheduled refreshes run."""
    step = timedelta(minutes=20)
    while (now := freezer.time_to_freeze) < end.replace(tzinfo=None):
        freezer.tick(min(step, end.replace(tzinfo=None) - now))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)


def night(day: date) -> datetime:
    """01:00 local (Amsterdam, summer) after ``day``: its closing is done."""
    return datetime.fromisoformat(f"{day + timedelta(days=1)}T01:00:00+02:00")


async def all_rows(
    hass: HomeAssistant, coordinator: APsystemsCoordinator, series: str = PRODUCTION
) -> list[dict[str, Any]]:
    """Every hourly row of a series: start (system-local), state and sum."""
    zone = zone_of(coordinator.site.timezone)
    rows = await recorded_rows(
        hass,
        statistic_id(coordinator.site.sid, series),
        day_start(CREATED - timedelta(days=40), zone),
        day_start(DAY + timedelta(days=30), zone),
    )
    return [row | {"start": row["start"].astimezone(zone)} for row in rows]


def check_running_sum(rows: list[dict[str, Any]]) -> None:
    """One row per hour, sums adding up every state, never going backwards."""
    starts = [r["start"] for r in rows]
    assert starts == sorted(set(starts))
    total = 0.0
    for row in rows:
        total += row["state"]
        assert row["sum"] == pytest.approx(total, abs=1e-4)


def api_hourly(sim: Simulator, day: date, **scope: str) -> list[float]:
    """The day's hourly energies as the API writes them (two decimals)."""
    return [round(v, 2) for v in sim.truth.hourly(day, **scope)]  # type: ignore[arg-type]


async def test_history_is_backfilled_recent_days_first_then_daily(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    coordinator: APsystemsCoordinator,
    snapshot: SnapshotAssertion,
) -> None:
    """Each closing adds up to four history calls from spare budget, most recent day first;
    after three closings every day since the system's creation is in the recorder: the
    hourly range hour by hour, older days as one row at local midnight, with one running
    sum that ends on the simulator's lifetime."""
    queue = coordinator.planner.backfill
    assert [c.day for c in queue[:HOURLY_DAYS]] == [
        DAY - timedelta(days=n) for n in range(2, 2 + HOURLY_DAYS)
    ]
    assert {c.day for c in queue[HOURLY_DAYS:]} == {
        date(2026, 6, 1),
        date(2026, 5, 1),
        date(2026, 4, 1),
    }

    await until(hass, freezer, night(DAY))
    first = [c for c in simulator.calls if c.endpoint == "system_energy"]
    # Yesterday's hours with the set-up, the closing's own hourly call, then four history
    # days, newest first.
    assert [c.query["date_range"] for c in first] == [
        (DAY - timedelta(days=n)).isoformat() for n in (1, 0, 2, 3, 4, 5)
    ]
    rows = await all_rows(hass, coordinator)
    check_running_sum(rows)
    for n in (0, 2, 3, 4, 5):
        day = DAY - timedelta(days=n)
        zone = zone_of(coordinator.site.timezone)
        got = [r["state"] for r in rows if r["start"].date() == day]
        assert got == pytest.approx(api_hourly(simulator, day)[: len(got)], abs=0.011), day
        assert sum(api_hourly(simulator, day)[len(got) :]) == 0, day
        assert zone  # the rows are bucketed by the system's local day

    for day in (DAY + timedelta(days=1), DAY + timedelta(days=2)):
        await until(hass, freezer, night(day))
    assert coordinator.planner.backfill == ()
    last = DAY + timedelta(days=2)

    rows = await all_rows(hass, coordinator)
    check_running_sum(rows)
    by_day: dict[date, list[dict[str, Any]]] = {}
    for row in rows:
        by_day.setdefault(row["start"].date(), []).append(row)
    # Every day from the creation to the last closed one, nothing before or after.
    assert min(by_day) == CREATED
    assert max(by_day) == last
    assert set(by_day) == {CREATED + timedelta(days=i) for i in range((last - CREATED).days + 1)}
    # Fetched hourly: DAY-2..DAY-5 at the first closing, DAY-1 at the next, the closings'
    # own days; DAY-6 had left the sliding hourly range by then and came with its month.
    hourly_from = DAY - timedelta(days=HOURLY_DAYS)
    for day, day_rows in by_day.items():
        if day < hourly_from:
            # Daily resolution: one row at local midnight with the API's day energy.
            assert len(day_rows) == 1, day
            assert day_rows[0]["start"].hour == 0
            assert day_rows[0]["state"] == pytest.approx(simulator.truth.day_energy(day), abs=0.011)
        else:
            assert len(day_rows) >= 20, day
    # The running sum ends on the lifetime at the end of the last closed day.
    end_of_last = day_start(last + timedelta(days=1), zone_of(coordinator.site.timezone))
    assert rows[-1]["sum"] == pytest.approx(simulator.truth.lifetime(end_of_last), abs=1.0)

    # Each history call ran once: no day or month fetched twice.
    history = [
        c.query["date_range"]
        for c in simulator.calls
        if c.endpoint == "system_energy"
        and c.query["date_range"] < (DAY - timedelta(1)).isoformat()
    ]
    assert len(history) == len(set(history))
    assert simulator.calls_this_month() <= simulator.quota

    snapshot_rows = [
        {"start": r["start"].isoformat(), "state": round(r["state"], 2), "sum": round(r["sum"], 2)}
        for r in rows
        if r["start"].date() < CREATED + timedelta(days=3)
    ]
    assert snapshot_rows == snapshot


@pytest.mark.long
@pytest.mark.parametrize("recorder_config", [STEADY_RECORDER])
async def test_days_missed_while_down_are_filled_on_return(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    coordinator: APsystemsCoordinator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Home Assistant stops for three days: back, yesterday is caught up in the morning and
    the days before are filled at the following closings, for the system, each ECU and the
    meter; a transport failure mid-backfill is retried the next day, an API error is not."""
    await until(hass, freezer, night(DAY + timedelta(days=1)))
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    back = DAY + timedelta(days=5)
    freezer.move_to(datetime.fromisoformat(f"{back}T09:00:00+02:00"))
    coordinator = await setup(hass, simulator, mock_config_entry)
    missing = [DAY + timedelta(days=2), DAY + timedelta(days=3)]
    ecus = [e.eid for e in simulator.site.ecus]
    meter = simulator.site.meters[0]
    gap = [c for c in coordinator.planner.backfill if c.day in missing]
    assert [(c.kind, c.target, c.day) for c in gap] == [
        (kind, target, day)
        for day in reversed(missing)
        for kind, target in [("system_hourly", None)]
        + [("ecu_minutely", eid) for eid in ecus]
        + [("meter_minutely", meter)]
    ]
    # The first history meter call of the later missing day fails on the wire (then it is
    # asked again and answers); the earlier day's answers "no data" (final).
    wire, empty_day = str(missing[1]), str(missing[0])
    simulator.inject(
        Fault(endpoint="meter_minutely", date_range=wire, http_status=500),
        Fault(endpoint="meter_minutely", date_range=empty_day, code=1001),
    )
    await until(hass, freezer, night(back + timedelta(days=4)))

    for day in missing:
        rows = await all_rows(hass, coordinator)
        got = [r["state"] for r in rows if r["start"].date() == day]
        assert got == pytest.approx(api_hourly(simulator, day)[: len(got)], abs=0.011)
        for eid in ecus:
            ecu_rows = await all_rows(hass, coordinator, f"{eid}_production")
            got = [r["state"] for r in ecu_rows if r["start"].date() == day]
            assert len(got) >= 18, (eid, day)
            assert got == pytest.approx(
                [round(v, 2) for v in simulator.truth.hourly(day, eid=eid)][: len(got)], abs=0.02
            )
    check_running_sum(await all_rows(hass, coordinator))
    meter_days = set(coordinator.history[f"{meter}_consumption"])
    # The meter day whose call failed on the wire was asked again and filled; the one that
    # answered "no data" (code 1001) is final: not asked again, nothing invented.
    meter_calls = [c for c in simulator.calls if c.endpoint == "meter_minutely"]
    failed = [c.query["date_range"] for c in meter_calls if c.status == 500]
    empty = [c.query["date_range"] for c in meter_calls if c.code == 1001]
    assert failed == [wire]
    assert empty == [empty_day]
    asked = [c.query["date_range"] for c in meter_calls]
    assert asked.count(failed[0]) == 2
    assert date.fromisoformat(failed[0]) in meter_days
    assert asked.count(empty[0]) == 1
    assert date.fromisoformat(empty[0]) not in meter_days
    assert date.fromisoformat(empty[0]) not in {c.day for c in coordinator.planner.backfill}
    assert not [c for c in coordinator.planner.backfill if c.day in missing]
