"""Helpers of the Home Assistant tests: set an entry up, move a frozen clock."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, override

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.core import Recorder
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.components.recorder.tasks import RecorderTask
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.recorder import get_instance
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (  # type: ignore[import-untyped]
    async_wait_recording_done,
)

from custom_components.apsystems_ema.const import (
    CONF_APP_ID,
    CONF_APP_SECRET,
    CONF_BASE_URL,
    CONF_SID,
    DOMAIN,
)
from custom_components.apsystems_ema.coordinator import APsystemsCoordinator
from tests.simulator import Simulator

#: Home Assistant's own recorder set-up, a commit every 5 s, for the tests that run days or
#: a month (the harness commits after every event, which would make them the recorder's
#: benchmark): ``@pytest.mark.parametrize("recorder_config", [STEADY_RECORDER])``.
STEADY_RECORDER: dict[str, Any] = {"commit_interval": 5}

#: The visitor authorization code of the PV + storage site (a secret: never logged or shown).
VISITOR_CODE = "EMAvisitor7c41d2"

# 10:00 in Amsterdam on a long summer day.
MORNING = datetime.fromisoformat("2026-06-17T08:00:00+00:00")


def config_entry(sim: Simulator, **extra: Any) -> MockConfigEntry:
    """A config entry of the simulated system (not added to hass); ``extra`` goes to
    ``MockConfigEntry`` (e.g. ``options``, ``entry_id``)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"APsystems {sim.sid}",
        unique_id=sim.sid,
        data={
            CONF_APP_ID: sim.app_id,
            CONF_APP_SECRET: sim.app_secret,
            CONF_SID: sim.sid,
            CONF_BASE_URL: sim.base_url,
        },
        **extra,
    )


async def setup(
    hass: HomeAssistant, sim: Simulator, entry: MockConfigEntry
) -> APsystemsCoordinator:
    """Set the entry up with Home Assistant located at the simulated site."""
    hass.config.latitude = sim.site.latitude
    hass.config.longitude = sim.site.longitude
    if entry.state is ConfigEntryState.NOT_LOADED and entry.entry_id not in {
        e.entry_id for e in hass.config_entries.async_entries(DOMAIN)
    }:
        entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator: APsystemsCoordinator = entry.runtime_data
    return coordinator


def state_of(hass: HomeAssistant, unique_id: str, platform: str = "sensor") -> str:
    """The state of the entity with this unique id."""
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    """Move the clock in 5-minute steps, letting scheduled refreshes run."""
    step = timedelta(minutes=5)
    while delta > timedelta(0):
        freezer.tick(min(step, delta))
        delta -= step
        async_fire_time_changed(hass)
        # Refreshes run as background tasks: let their HTTP calls finish before time moves.
        await hass.async_block_till_done(wait_background_tasks=True)


@dataclass(slots=True)
class _Read(RecorderTask):
    """A read run on the recorder's own thread, after it commits: with the tests' in-memory
    database (one connection, which the recorder's session may keep between commits while
    the clock is frozen) a read from another thread can wait for it in vain."""

    read: Callable[[], Any]
    future: asyncio.Future[Any]

    @override
    def run(self, instance: Recorder) -> None:
        result = self.read()
        instance.hass.loop.call_soon_threadsafe(self.future.set_result, result)


async def recorded_rows(
    hass: HomeAssistant, statistic_id: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """The recorder's hourly rows of a statistic in [start, end): start (UTC), state, sum."""
    await async_wait_recording_done(hass)
    future: asyncio.Future[Any] = hass.loop.create_future()
    get_instance(hass).queue_task(
        _Read(
            lambda: statistics_during_period(
                hass, start, end, {statistic_id}, "hour", None, {"state", "sum"}
            ),
            future,
        )
    )
    result = await future
    return [
        {
            "start": datetime.fromtimestamp(r["start"], UTC),
            "state": float(r["state"] or 0.0),
            "sum": float(r["sum"] or 0.0),
        }
        for r in result.get(statistic_id, [])
    ]
