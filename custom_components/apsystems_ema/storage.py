"""The entry's files under ``.storage``: the site state with the planner's memory, the
hourly history behind the statistics, the last raw answer of each endpoint kind (for
diagnostics) and what panel health learned. Unreadable files start that part afresh."""

from collections.abc import Callable
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store

from . import codec
from .const import DOMAIN, LOGGER
from .health import Health, health_from
from .openapi.answers import LastAnswers
from .planner import PlannerState
from .records import HourlyRecords
from .state import SiteState

STORE_VERSION = 1
SAVE_DELAY = 10  # seconds
HISTORY_SAVE_DELAY = 60  # seconds; only past days' changes are worth writing
ANSWERS_SAVE_DELAY = 60  # seconds; diagnostics' raw answers
HEALTH_SAVE_DELAY = 60  # seconds; panel health changes with the polls and the closing

type Payload = Callable[[], dict[str, Any]]


class VersionedStore(Store[dict[str, Any]]):
    """A Store whose older files are brought to today's shape by ``migrate`` (Home
    Assistant calls it when the stored version differs; the migrated file is written)."""

    def __init__(
        self,
        hass: HomeAssistant,
        key: str,
        minor_version: int,
        migrate: Callable[[int, int, Any], Any],
    ) -> None:
        """A file under ``.storage`` with its migration."""
        super().__init__(hass, STORE_VERSION, key, minor_version=minor_version)
        self._migrate = migrate

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: Any
    ) -> dict[str, Any]:
        migrated: dict[str, Any] = self._migrate(old_major_version, old_minor_version, old_data)
        return migrated


async def _async_read(store: Store[dict[str, Any]], what: str) -> dict[str, Any] | None:
    """A file's data; a file that cannot be read or migrated counts as unreadable (None,
    after one warning), never as an error for Home Assistant."""
    try:
        data = await store.async_load()
    except (HomeAssistantError, ValueError, TypeError, KeyError, AttributeError) as err:
        LOGGER.warning("Ignoring an unreadable stored %s (%s); starting afresh", what, err)
        return None
    return data


class EntryFiles:
    """The files of one config entry."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Name the entry's files (nothing is read yet)."""
        self.state = VersionedStore(
            hass, f"{DOMAIN}.{entry_id}", codec.STATE_MINOR, codec.migrate_state
        )
        self.history = VersionedStore(
            hass, f"{DOMAIN}.{entry_id}.history", codec.HISTORY_MINOR, codec.migrate_history
        )
        self.answers: Store[dict[str, Any]] = Store(
            hass, STORE_VERSION, f"{DOMAIN}.{entry_id}.answers"
        )
        self.health = VersionedStore(
            hass, f"{DOMAIN}.{entry_id}.health", codec.HEALTH_MINOR, codec.migrate_health
        )
        self.found = False  # the state file was there when loaded

    async def async_load_state(self, sid: str) -> tuple[SiteState, PlannerState]:
        """The stored site state and planner memory; an unreadable part starts afresh (and
        says so once): the planner's memory alone, or the site with its planner's memory.
        ``found`` tells whether the file was there."""
        stored = await _async_read(self.state, "state file")
        self.found = stored is not None
        site, planner = SiteState(sid), PlannerState()
        if not stored:
            return site, planner
        try:
            site = SiteState.from_dict(stored["site"])
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            # The planner's memory is of that site (what it asked, closed, refused): it goes
            # with it, and the site is read again from the API.
            LOGGER.warning("Ignoring unreadable stored state (%s); starting afresh", err)
            return site, planner
        try:
            planner = PlannerState.from_dict(stored["planner"])
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            LOGGER.warning("Ignoring unreadable stored planner state (%s); starting afresh", err)
        return site, planner

    async def async_load_records(self) -> HourlyRecords | None:
        """The stored hourly history; None when there is none or it is unreadable."""
        stored = await _async_read(self.history, "history file")
        if stored:
            try:
                return HourlyRecords.from_dict(stored)
            except ValueError as err:
                LOGGER.warning("Ignoring unreadable stored history (%s)", err)
        return None

    async def async_load_answers(self, answers: LastAnswers) -> None:
        """Put the stored raw answers into ``answers`` (none when there are none, or they are
        unreadable)."""
        stored = await _async_read(self.answers, "answers file")
        if stored:
            try:
                answers.restore(stored)
            except ValueError as err:
                LOGGER.warning("Ignoring unreadable stored answers (%s)", err)

    async def async_load_health(self, threshold: float) -> Health:
        """What panel health learned (nothing when there is no file or it is unreadable)."""
        stored = await _async_read(self.health, "health file")
        if stored:
            try:
                return health_from(stored, threshold)
            except (KeyError, TypeError, ValueError, AttributeError) as err:
                LOGGER.warning("Ignoring unreadable stored panel health (%s)", err)
        return Health(threshold)

    def save_health_later(self, payload: Payload) -> None:
        """Write what panel health learned a minute from now."""
        self.health.async_delay_save(payload, HEALTH_SAVE_DELAY)

    async def async_save_health(self, payload: dict[str, Any]) -> None:
        """Write what panel health learned now."""
        await self.health.async_save(payload)

    def save_state_later(self, payload: Payload) -> None:
        """Write the state a few seconds from now (later changes join the same write)."""
        self.state.async_delay_save(payload, SAVE_DELAY)

    def save_history_later(self, payload: Payload) -> None:
        """Write the history a minute from now."""
        self.history.async_delay_save(payload, HISTORY_SAVE_DELAY)

    async def async_save_state(self, payload: dict[str, Any]) -> None:
        """Write the state now."""
        await self.state.async_save(payload)

    async def async_save_history(self, payload: dict[str, Any]) -> None:
        """Write the history now."""
        await self.history.async_save(payload)

    def save_answers_later(self, payload: Payload) -> None:
        """Write the raw answers a minute from now."""
        self.answers.async_delay_save(payload, ANSWERS_SAVE_DELAY)

    async def async_save_answers(self, payload: dict[str, Any]) -> None:
        """Write the raw answers now."""
        await self.answers.async_save(payload)

    async def async_remove(self) -> None:
        """Delete the files (the entry is deleted)."""
        await self.state.async_remove()
        await self.history.async_remove()
        await self.answers.async_remove()
        await self.health.async_remove()
