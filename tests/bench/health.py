"""``python -m tests.bench.health``: panel health over simulated months, without Home Assistant.

The pure learner (``custom_components/apsystems_ema/health``) is driven day by day with what
the integration would give it, from the simulator's truth: the pure planner
(``planner/``) plans the polls and closings of each day as it does in Home Assistant; each
poll's batch power curve of every ECU (the day so far, as the simulator answers it:
:meth:`~tests.simulator.Simulator.batch_data`, parsed by the integration's own models) and
each closing's batch energy (every channel's exact day, 2 decimals) go to the learner as in
``dispatch.py``. No call is added: these are the answers the integration fetches anyway.

For each case, a site and a month (optionally with a channel fault from a day on), it
prints: the day the fault was flagged (the unit's Underperforming turned on) and, for a
fault that ends, the day it cleared; the false alarms (any other unit turned on, or the
faulty one before its fault); and the relative yield's mean error against the truth (the
energy made against what the unit would have made without the fault, over every figure
shown). Every month-benchmark site runs without a fault (:mod:`tests.bench.sites`).

Options::

    --case a,a25,...   the cases to run (default: all)
    --json FILE        also write the results as JSON
"""

import argparse
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
import json
from pathlib import Path
import random
import time as clock

from custom_components.apsystems_ema.health import Health
from custom_components.apsystems_ema.openapi import BatchEnergy, BatchPower
from custom_components.apsystems_ema.planner import (
    CallBook,
    CallKind,
    PlannerConfig,
    PlannerState,
    SiteGeometry,
)
from custom_components.apsystems_ema.planner.core import Planner
from tests.bench.sites import BY_KEY, QUOTA, SPLIT_SITE, BenchSite
from tests.health.helpers import site_state
from tests.simulator import ChannelFault, Simulator, Site, Truth

type Unit = str
"""An inverter (its uid) or a channel (``uid-n``)."""


@dataclass(frozen=True)
class Case:
    """A site through a month, with the faults that start in it (if any)."""

    key: str
    title: str
    bench: str  # the month-benchmark site it runs on
    faults: tuple[ChannelFault, ...] = ()
    flagged: tuple[Unit, ...] = ()  # the units the faults should turn on
    by: int | None = None  # the day of the month they should be flagged by (None: never)
    setup: datetime | None = None  # another set-up than the bench site's ...
    month: tuple[int, int] | None = None  # ... and another month
    seed: int | None = None  # another weather than the bench site's (its seed)
    spread: float = 0.0  # each module's own day-to-day loss, up to this share (seeded)

    def spec(self) -> BenchSite:
        """The month-benchmark site it runs on (its set-up and month, unless the case's)."""
        spec = BY_KEY[self.bench]
        if self.setup is None or self.month is None:
            return spec
        return replace(spec, setup=self.setup, month=self.month)


def _channel(inverter: str, channel: int) -> Unit:
    return f"{inverter}-{channel}"


JULY = (2026, 7)
AMS_DS3 = "800001200002"  # site a: the second DS3 of the second ECU
AMS_QT2D = "900001100001"  # site a: the first QT2D
SPLIT_EAST = "800007100002"
SPLIT_WEST_QT2D = "900007200002"
MILAN = "800003200007"
OSLO = "800002100003"
BATTERY_DS3 = "800006100003"


def _on(day: int, month: tuple[int, int] = JULY) -> date:
    return date(*month, day)


