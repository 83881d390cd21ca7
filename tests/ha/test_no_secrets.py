"""No App Secret, App ID or request signature ever reaches a log, the diagnostics or the CLI.

Other tests check the App Secret in single places (a day of polling, the config flow, the
CLI's error lines, diagnostics); this one runs the scenarios together at DEBUG for every
logger and also looks for the signatures the simulator actually received.
"""

import asyncio
from datetime import timedelta
import json
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
)

from custom_components.apsystems_ema.const import CONF_APP_ID, CONF_APP_SECRET, DOMAIN
from custom_components.apsystems_ema.diagnostics import async_get_config_entry_diagnostics
from custom_components.apsystems_ema.openapi.cli import main
from tests.conftest import secrets_in
from tests.ha.drive import run_until
from tests.ha.helpers import MORNING, setup
from tests.simulator import DEMO_APP_SECRET, Fault, Simulator


async def test_logs_and_diagnostics_hold_no_secret(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Set-up, a day of polling with faults, refused credentials and a reauth, diagnostics."""
    caplog.set_level(logging.DEBUG)
    freezer.move_to(MORNING)
    coordinator = await setup(hass, simulator, mock_config_entry)
    simulator.inject(
        Fault(endpoint="batch_power", http_status=500),
        Fault(endpoint="batch_energy", invalid_json=True),
        Fault(endpoint="meter_minutely", code=7002),
        Fault(endpoint="system_energy", nulls=True),
    )
    await run_until(hass, freezer, simulator, coordinator, MORNING + timedelta(hours=14))
    faulted = {c.endpoint for c in simulator.calls if c.fault is not None}
    assert faulted == {"batch_power", "batch_energy", "meter_minutely", "system_energy"}
    diagnostics = await async_get_config_entry_diagnostics(hass, mock_config_entry)

    # The credentials are refused: a reauth flow, answered first wrongly, then rightly.
    simulator.inject(Fault(code=2001, times=None))
    await run_until(hass, freezer, simulator, coordinator, MORNING + timedelta(hours=40))
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]
    wrong = {CONF_APP_ID: simulator.app_id, CONF_APP_SECRET: "wrong-secret-00000000000000000"}
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"], wrong)
    assert result["type"] is FlowResultType.FORM
    simulator.clear_faults()
    right = {CONF_APP_ID: simulator.app_id, CONF_APP_SECRET: simulator.app_secret}
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"], right)
    assert result["type"] is FlowResultType.ABORT
    await hass.async_block_till_done()

    assert len([c for c in simulator.calls if c.signature]) > 20
    assert any(c.code == 2001 for c in simulator.calls)
    assert "GET batch_power" in caplog.text  # DEBUG logging was on
    assert secrets_in(caplog.text, [simulator]) == []
    assert "wrong-secret" not in caplog.text
    assert secrets_in(json.dumps(diagnostics), [simulator]) == []


@pytest.mark.parametrize(
    "fault",
    [None, Fault(code=2001), Fault(code=4000), Fault(http_status=500), Fault(invalid_json=True)],
)
async def test_cli_output_holds_no_secret(
    simulator: Simulator,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    fault: Fault | None,
) -> None:
    """The CLI's report and its error lines (with DEBUG logging on) show no secret."""
    caplog.set_level(logging.DEBUG)
    if fault is not None:
        simulator.inject(replace_times(fault))
    args = ["--base-url", simulator.base_url, "--app-id", simulator.app_id]
    args += ["--app-secret", simulator.app_secret, "--sid", simulator.sid, "check"]
    code = await hass_free_run(args)
    out = capsys.readouterr()
    assert code == (0 if fault is None else 2)
    assert simulator.calls
    for text in (out.out, out.err, caplog.text):
        assert secrets_in(text, [simulator]) == []


def replace_times(fault: Fault) -> Fault:
    """The fault on every request."""
    return Fault(
        code=fault.code,
        http_status=fault.http_status,
        invalid_json=fault.invalid_json,
        times=None,
    )


async def hass_free_run(args: list[str]) -> int:
    """Run the CLI's ``main`` (it starts its own event loop) in a worker thread."""
    return await asyncio.to_thread(main, args)


async def test_the_guard_of_every_test_finds_a_leak(
    simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """tests/conftest.py checks every test's log; it would see a secret or a signature."""
    args = ["--base-url", simulator.base_url, "--app-id", simulator.app_id]
    args += ["--app-secret", simulator.app_secret, "--sid", simulator.sid, "check"]
    assert await hass_free_run(args) == 0
    signature = simulator.calls[0].signature
    logging.getLogger("custom_components.apsystems_ema").debug("oops %s", DEMO_APP_SECRET)
    logging.getLogger("aiohttp.client").debug("header %s", signature)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert secrets_in(text, [simulator]) == ["app secret", "signature of call 0"]
    caplog.clear()  # or this test would fail its own guard
