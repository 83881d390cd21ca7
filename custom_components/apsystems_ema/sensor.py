"""Sensors of the system, its ECUs, inverters (per channel), meters and batteries.

Each device type has one entity class and a static tuple of descriptions whose ``value_fn``
reads that device's state (the system's read the coordinator).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
    UnitOfTemperature,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_utc_time_change
from homeassistant.util import dt as dt_util

from .const import CONF_FOLLOW_SUN
from .coordinator import APsystemsConfigEntry, APsystemsCoordinator
from .entity import (
    APsystemsEntity,
    BatteryEntity,
    Channel,
    ChannelEntity,
    EcuEntity,
    InverterEntity,
    MeterEntity,
    NewDevices,
    SystemEntity,
    add_as_devices_come,
)
from .openapi import STORAGE_KEYS, StatusLight
from .panels import health_sensors
from .planner.freshness import follow_envelope, live_power
from .planning import option
from .state import (
    METER_KEYS,
    EcuState,
    InverterState,
    MeterState,
    StorageState,
)

PARALLEL_UPDATES = 0
# How often a power that follows the sun is shown again between polls (on the ECU's grid).
SUN_STEP = "/5"

type Value = float | int | str | datetime | None
type Period = Literal["day", "month", "year"]


def _ended(of: date | None, today: date, period: Period) -> bool:
    """Whether a figure of the ``period`` holding ``of`` is of a period before ``today``'s."""
    if of is None:
        return False
    if period == "day":
        return of < today
    if period == "month":
        return (of.year, of.month) < (today.year, today.month)
    return of.year < today.year


# The battery's operation mode codes by name. APsystems documents no names for the codes
# (the storage API of the OpenAPI manual v1.7 calls ``mode`` an operation mode and gives no
# list), so none are mapped: the sensor shows the code itself.
MODE_NAMES: dict[str, str] = {}

STATUS_LIGHTS = [light.name.lower() for light in StatusLight]


@dataclass(frozen=True, kw_only=True)
class APsystemsSensorDescription[S](SensorEntityDescription):
    """A sensor and how to read it from the state ``S`` of its device.

    A power reading (``sample_fn`` set) is current while its sample is (see
    :func:`current`). A ``lifetime`` never shows less than its last
    recorded state (lost or damaged files must not make it go back). A ``today`` figure of
    an inverter shows only while it is of the system's day. ``options_fn`` gives an enum's
    options from the state (they must hold the state shown). A value that ``follows_sun``
    changes between polls: it is shown again every ``SUN_STEP`` (no call is made). A figure
    of a ``period`` (the day, month or year ``as_of`` gives) shows 0 once the system's clock
    is in a later one: the counter restarted, and nothing of the new one is known yet.
    """

    value_fn: Callable[[S], Value]
    sample_fn: Callable[[S], datetime | None] | None = None
    production: bool = True
    lifetime: bool = False
    today: bool = False
    options_fn: Callable[[S], list[str]] | None = None
    follows_sun: bool = False
    as_of: Callable[[S], date | None] | None = None
    period: Period = "day"


def current(
    coordinator: APsystemsCoordinator,
    value: float | None,
    sample: datetime | None,
    *,
    production: bool = True,
    sun: bool = False,
) -> float | None:
    """A power reading as the current power (see :mod:`.planner.freshness`); with ``sun``,
    carried along the system's learnt envelope (the sun's height until it learnt enough)
    since it was measured (when the option is on)."""
    now = dt_util.utcnow()
    daylight = coordinator.planner.daylight
    value = live_power(
        value,
        sample,
        now,
        daylight=daylight,
        interval=coordinator.poll_interval,
        production=production,
    )
    if not sun or not sun_option(coordinator):
        return value
    return follow_envelope(
        value,
        sample,
        now,
        daylight=daylight,
        envelope=coordinator.planner_state.envelope,
        limit_w=coordinator.site.capacity_w,
    )


def sun_option(coordinator: APsystemsCoordinator) -> bool:
    """Whether the system's power follows the sun between polls (the option)."""
    return bool(option(coordinator.config_entry, CONF_FOLLOW_SUN))


def energy[S](
    key: str,
    translation_key: str,
    value_fn: Callable[[S], Value],
    *,
    enabled: bool = True,
    lifetime: bool = False,
    today: bool = False,
    as_of: Callable[[S], date | None] | None = None,
    period: Period = "day",
) -> APsystemsSensorDescription[S]:
    """An energy counter in kWh (usable by the Energy dashboard); ``as_of`` the date of a
    figure of the day (month, year: ``period``)."""
    return APsystemsSensorDescription(
        key=key,
        translation_key=translation_key,
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=2,
        entity_registry_enabled_default=enabled,
        value_fn=value_fn,
        lifetime=lifetime,
        today=today,
        as_of=as_of,
        period=period,
    )