CASES: tuple[Case, ...] = (
    *(
        Case(key, f"{title}: no fault", key)
        for key, title in (
            ("a", "a) Amsterdam, July, 2 ECUs"),
            ("c", "c) Oslo, December"),
            ("d", "d) Milan, July, 40 DS3"),
            ("e", "e) Utrecht, July (the App ID's first system)"),
            ("f", "f) Amsterdam, July, PV + battery"),
            ("g", "g) Haarlem, July, split roof"),
            ("h", "h) Golden, July as measured (real sky)"),
            ("i", "i) Golden, July's measured clouds on an east roof (real sky)"),
        )
    ),
    Case(
        "a25",
        "a) a module 25 % down from the 10th (a DS3 channel)",
        "a",
        (ChannelFault(AMS_DS3, 1, _on(10), loss=0.25),),
        (_channel(AMS_DS3, 1),),
        13,
    ),
    Case(
        "a10",
        "a) a module 10 % down from the 10th (never flagged at 85 %)",
        "a",
        (ChannelFault(AMS_DS3, 1, _on(10), loss=0.10),),
        (),
        None,
    ),
    Case(
        "a-dead",
        "a) a dead channel from the 10th (a QT2D's third)",
        "a",
        (ChannelFault(AMS_QT2D, 3, _on(10)),),
        (_channel(AMS_QT2D, 3),),
        10,
    ),
    Case(
        "a-inv",
        "a) a dead inverter from the 10th (both channels of a DS3)",
        "a",
        (ChannelFault(AMS_DS3, None, _on(10)),),
        (AMS_DS3,),
        10,
    ),
    Case(
        "a-back",
        "a) a dead channel from the 10th to the 15th (cleared after 2 good days)",
        "a",
        (ChannelFault(AMS_DS3, 2, _on(10), _on(15)),),
        (_channel(AMS_DS3, 2),),
        10,
    ),
    Case(
        "a-shade",
        "a) a module shaded from noon to 5 pm (60 % less) from the 10th",
        "a",
        (ChannelFault(AMS_DS3, 2, _on(10), loss=0.6, hours=(12.0, 17.0)),),
        (_channel(AMS_DS3, 2),),
        13,
    ),
    Case(
        "d25",
        "d) Milan, 40 DS3: a module 25 % down from the 10th",
        "d",
        (ChannelFault(MILAN, 2, _on(10), loss=0.25),),
        (_channel(MILAN, 2),),
        13,
    ),
    Case(
        "f25",
        "f) PV + battery: a module 25 % down from the 10th",
        "f",
        (ChannelFault(BATTERY_DS3, 1, _on(10), loss=0.25),),
        (_channel(BATTERY_DS3, 1),),
        13,
    ),
    Case(
        "g25",
        "g) split roof: an east module 25 % down from the 10th",
        "g",
        (ChannelFault(SPLIT_EAST, 1, _on(10), loss=0.25),),
        (_channel(SPLIT_EAST, 1),),
        13,
    ),
    Case(
        "g-dead",
        "g) split roof: a dead channel on the west QT2D from the 10th",
        "g",
        (ChannelFault(SPLIT_WEST_QT2D, 4, _on(10)),),
        (_channel(SPLIT_WEST_QT2D, 4),),
        10,
    ),
    Case(
        "g-oct",
        "g) split roof in October (lower sun, more clouds): no fault",
        "g",
        setup=datetime(2026, 9, 30, 12, 0, tzinfo=SPLIT_SITE.zone),
        month=(2026, 10),
    ),
    Case(
        "c25",
        "c) Oslo, December: a module 25 % down from the 10th (little sun to judge by)",
        "c",
        (ChannelFault(OSLO, 1, date(2026, 12, 10), loss=0.25),),
        (_channel(OSLO, 1),),
        None,
    ),
)


def _soak() -> tuple[Case, ...]:
    """The fault soak: more faults, and other weather (other seeds) for the same sites."""
    west_ds3, milan_other = "800007100005", "800003200011"
    cases: list[Case] = [
        Case(
            "d-two",
            "d) Milan: two modules of one ECU 30 % down from the 10th",
            "d",
            (
                ChannelFault(MILAN, 1, _on(10), loss=0.3),
                ChannelFault(milan_other, 2, _on(10), loss=0.3),
            ),
            (_channel(MILAN, 1), _channel(milan_other, 2)),
            13,
        ),
        Case(
            "g-inv",
            "g) split roof: a west DS3 dead from the 10th",
            "g",
            (ChannelFault(west_ds3, None, _on(10)),),
            (west_ds3,),
            10,
        ),
        Case(
            "g-shade",
            "g) split roof: a west module shaded from 3 pm (60 % less) from the 10th",
            "g",
            (ChannelFault(west_ds3, 2, _on(10), loss=0.6, hours=(15.0, 24.0)),),
            (_channel(west_ds3, 2),),
            13,
        ),
        Case(
            "g-oct-dead",
            "g) split roof in October: a dead east channel from the 10th",
            "g",
            (ChannelFault(SPLIT_EAST, 2, date(2026, 10, 10)),),
            (_channel(SPLIT_EAST, 2),),
            10,
            setup=datetime(2026, 9, 30, 12, 0, tzinfo=SPLIT_SITE.zone),
            month=(2026, 10),
        ),
    ]
    cases.append(
        Case(
            "a-spread",
            "a) every module up to 8 % down on its own each day; one 25 % down from the 10th",
            "a",
            (ChannelFault(AMS_DS3, 1, _on(10), loss=0.25),),
            (_channel(AMS_DS3, 1),),
            13,
            spread=0.08,
        )
    )
    cases.append(
        Case(
            "g-spread",
            "g) split roof, every module up to 8 % down on its own each day: no fault",
            "g",
            spread=0.08,
        )
    )
    for seed in (11, 12, 13):
        cases.append(
            Case(
                f"a25-s{seed}",
                f"a) another July's weather (seed {seed}): a module 25 % down from the 10th",
                "a",
                (ChannelFault(AMS_DS3, 1, _on(10), loss=0.25),),
                (_channel(AMS_DS3, 1),),
                13,
                seed=seed,
            )
        )
        cases.append(
            Case(
                f"g-s{seed}",
                f"g) split roof, another July's weather (seed {seed}): no fault",
                "g",
                seed=seed,
            )
        )
    return tuple(cases)


