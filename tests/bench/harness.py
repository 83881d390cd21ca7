"""Run the real integration in Home Assistant's test harness through a month of simulated
time, and sample what its entities show every 5 minutes.

Each system of a :class:`~tests.bench.sites.BenchSite` gets a simulator (served over HTTP on
loopback, all sharing one :class:`~tests.simulator.Account`) and a config entry, set up like
a user's (a ``MockConfigEntry`` holding the credentials, the SID and the simulator's URL).
Home Assistant sits at the first system's location and timezone; the recorder is the
harness's (``recorder_mock``), so the statistics the integration imports are real too.

Time: the frozen clock moves to the earliest of the next 5-minute sample (on the wall-clock
grid :00, :05, ...), the next coordinator refresh and the next restart. The next refresh of a
coordinator is its last refresh (seen by a listener; the listener is not called after two
failed refreshes in a row) plus its ``update_interval``, exactly as Home Assistant schedules
it; when that is not known, the clock moves by at most a minute. So every poll runs at the
instant the coordinator planned it (give or take the 30 s shortest sleep), never a sample
step late, and no poll can be skipped.

Samples: at each 5-minute instant, after whatever fell due ran, the state of every entity the
figures need (see :func:`sampled_ids`) is read from ``hass.states``: a number (a timestamp
entity's: seconds since the epoch), or None for unknown, unavailable or missing.

Restarts: weekly (``BenchSite.restart_at`` on every 7th day after the set-up day), at the
first step from then on at which no entry plans a poll (its *Next poll* sensor) within the
next 4 minutes: every entry is unloaded (the coordinator writes its Store), the clock moves 3
minutes (a sample instant in them is skipped: nothing is shown while Home Assistant is down),
and each entry is set up again from its Store. A restart's calls are those a system received
from the unload until 5 minutes after the set-up, or until the poll it had planned before
the restart if that comes sooner: none of them would have been made without the restart.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import logging

from freezegun import api as freezegun_api
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
)

from custom_components.apsystems_ema.const import (
    DOMAIN,
)
from custom_components.apsystems_ema.coordinator import APsystemsCoordinator
from custom_components.apsystems_ema.records import PRODUCTION
from custom_components.apsystems_ema.state import METER_KEYS
from tests.bench.sites import QUOTA, BenchSite
from tests.ha.drive import settle, step
from tests.ha.helpers import config_entry
from tests.simulator import Account, CallRecord, Simulator, Site

SAMPLE = timedelta(minutes=5)
MAX_BLIND_STEP = timedelta(minutes=1)
DOWNTIME = timedelta(minutes=3)
RESTART_WINDOW = timedelta(minutes=5)
RESTART_GUARD = DOWNTIME + timedelta(minutes=1)


def sampled_ids(site: Site) -> list[str]:
    """The unique ids (sensor.py / entity.py: ``{sid}_{key}``) of the entities sampled for a
    system: lifetime energy, current power, each inverter's power, each meter's consumption
    and grid power and its four lifetime counters, each battery's state of charge, charge
    and discharge power, lifetime charged and discharged energy and last report."""
    sid = site.sid
    ids = [f"{sid}_lifetime_energy", f"{sid}_power"]
    ids += [f"{sid}_{inv.uid}_power" for inv in site.inverters]
    for eid in site.meters:
        ids += [f"{sid}_meter_{eid}_consumption_power", f"{sid}_meter_{eid}_grid_power"]
        ids += [f"{sid}_meter_{eid}_{key}_lifetime" for key in METER_KEYS]
    for unit in site.storages:
        ids += [battery_id(site, unit.eid, key) for key in BATTERY_KEYS]
    return ids


BATTERY_KEYS = (
    "soc",
    "charge_power",
    "discharge_power",
    "charge_lifetime",
    "discharge_lifetime",
    "last_report",
)
"""The battery entities sampled (unique-id suffixes, sensor.py's ``BATTERY_SENSORS``)."""
TIMESTAMP_SUFFIX = "_last_report"
"""A timestamp entity: sampled as seconds since the epoch."""


def battery_id(site: Site, eid: str, key: str) -> str:
    """The unique id of a battery entity (entity.py's ``BatteryEntity``:
    ``{sid}_battery_{eid}_{key}``)."""
    return f"{site.sid}_battery_{eid}_{key}"


@dataclass
class Restart:
    """One Home Assistant restart: when, and where each system's calls of it start and end."""

    at: datetime
    first: list[int]
    """Per system, the index in its calls of the first call after the unload."""
    until: list[datetime]
    """Per system, the end of the window whose calls are the restart's."""

    def calls(self, run: Run) -> list[int]:
        """Per system, the calls the restart caused."""
        return [
            sum(1 for c in system.calls[first:] if c.at < until)
            for system, first, until in zip(run.systems, self.first, self.until, strict=True)
        ]


@dataclass
class SystemRun:
    """What one system did and showed."""

    site: Site
    calls: list[CallRecord]
    values: dict[str, list[float | None]]
    """Per unique id, the value shown at each sample instant (None: no number)."""
    production: dict[date, list[float]] = field(default_factory=dict)
    """The hourly solar production the integration holds for its statistics at the run's
    end, per local day."""


@dataclass
class Run:
    """A benchmark site run through simulated time."""

    spec: BenchSite
    start: datetime
    end: datetime
    samples: list[datetime] = field(default_factory=list)
    systems: list[SystemRun] = field(default_factory=list)
    restarts: list[Restart] = field(default_factory=list)
    account_calls: list[CallRecord] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    """Wall-clock time of the run."""


@contextmanager
def quiet_logs() -> Iterator[None]:
    """No DEBUG or INFO records from any logger while the block runs (the test harness puts
    the root logger, SQLAlchemy's engine and the recorder at INFO or DEBUG, the project's
    conftest the integration and aiohttp at DEBUG); warnings and errors still count."""
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(previous)


class _Refreshes:
    """When each coordinator refreshed last (a listener of the coordinator)."""

    def __init__(self) -> None:
        self.last: dict[str, datetime] = {}
        self.unsubscribe: list[Callable[[], None]] = []

    def watch(self, entry_id: str, coordinator: APsystemsCoordinator) -> None:
        self.last[entry_id] = dt_util.utcnow()  # the set-up's first refresh, just now

        @callback
        def refreshed() -> None:
            self.last[entry_id] = dt_util.utcnow()

        self.unsubscribe.append(coordinator.async_add_listener(refreshed))

    def stop(self) -> None:
        for unsubscribe in self.unsubscribe:
            unsubscribe()
        self.unsubscribe.clear()

    def next_refresh(
        self, coordinators: dict[str, APsystemsCoordinator], now: datetime
    ) -> datetime:
        """The earliest next refresh; a minute ahead for a coordinator whose is not known."""
        due: list[datetime] = []
        for entry_id, coordinator in coordinators.items():
            interval, last = coordinator.update_interval, self.last.get(entry_id)
            if interval is not None and last is not None and last + interval > now:
                due.append(last + interval)
            else:
                due.append(now + MAX_BLIND_STEP)
        return min(due, default=now + MAX_BLIND_STEP)


def _next_sample(now: datetime) -> datetime:
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    slots = (now - epoch) // SAMPLE + 1
    return epoch + slots * SAMPLE


def _entry(sim: Simulator, options: dict[str, object]) -> MockConfigEntry:
    return config_entry(sim, options=options)


class _Reader:
    """Reads probes' states (entity ids resolved once they exist)."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.registry = er.async_get(hass)
        self.ids: dict[str, str] = {}

    def entity_id(self, unique_id: str, platform: str = "sensor") -> str | None:
        if (known := self.ids.get(unique_id)) is not None:
            return known
        entity_id = self.registry.async_get_entity_id(platform, DOMAIN, unique_id)
        if entity_id is not None:
            self.ids[unique_id] = entity_id
        return entity_id

    def value(self, unique_id: str) -> float | None:
        entity_id = self.entity_id(unique_id)
        state = self.hass.states.get(entity_id) if entity_id else None
        if state is None:
            return None
        try:
            return float(state.state)
        except ValueError:
            return None

    def timestamp(self, unique_id: str) -> datetime | None:
        entity_id = self.entity_id(unique_id)
        state = self.hass.states.get(entity_id) if entity_id else None
        return None if state is None else dt_util.parse_datetime(state.state)


async def run_site(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    spec: BenchSite,
    days: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> Run:
    """Set the site's systems up at ``spec.setup`` and run them until the month's end (or
    ``days`` after the set-up); returns every sample and call."""
    debug = hass.loop.get_debug()
    hass.loop.set_debug(False)  # asyncio's debug mode takes a stack trace per callback
    try:
        with quiet_logs():
            return await _run_site(hass, freezer, spec, days, progress)
    finally:
        hass.loop.set_debug(debug)


async def _run_site(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    spec: BenchSite,
    days: float | None,
    progress: Callable[[str], None] | None,
) -> Run:
    started = freezegun_api.real_perf_counter()
    zone = spec.zone
    first = spec.systems[0].site
    await hass.config.async_set_time_zone(first.timezone)
    hass.config.latitude, hass.config.longitude = first.latitude, first.longitude
    start, end = spec.setup.astimezone(UTC), spec.end(days)
    freezer.move_to(start)
    account = Account(quota=QUOTA, quota_zone=zone)
    sims = [Simulator(system.site, account=account) for system in spec.systems]
    run = Run(spec, start, end)
    refreshes = _Refreshes()
    try:
        for sim in sims:
            await sim.start()
        entries = [
            _entry(sim, dict(system.options))
            for sim, system in zip(sims, spec.systems, strict=True)
        ]
        run.systems += [
            SystemRun(sim.site, sim.calls, {uid: [] for uid in sampled_ids(sim.site)})
            for sim in sims
        ]
        coordinators = await _set_up(hass, entries, refreshes)
        reader = _Reader(hass)
        pending = spec.restarts(end)
        next_sample = _next_sample(dt_util.utcnow())
        while (now := dt_util.utcnow()) < end:
            if pending and now >= pending[0] and (planned := _planned(reader, run, now)):
                pending.pop(0)
                run.restarts.append(
                    await _restart(hass, freezer, sims, entries, refreshes, planned)
                )
                coordinators = {e.entry_id: e.runtime_data for e in entries}
                next_sample = _next_sample(dt_util.utcnow())
                if progress:
                    progress(f"{spec.key}: restarted at {now.astimezone(zone):%Y-%m-%d %H:%M}")
                continue
            target = min(next_sample, refreshes.next_refresh(coordinators, now), end)
            await step(hass, freezer, sims[0], target - now)
            run.steps += 1
            now = dt_util.utcnow()
            if now >= next_sample:
                _sample(run, reader, now)
                next_sample = _next_sample(now)
        refreshes.stop()
        for system, entry in zip(run.systems, entries, strict=True):
            if entry.state is ConfigEntryState.LOADED:
                records = entry.runtime_data.records
                system.production = {d: list(v) for d, v in records.days(PRODUCTION).items()}
                await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    finally:
        for sim in sims:
            await sim.stop()
    run.account_calls = account.calls
    run.seconds = freezegun_api.real_perf_counter() - started
    return run


async def _set_up(
    hass: HomeAssistant, entries: list[MockConfigEntry], refreshes: _Refreshes
) -> dict[str, APsystemsCoordinator]:
    """Add (the first time) and set up each entry in turn: the first set-up of the domain
    sets up every entry already added, so each is added just before its own set-up."""
    known = {e.entry_id for e in hass.config_entries.async_entries(DOMAIN)}
    coordinators: dict[str, APsystemsCoordinator] = {}
    for entry in entries:
        if entry.entry_id not in known:
            entry.add_to_hass(hass)
        if entry.state is ConfigEntryState.NOT_LOADED:
            assert await hass.config_entries.async_setup(entry.entry_id), entry.title
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED, entry.title
        coordinator: APsystemsCoordinator = entry.runtime_data
        coordinators[entry.entry_id] = coordinator
        refreshes.watch(entry.entry_id, coordinator)
    return coordinators


def _sample(run: Run, reader: _Reader, now: datetime) -> None:
    run.samples.append(now)
    for system in run.systems:
        for unique_id, values in system.values.items():
            if unique_id.endswith(TIMESTAMP_SUFFIX):
                stamp = reader.timestamp(unique_id)
                values.append(None if stamp is None else stamp.timestamp())
            else:
                values.append(reader.value(unique_id))


def _planned(reader: _Reader, run: Run, now: datetime) -> list[datetime] | None:
    """Each system's next planned poll (far ahead when none), or None when one of them is
    less than the restart guard away."""
    planned = []
    for system in run.systems:
        upcoming = reader.timestamp(f"{system.site.sid}_next_poll")
        if upcoming is None:
            upcoming = now + timedelta(days=1)
        if upcoming - now < RESTART_GUARD:
            return None
        planned.append(upcoming)
    return planned


async def _restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sims: list[Simulator],
    entries: list[MockConfigEntry],
    refreshes: _Refreshes,
    planned: list[datetime],
) -> Restart:
    """Unload every entry, 3 minutes of downtime, set them up again from their Stores."""
    at = dt_util.utcnow()
    first = [len(sim.calls) for sim in sims]
    refreshes.stop()
    for entry in entries:
        assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    freezer.tick(DOWNTIME)
    await _set_up(hass, entries, refreshes)
    await settle(hass, freezer, sims[0])
    window_end = dt_util.utcnow() + RESTART_WINDOW
    return Restart(at, first, [min(window_end, p) for p in planned])
