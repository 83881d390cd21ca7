"""Config, reauth, reconfigure and options flows, against the simulator over real HTTP."""

from collections.abc import Awaitable, Callable
import dataclasses
import json
import logging
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType, InvalidData
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
)

from custom_components.apsystems_ema import config_flow
from custom_components.apsystems_ema.const import (
    CONF_APP_ID,
    CONF_APP_SECRET,
    CONF_AUTOMATIC_INTERVAL,
    CONF_BASE_URL,
    CONF_DETAIL_TELEMETRY,
    CONF_FIXED_INTERVAL,
    CONF_FOLLOW_SUN,
    CONF_IMPORT_STATISTICS,
    CONF_MONTHLY_QUOTA,
    CONF_SID,
    CONF_SUNRISE_OFFSET,
    CONF_SUNSET_OFFSET,
    CONF_UNDERPERFORMING,
    DEFAULT_OPTIONS,
    DOMAIN,
    DetailTelemetry,
)
from custom_components.apsystems_ema.openapi import (
    DEFAULT_BASE_URL,
    APsystemsClient,
    SystemDetails,
)
from tests.simulator import Fault, Simulator, build_site

WRONG_SECRET = "not-the-secret-0000000000000000"


def details_calls(simulator: Simulator) -> int:
    """System-details calls: the flow validates with exactly one per submit.

    Setting the entry up afterwards reuses the flow's answer, and a reload restores the
    stored state, so neither adds one.
    """
    return sum(call.endpoint == "details" for call in simulator.calls)


def user_input(sim: Simulator, **changes: str) -> dict[str, str]:
    """The user step's form, filled in with the simulator's credentials."""
    return {
        CONF_APP_ID: sim.app_id,
        CONF_APP_SECRET: sim.app_secret,
        CONF_SID: sim.sid,
        CONF_BASE_URL: sim.base_url,
    } | changes


def suggested_values(result: FlowResult[Any, Any]) -> dict[str, Any]:
    """The values a form shows pre-filled."""
    assert result["data_schema"] is not None
    return {
        str(marker): marker.description["suggested_value"]
        for marker in result["data_schema"].schema
        if marker.description and "suggested_value" in marker.description
    }


def expected_title(sim: Simulator) -> str:
    """The title of an entry of the simulated system (the API rounds capacity to 0.01 kW)."""
    return f"APsystems {sim.sid} ({round(sim.site.capacity_kw, 2):g} kW)"


def answering_other_sid() -> Any:
    """Make the details answer (still fetched over HTTP) name another system."""
    original: Callable[[APsystemsClient], Awaitable[SystemDetails]] = (
        APsystemsClient.get_system_details
    )

    async def other(client: APsystemsClient) -> SystemDetails:
        return dataclasses.replace(await original(client), sid="OTHER0000000")

    return patch.object(APsystemsClient, "get_system_details", other)


