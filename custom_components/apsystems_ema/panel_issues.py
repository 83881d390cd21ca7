"""Panel health's repair issues: one (not fixable) per module or inverter found
underperforming, naming the inverter, the channel, the figure and since when; each goes away
by itself once its binary sensor is off. Home Assistant does not keep such issues over a
restart: they are raised again when the entry is set up."""

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import CONF_UNDERPERFORMING, DOMAIN
from .health import Health, Verdict
from .planning import option

ISSUE = "underperforming"  # the issues' id prefix and translation keys


def threshold(entry: ConfigEntry[Any]) -> float:
    """The option: a day's relative yield below it counts as low (a share: 0.85)."""
    return int(option(entry, CONF_UNDERPERFORMING)) / 100


def _issue(key: str, uid: str, verdict: Verdict, number: int | None = None) -> dict[str, Any]:
    placeholders = {
        "inverter": uid,
        "figure": f"{(verdict.figure or 0.0) * 100:.0f}",
        "since": "" if verdict.since is None else verdict.since.isoformat(),
    }
    if number is not None:
        placeholders["channel"] = str(number)
    return {"translation_key": key, "translation_placeholders": placeholders}


def wanted_issues(health: Health, present: set[str]) -> dict[str, dict[str, Any]]:
    """The issues to show, by their id's end: one per underperforming inverter when all its
    channels are too (a dead inverter), else one per underperforming channel."""
    issues: dict[str, dict[str, Any]] = {}
    channels: dict[str, dict[int, Verdict]] = {}
    for (uid, number), verdict in health.channels.items():
        channels.setdefault(uid, {})[number] = verdict
    for uid in sorted(present):
        inverter = health.inverter(uid)
        own = channels.get(uid, {})
        if inverter is not None and inverter.on and all(v.on for v in own.values()):
            issues[uid] = _issue(f"{ISSUE}_inverter", uid, inverter)
            continue
        for number, verdict in sorted(own.items()):
            if verdict.on:
                issues[f"{uid}_{number}"] = _issue(f"{ISSUE}_channel", uid, verdict, number)
    return issues


@callback
def sync_issues(hass: HomeAssistant, entry_id: str, health: Health, present: set[str]) -> None:
    """Raise a repair issue (not fixable) for each module or inverter found underperforming
    and withdraw those that are not any more (or whose inverter left the system)."""
    prefix = f"{ISSUE}_{entry_id}_"
    wanted = {f"{prefix}{end}": issue for end, issue in wanted_issues(health, present).items()}
    registry = ir.async_get(hass)
    for domain, issue_id in list(registry.issues):
        if domain == DOMAIN and issue_id.startswith(prefix) and issue_id not in wanted:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
    for issue_id, issue in wanted.items():
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            **issue,
        )


@callback
def remove_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Withdraw every panel health issue of an entry (it is deleted)."""
    prefix = f"{ISSUE}_{entry_id}_"
    for domain, issue_id in list(ir.async_get(hass).issues):
        if domain == DOMAIN and issue_id.startswith(prefix):
            ir.async_delete_issue(hass, DOMAIN, issue_id)