def power[S](
    key: str,
    translation_key: str,
    value_fn: Callable[[S], Value],
    sample_fn: Callable[[S], datetime | None],
    *,
    production: bool = True,
    follows_sun: bool = False,
) -> APsystemsSensorDescription[S]:
    """A power reading in W, current while its sample (``sample_fn``) is."""
    return APsystemsSensorDescription(
        key=key,
        translation_key=translation_key,
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=value_fn,
        sample_fn=sample_fn,
        production=production,
        follows_sun=follows_sun,
    )


def last_report[S](value_fn: Callable[[S], datetime | None]) -> APsystemsSensorDescription[S]:
    """A device's newest sample time (ECU, inverter, meter, battery)."""
    return APsystemsSensorDescription(
        key="last_report",
        translation_key="last_report",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=value_fn,
    )


def detail[S](
    key: str,
    translation_key: str,
    device_class: SensorDeviceClass,
    unit: str,
    value_fn: Callable[[S], Value],
) -> APsystemsSensorDescription[S]:
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


def _light(coordinator: APsystemsCoordinator) -> str | None:
    light = coordinator.site.light
    return None if light is None else light.name.lower()


SYSTEM_SENSORS: tuple[APsystemsSensorDescription[APsystemsCoordinator], ...] = (
    energy("lifetime_energy", "lifetime_energy", lambda c: c.site.energy.lifetime, lifetime=True),
    energy(
        "today_energy",
        "today_energy",
        lambda c: c.site.energy.today,
        as_of=lambda c: c.site.energy.day,
    ),
    energy(
        "month_energy",
        "month_energy",
        lambda c: c.site.energy.month,
        enabled=False,
        as_of=lambda c: c.site.energy.day,
        period="month",
    ),
    energy(
        "year_energy",
        "year_energy",
        lambda c: c.site.energy.year,
        enabled=False,
        as_of=lambda c: c.site.energy.day,
        period="year",
    ),
    power("power", "power", lambda c: c.site.power_w, lambda c: c.site.last_data, follows_sun=True),
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
    # EMA's status light, as the system details (read once a day) last gave it.
    APsystemsSensorDescription(
        key="status_light",
        translation_key="status_light",
        device_class=SensorDeviceClass.ENUM,
        options=STATUS_LIGHTS,
        value_fn=_light,
    ),
)

ECU_SENSORS: tuple[APsystemsSensorDescription[EcuState], ...] = (
    energy(
        "today_energy", "ecu_today_energy", lambda e: e.energy.today, as_of=lambda e: e.energy.day
    ),
    energy("lifetime_energy", "ecu_lifetime_energy", lambda e: e.energy.lifetime, lifetime=True),
    power("power", "ecu_power", lambda e: e.power_w, lambda e: e.last_report),
    last_report(lambda e: e.last_report),
)

INVERTER_SENSORS: tuple[APsystemsSensorDescription[InverterState], ...] = (
    power("power", "inverter_power", lambda i: i.power_w, lambda i: i.power_at),
    energy(
        "today_energy",
        "inverter_today_energy",
        lambda i: i.today_kwh,
        today=True,
        as_of=lambda i: i.energy_day,
    ),
    energy(
        "lifetime_energy", "inverter_lifetime_energy", lambda i: i.energy.lifetime, lifetime=True
    ),
    last_report(lambda i: i.last_report),
    detail(
        "ac_voltage",
        "ac_voltage",
        SensorDeviceClass.VOLTAGE,
        UnitOfElectricPotential.VOLT,
        lambda i: None if i.detail is None else i.detail.ac_voltage,
    ),
    detail(
        "frequency",
        "frequency",
        SensorDeviceClass.FREQUENCY,
        UnitOfFrequency.HERTZ,
        lambda i: None if i.detail is None else i.detail.frequency,
    ),
    detail(
        "temperature",
        "temperature",
        SensorDeviceClass.TEMPERATURE,
        UnitOfTemperature.CELSIUS,
        lambda i: None if i.detail is None else i.detail.temperature,
    ),
)

CHANNEL_SENSORS: tuple[APsystemsSensorDescription[Channel], ...] = (
    power("power", "channel_power", lambda c: c.power_w, lambda c: c.inverter.power_at),
    energy(
        "today_energy",
        "channel_today_energy",
        lambda c: c.today_kwh,
        today=True,
        as_of=lambda c: c.inverter.energy_day,
    ),
    detail(
        "dc_voltage",
        "channel_dc_voltage",
        SensorDeviceClass.VOLTAGE,
        UnitOfElectricPotential.VOLT,
        lambda c: c.dc_voltage,
    ),
    detail(
        "dc_current",
        "channel_dc_current",
        SensorDeviceClass.CURRENT,
        UnitOfElectricCurrent.AMPERE,
        lambda c: c.dc_current,
    ),
)


