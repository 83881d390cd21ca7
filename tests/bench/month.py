"""``python -m tests.bench.month``: a month of what Home Assistant shows, ours vs the anchor.

The real integration (config entries set up from scratch, its coordinator, entities and
imported statistics) runs in Home Assistant's pytest harness (``hass``, ``freezer``,
``recorder_mock``) against the simulator served over HTTP on loopback, through whole months
of simulated time (:mod:`tests.bench.harness`). Every 5 minutes the entities' states are
sampled and compared with the simulator's truth (:mod:`tests.bench.figures`); the anchor
integration's figures come from its documented schedule. The sites are in
:mod:`tests.bench.sites`, the targets in :mod:`tests.bench.report`. One markdown table per
site is printed, then PASS/FAIL per target; a FAIL does not fail the process.

Options::

    --site a,b,...   the sites to run (default: all, a to i, m2, m5, m12)
    --days N         only the first N days after each set-up (quick iteration)
    --json FILE      also write every figure as JSON
    --jobs N         worker processes the sites are shared among (default 2)

Each worker runs ``pytest`` on ``tests/bench/month_run.py`` (not collected by a plain
``pytest`` run) with a plugin that hands it the sites and collects their figures.
"""

import argparse
from collections.abc import Sequence
import json
from pathlib import Path
import subprocess
import sys
import tempfile
import time

import pytest

from tests.bench.report import render, targets
from tests.bench.results import MonthBench, SiteFigures
from tests.bench.sites import BY_KEY, SITES, BenchSite

RUN_MODULE = Path(__file__).with_name("month_run.py")
PYTEST_ARGS = ("-q", "-s", "-p", "no:cacheprovider", "-o", "addopts=", "--no-header")
LEGEND = (
    "Entities sampled every 5 minutes of the month; daylight: astral sunrise to sunset.",
    "Minutes behind: t minus when the true lifetime rose above the shown value. Staleness: t minus",
    "the newest true 5-minute sample equal to the shown value. Power errors: against the true",
    "power of the 5-minute slot at t (samples fall on slot labels). Anchor: its documented",
    "schedule, read generously (tests/bench/figures.py). Calls: as the simulator counted them.",
    "Battery: state of charge staleness as the inverters' (whole percent), its error in",
    "percentage points; lifetime charged / discharged energy behind the truth. —: no battery.",
)
#: Relative cost of a site's month (for sharing the sites out among workers).
COST = {
    "a": 3.0,
    "b": 3.0,
    "c": 2.0,
    "d": 4.5,
    "e": 4.0,
    "f": 3.0,
    "g": 3.0,
    "h": 3.0,
    "i": 3.0,
    "m2": 3.0,
    "m5": 6.0,
    "m12": 12.0,
}


def build_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.month",
        description="A month of what Home Assistant shows, against the simulator's truth.",
    )
    parser.add_argument("--site", default=",".join(BY_KEY), help="sites, e.g. a,c (default all)")
    parser.add_argument("--days", type=float, default=None, help="days after each set-up")
    parser.add_argument("--json", type=Path, default=None, help="write the figures as JSON")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser


def _progress(text: str) -> None:
    print(f"  [{text}]", file=sys.stderr, flush=True)


def run_here(sites: list[BenchSite], days: float | None) -> list[SiteFigures]:
    """Run the sites in this process (one pytest session)."""
    bench = MonthBench(sites, days, _progress)
    code = pytest.main([str(RUN_MODULE), *PYTEST_ARGS], plugins=[bench])
    if code != pytest.ExitCode.OK:
        raise SystemExit(f"the month benchmark's pytest session failed ({code})")
    return [bench.results[site.key] for site in sites if site.key in bench.results]


def _share(sites: list[BenchSite], jobs: int) -> list[list[BenchSite]]:
    """Longest first, each to the least loaded worker."""
    groups: list[list[BenchSite]] = [[] for _ in range(max(1, min(jobs, len(sites))))]
    loads = [0.0] * len(groups)
    for site in sorted(sites, key=lambda s: -COST.get(s.key, 3.0)):
        n = loads.index(min(loads))
        groups[n].append(site)
        loads[n] += COST.get(site.key, 3.0)
    return groups


def run_workers(sites: list[BenchSite], days: float | None, jobs: int) -> list[SiteFigures]:
    """Run the sites in worker processes; figures in the order of ``sites``."""
    with tempfile.TemporaryDirectory() as folder:
        workers = []
        for n, group in enumerate(_share(sites, jobs)):
            out = Path(folder) / f"worker{n}.json"
            command = [sys.executable, "-m", "tests.bench.month", "--worker", "--json", str(out)]
            command += ["--site", ",".join(s.key for s in group)]
            if days is not None:
                command += ["--days", str(days)]
            log = (Path(folder) / f"worker{n}.log").open("w")
            workers.append((subprocess.Popen(command, stdout=log), out, log))  # noqa: S603
        results: dict[str, SiteFigures] = {}
        for process, out, log in workers:
            process.wait()
            log.close()
            if process.returncode != 0 or not out.exists():
                sys.stderr.write(Path(log.name).read_text()[-20_000:])
                raise SystemExit(f"a worker failed (exit status {process.returncode})")
            for data in json.loads(out.read_text()):
                figures = SiteFigures.from_json(data)
                results[figures.key] = figures
    return [results[site.key] for site in sites]


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print the report; exit status 0 whatever the verdicts."""
    args = build_parser().parse_args(argv)
    keys = [key.strip() for key in args.site.split(",") if key.strip()]
    unknown = [key for key in keys if key not in BY_KEY]
    if unknown:
        raise SystemExit(f"unknown site(s): {', '.join(unknown)} (known: {', '.join(BY_KEY)})")
    sites = [site for site in SITES if site.key in keys]
    started = time.perf_counter()
    if args.worker or args.jobs <= 1 or len(sites) == 1:
        figures = run_here(sites, args.days)
    else:
        figures = run_workers(sites, args.days, args.jobs)
    if args.json is not None:
        args.json.write_text(json.dumps([f.as_json() for f in figures], indent=1))
    if args.worker:
        return 0
    span = "whole months" if args.days is None else f"{args.days:g} days after each set-up"
    print(f"## What Home Assistant shows over a month ({span}): ours vs the anchor\n")
    print("\n".join(LEGEND) + "\n")
    for fig in figures:
        print("\n".join(render(fig)))
        print()
    verdicts = [target.ok for fig in figures for target in targets(fig)]
    print(
        f"OVERALL {'PASS' if all(verdicts) else 'FAIL'}: {sum(verdicts)} of {len(verdicts)} "
        f"targets met; {len(figures)} sites in {time.perf_counter() - started:.0f} s wall-clock"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
