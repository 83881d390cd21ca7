"""The simulator under a measured sky: production drawn from a measured series instead of the
formula, every total still consistent (5-minute -> hourly -> daily -> lifetime)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.bench.sites import GOLDEN_EAST_SITE, GOLDEN_SOUTH_SITE
from tests.simulator import Site
from tests.simulator.solar import SLOTS_PER_DAY, Truth, measured_sky, unit_curve


@pytest.mark.parametrize("site", [GOLDEN_SOUTH_SITE, GOLDEN_EAST_SITE], ids=lambda s: s.sky)
def test_a_measured_sky_keeps_every_sum(site: Site) -> None:
    truth = Truth(site)
    day = date(2026, 7, 14)
    slots = truth.slot_energy(day)
    assert len(slots) == SLOTS_PER_DAY
    assert sum(truth.hourly(day)) == pytest.approx(sum(slots))
    assert truth.day_energy(day) == pytest.approx(sum(slots))
    month = truth.series("daily", date(2026, 7, 1), datetime(2026, 8, 2, tzinfo=site.zone))
    assert sum(month) == pytest.approx(truth.range_energy(date(2026, 7, 1), date(2026, 7, 31)))
    ecus = sum(truth.day_energy(day, eid=ecu.eid) for ecu in site.ecus)
    assert ecus == pytest.approx(truth.day_energy(day))
    at = datetime(2026, 7, 14, 23, 0, tzinfo=site.zone)
    assert truth.lifetime(at) == pytest.approx(
        truth.range_energy(site.create_date, day - timedelta(days=1)) + truth.day_energy(day)
    )
    # The day's shape is the measured one: the unit curve is the series' day, per W-peak.
    measured = measured_sky(site.sky)[14]
    curve = unit_curve(site.latitude, site.longitude, site.timezone, site.seed, day, site.sky)
    assert curve.power == measured
    assert max(measured) < 1.0
    assert curve.first is not None
    assert curve.last is not None


def test_every_day_takes_the_measured_day_of_its_day_of_the_month() -> None:
    site = GOLDEN_SOUTH_SITE
    july = unit_curve(0, 0, "UTC", 0, date(2026, 7, 9), site.sky)
    march = unit_curve(0, 0, "UTC", 0, date(2025, 3, 9), site.sky)
    assert march.power == july.power
    # A sky and no sky draw different days; a battery's model takes no measured sky.
    formula = unit_curve(site.latitude, site.longitude, site.timezone, site.seed, date(2026, 7, 9))
    assert formula.power != july.power
    assert ZoneInfo(site.timezone).key == "America/Denver"