def _meter_energies(key: str) -> tuple[APsystemsSensorDescription[MeterState], ...]:
    """A meter's energy in one direction: today's and its lifetime."""
    return (
        energy(
            f"{key}_today",
            f"meter_{key}_today",
            lambda m: m.energy[key].today,
            as_of=lambda m: m.energy[key].day,
        ),
        energy(
            f"{key}_lifetime",
            f"meter_{key}_lifetime",
            lambda m: m.energy[key].lifetime,
            lifetime=True,
        ),
    )


METER_SENSORS: tuple[APsystemsSensorDescription[MeterState], ...] = (
    power(
        "consumption_power",
        "meter_consumption_power",
        lambda m: m.consumption_w,
        lambda m: m.last_report,
        production=False,
    ),
    power(
        "grid_power",
        "meter_grid_power",
        lambda m: m.grid_w,
        lambda m: m.last_report,
        production=False,
    ),
    last_report(lambda m: m.last_report),
    *(description for key in METER_KEYS for description in _meter_energies(key)),
)


def _battery_power(key: str) -> APsystemsSensorDescription[StorageState]:
    """The battery's latest power reading of one kind (charge, discharge, produced...)."""
    return power(
        f"{key}_power",
        f"battery_{key}_power",
        lambda b: b.power.get(key),
        lambda b: b.last_report,
        production=False,
    )


def _battery_energies(key: str) -> tuple[APsystemsSensorDescription[StorageState], ...]:
    """The battery's energy of one kind: today's and its lifetime (the lifetimes of
    ``charge`` and ``discharge`` are the Energy dashboard's battery in and out)."""
    return (
        energy(
            f"{key}_today",
            f"battery_{key}_today",
            lambda b: b.energy[key].today,
            as_of=lambda b: b.energy[key].day,
        ),
        energy(
            f"{key}_lifetime",
            f"battery_{key}_lifetime",
            lambda b: b.energy[key].lifetime,
            lifetime=True,
        ),
    )


def _mode(battery: StorageState) -> str | None:
    """The operation mode: its name when known, else its code."""
    return None if battery.mode is None else MODE_NAMES.get(battery.mode, battery.mode)


def _mode_options(battery: StorageState) -> list[str]:
    """The known mode names and the mode shown now."""
    current = _mode(battery)
    return sorted({*MODE_NAMES.values(), *([current] if current is not None else [])})


BATTERY_SENSORS: tuple[APsystemsSensorDescription[StorageState], ...] = (
    APsystemsSensorDescription(
        key="soc",
        translation_key="battery_soc",
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda b: b.soc,
    ),
    *(_battery_power(key) for key in STORAGE_KEYS),
    APsystemsSensorDescription(
        key="mode",
        translation_key="battery_mode",
        device_class=SensorDeviceClass.ENUM,
        value_fn=_mode,
        options_fn=_mode_options,
    ),
    last_report(lambda b: b.last_report),
    *(description for key in STORAGE_KEYS for description in _battery_energies(key)),
    APsystemsSensorDescription(
        key="capacity",
        translation_key="battery_capacity",
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda b: b.capacity_kwh,
    ),
)


class APsystemsSensor[S](APsystemsEntity, RestoreSensor):
    """A sensor reading the state ``S`` of its device (see the per-device classes)."""

    entity_description: APsystemsSensorDescription[S]
    _floor: float | None = None  # a lifetime's last recorded state

    def device_state(self) -> S | None:
        """The device's state (None once the device left the site)."""
        raise NotImplementedError

    def shows(self, state: S) -> bool:
        """Whether the description's value is one to show now (a ``today`` figure of an
        earlier day is not)."""
        return True

    async def async_added_to_hass(self) -> None:
        """A power that follows the sun is shown again every ``SUN_STEP``; a lifetime takes
        its last recorded state as the floor it never goes below."""
        await super().async_added_to_hass()
        if self.entity_description.follows_sun and sun_option(self.coordinator):
            self.async_on_remove(
                async_track_utc_time_change(self.hass, self._sun_moved, minute=SUN_STEP, second=0)
            )
        if not self.entity_description.lifetime:
            return
        last = await self.async_get_last_sensor_data()
        if last is not None and isinstance(last.native_value, int | float | Decimal):
            self._floor = float(last.native_value)

    @callback
    def _sun_moved(self, _now: datetime) -> None:
        """Show the value again: the sun moved since it was last shown."""
        self.async_write_ha_state()

    @property
    def native_value(self) -> Value:
        """The value from the device's state (a lifetime: never below its floor)."""
        description = self.entity_description
        state = self.device_state()
        if state is None or not self.shows(state):
            return None
        if description.as_of is not None and _ended(
            description.as_of(state),
            self.coordinator.site.local_day(dt_util.utcnow()),
            description.period,
        ):
            return 0.0
        value = description.value_fn(state)
        if description.sample_fn is not None:
            value = current(
                self.coordinator,
                value if isinstance(value, int | float) else None,
                description.sample_fn(state),
                production=description.production,
                sun=description.follows_sun,
            )
        if self._floor is None or not isinstance(value, int | float):
            return value
        self._floor = max(self._floor, value)
        return self._floor

    @property
    def options(self) -> list[str] | None:
        """An enum's options (``options_fn``: from the device's state)."""
        options_fn = self.entity_description.options_fn
        if options_fn is None:
            return super().options
        state = self.device_state()
        return [] if state is None else options_fn(state)


