"""Sensors of the system, its ECUs, inverters (per channel) and meters."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
    UnitOfTemperature,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import APsystemsConfigEntry, APsystemsCoordinator
from .entity import APsystemsEntity, ecu_device, inverter_device, meter_device, system_device
from .state import METER_KEYS, ChannelState, EcuState, InverterDetail, InverterState, MeterState

PARALLEL_UPDATES = 0

type Value = float | int | datetime | None
type Reader = Callable[[APsystemsCoordinator], Value]


@dataclass(frozen=True, kw_only=True)
class APsystemsSensorDescription(SensorEntityDescription):
    """A sensor and how to read it from the coordinator. A ``lifetime`` never shows less
    than its last recorded state (lost or damaged files must not make it go back)."""

    value_fn: Reader
    lifetime: bool = False


def energy_sensor(
    key: str,
    translation_key: str,
    value_fn: Reader,
    *,
    enabled: bool = True,
    lifetime: bool = False,
) -> APsystemsSensorDescription:
    """An energy counter in kWh (usable by the Energy dashboard)."""
    return APsystemsSensorDescription(
        lifetime=lifetime,
        key=key,
        translation_key=translation_key,
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=2,
        entity_registry_enabled_default=enabled,
        value_fn=value_fn,
    )


def power_sensor(
    key: str,
    translation_key: str,
    value_fn: Reader,
    sample_fn: Reader,
    *,
    production: bool = True,
) -> APsystemsSensorDescription:
    """A power reading in W, current while its sample (``sample_fn``) is (see
    :meth:`APsystemsCoordinator.live_power`)."""

    def live(coordinator: APsystemsCoordinator) -> Value:
        value, sample = value_fn(coordinator), sample_fn(coordinator)
        return coordinator.live_power(
            value if isinstance(value, int | float) else None,
            sample if isinstance(sample, datetime) else None,
            production=production,
        )

    return APsystemsSensorDescription(
        key=key,
        translation_key=translation_key,
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=live,
    )


def last_report_sensor(key: str, value_fn: Reader) -> APsystemsSensorDescription:
    """A device's newest sample time (ECU, inverter, meter)."""
    return APsystemsSensorDescription(
        key=key,
        translation_key="last_report",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=value_fn,
    )


def detail_sensor(
    key: str,
    translation_key: str,
    device_class: SensorDeviceClass,
    unit: str,
    value_fn: Reader,
) -> APsystemsSensorDescription:
    """A detail measurement, disabled by default (it needs the detail telemetry rotation)."""
    return APsystemsSensorDescription(
        key=key,
        translation_key=translation_key,
        device_class=device_class,
        native_unit_of_measurement=unit,
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        value_fn=value_fn,
    )


SYSTEM_SENSORS: tuple[APsystemsSensorDescription, ...] = (
    energy_sensor(
        "lifetime_energy", "lifetime_energy", lambda c: c.site.energy.lifetime, lifetime=True
    ),
    energy_sensor("today_energy", "today_energy", lambda c: c.site.energy.today),
    energy_sensor("month_energy", "month_energy", lambda c: c.site.energy.month, enabled=False),
    energy_sensor("year_energy", "year_energy", lambda c: c.site.energy.year, enabled=False),
    power_sensor("power", "power", lambda c: c.site.power_w, lambda c: c.site.last_data),
    APsystemsSensorDescription(
        key="capacity",
        translation_key="capacity",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda c: c.site.capacity_kw,
    ),
    APsystemsSensorDescription(
        key="last_data",
        translation_key="last_data",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda c: c.site.last_data,
    ),
    APsystemsSensorDescription(
        key="api_calls_used",
        translation_key="api_calls_used",
        # It falls back when the month turns: a new cycle, not calls given back.
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda c: c.calls_used,
    ),
    APsystemsSensorDescription(
        key="api_calls_remaining",
        translation_key="api_calls_remaining",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda c: c.calls_remaining,
    ),
    APsystemsSensorDescription(
        key="next_poll",
        translation_key="next_poll",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda c: c.next_poll,
    ),
)


def of_ecu(eid: str, read: Callable[[EcuState], Value]) -> Reader:
    """Read a value of one ECU (None when the ECU is gone)."""
    return lambda c: None if (ecu := c.site.ecus.get(eid)) is None else read(ecu)


def of_inverter(uid: str, read: Callable[[InverterState], Value]) -> Reader:
    """Read a value of one inverter."""
    return lambda c: None if (inv := c.site.inverters.get(uid)) is None else read(inv)


