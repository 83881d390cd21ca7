"""Buttons: refresh now (within the budget reserve) and rescan devices."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import APsystemsConfigEntry, APsystemsCoordinator
from .entity import APsystemsEntity, system_device

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class APsystemsButtonDescription(ButtonEntityDescription):
    """A button and what it asks of the coordinator."""

    press_fn: Callable[[APsystemsCoordinator], Awaitable[None]]


BUTTONS: tuple[APsystemsButtonDescription, ...] = (
    APsystemsButtonDescription(
        key="refresh",
        translation_key="refresh",
        press_fn=lambda c: c.async_refresh_now(),
    ),
    APsystemsButtonDescription(
        key="rescan",
        translation_key="rescan",
        entity_category=EntityCategory.CONFIG,
        press_fn=lambda c: c.async_rescan(),
    ),
)


class APsystemsButton(APsystemsEntity, ButtonEntity):
    """A button on the system device."""

    entity_description: APsystemsButtonDescription

    def __init__(
        self, coordinator: APsystemsCoordinator, description: APsystemsButtonDescription
    ) -> None:
        """Bind a description to the system device."""
        super().__init__(coordinator, description.key, system_device(coordinator))
        self.entity_description = description

    async def async_press(self) -> None:
        """Run the action; refused presses raise a translated error."""
        await self.entity_description.press_fn(self.coordinator)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: APsystemsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the system's buttons."""
    async_add_entities(APsystemsButton(entry.runtime_data, d) for d in BUTTONS)
