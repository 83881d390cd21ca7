"""Setting up and unloading a config entry, against the simulator over real HTTP."""

import dataclasses
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
)

from custom_components.apsystems_ema import APsystemsConfigEntry
from custom_components.apsystems_ema.const import CONF_APP_SECRET, CONF_BASE_URL, DOMAIN
from tests.simulator import Fault, Simulator


async def test_setup_and_unload(
    hass: HomeAssistant, simulator: Simulator, mock_config_entry: MockConfigEntry
) -> None:
    """Setup reads the system's details and inventory, then unloads cleanly."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    entry: APsystemsConfigEntry = mock_config_entry
    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data
    assert coordinator.site.sid == simulator.sid
    assert coordinator.site.timezone == simulator.site.timezone
    assert set(coordinator.site.ecus) >= {ecu.eid for ecu in simulator.site.ecus}
    assert coordinator.session.client.base_url == simulator.base_url
    endpoints = [call.endpoint for call in simulator.calls]
    assert endpoints[:3] == ["details", "inverters", "meters"]
    assert coordinator.calls_used == len(simulator.calls)
    calls = len(simulator.calls)

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.NOT_LOADED
    assert len(simulator.calls) == calls


async def test_removing_the_entry_deletes_its_files(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Unloading writes the state, history, answers and panel health files; deleting the
    entry deletes them, and its panel health issues."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    key = f"{DOMAIN}.{mock_config_entry.entry_id}"
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    assert {key, f"{key}.history", f"{key}.answers", f"{key}.health"} <= set(hass_storage)
    issue = f"underperforming_{mock_config_entry.entry_id}_806000001234_1"
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="underperforming_channel",
    )

    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
    assert f"{key}.history" not in hass_storage
    assert f"{key}.answers" not in hass_storage
    assert f"{key}.health" not in hass_storage
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue) is None


@pytest.mark.parametrize("code", [2001, 2003, 3002, 4000])
async def test_setup_auth_failed_starts_reauth(
    hass: HomeAssistant, simulator: Simulator, mock_config_entry: MockConfigEntry, code: int
) -> None:
    """Refused credentials put the entry in error and start a reauth flow."""
    simulator.inject(Fault(endpoint="details", code=code))
    mock_config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_REAUTH
    assert flows[0]["context"]["entry_id"] == mock_config_entry.entry_id
    assert flows[0]["step_id"] == "reauth_confirm"


async def test_setup_wrong_secret_starts_reauth(
    hass: HomeAssistant, simulator: Simulator, mock_config_entry: MockConfigEntry
) -> None:
    """A secret that no longer matches (bad signature, code 4000) asks for new credentials."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={**mock_config_entry.data, CONF_APP_SECRET: "revoked-secret-000000000000000000"},
    )
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert any(
        flow["context"]["source"] == SOURCE_REAUTH
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    )


@pytest.mark.parametrize(
    "fault",
    [
        Fault(endpoint="details", http_status=500),
        Fault(endpoint="details", invalid_json=True),
        Fault(endpoint="details", code=4001),
        Fault(endpoint="details", code=5000),
        Fault(endpoint="details", code=2005),
        Fault(endpoint="details", code=7002),
    ],
)
async def test_setup_not_ready(
    hass: HomeAssistant, simulator: Simulator, mock_config_entry: MockConfigEntry, fault: Fault
) -> None:
    """Transport, response, server and limit errors retry later, without a reauth flow."""
    simulator.inject(fault)
    mock_config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert simulator.calls_this_month() == 1


async def test_setup_unreachable(
    hass: HomeAssistant, simulator: Simulator, mock_config_entry: MockConfigEntry
) -> None:
    """Nothing listens at the server URL: retry later."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_BASE_URL: "http://127.0.0.1:9"}
    )
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert simulator.calls_this_month() == 0


async def test_setup_retries_respect_the_backoff(
    hass: HomeAssistant, simulator: Simulator, mock_config_entry: MockConfigEntry
) -> None:
    """A failed first call backs off: quick setup retries spend no more calls until it ends."""
    simulator.inject(Fault(endpoint="details", http_status=500, times=None))
    mock_config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert simulator.calls_this_month() == 1
    for _ in range(3):
        await hass.config_entries.async_reload(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert simulator.calls_this_month() == 1


async def test_system_without_ecus_is_asked_once_a_day(
    hass: HomeAssistant, simulator: Simulator, mock_config_entry: MockConfigEntry
) -> None:
    """A system with no ECU yet is not ready; its details are not fetched again on retries."""
    simulator.site = dataclasses.replace(simulator.site, ecus=(), meters=())
    mock_config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert [call.endpoint for call in simulator.calls] == ["details"]
