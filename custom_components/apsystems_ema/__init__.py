"""APsystems EMA (OpenAPI) integration for Home Assistant.

The Home Assistant glue (config flow, coordinator, entity platforms) lands on top of the
pure parts: ``openapi`` (the signed API client) and ``planner`` (the call budget planner).
"""

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import CONF_APP_ID, CONF_APP_SECRET, CONF_BASE_URL, CONF_SID
from .openapi import (
    DEFAULT_BASE_URL,
    APsystemsAuthError,
    APsystemsClient,
    APsystemsError,
    APsystemsRequestError,
    SystemDetails,
)

PLATFORMS: list[Platform] = []


@dataclass(slots=True)
class APsystemsRuntimeData:
    """What a loaded entry holds: the API client and the system's details."""

    client: APsystemsClient
    details: SystemDetails


type APsystemsConfigEntry = ConfigEntry[APsystemsRuntimeData]


def is_auth_error(err: APsystemsError) -> bool:
    """Whether the API refused the credentials.

    A wrong App Secret yields a bad signature, which the API answers with code 4000.
    """
    return isinstance(err, APsystemsAuthError) or (
        isinstance(err, APsystemsRequestError) and err.code == 4000
    )


async def async_setup_entry(hass: HomeAssistant, entry: APsystemsConfigEntry) -> bool:
    """Set up a system from a config entry."""
    client = APsystemsClient(
        entry.data[CONF_APP_ID],
        entry.data[CONF_APP_SECRET],
        entry.data[CONF_SID],
        session=async_get_clientsession(hass),
        base_url=entry.data.get(CONF_BASE_URL, DEFAULT_BASE_URL),
    )
    try:
        details = await client.get_system_details()
    except APsystemsError as err:
        if is_auth_error(err):
            raise ConfigEntryAuthFailed(f"Credentials refused: {err}") from err
        raise ConfigEntryNotReady(f"Cannot reach the APsystems OpenAPI: {err}") from err

    entry.runtime_data = APsystemsRuntimeData(client=client, details=details)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: APsystemsConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
