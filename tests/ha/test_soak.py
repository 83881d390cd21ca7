"""A month of polling with random faults and two Home Assistant restarts.

July 2026 (31 days) at the demo site: the clock jumps from one planned wake-up of the
coordinator to the next; before each step a seeded RNG may arm a fault (so every run is the
same). Home Assistant restarts twice (unload, set up again from the persisted Store), the first
time with a state file damaged by hand, the second with the history file lost; an inverter
is left out of the lists for two weeks (removed, then back with its device). At the end:
the calls stayed within the simulator's monthly quota, nothing escaped into the log, no
lifetime sensor ever went backwards, and the lifetimes and every July hour of the imported
statistics equal the simulator's truth. The figures (faults by kind, failed calls, losses)
are printed.
"""

from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
import logging
import random
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (  # type: ignore[import-untyped]
    async_wait_recording_done,
)

from custom_components.apsystems_ema.const import DOMAIN
from custom_components.apsystems_ema.statistics import PRODUCTION, ecu_series
from tests.ha.drive import (
    Watch,
    hourly_rows,
    lifetime_ids,
    run_until,
    statistics_problems,
    unhandled,
)
from tests.ha.helpers import STEADY_RECORDER, config_entry, setup, state_of
from tests.simulator import Fault, Simulator, demo_site

ZONE = ZoneInfo("Europe/Amsterdam")
START = datetime(2026, 7, 1, 0, 30, tzinfo=ZONE)  # the first half hour of the month
END = datetime(2026, 8, 1, 0, 0, tzinfo=ZONE)  # after July's last closing
DAYS = 31
RESTARTS = (datetime(2026, 7, 9, 13, 7, tzinfo=ZONE), datetime(2026, 7, 22, 6, 41, tzinfo=ZONE))
SEED = 7
FAULT_CHANCE = 0.08  # per wake-up of the coordinator

#: Faults the soak draws from: every kind a poll can meet but refused credentials (which
#: stop polling until the user acts; see test_faults) and the exhausted quota (the
#: simulator's own quota check is what this test measures).
PALETTE: tuple[Fault, ...] = (
    *(Fault(code=code) for code in (1000, 1001, 4001, 5000, 6000, 7000, 7001, 7002, 7003)),
    Fault(delay=600),
    Fault(drop=True, times=2),
    Fault(http_status=500),
    Fault(http_status=503),
    Fault(invalid_json=True),
    Fault(octet_stream=True),
    Fault(mismatch=True),
    Fault(nulls=True),
    Fault(truncate=True),
    Fault(scale=-1),  # negative values
    Fault(scale=100),  # power and energy no system of this size gives
    Fault(scale=1e6),  # absurd magnitudes
)
# What each restart finds of the integration's files: the first a state file damaged by
# hand, the second a lost history file (the statistics' sums are then read back).
DAMAGE = ("state", "history")
# An inverter the lists leave out for two weeks (it goes on producing), after the restart
# with the damaged state file: missed by one weekly inventory, removed at the next, back with
# its device when it is listed again.
UNLISTED = (datetime(2026, 7, 12, 12, 0, tzinfo=ZONE), datetime(2026, 7, 26, 12, 0, tzinfo=ZONE))


@pytest.fixture
async def month_sim(socket_enabled: None) -> AsyncIterator[Simulator]:
    """The demo site; its quota month is the system's (Amsterdam) month, like the planner's."""
    async with Simulator(demo_site(START), quota_zone=ZONE) as sim:
        yield sim


