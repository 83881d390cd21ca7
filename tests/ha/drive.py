"""Drive a set-up entry through simulated time, poll by poll, and watch what users see.

Shared by the fault matrix and the soak test: time jumps straight to the coordinator's next
wake-up (never more than an hour at night), a request that hangs on a ``delay`` fault gets
the client's timeout by moving the clock past it, and every step checks that no lifetime
sensor went backwards.
"""

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    async_fire_time_changed,
)

from custom_components.apsystems_ema.const import DOMAIN
from custom_components.apsystems_ema.coordinator import APsystemsCoordinator
from custom_components.apsystems_ema.history import day_start
from custom_components.apsystems_ema.openapi.client import DEFAULT_TIMEOUT
from custom_components.apsystems_ema.state import METER_KEYS, zone_of
from custom_components.apsystems_ema.statistics import statistic_id
from tests.ha.helpers import recorded_rows
from tests.simulator import Simulator

UNAVAILABLE = "unavailable"
# Log lines that mean an exception escaped the integration.
# The update coordinator's DEBUG companion of a failure it logged (and handled).
HA_DETAIL = "Full error:"
UNHANDLED = ("Error doing job", "Unexpected error", "Traceback", "Task exception was never")


def lifetime_ids(sim: Simulator) -> list[str]:
    """Unique ids of every total-increasing lifetime sensor of the simulated site."""
    sid = sim.sid
    ids = [f"{sid}_lifetime_energy"]
    ids += [f"{sid}_ecu_{ecu.eid}_lifetime_energy" for ecu in sim.site.ecus]
    for meter in sim.site.meters:
        ids += [f"{sid}_meter_{meter}_{key}_lifetime" for key in METER_KEYS]
    return ids


@dataclass
class Watch:
    """Samples the lifetime sensors after every step; remembers decreases and outages."""

    hass: HomeAssistant
    ids: list[str]
    last: dict[str, float] = field(default_factory=dict)
    decreases: list[str] = field(default_factory=list)
    unavailable: set[str] = field(default_factory=set)
    samples: int = 0

    def sample(self) -> None:
        """Read every lifetime sensor once."""
        registry = er.async_get(self.hass)
        self.samples += 1
        for unique_id in self.ids:
            entity_id = registry.async_get_entity_id("sensor", DOMAIN, unique_id)
            state = self.hass.states.get(entity_id) if entity_id else None
            if state is None:
                continue
            if state.state == UNAVAILABLE:
                self.unavailable.add(unique_id)
                continue
            try:
                value = float(state.state)
            except ValueError:
                continue
            before = self.last.get(unique_id)
            if before is not None and value < before - 1e-9:
                self.decreases.append(f"{unique_id}: {before} -> {value} at {dt_util.utcnow()}")
            self.last[unique_id] = max(value, before or value)


async def settle(hass: HomeAssistant, freezer: FrozenDateTimeFactory, sim: Simulator) -> None:
    """Let scheduled work finish; a request stalled on a ``delay`` fault times out in the
    client (the clock moves past its timeout) instead of blocking the test."""
    done = asyncio.ensure_future(hass.async_block_till_done(wait_background_tasks=True))
    while True:
        sim.stall_changed.clear()
        if sim.stalled:
            # Only the stalled request is in flight: the client gives up, the server notices.
            before = sim.stalled
            freezer.tick(timedelta(seconds=DEFAULT_TIMEOUT + 1))
            async_fire_time_changed(hass)
            while sim.stalled >= before:
                sim.stall_changed.clear()
                await sim.stall_changed.wait()
            continue
        if done.done():
            break
        changed = asyncio.ensure_future(sim.stall_changed.wait())
        await asyncio.wait({done, changed}, return_when=asyncio.FIRST_COMPLETED)
        changed.cancel()
    await done


async def step(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sim: Simulator, delta: timedelta
) -> None:
    """Move the clock and run whatever fell due."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await settle(hass, freezer, sim)


async def run_until(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: Simulator,
    coordinator: APsystemsCoordinator,
    end: datetime,
    watch: Watch | None = None,
) -> int:
    """Jump from wake-up to wake-up of the coordinator until ``end``; returns the steps."""
    steps = 0
    while (now := dt_util.utcnow()) < end:
        interval = coordinator.update_interval or timedelta(minutes=5)
        await step(hass, freezer, sim, max(min(interval, end - now), timedelta(seconds=1)))
        steps += 1
        if watch is not None:
            watch.sample()
    return steps


def unhandled(records: list[logging.LogRecord]) -> list[str]:
    """Log lines that show an exception escaping (or any record carrying a traceback)."""
    return [
        f"{r.name}: {r.getMessage()}"
        for r in records
        if (r.exc_info is not None and r.getMessage() != HA_DETAIL)
        or any(text in r.getMessage() for text in UNHANDLED)
    ]


async def hourly_rows(
    hass: HomeAssistant, coordinator: APsystemsCoordinator, first: date, days: int, series: str
) -> list[dict[str, Any]]:
    """The recorder's hourly rows of a series over local days (start, state, sum)."""
    zone = zone_of(coordinator.site.timezone)
    return await recorded_rows(
        hass,
        statistic_id(coordinator.site.sid, series),
        day_start(first, zone),
        day_start(first + timedelta(days=days), zone),
    )


def statistics_problems(rows: list[dict[str, Any]]) -> list[str]:
    """Duplicated hours, or sums that go backwards."""
    problems = []
    starts = [r["start"] for r in rows]
    if len(set(starts)) != len(starts):
        problems.append("duplicate hours")
    if starts != sorted(starts):
        problems.append("hours out of order")
    sums = [r["sum"] for r in rows]
    problems += [f"sum goes back at row {i}" for i in range(1, len(sums)) if sums[i] < sums[i - 1]]
    return problems
