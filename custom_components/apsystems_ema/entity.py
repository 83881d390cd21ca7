"""Base entity and device info for the system, ECUs, inverters and meters."""

from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, MANUFACTURER
from .coordinator import APsystemsCoordinator


def registered_id(coordinator: APsystemsCoordinator, info: DeviceInfo) -> str:
    """The registry id of a parent device (registering it first if needed)."""
    device = dr.async_get(coordinator.hass).async_get_or_create(
        config_entry_id=coordinator.config_entry.entry_id, **info
    )
    return device.id


def system_device(coordinator: APsystemsCoordinator) -> DeviceInfo:
    """The system (SID): a device like its ECUs (``entry_type`` None also turns the service
    device of earlier versions into a device; its id and entities stay)."""
    sid = coordinator.site.sid
    return DeviceInfo(
        identifiers={(DOMAIN, sid)},
        entry_type=None,
        manufacturer=MANUFACTURER,
        model="EMA system",
        name=f"APsystems {sid}",
        configuration_url="https://www.apsystemsema.com/",
    )


def ecu_device(coordinator: APsystemsCoordinator, eid: str) -> DeviceInfo:
    """An ECU, under the system."""
    ecu = coordinator.site.ecus.get(eid)
    return DeviceInfo(
        identifiers={(DOMAIN, eid)},
        manufacturer=MANUFACTURER,
        model="ECU with meter" if ecu is not None and ecu.has_meter else "ECU",
        name=f"ECU {eid}",
        serial_number=eid,
        via_device_id=registered_id(coordinator, system_device(coordinator)),
    )


def inverter_device(coordinator: APsystemsCoordinator, uid: str) -> DeviceInfo:
    """A micro-inverter, under its ECU."""
    inv = coordinator.site.inverters[uid]
    return DeviceInfo(
        identifiers={(DOMAIN, uid)},
        manufacturer=MANUFACTURER,
        model=inv.model,
        name=f"Inverter {uid}",
        serial_number=uid,
        via_device_id=registered_id(coordinator, ecu_device(coordinator, inv.eid)),
    )


def meter_device(coordinator: APsystemsCoordinator, eid: str) -> DeviceInfo:
    """A meter ECU, under the system."""
    return DeviceInfo(
        identifiers={(DOMAIN, f"meter_{eid}")},
        manufacturer=MANUFACTURER,
        model="Meter",
        name=f"Meter {eid}",
        serial_number=eid,
        via_device_id=registered_id(coordinator, system_device(coordinator)),
    )


class APsystemsEntity(CoordinatorEntity[APsystemsCoordinator]):
    """An entity of this integration: named by translation, unique id from the SID."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: APsystemsCoordinator, key: str, device_info: DeviceInfo
    ) -> None:
        """Set the unique id ``{sid}_{key}`` and the device."""
        super().__init__(coordinator)
        self._attr_unique_id = f"{coordinator.site.sid}_{key}"
        self._attr_device_info = device_info
