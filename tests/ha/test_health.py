"""Panel health through the whole integration, against the simulator over HTTP.

The entry has run for two weeks before (its health file holds what the pure learner made of
those days' batch curves and energies, as the integration would have: see :func:`learned`).
It is set up at 10:00 on a sunny June day on which one module is dead; that evening's
closing turns its Underperforming on (its relative yield 0 %, a repair issue naming it); a
reload keeps all that without a call; the module is back the next days, and after the
second good day the binary sensor is off and the issue gone (no call is added for any of
it: the month benchmark counts the calls).
"""

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest

from custom_components.apsystems_ema.const import DOMAIN
from custom_components.apsystems_ema.coordinator import APsystemsCoordinator
from custom_components.apsystems_ema.diagnostics import async_get_config_entry_diagnostics
from custom_components.apsystems_ema.health import Health
from custom_components.apsystems_ema.openapi import BatchEnergy, BatchPower
from tests.ha.drive import run_until, settle
from tests.ha.helpers import STEADY_RECORDER, config_entry, setup
from tests.health.helpers import site_state
from tests.simulator import ChannelFault, Simulator, Site, demo_site

SETUP = datetime(2026, 6, 19, 8, 0, tzinfo=UTC)  # 10:00 in Amsterdam, a sunny day
DAY = date(2026, 6, 19)  # the next two days are sunny too
LEARNED = 14  # days the entry ran before
DEAD = ("806000001235", 2)  # a DS3's second module, dead on DAY only
ENTRY = "health0entry"
HEALTH_FILE = f"{DOMAIN}.{ENTRY}.health"


def site() -> Site:
    """The demo site (two ECUs, four DS3 and two QT2) with the dead module."""
    return replace(demo_site(SETUP), faults=(ChannelFault(DEAD[0], DEAD[1], DAY, DAY),))


def learned(sim: Simulator, days: int) -> Health:
    """What the integration learned over the ``days`` before the set-up: each day's batch
    curves (the whole day, as the day's last poll sees it) and batch energies."""
    health, state = Health(), site_state(sim.site)
    zone = sim.site.zone
    for n in range(days, 0, -1):
        day = DAY - timedelta(days=n)
        evening = datetime.combine(day, time(23, 30), zone)
        for ecu in sim.site.ecus:
            curve = sim.batch_data(ecu.eid, day, evening, "power")
            health.observe_curve(BatchPower.from_api(curve, day))
        for ecu in sim.site.ecus:
            energy = sim.batch_data(ecu.eid, day, evening, "energy")
            health.observe_energy(state, ecu.eid, BatchEnergy.from_api(energy, day))
    return health


@pytest.fixture
def recorder_config() -> dict[str, Any]:
    """Home Assistant's commit interval, no entity states (read from the state machine)."""
    return {**STEADY_RECORDER, "exclude": {"domains": ["sensor", "button", "binary_sensor"]}}


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[Simulator]:
    """The simulator of the site."""
    async with Simulator(site()) as simulator:
        yield simulator


def _state(hass: HomeAssistant, unique_id: str, platform: str) -> Any:
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


def _figure(hass: HomeAssistant, unique_id: str) -> float:
    return float(_state(hass, unique_id, "sensor").state)


def _issues(hass: HomeAssistant) -> dict[str, ir.IssueEntry]:
    return {
        issue_id: issue
        for (domain, issue_id), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue_id.startswith("underperforming_")
    }


