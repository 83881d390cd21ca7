"""A fake APsystems OpenAPI (manual V1.6) over real HTTP, for tests and local runs.

Typical use::

    sim = Simulator()                      # demo site, demo credentials, real clock
    base_url = await sim.start()           # http://127.0.0.1:<free port>
    sim.inject(Fault(endpoint="system_summary", code=7002))
    ...
    sim.truth.summary(sim.now())           # exact (unrounded) values behind the answers
    await sim.stop()

Or ``python -m tests.simulator --port 8999``.
"""

from .app import BASE_PATH, Account, ApiError, CallRecord, Simulator, sign
from .faults import ENDPOINTS, Fault
from .site import (
    DEMO_APP_ID,
    DEMO_APP_SECRET,
    DEMO_SID,
    DEMO_TIMEZONE,
    MODEL_CHANNELS,
    Ecu,
    Inverter,
    Site,
    build_site,
    demo_site,
)
from .solar import MeterTotals, Scope, Totals, Truth, channel_factor, slot_label

__all__ = [
    "BASE_PATH",
    "DEMO_APP_ID",
    "DEMO_APP_SECRET",
    "DEMO_SID",
    "DEMO_TIMEZONE",
    "ENDPOINTS",
    "MODEL_CHANNELS",
    "Account",
    "ApiError",
    "CallRecord",
    "Ecu",
    "Fault",
    "Inverter",
    "MeterTotals",
    "Scope",
    "Simulator",
    "Site",
    "Totals",
    "Truth",
    "build_site",
    "channel_factor",
    "demo_site",
    "sign",
    "slot_label",
]
