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


def _sums_before(hass: HomeAssistant, starts: dict[str, datetime]) -> dict[str, float]:
    """Each statistic's sum at its last row before its start (0 without one), in one
    query."""
    result = statistics_during_period(
        hass,
        min(starts.values()) - LOOKBACK,
        max(starts.values()),
        set(starts),
        "hour",
        None,
        {"sum"},
    )
    sums: dict[str, float] = {}
    for stat_id, start in starts.items():
        before = [row for row in result.get(stat_id, []) if row["start"] < start.timestamp()]
        sums[stat_id] = float(before[-1].get("sum") or 0.0) if before else 0.0
    return sums


async def async_sums_before(
    hass: HomeAssistant, starts: dict[str, datetime]
) -> dict[str, float] | None:
    """The recorder's sum of each statistic before its start (0 without a row); None
    when the recorder cannot be read now. What the recorder still holds (rows imported
    just before, its open session) is committed first, so the read sees it."""
    recorder = get_instance(hass)
    if commit := recorder.async_get_commit_future():
        await commit
    try:
        return await recorder.async_add_executor_job(_sums_before, hass, starts)
    except SQLAlchemyError as err:
        LOGGER.debug("Cannot read the statistics' sums before %s: %s", starts, err)
        return None


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
    changed = records.take_changed()
    zone = zone_of(site.timezone)
    # Recovering from lost files: continue the recorder's sums, never restart at 0.
    starts = {
        statistic_id(site.sid, series): day_start(min(days), zone)
        for series in changed
        if records.base(series) is None and (days := records.days(series))
    }
    sums = await async_sums_before(hass, starts) if starts else {}
    for series, day in changed.items():
        stat_id = statistic_id(site.sid, series)
        if stat_id in starts:
            if sums is None:  # unreadable now: the series waits for the next import
                records.changed[series] = min(day, records.changed.get(series, day))
                continue
            records.set_base(series, sums[stat_id])
        base = records.base(series) or 0.0
        async_import_series(hass, site.sid, site.timezone, series, records.days(series), day, base)