async def start_user_flow(hass: HomeAssistant) -> FlowResult[Any, Any]:
    """Open the user step."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return result


# ---------------------------------------------------------------------------- user step


async def test_user_flow(
    hass: HomeAssistant, simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """One call validates; the entry holds exactly the four keys, unique id is the SID."""
    caplog.set_level(logging.DEBUG)
    result = await start_user_flow(hass)
    assert result["errors"] == {}
    assert suggested_values(result) == {}
    assert result["data_schema"] is not None
    base_url = next(m for m in result["data_schema"].schema if m == CONF_BASE_URL)
    assert base_url.default() == DEFAULT_BASE_URL

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        user_input(
            simulator,
            app_id=f" {simulator.app_id} ",
            sid=f"  {simulator.sid}\t",
            base_url=f"{simulator.base_url}/",
        ),
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == expected_title(simulator)
    assert result["data"] == {
        CONF_APP_ID: simulator.app_id,
        CONF_APP_SECRET: simulator.app_secret,
        CONF_SID: simulator.sid,
        CONF_BASE_URL: simulator.base_url,
    }
    entry = result["result"]
    assert entry.unique_id == simulator.sid
    assert entry.options == {}
    # One call validates the input; the entry's first setup reuses its answer.
    assert entry.state is ConfigEntryState.LOADED
    assert details_calls(simulator) == 1
    assert simulator.app_secret not in caplog.text


async def test_user_flow_title_without_capacity(hass: HomeAssistant, simulator: Simulator) -> None:
    """A system without inverters yet reports no capacity: the title is the SID alone."""
    site = build_site(sid="SIM0000000002", inverters_per_ecu=(0,), meters=0)
    async with Simulator(site) as empty:
        result = await start_user_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input(empty)
        )
        await hass.async_block_till_done()
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["title"] == "APsystems SIM0000000002"
        await hass.config_entries.async_unload(result["result"].entry_id)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault(endpoint="details", code=2001), "invalid_auth"),
        (Fault(endpoint="details", code=3002), "invalid_auth"),
        (Fault(endpoint="details", code=4000), "invalid_auth"),
        (Fault(endpoint="details", clock_skew=20 * 60), "clock_skew"),
        (Fault(endpoint="details", code=4001), "cannot_connect"),
        (Fault(endpoint="details", code=5000), "cannot_connect"),
        (Fault(endpoint="details", code=2005), "quota_exceeded"),
        (Fault(endpoint="details", code=7002), "quota_exceeded"),
        (Fault(endpoint="details", http_status=500), "cannot_connect"),
        (Fault(endpoint="details", invalid_json=True), "cannot_connect"),
        (Fault(endpoint="details", nulls=True), "cannot_connect"),
    ],
)
async def test_user_flow_errors_and_recovery(
    hass: HomeAssistant, simulator: Simulator, fault: Fault, error: str
) -> None:
    """Each API failure maps to its error, keeps the input, and a retry succeeds."""
    simulator.inject(fault)
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert suggested_values(result) == user_input(simulator)
    assert details_calls(simulator) == 1

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator)
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == user_input(simulator)
    assert details_calls(simulator) == 2  # + the retry (the setup reuses its answer)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({CONF_APP_SECRET: WRONG_SECRET}, "invalid_auth"),  # bad signature: code 4000
        ({CONF_APP_ID: "0000000000000000000000000000000X"}, "invalid_auth"),  # code 2001
        ({CONF_SID: "NOSUCHSYSTEM"}, "cannot_connect"),  # code 4001
    ],
)
async def test_user_flow_wrong_input(
    hass: HomeAssistant,
    simulator: Simulator,
    caplog: pytest.LogCaptureFixture,
    changes: dict[str, str],
    error: str,
) -> None:
    """Real mistakes of the user, answered by the simulator itself."""
    caplog.set_level(logging.DEBUG)
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator, **changes)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert details_calls(simulator) == 1
    assert WRONG_SECRET not in caplog.text
    assert simulator.app_secret not in caplog.text

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator)
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_unreachable(hass: HomeAssistant, simulator: Simulator) -> None:
    """Nothing listens at the URL: cannot_connect, and no call reached the API."""
    unreachable = "http://127.0.0.1:9"
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator, base_url=unreachable)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert suggested_values(result)[CONF_BASE_URL] == unreachable
    assert details_calls(simulator) == 0

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator)
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_unexpected_error(
    hass: HomeAssistant, simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected exception is logged (without the secret) and shown as unknown."""
    caplog.set_level(logging.DEBUG)
    result = await start_user_flow(hass)
    with patch.object(
        APsystemsClient, "get_system_details", side_effect=RuntimeError("boom")
    ) as details:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input(simulator)
        )
    assert details.call_count == 1
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error while validating" in caplog.text
    assert "RuntimeError: boom" in caplog.text
    assert simulator.app_secret not in caplog.text

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator)
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert details_calls(simulator) == 1  # the patched call never reached the API


async def test_user_flow_already_configured(
    hass: HomeAssistant, simulator: Simulator, mock_config_entry: MockConfigEntry
) -> None:
    """The same SID twice aborts before any call."""
    mock_config_entry.add_to_hass(hass)
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator, sid=f" {simulator.sid} ")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert details_calls(simulator) == 0


async def test_user_flow_already_in_progress(hass: HomeAssistant, simulator: Simulator) -> None:
    """A second flow for a SID another flow is validating aborts without a call."""
    first = await start_user_flow(hass)
    await hass.config_entries.flow.async_configure(
        first["flow_id"], user_input(simulator, app_secret=WRONG_SECRET)
    )
    second = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        second["flow_id"], user_input(simulator)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_in_progress"
    assert details_calls(simulator) == 1


# ---------------------------------------------------------------------------- reauth


