"""The coordinator: Home Assistant's update loop for one system. It asks the planner what is
due, has the entry's session (:mod:`.session`) run it, and sleeps until the next plan; the
buttons' calls go through the same locks and the planner's consent."""

import asyncio
from datetime import date, datetime, time, timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .openapi import APsystemsClient
from .planner import CallBook, CallKind, Plan, PlanKind, PlannedCall, Planner, PlannerState
from .planner.book import period
from .records import HourlyRecords
from .session import SiteSession
from .state import SiteState, zone_of

# The planner is pure and cheap: wake at least this often to plan again (no call needed).
MAX_SLEEP = timedelta(hours=1)
MIN_SLEEP = timedelta(seconds=30)
DUE_SLACK = timedelta(seconds=5)
# Wake just after the system's midnight: the figures of the day (month, year) turn over then.
MIDNIGHT_SLACK = timedelta(seconds=1)

type APsystemsConfigEntry = ConfigEntry[APsystemsCoordinator]


class APsystemsCoordinator(DataUpdateCoordinator[SiteState]):
    """Plans, runs and remembers the API calls of one system."""

    config_entry: APsystemsConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: APsystemsConfigEntry, client: APsystemsClient
    ) -> None:
        """Create the coordinator; its session loads the state in ``_async_setup``."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=MIN_SLEEP,
            always_update=True,
        )
        self.session = SiteSession(hass, entry, client)
        self.next_poll: datetime | None = None
        self.last_plan: Plan | None = None
        self.poll_interval = MAX_SLEEP  # the daylight polls' spacing, as last planned
        self._busy = asyncio.Lock()  # this system's calls run (the App ID's lock may wait)

    # -- the session's data, as entities and diagnostics read it ----------------------------

    @property
    def site(self) -> SiteState:
        """The system's state."""
        return self.session.site

    @property
    def planner(self) -> Planner:
        """The planner for the entry's options and the site as it is known now."""
        return self.session.planner

    @property
    def planner_state(self) -> PlannerState:
        """The planner's memory."""
        return self.session.planner_state

    @property
    def records(self) -> HourlyRecords:
        """The hourly energies behind the statistics."""
        return self.session.records

    @property
    def book(self) -> CallBook:
        """The App ID's call book."""
        return self.session.book

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

    async def _async_setup(self) -> None:
        """Load the persisted state: with fresh data, the first refresh makes no call."""
        await self.session.async_load()

    async def async_shutdown(self) -> None:
        """Write the state now (the entry unloads or Home Assistant stops)."""
        await super().async_shutdown()
        await self.session.async_close()

    # -- the update loop -------------------------------------------------------------------

    async def _async_update_data(self) -> SiteState:
        """Run whatever the planner says is due now, then sleep until the next plan."""
        async with self._busy, self._book_lock():
            now = dt_util.utcnow()
            if not self.site.ecus:
                await self.session.async_bootstrap(now)
            if not self.site.ecus:
                raise UpdateFailed(
                    translation_domain=DOMAIN,
                    translation_key="no_data_yet",
                    translation_placeholders={"error": "the system has no ECU data yet"},
                )
            plan = self.planner.next_plan(now, self.book, self.planner_state)
            if plan.calls and plan.at <= now + DUE_SLACK:
                self.last_plan = plan
                lost = self.session.unknown_lifetimes()
                extra = self.planner.lost_summaries(plan, lost, now, self.book, self.planner_state)
                await self.session.async_run(plan.calls + extra, plan)
            self._schedule_next()
            self._save()
        return self.site

    def _book_lock(self) -> asyncio.Lock:
        """The App ID's lock: checking the budget and spending it are one step."""
        if self.session.shared is None:
            raise RuntimeError("the call book is attached in _async_setup")
        return self.session.shared.lock

    def _save(self) -> None:
        self.session.save_later()

    def _schedule_next(self) -> None:
        now = dt_util.utcnow()
        upcoming = self.planner.next_plan(now, self.book, self.planner_state)
        self.next_poll = upcoming.at if upcoming.calls else None
        if upcoming.kind is PlanKind.POLL and upcoming.interval is not None:
            self.poll_interval = upcoming.interval
        sleep = min(upcoming.at, self._next_midnight(now)) - now
        self.update_interval = min(max(sleep, MIN_SLEEP), MAX_SLEEP)

    def _next_midnight(self, now: datetime) -> datetime:
        """The instant just after the system's next midnight."""
        zone = zone_of(self.site.timezone)
        tomorrow = now.astimezone(zone).date() + timedelta(days=1)
        return datetime.combine(tomorrow, time(0), zone) + MIDNIGHT_SLACK

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
                await self.session.async_run(calls, manual=True)
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
