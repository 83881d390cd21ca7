"""The owners' CLI, run in-process and as ``python -m`` against the simulator."""

import asyncio
from datetime import UTC, datetime, timedelta
import json
import os
from pathlib import Path
import runpy
import subprocess
import sys

import pytest

from custom_components.apsystems_ema.openapi import (
    API_PREFIX,
    APsystemsConnectionError,
    APsystemsHTTPError,
    APsystemsNoDataError,
    APsystemsRateLimitError,
    APsystemsResponseError,
    EcuInfo,
    StatusLight,
    StorageLatest,
    system_today,
)
from custom_components.apsystems_ema.openapi.cli import (
    _main,
    build_parser,
    describe,
    describe_battery,
    describe_light,
    ecu_label,
    main,
    render,
)
from tests.simulator import Fault, Simulator
from tests.simulator.site import storage_site, subuser_site

STORAGE_EID = "216200003456"
CODE = "dmlzaXRvci1hY2Nlc3MtY29kZQ"

ROOT = Path(__file__).resolve().parents[2]


def argv(sim: Simulator, *rest: str) -> list[str]:
    """Common options for the simulator's demo account."""
    return [
        "--base-url",
        sim.base_url,
        "--app-id",
        sim.app_id,
        "--app-secret",
        sim.app_secret,
        "--sid",
        sim.sid,
        *rest,
    ]


async def run_cli(sim: Simulator, *rest: str) -> int:
    """Parse and run one command in this event loop."""
    return await _main(build_parser().parse_args(argv(sim, *rest)))


async def test_check_prints_the_system(
    simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """``check`` reports the system, its ECUs and inverters, energy, and uses three calls."""
    assert await run_cli(simulator, "check") == 0
    out = capsys.readouterr().out
    assert f"System {simulator.sid}" in out
    assert simulator.site.timezone in out
    assert "inverter " in out
    assert "lifetime" in out
    assert "OK: the credentials work (3 API calls used)" in out
    assert f"Status light: {StatusLight(simulator.light()).name} (" in out
    assert "battery" not in out
    assert simulator.app_secret not in out
    assert simulator.calls_this_month() == 3


async def test_json_output(simulator: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    """``--json`` prints parseable JSON of the model."""
    assert await run_cli(simulator, "--json", "summary") == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"today", "month", "year", "lifetime"}
    assert await run_cli(simulator, "--json", "check") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["details"]["sid"] == simulator.sid


async def test_every_command(simulator: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    """Each command runs against the simulator and prints something readable."""
    site = simulator.site
    ecu = site.ecus[0]
    uid = ecu.inverters[0].uid
    meter = site.meters[0]
    yesterday = (system_today(site.timezone) - timedelta(days=1)).isoformat()
    commands = [
        ["details"],
        ["inverters"],
        ["meters"],
        ["energy", "--level", "daily", "--date", yesterday],
        ["ecu-summary", "--eid", ecu.eid],
        ["ecu-energy", "--eid", ecu.eid, "--level", "hourly", "--date", yesterday],
        ["ecu-minutely", "--eid", ecu.eid, "--date", yesterday],
        ["meter-summary", "--eid", meter],
        ["meter-energy", "--eid", meter, "--level", "monthly", "--date", yesterday],
        ["meter-minutely", "--eid", meter, "--date", yesterday],
        ["inverter-summary", "--uid", uid],
        ["inverter-energy", "--uid", uid, "--date", yesterday],
        ["inverter-minutely", "--uid", uid, "--date", yesterday],
        ["batch-power", "--eid", ecu.eid, "--date", yesterday],
        ["batch-energy", "--eid", ecu.eid, "--date", yesterday],
    ]
    for command in commands:
        assert await run_cli(simulator, *command) == 0, command
        assert capsys.readouterr().out.strip(), command
    assert simulator.calls_this_month() == len(commands)


async def test_default_date_costs_one_details_call(simulator: Simulator) -> None:
    """Without --date the system's timezone is read from the API, unless --timezone is given."""
    eid = simulator.site.ecus[0].eid
    assert await run_cli(simulator, "ecu-minutely", "--eid", eid) == 0
    assert simulator.calls_this_month() == 2
    tz = simulator.site.timezone
    assert await run_cli(simulator, "--timezone", tz, "ecu-minutely", "--eid", eid) == 0
    assert simulator.calls_this_month() == 3


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault(code=2001), "App ID / App Secret were refused"),
        (Fault(code=2005), "monthly API quota is used up"),
        (Fault(code=7002), "slow down"),
        (Fault(code=4000), "clock"),
        (Fault(code=5000), "API reported an error"),
        (Fault(http_status=500), "cannot get an answer"),
        (Fault(invalid_json=True), "unexpected answer"),
    ],
)
async def test_errors_exit_2_with_one_line(
    simulator: Simulator, capsys: pytest.CaptureFixture[str], fault: Fault, expected: str
) -> None:
    """Errors print one clear line on stderr, exit 2, and never echo the secret."""
    simulator.inject(fault)
    assert await run_cli(simulator, "summary") == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err_lines = captured.err.strip().splitlines()
    assert len(err_lines) == 1
    assert err_lines[0].startswith("error: ")
    assert expected in err_lines[0]
    assert simulator.app_secret not in captured.err


