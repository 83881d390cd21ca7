"""Panel health in Home Assistant: each inverter's and each channel's relative yield
(sensor) and whether it underperforms (binary sensor; the repair issues are in
:mod:`.panel_issues`). None of them costs a call: they read what the pure learner
(:mod:`.health`) made of the polls' batch power curves and the closing's batch energy.

The figures are those of the last day closed (after the closing, about half an hour after
sunset) that had enough sun; the attribute ``day`` says which day that was.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.sensor import (
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory

from .coordinator import APsystemsCoordinator
from .entity import Arrivals, ChannelEntity, InverterEntity
from .health import Health, Verdict


def _percent(verdict: Verdict) -> float | None:
    return None if verdict.figure is None else round(verdict.figure * 100, 1)


def _figure_attributes(verdict: Verdict) -> dict[str, Any]:
    """The day of the figure and its two energies (kWh)."""
    return {
        "day": None if verdict.day is None else verdict.day.isoformat(),
        "energy": None if verdict.energy is None else round(verdict.energy, 2),
        "expected": None if verdict.expected is None else round(verdict.expected, 2),
    }


def _problem(verdict: Verdict) -> bool | None:
    """On while underperforming; unknown before the unit was first judged."""
    return None if verdict.judged is None else verdict.on


def _problem_attributes(verdict: Verdict) -> dict[str, Any]:
    return {"since": None if verdict.since is None else verdict.since.isoformat()}


@dataclass(frozen=True, kw_only=True)
class YieldDescription(SensorEntityDescription):
    """The relative yield of an inverter or a channel (%, diagnostic)."""

    value_fn: Callable[[Verdict], float | None] = _percent
    attributes_fn: Callable[[Verdict], dict[str, Any]] = _figure_attributes


@dataclass(frozen=True, kw_only=True)
class ProblemDescription(BinarySensorEntityDescription):
    """Whether an inverter or a channel underperforms (problem, diagnostic)."""

    value_fn: Callable[[Verdict], bool | None] = _problem
    attributes_fn: Callable[[Verdict], dict[str, Any]] = _problem_attributes


def _yield(translation_key: str, *, enabled: bool) -> YieldDescription:
    return YieldDescription(
        key="relative_yield",
        translation_key=translation_key,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=enabled,
    )


def _underperforming(translation_key: str) -> ProblemDescription:
    return ProblemDescription(
        key="underperforming",
        translation_key=translation_key,
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=EntityCategory.DIAGNOSTIC,
    )


INVERTER_HEALTH_SENSORS = (_yield("relative_yield", enabled=True),)
CHANNEL_HEALTH_SENSORS = (_yield("channel_relative_yield", enabled=False),)
INVERTER_HEALTH_BINARY_SENSORS = (_underperforming("underperforming"),)
CHANNEL_HEALTH_BINARY_SENSORS = (_underperforming("channel_underperforming"),)


def _health(coordinator: APsystemsCoordinator) -> Health:
    return coordinator.session.health


class _Judged:
    """What the panel health entities of inverters and channels share: the unit's verdict
    (None once its inverter left the site) and the description's attributes of it."""

    coordinator: APsystemsCoordinator
    uid: str
    entity_description: YieldDescription | ProblemDescription

    def _judged(self, health: Health) -> Verdict | None:
        """The unit's verdict (an inverter's or a channel's)."""
        raise NotImplementedError

    def _verdict(self) -> Verdict | None:
        if self.uid not in self.coordinator.site.inverters:
            return None
        return self._judged(_health(self.coordinator))

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The description's attributes of the verdict."""
        verdict = self._verdict()
        return None if verdict is None else self.entity_description.attributes_fn(verdict)


class _InverterJudged(_Judged):
    def _judged(self, health: Health) -> Verdict | None:
        return health.inverter(self.uid)


class _ChannelJudged(_Judged):
    number: int

    def _judged(self, health: Health) -> Verdict | None:
        return health.channel(self.uid, self.number)


class _YieldSensor(_Judged, SensorEntity):
    entity_description: YieldDescription

    @property
    def native_value(self) -> float | None:
        """The last figure (%)."""
        verdict = self._verdict()
        return None if verdict is None else self.entity_description.value_fn(verdict)


class _ProblemBinarySensor(_Judged, BinarySensorEntity):
    entity_description: ProblemDescription

    @property
    def is_on(self) -> bool | None:
        """On while underperforming."""
        verdict = self._verdict()
        return None if verdict is None else self.entity_description.value_fn(verdict)


class InverterHealthSensor(_InverterJudged, _YieldSensor, InverterEntity):
    """An inverter's relative yield (attributes: the figure's day and energies)."""


class ChannelHealthSensor(_ChannelJudged, _YieldSensor, ChannelEntity):
    """A channel's relative yield, with its orientation group."""

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The figure's day and energies, and the channel's orientation group (1: the
        earliest in the day)."""
        attributes = super().extra_state_attributes
        if attributes is None:
            return None
        group = _health(self.coordinator).group(self.uid, self.number)
        return {**attributes, "group": None if group is None else group + 1}


class InverterHealthBinarySensor(_InverterJudged, _ProblemBinarySensor, InverterEntity):
    """Whether an inverter underperforms (attribute: since when)."""


class ChannelHealthBinarySensor(_ChannelJudged, _ProblemBinarySensor, ChannelEntity):
    """Whether a channel (its module) underperforms (attribute: since when)."""


def health_sensors(coordinator: APsystemsCoordinator, new: Arrivals) -> list[SensorEntity]:
    """The relative yield sensors of the inverters and channels that just came."""
    entities: list[SensorEntity] = []
    for uid in new.inverters:
        entities += [InverterHealthSensor(coordinator, d, uid) for d in INVERTER_HEALTH_SENSORS]
    for uid, n in new.channels:
        entities += [ChannelHealthSensor(coordinator, d, uid, n) for d in CHANNEL_HEALTH_SENSORS]
    return entities


def health_binary_sensors(
    coordinator: APsystemsCoordinator, new: Arrivals
) -> list[BinarySensorEntity]:
    """The Underperforming binary sensors of the inverters and channels that just came."""
    entities: list[BinarySensorEntity] = []
    for uid in new.inverters:
        entities += [
            InverterHealthBinarySensor(coordinator, d, uid) for d in INVERTER_HEALTH_BINARY_SENSORS
        ]
    for uid, n in new.channels:
        entities += [
            ChannelHealthBinarySensor(coordinator, d, uid, n) for d in CHANNEL_HEALTH_BINARY_SENSORS
        ]
    return entities
