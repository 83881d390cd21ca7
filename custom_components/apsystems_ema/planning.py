"""The entry's options and site turned into its planner (pure planner, Home Assistant
inputs: the options, the home's location, the App ID's call book)."""

from datetime import timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .callbook import SharedBook
from .const import (
    CONF_AUTOMATIC_INTERVAL,
    CONF_DETAIL_TELEMETRY,
    CONF_FIXED_INTERVAL,
    CONF_IMPORT_STATISTICS,
    CONF_MONTHLY_QUOTA,
    CONF_SUNRISE_OFFSET,
    CONF_SUNSET_OFFSET,
    DEFAULT_OPTIONS,
)
from .planner import DetailMode, PlannedCall, Planner, PlannerConfig, SiteGeometry
from .records import HourlyRecords
from .state import SiteState


def option(entry: ConfigEntry[Any], key: str) -> Any:
    """An option, or its default."""
    return entry.options.get(key, DEFAULT_OPTIONS[key])


def build_planner(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    site: SiteState,
    records: HourlyRecords,
    shared: SharedBook | None,
) -> Planner:
    """The planner for the entry's options and the site as it is known now. The entry's
    share of the App ID's quota follows what one of its polls costs (every system of the
    App ID then polls at the same rate)."""
    fixed = None
    if not option(entry, CONF_AUTOMATIC_INTERVAL):
        fixed = timedelta(minutes=int(option(entry, CONF_FIXED_INTERVAL)))
    config = PlannerConfig(
        quota=int(option(entry, CONF_MONTHLY_QUOTA)),
        entry=entry.entry_id,
        sunrise_offset_minutes=int(option(entry, CONF_SUNRISE_OFFSET)),
        sunset_offset_minutes=int(option(entry, CONF_SUNSET_OFFSET)),
        interval=fixed,
        detail=DetailMode(option(entry, CONF_DETAIL_TELEMETRY)),
    )
    geometry = SiteGeometry(
        latitude=hass.config.latitude,
        longitude=hass.config.longitude,
        timezone=site.timezone,
        ecus=tuple(site.producing),
        inverters=tuple(site.listed_inverters),
        meters=tuple(site.listed_meters),
        storage=tuple(site.listed_storage),
    )
    planner = Planner(config, geometry)
    planner.backfill = backfill_queue(entry, site, records)
    if shared is not None and geometry.ecus:
        shared.book.weights[entry.entry_id] = max(planner.mean_cost(), 1.0)
    return planner


def backfill_queue(
    entry: ConfigEntry[Any], site: SiteState, records: HourlyRecords
) -> tuple[PlannedCall, ...]:
    """The history still missing (nothing when statistics are not imported)."""
    if not option(entry, CONF_IMPORT_STATISTICS) or not site.ecus:
        return ()
    return records.backfill(
        today=site.local_day(dt_util.utcnow()),
        created=site.create_date,
        producing=list(site.producing),
        meters=site.listed_meters,
        storage=site.listed_storage,
    )
