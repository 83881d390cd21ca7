"""One table from a planned call to the client method that makes it, the state update that
folds its answer in, and the hourly series it feeds (pure Python, no Home Assistant).

An answer the state finds impossible or cut short raises ``APsystemsResponseError``: the call
counts as failed (``Failure.BAD_ANSWER``) and nothing it held is kept.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from .health import Health
from .history import by_hour, by_label
from .openapi import (
    STORAGE_KEYS,
    APsystemsClient,
    APsystemsResponseError,
    APsystemsStorageRefusedError,
    BatchPower,
    EnergyLevel,
)
from .planner import CallKind, PlannedCall
from .planner.backfill import daily_rows, first_hourly_day
from .records import (
    METER_SERIES,
    PRODUCTION,
    STORAGE_SERIES,
    HourlyRecords,
    ecu_series,
    meter_series,
    storage_series,
)
from .state import (
    SiteState,
    battery as batteries,
    ecu as ecus,
    ecu_slots,
    inverter as inverters,
    meter as meters,
    zone_of,
)
from .state.limits import glitches, too_many

# An ECU's curve of the day as instants and its power (W), for the envelope to learn from.
type CurveSink = Callable[[str, date, list[tuple[datetime, float | None]]], None]


def ecu_power(power: BatchPower, zone_name: str) -> list[tuple[datetime, float | None]]:
    """An ECU's power at each point of its batch curve: its channels summed (None where none
    has a value)."""
    zone = zone_of(zone_name)
    channels = [values for series in power.power.values() for values in series.values()]
    out: list[tuple[datetime, float | None]] = []
    for i, at in enumerate(power.times):
        values = [value for v in channels if i < len(v) and (value := v[i]) is not None]
        out.append((datetime.combine(power.day, at, zone), sum(values) if values else None))
    return out


def check(problem: str | None) -> None:
    """An answer the state refused is a failed call: logged, counted, asked again later."""
    if problem is not None:
        raise APsystemsResponseError(f"implausible data: {problem}")


# A meter's or battery's lifetime while the system's creation date is unknown: 100 years at
# most.
LIFETIME_DAYS = 36_500


def _lifetime_days(site: SiteState, at: datetime) -> int:
    """The days a lifetime total may span: since the system's creation, that day included."""
    created = site.create_date
    return max((site.local_day(at) - created).days + 1, 1) if created else LIFETIME_DAYS


def plausible_power(site: SiteState, eid: str, power: BatchPower) -> tuple[BatchPower, str | None]:
    """An ECU's batch power curve without its impossible figures (a channel's power below 0
    or beyond what its inverter can deliver: its rating, see :mod:`.state.limits`), and why
    it cannot be real when they are more than a glitch, or when its ECU, or the system with
    the other ECUs' power, is beyond what their inverters can deliver."""
    bad = total = 0
    kept: dict[str, dict[int, tuple[float | None, ...]]] = {}
    for uid, series in power.power.items():
        bound = site.channel_bound(uid)
        for number, values in series.items():
            found, count = glitches(values, bound)
            bad, total = bad + found, total + count
            kept.setdefault(uid, {})[number] = tuple(
                None if v is not None and (v < 0 or v > bound) else v for v in values
            )
    if too_many(bad, total):
        figures = [
            v for s in power.power.values() for vs in s.values() for v in vs if v is not None
        ]
        worst = max(figures, key=abs, default=0.0)
        if worst < 0:
            return power, f"negative channel power of {worst:g} W ({bad} of {total} figures)"
        bound = max((site.channel_bound(uid) for uid in power.power), default=0.0)
        return power, (
            f"channel power of {worst:g} W, more than the {bound:g} W the system can deliver "
            f"to a channel ({bad} of {total} figures)"
        )
    power = replace(power, power=kept)
    channels = [values for series in kept.values() for values in series.values()]
    totals = [
        sum(values[i] or 0.0 for values in channels if i < len(values))
        for i in range(len(power.times))
    ]
    others = sum(e.power_w or 0.0 for other, e in site.producing.items() if other != eid)
    return power, (
        site.power_problem("the ECU's power", totals, site.ecu_max_power_w(eid))
        or site.power_problem("the system's power", totals[-1:] and [totals[-1] + others])
    )


