"""The month benchmark's pytest module: one test per site, in Home Assistant's test harness.

``python -m tests.bench.month`` runs this file through ``pytest.main`` with a
:class:`~tests.bench.results.MonthBench` plugin that says which sites and how many days,
and collects the figures. A plain ``pytest`` run does not collect it (its name does not start with
``test_``); ``tests/bench/test_month_smoke.py`` runs the same machinery for two days.
"""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from tests.bench.figures import site_figures
from tests.bench.harness import run_site
from tests.bench.results import MonthBench
from tests.bench.sites import BenchSite

#: Home Assistant's default: the recorder commits every 5 s (the harness commits after
#: every event, which would make the recorder, not the integration, the benchmark).
RECORDER_CONFIG = {"commit_interval": 5}


@pytest.fixture
def recorder_config() -> dict[str, Any]:
    """The recorder as Home Assistant configures it by default."""
    return dict(RECORDER_CONFIG)


async def test_month(
    recorder_mock: object,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    enable_custom_integrations: None,
    socket_enabled: None,
    bench_site: BenchSite,
    month_bench: MonthBench,
) -> None:
    """Run one site through its month and keep its figures."""
    run = await run_site(hass, freezer, bench_site, month_bench.days, month_bench.progress)
    if month_bench.progress:
        month_bench.progress(f"{bench_site.key}: {run.steps} steps in {run.seconds:.0f} s")
    month_bench.results[bench_site.key] = site_figures(run)
