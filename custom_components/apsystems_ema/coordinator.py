"""The coordinator: runs the planner's calls, folds the answers into the site state, and
persists state and planner memory (and, shared per App ID, the call book) so a restart
with fresh data costs no call."""

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .callbook import SharedBook, async_attach, async_detach
from .const import (
    CONF_APP_ID,
    CONF_AUTOMATIC_INTERVAL,
    CONF_DETAIL_TELEMETRY,
    CONF_FIXED_INTERVAL,
    CONF_IMPORT_STATISTICS,
    CONF_MONTHLY_QUOTA,
    CONF_SID,
    CONF_SUNRISE_OFFSET,
    CONF_SUNSET_OFFSET,
    DEFAULT_OPTIONS,
    DETAILS_HANDOFF,
    DOMAIN,
    LOGGER,
)
from .openapi import (
    APsystemsApiError,
    APsystemsAuthError,
    APsystemsClient,
    APsystemsError,
    APsystemsNoDataError,
    APsystemsRequestError,
    APsystemsResponseError,
    APsystemsTransportError,
    BatchPower,
    EnergyLevel,
    SystemDetails,
)
from .planner import (
    CallBook,
    CallKind,
    DetailMode,
    Plan,
    PlanKind,
    PlannedCall,
    Planner,
    PlannerConfig,
    PlannerState,
    SiteGeometry,
)
from .planner.backfill import DeviceSeries, backfill_queue, daily_rows, first_hourly_day
from .planner.book import period
from .state import SiteState, ecu_slots
from .statistics import (
    METER_SERIES,
    PRODUCTION,
    async_import_series,
    by_hour,
    ecu_series,
    meter_series,
)

STORE_VERSION = 1
SAVE_DELAY = 10  # seconds
HISTORY_SAVE_DELAY = 60  # seconds; only past days' changes are worth writing
HOURLY_BACKFILL_DAYS = 31  # older history is fetched at the daily level
# An ECU's curve of a day holding this much less than the day's exact energy missed its end.
SHORT_CURVE = 0.02
SHORT_CURVE_KWH = 0.05
# The planner is pure and cheap: wake at least this often to plan again (no call needed).
MAX_SLEEP = timedelta(hours=1)
MIN_SLEEP = timedelta(seconds=30)
DUE_SLACK = timedelta(seconds=5)

type APsystemsConfigEntry = ConfigEntry[APsystemsCoordinator]