@dataclass
class Dispatcher:
    """Runs one planned call against the client and folds the answer into the state."""

    client: APsystemsClient
    site: SiteState
    records: HourlyRecords
    health: Health | None = None  # panel health reads the batch curves and energies too
    on_curve: CurveSink | None = None  # each ECU's curve of the day, once it is accepted

    async def run(self, call: PlannedCall, at: datetime) -> set[str]:
        """Make the call and apply its answer; returns the identifiers of the devices the API
        no longer lists (an inventory or meter list answer), for the caller to remove."""
        handler = HANDLERS[call.kind]
        day = call.day or self.site.local_day(at)
        return await handler(self, call, call.target or "", day, at) or set()

    # -- system ---------------------------------------------------------------------------

    async def _details(self, call: PlannedCall, target: str, day: date, at: datetime) -> None:
        self.site.apply_details(await self.client.get_system_details(), at)

    async def _inventory(self, call: PlannedCall, target: str, day: date, at: datetime) -> set[str]:
        return self.site.apply_inventory(await self.client.get_inverters(), day)

    async def _meters(self, call: PlannedCall, target: str, day: date, at: datetime) -> set[str]:
        return self.site.apply_meters(await self.client.get_meters(), day)

    async def _summary(self, call: PlannedCall, target: str, day: date, at: datetime) -> None:
        check(self.site.apply_summary(await self.client.get_system_summary(), at))

    async def _hourly(self, call: PlannedCall, target: str, day: date, at: datetime) -> None:
        site = self.site
        hourly = await self.client.get_system_energy(EnergyLevel.HOURLY, day)
        check(site.day_problem(hourly.values, site.energy.known_on(day)))
        if not call.backfill:
            terms = sum(1 for kwh in hourly.values if kwh)
            site.apply_system_day_energy(day, hourly.total, at, exact=True, terms=terms)
        self.records.record(PRODUCTION, day, hourly.values)

    async def _daily(self, call: PlannedCall, target: str, day: date, at: datetime) -> None:
        daily = await self.client.get_system_energy(EnergyLevel.DAILY, day)
        self._record_month(PRODUCTION, day, daily.values, at)

    def _record_month(
        self, series: str, month: date, values: Sequence[float], at: datetime
    ) -> None:
        """A month's daily energies of a series: one row per day it has nothing for, before
        the hourly range (see :func:`~.planner.backfill.daily_rows`)."""
        site = self.site
        added = daily_rows(
            month,
            values,
            created=site.create_date,
            before=first_hourly_day(site.local_day(at), site.create_date, self.records.hourly_days),
            production=self.records.days(series),
        )
        for old, energies in added.items():
            self.records.record(series, old, energies)

    # -- ECUs and inverters ---------------------------------------------------------------

    async def _ecu_summary(self, call: PlannedCall, target: str, day: date, at: datetime) -> None:
        summary = await self.client.get_ecu_summary(target)
        check(ecus.apply_summary(self.site, target, summary, at))

    async def _ecu_curve(self, call: PlannedCall, target: str, day: date, at: datetime) -> None:
        curve = await self.client.get_ecu_minutely(target, day)
        check(self.site.power_problem("ECU power", curve.power, self.site.ecu_max_power_w(target)))
        ecu = self.site.ecus.get(target)
        known = [curve.today, ecu.energy.known_on(curve.day) if ecu else None]
        check(self.site.day_problem(curve.energy, max((k for k in known if k), default=None)))
        if not call.backfill:
            ecus.apply_minutely(self.site, target, curve, at)
        if curve.day == day:
            self.records.record(ecu_series(target), day, by_hour(curve.times, curve.energy))

    async def _batch_power(self, call: PlannedCall, target: str, day: date, at: datetime) -> None:
        site = self.site
        power = await self.client.get_batch_power(target, day)
        if call.backfill:  # a past day's whole curve: its hours only
            self.records.complete(target, power)
            return
        ecu = site.ecus.get(target)
        closed = ecu is not None and ecu.energy.day == power.day and ecu.energy.exact
        # A closed day's curve only refreshes the power (its energy is the API's own).
        so_far = None if ecu is None or closed else ecu.energy.known_on(power.day)
        cleaned, problem = plausible_power(site, target, power)
        if problem is not None:  # an energy beyond reason says why first
            check(site.day_problem(ecu_slots(power).energy, so_far) or problem)
        power = cleaned
        slots = ecu_slots(power)
        check(site.day_problem(slots.energy, so_far))
        inverters.apply_batch_power(site, target, power, at)
        if self.health is not None:
            self.health.observe_curve(power)
        if self.on_curve is not None:
            self.on_curve(target, power.day, ecu_power(power, site.timezone))
        if ecu is not None and not closed:
            system_open = not (site.energy.day == power.day and site.energy.exact)
            producing = list(site.producing)
            self.records.estimate(target, power, producing, slots=slots, system=system_open)

    async def _batch_energy(self, call: PlannedCall, target: str, day: date, at: datetime) -> None:
        energy = await self.client.get_batch_energy(target, day)
        ecu = self.site.ecus.get(target)
        values = [kwh for channels in energy.energy.values() for kwh in channels.values()]
        check(self.site.day_problem(values, ecu.energy.known_on(day) if ecu else None))
        inverters.apply_batch_energy(self.site, target, energy, at)
        self.records.exact_ecu_day(target, day, sum(values))
        if self.health is not None:
            self.health.observe_energy(self.site, target, energy)

    async def _inverter_summary(
        self, call: PlannedCall, target: str, day: date, at: datetime
    ) -> None:
        summary = await self.client.get_inverter_summary(target)
        check(inverters.apply_summary(self.site, target, summary, at))

    async def _detail(self, call: PlannedCall, target: str, day: date, at: datetime) -> None:
        detail = await self.client.get_inverter_minutely(target, day)
        inverters.apply_detail(self.site, target, detail, at)

    # -- meters ---------------------------------------------------------------------------

    async def _meter_summary(self, call: PlannedCall, target: str, day: date, at: datetime) -> None:
        site = self.site
        summary = await self.client.get_meter_summary(target)
        check(
            meters.totals_problem("today", summary.today, 1)
            or meters.totals_problem("lifetime", summary.lifetime, _lifetime_days(site, at))
        )
        meters.apply_summary(site, target, summary, at)

    async def _meter_curve(self, call: PlannedCall, target: str, day: date, at: datetime) -> None:
        meter = await self.client.get_meter_minutely(target, day)
        check(meters.curve_problem(self.site, target, meter))
        if not call.backfill:
            meters.apply_minutely(self.site, target, meter, at)
        whole = day < self.site.local_day(at)  # a past day's curve holds the whole day
        for key, series in METER_SERIES.items():
            hours = meters.hours(meter, key, whole_day=whole)
            self.records.record(meter_series(target, series), day, hours)

    # -- batteries ------------------------------------------------------------------------

    async def _storage[T](self, answer: Awaitable[T], eid: str, at: datetime) -> T:
        """A storage call's answer; the path prefix the client found (or not) is kept with
        the site, answered or not. A battery whose data the API refuses under both prefixes
        is not asked again before the next day's details (its calls would be wasted)."""
        try:
            return await answer
        except APsystemsStorageRefusedError:
            self.site.refuse_storage(eid, self.site.local_day(at))
            raise
        finally:
            self.site.storage_prefix = self.client.storage_prefix

    async def _storage_latest(
        self, call: PlannedCall, target: str, day: date, at: datetime
    ) -> None:
        latest = await self._storage(self.client.get_storage_latest(target), target, at)
        check(batteries.power_problem(latest))
        batteries.apply_latest(self.site, target, latest, at)

    async def _storage_summary(
        self, call: PlannedCall, target: str, day: date, at: datetime
    ) -> None:
        site = self.site
        summary = await self._storage(self.client.get_storage_summary(target), target, at)
        check(
            batteries.totals_problem("today", summary.today, 1)
            or batteries.totals_problem("lifetime", summary.lifetime, _lifetime_days(site, at))
        )
        batteries.apply_summary(site, target, summary, at)

    async def _storage_hourly(
        self, call: PlannedCall, target: str, day: date, at: datetime
    ) -> None:
        hourly = await self._storage(
            self.client.get_storage_energy(target, EnergyLevel.HOURLY, day), target, at
        )
        totals = {key: sum(hourly.series(key)) for key in STORAGE_KEYS}
        check(batteries.totals_problem("day", totals, 1))
        for key, series in STORAGE_SERIES.items():
            hours = by_label(hourly.times, hourly.series(key))
            self.records.record(storage_series(target, series), day, hours)

    async def _storage_daily(self, call: PlannedCall, target: str, day: date, at: datetime) -> None:
        daily = await self._storage(
            self.client.get_storage_energy(target, EnergyLevel.DAILY, day), target, at
        )
        highest = {key: max(daily.series(key), default=0.0) for key in STORAGE_KEYS}
        check(batteries.totals_problem("day", highest, 1))
        for key, series in STORAGE_SERIES.items():
            self._record_month(storage_series(target, series), day, daily.series(key), at)


