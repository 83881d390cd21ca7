"""A fake APsystems OpenAPI (manual V1.6, plus the V1.7 storage API and the V1.8 status light
and sub-user ids) over real HTTP, for tests and local runs.

Typical use::

    sim = Simulator()                      # demo site, demo credentials, real clock
    base_url = await sim.start()           # http://127.0.0.1:<free port>
    sim.inject(Fault(endpoint="system_summary", code=7002))
    ...
    sim.truth.summary(sim.now())           # exact (unrounded) values behind the answers
    await sim.stop()

Or ``python -m tests.simulator --port 8999 [--site demo|storage|storage-only|subuser]
[--quirk NAME[:endpoint,...]]``.

Sites: :func:`demo_site` (PV, details ``type`` 1), :func:`storage_site` (PV and a battery,
type 3), :func:`storage_only_site` (a battery charged by PV outside APsystems, type 2),
:func:`subuser_site` (a system shared with a sub-user: ``main-virtual`` ECU ids),
:func:`build_site` (PV of any size).

``sim.truth`` is a :class:`StorageTruth`: the production and meter truth of :class:`Truth`
plus, per storage ECU ``eid``:

- ``truth.storage(eid, at)``: the :class:`StorageReading` ``storage/latest`` reports at
  ``at`` (slot label ``at``, ``soc`` %, ``mode``, the six powers in W);
- ``truth.storage_totals(eid, "today" | "month" | "year" | "lifetime", at)`` and
  ``truth.storage_summary(eid, at)``: :class:`StorageTotals` (the six kWh);
- ``truth.storage_day(eid, day)`` (:class:`StorageDay`: every slot's energies, state of
  charge and mode), ``truth.storage_slots``, ``truth.storage_day_totals``,
  ``truth.storage_range`` and ``truth.storage_series(eid, level, key, at)``.

On every slot ``consumed = produced + discharge - charge + imported - exported`` exactly, and
slots add up to hours, days, months, years and the summaries (see :mod:`.storage` for the
battery model and the simulator's own mode codes).

Quirks (:mod:`.quirks`): ``sim.enable(Quirk.GAPS_2, "ecu_minutely")`` makes every matching
successful answer look like a live account's (here: every 2nd 5-minute point missing) until
``sim.disable(Quirk.GAPS_2)``; ``sim.quirks`` maps each enabled quirk to its endpoints.

Status light (details ``light``): 1 green; 4 grey before the first upload; 2 yellow while an
inverter is in ``sim.silent`` (uid -> when it stopped reporting); 3 red while an ECU is in
``sim.offline``. ``sim.light(at)`` gives it.
"""

from .app import (
    BASE_PATH,
    INSTALLER_PATH,
    STORAGE_PREFIXES,
    Account,
    ApiError,
    CallRecord,
    Simulator,
    sign,
)
from .faults import ENDPOINTS, Fault
from .quirks import QUIRK_ENDPOINTS, Quirk
from .site import (
    DEMO_APP_ID,
    DEMO_APP_SECRET,
    DEMO_SID,
    DEMO_TIMEZONE,
    MODEL_CHANNELS,
    STORAGE_ONLY_SID,
    STORAGE_SID,
    SUBUSER_SID,
    ChannelFault,
    Ecu,
    Inverter,
    Site,
    Storage,
    build_site,
    demo_site,
    storage_only_site,
    storage_site,
    subuser_site,
)
from .solar import MeterTotals, Scope, Totals, Truth, channel_factor, slot_label
from .storage import (
    STORAGE_KEYS,
    StorageDay,
    StorageReading,
    StorageTotals,
    StorageTruth,
)

__all__ = [
    "BASE_PATH",
    "DEMO_APP_ID",
    "DEMO_APP_SECRET",
    "DEMO_SID",
    "DEMO_TIMEZONE",
    "ENDPOINTS",
    "INSTALLER_PATH",
    "MODEL_CHANNELS",
    "QUIRK_ENDPOINTS",
    "STORAGE_KEYS",
    "STORAGE_ONLY_SID",
    "STORAGE_PREFIXES",
    "STORAGE_SID",
    "SUBUSER_SID",
    "Account",
    "ApiError",
    "CallRecord",
    "ChannelFault",
    "Ecu",
    "Fault",
    "Inverter",
    "MeterTotals",
    "Quirk",
    "Scope",
    "Simulator",
    "Site",
    "Storage",
    "StorageDay",
    "StorageReading",
    "StorageTotals",
    "StorageTruth",
    "Totals",
    "Truth",
    "build_site",
    "channel_factor",
    "demo_site",
    "sign",
    "slot_label",
    "storage_only_site",
    "storage_site",
    "subuser_site",
]
