"""The coordinator: runs the planner's calls, folds the answers into the site state, and
persists state and planner memory (and, shared per App ID, the call book) so a restart
with fresh data costs no call."""

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .callbook import SharedBook, async_attach, async_detach
from .const import (
    CONF_APP_ID,
    CONF_IMPORT_STATISTICS,
    CONF_SID,
    DETAILS_HANDOFF,
    DOMAIN,
    LOGGER,
)
from .dispatch import Dispatcher
from .openapi import (
    APsystemsApiError,
    APsystemsClient,
    APsystemsError,
    SystemDetails,
)
from .outcomes import Outcomes
from .planner import (
    CallBook,
    CallKind,
    Plan,
    PlanKind,
    PlannedCall,
    Planner,
    PlannerState,
)
from .planner.book import period
from .planner.core import SETUP_ANCHORS
from .planning import backfill_queue, build_planner, option
from .records import HourlyRecords
from .state import SiteState
from .statistics import async_import_changed
from .storage import EntryFiles

# The planner is pure and cheap: wake at least this often to plan again (no call needed).
MAX_SLEEP = timedelta(hours=1)
MIN_SLEEP = timedelta(seconds=30)
DUE_SLACK = timedelta(seconds=5)
# An entry this old has run before: without its history file it lost it.
NEW_ENTRY = timedelta(hours=1)

type APsystemsConfigEntry = ConfigEntry[APsystemsCoordinator]