def test_describe_other_errors() -> None:
    """Every error class gets a sentence."""
    assert "slow down" in describe(APsystemsRateLimitError(7003), "u")
    assert "API reported" in describe(APsystemsNoDataError(1001), "u")
    assert "cannot get an answer from u" in describe(APsystemsConnectionError("x"), "u")
    assert "cannot get an answer" in describe(APsystemsHTTPError(502), "u")
    assert "unexpected answer" in describe(APsystemsResponseError("x"), "u")


def test_missing_credentials(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without credentials the parser exits 2 naming what is missing."""
    for var in ("APSYSTEMS_APP_ID", "APSYSTEMS_APP_SECRET", "APSYSTEMS_SID"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["check"])
    assert exit_info.value.code == 2
    assert "--app-id, --app-secret, --sid" in capsys.readouterr().err


def test_main_returns_the_exit_code(
    socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """``main`` runs its own event loop and returns 2 when the host is unreachable."""
    code = main(
        [
            "--base-url",
            "http://127.0.0.1:9",
            "--app-id",
            "a",
            "--app-secret",
            "b",
            "--sid",
            "S",
            "summary",
        ]
    )
    assert code == 2
    assert capsys.readouterr().err.startswith("error: cannot get an answer")


def test_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """APSYSTEMS_* variables fill the options."""
    monkeypatch.setenv("APSYSTEMS_APP_ID", "id1")
    monkeypatch.setenv("APSYSTEMS_APP_SECRET", "secret1")
    monkeypatch.setenv("APSYSTEMS_SID", "sid1")
    args = build_parser().parse_args(["summary"])
    assert (args.app_id, args.app_secret, args.sid) == ("id1", "secret1", "sid1")


def test_module_entry_point(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m custom_components.apsystems_ema.openapi`` runs the CLI."""
    monkeypatch.setattr(sys, "argv", ["prog", "--help"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("custom_components.apsystems_ema.openapi", run_name="__main__")
    assert exit_info.value.code == 0
    assert "check" in capsys.readouterr().out


def test_runs_without_home_assistant() -> None:
    """From the integration's folder ``python -m openapi`` runs on aiohttp alone: no module
    of Home Assistant (or of the integration's HA layer) is imported."""
    folder = ROOT / "custom_components" / "apsystems_ema"
    probe = (
        "import sys, openapi.cli; "
        "found = [m for m in sys.modules if m.split('.')[0] in "
        "('homeassistant', 'custom_components', 'voluptuous')]; "
        "print(found); sys.exit(bool(found))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # The command is this test's own fixed text.
    subprocess.run([sys.executable, "-c", probe], cwd=folder, env=env, check=True)  # noqa: S603
    shown = subprocess.run(
        [sys.executable, "-m", "openapi", "--help"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.startswith("usage: python -m openapi")


def test_render_nested() -> None:
    """Lists of objects render one block per item."""
    lines = render({"ecus": [{"eid": "1", "inverters": [{"uid": "a"}]}], "empty": []})
    assert lines == [
        "ecus:",
        "  -",
        "    eid: 1",
        "    inverters:",
        "      -",
        "        uid: a",
        "empty: []",
    ]


async def test_subprocess_against_simulator(simulator: Simulator) -> None:
    """A real process: exit 0 and a report on success, exit 2 and one line when unreachable."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "custom_components.apsystems_ema.openapi",
        *argv(simulator, "check"),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert f"System {simulator.sid}" in out.decode()
    bad = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "custom_components.apsystems_ema.openapi",
        "--base-url",
        "http://127.0.0.1:9",
        "--app-id",
        "a",
        "--app-secret",
        "s3cr3t",
        "--sid",
        "S",
        "summary",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await bad.communicate()
    assert bad.returncode == 2
    assert err.decode().startswith("error: cannot get an answer from http://127.0.0.1:9")
    assert "s3cr3t" not in err.decode()


async def test_check_reads_each_storage_ecu(
    socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a PV and storage site ``check`` shows the storage ECU's model and capacity and its
    latest state of charge: one more call; where the installer path is refused, the user
    prefix answers and the count says so."""
    noon = datetime(2026, 6, 21, 11, 2, tzinfo=UTC)  # frozen: the answer and the truth agree
    async with Simulator(storage_site(noon), clock=lambda: noon, max_skew=None) as sim:
        assert await run_cli(sim, "check") == 0
        out = capsys.readouterr().out
        reading = sim.truth.storage(STORAGE_EID, noon)
        assert reading is not None
        assert f"ECU with storage {STORAGE_EID} (ELT-12, 11.52 kWh): 0 inverter(s)" in out
        assert f"battery: state of charge {reading.soc:.0f} %" in out
        charge = float(f"{reading.charge:.1f}")  # as the simulator sends it
        assert f"at {reading.at:%H:%M}, mode {reading.mode}, charge {charge:g} W" in out
        assert "PV & storage system" in out
        assert "OK: the credentials work (4 API calls used)" in out
        assert sim.calls_this_month() == 4
    async with Simulator(storage_site(), storage_prefixes={API_PREFIX}) as sim:
        assert await run_cli(sim, "check") == 0
        assert "OK: the credentials work (5 API calls used)" in capsys.readouterr().out
        assert sim.calls_this_month() == 5


async def test_check_json_carries_the_battery_and_hides_the_visitor_code(
    socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--json check`` adds the latest storage state per storage ECU; the details' visitor
    code is shown as redacted, in JSON and in the readable ``details`` alike."""
    async with Simulator(storage_site(authorization_code=CODE)) as sim:
        assert await run_cli(sim, "--json", "check") == 0
        out = capsys.readouterr().out
        data = json.loads(out)
        assert set(data["storage"]) == {STORAGE_EID}
        assert 0 <= data["storage"][STORAGE_EID]["soc"] <= 100
        assert data["details"]["authorization_code"] == "<redacted>"
        assert data["details"]["light"] == sim.light()
        assert CODE not in out
        assert await run_cli(sim, "details") == 0
        out = capsys.readouterr().out
        assert "authorization_code: <redacted>" in out
        assert CODE not in out
    async with Simulator(storage_site()) as sim:
        assert await run_cli(sim, "--json", "details") == 0
        assert json.loads(capsys.readouterr().out)["authorization_code"] is None


async def test_check_survives_a_refused_storage_call(
    socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """A storage ECU neither prefix serves is reported on its line, and the check passes;
    an exhausted quota during that call still fails the check."""
    async with Simulator(storage_site(), storage_prefixes=()) as sim:
        assert await run_cli(sim, "--json", "check") == 0
        data = json.loads(capsys.readouterr().out)
        assert "4001" in data["storage"][STORAGE_EID]["error"]
        assert await run_cli(sim, "check") == 0
        out = capsys.readouterr().out
        assert "battery: the request was refused" in out
        assert "OK: the credentials work (5 API calls used)" in out
    async with Simulator(storage_site(), quota=3) as sim:
        assert await run_cli(sim, "check") == 2
        assert "monthly API quota is used up" in capsys.readouterr().err


async def test_check_names_the_main_ecu_of_a_shared_system(
    socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sub-user's ECUs are listed by their virtual ids with the main user's id."""
    async with Simulator(subuser_site()) as sim:
        assert await run_cli(sim, "check") == 0
        out = capsys.readouterr().out
        assert "ECU 002405253708: 3 inverter(s)" in out
        assert "shared: the main user's ECU is 2030000001236" in out


async def test_storage_commands(socket_enabled: None, capsys: pytest.CaptureFixture[str]) -> None:
    """Each storage command (the ECU id as EID or --eid) answers with one call, or two with
    the default date (the system's timezone is read from the API)."""
    async with Simulator(storage_site()) as sim:
        yesterday = (system_today(sim.site.timezone) - timedelta(days=1)).isoformat()
        commands = [
            (["storage-latest", STORAGE_EID], "soc: "),
            (["storage-summary", "--eid", STORAGE_EID], "lifetime:"),
            (["storage-period", STORAGE_EID, "--date", yesterday], "level: hourly"),
            (["storage-period", STORAGE_EID, "--level", "daily", "--date", yesterday], "daily"),
            (
                [
                    "storage-period",
                    "--eid",
                    STORAGE_EID,
                    "--level",
                    "minutely",
                    "--date",
                    yesterday,
                ],
                "energy:",
            ),
        ]
        for command, expected in commands:
            assert await run_cli(sim, *command) == 0, command
            assert expected in capsys.readouterr().out, command
        assert sim.calls_this_month() == len(commands)
        assert await run_cli(sim, "--json", "storage-period", STORAGE_EID, "--level", "yearly") == 0
        data = json.loads(capsys.readouterr().out)
        assert data["level"] == "yearly"
        assert len(data["values"]["charge"]) == len(data["times"]) >= 1
        assert sim.calls_this_month() == len(commands) + 2
        minutely = ["--json", "storage-period", STORAGE_EID, "--level", "minutely"]
        assert await run_cli(sim, "--timezone", sim.site.timezone, *minutely) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["day"] == system_today(sim.site.timezone).isoformat()
        assert set(data["power"]) == {
            "charge",
            "discharge",
            "produced",
            "consumed",
            "imported",
            "exported",
        }


@pytest.mark.parametrize(
    "rest",
    [["storage-latest"], ["storage-summary", "1", "--eid", "2"], ["storage-period"]],
)
def test_storage_commands_need_one_ecu_id(
    rest: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the ECU id, or with two, the parser exits 2 before any call."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--app-id", "a", "--app-secret", "b", "--sid", "S", *rest])
    assert exit_info.value.code == 2
    assert "needs the storage ECU's id once" in capsys.readouterr().err


def test_descriptions() -> None:
    """Light, ECU and battery wording, with and without the optional values."""
    assert describe_light(None) == "not reported"
    assert (
        describe_light(StatusLight.ECU_OFFLINE) == "ECU_OFFLINE (the ECU's network has a problem)"
    )
    assert ecu_label(EcuInfo("E", 2, None, ())) == "ECU with storage E (unknown model, ? kWh)"
    assert ecu_label(EcuInfo("M", 1, None, ())) == "ECU with meter M"
    assert ecu_label(EcuInfo("P", 0, None, ())) == "ECU P"
    assert describe_battery(StorageLatest.from_api({})) == "state of charge ? %"
    full = StorageLatest.from_api(
        {"soc": "85.5", "time": "14:35", "mode": "4", "charge": "0", "discharge": "1200"}
    )
    assert describe_battery(full) == (
        "state of charge 85.5 % at 14:35, mode 4, charge 0 W, discharge 1200 W"
    )
