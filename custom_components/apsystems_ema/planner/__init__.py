"""The call planner (pure Python, no Home Assistant): when to poll the APsystems OpenAPI next
and exactly which endpoints to call, within the monthly quota.

Typical use by the coordinator::

    planner = Planner(PlannerConfig(entry=...), SiteGeometry(lat, lon, tz, ecus, inverters, meters))
    plan = planner.next_plan(now, book, state)   # sleep until plan.at, then:
    for call in plan.calls:
        failure = ...run call...                # None, or the error's ``Failure``
        if not planner.record(call, now, book, state, failure=failure, plan=plan):
            break
    # persist book.as_dict() (one per App ID) and state.as_dict(), then ask for the next plan
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
