"""Base entities and device info of the system, its ECUs, inverters, meters and batteries.

One entity class per device type reads that device's state from the coordinator's site
(``device_state``, None once the device left the site); the platforms add what an entity
shows. :class:`NewDevices` tells the platforms which devices (and inverter channels) came.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, MANUFACTURER
from .coordinator import APsystemsConfigEntry, APsystemsCoordinator
from .state import ChannelState, EcuState, InverterState, MeterState, SiteState, StorageState


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


def battery_device(coordinator: APsystemsCoordinator, eid: str) -> DeviceInfo:
    """The battery of a storage ECU, under the system."""
    storage = coordinator.site.storage.get(eid)
    return DeviceInfo(
        identifiers={(DOMAIN, f"battery_{eid}")},
        manufacturer=MANUFACTURER,
        model=(storage.model if storage is not None else None) or "Battery",
        name=f"Battery {eid}",
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


class SystemEntity(APsystemsEntity):
    """An entity of the system; its state is the coordinator (the site, the call book)."""

    def __init__(self, coordinator: APsystemsCoordinator, description: EntityDescription) -> None:
        """Unique id ``{sid}_{key}``."""
        super().__init__(coordinator, description.key, system_device(coordinator))
        self.entity_description = description

    def device_state(self) -> APsystemsCoordinator:
        """The coordinator."""
        return self.coordinator


class EcuEntity(APsystemsEntity):
    """An entity of a producing ECU."""

    def __init__(
        self, coordinator: APsystemsCoordinator, description: EntityDescription, eid: str
    ) -> None:
        """Unique id ``{sid}_ecu_{eid}_{key}``."""
        super().__init__(coordinator, f"ecu_{eid}_{description.key}", ecu_device(coordinator, eid))
        self.entity_description = description
        self.eid = eid

    def device_state(self) -> EcuState | None:
        """The ECU's state (None once it left the site)."""
        return self.coordinator.site.ecus.get(self.eid)


class InverterEntity(APsystemsEntity):
    """An entity of a micro-inverter as a whole."""

    def __init__(
        self, coordinator: APsystemsCoordinator, description: EntityDescription, uid: str
    ) -> None:
        """Unique id ``{sid}_{uid}_{key}``."""
        super().__init__(coordinator, f"{uid}_{description.key}", inverter_device(coordinator, uid))
        self.entity_description = description
        self.uid = uid

    def device_state(self) -> InverterState | None:
        """The inverter's state (None once it left the site)."""
        return self.coordinator.site.inverters.get(self.uid)


@dataclass(frozen=True, slots=True)
class Channel:
    """One channel (DC input) of an inverter, with the inverter it belongs to."""

    inverter: InverterState
    number: int

    @property
    def state(self) -> ChannelState | None:
        """The channel's power and energy (None before the inverter's first curve)."""
        return self.inverter.channels.get(self.number)

    @property
    def power_w(self) -> float | None:
        """The channel's power of the inverter's newest sample."""
        return None if self.state is None else self.state.power_w

    @property
    def today_kwh(self) -> float | None:
        """The channel's energy of the inverter's energy day."""
        return None if self.state is None else self.state.today_kwh

    @property
    def dc_voltage(self) -> float | None:
        """The channel's DC voltage of the newest detail telemetry."""
        detail = self.inverter.detail
        return None if detail is None else detail.dc_voltage.get(self.number)

    @property
    def dc_current(self) -> float | None:
        """The channel's DC current of the newest detail telemetry."""
        detail = self.inverter.detail
        return None if detail is None else detail.dc_current.get(self.number)


