"""The last raw answer of each endpoint kind: kept from every call, in the entry's own file,
and shown by diagnostics under ``answers`` with nothing that identifies."""

from collections.abc import AsyncIterator
from datetime import timedelta
import json
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.apsystems_ema.const import (
    ANSWERS_HANDOFF,
    CONF_APP_ID,
    CONF_APP_SECRET,
    CONF_BASE_URL,
    CONF_SID,
    DOMAIN,
)
from custom_components.apsystems_ema.coordinator import APsystemsCoordinator
from custom_components.apsystems_ema.diagnostics import async_get_config_entry_diagnostics
from custom_components.apsystems_ema.openapi.answers import MAX_BLOCK_BYTES, decode_block
from tests.ha.helpers import MORNING, VISITOR_CODE, config_entry, setup
from tests.simulator import Simulator, storage_site, subuser_site

# What a first set-up in the morning asks of the demo site, by kind.
SET_UP = {
    "details",
    "inverters",
    "meters",
    "system_summary",
    "system_energy",
    "ecu_summary",
    "inverter_summary",
    "batch_power",
    "meter_summary",
    "meter_minutely",
}


def identifying(sim: Simulator) -> list[str]:
    """The App ID, App Secret, SID, every serial (a shared ECU's main id too) and the
    visitor code of a simulated account."""
    site = sim.site
    found = [sim.app_id, sim.app_secret, sim.sid, *site.meters]
    for ecu in site.ecus:
        found += [ecu.eid, *(inv.uid for inv in ecu.inverters)]
        found += [ecu.main_eid] if ecu.main_eid else []
    for unit in site.storages:
        found += [unit.eid, *([unit.main_eid] if unit.main_eid else [])]
    return found + ([site.authorization_code] if site.authorization_code else [])


async def diagnostics(hass: HomeAssistant, coordinator: APsystemsCoordinator) -> dict[str, Any]:
    """The entry's diagnostics."""
    return await async_get_config_entry_diagnostics(hass, coordinator.config_entry)


async def test_diagnostics_show_the_answers_of_the_set_up(
    hass: HomeAssistant, simulator: Simulator, coordinator: APsystemsCoordinator
) -> None:
    """After the set-up each endpoint kind asked shows its last answer: when, for which
    (aliased) target, with which query, as received (lists cut, their counts beside)."""
    answers = (await diagnostics(hass, coordinator))["answers"]
    endpoints = answers["endpoints"]
    assert set(endpoints) == SET_UP == {c.endpoint for c in simulator.calls}
    assert answers["version"] == 1
    assert answers["points"] == 24
    assert {r["at"] for r in endpoints.values()} == {MORNING.isoformat()}
    assert endpoints["details"]["target"] == "sid"
    assert endpoints["details"]["data"]["ecu"] == ["ecu_1", "ecu_2"]
    assert endpoints["ecu_summary"]["target"] in {"ecu_1", "ecu_2"}
    batch = endpoints["batch_power"]
    assert batch["params"] == {"energy_level": "power", "date_range": "2026-06-17"}
    assert len(batch["data"]["time"]) == 24
    assert batch["counts"]["time"] > 24
    assert all(key.startswith("inverter_") for key in batch["data"]["power"])
    assert len(json.dumps(answers).encode()) <= MAX_BLOCK_BYTES


async def test_the_answers_survive_a_reload_without_a_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    coordinator: APsystemsCoordinator,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Unloaded and set up again, the entry shows the same answers (the set-up's summaries
    too) from its own file, and has asked nothing to fill them."""
    before = (await diagnostics(hass, coordinator))["answers"]
    calls = len(simulator.calls)
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    stored = hass_storage[f"{DOMAIN}.{mock_config_entry.entry_id}.answers"]["data"]
    assert set(decode_block(stored)) == set(decode_block(before))
    freezer.tick(timedelta(minutes=1))
    coordinator = await setup(hass, simulator, mock_config_entry)
    assert len(simulator.calls) == calls
    assert (await diagnostics(hass, coordinator))["answers"] == before


async def test_new_answers_are_written_soon(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    coordinator: APsystemsCoordinator,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """New answers are written a minute after the poll that brought them."""
    key = f"{DOMAIN}.{mock_config_entry.entry_id}.answers"
    assert key not in hass_storage
    assert not coordinator.session.answers.changed  # the write is scheduled
    freezer.tick(timedelta(seconds=61))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert set(hass_storage[key]["data"]["endpoints"]) == SET_UP


@pytest.mark.parametrize("stored", [{"version": 1, "endpoints": []}, ["not", "a", "block"]])
async def test_an_unreadable_answers_file_starts_afresh(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    stored: object,
) -> None:
    """A damaged answers file is named once in the log and replaced by the new answers."""
    hass_storage[f"{DOMAIN}.{mock_config_entry.entry_id}.answers"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{mock_config_entry.entry_id}.answers",
        "data": stored,
    }
    freezer.move_to(MORNING)
    caplog.set_level(logging.WARNING)
    coordinator = await setup(hass, simulator, mock_config_entry)
    assert caplog.text.count("nreadable stored answers") == 1
    assert set((await diagnostics(hass, coordinator))["answers"]["endpoints"]) == SET_UP


@pytest.fixture(params=["pv_storage", "subuser"])
async def account(request: pytest.FixtureRequest, socket_enabled: None) -> AsyncIterator[Simulator]:
    """A PV + storage system with its visitor code, or a system shared with a sub-user
    (``main-virtual`` ids, a shared battery too)."""
    if request.param == "pv_storage":
        site = storage_site(MORNING, authorization_code=VISITOR_CODE)
    else:
        site = subuser_site(MORNING, storage=True)
    async with Simulator(site) as sim:
        yield sim


async def test_no_secret_and_no_serial_in_the_answers(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, account: Simulator
) -> None:
    """The serialized diagnostics hold no App ID, App Secret, SID, serial or visitor code;
    the batteries' answers and the shared ids are there, aliased."""
    freezer.move_to(MORNING)
    coordinator = await setup(hass, account, config_entry(account))
    text = json.dumps(await diagnostics(hass, coordinator))
    assert [s for s in identifying(account) if s in text] == []
    answers = json.loads(text)["answers"]["endpoints"]
    assert answers["storage_latest"]["code"] == 0
    assert answers["storage_latest"]["target"].startswith("ecu_")
    if account.site.authorization_code:
        assert answers["details"]["data"]["authorization_code"] == "**REDACTED**"
    else:
        assert answers["details"]["data"]["ecu"] == [
            "ecu_1_main-ecu_1",
            "ecu_2_main-ecu_2",
            "ecu_3_main-ecu_3",
        ]


async def test_the_config_flows_details_are_the_first_answer(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, pv_storage: Simulator
) -> None:
    """Added through the config flow, the entry reuses the details the flow asked for, and
    shows that answer (its visitor code removed) without asking again."""
    freezer.move_to(MORNING)
    hass.config.latitude, hass.config.longitude = (
        pv_storage.site.latitude,
        pv_storage.site.longitude,
    )
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_APP_ID: pv_storage.app_id,
            CONF_APP_SECRET: pv_storage.app_secret,
            CONF_SID: pv_storage.sid,
            CONF_BASE_URL: pv_storage.base_url,
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert [c.endpoint for c in pv_storage.calls].count("details") == 1
    details = (await diagnostics(hass, result["result"].runtime_data))["answers"]["endpoints"][
        "details"
    ]
    assert details["data"]["authorization_code"] == "**REDACTED**"
    assert details["target"] == "sid"
    assert hass.data[ANSWERS_HANDOFF] == {}