def stores(
    hass: HomeAssistant, entry_id: str
) -> tuple[Store[dict[str, Any]], Store[dict[str, Any]]]:
    """The entry's state file and its history file (under ``.storage``)."""
    return (
        Store(hass, STORE_VERSION, f"{DOMAIN}.{entry_id}"),
        Store(hass, STORE_VERSION, f"{DOMAIN}.{entry_id}.history"),
    )


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
        self.planner: Planner = self._make_planner()
        # The App ID's call book, shared with its other entries (attached at set-up).
        self.shared: SharedBook | None = None
        self.book = CallBook(since=dt_util.utcnow())
        self.next_poll: datetime | None = None
        self.last_plan: Plan | None = None
        self.removed_inverters: set[str] = set()
        # Hourly energies per statistic series (see statistics.py), per system-local day; a
        # day known only at the daily level (old backfill) holds one value, at local midnight.
        self.history: dict[str, dict[date, list[float]]] = {}
        # Backfill calls the API answered (PlannedCall.dated_key): not asked again.
        self.answered: set[str] = set()
        # (ECU, day) whose curve missed the day's end: its hours are fetched again.
        self.curves_due: set[tuple[str, date]] = set()
        self._changed: dict[str, date] = {}  # series -> oldest day to send to the recorder
        self._store, self._history_store = stores(hass, entry.entry_id)
        self._trouble = False  # a failure was logged; the next success logs the recovery
        self._summary_tried: dict[str, date] = {}  # catch-up summaries: once a day each

    # -- configuration ---------------------------------------------------------------------

    def option(self, key: str) -> Any:
        """An option, or its default."""
        return self.config_entry.options.get(key, DEFAULT_OPTIONS[key])

    def _make_planner(self) -> Planner:
        fixed = None
        if not self.option(CONF_AUTOMATIC_INTERVAL):
            fixed = timedelta(minutes=int(self.option(CONF_FIXED_INTERVAL)))
        config = PlannerConfig(
            quota=int(self.option(CONF_MONTHLY_QUOTA)),
            entry=self.config_entry.entry_id,
            sunrise_offset_minutes=int(self.option(CONF_SUNRISE_OFFSET)),
            sunset_offset_minutes=int(self.option(CONF_SUNSET_OFFSET)),
            interval=fixed,
            detail=DetailMode(self.option(CONF_DETAIL_TELEMETRY)),
        )
        site = self.site
        geometry = SiteGeometry(
            latitude=self.hass.config.latitude,
            longitude=self.hass.config.longitude,
            timezone=site.timezone,
            ecus=tuple(site.producing),
            inverters=tuple(site.inverters),
            meters=tuple(site.meters),
        )
        planner = Planner(config, geometry)
        planner.backfill = self._backfill_queue()
        return planner

    def _backfill_queue(self) -> tuple[PlannedCall, ...]:
        """The history still missing (nothing when statistics are not imported)."""
        site = self.site
        if not self.option(CONF_IMPORT_STATISTICS) or not site.ecus:
            return ()
        devices = [
            DeviceSeries(CallKind.ECU_MINUTELY, eid, self._days(ecu_series(eid)))
            for eid in site.producing
        ] + [
            DeviceSeries(
                CallKind.METER_MINUTELY,
                eid,
                set().union(*(self._days(meter_series(eid, s)) for s in METER_SERIES.values())),
            )
            for eid in site.meters
        ]
        # Days whose ECU curve was cut short (its last polls missed) come first: one call
        # each completes the day's hours.
        curves = tuple(
            call
            for eid, day in sorted(self.curves_due)
            if (call := PlannedCall(CallKind.BATCH_POWER, eid, day, backfill=True)).dated_key
            not in self.answered
        )
        return curves + backfill_queue(
            today=site.local_day(dt_util.utcnow()),
            created=site.create_date,
            production=self.history.get(PRODUCTION, {}),
            devices=devices,
            answered=self.answered,
            hourly_days=HOURLY_BACKFILL_DAYS,
        )

    def _days(self, series: str) -> set[date]:
        return set(self.history.get(series, {}))

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
        stored = await self._store.async_load()
        if stored:
            try:
                self.site = SiteState.from_dict(stored["site"])
                self.planner_state = PlannerState.from_dict(stored["planner"])
            except (KeyError, TypeError, ValueError) as err:
                LOGGER.warning("Ignoring unreadable stored state (%s); starting afresh", err)
                self.site = SiteState(self.config_entry.data[CONF_SID])
                self.planner_state = PlannerState()
        await self._attach()
        history = await self._history_store.async_load()
        if history:
            try:
                self.history = {
                    series: {
                        date.fromisoformat(d): [float(v) for v in vs] for d, vs in days.items()
                    }
                    for series, days in history["series"].items()
                }
                self.answered = {str(key) for key in history["answered"]}
                self._changed = {
                    series: date.fromisoformat(day)
                    for series, day in history.get("pending", {}).items()
                    if series in self.history
                }
                self.curves_due = {
                    (str(eid), date.fromisoformat(day)) for eid, day in history.get("curves", [])
                }
            except (KeyError, TypeError, ValueError, AttributeError) as err:
                LOGGER.warning("Ignoring unreadable stored history (%s)", err)
                self.history, self.answered = {}, set()
        self.planner = self._make_planner()
        self._import_changed()  # what was kept while the import was off, or not yet sent

    async def _attach(self) -> None:
        """Join the App ID's call book, weighing in with what one of this site's polls
        costs (every system then polls at the same rate)."""
        weight = max(self.planner.mean_cost(), 1.0)
        self.shared = await async_attach(
            self.hass,
            self.config_entry.data[CONF_APP_ID],
            self.config_entry.entry_id,
            weight,
            dt_util.utcnow(),
        )
        self.book = self.shared.book

    def _payload(self) -> dict[str, Any]:
        return {"site": self.site.as_dict(), "planner": self.planner_state.as_dict()}

    def _history_payload(self) -> dict[str, Any]:
        return {
            "series": {
                series: {day.isoformat(): values for day, values in sorted(days.items())}
                for series, days in self.history.items()
            },
            "answered": sorted(self.answered),
            "pending": {series: day.isoformat() for series, day in self._changed.items()},
            "curves": [[eid, day.isoformat()] for eid, day in sorted(self.curves_due)],
        }

    async def async_shutdown(self) -> None:
        """Write the state now (the entry unloads or Home Assistant stops)."""
        await super().async_shutdown()
        await self._store.async_save(self._payload())
        await self._history_store.async_save(self._history_payload())
        if self.shared is not None:
            await async_detach(
                self.hass, self.config_entry.data[CONF_APP_ID], self.config_entry.entry_id
            )
            self.shared = None

    # -- the update loop -------------------------------------------------------------------

    async def _async_update_data(self) -> SiteState:
        """Run whatever the planner says is due now, then sleep until the next plan."""
        async with self._book_lock():
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
                await self._run(self._with_summaries(plan, now), plan)
            self._schedule_next()
            self._save()
        return self.site

    def _book_lock(self) -> asyncio.Lock:
        """The App ID's lock: checking the budget and spending it are one step."""
        if self.shared is None:
            raise RuntimeError("the call book is attached in _async_setup")
        return self.shared.lock

    def _save(self) -> None:
        self._store.async_delay_save(self._payload, SAVE_DELAY)
        if self.shared is not None:
            self.shared.save()

    def _schedule_next(self) -> None:
        now = dt_util.utcnow()
        upcoming = self.planner.next_plan(now, self.book, self.planner_state)
        self.next_poll = upcoming.at if upcoming.calls else None
        sleep = upcoming.at - now
        self.update_interval = min(max(sleep, MIN_SLEEP), MAX_SLEEP)

    async def _bootstrap(self, now: datetime) -> None:
        """First run: the system's details (timezone, ECUs) before anything can be planned.

        Home Assistant retries a failed setup within seconds: a failure's backoff is saved
        at once and respected, so retries do not eat the monthly quota.
        """
        backoff = self.planner_state.backoff_until
        if backoff is not None and now < backoff:
            return
        answered = self.planner_state.last_ok.get(CallKind.DETAILS)
        if answered is not None and now - answered < timedelta(days=1):
            return  # the system has no ECU yet: ask again tomorrow, not every refresh
        try:
            await self._bootstrap_calls(now)
        finally:
            if not self.site.ecus:
                await self._store.async_save(self._payload())
                if self.shared is not None:
                    await self.shared.async_save()

    async def _bootstrap_calls(self, now: datetime) -> None:
        handed = self.hass.data.get(DETAILS_HANDOFF, {}).pop(self.site.sid, None)
        if isinstance(handed, SystemDetails):
            # The config flow just fetched them: use its answer, count its call.
            self.site.apply_details(handed)
            self.planner.record(PlannedCall(CallKind.DETAILS), now, self.book, self.planner_state)
        else:
            await self._run((PlannedCall(CallKind.DETAILS),), None)
        if not self.site.ecus:
            return
        if self.planner_state.closed_day is None:
            # Days before the installation are history (backfill), not closings; the day of
            # the installation is closed tonight or caught up tomorrow morning.
            self.planner_state.closed_day = self.site.local_day(now) - timedelta(days=1)
        await self._run((PlannedCall(CallKind.INVENTORY), PlannedCall(CallKind.METERS)), None)
        # The system's and each ECU's lifetime at the start of today: from then on the
        # counters roll forward day by day (the daily closing ends each day exactly). Fetched
        # now, lifetimes are known at once, also when the integration is added at night.
        await self._run(self._summary_calls(), None)

    def _summary_calls(self, day: date | None = None) -> tuple[PlannedCall, ...]:
        """Summaries of the counters whose start is unknown (not yet tried on ``day``)."""
        site = self.site
        calls = [PlannedCall(CallKind.SYSTEM_SUMMARY)] if site.energy.start is None else []
        calls += [
            PlannedCall(CallKind.ECU_SUMMARY, eid)
            for eid, ecu in site.producing.items()
            if ecu.energy.start is None
        ]
        if day is not None:
            calls = [c for c in calls if self._summary_tried.get(c.key) != day]
        return tuple(calls)

    def _with_summaries(self, plan: Plan, now: datetime) -> tuple[PlannedCall, ...]:
        """A plan's calls, plus (once a day, when the budget allows) the summaries a failed
        first run left out: without them a lifetime would stay unknown for good."""
        if plan.kind is PlanKind.PROBE:
            return plan.calls
        day = self.site.local_day(now)
        extra = tuple(c for c in self._summary_calls(day) if c not in plan.calls)
        count = len(plan.calls) + len(extra)
        if not extra or not self.planner.can_spend(count, now, self.book, self.planner_state):
            return plan.calls
        for call in extra:
            self._summary_tried[call.key] = day
        return plan.calls + extra

    async def _run(
        self, calls: tuple[PlannedCall, ...], plan: Plan | None, *, manual: bool = False
    ) -> None:
        """Run calls in order; every attempt is recorded in the call book."""
        succeeded = False
        inventory_before = self._inventory()
        for call in calls:
            at = dt_util.utcnow()
            failure: APsystemsError | None = None
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
                attempts=1 if failure is None else failure.attempts,
                manual=manual,
            )
            if call.backfill and (failure is None or isinstance(failure, APsystemsApiError)):
                self.answered.add(call.dated_key)  # an answer, even "no data": not asked again
            if failure is None:
                succeeded = True
                self._reachable()
            else:
                self._failed(call, failure, succeeded)
            if not keep_going:
                break
        self._quota_issue()
        self._import_changed()
        if self._inventory() != inventory_before:
            self.planner = self._make_planner()
        else:
            self.planner.backfill = self._backfill_queue()

    def _inventory(self) -> tuple[set[str], ...]:
        """What the planner's site is built from: producing ECUs, inverters, meters."""
        site = self.site
        return set(site.producing), set(site.inverters), set(site.meters)

    async def _call(self, call: PlannedCall, at: datetime) -> None:
        """One API call, folded into the site state."""
        client, site = self.client, self.site
        day = call.day or site.local_day(at)
        target = call.target or ""
        match call.kind:
            case CallKind.DETAILS:
                site.apply_details(await client.get_system_details())
            case CallKind.INVENTORY:
                gone = site.apply_inventory(await client.get_inverters())
                self._remove_devices(gone)
            case CallKind.METERS:
                site.apply_meters(await client.get_meters())
            case CallKind.SYSTEM_SUMMARY:
                _check(site.apply_summary(await client.get_system_summary(), at))
            case CallKind.SYSTEM_HOURLY:
                hourly = await client.get_system_energy(EnergyLevel.HOURLY, day)
                _check(site.day_problem(hourly.values, site.energy.known_on(day)))
                if not call.backfill:
                    site.apply_system_day_energy(day, hourly.total, at, exact=True)
                self._record_hours(PRODUCTION, day, list(hourly.values))
            case CallKind.SYSTEM_DAILY:
                daily = await client.get_system_energy(EnergyLevel.DAILY, day)
                today = site.local_day(at)
                added = daily_rows(
                    day,
                    daily.values,
                    created=site.create_date,
                    before=first_hourly_day(today, site.create_date, HOURLY_BACKFILL_DAYS),
                    production=self.history.get(PRODUCTION, {}),
                )
                for old, values in added.items():
                    self._record_hours(PRODUCTION, old, values)
            case CallKind.ECU_SUMMARY:
                _check(site.apply_ecu_summary(target, await client.get_ecu_summary(target), at))
            case CallKind.ECU_MINUTELY:
                curve = await client.get_ecu_minutely(target, day)
                ecu = site.ecus.get(target)
                known = [curve.today, ecu.energy.known_on(curve.day) if ecu else None]
                _check(site.day_problem(curve.energy, max((k for k in known if k), default=None)))
                if not call.backfill:
                    site.apply_ecu_minutely(target, curve, at)
                if curve.day == day:
                    self._record_hours(ecu_series(target), day, by_hour(curve.times, curve.energy))
            case CallKind.METER_SUMMARY:
                site.apply_meter_summary(target, await client.get_meter_summary(target), at)
            case CallKind.METER_MINUTELY:
                meter = await client.get_meter_minutely(target, day)
                if not call.backfill:
                    site.apply_meter_minutely(target, meter, at)
                for key, series in METER_SERIES.items():
                    hours = by_hour(meter.times, meter.energy.get(key, ()))
                    self._record_hours(meter_series(target, series), day, hours)
            case CallKind.INVERTER_MINUTELY:
                detail = await client.get_inverter_minutely(target, day)
                site.apply_inverter_detail(target, detail, at)
            case CallKind.BATCH_POWER if call.backfill:
                self._complete_hours(target, await client.get_batch_power(target, day))
            case CallKind.BATCH_POWER:
                power = await client.get_batch_power(target, day)
                ecu = site.ecus.get(target)
                so_far = ecu.energy.known_on(power.day) if ecu else None
                if ecu is not None and ecu.energy.exact:
                    so_far = None  # the day is closed: a later curve only refreshes the power
                _check(site.day_problem(ecu_slots(power), so_far))
                site.apply_batch_power(target, power, at)
                self._estimate_hours(target, power)
            case CallKind.BATCH_ENERGY:
                energy = await client.get_batch_energy(target, day)
                ecu = site.ecus.get(target)
                values = [kwh for channels in energy.energy.values() for kwh in channels.values()]
                _check(site.day_problem(values, ecu.energy.known_on(day) if ecu else None))
                site.apply_batch_energy(target, energy, at)
                self._exact_ecu_day(target, day, sum(values))

    def _estimate_hours(self, eid: str, power: BatchPower) -> None:
        """The hours of a day still in progress, from the same curve that moves the lifetime:
        the ECU's hours (its channels' integrated energies), and the system's once every
        producing ECU has its hours of that day. Exact figures of the day are kept."""
        ecu, day = self.site.ecus.get(eid), power.day
        if ecu is None or (ecu.energy.day == day and ecu.energy.exact):
            return
        self._record_hours(ecu_series(eid), day, by_hour(power.times, ecu_slots(power)))
        system = self.site.energy
        if system.day == day and system.exact:
            return
        hours = [self.history.get(ecu_series(e), {}).get(day) for e in self.site.producing]
        if hours and all(hours):
            self._record_hours(PRODUCTION, day, [sum(h) for h in zip(*hours, strict=False)])

    def _exact_ecu_day(self, eid: str, day: date, total: float) -> None:
        """The ECU's hours of ``day`` (from its curves) scaled to its exact day energy. A
        curve that missed the day's end (its last polls failed) is fetched again later; until
        then, or when no curve of that day was answered, the system's hours lend their shape."""
        hours = self.history.get(ecu_series(eid), {}).get(day) or []
        if sum(hours) < total * (1 - SHORT_CURVE) - SHORT_CURVE_KWH:
            self.curves_due.add((eid, day))
            if not hours or sum(hours) <= 0:
                hours = self.history.get(PRODUCTION, {}).get(day) or []
        estimated = sum(hours)
        if estimated > 0:
            self._record_hours(ecu_series(eid), day, [h * total / estimated for h in hours])

    def _complete_hours(self, eid: str, power: BatchPower) -> None:
        """A past day's whole curve of an ECU: its hours, scaled to the day's exact energy
        (what its hours already add up to)."""
        self.curves_due.discard((eid, power.day))
        hours = by_hour(power.times, ecu_slots(power))
        total = sum(self.history.get(ecu_series(eid), {}).get(power.day) or [])
        if sum(hours) > 0 and total > 0:
            scale = total / sum(hours)
            self._record_hours(ecu_series(eid), power.day, [h * scale for h in hours])

    def _record_hours(self, series: str, day: date, values: list[float]) -> None:
        """Keep a day's hourly energies of a series; the day and every later one are sent to
        the recorder after the current calls (see :meth:`_import_changed`)."""
        days = self.history.setdefault(series, {})
        if not values or days.get(day) == values:
            return
        days[day] = values
        self._changed[series] = min(day, self._changed.get(series, day))
        if series == PRODUCTION or day < self.site.local_day(dt_util.utcnow()):
            # A device's hours of today are fetched again anyway: they are not worth a write.
            self._history_store.async_delay_save(self._history_payload, HISTORY_SAVE_DELAY)

    def _import_changed(self) -> None:
        """Send each changed series once, from its oldest changed day on (sums shift). With
        the import off, changes wait (persisted) until it is turned on."""
        if not self.option(CONF_IMPORT_STATISTICS) or not self._changed:
            return
        changed, self._changed = self._changed, {}
        for series, day in changed.items():
            days = self.history[series]
            async_import_series(self.hass, self.site.sid, self.site.timezone, series, days, day)

    # -- outcomes --------------------------------------------------------------------------

    def _reachable(self) -> None:
        if self._trouble:
            LOGGER.info("The APsystems OpenAPI answers again")
            self._trouble = False

    def _failed(self, call: PlannedCall, err: APsystemsError, any_ok: bool) -> None:
        """Log a failure once (a line per failure at DEBUG), until a call succeeds again."""
        if isinstance(err, APsystemsAuthError) or (
            isinstance(err, APsystemsRequestError) and err.code == 4000 and not any_ok
        ):
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="auth_failed",
                translation_placeholders={"code": str(err.code)},
            ) from err
        LOGGER.debug("%s failed: %s", call.key, err)
        if isinstance(err, APsystemsNoDataError) or self._trouble:
            return  # "no data" is an answer (a day without data), not a problem
        self._trouble = True
        if isinstance(err, APsystemsTransportError):
            LOGGER.warning("The APsystems OpenAPI is unreachable: %s", err)
        elif isinstance(err, APsystemsResponseError):
            LOGGER.warning(
                "The APsystems OpenAPI sent an unusable answer to %s: %s", call.kind, err
            )
        else:
            LOGGER.warning("The APsystems OpenAPI refused %s: %s", call.kind, err)

    def _quota_issue(self) -> None:
        issue_id = f"quota_exhausted_{self.config_entry.entry_id}"
        if self.book.exhausted(dt_util.utcnow()):
            _, reset = self.planner.month_bounds(dt_util.utcnow())
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="quota_exhausted",
                translation_placeholders={
                    "quota": str(self.quota),
                    "reset": dt_util.as_local(reset).date().isoformat(),
                },
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    def _remove_devices(self, uids: set[str]) -> None:
        """Inverters the API no longer lists lose their device (and entities)."""
        registry = dr.async_get(self.hass)
        for uid in uids:
            device = registry.async_get_device_by_identifier(
                (DOMAIN, uid), self.config_entry.entry_id
            )
            if device is not None:
                registry.async_remove_device(device.id)
            self.removed_inverters.add(uid)

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
        step under the App ID's lock; a press while calls run, or while what it would fetch
        is younger than the ECU's upload interval, costs nothing."""
        lock = self._book_lock()
        if lock.locked():
            return  # a refresh is running: its answers are what the press asks for
        async with lock:
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


def _check(problem: str | None) -> None:
    """An answer the state refused (impossible or cut-short values) is a failed call: it is
    logged, counted and tried again later, and nothing it held is kept."""
    if problem is not None:
        raise APsystemsResponseError(f"implausible data: {problem}")
