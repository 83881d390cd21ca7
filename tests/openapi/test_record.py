"""The command line's ``record`` against the simulator: what it spends, what it asks, what it
writes, and that what it writes replays."""

import asyncio
from collections.abc import AsyncIterator
import io
import json
import os
from pathlib import Path
import sys

import pytest

from custom_components.apsystems_ema.openapi import (
    API_PREFIX,
    INSTALLER_PREFIX,
    record as record_module,
)
from custom_components.apsystems_ema.openapi.answers import POINTS, decode_block
from custom_components.apsystems_ema.openapi.cli import _main, build_parser
from custom_components.apsystems_ema.openapi.client import Endpoint
from custom_components.apsystems_ema.openapi.record import ANSWERS_FILE, MAX_CALLS, README_FILE
from tests.openapi.test_cli import ROOT, argv
from tests.simulator import Fault, Simulator, storage_only_site, storage_site
from tests.simulator.replay import ReplaySimulator
from tests.simulator.site import DEMO_APP_ID, DEMO_APP_SECRET, demo_site, noon_place

#: What ``record`` asks of the demo site (inverters and a meter), in order.
DEMO_CALLS = [
    "details",
    "inverters",
    "meters",
    "system_summary",
    "system_energy",
    "ecu_summary",
    "ecu_energy",
    "ecu_minutely",
    "batch_power",
    "batch_energy",
    "inverter_summary",
    "inverter_energy",
    "inverter_minutely",
    "meter_summary",
    "meter_period",
    "meter_minutely",
]
STORAGE_CALLS = ["storage_latest", "storage_summary", "storage_period", "storage_minutely"]


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
    """The demo site moved to where it is about noon now: its day's minutely lists hold more
    than the :data:`POINTS` kept, whenever the suite runs (near the demo's own midnight they
    would hold a handful)."""
    zone, longitude = noon_place()
    async with Simulator(demo_site(timezone=zone, longitude=longitude)) as sim:
        yield sim


class Terminal(io.StringIO):
    """Standard input as a terminal, with what the owner types."""

    def isatty(self) -> bool:
        """A terminal."""
        return True


async def run_record(sim: Simulator, out: Path, *options: str, yes: bool = True) -> int:
    """``[global options] record --out OUT [--yes] [--points N]`` against ``sim``, in this
    event loop."""
    extra = list(options[options.index("--points") :]) if "--points" in options else []
    options = options[: len(options) - len(extra)]
    command = ["record", "--out", str(out), *(["--yes"] if yes else []), *extra]
    return await _main(build_parser().parse_args(argv(sim, *options, *command)))


def serials(sim: Simulator) -> list[str]:
    """Everything that identifies the simulated account."""
    site = sim.site
    found = [sim.app_id, sim.app_secret, sim.sid, *site.meters]
    found += [ecu.eid for ecu in site.ecus] + [inv.uid for inv in site.inverters]
    found += [unit.eid for unit in site.storages]
    return found + ([site.authorization_code] if site.authorization_code else [])


def written(out: Path) -> str:
    """Both files of a written folder."""
    return (out / ANSWERS_FILE).read_text() + (out / README_FILE).read_text()


