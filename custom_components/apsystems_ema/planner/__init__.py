"""The call planner (pure Python, no Home Assistant): when to poll the APsystems OpenAPI next
and exactly which endpoints to call, within the monthly quota.

Typical use by the coordinator::

    planner = Planner(PlannerConfig(), SiteGeometry(lat, lon, tz, ecus, inverters, meters))
    plan = planner.next_plan(now, ledger, state)   # sleep until plan.at, then:
    for call in plan.calls:
        code = ...run call...
        if not planner.record(call, now, ledger, state, code=code, plan=plan):
            break
    # persist ledger.as_dict() and state.as_dict(), then ask for the next plan
"""

from .book import CallBook
from .core import Budget, Planner, Quota
from .model import (
    CallKind,
    DetailMode,
    Plan,
    PlanKind,
    PlannedCall,
    PlannerConfig,
    PlannerState,
    SiteGeometry,
)
from .sun import Daylight, DayWindow

__all__ = [
    "Budget",
    "CallBook",
    "CallKind",
    "DayWindow",
    "Daylight",
    "DetailMode",
    "Plan",
    "PlanKind",
    "PlannedCall",
    "Planner",
    "PlannerConfig",
    "PlannerState",
    "Quota",
    "SiteGeometry",
]