CASES += _soak()
BY_CASE = {case.key: case for case in CASES}


@dataclass
class Result:
    """What a case showed."""

    key: str
    title: str
    days: int
    flagged: dict[Unit, str | None] = field(default_factory=dict)  # unit -> day it turned on
    cleared: dict[Unit, str | None] = field(default_factory=dict)  # unit -> day it turned off
    false_alarms: list[str] = field(default_factory=list)
    figures: int = 0
    error_sum: float = 0.0  # percentage points, summed over the figures
    error_max: float = 0.0
    groups: int = 0
    seconds: float = 0.0
    goal: str = ""
    ok: bool = True

    @property
    def mean_error(self) -> float:
        """The relative yield's mean absolute error (percentage points)."""
        return self.error_sum / self.figures if self.figures else 0.0


def _planner(site: Site) -> Planner:
    geometry = SiteGeometry(
        latitude=site.latitude,
        longitude=site.longitude,
        timezone=site.timezone,
        ecus=tuple(e.eid for e in site.ecus),
        inverters=tuple(i.uid for i in site.inverters),
        meters=tuple(site.meters),
        storage=tuple(s.eid for s in site.storages),
    )
    return Planner(PlannerConfig(quota=QUOTA, entry="bench"), geometry)


def _spread(site: Site, spec: BenchSite, spread: float) -> list[ChannelFault]:
    """Each module's own loss of each day of the run, up to ``spread`` (heat, dew, dust):
    part of the site, so its figures should stay about 100 %, never on."""
    rng = random.Random(f"spread/{site.sid}/{spread}")
    first = spec.setup.astimezone(spec.zone).date()
    days = (spec.month_end.astimezone(spec.zone).date() - first).days + 1
    return [
        ChannelFault(inv.uid, n, day, day, loss=rng.uniform(0.0, spread))
        for day in (first + timedelta(days=k) for k in range(days))
        for inv in site.inverters
        for n in range(1, inv.channels + 1)
    ]


def _truths(site: Site, case: Case) -> tuple[Truth, Truth]:
    """The truth with the case's faults, and without them (what the units would have made)."""
    faulty = replace(site, faults=(*site.faults, *case.faults))
    return Truth(faulty), Truth(site)


def _unit_energy(truth: Truth, day: date, unit: Unit) -> float:
    uid, sep, number = unit.rpartition("-")
    if sep:
        return truth.day_energy(day, uid=uid, channel=int(number))
    return truth.day_energy(day, uid=unit)


def run_case(case: Case) -> Result:
    """Drive the learner through the case's month; its figures and decisions."""
    started = clock.perf_counter()
    spec = case.spec()
    base = spec.systems[0].site
    if case.seed is not None:
        base = replace(base, seed=case.seed)
    if case.spread:
        base = replace(base, faults=(*base.faults, *_spread(base, spec, case.spread)))
    zone, setup = spec.zone, spec.setup
    first, end = spec.month_start.astimezone(zone).date(), spec.month_end
    faulty_truth, healthy_truth = _truths(base, case)
    sim = Simulator(faulty_truth.site, clock=lambda: setup.astimezone(UTC))
    state = site_state(base)
    planner, book, memory = _planner(base), CallBook(since=setup), PlannerState()
    memory.closed_day = setup.date() - timedelta(days=1)
    health = Health()
    result = Result(case.key, case.title, (end.astimezone(zone).date() - first).days)
    fault_days = {
        unit: min((f.start for f in case.faults if f.start is not None), default=first)
        for unit in case.flagged
    }
    now = setup.astimezone(UTC)
    was_on: dict[Unit, bool] = {}
    while now < end:
        plan = planner.next_plan(now, book, memory)
        now = max(now, plan.at)
        if now >= end:
            break
        if not plan.calls:
            now += timedelta(seconds=1)
            continue
        for call in plan.calls:
            day = call.day or now.astimezone(zone).date()
            if call.kind is CallKind.BATCH_POWER and call.target and not call.backfill:
                data = sim.batch_data(call.target, day, now, "power")
                health.observe_curve(BatchPower.from_api(data, day))
            elif call.kind is CallKind.BATCH_ENERGY and call.target:
                data = sim.batch_data(call.target, day, now, "energy")
                if health.observe_energy(state, call.target, BatchEnergy.from_api(data, day)):
                    _score(case, health, faulty_truth, healthy_truth, result, fault_days, was_on)
            planner.record(call, now, book, memory, plan=plan)
        now += timedelta(seconds=1)
    result.groups = health.model.groups
    result.seconds = clock.perf_counter() - started
    _verdict(case, result, first)
    return result


