"""Snapshots of every entity (registry entry and state) and of diagnostics."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
import json
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.apsystems_ema.const import (
    CONF_BASE_URL,
)
from custom_components.apsystems_ema.diagnostics import async_get_config_entry_diagnostics
from tests.conftest import secrets_in
from tests.ha.helpers import config_entry
from tests.simulator import Simulator, demo_site

MORNING = datetime.fromisoformat("2026-06-17T08:00:00+00:00")


@pytest.fixture
async def fixed_simulator(
    socket_enabled: None, freezer: FrozenDateTimeFactory
) -> AsyncIterator[Simulator]:
    """The demo site built for a fixed date, so every figure is the same on every run."""
    freezer.move_to(MORNING)
    async with Simulator(demo_site(MORNING - timedelta(days=30))) as sim:
        yield sim


async def load(hass: HomeAssistant, sim: Simulator, platform: Platform) -> MockConfigEntry:
    """Set up only ``platform`` for the simulated system, at the site's location."""
    hass.config.latitude, hass.config.longitude = sim.site.latitude, sim.site.longitude
    entry = config_entry(sim, entry_id="01SNAPSHOTENTRY0000000000")
    entry.add_to_hass(hass)
    with patch("custom_components.apsystems_ema.PLATFORMS", [platform]):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    return entry


def entity_view(hass: HomeAssistant, entry: er.RegistryEntry) -> dict[str, object]:
    """What a user and a reviewer see of an entity (no random registry ids)."""
    state = hass.states.get(entry.entity_id)
    assert state is not None, entry.entity_id
    return {
        "unique_id": entry.unique_id,
        "translation_key": entry.translation_key,
        "original_name": entry.original_name,
        "device_class": entry.original_device_class,
        "entity_category": entry.entity_category,
        "capabilities": entry.capabilities,
        "unit": entry.unit_of_measurement,
        "state": state.state,
        "attributes": dict(state.attributes),
    }


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR, Platform.BUTTON])
async def test_entities(
    hass: HomeAssistant,
    fixed_simulator: Simulator,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every entity of the platform, enabled, with its state after the first poll."""
    entry = await load(hass, fixed_simulator, platform)
    entries = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    assert entries
    assert all(e.disabled_by is None for e in entries)
    view = {e.entity_id: entity_view(hass, e) for e in sorted(entries, key=lambda e: e.entity_id)}
    assert view == snapshot


async def test_diagnostics(
    hass: HomeAssistant, fixed_simulator: Simulator, snapshot: SnapshotAssertion
) -> None:
    """Diagnostics after the first poll (redacted), with the last raw answer of each endpoint
    kind asked: no secret and no serial in it."""
    entry = await load(hass, fixed_simulator, Platform.SENSOR)
    data = await async_get_config_entry_diagnostics(hass, entry)
    assert data["entry"]["data"].pop(CONF_BASE_URL) == fixed_simulator.base_url  # random port
    assert data == snapshot
    text = json.dumps(data)
    site = fixed_simulator.site
    serials = [
        site.sid,
        *site.meters,
        *(e.eid for e in site.ecus),
        *(i.uid for i in site.inverters),
    ]
    assert secrets_in(text, [fixed_simulator]) + [s for s in serials if s in text] == []
