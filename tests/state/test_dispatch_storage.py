"""A battery's answers folded into the state and the hourly records by the dispatch table
(pure Python: the real client against the simulator, no Home Assistant)."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import aiohttp
import pytest

from custom_components.apsystems_ema.dispatch import Dispatcher
from custom_components.apsystems_ema.openapi import APsystemsClient, APsystemsResponseError
from custom_components.apsystems_ema.planner import CallKind, PlannedCall
from custom_components.apsystems_ema.planner.backfill import first_hourly_day
from custom_components.apsystems_ema.records import HourlyRecords, storage_series
from custom_components.apsystems_ema.state import SiteState
from tests.simulator import Fault, Simulator, storage_site

NOON = datetime(2026, 6, 21, 11, 2, tzinfo=UTC)  # 13:02 in Amsterdam
BATTERY = "216200003456"


@pytest.fixture
async def setup(socket_enabled: None) -> AsyncIterator[tuple[Simulator, Dispatcher]]:
    async with (
        Simulator(storage_site(NOON), clock=lambda: NOON, max_skew=None) as sim,
        aiohttp.ClientSession() as session,
    ):
        client = APsystemsClient(
            sim.app_id, sim.app_secret, sim.sid, session=session, base_url=sim.base_url
        )
        site, records = SiteState(sim.sid), HourlyRecords()
        dispatcher = Dispatcher(client, site, records)
        for kind in (CallKind.DETAILS, CallKind.INVENTORY):
            await dispatcher.run(PlannedCall(kind), NOON)
        yield sim, dispatcher


async def test_a_months_daily_energies_fill_the_days_before_the_hourly_range(
    setup: tuple[Simulator, Dispatcher],
) -> None:
    sim, dispatcher = setup
    site, records = dispatcher.site, dispatcher.records
    today = site.local_day(NOON)
    month = date(2026, 3, 1)
    await dispatcher.run(PlannedCall(CallKind.STORAGE_DAILY, BATTERY, month, backfill=True), NOON)
    charge = records.days(storage_series(BATTERY, "battery_charge"))
    assert sorted(charge) == [month + timedelta(days=i) for i in range(31)]
    truth = sim.truth.storage_series(BATTERY, "daily", month, NOON)
    assert [charge[d][0] for d in sorted(charge)] == pytest.approx(
        [t.charge for t in truth], abs=0.001
    )
    # Days in the hourly range are the hourly list's, never a daily row.
    recent = first_hourly_day(today, site.create_date, records.hourly_days).replace(day=1)
    await dispatcher.run(PlannedCall(CallKind.STORAGE_DAILY, BATTERY, recent, backfill=True), NOON)
    first_hourly = first_hourly_day(today, site.create_date, records.hourly_days)
    assert max(charge) < first_hourly
    assert site.storage_prefix is not None  # learnt with the first storage call


async def test_an_impossible_day_is_refused_and_nothing_kept(
    setup: tuple[Simulator, Dispatcher],
) -> None:
    sim, dispatcher = setup
    sim.inject(Fault(endpoint="storage_period", scale=1e5))
    with pytest.raises(APsystemsResponseError, match="implausible data: storage day"):
        await dispatcher.run(
            PlannedCall(CallKind.STORAGE_DAILY, BATTERY, date(2026, 3, 1), backfill=True), NOON
        )
    assert dispatcher.records.series == {}