async def _until_after_closing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: Simulator,
    coordinator: APsystemsCoordinator,
    day: date,
) -> None:
    """Run to 01:00 after ``day`` (its closing done)."""
    end = datetime.combine(day + timedelta(days=1), time(1), sim.site.zone)
    await run_until(hass, freezer, sim, coordinator, end)
    await settle(hass, freezer, sim)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_a_dead_module_through_the_integration(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: Simulator,
    hass_storage: dict[str, Any],
) -> None:
    """Flagged at the closing of the day it died, kept over a reload, cleared after two
    good days; the figures of the healthy ones are their truth (about 100 %)."""
    hass.loop.set_debug(False)
    sid, (uid, number) = sim.sid, DEAD
    health = learned(sim, LEARNED)
    assert min(health.model.days.values(), default=0) >= 3
    hass_storage[HEALTH_FILE] = {
        "version": 1,
        "minor_version": 1,
        "key": HEALTH_FILE,
        "data": health.as_dict(),
    }
    freezer.move_to(SETUP)
    entry = config_entry(sim, entry_id=ENTRY)
    coordinator = await setup(hass, sim, entry)
    loaded = coordinator.session.health.as_dict()
    assert loaded["open"][0]["day"] == DAY.isoformat()  # the set-up's first poll, already
    assert {**loaded, "open": []} == health.as_dict()
    channel = f"{sid}_{uid}_ch{number}"
    # Before the closing: the figures of the last day closed; nothing of today yet.
    assert _state(hass, f"{channel}_relative_yield", "sensor").attributes["day"] == "2026-06-17"
    assert _state(hass, f"{channel}_underperforming", "binary_sensor").state == "off"
    assert _issues(hass) == {}

    await _until_after_closing(hass, freezer, sim, coordinator, DAY)
    calls = len(sim.calls)
    problem = _state(hass, f"{channel}_underperforming", "binary_sensor")
    assert problem.state == "on"
    assert problem.attributes["since"] == DAY.isoformat()
    assert problem.attributes["device_class"] == "problem"
    figure = _state(hass, f"{channel}_relative_yield", "sensor")
    assert float(figure.state) == 0.0
    assert figure.attributes["day"] == DAY.isoformat()
    assert figure.attributes["unit_of_measurement"] == "%"
    assert _figure(hass, f"{sid}_{uid}_relative_yield") == pytest.approx(50, abs=3)
    assert _state(hass, f"{sid}_{uid}_underperforming", "binary_sensor").state == "off"
    healthy = [
        (inv.uid, n)
        for inv in sim.site.inverters
        for n in range(1, inv.channels + 1)
        if (inv.uid, n) != DEAD
    ]
    for other, n in healthy:
        assert _figure(hass, f"{sid}_{other}_ch{n}_relative_yield") == pytest.approx(100, abs=3)
        assert _state(hass, f"{sid}_{other}_ch{n}_underperforming", "binary_sensor").state == "off"
        state = _state(hass, f"{sid}_{other}_ch{n}_relative_yield", "sensor")
        assert state.attributes["group"] == 1  # the demo site's modules all face south
    issue = _issues(hass)[f"underperforming_{ENTRY}_{uid}_{number}"]
    assert issue.translation_key == "underperforming_channel"
    assert issue.translation_placeholders == {
        "inverter": uid,
        "channel": str(number),
        "figure": "0",
        "since": DAY.isoformat(),
    }
    assert issue.is_fixable is False
    assert len(_issues(hass)) == 1
    # The diagnostics say what was learned, serials aliased.
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    learned_now = diagnostics["health"]
    assert learned_now["groups"] == 1
    assert learned_now["closed"] == DAY.isoformat()
    assert len(learned_now["channels"]) == len(healthy) + 1
    (flagged,) = learned_now["underperforming"]
    assert flagged.endswith("-2")
    assert uid not in json.dumps(diagnostics)

    # A reload (at night) keeps what was learned and decided, without a call.
    before = coordinator.session.health.as_dict()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await settle(hass, freezer, sim)
    coordinator = entry.runtime_data
    assert coordinator.session.health.as_dict() == before
    assert len(sim.calls) == calls
    assert _state(hass, f"{channel}_underperforming", "binary_sensor").state == "on"
    assert _figure(hass, f"{channel}_relative_yield") == 0.0
    assert set(_issues(hass)) == {f"underperforming_{ENTRY}_{uid}_{number}"}

    # Back the next day: one good day is not enough; the figure is of the last closed day.
    await _until_after_closing(hass, freezer, sim, coordinator, DAY + timedelta(days=1))
    assert _state(hass, f"{channel}_underperforming", "binary_sensor").state == "on"
    figure = _state(hass, f"{channel}_relative_yield", "sensor")
    assert float(figure.state) == pytest.approx(100, abs=3)
    assert figure.attributes["day"] == (DAY + timedelta(days=1)).isoformat()
    noon = datetime.combine(DAY + timedelta(days=2), time(13), sim.site.zone)
    await run_until(hass, freezer, sim, coordinator, noon)
    assert (
        _state(hass, f"{channel}_relative_yield", "sensor").attributes["day"]
        == (DAY + timedelta(days=1)).isoformat()
    )
    assert len(_issues(hass)) == 1
    await _until_after_closing(hass, freezer, sim, coordinator, DAY + timedelta(days=2))
    problem = _state(hass, f"{channel}_underperforming", "binary_sensor")
    assert problem.state == "off"
    assert problem.attributes["since"] is None
    assert _issues(hass) == {}
    # What was learned went to the health file.
    await hass.config_entries.async_unload(entry.entry_id)
    stored = hass_storage[HEALTH_FILE]
    assert stored["minor_version"] == 1
    assert stored["data"]["closed"] == (DAY + timedelta(days=2)).isoformat()


