"""Async client for the APsystems OpenAPI (manual §3), with signed requests."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
import json
import logging
import socket
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp

from .errors import (
    CLOCK_TOLERANCE,
    APsystemsApiError,
    APsystemsAuthError,
    APsystemsClockError,
    APsystemsConnectionError,
    APsystemsError,
    APsystemsHTTPError,
    APsystemsRequestError,
    APsystemsResponseError,
    APsystemsStorageRefusedError,
    APsystemsTimeoutError,
    error_for_code,
)
from .models import (
    BatchEnergy,
    BatchLevel,
    BatchPower,
    EcuInfo,
    EcuMinutely,
    EnergyLevel,
    EnergyPeriod,
    EnergySummary,
    InverterEnergy,
    InverterMinutely,
    InverterSummary,
    MeterMinutely,
    MeterPeriod,
    MeterSummary,
    StorageLatest,
    StorageMinutely,
    StoragePeriod,
    StorageSummary,
    SystemDetails,
    as_mapping,
    is_digits,
    parse_inventory,
    parse_meters,
)
from .signing import SignatureMethod, Signer

_LOGGER = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.apsystemsema.com:9282"
DEFAULT_TIMEOUT = 30.0
API_PREFIX = "/user/api/v2/systems"
INSTALLER_PREFIX = "/installer/api/v2/systems"
STORAGE_PREFIXES = (INSTALLER_PREFIX, API_PREFIX)
"""Where the storage endpoints (§3.6) may live, in the order tried: the manual puts them
under the installer prefix; some servers answer them under the user prefix only."""


class Endpoint(StrEnum):
    """The endpoints, as named to the call hook."""

    DETAILS = "details"
    INVERTERS = "inverters"
    METERS = "meters"
    SYSTEM_SUMMARY = "system_summary"
    SYSTEM_ENERGY = "system_energy"
    ECU_SUMMARY = "ecu_summary"
    ECU_ENERGY = "ecu_energy"
    ECU_MINUTELY = "ecu_minutely"
    METER_SUMMARY = "meter_summary"
    METER_PERIOD = "meter_period"
    METER_MINUTELY = "meter_minutely"
    INVERTER_SUMMARY = "inverter_summary"
    INVERTER_ENERGY = "inverter_energy"
    INVERTER_MINUTELY = "inverter_minutely"
    BATCH_POWER = "batch_power"
    BATCH_ENERGY = "batch_energy"
    STORAGE_LATEST = "storage_latest"
    STORAGE_SUMMARY = "storage_summary"
    STORAGE_PERIOD = "storage_period"
    STORAGE_MINUTELY = "storage_minutely"


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One attempted API call, reported to the ``on_call`` hook whatever its outcome.

    The API counts failed calls toward the monthly quota too, so the caller should count
    every record.
    """

    endpoint: Endpoint
    at: datetime
    ok: bool
    code: int | None = None
    error: str | None = None
    attempts: int = 1
    """Requests sent (2 when aiohttp sent the GET again after a dropped connection)."""