def stale_entry(sim: Simulator, **changes: str) -> MockConfigEntry:
    """An entry of the simulated system whose stored data is outdated."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"APsystems {sim.sid}",
        unique_id=sim.sid,
        data=user_input(sim, **changes),
    )


async def test_reauth(
    hass: HomeAssistant, simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """New credentials are validated with one call, stored, and the entry reloads."""
    caplog.set_level(logging.DEBUG)
    entry = stale_entry(simulator, app_secret=WRONG_SECRET)
    entry.add_to_hass(hass)

    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"][CONF_SID] == simulator.sid
    assert suggested_values(result) == {CONF_APP_ID: simulator.app_id}

    # Still the wrong secret: refused, and the form keeps the input.
    credentials = {CONF_APP_ID: simulator.app_id, CONF_APP_SECRET: WRONG_SECRET}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], credentials)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert suggested_values(result) == credentials
    assert details_calls(simulator) == 1

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_APP_ID: simulator.app_id, CONF_APP_SECRET: f" {simulator.app_secret} "},
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data == user_input(simulator)
    assert entry.state is ConfigEntryState.LOADED
    assert details_calls(simulator) == 2  # + the good credentials (the reload reuses them)
    assert simulator.app_secret not in caplog.text


async def test_reauth_quota_exceeded(hass: HomeAssistant, simulator: Simulator) -> None:
    """The account's quota is spent: the user is told so and can retry later."""
    entry = stale_entry(simulator, app_secret=WRONG_SECRET)
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)

    simulator.inject(Fault(endpoint="details", code=2005))
    credentials = {CONF_APP_ID: simulator.app_id, CONF_APP_SECRET: simulator.app_secret}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], credentials)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "quota_exceeded"}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], credentials)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"


async def test_reauth_wrong_account(hass: HomeAssistant, simulator: Simulator) -> None:
    """An answer about another system aborts and leaves the entry untouched."""
    entry = stale_entry(simulator, app_secret=WRONG_SECRET)
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)

    with answering_other_sid():
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_APP_ID: simulator.app_id, CONF_APP_SECRET: simulator.app_secret},
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert entry.data[CONF_APP_SECRET] == WRONG_SECRET
    assert details_calls(simulator) == 1


# ---------------------------------------------------------------------------- reconfigure


async def test_reconfigure(hass: HomeAssistant, simulator: Simulator) -> None:
    """A new server URL (and re-entered secret) is validated, stored, and the entry reloads."""
    entry = stale_entry(simulator, base_url="http://127.0.0.1:9")
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"][CONF_SID] == simulator.sid
    # Everything but the secret is offered back.
    assert suggested_values(result) == {
        CONF_APP_ID: simulator.app_id,
        CONF_SID: simulator.sid,
        CONF_BASE_URL: "http://127.0.0.1:9",
    }

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator, base_url=f" {simulator.base_url}/ ")
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == user_input(simulator)
    assert entry.unique_id == simulator.sid
    assert entry.state is ConfigEntryState.LOADED
    assert details_calls(simulator) == 1  # the validation (the reload reuses its answer)


@pytest.mark.parametrize(
    ("fault", "changes", "error"),
    [
        (None, {CONF_APP_SECRET: WRONG_SECRET}, "invalid_auth"),
        (Fault(endpoint="details", code=7001), {}, "quota_exceeded"),
        (Fault(endpoint="details", http_status=502), {}, "cannot_connect"),
    ],
)
async def test_reconfigure_errors_and_recovery(
    hass: HomeAssistant,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
    fault: Fault | None,
    changes: dict[str, str],
    error: str,
) -> None:
    """A failed validation keeps the form (and the input) and changes nothing."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    if fault is not None:
        simulator.inject(fault)

    entered = user_input(simulator, **changes)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], entered)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert suggested_values(result) == entered
    assert mock_config_entry.data == user_input(simulator)
    assert details_calls(simulator) == 1

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator)
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"


async def test_reconfigure_other_sid(
    hass: HomeAssistant, simulator: Simulator, mock_config_entry: MockConfigEntry
) -> None:
    """The SID is the entry's identity: another one aborts before any call."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator, sid="OTHER0000000")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert mock_config_entry.data[CONF_SID] == simulator.sid
    assert details_calls(simulator) == 0


