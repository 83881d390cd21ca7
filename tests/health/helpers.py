"""Panel health's test helpers: a site state as the integration holds it, and synthetic days
(every channel's exact energy and the mean time of production of its curve)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from custom_components.apsystems_ema.health import Channel, Health
from custom_components.apsystems_ema.state import (
    ChannelState,
    EcuState,
    InverterState,
    SiteState,
)
from tests.simulator import Site

NOON = 13 * 60 + 40  # minutes: the sun's noon of a summer day in Amsterdam (CEST)


def site_state(site: Site) -> SiteState:
    """The state the integration holds of a simulated site's producing part: its ECUs, its
    listed inverters and their channels (as the batch curves show them)."""
    state = SiteState(site.sid, timezone=site.timezone)
    for ecu in site.ecus:
        state.ecus[ecu.eid] = EcuState(ecu.eid)
        for inv in ecu.inverters:
            channels = {n: ChannelState() for n in range(1, inv.channels + 1)}
            state.inverters[inv.uid] = InverterState(inv.uid, ecu.eid, inv.model, channels)
    return state


@dataclass
class Roof:
    """Synthetic channels: each with its module's size (W-peak) and where it faces (minutes
    its noon comes after the sun's), and what each day's sky gives a 1 W module facing the
    sun's noon (kWh), a morning and an afternoon sky (1.0: as the day)."""

    sizes: dict[Channel, float]
    facing: dict[Channel, int] = field(default_factory=dict)

    def day(
        self,
        level: float,
        *,
        losses: Mapping[Channel, float] | None = None,
        morning: float = 1.0,
        afternoon: float = 1.0,
    ) -> tuple[dict[Channel, float], dict[Channel, tuple[float, float]]]:
        """A day's energies (2 decimals, as the batch energy) and curves (mean time of
        production in minutes, energy held): modules facing east make their day in the
        morning's sky, those facing west in the afternoon's."""
        losses = losses or {}
        energy: dict[Channel, float] = {}
        curves: dict[Channel, tuple[float, float]] = {}
        for channel, size in self.sizes.items():
            facing = self.facing.get(channel, 0)
            east = min(max(0.5 - facing / 180, 0.0), 1.0)  # the share made before noon
            sky = east * morning + (1 - east) * afternoon
            kwh = size * level * sky * (1 - losses.get(channel, 0.0))
            energy[channel] = round(kwh, 2)
            if kwh > 0:
                curves[channel] = (NOON + facing, kwh)
        return energy, curves


def run(
    health: Health,
    roof: Roof,
    start: date,
    levels: Iterable[float],
    **day: object,
) -> date:
    """Close one day per level from ``start`` on (keywords as :meth:`Roof.day`); returns the
    next day."""
    for level in levels:
        energy, curves = roof.day(level, **day)  # type: ignore[arg-type]
        health.close_day(start, energy, curves)
        start += timedelta(days=1)
    return start


def inverters(*specs: tuple[str, int, float, int]) -> Roof:
    """A roof of inverters: (uid, channels, W-peak of each module in kW, facing minutes)."""
    sizes: dict[Channel, float] = {}
    facing: dict[Channel, int] = {}
    for uid, channels, size, minutes in specs:
        for n in range(1, channels + 1):
            sizes[(uid, n)] = size
            facing[(uid, n)] = minutes
    return Roof(sizes, facing)
