"""What the coordinator tells the user about its calls' outcomes: log lines (once per
trouble, and the recovery), re-authentication, the quota and clock repair issues, and the
devices the API no longer lists."""

from datetime import datetime

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .openapi import (
    APsystemsAuthError,
    APsystemsClockError,
    APsystemsError,
    APsystemsNoDataError,
    APsystemsRequestError,
    APsystemsResponseError,
    APsystemsTransportError,
)
from .openapi.errors import describe_offset
from .planner import PlannedCall


class Outcomes:
    """One entry's reports of success and failure."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Nothing reported yet."""
        self.hass = hass
        self.entry_id = entry_id
        self.trouble = False  # a failure was logged; the next success logs the recovery
        self.clock_off = False  # the clock repair issue is raised
        self.removed_devices: set[str] = set()
        self.held: set[str] = set()  # device calls held back (warned once each)

    def reachable(self) -> None:
        """A call succeeded."""
        if self.trouble:
            LOGGER.info("The APsystems OpenAPI answers again")
            self.trouble = False
        if self.clock_off:
            ir.async_delete_issue(self.hass, DOMAIN, f"clock_skew_{self.entry_id}")
            self.clock_off = False

    def _clock(self, err: APsystemsClockError) -> None:
        """The host's clock is off: a repair issue that names the offset (credentials are
        fine, so no re-authentication), and a warning once."""
        offset = describe_offset(err.offset)
        if not self.clock_off:
            LOGGER.warning(
                "The APsystems OpenAPI refuses the requests: this host's clock is off by %s",
                offset,
            )
        self.clock_off = True
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"clock_skew_{self.entry_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="clock_skew",
            translation_placeholders={"offset": offset},
        )

    def failed(self, call: PlannedCall, err: APsystemsError, any_ok: bool) -> None:
        """Log a failure once (a line per failure at DEBUG), until a call succeeds again;
        refused credentials start re-authentication. A code 4000 counts as refused
        credentials only when no call of the run succeeded (a bad signature fails all)."""
        if isinstance(err, APsystemsClockError):
            self._clock(err)
            return
        if isinstance(err, APsystemsAuthError) or (
            isinstance(err, APsystemsRequestError) and err.code == 4000 and not any_ok
        ):
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="auth_failed",
                translation_placeholders={"code": str(err.code)},
            ) from err
        LOGGER.debug("%s failed: %s", call.key, err)
        if isinstance(err, APsystemsNoDataError) or self.trouble:
            return  # "no data" is an answer (a day without data), not a problem
        self.trouble = True
        if isinstance(err, APsystemsTransportError):
            LOGGER.warning("The APsystems OpenAPI is unreachable: %s", err)
        elif isinstance(err, APsystemsResponseError):
            LOGGER.warning(
                "The APsystems OpenAPI sent an unusable answer to %s: %s", call.kind, err
            )
        else:
            LOGGER.warning("The APsystems OpenAPI refused %s: %s", call.kind, err)

    def held_back(self, call: PlannedCall, err: APsystemsError, until: datetime) -> None:
        """One device's call keeps failing while the rest of the system is answered: held
        back (the planner asks it less and less often); one warning until it answers."""
        LOGGER.debug("%s failed, held back until %s: %s", call.key, until.isoformat(), err)
        if call.key in self.held:
            return
        self.held.add(call.key)
        LOGGER.warning(
            "The APsystems OpenAPI fails to answer %s of %s (%s) while it answers the rest of "
            "the system: asked again from %s on, less often while it fails; the other values "
            "stay current",
            call.kind,
            call.target,
            err,
            dt_util.as_local(until).strftime("%Y-%m-%d %H:%M"),
        )

    def answered(self, call: PlannedCall) -> None:
        """A call succeeded: a device held back answers again (said once)."""
        if call.key in self.held:
            self.held.discard(call.key)
            LOGGER.info("The APsystems OpenAPI answers %s of %s again", call.kind, call.target)

    def quota(self, exhausted: bool, quota: int, reset: datetime) -> None:
        """Raise the repair issue while the quota is spent, and withdraw it after."""
        issue_id = f"quota_exhausted_{self.entry_id}"
        if not exhausted:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="quota_exhausted",
            translation_placeholders={
                "quota": str(quota),
                "reset": dt_util.as_local(reset).date().isoformat(),
            },
        )

    def registered(self) -> set[str]:
        """The identifiers of this entry's devices in the registry."""
        registry = dr.async_get(self.hass)
        return {
            ident
            for device in dr.async_entries_for_config_entry(registry, self.entry_id)
            for domain, ident in device.identifiers
            if domain == DOMAIN
        }

    def remove_devices(self, identifiers: set[str]) -> None:
        """Devices the API no longer lists lose their device (and entities)."""
        registry = dr.async_get(self.hass)
        for identifier in identifiers:
            device = registry.async_get_device_by_identifier((DOMAIN, identifier), self.entry_id)
            if device is not None:
                registry.async_remove_device(device.id)
            self.removed_devices.add(identifier)
