"""APsystems EMA (OpenAPI) integration for Home Assistant.

The Home Assistant glue over two pure parts: ``openapi`` (the signed API client) and
``planner`` (which calls to make, within the monthly quota).
"""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.device_registry import DeviceEntry

from .callbook import async_forget, async_remove as async_remove_book
from .const import CONF_APP_ID, CONF_APP_SECRET, CONF_BASE_URL, CONF_SID, DOMAIN
from .coordinator import APsystemsConfigEntry, APsystemsCoordinator
from .openapi import (
    DEFAULT_BASE_URL,
    APsystemsAuthError,
    APsystemsClient,
    APsystemsClockError,
    APsystemsError,
    APsystemsRequestError,
)
from .panel_issues import remove_issues
from .storage import EntryFiles

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.SENSOR]

__all__ = ["APsystemsConfigEntry", "is_auth_error"]


def is_auth_error(err: APsystemsError) -> bool:
    """Whether the API refused the credentials.

    A wrong App Secret yields a bad signature, which the API answers with code 4000 (a
    host clock that is off gets 4000 too: that is no credentials problem).
    """
    return isinstance(err, APsystemsAuthError) or (
        isinstance(err, APsystemsRequestError)
        and err.code == 4000
        and not isinstance(err, APsystemsClockError)
    )


async def async_setup_entry(hass: HomeAssistant, entry: APsystemsConfigEntry) -> bool:
    """Set up a system: restore its state and let the planner decide what to fetch."""
    client = APsystemsClient(
        entry.data[CONF_APP_ID],
        entry.data[CONF_APP_SECRET],
        entry.data[CONF_SID],
        session=async_get_clientsession(hass),
        base_url=entry.data.get(CONF_BASE_URL, DEFAULT_BASE_URL),
    )
    coordinator = APsystemsCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: APsystemsConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: APsystemsConfigEntry) -> None:
    """The entry is deleted: delete its state and history files too (imported statistics
    stay in the recorder, like any sensor's history), and the App ID's call book with the
    App ID's last entry."""
    await EntryFiles(hass, entry.entry_id).async_remove()
    remove_issues(hass, entry.entry_id)
    app_id = entry.data[CONF_APP_ID]
    others = hass.config_entries.async_entries(DOMAIN)
    if any(e.data.get(CONF_APP_ID) == app_id for e in others if e.entry_id != entry.entry_id):
        await async_forget(hass, app_id, entry.entry_id)  # its share goes to the others
    else:
        await async_remove_book(hass, app_id)  # the App ID's call book goes with its last entry


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: APsystemsConfigEntry, device: DeviceEntry
) -> bool:
    """Allow deleting a device only when the API no longer reports it."""
    current = entry.runtime_data.site.device_ids()
    return not any(domain == DOMAIN and ident in current for domain, ident in device.identifiers)