def of_channel(uid: str, n: int, read: Callable[[ChannelState], Value]) -> Reader:
    """Read a value of one inverter channel."""

    def channel(inv: InverterState) -> Value:
        state = inv.channels.get(n)
        return None if state is None else read(state)

    return of_inverter(uid, channel)


def of_today(uid: str, read: Callable[[InverterState], Value]) -> Reader:
    """Read an inverter's energy of today; a figure of an earlier day is no value for today."""

    def today(c: APsystemsCoordinator) -> Value:
        inv = c.site.inverters.get(uid)
        if inv is None or inv.energy_day is None or inv.energy_day != c.site.energy.day:
            return None
        return read(inv)

    return today


def _channel_today(n: int, inv: InverterState) -> Value:
    channel = inv.channels.get(n)
    return None if channel is None else channel.today_kwh


def of_detail(uid: str, read: Callable[[InverterDetail], Value]) -> Reader:
    """Read a detail telemetry value of one inverter."""
    return of_inverter(uid, lambda inv: None if inv.detail is None else read(inv.detail))


def of_meter(eid: str, read: Callable[[MeterState], Value]) -> Reader:
    """Read a value of one meter."""
    return lambda c: None if (meter := c.site.meters.get(eid)) is None else read(meter)


def ecu_sensors(eid: str) -> list[APsystemsSensorDescription]:
    """Sensors of one producing ECU."""
    return [
        energy_sensor(
            f"ecu_{eid}_today_energy", "ecu_today_energy", of_ecu(eid, lambda e: e.energy.today)
        ),
        energy_sensor(
            f"ecu_{eid}_lifetime_energy",
            "ecu_lifetime_energy",
            of_ecu(eid, lambda e: e.energy.lifetime),
            lifetime=True,
        ),
        power_sensor(
            f"ecu_{eid}_power",
            "ecu_power",
            of_ecu(eid, lambda e: e.power_w),
            of_ecu(eid, lambda e: e.last_report),
        ),
        last_report_sensor(f"ecu_{eid}_last_report", of_ecu(eid, lambda e: e.last_report)),
    ]


def inverter_sensors(uid: str) -> list[APsystemsSensorDescription]:
    """Sensors of one inverter as a whole."""
    return [
        power_sensor(
            f"{uid}_power",
            "inverter_power",
            of_inverter(uid, lambda i: i.power_w),
            of_inverter(uid, lambda i: i.power_at),
        ),
        energy_sensor(
            f"{uid}_today_energy", "inverter_today_energy", of_today(uid, lambda i: i.today_kwh)
        ),
        energy_sensor(
            f"{uid}_lifetime_energy",
            "inverter_lifetime_energy",
            of_inverter(uid, lambda i: i.energy.lifetime),
            lifetime=True,
        ),
        last_report_sensor(f"{uid}_last_report", of_inverter(uid, lambda i: i.last_report)),
        detail_sensor(
            f"{uid}_ac_voltage",
            "ac_voltage",
            SensorDeviceClass.VOLTAGE,
            UnitOfElectricPotential.VOLT,
            of_detail(uid, lambda d: d.ac_voltage),
        ),
        detail_sensor(
            f"{uid}_frequency",
            "frequency",
            SensorDeviceClass.FREQUENCY,
            UnitOfFrequency.HERTZ,
            of_detail(uid, lambda d: d.frequency),
        ),
        detail_sensor(
            f"{uid}_temperature",
            "temperature",
            SensorDeviceClass.TEMPERATURE,
            UnitOfTemperature.CELSIUS,
            of_detail(uid, lambda d: d.temperature),
        ),
    ]


def channel_sensors(uid: str, n: int) -> list[APsystemsSensorDescription]:
    """Sensors of one inverter channel (the name carries the channel number)."""
    return [
        power_sensor(
            f"{uid}_ch{n}_power",
            "channel_power",
            of_channel(uid, n, lambda s: s.power_w),
            of_inverter(uid, lambda i: i.power_at),
        ),
        energy_sensor(
            f"{uid}_ch{n}_today_energy",
            "channel_today_energy",
            of_today(uid, partial(_channel_today, n)),
        ),
        detail_sensor(
            f"{uid}_ch{n}_dc_voltage",
            "channel_dc_voltage",
            SensorDeviceClass.VOLTAGE,
            UnitOfElectricPotential.VOLT,
            of_detail(uid, lambda d: d.dc_voltage.get(n)),
        ),
        detail_sensor(
            f"{uid}_ch{n}_dc_current",
            "channel_dc_current",
            SensorDeviceClass.CURRENT,
            UnitOfElectricCurrent.AMPERE,
            of_detail(uid, lambda d: d.dc_current.get(n)),
        ),
    ]


def _today(key: str) -> Callable[[MeterState], Value]:
    return lambda meter: meter.energy[key].today


