"""Constants of the APsystems EMA (OpenAPI) integration."""

from enum import StrEnum
import logging
from typing import Final

DOMAIN: Final = "apsystems_ema"
MANUFACTURER: Final = "APsystems"

LOGGER = logging.getLogger(__package__)

# hass.data key: the config flow hands the system details it validated with to the
# coordinator, so setting the entry up does not spend that call again.
DETAILS_HANDOFF: Final = f"{DOMAIN}_details"
# ... and the raw answer they came in (visitor code removed), for the diagnostics' answers.
ANSWERS_HANDOFF: Final = f"{DOMAIN}_answers"

# Config entry data.
CONF_APP_ID: Final = "app_id"
CONF_APP_SECRET: Final = "app_secret"  # noqa: S105 - a key name, not a secret
CONF_SID: Final = "sid"
CONF_BASE_URL: Final = "base_url"

# Options.
CONF_MONTHLY_QUOTA: Final = "monthly_quota"
CONF_AUTOMATIC_INTERVAL: Final = "automatic_interval"
CONF_FIXED_INTERVAL: Final = "fixed_interval"
CONF_SUNRISE_OFFSET: Final = "sunrise_offset"
CONF_SUNSET_OFFSET: Final = "sunset_offset"
CONF_DETAIL_TELEMETRY: Final = "detail_telemetry"
CONF_IMPORT_STATISTICS: Final = "import_statistics"
CONF_FOLLOW_SUN: Final = "follow_sun"
CONF_UNDERPERFORMING: Final = "underperforming_threshold"


class DetailTelemetry(StrEnum):
    """How per-device (ECU, inverter, meter) telemetry is fetched."""

    OFF = "off"
    ROTATE = "rotate"


# The account's monthly call limit (calls / month).
DEFAULT_MONTHLY_QUOTA: Final = 1000
MIN_MONTHLY_QUOTA: Final = 100
MAX_MONTHLY_QUOTA: Final = 100_000

DEFAULT_AUTOMATIC_INTERVAL: Final = True

# Polling interval when not automatic (minutes).
DEFAULT_FIXED_INTERVAL: Final = 30
MIN_FIXED_INTERVAL: Final = 5
MAX_FIXED_INTERVAL: Final = 240

# Shift of the daylight window's start / end (minutes; negative = earlier).
DEFAULT_SUNRISE_OFFSET: Final = 0
DEFAULT_SUNSET_OFFSET: Final = 0
MIN_SUN_OFFSET: Final = -120
MAX_SUN_OFFSET: Final = 120

DEFAULT_DETAIL_TELEMETRY: Final = DetailTelemetry.ROTATE
DEFAULT_IMPORT_STATISTICS: Final = True
# The system's power follows the sun between polls (see planner.freshness.follow_sun).
DEFAULT_FOLLOW_SUN: Final = True
# Panel health: a day's relative yield below this (%) is low (see health/judge.py).
DEFAULT_UNDERPERFORMING: Final = 85
MIN_UNDERPERFORMING: Final = 50
MAX_UNDERPERFORMING: Final = 99

DEFAULT_OPTIONS: Final[dict[str, bool | int | str]] = {
    CONF_MONTHLY_QUOTA: DEFAULT_MONTHLY_QUOTA,
    CONF_AUTOMATIC_INTERVAL: DEFAULT_AUTOMATIC_INTERVAL,
    CONF_FIXED_INTERVAL: DEFAULT_FIXED_INTERVAL,
    CONF_SUNRISE_OFFSET: DEFAULT_SUNRISE_OFFSET,
    CONF_SUNSET_OFFSET: DEFAULT_SUNSET_OFFSET,
    CONF_DETAIL_TELEMETRY: DEFAULT_DETAIL_TELEMETRY.value,
    CONF_IMPORT_STATISTICS: DEFAULT_IMPORT_STATISTICS,
    CONF_FOLLOW_SUN: DEFAULT_FOLLOW_SUN,
    CONF_UNDERPERFORMING: DEFAULT_UNDERPERFORMING,
}