async def test_record_spends_what_it_announced(
    simulator: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With ``--yes``: the announcement, one call per endpoint kind the system has (16 with
    a meter, never more than announced), a line each, and a fixture folder without a serial
    or a secret."""
    out = tmp_path / "demo"
    assert await run_record(simulator, out) == 0
    shown = capsys.readouterr()
    assert f"at most {MAX_CALLS} calls" in shown.err
    assert [c.endpoint for c in simulator.calls] == DEMO_CALLS
    assert f"({len(DEMO_CALLS)} API calls used)" in shown.out
    assert "16 with a meter" in shown.err
    lines = shown.out.splitlines()
    assert lines[: len(DEMO_CALLS)] == [f"{name}: ok" for name in sorted(DEMO_CALLS, key=order)]
    block = json.loads((out / ANSWERS_FILE).read_text())
    assert sorted(block["endpoints"]) == sorted(DEMO_CALLS)
    assert block["endpoints"]["details"]["target"] == "sid"
    assert block["endpoints"]["batch_power"]["counts"]["time"] > POINTS
    readme = (out / README_FILE).read_text()
    assert "16 API calls" in readme
    assert "- ecu_minutely: ok" in readme
    leaked = [s for s in serials(simulator) if s in written(out) + shown.out + shown.err]
    assert leaked == []


def order(name: str) -> int:
    """The place of an endpoint kind in the client's ``Endpoint``."""
    return [str(e) for e in Endpoint].index(name)


async def test_record_asks_on_a_terminal(
    simulator: Simulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without ``--yes`` it asks on a terminal: "n" spends nothing (exit 1), "y" records;
    without a terminal it refuses (exit 2) before any call."""
    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    assert await run_record(simulator, tmp_path / "no", yes=False) == 1
    assert "Nothing recorded." in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    assert await run_record(simulator, tmp_path / "pipe", yes=False) == 2
    assert "confirm on a terminal, or pass --yes" in capsys.readouterr().err
    assert simulator.calls == []
    assert not (tmp_path / "no").exists()
    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    assert await run_record(simulator, tmp_path / "yes", yes=False) == 0
    assert "Spend them? [y/N]" in capsys.readouterr().err
    assert len(simulator.calls) == len(DEMO_CALLS)


async def test_record_refuses_without_a_terminal_in_a_process(
    simulator: Simulator, tmp_path: Path
) -> None:
    """A real process whose standard input is no terminal: exit 2, not one call."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "custom_components.apsystems_ema.openapi",
        *argv(simulator, "record", "--out", str(tmp_path / "x")),
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 2
    assert "pass --yes" in err.decode()
    assert out == b""
    assert simulator.calls == []


async def test_record_never_overwrites(
    simulator: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder that holds answers already is refused before any call."""
    (tmp_path / ANSWERS_FILE).write_text("{}")
    assert await run_record(simulator, tmp_path) == 2
    assert "exists; choose another --out" in capsys.readouterr().err
    assert simulator.calls == []


async def test_record_a_battery_under_the_user_prefix(
    socket_enabled: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A PV + storage system whose storage answers only under /user/: one more call (18),
    the prefix in each storage record; ``--json`` tells the codes."""
    site = storage_site(authorization_code="dmlzaXRvci1jb2Rl")
    async with Simulator(site, storage_prefixes={API_PREFIX}) as sim:
        assert await run_record(sim, tmp_path / "b", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["calls"] == 18 == len(sim.calls)
    assert set(report["codes"].values()) == {0}
    block = json.loads((tmp_path / "b" / ANSWERS_FILE).read_text())
    endpoints = block["endpoints"]
    assert {endpoints[name]["prefix"] for name in STORAGE_CALLS} == {API_PREFIX}
    assert endpoints["details"]["data"]["authorization_code"] == "**REDACTED**"
    assert endpoints["storage_latest"]["target"] == "ecu_2"  # listed by the details
    assert [s for s in serials(sim) if s in written(tmp_path / "b")] == []


async def test_record_keeps_failures_as_their_code(
    simulator: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An API error is recorded as its code; an answer the client cannot read is recorded
    as received; a call without an answer is only named; the lists' failures leave the
    details' first ECU as the target."""
    simulator.inject(
        Fault(endpoint="inverters", code=5000),
        Fault(endpoint="meters", http_status=500),
        Fault(endpoint="ecu_minutely", code=1001),
        Fault(endpoint="batch_energy", nulls=True),
    )
    assert await run_record(simulator, tmp_path) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "inverters: code 5000 (Internal server exception.)" in lines
    assert "meters: no answer: HTTP 500 Internal Server Error" in lines
    assert "ecu_minutely: code 1001 (No data.)" in lines
    assert any(line.startswith("batch_energy: unreadable by this version") for line in lines)
    endpoints = json.loads((tmp_path / ANSWERS_FILE).read_text())["endpoints"]
    assert endpoints["inverters"]["code"] == 5000
    assert endpoints["ecu_minutely"] == {
        **endpoints["ecu_minutely"],
        "code": 1001,
        "data": None,
        "target": "ecu_1",
    }
    assert endpoints["batch_energy"]["data"] is None
    assert "meters" not in endpoints
    assert "inverter_summary" not in endpoints  # no inverter list, no inverter
    assert len(simulator.calls) == 3 + 2 + 5


async def test_record_without_details_dates_in_utc(
    simulator: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Details it cannot read give no timezone: the dates are UTC's (``--timezone`` sets one)."""
    simulator.inject(Fault(endpoint="details", nulls=True, times=2))
    assert await run_record(simulator, tmp_path / "utc") == 0
    assert "timezone UTC" in (tmp_path / "utc" / README_FILE).read_text()
    tz = simulator.site.timezone
    assert await run_record(simulator, tmp_path / "tz", "--timezone", tz) == 0
    assert f"timezone {tz}" in (tmp_path / "tz" / README_FILE).read_text()
    capsys.readouterr()


async def test_record_a_storage_only_system(
    socket_enabled: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A battery without APsystems inverters: no ECU, batch or inverter calls (9 in all)."""
    async with Simulator(storage_only_site()) as sim:
        assert await run_record(sim, tmp_path) == 0
    assert [c.endpoint for c in sim.calls] == [*DEMO_CALLS[:5], *STORAGE_CALLS]
    assert "(9 API calls used)" in capsys.readouterr().out


async def test_a_refused_battery_is_asked_once(
    socket_enabled: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Storage refused under both prefixes: that one call (two requests) is recorded, the
    other storage kinds are skipped."""
    async with Simulator(storage_site(), storage_prefixes=()) as sim:
        assert await run_record(sim, tmp_path) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "storage_latest: refused under both path prefixes (code 4001)" in lines
    assert "storage_minutely: skipped: the storage endpoints were refused" in lines
    assert [c.endpoint for c in sim.calls][-2:] == ["storage_latest", "storage_latest"]
    assert len(sim.calls) == 3 + 2 + 5 + 3 + 2


async def test_the_prefix_that_answered_is_kept(
    socket_enabled: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Refused under /installer/, "no data" under /user/: the next storage calls go to
    /user/ at once (one request each)."""
    async with Simulator(storage_site(), storage_prefixes={API_PREFIX}) as sim:
        sim.inject(
            Fault(endpoint="storage_latest", code=4001), Fault(endpoint="storage_latest", code=1001)
        )
        assert await run_record(sim, tmp_path) == 0
    assert "storage_latest: code 1001 (No data.)" in capsys.readouterr().out
    storage = [c.path for c in sim.calls if c.endpoint.startswith("storage_")]
    assert [p.startswith(INSTALLER_PREFIX) for p in storage] == [True, False, False, False, False]
    assert len(sim.calls) == 18


async def test_record_stops_at_the_announced_calls(
    simulator: Simulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """It never spends more than it announced: the rest is skipped."""
    monkeypatch.setattr(record_module, "MAX_CALLS", 6)
    assert await run_record(simulator, tmp_path) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(simulator.calls) == 6
    assert "meter_minutely: skipped: the announced calls are spent" in lines


async def test_refused_credentials_write_nothing(
    simulator: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Refused credentials end the recording: exit 2, one line, no folder."""
    simulator.inject(Fault(code=2001, times=None))
    assert await run_record(simulator, tmp_path / "x") == 2
    assert "App ID / App Secret were refused" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


async def test_record_whole_days(
    simulator: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--points 288`` keeps the day's lists whole (nothing counted as cut), and the block
    says so; a count outside 1 to 288 is refused."""
    assert await run_record(simulator, tmp_path, "--points", "288") == 0
    block = json.loads((tmp_path / ANSWERS_FILE).read_text())
    assert block["points"] == 288
    batch = block["endpoints"]["batch_power"]
    assert "counts" not in batch
    assert len(batch["data"]["time"]) > POINTS
    for wrong in ("0", "289", "many"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(argv(simulator, "record", "--points", wrong))
    assert "--points: " in capsys.readouterr().err


async def test_the_written_folder_replays(
    simulator: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The folder served by the replay simulator and recorded again gives the same answers:
    the same calls, targets, parameters and data."""
    assert await run_record(simulator, tmp_path / "first") == 0
    block = json.loads((tmp_path / "first" / ANSWERS_FILE).read_text())
    async with ReplaySimulator(block, app_id=DEMO_APP_ID, app_secret=DEMO_APP_SECRET) as replay:
        assert replay.sid == "sid"
        assert await run_record(replay, tmp_path / "again") == 0
    assert [c.endpoint for c in replay.calls] == DEMO_CALLS
    assert all(c.code == 0 for c in replay.calls)
    again = decode_block(json.loads((tmp_path / "again" / ANSWERS_FILE).read_text()))
    first = decode_block(block)
    assert {e: (a.target, a.params, a.data) for e, a in again.items()} == {
        e: (a.target, a.params, a.data) for e, a in first.items()
    }
    capsys.readouterr()