@dataclass(frozen=True, slots=True)
class RawAnswer:
    """One answer as received, reported to the ``on_answer`` hook before it is parsed.

    ``data`` is the envelope's ``data`` untouched (odd types and absent keys stay visible);
    ``code`` is 0, or the API code of an error answer (then ``data`` is None). ``target`` is
    the request's last path segment (the SID, or the ECU, inverter, meter or storage ECU id),
    ``params`` its query parameters, ``prefix`` its path prefix. ``counts`` holds the
    original lengths of what :func:`.answers.trim` cut (empty as received). No credential
    and no signature is ever part of it.
    """

    endpoint: Endpoint
    at: datetime | None
    target: str
    params: Mapping[str, str] = field(default_factory=dict)
    data: Any = None
    code: int = 0
    prefix: str = API_PREFIX
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the API answered with code 0."""
        return self.code == 0


def _attempts(err: BaseException) -> int:
    """Requests that may have reached the API before ``err``. aiohttp sends a GET once more
    when the server drops the connection (reset, or closed without an answer), so such an
    error is the second request's: 2. A connection never made sent nothing more: 1. (A
    connection dropped while the body was read was not resent, but counts 2 as well: the
    count errs on the side of the quota.)"""
    resent = isinstance(err, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError)
    return 2 if resent and not isinstance(err, aiohttp.ClientConnectorError) else 1


def date_range(level: EnergyLevel | BatchLevel, day: date | None) -> str | None:
    """Format ``date_range`` as the level requires (yearly takes none)."""
    if level is EnergyLevel.YEARLY:
        return None
    if day is None:
        raise ValueError(f"energy level {level} needs a date")
    if level is EnergyLevel.DAILY:
        return day.strftime("%Y-%m")
    if level is EnergyLevel.MONTHLY:
        return day.strftime("%Y")
    return day.isoformat()


def system_today(timezone: str, now: datetime | None = None) -> date:
    """Today's date in the system's timezone (the API's dates are system-local)."""
    try:
        zone = ZoneInfo(timezone)
    except ZoneInfoNotFoundError, ValueError:
        zone = ZoneInfo("UTC")
    return (now or datetime.now(UTC)).astimezone(zone).date()


def clock_offset(server_date: str | None, now: datetime) -> timedelta | None:
    """This host's clock (``now``) minus the server's, from an HTTP ``Date`` header (None
    without a readable one)."""
    if not server_date:
        return None
    try:
        server = parsedate_to_datetime(server_date)
    except TypeError, ValueError:
        return None
    if server.tzinfo is None:
        return None
    return now - server


# "Not authorized" and "no permission": what an end user's account may get under the
# installer prefix the manual gives the storage endpoints.
NO_PERMISSION = frozenset({2002, 2004})


def refuses_path(err: APsystemsError) -> bool:
    """Whether ``err`` is a server refusing the request's path: API code 4001 (invalid
    request parameter), 2002 / 2004 (this account may not use it) or HTTP 404. That is the
    cue to try the other storage prefix."""
    if isinstance(err, APsystemsHTTPError):
        return err.status == 404
    if isinstance(err, APsystemsAuthError):
        return err.code in NO_PERMISSION
    return isinstance(err, APsystemsRequestError) and err.code == 4001


class APsystemsClient:
    """Client of one APsystems system (SID) on the OpenAPI.

    The aiohttp session is injected (Home Assistant shares one); the client never closes it.
    """

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        sid: str,
        *,
        session: aiohttp.ClientSession,
        base_url: str = DEFAULT_BASE_URL,
        signature_method: SignatureMethod = SignatureMethod.HMAC_SHA256,
        timeout: float = DEFAULT_TIMEOUT,
        on_call: Callable[[CallRecord], None] | None = None,
        storage_prefix: str | None = None,
        on_answer: Callable[[RawAnswer], None] | None = None,
    ) -> None:
        """Create a client; nothing is sent until a ``get_*`` method is awaited.

        ``storage_prefix`` is the path prefix that serves the storage endpoints (one of
        ``STORAGE_PREFIXES``) when known from an earlier run; ``None`` lets the first storage
        call find it. ``on_answer`` gets every answer that came in an envelope (code 0 or an
        API error code) as received, before it is parsed.
        """
        self.sid = sid
        self.storage_prefix = storage_prefix
        """The prefix that answered the storage endpoints (``None`` while unknown)."""
        self.base_url = base_url.rstrip("/")
        self._signer = Signer(app_id, app_secret, signature_method)
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._on_call = on_call
        self.on_answer = on_answer
        """The hook that gets each answer as received (:class:`RawAnswer`), or None."""
        # Requests sent so far (a storage call whose prefix is being found sends two; a
        # dropped connection's request may be sent twice): the quota counts each.
        self.requests = 0

    def __repr__(self) -> str:
        """Never show credentials."""
        return f"APsystemsClient(base_url={self.base_url!r})"

    # -- transport ------------------------------------------------------------------------

    async def _request(
        self,
        endpoint: Endpoint,
        path: str,
        params: dict[str, str] | None = None,
        prefix: str = API_PREFIX,
    ) -> Any:
        """GET ``prefix/path``, check the envelope, and return its ``data``."""
        url = f"{self.base_url}{prefix}/{path}"
        headers = self._signer.headers(f"{prefix}/{path}", "GET")
        _LOGGER.debug("GET %s %s", endpoint, params or "")
        try:
            data = await self._send(url, headers, params)
        except APsystemsError as err:
            code = err.code if isinstance(err, APsystemsApiError) else None
            self._report(
                endpoint, ok=False, code=code, error=type(err).__name__, attempts=err.attempts
            )
            _LOGGER.debug("%s failed: %s", endpoint, err)
            if code is not None:
                self._answered(endpoint, path, params, prefix, None, code)
            raise
        self._report(endpoint, ok=True, code=0)
        self._answered(endpoint, path, params, prefix, data, 0)
        return data

    def _answered(
        self,
        endpoint: Endpoint,
        path: str,
        params: dict[str, str] | None,
        prefix: str,
        data: Any,
        code: int,
    ) -> None:
        """Hand the answer, as received, to the ``on_answer`` hook."""
        if self.on_answer is not None:
            target = path.rsplit("/", 1)[-1]
            at = datetime.now(UTC)
            self.on_answer(RawAnswer(endpoint, at, target, dict(params or {}), data, code, prefix))

    async def _send(self, url: str, headers: dict[str, str], params: dict[str, str] | None) -> Any:
        try:
            async with self._session.get(
                url, headers=headers, params=params, timeout=self._timeout
            ) as resp:
                if resp.status != 200:
                    raise APsystemsHTTPError(resp.status, resp.reason)
                # The API sometimes labels JSON as application/octet-stream: ignore the type.
                raw = await resp.read()
                server_date = resp.headers.get("Date")
        except TimeoutError as err:
            raise APsystemsTimeoutError(f"No answer from {self.base_url} in time") from err
        except (aiohttp.ClientError, socket.gaierror, OSError) as err:
            raise APsystemsConnectionError(
                f"Cannot reach {self.base_url}: {err}", attempts=_attempts(err)
            ) from err
        try:
            return parse_envelope(raw)
        except APsystemsRequestError as err:
            # 4000 is also what a signature timestamp too far from the server's clock gets:
            # the server's Date header tells this apart from bad credentials.
            offset = clock_offset(server_date, datetime.now(UTC))
            if err.code == 4000 and offset is not None and abs(offset) > CLOCK_TOLERANCE:
                raise APsystemsClockError(offset) from err
            raise

    def _report(
        self,
        endpoint: Endpoint,
        *,
        ok: bool,
        code: int | None,
        error: str | None = None,
        attempts: int = 1,
    ) -> None:
        self.requests += attempts
        if self._on_call is not None:
            self._on_call(CallRecord(endpoint, datetime.now(UTC), ok, code, error, attempts))

    # -- §3.1 system details ---------------------------------------------------------------

    async def get_system_details(self) -> SystemDetails:
        """§3.1.1: the system's details (timezone, ECUs, capacity)."""
        return SystemDetails.from_api(await self._request(Endpoint.DETAILS, f"details/{self.sid}"))

    async def get_inverters(self) -> tuple[EcuInfo, ...]:
        """§3.1.2: ECUs and their inverters."""
        return parse_inventory(await self._request(Endpoint.INVERTERS, f"inverters/{self.sid}"))

    async def get_meters(self) -> tuple[str, ...]:
        """§3.1.3: meter ECU ids."""
        return parse_meters(await self._request(Endpoint.METERS, f"meters/{self.sid}"))

    # -- §3.2 system data ------------------------------------------------------------------

    async def get_system_summary(self) -> EnergySummary:
        """§3.2.1: today / month / year / lifetime energy of the system."""
        return EnergySummary.from_api(
            await self._request(Endpoint.SYSTEM_SUMMARY, f"summary/{self.sid}")
        )

    async def get_system_energy(self, level: EnergyLevel, day: date | None = None) -> EnergyPeriod:
        """§3.2.2: hourly (of ``day``), daily (of its month), monthly (of its year) or yearly."""
        data = await self._request(
            Endpoint.SYSTEM_ENERGY, f"energy/{self.sid}", self._period_params(level, day)
        )
        return EnergyPeriod.from_api(data, level, "system_energy")

    # -- §3.3 ECU data ---------------------------------------------------------------------

    async def get_ecu_summary(self, eid: str) -> EnergySummary:
        """§3.3.1: energy totals of one ECU."""
        data = await self._request(Endpoint.ECU_SUMMARY, f"{self.sid}/devices/ecu/summary/{eid}")
        return EnergySummary.from_api(data, "ecu_summary")

    async def get_ecu_energy(
        self, eid: str, level: EnergyLevel, day: date | None = None
    ) -> EnergyPeriod:
        """§3.3.2 hourly/daily/monthly/yearly energy of one ECU."""
        if level is EnergyLevel.MINUTELY:
            raise ValueError("use get_ecu_minutely for the minutely level")
        data = await self._request(
            Endpoint.ECU_ENERGY,
            f"{self.sid}/devices/ecu/energy/{eid}",
            self._period_params(level, day),
        )
        return EnergyPeriod.from_api(data, level, "ecu_energy")

    async def get_ecu_minutely(self, eid: str, day: date) -> EcuMinutely:
        """§3.3.2 minutely: the ECU's 5-minute power curve and today's energy."""
        data = await self._request(
            Endpoint.ECU_MINUTELY,
            f"{self.sid}/devices/ecu/energy/{eid}",
            self._period_params(EnergyLevel.MINUTELY, day),
        )
        return EcuMinutely.from_api(data, day)

    # -- §3.4 meter data -------------------------------------------------------------------

    async def get_meter_summary(self, eid: str) -> MeterSummary:
        """§3.4.1: a meter's consumed / exported / imported / produced totals."""
        data = await self._request(
            Endpoint.METER_SUMMARY, f"{self.sid}/devices/meter/summary/{eid}"
        )
        return MeterSummary.from_api(data)

    async def get_meter_energy(
        self, eid: str, level: EnergyLevel, day: date | None = None
    ) -> MeterPeriod:
        """§3.4.2 hourly/daily/monthly/yearly meter energies."""
        if level is EnergyLevel.MINUTELY:
            raise ValueError("use get_meter_minutely for the minutely level")
        data = await self._request(
            Endpoint.METER_PERIOD,
            f"{self.sid}/devices/meter/period/{eid}",
            self._period_params(level, day),
        )
        return MeterPeriod.from_api(data, level)

    async def get_meter_minutely(self, eid: str, day: date) -> MeterMinutely:
        """§3.4.2 minutely: the meter's power curves and today's totals."""
        data = await self._request(
            Endpoint.METER_MINUTELY,
            f"{self.sid}/devices/meter/period/{eid}",
            self._period_params(EnergyLevel.MINUTELY, day),
        )
        return MeterMinutely.from_api(data, day)

    # -- §3.5 inverter data ----------------------------------------------------------------

    async def get_inverter_summary(self, uid: str) -> InverterSummary:
        """§3.5.1: energy per channel of one inverter."""
        data = await self._request(
            Endpoint.INVERTER_SUMMARY, f"{self.sid}/devices/inverter/summary/{uid}"
        )
        return InverterSummary.from_api(data)

    async def get_inverter_energy(
        self, uid: str, level: EnergyLevel, day: date | None = None
    ) -> InverterEnergy:
        """§3.5.2 hourly/daily/monthly/yearly energy per channel of one inverter."""
        if level is EnergyLevel.MINUTELY:
            raise ValueError("use get_inverter_minutely for the minutely level")
        data = await self._request(
            Endpoint.INVERTER_ENERGY,
            f"{self.sid}/devices/inverter/energy/{uid}",
            self._period_params(level, day),
        )
        return InverterEnergy.from_api(data, level)

    async def get_inverter_minutely(self, uid: str, day: date) -> InverterMinutely:
        """§3.5.2 minutely: detail telemetry (DC/AC voltage, current, power, temperature)."""
        data = await self._request(
            Endpoint.INVERTER_MINUTELY,
            f"{self.sid}/devices/inverter/energy/{uid}",
            self._period_params(EnergyLevel.MINUTELY, day),
        )
        return InverterMinutely.from_api(data, day)

    async def get_batch_power(self, eid: str, day: date) -> BatchPower:
        """§3.5.3 power: every inverter channel's power curve under one ECU, in one call."""
        data = await self._request(
            Endpoint.BATCH_POWER,
            f"{self.sid}/devices/inverter/batch/energy/{eid}",
            {"energy_level": BatchLevel.POWER, "date_range": day.isoformat()},
        )
        return BatchPower.from_api(data, day)

    async def get_batch_energy(self, eid: str, day: date) -> BatchEnergy:
        """§3.5.3 energy: every inverter channel's day energy under one ECU, in one call."""
        data = await self._request(
            Endpoint.BATCH_ENERGY,
            f"{self.sid}/devices/inverter/batch/energy/{eid}",
            {"energy_level": BatchLevel.ENERGY, "date_range": day.isoformat()},
        )
        return BatchEnergy.from_api(data, day)

    # -- §3.6 storage (manual v1.7) ---------------------------------------------------------

    async def _storage_request(
        self, endpoint: Endpoint, path: str, params: dict[str, str] | None = None
    ) -> Any:
        """GET a storage endpoint under ``storage_prefix``; while that is unknown, under the
        installer prefix and, if the server refuses that path, once more under the user
        prefix. The prefix that answers is kept in ``storage_prefix``."""
        path = f"{self.sid}/devices/storage/{path}"
        if self.storage_prefix is not None:
            return await self._request(endpoint, path, params, self.storage_prefix)
        first, second = STORAGE_PREFIXES
        try:
            data = await self._request(endpoint, path, params, first)
        except APsystemsError as err:
            if not refuses_path(err):
                raise
            _LOGGER.debug("%s refused under %s: trying %s", endpoint, first, second)
            try:
                data = await self._request(endpoint, path, params, second)
            except APsystemsError as again:
                if refuses_path(again):
                    raise APsystemsStorageRefusedError(again) from again
                raise
            self.storage_prefix = second
        else:
            self.storage_prefix = first
        return data

    async def get_storage_latest(self, eid: str) -> StorageLatest:
        """§3.6.1: a storage ECU's latest state of charge, mode and powers."""
        data = await self._storage_request(Endpoint.STORAGE_LATEST, f"latest/{eid}")
        return StorageLatest.from_api(data)

    async def get_storage_summary(self, eid: str) -> StorageSummary:
        """§3.6.2: a storage ECU's energy totals (today, month, year, lifetime)."""
        data = await self._storage_request(Endpoint.STORAGE_SUMMARY, f"summary/{eid}")
        return StorageSummary.from_api(data)

    async def get_storage_energy(
        self, eid: str, level: EnergyLevel, day: date | None = None
    ) -> StoragePeriod:
        """§3.6.3 hourly/daily/monthly/yearly storage energies."""
        if level is EnergyLevel.MINUTELY:
            raise ValueError("use get_storage_minutely for the minutely level")
        data = await self._storage_request(
            Endpoint.STORAGE_PERIOD, f"period/{eid}", self._period_params(level, day)
        )
        return StoragePeriod.from_api(data, level)

    async def get_storage_minutely(self, eid: str, day: date) -> StorageMinutely:
        """§3.6.3 minutely: a storage ECU's 5-minute powers and energies, and today's totals."""
        data = await self._storage_request(
            Endpoint.STORAGE_MINUTELY,
            f"period/{eid}",
            self._period_params(EnergyLevel.MINUTELY, day),
        )
        return StorageMinutely.from_api(data, day)

    @staticmethod
    def _period_params(level: EnergyLevel, day: date | None) -> dict[str, str]:
        params = {"energy_level": str(level)}
        if (value := date_range(level, day)) is not None:
            params["date_range"] = value
        return params


def parse_envelope(raw: bytes) -> Any:
    """Decode ``{"code": N, "data": ...}``; raise the error a non-zero code stands for."""
    text = raw.decode("utf-8-sig", errors="replace").strip()
    try:
        body = json.loads(text)
    except ValueError:
        snippet = " ".join(text[:60].split())
        raise APsystemsResponseError(f"Response is not JSON: {snippet!r}") from None
    envelope = as_mapping(body, "response")
    code = envelope.get("code")
    if isinstance(code, str) and is_digits(code):
        code = int(code)
    if not isinstance(code, int) or isinstance(code, bool):
        raise APsystemsResponseError(f"Response has no valid code: {code!r}")
    if code != 0:
        raise error_for_code(code)
    return envelope.get("data")