class ChannelEntity(APsystemsEntity):
    """An entity of one inverter channel, on the inverter's device (its name carries the
    channel number)."""

    def __init__(
        self,
        coordinator: APsystemsCoordinator,
        description: EntityDescription,
        uid: str,
        number: int,
    ) -> None:
        """Unique id ``{sid}_{uid}_ch{number}_{key}``."""
        super().__init__(
            coordinator, f"{uid}_ch{number}_{description.key}", inverter_device(coordinator, uid)
        )
        self.entity_description = description
        self.uid, self.number = uid, number
        self._attr_translation_placeholders = {"channel": str(number)}

    def device_state(self) -> Channel | None:
        """The channel with its inverter (None once the inverter left the site)."""
        inv = self.coordinator.site.inverters.get(self.uid)
        return None if inv is None else Channel(inv, self.number)


class MeterEntity(APsystemsEntity):
    """An entity of a meter ECU."""

    def __init__(
        self, coordinator: APsystemsCoordinator, description: EntityDescription, eid: str
    ) -> None:
        """Unique id ``{sid}_meter_{eid}_{key}``."""
        super().__init__(
            coordinator, f"meter_{eid}_{description.key}", meter_device(coordinator, eid)
        )
        self.entity_description = description
        self.eid = eid

    def device_state(self) -> MeterState | None:
        """The meter's state (None once it left the site)."""
        return self.coordinator.site.meters.get(self.eid)


class BatteryEntity(APsystemsEntity):
    """An entity of the battery of a storage ECU."""

    def __init__(
        self, coordinator: APsystemsCoordinator, description: EntityDescription, eid: str
    ) -> None:
        """Unique id ``{sid}_battery_{eid}_{key}``."""
        super().__init__(
            coordinator, f"battery_{eid}_{description.key}", battery_device(coordinator, eid)
        )
        self.entity_description = description
        self.eid = eid

    def device_state(self) -> StorageState | None:
        """The battery's state (None once it left the site)."""
        return self.coordinator.site.storage.get(self.eid)


@dataclass(frozen=True, slots=True)
class Arrivals:
    """The devices (and inverter channels) a platform has no entities for yet."""

    system: bool
    ecus: list[str]
    inverters: list[str]
    channels: list[tuple[str, int]]
    meters: list[str]
    batteries: list[str]


class NewDevices:
    """Which devices a platform has entities for. A device leaves the site only with its
    registry device (and entities): one that comes back is new again, and gets its device
    and entities anew, without a reload."""

    def __init__(self) -> None:
        """Nothing known yet."""
        self.known: set[str] = set()

    def arrivals(self, site: SiteState) -> Arrivals:
        """The devices of ``site`` not seen before (from now on they are known)."""
        present = {
            "system",
            *site.ecus,
            *site.inverters,
            *(f"meter:{eid}" for eid in site.meters),
            *(f"battery:{eid}" for eid in site.storage),
        }
        self.known.intersection_update(
            {m for m in self.known if m in present or m.split(":ch", 1)[0] in present}
        )
        return Arrivals(
            system=self._new("system"),
            ecus=[eid for eid in site.producing if self._new(eid)],
            inverters=[uid for uid in site.inverters if self._new(uid)],
            # Channels become known from the first batch answer (2 or 4 of them).
            channels=[
                (uid, n)
                for uid, inv in site.inverters.items()
                for n in sorted(inv.channels)
                if self._new(f"{uid}:ch{n}")
            ],
            meters=[eid for eid in site.meters if self._new(f"meter:{eid}")],
            batteries=[eid for eid in site.storage if self._new(f"battery:{eid}")],
        )

    def _new(self, marker: str) -> bool:
        if marker in self.known:
            return False
        self.known.add(marker)
        return True


def add_as_devices_come[E: Entity](
    entry: APsystemsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    new_entities: Callable[[APsystemsCoordinator, NewDevices], Sequence[E]],
) -> None:
    """Add a platform's entities of the devices known now, and of each device (or channel)
    that comes later, without a reload."""
    coordinator = entry.runtime_data
    known = NewDevices()

    @callback
    def add_new() -> None:
        if entities := new_entities(coordinator, known):
            async_add_entities(entities)

    add_new()
    entry.async_on_unload(coordinator.async_add_listener(add_new))
