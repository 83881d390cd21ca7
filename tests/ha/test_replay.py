"""Recorded answers replayed: each folder of ``tests/fixtures/accounts`` served over HTTP by
the replay simulator, the integration set up against it at the recorded instant, and what it
shows (entities, imported statistics) snapshot. A new folder is a new case."""

from collections.abc import AsyncIterator
from datetime import timedelta
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from syrupy.assertion import SnapshotAssertion

from custom_components.apsystems_ema.history import day_start
from custom_components.apsystems_ema.openapi import Endpoint, RawAnswer
from custom_components.apsystems_ema.state import zone_of
from custom_components.apsystems_ema.statistics import statistic_id
from tests.ha.drive import unhandled
from tests.ha.helpers import config_entry, recorded_rows, setup
from tests.simulator.replay import ReplaySimulator

ACCOUNTS = Path(__file__).resolve().parents[1] / "fixtures" / "accounts"
FOLDERS = sorted(p.parent.name for p in ACCOUNTS.glob("*/answers.json"))


@pytest.fixture(params=FOLDERS)
async def replayed(
    request: pytest.FixtureRequest, socket_enabled: None, freezer: FrozenDateTimeFactory
) -> AsyncIterator[ReplaySimulator]:
    """A fixture folder served over HTTP, the clock frozen at its recorded instant."""
    block = json.loads((ACCOUNTS / request.param / "answers.json").read_text())
    sim = ReplaySimulator(block)
    freezer.move_to(sim.instant)
    async with sim:
        yield sim


def day_energy(answers: dict[str, RawAnswer]) -> float:
    """The most any recorded answer says the system made today (kWh): a summary's or the
    ECU curve's ``today``, or the batch energy's entries added up."""
    found = [0.0]
    for endpoint in (Endpoint.SYSTEM_SUMMARY, Endpoint.ECU_SUMMARY, Endpoint.ECU_MINUTELY):
        answer = answers.get(endpoint)
        if answer is not None and isinstance(answer.data, dict) and answer.data.get("today"):
            found.append(float(answer.data["today"]))
    batch = answers.get(Endpoint.BATCH_ENERGY)
    if batch is not None and isinstance(batch.data, dict):
        found.append(sum(float(e.rpartition("-")[2]) for e in batch.data.get("energy", [])))
    return max(found)


async def statistics(hass: HomeAssistant, sim: ReplaySimulator, series: list[str]) -> Any:
    """The imported hourly statistics of the recorded day and the day before."""
    zone = zone_of(sim.site.timezone)
    day = sim.instant.astimezone(zone).date()
    start, end = day_start(day - timedelta(days=1), zone), day_start(day + timedelta(days=1), zone)
    shown = {}
    for name in sorted(series):
        rows = await recorded_rows(hass, statistic_id(sim.sid, name), start, end)
        shown[name] = [
            f"{r['start']:%m-%d %H:%M} {r['state']:.3f} (sum {r['sum']:.3f})" for r in rows
        ]
    return shown


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_replay(
    hass: HomeAssistant,
    replayed: ReplaySimulator,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The recorded account sets up without an exception escaping; its calls, entities and
    imported statistics are as snapshot; no lifetime shows more than the recorded summary's
    lifetime and the day's energy."""
    entry = config_entry(replayed, entry_id="01REPLAYENTRY000000000000")
    coordinator = await setup(hass, replayed, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert unhandled(caplog.records) == []
    entries = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    entities = {}
    for registered in sorted(entries, key=lambda e: e.unique_id):
        state = hass.states.get(registered.entity_id)
        assert state is not None
        unit = state.attributes.get("unit_of_measurement")
        entities[registered.unique_id] = f"{state.state} {unit}" if unit else state.state
    calls = [
        f"{c.endpoint} {c.path.rsplit('/', 1)[-1]} {c.query} -> {c.code}" for c in replayed.calls
    ]
    imported = await statistics(hass, replayed, list(coordinator.records.series))
    assert {"calls": calls, "entities": entities, "statistics": imported} == snapshot
    # Lifetimes: never above what the account says it made, today included.
    summary = replayed.answers[Endpoint.SYSTEM_SUMMARY].data
    bound = float(summary["lifetime"]) + day_energy(replayed.answers) + 0.01
    lifetimes = {
        k: float(v.split()[0])
        for k, v in entities.items()
        if k.endswith("_lifetime_energy") and v.split()[0] not in ("unknown", "unavailable")
    }
    assert lifetimes
    above = {k: v for k, v in lifetimes.items() if v > bound}
    assert above == {}, f"above {bound:.2f} kWh"
