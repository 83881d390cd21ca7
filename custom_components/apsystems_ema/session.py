"""One entry's data and the running of its calls: the site state, the planner and its
memory, the hourly records and the App ID's call book, loaded from and saved to the entry's
files; the set-up's first calls; each planned call run through the dispatch table, booked by
the planner, its outcome reported and the changed statistics imported.

The coordinator (``coordinator.py``) only decides *when* (Home Assistant's update loop, the
buttons, the locks); everything it runs goes through :class:`SiteSession`.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .callbook import SharedBook, async_attach, async_detach
from .const import (
    ANSWERS_HANDOFF,
    CONF_APP_ID,
    CONF_APP_SECRET,
    CONF_IMPORT_STATISTICS,
    CONF_SID,
    DETAILS_HANDOFF,
)
from .dispatch import Dispatcher
from .health import Health
from .openapi import APsystemsApiError, APsystemsClient, APsystemsError, SystemDetails
from .openapi.answers import LastAnswers
from .outcomes import Outcomes
from .panel_issues import sync_issues, threshold
from .planner import CallBook, CallKind, Plan, PlannedCall, Planner, PlannerState
from .planner.core import SETUP_ANCHORS
from .planning import backfill_queue, build_planner, option
from .records import HourlyRecords
from .state import SiteState
from .statistics import async_import_changed
from .storage import EntryFiles

# An entry this old has run before: without its history file it lost it.
NEW_ENTRY = timedelta(hours=1)


class SiteSession:
    """The data of one entry (one system) and the running of its API calls."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any], client: APsystemsClient):
        """Start empty; :meth:`async_load` reads the entry's files."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.site = SiteState(entry.data[CONF_SID])
        self.planner_state = PlannerState()
        self.records = HourlyRecords()  # the hourly energies behind the statistics
        self.health = Health(threshold(entry))  # panel health: what it learned and decided
        self._health_seen = self.health.revision  # as last saved and shown in the issues
        # The App ID's call book, shared with its other entries (attached when loaded).
        self.shared: SharedBook | None = None
        self.book = CallBook(since=dt_util.utcnow())
        self.planner: Planner = self.make_planner()
        self.files = EntryFiles(hass, entry.entry_id)
        self.outcomes = Outcomes(hass, entry.entry_id)
        # The last answer of each endpoint kind as received, for diagnostics.
        self.answers = LastAnswers((entry.data[CONF_APP_ID], entry.data[CONF_APP_SECRET]))
        client.on_answer = self.answers.keep

    def make_planner(self) -> Planner:
        """The planner for the entry's options and the site as it is known now."""
        return build_planner(self.hass, self.entry, self.site, self.records, self.shared)

    # -- files -----------------------------------------------------------------------------

    async def async_load(self) -> None:
        """Load the persisted state and join the App ID's call book: with fresh data, the
        first refresh makes no call."""
        self.site, self.planner_state = await self.files.async_load_state(self.site.sid)
        self.client.storage_prefix = self.site.storage_prefix  # learnt once, kept
        # The planner built next weighs in with what one of this site's polls costs (every
        # system of the App ID then polls at the same rate).
        self.shared = await async_attach(
            self.hass, self.entry.data[CONF_APP_ID], self.entry.entry_id, dt_util.utcnow()
        )
        self.book = self.shared.book
        # Without its history file an entry that ran before (its state file is there, or it
        # was created well before) lost it: its statistics' sums are then read back from
        # the recorder, not restarted at 0.
        ran = self.files.found or dt_util.utcnow() - self.entry.created_at >= NEW_ENTRY
        loaded = await self.files.async_load_records()
        self.records = loaded or HourlyRecords(recovering=ran)
        await self.files.async_load_answers(self.answers)
        self.health = await self.files.async_load_health(threshold(self.entry))
        self._health_seen = self.health.revision
        sync_issues(self.hass, self.entry.entry_id, self.health, set(self.site.inverters))
        self.planner = self.make_planner()
        await self.import_changed()  # what was kept while the import was off, or not yet sent

    def _payload(self) -> dict[str, Any]:
        return {"site": self.site.as_dict(), "planner": self.planner_state.as_dict()}

    def _history_payload(self) -> dict[str, Any]:
        return self.records.as_dict()

    def save_later(self) -> None:
        """Write the state (and the call book, and new raw answers) soon."""
        self.files.save_state_later(self._payload)
        if self.shared is not None:
            self.shared.save()
        if self.answers.changed:
            self.answers.changed = False
            self.files.save_answers_later(self.answers.as_dict)
        if self.health.revision != self._health_seen:
            self._health_seen = self.health.revision
            self.files.save_health_later(self.health.as_dict)
            sync_issues(self.hass, self.entry.entry_id, self.health, set(self.site.inverters))

    async def async_close(self) -> None:
        """Write everything now and leave the App ID's call book (unload or stop)."""
        await self.files.async_save_state(self._payload())
        await self.files.async_save_history(self._history_payload())
        await self.files.async_save_answers(self.answers.as_dict())
        await self.files.async_save_health(self.health.as_dict())
        if self.shared is not None:
            await async_detach(self.hass, self.entry.data[CONF_APP_ID], self.entry.entry_id)
            self.shared = None

    # -- calls -----------------------------------------------------------------------------

    async def async_bootstrap(self, now: datetime) -> None:
        """First run: the system's details (timezone, ECUs), its inverter and meter lists and
        every lifetime, before anything can be planned; the planner says which calls, and
        when (a failure's backoff is saved at once, so Home Assistant's quick set-up retries
        do not eat the quota)."""
        handed = self.hass.data.get(DETAILS_HANDOFF, {}).pop(self.site.sid, None)
        if raw := self.hass.data.get(ANSWERS_HANDOFF, {}).pop(self.site.sid, None):
            self.answers.keep(raw)  # the details' answer, as the config flow got it
        if isinstance(handed, SystemDetails):
            # The config flow just fetched them: use its answer, count its call.
            self.site.apply_details(handed, now)
            self.planner.record(
                PlannedCall(CallKind.DETAILS), now, self.book, self.planner_state, setup=True
            )
        calls = self.planner.bootstrap_calls(
            now, self.planner_state, details=isinstance(handed, SystemDetails)
        )
        try:
            if calls and calls[0].kind is CallKind.DETAILS:
                await self.async_run(calls[:1], setup=True)
                calls = calls[1:]
            if not calls or not self.site.ecus:
                return
            if self.planner_state.closed_day is None:
                # Days before the installation are history (backfill), not closings; the day
                # of the installation is closed tonight or caught up tomorrow morning.
                self.planner_state.closed_day = self.site.local_day(now) - timedelta(days=1)
            await self.async_run(calls, setup=True)
            # The system's, each ECU's and (up to SETUP_ANCHORS) each inverter's lifetime at
            # the start of today: from then on the counters roll forward day by day. Fetched
            # now, lifetimes are known at once, also when the integration is added at night.
            await self.async_run(self.unknown_lifetimes(inverters=SETUP_ANCHORS), setup=True)
            await self.async_run(self.planner.battery_readings(), setup=True)
            if option(self.entry, CONF_IMPORT_STATISTICS) and self.site.producing:
                today = self.site.local_day(dt_util.utcnow())
                await self.async_run(self.planner.first_history(today), setup=True)
        finally:
            if not self.site.ecus:
                await self.files.async_save_state(self._payload())
                if self.shared is not None:
                    await self.shared.async_save()

    def unknown_lifetimes(self, *, inverters: int | None = None) -> tuple[PlannedCall, ...]:
        """The summaries of the counters whose start is unknown, and of at most
        ``inverters`` inverters whose lifetime is due for its anchor (None: all of them)."""
        site = self.site
        return self.planner.lifetime_calls(
            site.energy.lifetime is None and bool(site.producing or not site.storage),
            [eid for eid, ecu in site.producing.items() if ecu.energy.lifetime is None],
            {uid: site.inverters[uid].anchored for uid in site.listed_inverters},
            site.local_day(dt_util.utcnow()),
            limit=inverters,
            storage=[
                e for e in site.listed_storage if site.storage[e].energy["charge"].start is None
            ],
            meters=[
                e for e in site.listed_meters if site.meters[e].energy["consumed"].lifetime is None
            ],
        )

    async def async_run(
        self,
        calls: Iterable[PlannedCall],
        plan: Plan | None = None,
        *,
        manual: bool = False,
        setup: bool = False,
    ) -> None:
        """Run calls in order; every attempt is recorded in the call book (``setup``: as the
        set-up's)."""
        succeeded = False
        held_now: set[str] = set()
        inventory_before = self._inventory()
        for call in calls:
            at = dt_util.utcnow()
            if call.key in held_now:
                continue  # held back by a failure earlier in this run (its day before)
            failure: APsystemsError | None = None
            sent = self.client.requests
            try:
                await self._call(call, at)
            except APsystemsError as err:
                failure = err
            keep_going = self.planner.record(
                call,
                at,
                self.book,
                self.planner_state,
                failure=None if failure is None else failure.failure,
                plan=plan,
                attempts=max(self.client.requests - sent, 1),
                manual=manual,
                setup=setup,
            )
            if call.backfill and (failure is None or isinstance(failure, APsystemsApiError)):
                self.records.answered.add(call.dated_key)  # an answer, even "no data": final
            held = self.planner.held_until(call, self.planner_state)
            if failure is None:
                succeeded = True
                self.outcomes.reachable()
                self.outcomes.answered(call)
            elif held is not None and held > at:
                held_now.add(call.key)
                self.outcomes.held_back(call, failure, held)
            else:
                self.outcomes.failed(call, failure, succeeded)
            if not keep_going:
                break
        now = dt_util.utcnow()
        quota = self.planner.config.quota
        self.outcomes.quota(self.book.exhausted(now), quota, self.planner.month_bounds(now)[1])
        await self.import_changed()
        if self._inventory() != inventory_before:
            self.planner = self.make_planner()
        else:
            self.planner.backfill = backfill_queue(self.entry, self.site, self.records)

    def _inventory(self) -> tuple[set[str], ...]:
        """What the planner's site is built from: producing ECUs, inverters, meters,
        batteries."""
        site = self.site
        return (
            set(site.producing),
            set(site.listed_inverters),
            set(site.listed_meters),
            set(site.listed_storage),
        )

    async def _call(self, call: PlannedCall, at: datetime) -> None:
        """One API call, folded into the site state and the hourly records."""
        dispatcher = Dispatcher(self.client, self.site, self.records, self.health, self._learn)
        gone = await dispatcher.run(call, at)
        if call.kind in (CallKind.INVENTORY, CallKind.METERS):
            gone |= self.site.orphans(self.outcomes.registered(), self.site.local_day(at))
        if gone:
            self.outcomes.remove_devices(gone)

    def _learn(self, eid: str, day: date, samples: list[tuple[datetime, float | None]]) -> None:
        """An ECU's curve of the day into the system's envelope (what its power follows)."""
        self.planner_state.envelope.learn(day, eid, samples)

    async def import_changed(self) -> None:
        """Send the changed statistics series (kept while the import is off)."""
        await async_import_changed(
            self.hass,
            self.site,
            self.records,
            enabled=option(self.entry, CONF_IMPORT_STATISTICS),
            save=lambda: self.files.save_history_later(self._history_payload),
        )
