"""Config flow of the APsystems EMA (OpenAPI) integration."""

from collections.abc import Mapping
import logging
from typing import Any

from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from . import APsystemsConfigEntry, is_auth_error
from .const import (
    ANSWERS_HANDOFF,
    CONF_APP_ID,
    CONF_APP_SECRET,
    CONF_AUTOMATIC_INTERVAL,
    CONF_BASE_URL,
    CONF_DETAIL_TELEMETRY,
    CONF_FIXED_INTERVAL,
    CONF_FOLLOW_SUN,
    CONF_IMPORT_STATISTICS,
    CONF_MONTHLY_QUOTA,
    CONF_SID,
    CONF_SUNRISE_OFFSET,
    CONF_SUNSET_OFFSET,
    CONF_UNDERPERFORMING,
    DEFAULT_OPTIONS,
    DETAILS_HANDOFF,
    DOMAIN,
    MAX_FIXED_INTERVAL,
    MAX_MONTHLY_QUOTA,
    MAX_SUN_OFFSET,
    MAX_UNDERPERFORMING,
    MIN_FIXED_INTERVAL,
    MIN_MONTHLY_QUOTA,
    MIN_SUN_OFFSET,
    MIN_UNDERPERFORMING,
    DetailTelemetry,
)
from .openapi import (
    DEFAULT_BASE_URL,
    APsystemsClient,
    APsystemsClockError,
    APsystemsError,
    APsystemsLimitError,
    RawAnswer,
    SystemDetails,
)
from .openapi.answers import without_secrets

_LOGGER = logging.getLogger(__name__)

_TEXT = TextSelector()
_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))

CREDENTIALS_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_APP_ID): _TEXT,
        probatio.Required(CONF_APP_SECRET): _PASSWORD,
    }
)
USER_SCHEMA = CREDENTIALS_SCHEMA.extend(
    {
        probatio.Required(CONF_SID): _TEXT,
        probatio.Required(CONF_BASE_URL, default=DEFAULT_BASE_URL): _URL,
    }
)


def _minutes(minimum: int, maximum: int, step: int = 1) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=step,
            mode=NumberSelectorMode.BOX,
            unit_of_measurement="min",
        )
    )


OPTIONS_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_MONTHLY_QUOTA): probatio.All(
            NumberSelector(
                NumberSelectorConfig(
                    min=MIN_MONTHLY_QUOTA,
                    max=MAX_MONTHLY_QUOTA,
                    step=1,
                    mode=NumberSelectorMode.BOX,
                )
            ),
            probatio.Coerce(int),
        ),
        probatio.Required(CONF_AUTOMATIC_INTERVAL): BooleanSelector(),
        probatio.Required(CONF_FIXED_INTERVAL): probatio.All(
            _minutes(MIN_FIXED_INTERVAL, MAX_FIXED_INTERVAL), probatio.Coerce(int)
        ),
        probatio.Required(CONF_SUNRISE_OFFSET): probatio.All(
            _minutes(MIN_SUN_OFFSET, MAX_SUN_OFFSET), probatio.Coerce(int)
        ),
        probatio.Required(CONF_SUNSET_OFFSET): probatio.All(
            _minutes(MIN_SUN_OFFSET, MAX_SUN_OFFSET), probatio.Coerce(int)
        ),
        probatio.Required(CONF_DETAIL_TELEMETRY): SelectSelector(
            SelectSelectorConfig(
                options=[mode.value for mode in DetailTelemetry],
                mode=SelectSelectorMode.DROPDOWN,
                translation_key=CONF_DETAIL_TELEMETRY,
            )
        ),
        probatio.Required(CONF_IMPORT_STATISTICS): BooleanSelector(),
        probatio.Required(CONF_FOLLOW_SUN): BooleanSelector(),
        probatio.Required(CONF_UNDERPERFORMING): probatio.All(
            NumberSelector(
                NumberSelectorConfig(
                    min=MIN_UNDERPERFORMING,
                    max=MAX_UNDERPERFORMING,
                    step=1,
                    mode=NumberSelectorMode.BOX,
                    unit_of_measurement="%",
                )
            ),
            probatio.Coerce(int),
        ),
    }
)


