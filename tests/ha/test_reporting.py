"""Whether each inverter and ECU reports, and the system's status light: read from the
curves and details the polls fetch anyway, against the simulator."""

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest

from custom_components.apsystems_ema.coordinator import APsystemsCoordinator
from tests.ha.helpers import MORNING, advance, config_entry, setup, state_of
from tests.simulator import Simulator
from tests.simulator.app import _Request


def reporting(hass: HomeAssistant, coordinator: APsystemsCoordinator, key: str) -> str:
    """The state of a device's ``reporting`` binary sensor (key: uid or ``ecu_<eid>``)."""
    return state_of(hass, f"{coordinator.site.sid}_{key}_reporting", "binary_sensor")


async def next_poll(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, coordinator: APsystemsCoordinator
) -> None:
    """Move the clock past the next planned poll (and let it run)."""
    polled = coordinator.planner_state.last_poll
    assert coordinator.next_poll is not None
    await advance(hass, freezer, coordinator.next_poll - dt_util.utcnow() + timedelta(minutes=5))
    assert coordinator.planner_state.last_poll != polled


def ecu_with_siblings(coordinator: APsystemsCoordinator) -> tuple[str, list[str], list[str]]:
    """An ECU with several inverters, its inverters, and the other ECUs' inverters."""
    site = coordinator.site
    eid = next(e for e in site.producing if sum(i.eid == e for i in site.inverters.values()) > 1)
    own = [uid for uid, inv in site.inverters.items() if inv.eid == eid]
    return eid, own, [uid for uid in site.inverters if uid not in own]


async def test_a_silent_inverter_is_not_reporting_while_its_siblings_are(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    coordinator: APsystemsCoordinator,
) -> None:
    """One inverter stops reporting: once a curve shows its siblings' newer samples it is
    off, they and the ECUs stay on; once it reports again it is on again."""
    _, (silent, *siblings), others = ecu_with_siblings(coordinator)
    ecus = [f"ecu_{eid}" for eid in coordinator.site.producing]
    assert {reporting(hass, coordinator, uid) for uid in coordinator.site.inverters} == {"on"}

    simulator.silent[silent] = dt_util.utcnow()
    await next_poll(hass, freezer, coordinator)
    assert reporting(hass, coordinator, silent) == "off"
    assert {reporting(hass, coordinator, uid) for uid in siblings + others} == {"on"}
    assert {reporting(hass, coordinator, key) for key in ecus} == {"on"}

    del simulator.silent[silent]
    await next_poll(hass, freezer, coordinator)
    assert {reporting(hass, coordinator, uid) for uid in coordinator.site.inverters} == {"on"}


class EcusDown(Simulator):
    """The simulator with ECUs that stopped uploading (:attr:`down`: eid -> since when):
    their batch curves end at that instant, as the API's do for an ECU offline."""

    def __init__(self) -> None:
        """The demo site, no ECU down."""
        super().__init__()
        self.down: dict[str, datetime] = {}

    def _batch(self, req: _Request) -> Any:
        answer = super()._batch(req)
        since = self.down.get(req.target)
        if since is None or "time" not in answer:
            return answer
        last = self.truth.local_now(since).strftime("%H:%M")
        kept = sum(label <= last for label in answer["time"])
        return {
            "time": answer["time"][:kept],
            "power": {key: values[:kept] for key, values in answer["power"].items()},
        }


async def test_an_ecu_whose_curve_ends_long_before_the_poll_is_not_reporting(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, socket_enabled: None
) -> None:
    """An ECU stops uploading: once its curve, fetched in daylight, ends more than half an
    hour before, it is not reporting (its inverters are not blamed); the other ECU is; with
    current curves again it is reporting."""
    freezer.move_to(MORNING)
    async with EcusDown() as sim:
        coordinator = await setup(hass, sim, config_entry(sim))
        down, *up = [f"ecu_{eid}" for eid in coordinator.site.producing]
        assert {reporting(hass, coordinator, key) for key in [down, *up]} == {"on"}

        sim.down[down.removeprefix("ecu_")] = dt_util.utcnow()
        await advance(hass, freezer, timedelta(hours=1))
        await next_poll(hass, freezer, coordinator)
        assert reporting(hass, coordinator, down) == "off"
        assert {reporting(hass, coordinator, key) for key in up} == {"on"}
        assert {reporting(hass, coordinator, uid) for uid in coordinator.site.inverters} == {"on"}

        sim.down.clear()
        await next_poll(hass, freezer, coordinator)
        assert reporting(hass, coordinator, down) == "on"


@pytest.mark.parametrize(
    ("trouble", "light", "problem"),
    [(None, "normal", "off"), ("silent", "alarm", "on"), ("offline", "ecu_offline", "on")],
)
async def test_the_status_light_and_its_problem(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    trouble: str | None,
    light: str,
    problem: str,
) -> None:
    """The details' light as the set-up reads it: green is no problem, yellow (an inverter
    silent) and red (an ECU offline) are."""
    freezer.move_to(MORNING)
    eid = simulator.site.ecus[0].eid
    if trouble == "silent":
        simulator.silent[simulator.site.ecus[0].inverters[0].uid] = MORNING - timedelta(hours=1)
    elif trouble == "offline":
        simulator.offline.add(eid)
    coordinator = await setup(hass, simulator, config_entry(simulator))
    sid = coordinator.site.sid
    assert state_of(hass, f"{sid}_status_light") == light
    assert state_of(hass, f"{sid}_status_problem", "binary_sensor") == problem