async def test_new_entities_before_anything_was_learned(
    hass: HomeAssistant, coordinator: APsystemsCoordinator
) -> None:
    """Set up on a first morning: each inverter and channel has its relative yield (the
    channels' disabled by default) and its Underperforming binary sensor, all diagnostic
    and unknown until a closed day judged them; no issue."""
    registry = er.async_get(hass)
    sid = coordinator.site.sid
    for uid, inverter in coordinator.site.inverters.items():
        keys = [(f"{sid}_{uid}", True)]
        keys += [(f"{sid}_{uid}_ch{n}", False) for n in inverter.channels]
        for prefix, enabled in keys:
            yield_id = registry.async_get_entity_id("sensor", DOMAIN, f"{prefix}_relative_yield")
            problem_id = registry.async_get_entity_id(
                "binary_sensor", DOMAIN, f"{prefix}_underperforming"
            )
            assert yield_id is not None
            assert problem_id is not None
            entry = registry.async_get(yield_id)
            assert entry is not None
            assert entry.entity_category is EntityCategory.DIAGNOSTIC
            assert (entry.disabled_by is None) is enabled
            assert entry.has_entity_name
            problem = registry.async_get(problem_id)
            assert problem is not None
            assert problem.disabled_by is None
            assert problem.entity_category is EntityCategory.DIAGNOSTIC
            assert hass.states.get(problem_id).state == "unknown"  # type: ignore[union-attr]
            if enabled:
                assert hass.states.get(yield_id).state == "unknown"  # type: ignore[union-attr]
    assert _issues(hass) == {}


@pytest.mark.parametrize(
    ("stored", "warning"),
    [
        ({"version": 1, "minor_version": 1, "data": {"closed": 20260619}}, "panel health"),
        ({"version": 2, "minor_version": 0, "data": {}}, "health file"),
    ],
)
async def test_an_unreadable_health_file_starts_afresh(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    stored: dict[str, Any],
    warning: str,
) -> None:
    """A damaged health file, or one of another major version, is set aside with one
    warning: the entry loads and learns anew."""
    entry = config_entry(simulator, entry_id=ENTRY)
    hass_storage[HEALTH_FILE] = {"key": HEALTH_FILE, **stored}
    freezer.move_to(SETUP)
    coordinator = await setup(hass, simulator, entry)
    health = coordinator.session.health
    assert (health.days, health.channels, health.closed) == ([], {}, None)
    assert f"unreadable stored {warning}" in caplog.text
