"""The month benchmark's figures: what Home Assistant showed, against the simulator's truth,
and what the anchor integration would have shown on its documented schedule.

Every figure is taken over the *sample instants* of the measured month (every 5 minutes on
the wall clock, see :mod:`tests.bench.harness`); "daylight" ones only over samples between
astral's sunrise and sunset at the system's location on that local day (system timezone).
A sample instant is always a slot label of the simulator's 5-minute data, so the truth at a
sample is the slot's own value: no interpolation. A sample whose entity had no number
(unknown, unavailable, not yet created) is left out of a figure and counted as *missing*.

* **Lifetime, minutes behind** (system ``{sid}_lifetime_energy``, each meter lifetime): at
  sample ``t``, ``t`` minus the earliest slot instant at which the simulator's true lifetime
  reached the shown value; 0 when the shown value is at or above the truth at ``t``. "Reached"
  and "at or above" allow the API's rounding (0.01 kWh per summary, 0.005 kWh per ECU's
  today: ``0.01 * (ECUs + 1)`` kWh; 0.001 kWh for the meters' 6-decimal values).
* **Lifetime, kWh behind**: true lifetime at ``t`` minus the shown value (negative when the
  rounding puts the shown value above).
* **Lifetime, kWh ahead** (system; every sample, day and night): by how much the shown value
  was above the truth beyond the rounding allowed above, at each sample where it was: the
  lifetime rule (never above the API's lifetime) holds when there is none.
* **Current power** (system ``{sid}_power``): mean absolute error against the true system
  power of the slot at ``t`` (W), and that as a percentage of the mean true daylight power.
* **Per-inverter power** (``{sid}_{uid}_power``): staleness = ``t`` minus the newest slot at
  or before ``t`` whose true power (sum of the channels) equals the shown value within the
  API's rounding (0.5 W per channel); pooled over every inverter and daylight sample. Also the
  mean absolute error (W). A value matching no slot since 3 days before the set-up counts
  as missing.
* **Meter power** (``{sid}_meter_{eid}_consumption_power`` / ``_grid_power``): the same
  staleness (within 0.005 W) and error, against the meter's consumption and its consumption
  minus production (grid; import positive).
* **Battery** (per storage ECU, ``{sid}_battery_{eid}_...``; pooled over the storage ECUs):
  the state of charge (``_soc``) is judged like an inverter's power: staleness = ``t`` minus
  the newest slot at or before ``t`` whose true state of charge (after the slot) equals the
  shown value within the API's rounding (whole percent: 0.5), and its absolute error in
  percentage points against the slot at ``t``; the lifetime charged and discharged energies
  (``_charge_lifetime``, ``_discharge_lifetime``) like the system's lifetime (minutes and kWh
  behind, within 0.001 kWh). Detail rows: the state of charge all day, the charge and
  discharge power (staleness within 0.05 W, error) and the age of the reading shown (``t``
  minus the ``_last_report`` timestamp). The anchor has no battery entities.
* **Calls**: the simulator's call records, by system-local day; the month's calls are those
  of the App ID (all systems of a site). A restart's calls: see :class:`harness.Restart`.

The anchor (the documented schedule of the best existing integration, as in
the former schedule-only benchmark): an hourly-energy poll every ``interval`` from its start (set-up
or restart) while in solar hours (sunrise + 30 min to sunset), the interval from its
README's formula; a daily summary at the day's last poll; per-inverter data at 12:30 (one
call per inverter); batch power at 23:00 (one call per ECU); discovery at each start (plus a
poll in solar hours). What its entities show, generously: its lifetime is the summary's
(exact at its last fetch, also at each start); its "current power" is the true power at its
last poll (it has no such sensor: the hourly energy, counted as a power reading); its
inverter power is the true power at 12:30 (and at each start), the day's last uploaded
sample (0) from 23:00 on. It has no meter entities.
"""

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
import itertools
from math import ceil
import statistics

from astral import Observer  # type: ignore[import-untyped]  # astral 2.2 has no py.typed
from astral.sun import sunrise, sunset  # type: ignore[import-untyped]

from tests.bench.harness import Run, SystemRun, battery_id
from tests.bench.results import (
    BATTERY_FIGURES,
    MEASURED_POWER,
    Battery,
    Calls,
    Figures,
    Row,
    SiteFigures,
    Values,
)
from tests.bench.sites import QUOTA, BenchSite
from tests.simulator import Site, StorageTruth
from tests.simulator.solar import SLOT_MINUTES, SLOTS_PER_DAY
from tests.simulator.storage import SLOT_KWH_PER_W