class SystemSensor(SystemEntity, APsystemsSensor[APsystemsCoordinator]):
    """A sensor of the system."""

    entity_description: APsystemsSensorDescription[APsystemsCoordinator]


# The Power sensor's attributes: what was measured, when, and whether the state is an estimate.
MEASURED_POWER = "measured_power"
MEASURED_AT = "measured_at"
ESTIMATED = "estimated"
ROUNDING_W = 0.05  # a shown power is rounded to 0.1 W


class SystemPowerSensor(SystemSensor):
    """The system's Power: measured at each poll, following its envelope in between. Its
    attributes say what was measured and when, and whether the state is an estimate, so an
    automation can choose; they change with every poll and every 5 minutes, so the recorder
    leaves them out."""

    _unrecorded_attributes = frozenset({MEASURED_POWER, MEASURED_AT, ESTIMATED})

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """The measured power (W) and its sample's time; whether the state is estimated."""
        site = self.coordinator.site
        measured, at = site.power_w, site.last_data
        shown = self.native_value
        return {
            MEASURED_POWER: None if measured is None else round(measured, 1),
            MEASURED_AT: None if at is None else at.isoformat(),
            ESTIMATED: isinstance(shown, int | float)
            and (measured is None or abs(shown - measured) > ROUNDING_W),
        }


class EcuSensor(EcuEntity, APsystemsSensor[EcuState]):
    """A sensor of a producing ECU."""

    entity_description: APsystemsSensorDescription[EcuState]


def _of_today(site_day: date | None, inverter: InverterState) -> bool:
    """Whether an inverter's energy figures are of the system's day."""
    return inverter.energy_day is not None and inverter.energy_day == site_day


class InverterSensor(InverterEntity, APsystemsSensor[InverterState]):
    """A sensor of an inverter as a whole."""

    entity_description: APsystemsSensorDescription[InverterState]

    def shows(self, state: InverterState) -> bool:
        """A figure of today only while the inverter's energy day is the system's day."""
        return not self.entity_description.today or _of_today(
            self.coordinator.site.energy.day, state
        )


class ChannelSensor(ChannelEntity, APsystemsSensor[Channel]):
    """A sensor of one inverter channel."""

    entity_description: APsystemsSensorDescription[Channel]

    def shows(self, state: Channel) -> bool:
        """A figure of today only while the inverter's energy day is the system's day."""
        return not self.entity_description.today or _of_today(
            self.coordinator.site.energy.day, state.inverter
        )


class MeterSensor(MeterEntity, APsystemsSensor[MeterState]):
    """A sensor of a meter."""

    entity_description: APsystemsSensorDescription[MeterState]


class BatterySensor(BatteryEntity, APsystemsSensor[StorageState]):
    """A sensor of a battery."""

    entity_description: APsystemsSensorDescription[StorageState]


def new_sensors(coordinator: APsystemsCoordinator, known: NewDevices) -> list[SensorEntity]:
    """Sensors of the devices (and channels) ``known`` has not seen yet."""
    new = known.arrivals(coordinator.site)
    entities: list[SensorEntity] = []
    if new.system:
        entities += [
            (SystemPowerSensor if d.follows_sun else SystemSensor)(coordinator, d)
            for d in SYSTEM_SENSORS
        ]
    for eid in new.ecus:
        entities += [EcuSensor(coordinator, d, eid) for d in ECU_SENSORS]
    for uid in new.inverters:
        entities += [InverterSensor(coordinator, d, uid) for d in INVERTER_SENSORS]
    for uid, n in new.channels:
        entities += [ChannelSensor(coordinator, d, uid, n) for d in CHANNEL_SENSORS]
    for eid in new.meters:
        entities += [MeterSensor(coordinator, d, eid) for d in METER_SENSORS]
    for eid in new.batteries:
        entities += [BatterySensor(coordinator, d, eid) for d in BATTERY_SENSORS]
    entities += health_sensors(coordinator, new)
    return entities


async def async_setup_entry(
    hass: HomeAssistant,
    entry: APsystemsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add sensors now, and for new devices or channels as they appear (no reload)."""
    add_as_devices_come(entry, async_add_entities, new_sensors)