async def test_reconfigure_answer_of_other_system(
    hass: HomeAssistant, simulator: Simulator, mock_config_entry: MockConfigEntry
) -> None:
    """The API answering about another system aborts too."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    with answering_other_sid():
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input(simulator)
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert details_calls(simulator) == 1


# ---------------------------------------------------------------------------- options


async def test_options_flow(
    hass: HomeAssistant, simulator: Simulator, mock_config_entry: MockConfigEntry
) -> None:
    """The form starts from the defaults; saving stores the options and reloads the entry."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert details_calls(simulator) == 1

    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert suggested_values(result) == DEFAULT_OPTIONS

    options = {
        CONF_MONTHLY_QUOTA: 5000,
        CONF_AUTOMATIC_INTERVAL: False,
        CONF_FIXED_INTERVAL: 15,
        CONF_SUNRISE_OFFSET: -30,
        CONF_SUNSET_OFFSET: 45,
        CONF_DETAIL_TELEMETRY: "off",
        CONF_IMPORT_STATISTICS: False,
        CONF_FOLLOW_SUN: False,
        CONF_UNDERPERFORMING: 80,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            **options,
            CONF_MONTHLY_QUOTA: 5000.0,
            CONF_FIXED_INTERVAL: 15.0,
            CONF_UNDERPERFORMING: 80.0,
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options == options
    assert type(mock_config_entry.options[CONF_MONTHLY_QUOTA]) is int
    assert type(mock_config_entry.options[CONF_FIXED_INTERVAL]) is int
    assert type(mock_config_entry.options[CONF_UNDERPERFORMING]) is int
    assert mock_config_entry.runtime_data.session.health.threshold == 0.8
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert details_calls(simulator) == 1  # the reload restored the stored state

    # Reopened, the form shows the stored options.
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert suggested_values(result) == options


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (CONF_MONTHLY_QUOTA, 99),
        (CONF_MONTHLY_QUOTA, 100_001),
        (CONF_FIXED_INTERVAL, 4),
        (CONF_FIXED_INTERVAL, 241),
        (CONF_SUNRISE_OFFSET, -121),
        (CONF_SUNSET_OFFSET, 121),
        (CONF_DETAIL_TELEMETRY, "all"),
        (CONF_UNDERPERFORMING, 49),
        (CONF_UNDERPERFORMING, 100),
    ],
)
async def test_options_flow_out_of_range(
    hass: HomeAssistant,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
    key: str,
    value: object,
) -> None:
    """Values outside the documented ranges are refused."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {**DEFAULT_OPTIONS, key: value}
        )
    assert mock_config_entry.options == {}


async def test_user_flow_quota_spent(hass: HomeAssistant, simulator: Simulator) -> None:
    """The simulator's own quota check (not an injected fault) answers 2005."""
    simulator.quota = 0
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "quota_exceeded"}
    assert details_calls(simulator) == 1


# ---------------------------------------------------------------------------- translations


def test_translations_cover_the_forms() -> None:
    """strings.json equals en.json, and every field has a label and a description."""
    package = Path(config_flow.__file__).parent
    strings = json.loads((package / "strings.json").read_text(encoding="utf-8"))
    english = json.loads((package / "translations" / "en.json").read_text(encoding="utf-8"))
    assert strings == english

    forms = {
        ("config", "user"): config_flow.USER_SCHEMA,
        ("config", "reconfigure"): config_flow.USER_SCHEMA,
        ("config", "reauth_confirm"): config_flow.CREDENTIALS_SCHEMA,
        ("options", "init"): config_flow.OPTIONS_SCHEMA,
    }
    for (section, step), schema in forms.items():
        texts = strings[section]["step"][step]
        fields = {str(marker) for marker in schema.schema}
        assert set(texts["data"]) == fields, step
        assert set(texts["data_description"]) == fields, step

    assert set(strings["config"]["error"]) == {
        "cannot_connect",
        "clock_skew",
        "invalid_auth",
        "quota_exceeded",
        "unknown",
    }
    assert {"already_configured", "reauth_successful", "reconfigure_successful"} <= set(
        strings["config"]["abort"]
    )
    assert "wrong_account" in strings["config"]["abort"]
    assert set(strings["selector"][CONF_DETAIL_TELEMETRY]["options"]) == {
        mode.value for mode in DetailTelemetry
    }
