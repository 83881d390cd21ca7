"""Binary sensors: the system's status light as a problem, and whether each ECU and each
inverter reports. None of them costs a call: they read the details and curves the polls
fetch anyway (the decisions are pure: :mod:`.planner.freshness`)."""

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import APsystemsConfigEntry, APsystemsCoordinator
from .entity import (
    APsystemsEntity,
    EcuEntity,
    InverterEntity,
    NewDevices,
    SystemEntity,
    add_as_devices_come,
)
from .openapi import StatusLight
from .panels import health_binary_sensors
from .planner.freshness import ecu_reporting, inverter_reporting
from .state import EcuState, InverterState

PARALLEL_UPDATES = 0

# The status lights that say something is wrong (NO_DATA says nothing either way).
PROBLEM_LIGHTS = {StatusLight.ALARM: True, StatusLight.ECU_OFFLINE: True, StatusLight.NORMAL: False}


@dataclass(frozen=True, kw_only=True)
class APsystemsBinarySensorDescription[S](BinarySensorEntityDescription):
    """A binary sensor and how to decide it from the coordinator, the state ``S`` of its
    device and its previous value (None: unknown)."""

    value_fn: Callable[[APsystemsCoordinator, S, bool | None], bool | None]


def _problem(coordinator: APsystemsCoordinator, _: object, __: bool | None) -> bool | None:
    light = coordinator.site.light
    return None if light is None else PROBLEM_LIGHTS.get(light)


def _ecu_reporting(
    coordinator: APsystemsCoordinator, ecu: EcuState, previous: bool | None
) -> bool | None:
    fetched = coordinator.planner_state.curves.get(ecu.eid)
    return ecu_reporting(ecu.last_report, fetched, coordinator.planner.daylight, previous)


def _inverter_reporting(
    coordinator: APsystemsCoordinator, inverter: InverterState, _: bool | None
) -> bool | None:
    ecu = coordinator.site.ecus.get(inverter.eid)
    return inverter_reporting(inverter.last_report, None if ecu is None else ecu.last_report)


SYSTEM_BINARY_SENSORS: tuple[APsystemsBinarySensorDescription[APsystemsCoordinator], ...] = (
    # EMA's status light (read with the details once a day): on for an alarm or an ECU
    # offline.
    APsystemsBinarySensorDescription(
        key="status_problem",
        translation_key="status_problem",
        device_class=BinarySensorDeviceClass.PROBLEM,
        value_fn=_problem,
    ),
)


def _reporting[S](
    value_fn: Callable[[APsystemsCoordinator, S, bool | None], bool | None],
) -> APsystemsBinarySensorDescription[S]:
    """Whether a device reports (an ECU, an inverter): connectivity, diagnostic."""
    return APsystemsBinarySensorDescription(
        key="reporting",
        translation_key="reporting",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=value_fn,
    )


ECU_BINARY_SENSORS: tuple[APsystemsBinarySensorDescription[EcuState], ...] = (
    _reporting(_ecu_reporting),
)

INVERTER_BINARY_SENSORS: tuple[APsystemsBinarySensorDescription[InverterState], ...] = (
    _reporting(_inverter_reporting),
)


class APsystemsBinarySensor[S](APsystemsEntity, BinarySensorEntity):
    """A binary sensor deciding from the state ``S`` of its device, decided anew with each
    update of the coordinator (see the per-device classes)."""

    entity_description: APsystemsBinarySensorDescription[S]

    def device_state(self) -> S | None:
        """The device's state (None once the device left the site)."""
        raise NotImplementedError

    def _decide(self) -> None:
        state = self.device_state()
        self._attr_is_on = (
            None
            if state is None
            else self.entity_description.value_fn(self.coordinator, state, self._attr_is_on)
        )

    async def async_added_to_hass(self) -> None:
        """Decide from the state as it is now."""
        await super().async_added_to_hass()
        self._decide()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Decide again, then write the state."""
        self._decide()
        super()._handle_coordinator_update()


class SystemBinarySensor(SystemEntity, APsystemsBinarySensor[APsystemsCoordinator]):
    """A binary sensor of the system."""

    entity_description: APsystemsBinarySensorDescription[APsystemsCoordinator]


class EcuBinarySensor(EcuEntity, APsystemsBinarySensor[EcuState]):
    """A binary sensor of a producing ECU."""

    entity_description: APsystemsBinarySensorDescription[EcuState]


class InverterBinarySensor(InverterEntity, APsystemsBinarySensor[InverterState]):
    """A binary sensor of an inverter."""

    entity_description: APsystemsBinarySensorDescription[InverterState]


def new_binary_sensors(
    coordinator: APsystemsCoordinator, known: NewDevices
) -> list[BinarySensorEntity]:
    """Binary sensors of the devices ``known`` has not seen yet."""
    new = known.arrivals(coordinator.site)
    entities: list[BinarySensorEntity] = []
    if new.system:
        entities += [SystemBinarySensor(coordinator, d) for d in SYSTEM_BINARY_SENSORS]
    for eid in new.ecus:
        entities += [EcuBinarySensor(coordinator, d, eid) for d in ECU_BINARY_SENSORS]
    for uid in new.inverters:
        entities += [InverterBinarySensor(coordinator, d, uid) for d in INVERTER_BINARY_SENSORS]
    entities += health_binary_sensors(coordinator, new)
    return entities


async def async_setup_entry(
    hass: HomeAssistant,
    entry: APsystemsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add binary sensors now, and for new devices as they appear (no reload)."""
    add_as_devices_come(entry, async_add_entities, new_binary_sensors)
