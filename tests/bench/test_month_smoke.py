"""The month benchmark's machinery, for two simulated days of sites a and f (the battery):
it runs, it measures.

Not a benchmark (the targets are the month's, see ``python -m tests.bench.month``): this only
checks that every figure is computed and sane, so the benchmark cannot rot between runs.
"""

from datetime import timedelta
from itertools import pairwise
import json
from math import isfinite
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from tests.bench.figures import Matcher, Timeline, minutes_behind, newest_match, site_figures
from tests.bench.harness import run_site, sampled_ids
from tests.bench.month_run import RECORDER_CONFIG
from tests.bench.report import render, targets
from tests.bench.results import SiteFigures, Stat
from tests.bench.sites import BY_KEY, QUOTA


@pytest.fixture
def recorder_config() -> dict[str, Any]:
    """The recorder as the benchmark configures it."""
    return dict(RECORDER_CONFIG)


def _sane(stat: Stat, high: float) -> None:
    assert stat.n > 0
    assert stat.mean is not None
    assert stat.p95 is not None
    assert isfinite(stat.mean)
    assert isfinite(stat.p95)
    assert -1 <= stat.mean <= high
    assert stat.p95 <= high


async def test_two_days_of_site_a(
    recorder_mock: object,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    enable_custom_integrations: None,
    socket_enabled: None,
) -> None:
    """Set up at noon on 30 June, run to noon on 2 July: calls, lags and errors all there."""
    spec = BY_KEY["a"]
    run = await run_site(hass, freezer, spec, days=2)
    assert run.end - run.start == timedelta(days=2)
    assert len(run.samples) == 2 * 288
    assert all((b - a).total_seconds() == 300 for a, b in pairwise(run.samples))
    figures = site_figures(run)
    ours, theirs = figures.ours, figures.anchor
    calls = ours.calls
    assert calls.month > 0
    assert calls.setup_day > 0
    assert calls.quota_answers == 0
    assert calls.month <= QUOTA
    assert calls.days == 2
    assert calls.setup_date == "2026-06-30"
    assert calls.before == calls.setup_day
    assert theirs.calls.month > 0
    for stat, high in (
        (ours.lifetime_minutes, 2 * 24 * 60),
        (ours.lifetime_kwh, 100.0),
        (ours.power_error, 10_000.0),
        (ours.inverter_staleness, 2 * 24 * 60),
        (ours.inverter_error, 2_000.0),
        (theirs.lifetime_minutes, 2 * 24 * 60),
        (theirs.inverter_staleness, 2 * 24 * 60),
    ):
        _sane(stat, high)
    assert ours.lifetime_minutes.missing == 0
    assert ours.inverter_staleness.missing == 0
    assert 500 < figures.daylight_power_w < 5000
    assert {row.label for row in figures.extra} >= {
        "meter consumption power: staleness",
        "meter imported lifetime: minutes behind",
    }
    for row in figures.extra:
        # A meter's night-time value can match a sample from the timeline's first day.
        _sane(row.ours, 3 * 24 * 60)
    # The printout, and a JSON round trip (the workers hand their figures over as JSON).
    lines = render(figures)
    assert lines[0].startswith("### a)")
    assert any(line.startswith("a) ") for line in lines)
    assert len(targets(figures)) == 8
    assert figures.lifetime_ahead.n == 0  # the lifetime rule: never above the API's
    assert figures.battery is None
    assert any(line.startswith("| battery state of charge") and "| — |" in line for line in lines)
    assert SiteFigures.from_json(json.loads(json.dumps(figures.as_json()))) == figures


async def test_two_days_of_site_f(
    recorder_mock: object,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    enable_custom_integrations: None,
    socket_enabled: None,
) -> None:
    """PV and storage, two days from noon on 30 June: the battery's entities are sampled and
    its figures computed, judged and printed."""
    spec = BY_KEY["f"]
    site = spec.systems[0].site
    run = await run_site(hass, freezer, spec, days=2)
    eid = site.storages[0].eid
    soc = run.systems[0].values[f"{site.sid}_battery_{eid}_soc"]
    assert len(soc) == len(run.samples)
    assert any(value is not None and 0 <= value <= 100 for value in soc)
    figures = site_figures(run)
    battery = figures.battery
    assert battery is not None
    _sane(battery.soc_staleness, 2 * 24 * 60)
    _sane(battery.soc_error, 100.0)
    _sane(battery.charged_kwh, 20.0)
    _sane(battery.discharged_kwh, 20.0)
    _sane(battery.charged_minutes, 2 * 24 * 60)
    _sane(battery.discharged_minutes, 2 * 24 * 60)
    assert battery.soc_staleness.missing == 0
    assert battery.charged_kwh.missing == 0
    assert figures.ours.calls.quota_answers == 0
    assert {row.label for row in figures.extra} >= {
        "battery state of charge: staleness, all day",
        "battery state of charge: staleness, daylight, showing the day's reading",
        "battery charge power: staleness",
        "battery last report: age of the reading shown",
    }
    verdicts = targets(figures)
    assert [t.key for t in verdicts] == [
        "quota",
        "2005",
        "burst",
        "ahead",
        "restart",
        "soc",
        "statistics",
    ]
    lines = render(figures)
    assert lines[0].startswith("### f)")
    assert any(line.startswith("f) ") and "state of charge" in line for line in lines)
    assert SiteFigures.from_json(json.loads(json.dumps(figures.as_json()))) == figures


def test_measures() -> None:
    """Minutes behind and the newest matching slot (staleness) on made-up series."""
    site = BY_KEY["a"].systems[0].site
    timeline = Timeline(site, BY_KEY["a"].setup.date(), BY_KEY["a"].setup.date())
    instants = timeline.instants[:4]
    series = [1.0, 2.0, 2.0, 3.0]
    assert minutes_behind(3.0, instants[3], 3, series, instants, 0.01) == 0
    # 2.0 was the truth until [3] rose above it: 0 minutes at [3], 5 minutes later on.
    assert minutes_behind(2.0, instants[3], 3, series, instants, 0.01) == 0
    later = instants[3] + timedelta(minutes=5)
    assert minutes_behind(2.0, later, 3, series, instants, 0.01) == 5
    assert minutes_behind(0.5, instants[3], 3, series, instants, 0.01) == 15  # above from [0]
    assert minutes_behind(1.5, instants[3], 3, series, instants, 0.01) == 10  # above from [1]
    assert newest_match(2.0, 3, series, 0.1) == 2
    assert newest_match(7.0, 3, series, 0.1) is None
    matcher = Matcher([5.0, 1.0, 2.0, 1.0, 3.0, 1.0], 0.1)
    assert matcher(5.0, 2) == 0
    assert matcher(5.0, 4) == 0  # unchanged value, no newer match: the old one stands
    assert matcher(1.0, 4) == 3
    assert matcher(1.0, 5) == 5
    ids = sampled_ids(site)
    assert f"{site.sid}_lifetime_energy" in ids
    assert len(ids) == len(set(ids))
    battery_site = BY_KEY["f"].systems[0].site
    eid = battery_site.storages[0].eid
    assert f"{battery_site.sid}_battery_{eid}_soc" in sampled_ids(battery_site)
    assert not any("_battery_" in unique_id for unique_id in ids)
