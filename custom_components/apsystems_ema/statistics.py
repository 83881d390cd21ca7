"""External statistics: exact hourly energy for the Energy dashboard.

Series (statistic ids ``apsystems_ema:<sid>_<series>``):

* ``solar_production``: the system, from the day's hourly list (the closing call);
* ``<eid>_production``: each ECU, from the 5-minute energies of its day curve (every poll);
* ``<meter>_grid_import``, ``<meter>_grid_export``, ``<meter>_consumption``: the meter's
  5-minute energies, summed per hour;
* ``<eid>_battery_charge``, ``_battery_discharge``, ``_battery_import``, ``_battery_export``:
  each battery (storage ECU), from its hourly list (the closing's, completed the next
  morning: a battery works on after sunset).

A 5-minute sample labelled ``HH:mm`` holds the energy of the five minutes ending then; it
counts toward hour ``HH`` (see :func:`history.by_hour`).
"""

__all__ = [
    "METER_SERIES",
    "PRODUCTION",
    "async_import_changed",
    "async_import_series",
    "by_hour",
    "ecu_series",
    "meter_series",
    "statistic_id",
]

from collections.abc import Callable
from datetime import date, datetime, timedelta
import re

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    statistics_during_period,
)
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
from sqlalchemy.exc import SQLAlchemyError

from .const import DOMAIN, LOGGER
from .history import by_hour, day_start, rows_from
from .records import METER_SERIES, PRODUCTION, HourlyRecords, ecu_series, meter_series
from .state import SiteState, zone_of

# How far back the recorder is asked for a statistic's sum before its first stored day: the
# history backfill keeps the stored days contiguous, so a row is found within days.
LOOKBACK = timedelta(days=400)

NAMES = {
    PRODUCTION: "solar production",
    "production": "ECU {} production",
    "grid_import": "meter {} grid import",
    "grid_export": "meter {} grid export",
    "consumption": "meter {} consumption",
    "battery_charge": "battery {} charge",
    "battery_discharge": "battery {} discharge",
    "battery_import": "battery {} grid import",
    "battery_export": "battery {} grid export",
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", text.lower())


def statistic_id(sid: str, series: str = PRODUCTION) -> str:
    """``apsystems_ema:<sid>_<series>`` (lower case, as statistic ids must be)."""
    return f"{DOMAIN}:{_slug(sid)}_{_slug(series)}"


def series_name(sid: str, series: str) -> str:
    """A readable name for the statistic picker."""
    if series == PRODUCTION:
        return f"APsystems {sid} {NAMES[PRODUCTION]}"
    device, _, what = series.partition("_")
    return f"APsystems {NAMES.get(what, what).format(device)}"


def _sum_before(hass: HomeAssistant, stat_id: str, start: datetime) -> float:
    """The statistic's sum at its last row before ``start`` (0 without one)."""
    result = statistics_during_period(
        hass, start - LOOKBACK, start, {stat_id}, "hour", None, {"sum"}
    )
    found = result.get(stat_id, [])
    return float(found[-1].get("sum") or 0.0) if found else 0.0


async def async_sum_before(hass: HomeAssistant, stat_id: str, start: datetime) -> float:
    """The recorder's sum of a statistic before ``start`` (0 without a row, or when the
    recorder cannot be read now)."""
    try:
        return await get_instance(hass).async_add_executor_job(_sum_before, hass, stat_id, start)
    except SQLAlchemyError as err:
        LOGGER.debug("Cannot read the sum of %s before %s: %s", stat_id, start, err)
        return 0.0


@callback
def async_import_series(
    hass: HomeAssistant,
    sid: str,
    timezone: str,
    series: str,
    days: dict[date, list[float]],
    changed: date,
    base: float,
) -> int:
    """Send a series' rows from ``changed`` on (upserts: safe to repeat), their sums
    continuing ``base`` (the sum before the first stored day); returns the count."""
    zone = zone_of(timezone)
    stat_id = statistic_id(sid, series)
    metadata = StatisticMetaData(
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        name=series_name(sid, series),
        source=DOMAIN,
        statistic_id=stat_id,
        unit_class="energy",
        unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    )
    data = [
        StatisticData(start=row.start, state=row.energy, sum=row.total)
        for row in rows_from(days, zone, changed, base)
    ]
    if data:
        async_add_external_statistics(hass, metadata, data)
    return len(data)


async def async_import_changed(
    hass: HomeAssistant,
    site: SiteState,
    records: HourlyRecords,
    *,
    enabled: bool,
    save: Callable[[], None],
) -> None:
    """Send each changed series once, from its oldest changed day on (sums shift). With
    the import off (``enabled`` false), changes wait (persisted) until it is turned on.
    ``save`` is asked for when past days or the system's hours changed (a device's hours of
    today are fetched again anyway)."""
    today = site.local_day(dt_util.utcnow())
    if any(series == PRODUCTION or day < today for series, day in records.changed.items()):
        save()
    if not enabled or not records.changed:
        return
    for series, day in records.take_changed().items():
        days = records.days(series)
        base = records.base(series)
        if base is None and days:
            # Recovering from lost files: continue the recorder's sum, never restart at 0.
            start = day_start(min(days), zone_of(site.timezone))
            base = await async_sum_before(hass, statistic_id(site.sid, series), start)
            records.set_base(series, base)
        async_import_series(hass, site.sid, site.timezone, series, days, day, base or 0.0)