type Handler = Callable[[Dispatcher, PlannedCall, str, date, datetime], Awaitable[set[str] | None]]

HANDLERS: dict[CallKind, Handler] = {
    CallKind.DETAILS: Dispatcher._details,
    CallKind.INVENTORY: Dispatcher._inventory,
    CallKind.METERS: Dispatcher._meters,
    CallKind.SYSTEM_SUMMARY: Dispatcher._summary,
    CallKind.SYSTEM_HOURLY: Dispatcher._hourly,
    CallKind.SYSTEM_DAILY: Dispatcher._daily,
    CallKind.ECU_SUMMARY: Dispatcher._ecu_summary,
    CallKind.ECU_MINUTELY: Dispatcher._ecu_curve,
    CallKind.METER_SUMMARY: Dispatcher._meter_summary,
    CallKind.METER_MINUTELY: Dispatcher._meter_curve,
    CallKind.INVERTER_SUMMARY: Dispatcher._inverter_summary,
    CallKind.INVERTER_MINUTELY: Dispatcher._detail,
    CallKind.BATCH_POWER: Dispatcher._batch_power,
    CallKind.BATCH_ENERGY: Dispatcher._batch_energy,
    CallKind.STORAGE_LATEST: Dispatcher._storage_latest,
    CallKind.STORAGE_SUMMARY: Dispatcher._storage_summary,
    CallKind.STORAGE_HOURLY: Dispatcher._storage_hourly,
    CallKind.STORAGE_DAILY: Dispatcher._storage_daily,
}