def _units(health: Health) -> dict[Unit, object]:
    units: dict[Unit, object] = dict(health.inverters.items())
    units.update({_channel(uid, n): v for (uid, n), v in health.channels.items()})
    return units


def _score(
    case: Case,
    health: Health,
    faulty: Truth,
    healthy: Truth,
    result: Result,
    fault_days: dict[Unit, date],
    was_on: dict[Unit, bool],
) -> None:
    """After a closed day: each new figure against the truth, each unit turning on or off."""
    day = health.closed
    assert day is not None
    for unit, verdict in _units(health).items():
        figure = getattr(verdict, "figure", None)
        if getattr(verdict, "day", None) == day and figure is not None:
            made, would = _unit_energy(faulty, day, unit), _unit_energy(healthy, day, unit)
            truth = made / would if would > 0 else 1.0
            error = abs(figure - truth) * 100
            result.figures += 1
            result.error_sum += error
            result.error_max = max(result.error_max, error)
        on = bool(getattr(verdict, "on", False))
        if on and not was_on.get(unit, False):
            if unit in case.flagged and day >= fault_days[unit]:
                result.flagged.setdefault(unit, day.isoformat())
            elif not _related(case, unit, day):
                result.false_alarms.append(f"{unit} on {day.isoformat()}")
        if not on and was_on.get(unit, False) and unit in case.flagged:
            result.cleared.setdefault(unit, day.isoformat())
        was_on[unit] = on


def _related(case: Case, unit: Unit, day: date) -> bool:
    """Whether a unit shares a fault that has begun: the inverter of a faulty channel (it
    makes less too), or a channel of a faulty inverter."""
    uid, sep, number = unit.rpartition("-")
    inverter, channel = (uid, int(number)) if sep else (unit, None)
    return any(
        fault.uid == inverter
        and (channel is None or fault.channel in (None, channel))
        and (fault.start is None or day >= fault.start)
        for fault in case.faults
    )


def _verdict(case: Case, result: Result, first: date) -> None:
    """Whether the case met its goal."""
    for unit in case.flagged:
        result.flagged.setdefault(unit, None)
    ok = not result.false_alarms
    if case.by is not None:
        deadline = first.replace(day=case.by)
        ok = ok and all(
            when is not None and date.fromisoformat(when) <= deadline
            for when in result.flagged.values()
        )
        result.goal = f"flagged by the {case.by}th, no false alarm"
    elif case.flagged:
        result.goal = "no false alarm (the day it is flagged depends on the sun)"
    else:
        ok = ok and not any(result.flagged.values())
        result.goal = "no alarm"
    if any(f.end is not None for f in case.faults):
        ok = ok and all(result.cleared.get(u) for u in case.flagged)
        result.goal += ", cleared after it ends"
    result.ok = ok


def _day_of(when: str | None) -> str:
    return "—" if when is None else str(date.fromisoformat(when).day)


def render(results: Sequence[Result]) -> list[str]:
    """The markdown table."""
    lines = [
        "| case | flagged on day | cleared on day | false alarms | relative yield: mean error "
        "(max), points | figures | groups | goal |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        flagged = ", ".join(_day_of(w) for w in r.flagged.values()) or "—"
        cleared = ", ".join(_day_of(w) for w in r.cleared.values()) or "—"
        lines.append(
            f"| {r.title} | {flagged} | {cleared} | {len(r.false_alarms)} | "
            f"{r.mean_error:.1f} ({r.error_max:.1f}) | {r.figures} | {r.groups} | "
            f"{'met' if r.ok else 'MISSED'}: {r.goal} |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the cases, print the table; exit status 1 when a goal is missed."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench.health")
    parser.add_argument("--case", default=",".join(BY_CASE), help="cases (default: all)")
    parser.add_argument("--json", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args(argv)
    keys = [k.strip() for k in args.case.split(",") if k.strip()]
    unknown = [k for k in keys if k not in BY_CASE]
    if unknown:
        raise SystemExit(f"unknown case(s): {', '.join(unknown)} (known: {', '.join(BY_CASE)})")
    started = clock.perf_counter()
    results = [run_case(BY_CASE[k]) for k in keys]
    print("\n".join(render(results)))
    for r in results:
        for alarm in r.false_alarms:
            print(f"  {r.key}: false alarm {alarm}")
    missed = [r.key for r in results if not r.ok]
    print(
        f"\n{len(results) - len(missed)} of {len(results)} goals met "
        f"in {clock.perf_counter() - started:.0f} s" + (f"; missed: {missed}" if missed else "")
    )
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