class APsystemsCoordinator(DataUpdateCoordinator[SiteState]):
    """Plans, runs and remembers the API calls of one system."""

    config_entry: APsystemsConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: APsystemsConfigEntry, client: APsystemsClient
    ) -> None:
        """Create the coordinator; state is loaded in ``_async_setup``."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=MIN_SLEEP,
            always_update=True,
        )
        self.client = client
        self.site = SiteState(entry.data[CONF_SID])
        self.planner_state = PlannerState()
        self.records = HourlyRecords()  # the hourly energies behind the statistics
        # The App ID's call book, shared with its other entries (attached at set-up).
        self.shared: SharedBook | None = None
        self.book = CallBook(since=dt_util.utcnow())
        self.planner: Planner = self._make_planner()
        self.next_poll: datetime | None = None
        self.last_plan: Plan | None = None
        self.poll_interval = MAX_SLEEP  # the daylight polls' spacing, as last planned
        self.files = EntryFiles(hass, entry.entry_id)
        self.outcomes = Outcomes(hass, entry.entry_id)
        self._busy = asyncio.Lock()  # this system's calls run (the App ID's lock may wait)

    # -- configuration ---------------------------------------------------------------------

    def _make_planner(self) -> Planner:
        return build_planner(self.hass, self.config_entry, self.site, self.records, self.shared)

    @property
    def history(self) -> dict[str, dict[date, list[float]]]:
        """The hourly energies per statistic series and system-local day."""
        return self.records.series

    @property
    def answered(self) -> set[str]:
        """Backfill calls the API answered (``PlannedCall.dated_key``): not asked again."""
        return self.records.answered

    @property
    def quota(self) -> int:
        """The monthly call quota."""
        return self.planner.config.quota

    @property
    def calls_used(self) -> int:
        """Calls made on the App ID in this quota period (every entry, failures included)."""
        now = dt_util.utcnow()
        return self.book.used(period(now)[0], now)

    @property
    def calls_remaining(self) -> int:
        """Calls the App ID has left this period; in the first period, the part of the
        period before counting began is taken as spent at an even rate."""
        return max(self.quota - self.book.spent(self.quota, dt_util.utcnow()), 0)

    # -- persistence -----------------------------------------------------------------------

    async def _async_setup(self) -> None:
        """Load the persisted state: with fresh data, the first refresh makes no call."""
        self.site, self.planner_state = await self.files.async_load_state(
            self.config_entry.data[CONF_SID]
        )
        self.client.storage_prefix = self.site.storage_prefix  # learnt once, kept
        await self._attach()
        # Without its history file an entry that ran before (its state file is there, or it
        # was created well before) lost it: its statistics' sums are then read back from
        # the recorder, not restarted at 0.
        age = dt_util.utcnow() - self.config_entry.created_at
        ran = self.files.found or age >= NEW_ENTRY
        loaded = await self.files.async_load_records()
        self.records = loaded or HourlyRecords(recovering=ran)
        self.planner = self._make_planner()
        await self._import_changed()  # what was kept while the import was off, or not yet sent

    async def _attach(self) -> None:
        """Join the App ID's call book; the planner built next weighs in with what one of
        this site's polls costs (every system then polls at the same rate)."""
        self.shared = await async_attach(
            self.hass,
            self.config_entry.data[CONF_APP_ID],
            self.config_entry.entry_id,
            dt_util.utcnow(),
        )
        self.book = self.shared.book

    def _payload(self) -> dict[str, Any]:
        return {"site": self.site.as_dict(), "planner": self.planner_state.as_dict()}

    def _history_payload(self) -> dict[str, Any]:
        return self.records.as_dict()

    async def async_shutdown(self) -> None:
        """Write the state now (the entry unloads or Home Assistant stops)."""
        await super().async_shutdown()
        await self.files.async_save_state(self._payload())
        await self.files.async_save_history(self._history_payload())
        if self.shared is not None:
            await async_detach(
                self.hass, self.config_entry.data[CONF_APP_ID], self.config_entry.entry_id
            )
            self.shared = None

    # -- the update loop -------------------------------------------------------------------

    async def _async_update_data(self) -> SiteState:
        """Run whatever the planner says is due now, then sleep until the next plan."""
        async with self._busy, self._book_lock():
            now = dt_util.utcnow()
            if not self.site.ecus:
                await self._bootstrap(now)
            if not self.site.ecus:
                raise UpdateFailed(
                    translation_domain=DOMAIN,
                    translation_key="no_data_yet",
                    translation_placeholders={"error": "the system has no ECU data yet"},
                )
            plan = self.planner.next_plan(now, self.book, self.planner_state)
            if plan.calls and plan.at <= now + DUE_SLACK:
                self.last_plan = plan
                lost = self._unknown_lifetimes()
                extra = self.planner.lost_summaries(plan, lost, now, self.book, self.planner_state)
                await self._run(plan.calls + extra, plan)
            self._schedule_next()
            self._save()
        return self.site

    def _book_lock(self) -> asyncio.Lock:
        """The App ID's lock: checking the budget and spending it are one step."""
        if self.shared is None:
            raise RuntimeError("the call book is attached in _async_setup")
        return self.shared.lock

    def _save(self) -> None:
        self.files.save_state_later(self._payload)
        if self.shared is not None:
            self.shared.save()

    def _schedule_next(self) -> None:
        now = dt_util.utcnow()
        upcoming = self.planner.next_plan(now, self.book, self.planner_state)
        self.next_poll = upcoming.at if upcoming.calls else None
        if upcoming.kind is PlanKind.POLL and upcoming.interval is not None:
            self.poll_interval = upcoming.interval
        sleep = upcoming.at - now
        self.update_interval = min(max(sleep, MIN_SLEEP), MAX_SLEEP)

    async def _bootstrap(self, now: datetime) -> None:
        """First run: the system's details (timezone, ECUs), its inverter and meter lists and
        every lifetime, before anything can be planned; the planner says which calls, and
        when (a failure's backoff is saved at once, so Home Assistant's quick set-up retries
        do not eat the quota)."""
        handed = self.hass.data.get(DETAILS_HANDOFF, {}).pop(self.site.sid, None)
        if isinstance(handed, SystemDetails):
            # The config flow just fetched them: use its answer, count its call.
            self.site.apply_details(handed, now)
            self.planner.record(PlannedCall(CallKind.DETAILS), now, self.book, self.planner_state)
        calls = self.planner.bootstrap_calls(
            now, self.planner_state, details=isinstance(handed, SystemDetails)
        )
        try:
            if calls and calls[0].kind is CallKind.DETAILS:
                await self._run(calls[:1], None)
                calls = calls[1:]
            if not calls or not self.site.ecus:
                return
            if self.planner_state.closed_day is None:
                # Days before the installation are history (backfill), not closings; the day
                # of the installation is closed tonight or caught up tomorrow morning.
                self.planner_state.closed_day = self.site.local_day(now) - timedelta(days=1)
            await self._run(calls, None)
            # The system's, each ECU's and (up to SETUP_ANCHORS) each inverter's lifetime at
            # the start of today: from then on the counters roll forward day by day. Fetched
            # now, lifetimes are known at once, also when the integration is added at night.
            await self._run(self._unknown_lifetimes(inverters=SETUP_ANCHORS), None)
            await self._run(self.planner.battery_readings(), None)
            if option(self.config_entry, CONF_IMPORT_STATISTICS) and self.site.producing:
                today = self.site.local_day(dt_util.utcnow())
                await self._run(self.planner.first_history(today), None)
        finally:
            if not self.site.ecus:
                await self.files.async_save_state(self._payload())
                if self.shared is not None:
                    await self.shared.async_save()

    def _unknown_lifetimes(self, *, inverters: int | None = None) -> tuple[PlannedCall, ...]:
        """The summaries of the counters whose start is unknown, and of at most
        ``inverters`` inverters whose lifetime is due for its anchor (None: all of them)."""
        site = self.site
        return self.planner.lifetime_calls(
            site.energy.start is None and bool(site.producing or not site.storage),
            [eid for eid, ecu in site.producing.items() if ecu.energy.start is None],
            {uid: site.inverters[uid].anchored for uid in site.listed_inverters},
            site.local_day(dt_util.utcnow()),
            limit=inverters,
            storage=[
                e for e in site.listed_storage if site.storage[e].energy["charge"].start is None
            ],
        )

    async def _run(
        self, calls: tuple[PlannedCall, ...], plan: Plan | None, *, manual: bool = False
    ) -> None:
        """Run calls in order; every attempt is recorded in the call book."""
        succeeded = False
        inventory_before = self._inventory()
        for call in calls:
            at = dt_util.utcnow()
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
            )
            if call.backfill and (failure is None or isinstance(failure, APsystemsApiError)):
                self.records.answered.add(call.dated_key)  # an answer, even "no data": final
            if failure is None:
                succeeded = True
                self.outcomes.reachable()
            else:
                self.outcomes.failed(call, failure, succeeded)
            if not keep_going:
                break
        now = dt_util.utcnow()
        self.outcomes.quota(self.book.exhausted(now), self.quota, self.planner.month_bounds(now)[1])
        await self._import_changed()
        if self._inventory() != inventory_before:
            self.planner = self._make_planner()
        else:
            self.planner.backfill = backfill_queue(self.config_entry, self.site, self.records)

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
        gone = await Dispatcher(self.client, self.site, self.records).run(call, at)
        if call.kind in (CallKind.INVENTORY, CallKind.METERS):
            gone |= self.site.orphans(self.outcomes.registered(), self.site.local_day(at))
        if gone:
            self.outcomes.remove_devices(gone)

    async def _import_changed(self) -> None:
        """Send the changed statistics series (kept while the import is off)."""
        await async_import_changed(
            self.hass,
            self.site,
            self.records,
            enabled=option(self.config_entry, CONF_IMPORT_STATISTICS),
            save=lambda: self.files.save_history_later(self._history_payload),
        )

    # -- buttons ---------------------------------------------------------------------------

    async def async_refresh_now(self) -> None:
        """Fetch what a fast poll fetches, now (button)."""
        day = self.site.local_day(dt_util.utcnow())
        await self._manual_run(self.planner.poll_calls(day))

    async def async_rescan(self) -> None:
        """Fetch the ECU / inverter / meter lists now (button)."""
        await self._manual_run((PlannedCall(CallKind.INVENTORY), PlannedCall(CallKind.METERS)))

    async def _manual_run(self, calls: tuple[PlannedCall, ...]) -> None:
        """Run a button's calls if the planner allows them. Checking and spending are one
        step under the App ID's lock; a press while this system's calls run, or while what
        it would fetch is younger than the ECU's upload interval, costs nothing."""
        if self._busy.locked():
            return  # this system's refresh is running: its answers are what the press asks for
        async with self._busy, self._book_lock():
            now = dt_util.utcnow()
            if self.planner.fresh(calls, now, self.planner_state):
                return
            refusal = self.planner.refuse_manual(calls, now, self.book, self.planner_state)
            if refusal is not None:
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key=f"manual_{refusal}",
                    translation_placeholders={
                        "calls": str(len(calls)),
                        "remaining": str(self.calls_remaining),
                        "allowance": str(self.planner.manual_allowance),
                    },
                )
            try:
                await self._run(calls, None, manual=True)
            except ConfigEntryAuthFailed as err:
                # Refused credentials: the same re-authentication as a poll would start.
                self.config_entry.async_start_reauth(self.hass)
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="auth_failed",
                    translation_placeholders=err.translation_placeholders,
                ) from err
            finally:
                self._schedule_next()
                self._save()
        self.async_update_listeners()
