"""A year of API calls, ours (the real planner) against the anchor's documented schedule.

``python -m tests.bench.budget`` simulates a whole year for three sites, jumping from one
planned poll to the next (equivalent to stepping minute by minute: nothing happens between
polls), and prints one markdown table per site plus PASS/FAIL for the targets:

* worst calendar month <= the quota (1000) at every site;
* lifetime-energy staleness <= 0.5x the anchor's (mean);
* per-inverter power staleness <= 0.1x the anchor's (mean);
* 0 calls per Home Assistant restart;
* no call at night except the one closing call after sunset.

Staleness at a daylight minute (astral sunrise..sunset, system timezone) is the time since the
datum was last refreshed by an API call. The ECU's own 5-minute upload lag is the same for both
schedules and ignored. What refreshes what:

* ours: lifetime energy <- ECU minutely of every ECU (today's energy, added to the day's
  start) or the system summary; current power <- ECU minutely or batch power of every ECU (the
  state's ``power_w`` sums the ECUs' newest samples, from whichever of the two is newer);
  per-inverter power <- batch power of the inverter's ECU.
* anchor: lifetime energy <- the daily summary only (its lifetime sensor is the summary's
  ``lifetime``; its hourly endpoint moves "today", not the lifetime sensor); current power <-
  every poll (hourly system energy, generously counted as a power refresh); per-inverter power
  <- batch power at 23:00 (its per-inverter energy call at 12:30 is counted as energy, not
  power; the line "anchor, 12:30 counted too" shows the ratio if it were counted).

History backfill: each site was installed two years before the simulated year, so the
planner also fetches that history (hourly for the last 31 days, then a call per month at the
daily level), a few calls per closing from spare budget only; the table shows when the history
was complete and what it cost, within the same quota.

Restarts: ours restores the persisted ledger and planner state (JSON round trip) and plans on;
the benchmark restarts Home Assistant every day at 13:07 and counts the calls the restart adds.
The anchor's restart costs its discovery call (plus a first refresh when in solar hours).
"""

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
import json
from math import ceil
import statistics
import sys
import time as clock
from zoneinfo import ZoneInfo

from custom_components.apsystems_ema.planner import (
    CallKind,
    Daylight,
    Ledger,
    Plan,
    PlanKind,
    PlannedCall,
    Planner,
    PlannerConfig,
    PlannerState,
    SiteGeometry,
)
from custom_components.apsystems_ema.planner.backfill import (
    backfill_queue,
    daily_rows,
    first_hourly_day,
)

YEAR = 2025
QUOTA = 1000
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Site:
    """A benchmark site: where, and how many ECUs / inverters (per ECU) / meters."""

    label: str
    latitude: float
    longitude: float
    timezone: str
    inverters_per_ecu: tuple[int, ...]
    meters: int = 0

    @property
    def inverters(self) -> int:
        """Number of inverters."""
        return sum(self.inverters_per_ecu)

    def geometry(self) -> SiteGeometry:
        """The planner's view of the site."""
        ecus = tuple(f"2160000{i:05d}" for i in range(len(self.inverters_per_ecu)))
        uids = tuple(
            f"{ecu[-3:]}80000{j:04d}"
            for ecu, count in zip(ecus, self.inverters_per_ecu, strict=True)
            for j in range(count)
        )
        meters = ecus[: self.meters]
        return SiteGeometry(self.latitude, self.longitude, self.timezone, ecus, uids, meters)


SITES = (
    Site(
        "a) 51.5°N Europe/London, 1 ECU, 6 two-channel inverters",
        51.5,
        -0.13,
        "Europe/London",
        (6,),
    ),
    Site(
        "b) 35°N Asia/Tokyo, 3 ECUs, 40 inverters (2- and 4-channel)",
        35.0,
        139.7,
        "Asia/Tokyo",
        (14, 13, 13),
    ),
    Site("c) 60°N Europe/Oslo, 1 ECU (4 inverters) + 1 meter", 60.0, 10.75, "Europe/Oslo", (4,), 1),
)


@dataclass
class Run:
    """What one schedule did over the year."""

    calls_by_month: Counter[str] = field(default_factory=Counter)
    lifetime: list[datetime] = field(default_factory=list)
    power: list[datetime] = field(default_factory=list)
    inverter_power: list[datetime] = field(default_factory=list)
    inverter_power_alt: list[datetime] = field(default_factory=list)
    night_calls: int = 0
    extra_closings: int = 0
    restart_calls: float = 0.0
    restarts: int = 0
    polls: int = 0
    backfill_calls: int = 0
    backfill_done: date | None = None


