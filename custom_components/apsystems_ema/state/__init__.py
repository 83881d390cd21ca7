"""The site's state as the entities see it, folded from API answers (pure Python, no HA).

One module per device type folds that type's answers: ``site.py`` the system and the
container, ``ecu.py``, ``inverter.py`` (the batch endpoints, the inverter summary and
telemetry), ``meter.py`` and ``battery.py``; every energy counter follows ``totals.py`` (the
lifetime rule), every curve ``curves.py``, every bound ``limits.py``.
"""

from .battery import StorageState
from .curves import (
    POWER_FRESH_FOR,
    SLOT_MINUTES,
    Slots,
    ecu_slots,
    energy_until,
    on_grid,
    slot_energies,
    zone_of,
)
from .ecu import EcuState
from .inverter import ChannelState, InverterDetail, InverterState
from .meter import METER_KEYS, MeterState
from .site import STATE_VERSION, SiteState
from .totals import HALF_CENT, Anchor, Totals

__all__ = [
    "HALF_CENT",
    "METER_KEYS",
    "POWER_FRESH_FOR",
    "SLOT_MINUTES",
    "STATE_VERSION",
    "Anchor",
    "ChannelState",
    "EcuState",
    "InverterDetail",
    "InverterState",
    "MeterState",
    "SiteState",
    "Slots",
    "StorageState",
    "Totals",
    "ecu_slots",
    "energy_until",
    "on_grid",
    "slot_energies",
    "zone_of",
]
