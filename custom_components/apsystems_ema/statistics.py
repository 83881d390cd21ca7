"""External statistics: the system's exact hourly production, for the Energy dashboard."""

from datetime import date
import re

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import async_add_external_statistics
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant, callback

from .const import DOMAIN
from .history import rows_from
from .state import zone_of


def statistic_id(sid: str, what: str = "solar_production") -> str:
    """``apsystems_ema:<sid>_solar_production`` (lower case, as statistic ids must be)."""
    return f"{DOMAIN}:{re.sub(r'[^a-z0-9_]', '_', sid.lower())}_{what}"


@callback
def async_import_production(
    hass: HomeAssistant,
    sid: str,
    timezone: str,
    history: dict[date, list[float]],
    changed: date,
) -> int:
    """Send the hourly rows from ``changed`` on (upserts: safe to repeat); returns the count."""
    metadata = StatisticMetaData(
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        name=f"APsystems {sid} solar production",
        source=DOMAIN,
        statistic_id=statistic_id(sid),
        unit_class="energy",
        unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    )
    data = [
        StatisticData(start=row.start, state=row.energy, sum=row.total)
        for row in rows_from(history, zone_of(timezone), changed)
    ]
    if data:
        async_add_external_statistics(hass, metadata, data)
    return len(data)
