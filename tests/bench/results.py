"""The month benchmark's results: the figures of a site (plain data, JSON round trip) and
the pytest plugin that hands a run its sites and collects their figures.

Nothing here imports Home Assistant: ``python -m tests.bench.month`` must not load it before
``pytest.main`` does (the harness patches the recorder before its first import).
"""

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
import logging
import statistics
from typing import Any

import pytest

from tests.bench.sites import BenchSite

MEASURED_POWER = "current power as last measured (the inverters' sum): absolute error, daylight"
"""The label of the extra row: what the current power would have shown without following the
sun between polls."""


@dataclass
class Stat:
    """Mean and 95th percentile of a figure's values; ``n`` values, ``missing`` samples."""

    mean: float | None = None
    p95: float | None = None
    n: int = 0
    missing: int = 0

    @classmethod
    def of(cls, values: Sequence[float], missing: int = 0) -> Stat:
        """Summarise values."""
        if not values:
            return cls(missing=missing)
        p95 = statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]
        return cls(statistics.fmean(values), p95, len(values), missing)


@dataclass
class Values:
    """A figure's raw values (pooled over entities and systems) and its missing samples."""

    values: list[float] = field(default_factory=list)
    missing: int = 0

    def add(self, other: Values) -> None:
        """Pool another entity's values in."""
        self.values += other.values
        self.missing += other.missing

    def stat(self) -> Stat:
        """Mean and 95th percentile."""
        return Stat.of(self.values, self.missing)


@dataclass
class Calls:
    """The API calls of a site (App ID) around its measured month."""

    month: int = 0
    """In the measured month (system-local), all systems of the App ID."""
    per_system: dict[str, int] = field(default_factory=dict)
    """In the measured month, per SID."""
    before: int = 0
    """Booked to the month(s) before (the set-up day's, when it is in the previous month)."""
    setup_day: int = 0
    setup_date: str = ""
    max_day: int = 0
    max_date: str = ""
    days: int = 0
    """Days of the measured month in the run (a partial day counts)."""
    average_day: float = 0.0
    burst_days: list[str] = field(default_factory=list)
    """Days (the month's and the set-up day) with more than twice the average day's calls."""
    quota_answers: int = 0
    """Calls answered 2005 (quota exceeded)."""
    restarts: list[int] = field(default_factory=list)
    """Calls of each restart (all systems)."""


@dataclass
class Row:
    """An extra figure (meters, the battery's detail): label, unit, ours and the anchor's."""

    label: str
    unit: str
    ours: Stat
    anchor: Stat | None = None


@dataclass
class Figures:
    """What one integration (ours or the anchor) showed over the measured month."""

    calls: Calls
    lifetime_minutes: Stat
    lifetime_kwh: Stat
    power_error: Stat
    """Absolute error of the current power (W): mean = MAE."""
    inverter_staleness: Stat
    inverter_error: Stat


@dataclass
class Battery:
    """What the battery entities showed over the measured month (pooled over the storage
    ECUs; daylight samples). The anchor has no battery entities."""

    soc_staleness: Stat
    """State of charge: minutes since the newest slot whose true value it shows."""
    soc_error: Stat
    """State of charge: absolute error against the slot's truth, percentage points."""
    charged_kwh: Stat
    """Lifetime charged energy: the truth minus the value shown, kWh."""
    discharged_kwh: Stat
    """Lifetime discharged energy: the truth minus the value shown, kWh."""
    charged_minutes: Stat
    """Lifetime charged energy: minutes since the truth rose above the value shown."""
    discharged_minutes: Stat
    """Lifetime discharged energy: minutes since the truth rose above the value shown."""


BATTERY_FIGURES = tuple(f.name for f in fields(Battery))


@dataclass
class SiteFigures:
    """Everything printed for one benchmark site."""

    key: str
    title: str
    month: str
    """``YYYY-MM``."""
    start: str
    end: str
    seconds: float
    steps: int
    samples: int
    daylight_power_w: float
    """Mean true system power over the month's daylight samples (all systems)."""
    ours: Figures
    anchor: Figures
    anchor_interval_s: list[int]
    extra: list[Row] = field(default_factory=list)
    battery: Battery | None = None
    """None: the site has no battery."""
    lifetime_ahead: Stat = field(default_factory=Stat)
    """The system's lifetime above the API's (beyond its rounding), kWh, all day: one value
    per sample it was above (``n``: how many; none is the lifetime rule kept)."""
    system_lifetime: dict[str, float] = field(default_factory=dict)
    """Per SID, the lifetime's mean minutes behind in daylight."""
    longest_gap: dict[str, float] = field(default_factory=dict)
    statistics_days: dict[str, list[int]] = field(default_factory=dict)
    """Per SID, [days whose imported hourly production is the truth's, closed days]."""
    """Per SID, the longest stretch of daylight (minutes) without a poll, from the set-up to
    the month's end."""

    def as_json(self) -> dict[str, Any]:
        """Plain JSON."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SiteFigures:
        """Rebuild from :meth:`as_json`."""

        def figures(d: dict[str, Any]) -> Figures:
            return Figures(
                Calls(**d["calls"]),
                *(
                    Stat(**d[name])
                    for name in (
                        "lifetime_minutes",
                        "lifetime_kwh",
                        "power_error",
                        "inverter_staleness",
                        "inverter_error",
                    )
                ),
            )

        rows = [
            Row(
                r["label"],
                r["unit"],
                Stat(**r["ours"]),
                None if r["anchor"] is None else Stat(**r["anchor"]),
            )
            for r in data["extra"]
        ]
        stored = data.get("battery")
        battery = (
            None if stored is None else Battery(*(Stat(**stored[name]) for name in BATTERY_FIGURES))
        )
        skip = {"ours", "anchor", "extra", "battery", "lifetime_ahead"}
        plain = {k: v for k, v in data.items() if k not in skip}
        return cls(
            **plain,
            lifetime_ahead=Stat(**data.get("lifetime_ahead", {})),
            ours=figures(data["ours"]),
            anchor=figures(data["anchor"]),
            extra=rows,
            battery=battery,
        )


class MonthBench:
    """A pytest plugin: the sites to run, for how long, and the figures they gave."""

    def __init__(
        self,
        sites: list[BenchSite],
        days: float | None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        """Run ``sites`` for ``days`` (None: to the month's end)."""
        self.sites = sites
        self.days = days
        self.progress = progress
        self.results: dict[str, SiteFigures] = {}

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Print no log record below WARNING: the harness logs to the terminal at INFO
        (SQL statements included) while it sets Home Assistant up and tears it down."""
        for handler in logging.root.handlers:
            if type(handler) is logging.StreamHandler:
                handler.setLevel(logging.WARNING)
        # "We found a custom integration ... which has not been tested": known, every run.
        logging.getLogger("homeassistant.loader").setLevel(logging.ERROR)

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """One test per site."""
        if "bench_site" in metafunc.fixturenames:
            metafunc.parametrize("bench_site", self.sites, ids=[s.key for s in self.sites])

    @pytest.fixture
    def month_bench(self) -> MonthBench:
        """This plugin, for the test to report to."""
        return self