@pytest.mark.long
@pytest.mark.parametrize("recorder_config", [STEADY_RECORDER])
async def test_a_month_with_faults_and_restarts(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    month_sim: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """31 days, random faults, two restarts: quota kept, nothing lost, truth at the end."""
    sim = month_sim
    caplog.set_level(logging.INFO, logger="custom_components.apsystems_ema")
    entry = config_entry(sim)
    freezer.move_to(START)
    hass.loop.set_debug(False)  # asyncio's debug mode takes a stack trace per callback
    coordinator = await setup(hass, sim, entry)
    watch = Watch(hass, lifetime_ids(sim))
    rng = random.Random(SEED)
    devices = dr.async_get(hass)
    vanishing = sim.site.ecus[0].inverters[0].uid
    lifecycle: set[str] = set()
    injected: Counter[str] = Counter()
    steps = restarts = 0
    pending_restarts = list(RESTARTS)
    while dt_util.utcnow() < END:
        if pending_restarts and dt_util.utcnow() >= pending_restarts[0]:
            pending_restarts.pop(0)
            assert await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
            key = f"apsystems_ema.{entry.entry_id}"
            if DAMAGE[restarts] == "state":
                hass_storage[key]["data"]["site"]["energy"]["lifetime"] = "abc"
            else:
                hass_storage.pop(f"{key}.history")
            await async_wait_recording_done(hass)  # a stopping Home Assistant commits
            freezer.tick(timedelta(minutes=3))
            coordinator = await setup(hass, sim, entry)
            restarts += 1
        if rng.random() < FAULT_CHANCE:
            fault = rng.choice(PALETTE)
            sim.inject(fault)
            injected[_kind(fault)] += 1
        now = dt_util.utcnow()
        sim.unlisted = {vanishing} if UNLISTED[0] <= now < UNLISTED[1] else set()
        present = devices.async_get_device_by_identifier((DOMAIN, vanishing), entry.entry_id)
        lifecycle.add("present" if present else "removed")
        until = min([END, *pending_restarts, now + timedelta(hours=1)])
        steps += await run_until(hass, freezer, sim, coordinator, until, watch)
    sim.clear_faults()

    used = _calls_in_july(sim)
    faults = sum(injected.values())
    wasted = sum(1 for c in sim.calls if c.code != 0 or c.status != 200)
    figures = (
        f"{DAYS} days, {steps} steps, {faults} faults injected ({dict(injected)}), "
        f"{used} calls of a quota of {sim.quota} "
        f"({wasted} of them answered with an error or not at all), "
        f"{restarts} restarts (a damaged state file, a lost history file), "
        f"an inverter unlisted for two weeks ({', '.join(sorted(lifecycle))}), "
        f"losses: {len(watch.decreases)} lifetime decreases"
    )
    print(figures)  # noqa: T201
    assert restarts == 2, figures
    assert lifecycle == {"present", "removed"}, figures  # removed while unlisted, then back
    assert devices.async_get_device_by_identifier((DOMAIN, vanishing), entry.entry_id)
    assert faults >= 40, figures
    assert used <= sim.quota, figures
    assert used >= 0.9 * sim.quota, figures  # the budget is spent, not hoarded
    assert unhandled(caplog.records) == [], figures
    assert watch.decreases == [], figures
    assert watch.unavailable == set(), figures

    # Lifetimes: exact at the end of the month.
    sid = sim.sid
    assert float(state_of(hass, f"{sid}_lifetime_energy")) == pytest.approx(
        sim.truth.lifetime(END), abs=0.1
    ), figures
    for ecu in sim.site.ecus:
        value = float(state_of(hass, f"{sid}_ecu_{ecu.eid}_lifetime_energy"))
        assert value == pytest.approx(sim.truth.lifetime(END, eid=ecu.eid), abs=0.1), figures
    # Statistics: every July hour of the system and of each ECU, unique and increasing.
    july = START.date()
    expected = {PRODUCTION: [sim.truth.hourly(july + timedelta(days=d)) for d in range(DAYS)]}
    for ecu in sim.site.ecus:
        expected[ecu_series(ecu.eid)] = [
            sim.truth.hourly(july + timedelta(days=d), eid=ecu.eid) for d in range(DAYS)
        ]
    for series, days in expected.items():
        rows = await hourly_rows(hass, coordinator, july, DAYS, series)
        assert statistics_problems(rows) == [], series
        truth = [value for day in days for value in day]
        states = {r["start"]: r["state"] for r in rows}
        total = rows[-1]["sum"] - rows[0]["sum"] + rows[0]["state"]
        assert sum(states.values()) == pytest.approx(sum(truth), abs=0.5), series
        assert total == pytest.approx(sum(truth), abs=0.5), series


def _kind(fault: Fault) -> str:
    if fault.code is not None:
        return f"code {fault.code}"
    if fault.scale is not None:
        return f"scale {fault.scale:g}"
    if fault.truncate:
        return "truncate"
    for name in ("delay", "drop", "http_status", "invalid_json", "octet_stream"):
        if getattr(fault, name):
            return "timeout" if name == "delay" else name
    return "mismatch" if fault.mismatch else "nulls"


def _calls_in_july(sim: Simulator) -> int:
    return sum(1 for c in sim.calls if c.at.astimezone(ZONE).month == 7)
