"""Diagnostics: the config entry, site state, planner and call book, and the last raw answer
of each endpoint kind (``answers``, see :mod:`.openapi.answers`), identifiers redacted."""

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import CONF_APP_ID, CONF_APP_SECRET, CONF_SID
from .coordinator import APsystemsConfigEntry, APsystemsCoordinator
from .openapi.answers import aliases, redacted_block

REDACTED = "**REDACTED**"
# Secrets, redacted wherever they appear: the App Secret, and the details' visitor access
# code (``authorization_code``, manual v1.7: it opens the system's EMA page to anyone).
SECRETS = {CONF_APP_SECRET, "authorization_code"}
TO_REDACT = {CONF_APP_ID, CONF_SID, "latitude", "longitude", *SECRETS}


def _redact_ids(value: Any, ids: dict[str, str]) -> Any:
    """Replace every serial (SID, ECU, inverter, meter and battery ids) in keys and values
    with a stand-in."""
    if isinstance(value, dict):
        return {_redact_ids(k, ids): _redact_ids(v, ids) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_ids(v, ids) for v in value]
    if isinstance(value, str):
        for serial, alias in ids.items():
            value = value.replace(serial, alias)
    return value


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: APsystemsConfigEntry
) -> dict[str, Any]:
    """Everything needed to understand the planner's choices, nothing that identifies."""
    coordinator = entry.runtime_data
    site = coordinator.site
    answers = coordinator.session.answers.answers.values()
    # The serials the site knows, then those only its raw answers name (a shared ECU's main
    # id, a device no list names any more): one alias each, the same everywhere below.
    ids = aliases(
        site.sid,
        ecus=site.ecus,
        inverters=site.inverters,
        meters=site.meters,
        storage=site.storage,
        answers=answers,
    )
    plan = coordinator.last_plan
    data = {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
        },
        "site": site.as_dict(),
        "calls": _calls(coordinator),
        "planner": {
            "config": {
                "quota": coordinator.planner.config.quota,
                "interval": str(coordinator.planner.config.interval),
                "detail": str(coordinator.planner.config.detail),
            },
            "state": coordinator.planner_state.as_dict(),
            "last_plan": None
            if plan is None
            else {
                "at": plan.at.isoformat(),
                "kind": str(plan.kind),
                "reason": plan.reason,
                "calls": [f"{c.kind}:{c.target or ''}" for c in plan.calls],
            },
            "next_poll": coordinator.next_poll.isoformat() if coordinator.next_poll else None,
            "calls_used": coordinator.calls_used,
            "calls_remaining": coordinator.calls_remaining,
        },
        "history": {
            series: {"days": len(days), "first": str(min(days)), "last": str(max(days))}
            for series, days in sorted(coordinator.history.items())
            if days
        },
        "health": coordinator.session.health.diagnostics(),
        "backfill": {
            "pending": len(coordinator.planner.backfill),
            "next": [c.dated_key for c in coordinator.planner.backfill[:8]],
            "answered": len(coordinator.answered),
        },
    }
    redacted: dict[str, Any] = async_redact_data(_redact_ids(data, ids), SECRETS)
    secrets = (entry.data[CONF_APP_ID], entry.data[CONF_APP_SECRET])
    redacted["answers"] = redacted_block(answers, ids, secrets)
    return redacted


def _calls(coordinator: APsystemsCoordinator) -> dict[str, Any]:
    """The App ID's call book as this entry sees it (other entries only as counts)."""
    book, now = coordinator.book, dt_util.utcnow()
    quota = coordinator.planner.quota(book, now)
    return {
        "since": book.since.isoformat(),
        "exhausted_at": book.exhausted_at.isoformat() if book.exhausted_at else None,
        "entries": len(book.weights),
        "share": round(book.share(coordinator.config_entry.entry_id), 3),
        "entry_quota": quota.quota,
        "entry_used": quota.used,
        "account_left": quota.left,
        "account_spent": coordinator.calls_used,
    }