def _lifetime(key: str) -> Callable[[MeterState], Value]:
    return lambda meter: meter.energy[key].lifetime


def meter_sensors(eid: str) -> list[APsystemsSensorDescription]:
    """Sensors of one meter: energy per direction (today and lifetime) and power."""
    result = [
        power_sensor(
            f"meter_{eid}_consumption_power",
            "meter_consumption_power",
            of_meter(eid, lambda m: m.consumption_w),
            of_meter(eid, lambda m: m.last_report),
            production=False,
        ),
        power_sensor(
            f"meter_{eid}_grid_power",
            "meter_grid_power",
            of_meter(eid, lambda m: m.grid_w),
            of_meter(eid, lambda m: m.last_report),
            production=False,
        ),
        last_report_sensor(f"meter_{eid}_last_report", of_meter(eid, lambda m: m.last_report)),
    ]
    for key in METER_KEYS:
        result += [
            energy_sensor(
                f"meter_{eid}_{key}_today", f"meter_{key}_today", of_meter(eid, _today(key))
            ),
            energy_sensor(
                f"meter_{eid}_{key}_lifetime",
                f"meter_{key}_lifetime",
                of_meter(eid, _lifetime(key)),
                lifetime=True,
            ),
        ]
    return result


class APsystemsSensor(APsystemsEntity, RestoreSensor):
    """A sensor reading the coordinator's site state."""

    entity_description: APsystemsSensorDescription
    _floor: float | None = None  # a lifetime's last recorded state

    def __init__(
        self,
        coordinator: APsystemsCoordinator,
        description: APsystemsSensorDescription,
        device_info: DeviceInfo,
        channel: int | None = None,
    ) -> None:
        """Bind a description to a device."""
        super().__init__(coordinator, description.key, device_info)
        self.entity_description = description
        if channel is not None:
            self._attr_translation_placeholders = {"channel": str(channel)}

    async def async_added_to_hass(self) -> None:
        """A lifetime takes its last recorded state as the floor it never goes below."""
        await super().async_added_to_hass()
        if not self.entity_description.lifetime:
            return
        last = await self.async_get_last_sensor_data()
        if last is not None and isinstance(last.native_value, int | float | Decimal):
            self._floor = float(last.native_value)

    @property
    def native_value(self) -> Value:
        """The value from the site state (a lifetime: never below its floor)."""
        value = self.entity_description.value_fn(self.coordinator)
        if self._floor is None or not isinstance(value, int | float):
            return value
        self._floor = max(self._floor, value)
        return self._floor


def new_sensors(coordinator: APsystemsCoordinator, known: set[str]) -> list[APsystemsSensor]:
    """Sensors of devices (and channels) not yet in ``known``; adds them to it."""
    site = coordinator.site
    entities: list[APsystemsSensor] = []
    # A device leaves the site only with its registry device (and entities): one that comes
    # back is new again, its device and entities are created anew, without a reload.
    present = {"system", *site.ecus, *site.inverters, *(f"meter:{m}" for m in site.meters)}
    known.intersection_update({m for m in known if m in present or m.split(":ch", 1)[0] in present})

    def add(
        marker: str,
        descriptions: Callable[[], Iterable[APsystemsSensorDescription]],
        device: Callable[[], DeviceInfo],
        channel: int | None = None,
    ) -> None:
        if marker in known:
            return
        known.add(marker)
        info = device()
        entities.extend(APsystemsSensor(coordinator, d, info, channel) for d in descriptions())

    add("system", lambda: SYSTEM_SENSORS, lambda: system_device(coordinator))
    for eid in site.producing:
        add(eid, partial(ecu_sensors, eid), partial(ecu_device, coordinator, eid))
    for uid, inv in site.inverters.items():
        device = partial(inverter_device, coordinator, uid)
        add(uid, partial(inverter_sensors, uid), device)
        # Channels become known from the first batch answer (2 or 4 of them).
        for n in sorted(inv.channels):
            add(f"{uid}:ch{n}", partial(channel_sensors, uid, n), device, n)
    for eid in site.meters:
        add(f"meter:{eid}", partial(meter_sensors, eid), partial(meter_device, coordinator, eid))
    return entities


async def async_setup_entry(
    hass: HomeAssistant,
    entry: APsystemsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add sensors now, and for new devices or channels as they appear (no reload)."""
    coordinator = entry.runtime_data
    known: set[str] = set()

    @callback
    def add_new() -> None:
        if entities := new_sensors(coordinator, known):
            async_add_entities(entities)

    add_new()
    entry.async_on_unload(coordinator.async_add_listener(add_new))