def _clean(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Strip the whitespace a copy-paste brings along (and a trailing slash of the URL)."""
    cleaned = {key: value.strip() for key, value in user_input.items()}
    if CONF_BASE_URL in cleaned:
        cleaned[CONF_BASE_URL] = cleaned[CONF_BASE_URL].rstrip("/")
    return cleaned


def _same_system(details: SystemDetails, sid: str) -> bool:
    """Whether the API's answer is about the system ``sid`` (its case is not documented)."""
    return details.sid.strip().casefold() == sid.casefold()


class APsystemsConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one APsystems system (SID) on the EMA OpenAPI."""

    VERSION = 1
    MINOR_VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: APsystemsConfigEntry) -> APsystemsOptionsFlow:
        """The options flow."""
        return APsystemsOptionsFlow()

    async def _async_validate(
        self, data: Mapping[str, Any], errors: dict[str, str]
    ) -> SystemDetails | None:
        """Ask the API for the system's details: one call. Fill ``errors`` on failure."""
        answers: list[RawAnswer] = []
        client = APsystemsClient(
            data[CONF_APP_ID],
            data[CONF_APP_SECRET],
            data[CONF_SID],
            session=async_get_clientsession(self.hass),
            base_url=data[CONF_BASE_URL],
            on_answer=answers.append,
        )
        try:
            details = await client.get_system_details()
        except APsystemsLimitError:
            errors["base"] = "quota_exceeded"
        except APsystemsClockError:
            errors["base"] = "clock_skew"
        except APsystemsError as err:
            errors["base"] = "invalid_auth" if is_auth_error(err) else "cannot_connect"
        except Exception:
            # The message and traceback never hold the secret: the client keeps it in its
            # signer and its repr hides it.
            _LOGGER.exception("Unexpected error while validating the APsystems credentials")
            errors["base"] = "unknown"
        else:
            self.hass.data.setdefault(DETAILS_HANDOFF, {})[data[CONF_SID]] = details
            handoff = self.hass.data.setdefault(ANSWERS_HANDOFF, {})
            handoff[data[CONF_SID]] = without_secrets(answers[-1])
            return details
        return None

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the OpenAPI credentials and the system id."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _clean(user_input)
            await self.async_set_unique_id(data[CONF_SID])
            self._abort_if_unique_id_configured()
            details = await self._async_validate(data, errors)
            if details is not None:
                title = f"APsystems {data[CONF_SID]}"
                if details.capacity_kw:
                    title += f" ({details.capacity_kw:g} kW)"
                return self.async_create_entry(title=title, data=data)

        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The API refused the stored credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new App ID and App Secret."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **_clean(user_input)}
            details = await self._async_validate(data, errors)
            if details is not None:
                if not _same_system(details, entry.data[CONF_SID]):
                    return self.async_abort(reason="wrong_account")
                return self.async_update_reload_and_abort(entry, data=data)

        suggested = user_input or {CONF_APP_ID: entry.data[CONF_APP_ID]}
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(CREDENTIALS_SCHEMA, suggested),
            description_placeholders={CONF_SID: entry.data[CONF_SID]},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the credentials or the server of the system."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _clean(user_input)
            await self.async_set_unique_id(data[CONF_SID])
            self._abort_if_unique_id_mismatch(reason="wrong_account")
            details = await self._async_validate(data, errors)
            if details is not None:
                if not _same_system(details, entry.data[CONF_SID]):
                    return self.async_abort(reason="wrong_account")
                return self.async_update_reload_and_abort(entry, data=data)

        # The secret is not offered back: the password field starts empty.
        suggested = user_input or {
            key: entry.data[key] for key in (CONF_APP_ID, CONF_SID, CONF_BASE_URL)
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, suggested),
            description_placeholders={CONF_SID: entry.data[CONF_SID]},
            errors=errors,
        )


class APsystemsOptionsFlow(OptionsFlowWithReload):
    """Tune the call budget and what is fetched; the entry reloads on save."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """One form with every option."""
        if user_input is not None:
            return self.async_create_entry(data=user_input)

        current = {**DEFAULT_OPTIONS, **self.config_entry.options}
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(OPTIONS_SCHEMA, current),
        )