@dataclass(frozen=True)
class Stale:
    """Mean and 95th percentile of staleness over the year's daylight minutes."""

    mean: float
    p95: float


def _year_days() -> list[date]:
    first = date(YEAR, 1, 1)
    return [first + timedelta(days=i) for i in range((date(YEAR + 1, 1, 1) - first).days)]


def _at(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


# -- ours -------------------------------------------------------------------------------------


def _restart(
    planner: Planner, ledger: Ledger, state: PlannerState
) -> tuple[Planner, Ledger, PlannerState]:
    """A Home Assistant restart: a new planner from the persisted JSON."""
    stored = json.loads(json.dumps({"ledger": ledger.as_dict(), "state": state.as_dict()}))
    fresh = Planner(planner.config, planner.site)
    return fresh, Ledger.from_dict(stored["ledger"]), PlannerState.from_dict(stored["state"])


def _note_refreshes(run: Run, plan: Plan, ecus: int) -> None:
    kinds = Counter(call.kind for call in plan.calls)
    if kinds[CallKind.ECU_MINUTELY] == ecus:
        run.lifetime.append(plan.at)
        run.power.append(plan.at)
    elif kinds[CallKind.SYSTEM_SUMMARY]:
        run.lifetime.append(plan.at)
    if kinds[CallKind.BATCH_POWER] == ecus:
        run.inverter_power.append(plan.at)
        if not kinds[CallKind.ECU_MINUTELY]:
            run.power.append(plan.at)  # the state sums the ECUs' batch curves as site power


def _check_night(run: Run, plan: Plan, planner: Planner, closings: Counter[date]) -> None:
    if not plan.calls:
        return
    if plan.kind is PlanKind.CLOSING:
        closings[plan.day] += 1
        if closings[plan.day] > 1:
            run.extra_closings += 1
        return
    window = planner.daylight.window(planner.daylight.local_day(plan.at))
    if window is None or not window.contains(plan.at):
        run.night_calls += plan.cost


INSTALLED = date(YEAR - 2, 1, 1)
HOURLY_DAYS = 31


class History:
    """The days of production history the integration holds (values do not matter here)."""

    def __init__(self) -> None:
        self.days: dict[date, list[float]] = {}
        self.answered: set[str] = set()

    def queue(self, today: date) -> tuple[PlannedCall, ...]:
        """The backfill calls still wanted on ``today``."""
        return backfill_queue(
            today=today,
            created=INSTALLED,
            production=self.days,
            answered=self.answered,
            hourly_days=HOURLY_DAYS,
        )

    def store(self, call: PlannedCall, today: date) -> None:
        """Fold a successful call's days in, as the coordinator does."""
        if call.day is None:
            return
        if call.kind is CallKind.SYSTEM_HOURLY:
            self.days[call.day] = [0.0] * 24
        elif call.kind is CallKind.SYSTEM_DAILY:
            before = first_hourly_day(today, INSTALLED, HOURLY_DAYS)
            month = [0.0] * 31
            rows = daily_rows(
                call.day, month, created=INSTALLED, before=before, production=self.days
            )
            self.days.update(rows)
        if call.backfill:
            self.answered.add(call.dated_key)


def simulate_ours(site: Site) -> Run:
    """The real planner over the year (every call succeeds; a restart every day at 13:07)."""
    geometry = site.geometry()
    planner = Planner(PlannerConfig(quota=QUOTA), geometry)
    zone = planner.zone
    now = _at(date(YEAR, 1, 1), 0, 0, zone)
    end = _at(date(YEAR + 1, 1, 1), 0, 0, zone)
    ledger = planner.new_ledger(now)
    # As after setup: the inventory was just read, yesterday was closed.
    state = PlannerState(inventory_at=now, summary_at=now, closed_day=date(YEAR - 1, 12, 31))
    run, closings = Run(), Counter[date]()
    restart_at = _at(date(YEAR, 1, 1), 13, 7, zone)
    history, queued_on = History(), None
    while now < end:
        today = planner.daylight.local_day(now)
        if queued_on != today:  # the queue only matters at the closing: once a day is enough
            planner.backfill, queued_on = history.queue(today), today
        plan = planner.next_plan(now, ledger, state)
        if plan.at < now:
            raise AssertionError(f"plan in the past: {plan}")
        if plan.at > restart_at:
            before = planner.next_plan(restart_at, ledger, state)
            planner, ledger, state = _restart(planner, ledger, state)
            planner.backfill = history.queue(planner.daylight.local_day(restart_at))
            after = planner.next_plan(restart_at, ledger, state)
            if after != before and after.at <= restart_at:
                run.restart_calls += after.cost
            run.restarts += 1
            now, restart_at = restart_at, restart_at + timedelta(days=1)
            continue
        now = plan.at
        if now >= end:
            break
        for call in plan.calls:
            planner.record(call, now, ledger, state, code=0, plan=plan)
            history.store(call, today)
            run.backfill_calls += call.backfill
        if plan.kind is PlanKind.CLOSING:
            planner.backfill = history.queue(today)
            if not planner.backfill and run.backfill_done is None:
                run.backfill_done = today
        run.calls_by_month[planner.month_key(now)] += plan.cost
        run.polls += plan.kind is PlanKind.POLL
        _note_refreshes(run, plan, len(geometry.ecus))
        _check_night(run, plan, planner, closings)
    return run


# -- the anchor -------------------------------------------------------------------------------


def anchor_interval(site: Site, daylight: Daylight) -> int:
    """The anchor's automatic interval (seconds), from its README's formula."""
    window_h = (
        max((w.seconds for d in _year_days() if (w := daylight.sun(d)) is not None), default=0.0)
        / 3600
    )
    spare = QUOTA * 0.85 / 31 - (2 + site.inverters + len(site.inverters_per_ecu))
    if spare <= 0:
        return 7200  # the formula has no answer: take its clamp's top, its cheapest choice
    seconds = ceil(window_h * 3600 / spare / 300) * 300
    return min(7200, max(1800, seconds))


def simulate_anchor(site: Site) -> tuple[Run, int]:
    """The anchor's documented schedule over the year."""
    zone = ZoneInfo(site.timezone)
    daylight = Daylight(site.latitude, site.longitude, zone)
    interval = anchor_interval(site, daylight)
    ecus, inverters = len(site.inverters_per_ecu), site.inverters
    origin = _at(date(YEAR, 1, 1), 0, 0, zone)
    step = timedelta(seconds=interval)
    run = Run()
    for day in _year_days():
        month = f"{day:%Y-%m}"
        sun = daylight.sun(day)
        if sun is not None:
            first, last = sun.start + timedelta(minutes=30), sun.end
            k = ceil((first - origin) / step)
            polls = []
            while (at := origin + k * step) <= last:
                polls.append(at)
                k += 1
            run.power.extend(polls)
            run.calls_by_month[month] += len(polls)
            if polls:
                run.lifetime.append(polls[-1])  # the daily summary, near the end of solar hours
                run.calls_by_month[month] += 1
        run.calls_by_month[month] += inverters  # per-inverter energy at 12:30
        run.inverter_power_alt.append(_at(day, 12, 30, zone))
        run.calls_by_month[month] += ecus  # batch power at 23:00
        run.inverter_power.append(_at(day, 23, 0, zone))
        run.inverter_power_alt.append(_at(day, 23, 0, zone))
    run.inverter_power_alt.sort()
    return run, interval


# -- figures ----------------------------------------------------------------------------------


def staleness(refreshes: list[datetime], daylight: Daylight) -> Stale:
    """Minutes since the last refresh, over every daylight minute from 2 January on."""
    values: list[float] = []
    for day in _year_days()[1:]:
        sun = daylight.sun(day)
        if sun is None:
            continue
        at = sun.start.replace(second=0, microsecond=0) + MINUTE
        while at <= sun.end:
            i = bisect_right(refreshes, at)
            if i:
                values.append((at - refreshes[i - 1]).total_seconds() / 60)
            at += MINUTE
    if not values:
        return Stale(float("nan"), float("nan"))
    return Stale(statistics.fmean(values), statistics.quantiles(values, n=20)[-1])


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.3f}" if theirs else "-"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(site: Site) -> bool:
    """Simulate one site, print its table, return whether every target is met."""
    started = clock.perf_counter()
    ours = simulate_ours(site)
    anchor, interval = simulate_anchor(site)
    daylight = Daylight(site.latitude, site.longitude, ZoneInfo(site.timezone))
    figures = {
        name: (staleness(getattr(ours, name), daylight), staleness(getattr(anchor, name), daylight))
        for name in ("lifetime", "power", "inverter_power")
    }
    alt = staleness(anchor.inverter_power_alt, daylight)
    worst_ours = max(ours.calls_by_month.values())
    worst_anchor = max(anchor.calls_by_month.values())
    per_restart = ours.restart_calls / max(1, ours.restarts)
    life, power, inv = figures["lifetime"], figures["power"], figures["inverter_power"]
    checks = {
        "worst month <= quota": worst_ours <= QUOTA,
        "lifetime staleness <= 0.5x anchor": life[0].mean <= 0.5 * life[1].mean,
        "per-inverter power staleness <= 0.1x anchor": inv[0].mean <= 0.1 * inv[1].mean,
        "0 calls per restart": per_restart == 0,
        "no call at night but the closing": ours.night_calls == 0 and ours.extra_closings == 0,
        "history since installation complete": ours.backfill_done is not None,
    }
    print(f"\n### {site.label}\n")
    print(
        f"anchor interval {interval} s; our fast polls {ours.polls} in the year; "
        f"simulated in {clock.perf_counter() - started:.1f} s\n"
    )
    print("| figure | ours | anchor | ours/anchor | target |")
    print("| --- | ---: | ---: | ---: | --- |")
    quota_ok = _verdict(checks["worst month <= quota"])
    print(
        f"| calls in the worst month | {worst_ours} | {worst_anchor} | "
        f"{_ratio(worst_ours, worst_anchor)} | ≤ {QUOTA}: {quota_ok} |"
    )
    rows = (
        ("lifetime energy", life, "mean ≤ 0.5x", checks["lifetime staleness <= 0.5x anchor"]),
        ("current power", power, "", None),
        (
            "per-inverter power",
            inv,
            "mean ≤ 0.1x",
            checks["per-inverter power staleness <= 0.1x anchor"],
        ),
    )
    for name, (mine, theirs), target, ok in rows:
        verdict = f"{target}: {_verdict(ok)}" if ok is not None else "(no target)"
        print(
            f"| {name} staleness, mean (min) | {mine.mean:.1f} | {theirs.mean:.1f} | "
            f"{_ratio(mine.mean, theirs.mean)} | {verdict} |"
        )
        print(
            f"| {name} staleness, p95 (min) | {mine.p95:.1f} | {theirs.p95:.1f} | "
            f"{_ratio(mine.p95, theirs.p95)} | |"
        )
    print(
        f"| per-inverter power, mean, anchor's 12:30 call counted too | {inv[0].mean:.1f} | "
        f"{alt.mean:.1f} | {_ratio(inv[0].mean, alt.mean)} | (information) |"
    )
    print(
        f"| calls per HA restart | {per_restart:g} | 1 (+1 in solar hours) | - | "
        f"0: {_verdict(checks['0 calls per restart'])} |"
    )
    print(
        f"| calls at night (closing excluded) | {ours.night_calls} | 0 | - | "
        f"0: {_verdict(checks['no call at night but the closing'])} |"
    )
    done = ours.backfill_done
    took = f"day {(done - date(YEAR, 1, 1)).days + 1} ({done})" if done else "never"
    print(
        f"| history since installation ({INSTALLED}) complete | {took}, "
        f"{ours.backfill_calls} calls | none | - | "
        f"complete: {_verdict(checks['history since installation complete'])} |"
    )
    months = " ".join(f"{m[-2:]}:{n}" for m, n in sorted(ours.calls_by_month.items()))
    print(f"\nour calls per month: {months}")
    failed = [name for name, ok in checks.items() if not ok]
    print(f"\n{site.label[:2]} " + ("PASS" if not failed else f"FAIL: {', '.join(failed)}"))
    return not failed


def main() -> int:
    """Run every site; exit status 1 when a target is missed."""
    print(f"## API budget over {YEAR}: ours vs the anchor (quota {QUOTA} calls/month)")
    results = [report(site) for site in SITES]
    print("\nOVERALL " + ("PASS" if all(results) else "FAIL"))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