QUOTA_CODE = 2005
CHANNEL_ROUNDING_W = 0.5
METER_ROUNDING_W = 0.005
METER_ROUNDING_KWH = 0.001
SOC_ROUNDING = 0.5
"""``storage/latest`` gives the state of charge in whole percent."""
STORAGE_ROUNDING_W = 0.05
STORAGE_ROUNDING_KWH = 0.001
"""``storage/summary`` and the hourly list: 3 decimals (0.0005 kWh each, 0.001 allowed)."""
EPSILON = 1e-6
ANCHOR_START_DELAY = timedelta(minutes=30)
ANCHOR_INVERTERS_AT = time(12, 30)
ANCHOR_BATCH_AT = time(23, 0)


# -- the truth on the 5-minute slots --------------------------------------------------------


class Timeline:
    """One system's truth on every 5-minute slot of the local days ``first`` to ``last``."""

    def __init__(self, site: Site, first: date, last: date) -> None:
        """Lay out the slots (labels as UTC instants)."""
        self.site = site
        self.truth = StorageTruth(site)
        self.zone = site.zone
        self.first = first
        self.days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        self.instants = [
            datetime.combine(
                day, time(i * SLOT_MINUTES // 60, i * SLOT_MINUTES % 60), self.zone
            ).astimezone(UTC)
            for day in self.days
            for i in range(SLOTS_PER_DAY)
        ]
        self._power: dict[str, list[float]] = {}

    def index(self, at: datetime) -> int:
        """The slot at or before ``at`` (as the simulator counts: label not after ``at``)."""
        local = at.astimezone(self.zone)
        slot = (local.hour * 60 + local.minute) // SLOT_MINUTES
        return (local.date() - self.first).days * SLOTS_PER_DAY + slot

    def lifetime(self) -> list[float]:
        """The system's true lifetime after each slot, kWh."""
        truth, site = self.truth, self.site
        total = truth.range_energy(site.create_date, self.first - timedelta(days=1))
        out: list[float] = []
        for day in self.days:
            for energy in truth.slot_energy(day):
                total += energy
                out.append(total)
        return out

    def power(self, uid: str | None = None) -> list[float]:
        """True power at each slot (the system's, or one inverter's channels summed), W."""
        key = uid or ""
        if key not in self._power:
            values: list[float] = []
            for day in self.days:
                values += self.truth.slot_power(day, uid=uid) if uid else self.truth.slot_power(day)
            self._power[key] = values
        return self._power[key]

    def meter_power(self, what: str) -> list[float]:
        """The meter's consumption (``consumed``) or grid power (``grid``) at each slot, W."""
        values: list[float] = []
        for day in self.days:
            samples = self.truth.meter_samples(day)
            if what == "consumed":
                values += samples.consumed_w
            else:
                values += [
                    c - p for c, p in zip(samples.consumed_w, samples.produced_w, strict=True)
                ]
        return values

    def soc(self, eid: str) -> list[float]:
        """A battery's true state of charge after each slot, %."""
        unit = self.site.storage(eid)
        assert unit is not None, eid
        return [
            100 * kwh / unit.capacity_kwh
            for day in self.days
            for kwh in self.truth.storage_day(eid, day).soc_kwh
        ]

    def storage_power(self, eid: str, key: str) -> list[float]:
        """A battery's true power of one kind (``charge``, ``discharge``...) at each slot, W."""
        return [
            energy / SLOT_KWH_PER_W
            for day in self.days
            for energy in getattr(self.truth.storage_day(eid, day), key)
        ]

    def storage_lifetime(self, eid: str, key: str) -> list[float]:
        """A battery counter's true lifetime after each slot, kWh."""
        truth, site = self.truth, self.site
        start = truth.storage_range(eid, site.create_date, self.first - timedelta(days=1))
        total = getattr(start, key)
        out: list[float] = []
        for day in self.days:
            for energy in getattr(truth.storage_day(eid, day), key):
                total += energy
                out.append(total)
        return out

    def meter_lifetime(self, key: str) -> list[float]:
        """A meter counter's true lifetime after each slot, kWh."""
        truth, site = self.truth, self.site
        start = truth.meter_range(site.create_date, self.first - timedelta(days=1))
        total = getattr(start, key)
        out: list[float] = []
        for day in self.days:
            for energy in getattr(truth.meter_samples(day), key):
                total += energy
                out.append(total)
        return out


class Daylight:
    """Astral's sunrise..sunset at a site, per local day (system timezone)."""

    def __init__(self, site: Site) -> None:
        """Bind to a site."""
        self.observer = Observer(latitude=site.latitude, longitude=site.longitude)
        self.zone = site.zone
        self._sun: dict[date, tuple[datetime, datetime] | None] = {}

    def sun(self, day: date) -> tuple[datetime, datetime] | None:
        """(sunrise, sunset) in UTC; None when the sun does not rise and set."""
        if day not in self._sun:
            try:
                rise = sunrise(self.observer, date=day, tzinfo=self.zone).astimezone(UTC)
                down = sunset(self.observer, date=day, tzinfo=self.zone).astimezone(UTC)
                self._sun[day] = (rise, down)
            except ValueError:
                self._sun[day] = None
        return self._sun[day]

    def contains(self, at: datetime) -> bool:
        """Whether ``at`` lies between the local day's sunrise and sunset."""
        sun = self.sun(at.astimezone(self.zone).date())
        return sun is not None and sun[0] <= at <= sun[1]


# -- measures -------------------------------------------------------------------------------


def minutes_behind(
    shown: float, at: datetime, k: int, series: list[float], instants: list[datetime], tol: float
) -> float:
    """How long ago ``shown`` stopped being the truth: ``at`` minus the first slot instant at
    which ``series`` rose above ``shown`` (within ``tol``) and stayed there; 0 when ``shown``
    is still the truth at ``at`` (slot ``k``). A value that was exact all night and is
    overtaken at dawn is minutes behind at breakfast, not hours (the truth is a step
    function of the 5-minute slots, non-decreasing)."""
    if shown >= series[k] - tol:
        return 0.0
    j = bisect_right(series, shown + tol, 0, k + 1)  # the first slot above the shown value
    return max((at - instants[j]).total_seconds() / 60, 0.0)


def newest_match(
    shown: float, k: int, series: list[float], tol: float, since: int = -1
) -> int | None:
    """The newest slot in ``(since, k]`` whose value equals ``shown`` within ``tol``."""
    for j in range(k, since, -1):
        if abs(series[j] - shown) <= tol:
            return j
    return None


class Matcher:
    """The newest slot matching an entity's shown value, sample after sample (in time
    order): while the value stays the same, only the slots since the previous sample are
    searched; a new value is searched back to the timeline's start."""

    def __init__(self, series: list[float], tol: float) -> None:
        """Match against ``series`` within ``tol``."""
        self.series = series
        self.tol = tol
        self.shown: float | None = None
        self.match: int | None = None
        self.k = -1

    def __call__(self, shown: float, k: int) -> int | None:
        """The newest slot at or before ``k`` showing ``shown`` (None: none does)."""
        if shown == self.shown:
            newer = newest_match(shown, k, self.series, self.tol, since=self.k)
            match = self.match if newer is None else newer
        else:
            match = newest_match(shown, k, self.series, self.tol)
        self.shown, self.match, self.k = shown, match, k
        return match


@dataclass
class _Sampling:
    """The month's sample instants and where they fall."""

    instants: list[datetime]
    positions: list[int]
    """Index of each instant in the run's sample list."""
    daylight: list[bool]


def _shown(
    values: list[float | None],
    sampling: _Sampling,
    timeline: Timeline,
    daylight_only: bool,
    *counted: Values,
) -> Iterator[tuple[datetime, int, float]]:
    """Each (daylight) sample's instant, truth slot and value shown; a sample without a
    number counts as missing in every ``counted``."""
    for at, pos, lit in zip(sampling.instants, sampling.positions, sampling.daylight, strict=True):
        if daylight_only and not lit:
            continue
        shown = values[pos]
        if shown is None:
            for stat in counted:
                stat.missing += 1
            continue
        yield at, timeline.index(at), shown


def _lag(
    values: list[float | None],
    sampling: _Sampling,
    timeline: Timeline,
    series: list[float],
    tol: float,
    daylight_only: bool = True,
) -> tuple[Values, Values]:
    """(minutes behind, kWh behind) of a counter over the month's (daylight) samples."""
    minutes, kwh = Values(), Values()
    for at, k, shown in _shown(values, sampling, timeline, daylight_only, minutes, kwh):
        minutes.values.append(minutes_behind(shown, at, k, series, timeline.instants, tol))
        kwh.values.append(series[k] - shown)
    return minutes, kwh


def _ahead(
    values: list[float | None],
    sampling: _Sampling,
    timeline: Timeline,
    series: list[float],
    tol: float,
) -> Values:
    """By how much a counter showed more than the truth (beyond ``tol``), at every sample
    (day and night) where it did: the lifetime rule says never."""
    ahead = Values()
    for _, k, shown in _shown(values, sampling, timeline, False, ahead):
        if shown > series[k] + tol:
            ahead.values.append(shown - series[k])
    return ahead


def _power(
    values: list[float | None],
    truth: list[float],
    sampling: _Sampling,
    timeline: Timeline,
    tol: float | None,
    daylight_only: bool = True,
) -> tuple[Values, Values]:
    """(staleness in minutes, absolute error in W) of a power entity; no staleness without a
    rounding tolerance ``tol``."""
    stale, errors = Values(), Values()
    matcher = None if tol is None else Matcher(truth, tol)
    for _at, k, shown in _shown(values, sampling, timeline, daylight_only, stale, errors):
        errors.values.append(abs(shown - truth[k]))
        if matcher is None:
            continue
        match = matcher(shown, k)
        if match is None:
            stale.missing += 1
        else:
            stale.values.append((k - match) * SLOT_MINUTES)
    return stale, errors


STATISTICS_ROUNDING = 0.011
"""kWh an imported hour may differ from the truth: the API's hourly list has 2 decimals."""


def exact_days(system: SystemRun, timeline: Timeline, first: date, last: date) -> tuple[int, int]:
    """(days of ``first``..``last`` whose imported hourly production matches the truth hour by
    hour within the API's rounding, those days)."""
    exact = total = 0
    day = first
    while day <= last:
        total += 1
        hours = system.production.get(day)
        truth = timeline.truth.hourly(day)
        if hours is not None and len(hours) <= len(truth):
            hours = [*hours, *[0.0] * (len(truth) - len(hours))]  # the closing's list ends then
            exact += all(
                abs(h - t) <= STATISTICS_ROUNDING for h, t in zip(hours, truth, strict=True)
            )
        day += timedelta(days=1)
    return exact, total


def poll_gaps(calls: list[datetime], daylight: Daylight, start: datetime, end: datetime) -> float:
    """The longest stretch of daylight (minutes) in ``[start, end)`` without a poll (a call
    of ``calls``): from the start or a poll to the next poll or the end, counting only the
    time between sunrise and sunset."""
    marks = sorted([start, *(at for at in calls if start <= at < end), end])
    longest = 0.0
    for first, second in itertools.pairwise(marks):
        lit = 0.0
        day = first.astimezone(daylight.zone).date()
        while (sun := daylight.sun(day)) is None or sun[0] < second:
            if sun is not None:
                lo, hi = max(first, sun[0]), min(second, sun[1])
                lit += max((hi - lo).total_seconds(), 0.0)
            day += timedelta(days=1)
            if datetime.combine(day, time(0), daylight.zone) > second:
                break
        longest = max(longest, lit / 60)
    return longest


# -- the anchor -----------------------------------------------------------------------------


def anchor_interval(site: Site, daylight: Daylight, year: int) -> int:
    """The anchor's automatic interval (s): its README's formula, for the longest daylight
    of the year."""
    longest = 0.0
    for n in range(366):
        sun = daylight.sun(date(year, 1, 1) + timedelta(days=n))
        if sun is not None:
            longest = max(longest, (sun[1] - sun[0]).total_seconds())
    spare = QUOTA * 0.85 / 31 - (2 + len(site.inverters) + len(site.ecus))
    if spare <= 0:
        return 7200  # the formula has no answer: its clamp's top, its cheapest choice
    seconds = ceil(longest / spare / 300) * 300
    return min(7200, max(1800, seconds))


@dataclass
class _Anchor:
    """The anchor's schedule for one system: when it refreshed what, and its calls."""

    interval: int
    polls: list[datetime] = field(default_factory=list)
    summaries: list[datetime] = field(default_factory=list)
    inverter_reads: list[tuple[datetime, bool]] = field(default_factory=list)
    """(when, whether it is the 23:00 batch read showing the day's last sample)."""
    calls: Counter[date] = field(default_factory=Counter)
    restart_calls: list[int] = field(default_factory=list)


def _solar(daylight: Daylight, day: date) -> tuple[datetime, datetime] | None:
    sun = daylight.sun(day)
    return None if sun is None else (sun[0] + ANCHOR_START_DELAY, sun[1])


def anchor_schedule(
    site: Site, daylight: Daylight, start: datetime, end: datetime, restarts: list[datetime]
) -> _Anchor:
    """The anchor's documented schedule from ``start`` (set-up) to ``end``."""
    zone = site.zone
    anchor = _Anchor(anchor_interval(site, daylight, start.astimezone(zone).year))
    step = timedelta(seconds=anchor.interval)
    starts = [start, *restarts]
    for n, origin in enumerate(starts):
        stop = starts[n + 1] if n + 1 < len(starts) else end
        day = origin.astimezone(zone).date()
        solar = _solar(daylight, day)
        in_solar = solar is not None and solar[0] <= origin <= solar[1]
        anchor.calls[day] += 1  # discovery
        if n:
            anchor.restart_calls.append(1 + in_solar)
        at = origin
        while at < stop:
            local_day = at.astimezone(zone).date()
            solar = _solar(daylight, local_day)
            if solar is not None and solar[0] <= at <= solar[1]:
                anchor.polls.append(at)
                anchor.calls[local_day] += 1
            at += step
    by_day: dict[date, datetime] = {}
    for poll in anchor.polls:
        by_day[poll.astimezone(zone).date()] = poll
    for day, last in sorted(by_day.items()):
        anchor.summaries.append(last)
        anchor.calls[day] += 1
    first, last_day = start.astimezone(zone).date(), end.astimezone(zone).date()
    for n in range((last_day - first).days + 1):
        day = first + timedelta(days=n)
        for at_time, count, batch in (
            (ANCHOR_INVERTERS_AT, len(site.inverters), False),
            (ANCHOR_BATCH_AT, len(site.ecus), True),
        ):
            at = datetime.combine(day, at_time, zone).astimezone(UTC)
            if start <= at < end:
                anchor.inverter_reads.append((at, batch))
                anchor.calls[day] += count
    anchor.inverter_reads += [(origin, False) for origin in starts]
    anchor.inverter_reads.sort()
    anchor.summaries = sorted([*anchor.summaries, *starts])
    anchor.polls = sorted({*anchor.polls, *starts})
    return anchor


def _held(refreshes: list[datetime], samples: list[datetime]) -> list[int | None]:
    """For each sample, the index of the newest refresh at or before it."""
    out: list[int | None] = []
    j = -1
    for at in samples:
        while j + 1 < len(refreshes) and refreshes[j + 1] <= at:
            j += 1
        out.append(j if j >= 0 else None)
    return out


def anchor_values(
    anchor: _Anchor, timeline: Timeline, samples: list[datetime]
) -> dict[str, list[float | None]]:
    """What the anchor's entities show at each sample, keyed like ours (unique-id suffix)."""
    lifetime = timeline.lifetime()
    out: dict[str, list[float | None]] = {}
    summaries = _held(anchor.summaries, samples)
    out["lifetime_energy"] = [
        None if i is None else round(lifetime[timeline.index(anchor.summaries[i])], 2)
        for i in summaries
    ]
    power = timeline.power()
    polls = _held(anchor.polls, samples)
    out["power"] = [None if i is None else power[timeline.index(anchor.polls[i])] for i in polls]
    reads = _held([at for at, _ in anchor.inverter_reads], samples)
    for inv in timeline.site.inverters:
        series = timeline.power(inv.uid)
        values: list[float | None] = []
        for i in reads:
            if i is None:
                values.append(None)
                continue
            at, batch = anchor.inverter_reads[i]
            k = timeline.index(at)
            if batch:  # the day's last uploaded sample: power 0 after sunset
                day = at.astimezone(timeline.zone).date()
                window = timeline.truth.window(day)
                k = (day - timeline.first).days * SLOTS_PER_DAY + (window.stop - 1 if window else 0)
            values.append(float(round(series[k])))
        out[f"{inv.uid}_power"] = values
    return out


# -- the whole site ------------------------------------------------------------------------


def _calls(
    spec: BenchSite,
    run: Run,
    by_day: Counter[date],
    per_system: dict[str, int],
    quota_answers: int,
    restarts: list[int],
) -> Calls:
    zone = spec.zone
    month_start = spec.month_start.astimezone(zone).date()
    month_end = spec.month_end.astimezone(zone).date()
    setup_day = spec.setup.astimezone(zone).date()
    last = (run.end - timedelta(microseconds=1)).astimezone(zone).date()
    month_days = [
        month_start + timedelta(days=n)
        for n in range((min(month_end - timedelta(days=1), last) - month_start).days + 1)
    ]
    month = sum(by_day[d] for d in month_days)
    average = month / len(month_days) if month_days else 0.0
    busiest = max(month_days, key=lambda d: by_day[d], default=None)
    checked = sorted({setup_day, *month_days})
    return Calls(
        month=month,
        per_system=per_system,
        before=sum(n for d, n in by_day.items() if d < month_start),
        setup_day=by_day[setup_day],
        setup_date=setup_day.isoformat(),
        max_day=by_day[busiest] if busiest else 0,
        max_date=busiest.isoformat() if busiest else "",
        days=len(month_days),
        average_day=average,
        burst_days=[f"{d} ({by_day[d]})" for d in checked if by_day[d] > 2 * average],
        quota_answers=quota_answers,
        restarts=restarts,
    )


FIGURES = (
    "lifetime_minutes",
    "lifetime_kwh",
    "power_error",
    "inverter_staleness",
    "inverter_error",
)


def site_figures(run: Run) -> SiteFigures:
    """Every figure of a run: ours from the samples, the anchor's from its schedule."""
    spec = run.spec
    zone = spec.zone
    first = run.start.astimezone(zone).date() - timedelta(days=3)
    last = run.end.astimezone(zone).date()
    ours = {name: Values() for name in FIGURES}
    theirs = {name: Values() for name in FIGURES}
    extra: list[Row] = []
    battery = {name: Values() for name in BATTERY_FIGURES}
    daylight_power: list[float] = []
    anchor_by_day: Counter[date] = Counter()
    anchor_restarts = [0] * len(run.restarts)
    intervals: list[int] = []
    measured = Values()
    ahead = Values()
    system_lifetime: dict[str, float] = {}
    longest_gap: dict[str, float] = {}
    statistics_days: dict[str, list[int]] = {}
    # Closed days: from the set-up day to the day before the run's last (its closing ran).
    closed_last = (run.end - timedelta(hours=12)).astimezone(zone).date() - timedelta(days=1)
    for system in run.systems:
        timeline = Timeline(system.site, first, last)
        daylight = Daylight(system.site)
        sampling = _sampling(run, daylight)
        anchor = anchor_schedule(
            system.site, daylight, run.start, run.end, [r.at for r in run.restarts]
        )
        intervals.append(anchor.interval)
        anchor_by_day.update(anchor.calls)
        anchor_restarts = [
            a + b for a, b in zip(anchor_restarts, anchor.restart_calls, strict=True)
        ]
        sid = system.site.sid
        shown = {k.removeprefix(f"{sid}_"): v for k, v in system.values.items()}
        own = {name: Values() for name in FIGURES}
        _system_figures(system.site, shown, timeline, sampling, own)
        for name in FIGURES:
            ours[name].add(own[name])
        system_lifetime[sid] = own["lifetime_minutes"].stat().mean or 0.0
        polls = [c.at for c in system.calls if c.endpoint == "batch_power"]
        # From the set-up on (its day is where several systems starved each other).
        longest_gap[sid] = poll_gaps(polls, daylight, run.start, min(run.end, spec.month_end))
        statistics_days[sid] = list(
            exact_days(system, timeline, run.start.astimezone(zone).date(), closed_last)
        )
        measured.add(_measured_power(system.site, shown, timeline, sampling))
        tol = 0.01 * (len(system.site.ecus) + 1)
        ahead.add(_ahead(shown["lifetime_energy"], sampling, timeline, timeline.lifetime(), tol))
        _system_figures(
            system.site, anchor_values(anchor, timeline, run.samples), timeline, sampling, theirs
        )
        power = timeline.power()
        daylight_power += [
            power[timeline.index(at)]
            for at, lit in zip(sampling.instants, sampling.daylight, strict=True)
            if lit
        ]
        extra += _meter_rows(system, timeline, sampling)
        extra += _battery_rows(system, timeline, sampling, battery)
    if measured.values:
        extra.insert(0, Row(MEASURED_POWER, "W", measured.stat()))
    has_battery = any(system.site.storages for system in run.systems)
    return SiteFigures(
        key=spec.key,
        title=spec.title,
        month=f"{spec.month[0]}-{spec.month[1]:02d}",
        start=run.start.astimezone(zone).isoformat(),
        end=run.end.astimezone(zone).isoformat(),
        seconds=run.seconds,
        steps=run.steps,
        samples=len(run.samples),
        daylight_power_w=statistics.fmean(daylight_power) if daylight_power else 0.0,
        ours=_figures(_our_calls(spec, run), ours),
        anchor=_figures(_calls(spec, run, anchor_by_day, {}, 0, anchor_restarts), theirs),
        anchor_interval_s=intervals,
        extra=extra,
        battery=Battery(*(battery[name].stat() for name in BATTERY_FIGURES))
        if has_battery
        else None,
        lifetime_ahead=ahead.stat(),
        system_lifetime=system_lifetime,
        longest_gap=longest_gap,
        statistics_days=statistics_days,
    )


def _sampling(run: Run, daylight: Daylight) -> _Sampling:
    instants, positions, lit = [], [], []
    for pos, at in enumerate(run.samples):
        if run.spec.month_start <= at < run.spec.month_end:
            instants.append(at)
            positions.append(pos)
            lit.append(daylight.contains(at))
    return _Sampling(instants, positions, lit)


def _our_calls(spec: BenchSite, run: Run) -> Calls:
    zone = spec.zone
    by_day: Counter[date] = Counter(c.at.astimezone(zone).date() for c in run.account_calls)
    per_system = {
        system.site.sid: sum(1 for c in system.calls if spec.month_start <= c.at < spec.month_end)
        for system in run.systems
    }
    quota = sum(1 for c in run.account_calls if c.code == QUOTA_CODE)
    restarts = [sum(r.calls(run)) for r in run.restarts]
    return _calls(spec, run, by_day, per_system, quota, restarts)


def _system_figures(
    site: Site,
    shown: dict[str, list[float | None]],
    timeline: Timeline,
    sampling: _Sampling,
    pooled: dict[str, Values],
) -> None:
    """Pool one system's lifetime, power and inverter figures (``shown`` is keyed by the
    unique id without the ``{sid}_`` prefix)."""
    tol = 0.01 * (len(site.ecus) + 1)
    minutes, kwh = _lag(shown["lifetime_energy"], sampling, timeline, timeline.lifetime(), tol)
    pooled["lifetime_minutes"].add(minutes)
    pooled["lifetime_kwh"].add(kwh)
    _, error = _power(shown["power"], timeline.power(), sampling, timeline, None)
    pooled["power_error"].add(error)
    for inv in site.inverters:
        tol = inv.channels * CHANNEL_ROUNDING_W + EPSILON
        stale, error = _power(
            shown[f"{inv.uid}_power"], timeline.power(inv.uid), sampling, timeline, tol
        )
        pooled["inverter_staleness"].add(stale)
        pooled["inverter_error"].add(error)


def _measured_power(
    site: Site, shown: dict[str, list[float | None]], timeline: Timeline, sampling: _Sampling
) -> Values:
    """The current power's error had it shown the last measured power (no following the
    sun): the sum of the inverters' powers, which are shown as measured."""
    keys = [f"{inv.uid}_power" for inv in site.inverters]
    if not keys:
        return Values()
    summed: list[float | None] = []
    for pos in range(len(shown[keys[0]])):
        values = [shown[key][pos] for key in keys]
        summed.append(None if None in values else sum(v or 0.0 for v in values))
    _, error = _power(summed, timeline.power(), sampling, timeline, None)
    return error


def _figures(calls: Calls, pooled: dict[str, Values]) -> Figures:
    return Figures(calls, *(pooled[name].stat() for name in FIGURES))


def _meter_rows(system: SystemRun, timeline: Timeline, sampling: _Sampling) -> list[Row]:
    """Meter figures (daylight; the whole day too where the night matters)."""
    sid = system.site.sid
    rows: list[Row] = []
    tol = METER_ROUNDING_W + EPSILON
    for eid in system.site.meters:
        prefix = f"meter {eid}" if len(system.site.meters) > 1 else "meter"
        for what, label in (("consumed", "consumption"), ("grid", "grid")):
            values = system.values[f"{sid}_meter_{eid}_{label}_power"]
            truth = timeline.meter_power(what)
            stale, error = _power(values, truth, sampling, timeline, tol)
            rows.append(Row(f"{prefix} {label} power: staleness", "min", stale.stat()))
            rows.append(Row(f"{prefix} {label} power: absolute error", "W", error.stat()))
            if what == "consumed":
                stale, _ = _power(values, truth, sampling, timeline, tol, daylight_only=False)
                rows.append(Row(f"{prefix} {label} power: staleness, all day", "min", stale.stat()))
        for key in ("consumed", "imported", "exported", "produced"):
            values = system.values[f"{sid}_meter_{eid}_{key}_lifetime"]
            series = timeline.meter_lifetime(key)
            minutes, kwh = _lag(values, sampling, timeline, series, METER_ROUNDING_KWH)
            rows.append(Row(f"{prefix} {key} lifetime: minutes behind", "min", minutes.stat()))
            rows.append(Row(f"{prefix} {key} lifetime: kWh behind", "kWh", kwh.stat()))
            if key == "imported":
                minutes, _ = _lag(
                    values, sampling, timeline, series, METER_ROUNDING_KWH, daylight_only=False
                )
                rows.append(
                    Row(f"{prefix} {key} lifetime: minutes behind, all day", "min", minutes.stat())
                )
    return rows


def _soc_by_reading(
    values: list[float | None],
    reports: list[float | None],
    truth: list[float],
    sampling: _Sampling,
    timeline: Timeline,
) -> tuple[Values, Values]:
    """The state of charge's daylight staleness, split by the reading shown (its last
    report): of the sample's local day, or of an earlier day (before the day's first poll)."""
    matcher = Matcher(truth, SOC_ROUNDING + EPSILON)
    today, older = Values(), Values()
    for at, pos, lit in zip(sampling.instants, sampling.positions, sampling.daylight, strict=True):
        value, stamp = values[pos], reports[pos]
        if not lit or value is None or stamp is None:
            continue
        k = timeline.index(at)
        match = matcher(value, k)
        if match is None:
            continue
        day = at.astimezone(timeline.zone).date()
        same = datetime.fromtimestamp(stamp, timeline.zone).date() == day
        (today if same else older).values.append((k - match) * SLOT_MINUTES)
    return today, older


def _battery_rows(
    system: SystemRun, timeline: Timeline, sampling: _Sampling, pooled: dict[str, Values]
) -> list[Row]:
    """Pool each battery's headline figures (:class:`~tests.bench.results.Battery`) into
    ``pooled``; the detail rows (all-day state of charge, powers, the reading's age). The
    anchor shows no battery."""
    site = system.site
    rows: list[Row] = []
    for unit in site.storages:
        eid = unit.eid
        prefix = f"battery {eid}" if len(site.storages) > 1 else "battery"

        def shown(key: str, eid: str = eid) -> list[float | None]:
            return system.values[battery_id(site, eid, key)]

        soc, tol = timeline.soc(eid), SOC_ROUNDING + EPSILON
        stale, error = _power(shown("soc"), soc, sampling, timeline, tol)
        pooled["soc_staleness"].add(stale)
        pooled["soc_error"].add(error)
        today, older = _soc_by_reading(shown("soc"), shown("last_report"), soc, sampling, timeline)
        for stale, which in ((today, "the day's"), (older, "an earlier day's")):
            label = f"{prefix} state of charge: staleness, daylight, showing {which} reading"
            rows.append(Row(label, "min", stale.stat()))
        stale, error = _power(shown("soc"), soc, sampling, timeline, tol, daylight_only=False)
        rows.append(Row(f"{prefix} state of charge: staleness, all day", "min", stale.stat()))
        rows.append(Row(f"{prefix} state of charge: absolute error, all day", "pp", error.stat()))
        for key, name in (("charge", "charged"), ("discharge", "discharged")):
            series = timeline.storage_lifetime(eid, key)
            minutes, kwh = _lag(
                shown(f"{key}_lifetime"), sampling, timeline, series, STORAGE_ROUNDING_KWH
            )
            pooled[f"{name}_minutes"].add(minutes)
            pooled[f"{name}_kwh"].add(kwh)
        for key in ("charge", "discharge"):
            truth = timeline.storage_power(eid, key)
            tol = STORAGE_ROUNDING_W + EPSILON
            stale, error = _power(shown(f"{key}_power"), truth, sampling, timeline, tol)
            rows.append(Row(f"{prefix} {key} power: staleness", "min", stale.stat()))
            rows.append(Row(f"{prefix} {key} power: absolute error", "W", error.stat()))
        age = Values()
        reports = shown("last_report")
        for at, _k, stamp in _shown(reports, sampling, timeline, True, age):
            age.values.append((at.timestamp() - stamp) / 60)
        rows.append(Row(f"{prefix} last report: age of the reading shown", "min", age.stat()))
    return rows
