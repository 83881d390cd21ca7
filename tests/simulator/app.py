"""The fake APsystems OpenAPI server (aiohttp.web) and its test-facing controls."""

import asyncio
import base64
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from email.utils import format_datetime
import hashlib
import hmac
import json
import math
import re
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from .faults import HTML_ERROR_PAGE, INVALID_JSON, Fault, reshape
from .quirks import Asked, Quirk, apply, quirk_named, refusal, targets
from .site import (
    DEMO_APP_ID,
    DEMO_APP_SECRET,
    ECU_TYPE_METER,
    ECU_TYPE_PLAIN,
    ECU_TYPE_STORAGE,
    Site,
    Storage,
    demo_site,
)
from .solar import SLOT_MINUTES, MeterTotals, slot_label
from .storage import SLOT_KWH_PER_W, STORAGE_KEYS, StorageTotals, StorageTruth

BASE_PATH = "/user/api/v2/systems"
INSTALLER_PATH = "/installer/api/v2/systems"
"""The prefix the manual (v1.7 §3.6) gives the storage endpoints."""
STORAGE_PREFIXES = frozenset({INSTALLER_PATH, BASE_PATH})
"""Both prefixes answer the storage endpoints by default."""

LIGHT_GREEN = 1
LIGHT_YELLOW = 2
LIGHT_RED = 3
LIGHT_GREY = 4

CODE_OK = 0
CODE_NO_DATA = 1001
CODE_INVALID_ACCOUNT = 2001
CODE_QUOTA = 2005
CODE_PARAMETER = 4000
CODE_INVALID_PARAMETER = 4001

DIGESTS = {"HmacSHA256": hashlib.sha256, "HmacSHA1": hashlib.sha1}
AUTH_HEADERS = (
    "X-CA-AppId",
    "X-CA-Timestamp",
    "X-CA-Nonce",
    "X-CA-Signature-Method",
    "X-CA-Signature",
)

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_YEAR = re.compile(r"^\d{4}$")

type Json = Any
type Clock = Callable[[], datetime]


class ApiError(Exception):
    """Answer ``{"code": code, "data": null}``."""

    def __init__(self, code: int) -> None:
        """Carry an Annex 4.1 code."""
        super().__init__(code)
        self.code = code


@dataclass(slots=True)
class CallRecord:
    """One request that reached an endpoint (they all count toward the quota)."""

    endpoint: str
    """Endpoint name, e.g. ``system_summary`` or ``ecu_minutely`` (see ``faults.ENDPOINTS``)."""
    path: str
    query: dict[str, str]
    at: datetime
    """The simulator clock when the request arrived (aware UTC)."""
    code: int | None = None
    """API code answered; None when no JSON envelope was sent (HTTP error, invalid JSON)."""
    status: int = 200
    fault: Fault | None = None
    signature: str | None = None
    """The X-CA-Signature header the client sent (what a log must never show)."""


@dataclass(slots=True, eq=False)
class Account:
    """An App ID: its credentials and monthly quota, shared by every system it serves.

    Give the same account to several :class:`Simulator` instances (one per system, SID) and
    the quota counts the calls of all of them together, per calendar month in
    ``quota_zone``: a call beyond it answers 2005, whichever system it asked about. Each
    simulator still keeps its own ``calls``; :attr:`calls` merges them.
    """

    app_id: str = DEMO_APP_ID
    app_secret: str = DEMO_APP_SECRET
    quota: int = 1000
    quota_zone: tzinfo = UTC
    ledgers: list[list[CallRecord]] = field(default_factory=list, repr=False)
    """The ``calls`` list of every simulator serving the account (each appends its own)."""

    @property
    def calls(self) -> list[CallRecord]:
        """Every call to any of the account's systems, oldest first."""
        return sorted((c for calls in self.ledgers for c in calls), key=lambda c: c.at)

    def calls_in_month(self, at: datetime) -> int:
        """Calls counted toward the quota in the month (``quota_zone``) of ``at``."""
        local = at.astimezone(self.quota_zone)
        month = (local.year, local.month)
        count = 0
        for calls in self.ledgers:
            for call in calls:
                when = call.at.astimezone(self.quota_zone)
                if (when.year, when.month) == month:
                    count += 1
        return count

    def reset(self) -> None:
        """Forget every call of every system (the quota starts over)."""
        for calls in self.ledgers:
            calls.clear()


@dataclass(slots=True)
class _Armed:
    fault: Fault
    remaining: int | None


def _utcnow() -> datetime:
    return datetime.now(UTC)


def sign(secret: str, message: str, method: str) -> str:
    """base64(HMAC(secret, message)) as in manual §2.2."""
    mac = hmac.new(secret.encode("utf-8"), message.encode("utf-8"), DIGESTS[method])
    return base64.b64encode(mac.digest()).decode("ascii")


def fmt(value: float, decimals: int, zero: str = "0") -> str:
    """A number as the API writes it: a string, with ``zero`` for zero."""
    text = f"{value:.{decimals}f}"
    return zero if float(text) == 0 else text


def fmt_series(values: list[float], decimals: int, zero: str = "0") -> list[str]:
    """Round a series by its running total so the strings add up to the rounded total."""
    out: list[str] = []
    total = 0.0
    shown = 0.0
    for value in values:
        total += value
        rounded = round(total, decimals)
        out.append(fmt(rounded - shown, decimals, zero))
        shown = rounded
    return out


def _parse_range(level: str, value: str) -> date:
    """``date_range`` as the level formats it (first day of the month / year)."""
    pattern = {"daily": _MONTH, "monthly": _YEAR}.get(level, _DAY)
    if not pattern.match(value):
        raise ApiError(CODE_INVALID_PARAMETER)
    try:
        if level == "daily":
            return date(int(value[:4]), int(value[5:7]), 1)
        if level == "monthly":
            return date(int(value), 1, 1)
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(CODE_INVALID_PARAMETER) from None


@dataclass(slots=True)
class _Request:
    """What an endpoint builder needs."""

    sid: str
    target: str
    query: dict[str, str]
    now: datetime
    today: date


type Builder = Callable[[_Request], Json]


@dataclass(slots=True)
class _Route:
    name: str
    path: str
    build: Builder
    levels: dict[str, str] = field(default_factory=dict)
    """energy_level -> endpoint name, when the level changes the endpoint name."""
    storage: bool = False
    """A storage endpoint (v1.7 §3.6): served on the prefixes of ``storage_prefixes``."""


class Simulator:
    """A fake APsystems OpenAPI for one site, served over HTTP on loopback.

    ``clock`` returns "now" as an aware UTC datetime (default: the real time); "today"
    is its date in the system timezone. ``max_skew``: accepted X-CA-Timestamp distance
    from the clock (None: no check — use with a clock far from real time). The quota
    counts calls per calendar month in ``quota_zone`` (default UTC).

    ``account``: the App ID (credentials, quota, quota month) this system belongs to, to share
    one App ID between several simulators; without it the simulator has an account of its own
    from ``app_id``, ``app_secret``, ``quota`` and ``quota_zone`` (which must then be left
    out). ``app_id``, ``app_secret``, ``quota`` and ``quota_zone`` read and set the account's.

    Unknown sid/eid/uid answer 4001; missing parameters 4000; malformed or future
    ``date_range`` and unknown ``energy_level`` 4001; dates before the system was created
    answer zeros.

    Storage endpoints (v1.7 §3.6) answer under both ``/installer/api/v2/systems`` (the
    manual's) and ``/user/api/v2/systems``; ``storage_prefixes`` (kwarg and attribute)
    limits them to some: a storage request on another prefix answers 4001 (or the code of
    ``storage_refusal``, e.g. 2004 "no permission"), or HTTP 404 with ``storage_404`` (kwargs
    and attributes); either way it is recorded and counts toward the quota. An unknown storage
    ECU answers 4001 too.

    Quirks (:mod:`.quirks`): :attr:`quirks`, switched with :meth:`enable` and :meth:`disable`,
    reshape every matching successful answer like those of live accounts.

    Test controls besides faults: :attr:`unlisted`, :attr:`silent` (inverters that stopped
    reporting: the batch curves have no samples for them from then on, the light turns
    yellow) and :attr:`offline` (ECUs with a network problem: the light turns red).
    """

    def __init__(
        self,
        site: Site | None = None,
        *,
        app_id: str | None = None,
        app_secret: str | None = None,
        quota: int | None = None,
        clock: Clock | None = None,
        max_skew: timedelta | None = timedelta(minutes=15),
        quota_zone: tzinfo | None = None,
        account: Account | None = None,
        storage_prefixes: Iterable[str] = STORAGE_PREFIXES,
        storage_404: bool = False,
        storage_refusal: int = CODE_INVALID_PARAMETER,
    ) -> None:
        """Build the simulator (call :meth:`start` to serve it)."""
        self.clock: Clock = clock or _utcnow
        self.site = site or demo_site(self.clock())
        self.truth = StorageTruth(self.site)
        self.storage_prefixes: frozenset[str] = frozenset(storage_prefixes)
        """The prefixes whose storage endpoints answer (others: 4001, or HTTP 404)."""
        unknown = self.storage_prefixes - STORAGE_PREFIXES
        if unknown:
            raise ValueError(f"unknown storage prefixes {sorted(unknown)}")
        self.storage_404 = storage_404
        """A storage request on a prefix not served answers HTTP 404 (not code 4001)."""
        self.storage_refusal = storage_refusal
        """The code a storage request on a prefix not served answers (without HTTP 404)."""
        if account is None:
            account = Account(
                DEMO_APP_ID if app_id is None else app_id,
                DEMO_APP_SECRET if app_secret is None else app_secret,
                1000 if quota is None else quota,
                UTC if quota_zone is None else quota_zone,
            )
        elif any(v is not None for v in (app_id, app_secret, quota, quota_zone)):
            raise ValueError("credentials and quota come from the account")
        self.account = account
        self.max_skew = max_skew
        self.calls: list[CallRecord] = []
        """The calls this system received (the account counts those of all its systems)."""
        # Devices (inverter uids, ECU and meter eids) the lists leave out while they go on
        # producing: what the integration sees of a device EMA stopped listing.
        self.unlisted: set[str] = set()
        self.silent: dict[str, datetime] = {}
        """Inverter uid -> the instant (aware) it stopped reporting: from then on its channels
        have no samples in the batch power curve (null, or no key at all for a day with
        none) and no energy in the batch energy (no entry for a day with none); the details'
        light is yellow (2) while any is silent. Other answers keep its production."""
        self.offline: set[str] = set()
        """ECU eids with a network problem: the details' light is red (3). (Only the light:
        their data are unchanged.)"""
        self.quirks: dict[Quirk, frozenset[str] | None] = {}
        """Quirk -> the endpoints it applies to (None: every one it can apply to); see
        :meth:`enable`."""
        account.ledgers.append(self.calls)
        self.base_url = ""
        self._faults: list[_Armed] = []
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self.stalled = 0
        """Requests waiting on a ``delay`` fault right now."""
        self.stall_changed = asyncio.Event()
        """Set whenever :attr:`stalled` changes (clear it before waiting)."""
        self.app = self.make_app()

    @property
    def sid(self) -> str:
        """The system id."""
        return self.site.sid

    @property
    def app_id(self) -> str:
        """The account's App ID."""
        return self.account.app_id

    @app_id.setter
    def app_id(self, value: str) -> None:
        self.account.app_id = value

    @property
    def app_secret(self) -> str:
        """The account's App Secret."""
        return self.account.app_secret

    @app_secret.setter
    def app_secret(self, value: str) -> None:
        self.account.app_secret = value

    @property
    def quota(self) -> int:
        """The account's monthly quota."""
        return self.account.quota

    @quota.setter
    def quota(self, value: int) -> None:
        self.account.quota = value

    @property
    def quota_zone(self) -> tzinfo:
        """The timezone of the account's quota month."""
        return self.account.quota_zone

    @quota_zone.setter
    def quota_zone(self, value: tzinfo) -> None:
        self.account.quota_zone = value

    def now(self) -> datetime:
        """The simulator clock, as aware UTC."""
        return self.clock().astimezone(UTC)

    # ---------------------------------------------------------------- controls
    def inject(self, *faults: Fault) -> None:
        """Arm faults; each request takes the first armed fault matching its endpoint."""
        self._faults.extend(_Armed(f, f.times) for f in faults)

    def clear_faults(self) -> None:
        """Disarm every fault."""
        self._faults.clear()

    def enable(self, quirk: Quirk | str, *endpoints: str) -> None:
        """Switch a quirk on for ``endpoints`` (none named: every endpoint it can apply to),
        replacing its earlier endpoints. An unknown quirk or endpoint, or an endpoint the
        quirk cannot apply to, raises ValueError."""
        named = quirk_named(quirk)
        self.quirks[named] = targets(named, endpoints)

    def disable(self, quirk: Quirk | str) -> None:
        """Switch a quirk off (ValueError for an unknown name)."""
        self.quirks.pop(quirk_named(quirk), None)

    def calls_this_month(self) -> int:
        """Requests counted toward the quota in the clock's current month (``quota_zone``),
        to any system of the account."""
        return self.account.calls_in_month(self.now())

    def reset_calls(self) -> None:
        """Forget every recorded call, of every system of the account (the quota starts
        over)."""
        self.account.reset()

    # ---------------------------------------------------------------- lifecycle
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0: any free port); returns the base URL."""
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        self._stopping = asyncio.Event()
        self.truth.warm(self.now())
        runner = web.AppRunner(
            self.app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        """Stop serving (pending delayed answers are released first)."""
        self._stopping.set()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        """``async with Simulator() as sim:`` starts on a free loopback port."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop."""
        await self.stop()

    # ---------------------------------------------------------------- HTTP
    def make_app(self) -> web.Application:
        """The aiohttp application with every §3 endpoint (storage ones on both prefixes)."""
        app = web.Application()
        for route in self._routes():
            app.router.add_get(BASE_PATH + route.path, self._handler(route, BASE_PATH))
        for route in self._storage_routes():
            for prefix in sorted(STORAGE_PREFIXES):
                app.router.add_get(prefix + route.path, self._handler(route, prefix))
        return app

    def _storage_routes(self) -> list[_Route]:
        store = "/{sid}/devices/storage"
        return [
            _Route(
                "storage_latest", store + "/latest/{target}", self._storage_latest, storage=True
            ),
            _Route(
                "storage_summary", store + "/summary/{target}", self._storage_summary, storage=True
            ),
            _Route(
                "storage_period",
                store + "/period/{target}",
                self._storage_period,
                {"minutely": "storage_minutely"},
                storage=True,
            ),
        ]

    def _routes(self) -> list[_Route]:
        dev = "/{sid}/devices"
        return [
            _Route("details", "/details/{target}", self._details),
            _Route("inverters", "/inverters/{target}", self._inverters),
            _Route("meters", "/meters/{target}", self._meters),
            _Route("system_summary", "/summary/{target}", self._system_summary),
            _Route("system_energy", "/energy/{target}", self._system_energy),
            _Route("ecu_summary", dev + "/ecu/summary/{target}", self._ecu_summary),
            _Route(
                "ecu_energy",
                dev + "/ecu/energy/{target}",
                self._ecu_energy,
                {"minutely": "ecu_minutely"},
            ),
            _Route("meter_summary", dev + "/meter/summary/{target}", self._meter_summary),
            _Route(
                "meter_period",
                dev + "/meter/period/{target}",
                self._meter_period,
                {"minutely": "meter_minutely"},
            ),
            _Route("inverter_summary", dev + "/inverter/summary/{target}", self._inverter_summary),
            _Route(
                "inverter_energy",
                dev + "/inverter/energy/{target}",
                self._inverter_energy,
                {"minutely": "inverter_minutely"},
            ),
            _Route(
                "batch_energy",
                dev + "/inverter/batch/energy/{target}",
                self._batch,
                {"power": "batch_power"},
            ),
        ]

    def _handler(
        self, route: _Route, prefix: str
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            return await self._handle(request, route, prefix)

        return handler

    def _take_fault(self, endpoint: str, date_range: str | None = None) -> Fault | None:
        for armed in self._faults:
            if armed.fault.matches(endpoint, date_range):
                if armed.remaining is not None:
                    armed.remaining -= 1
                    if armed.remaining <= 0:
                        self._faults.remove(armed)
                return armed.fault
        return None

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake up when the simulator stops."""
        try:
            async with asyncio.timeout(seconds):
                await self._stopping.wait()
        except TimeoutError:
            pass

    def _stall(self, change: int) -> None:
        self.stalled += change
        self.stall_changed.set()

    async def _handle(self, request: web.Request, route: _Route, prefix: str) -> web.StreamResponse:
        query = dict(request.query)
        endpoint = route.levels.get(query.get("energy_level", ""), route.name)
        now = self.now()
        record = CallRecord(endpoint, request.path, query, now)
        record.signature = request.headers.get("X-CA-Signature")
        self.calls.append(record)
        served = not route.storage or prefix in self.storage_prefixes
        if not served and self.storage_404:
            record.status = 404  # no such path on this server: no fault, no envelope
            response: web.StreamResponse = web.Response(
                status=404, text=HTML_ERROR_PAGE.format(status=404), content_type="text/html"
            )
        else:
            record.fault = self._take_fault(endpoint, query.get("date_range"))
            response = await self._respond(request, route, record, query, now, served=served)
        # The server's clock, as a real server sends it (a host clock that is off, the
        # clock_skew fault, is ahead of it): what a client compares its clock with on 4000.
        skew = record.fault.clock_skew if record.fault is not None else None
        server_now = now - timedelta(seconds=skew or 0.0)
        response.headers["Date"] = format_datetime(server_now.astimezone(UTC), usegmt=True)
        return response

    async def _respond(
        self,
        request: web.Request,
        route: _Route,
        record: CallRecord,
        query: dict[str, str],
        now: datetime,
        *,
        served: bool = True,
    ) -> web.StreamResponse:
        fault = record.fault
        if fault is not None:
            if fault.drop:
                record.status = 0
                if request.transport is not None:
                    request.transport.close()
                raise asyncio.CancelledError  # the connection is gone: no answer at all
            if fault.delay:
                self._stall(+1)
                try:
                    await self._sleep(fault.delay)
                finally:
                    self._stall(-1)
            if fault.http_status is not None:
                record.status = fault.http_status
                return web.Response(
                    status=fault.http_status,
                    text=HTML_ERROR_PAGE.format(status=fault.http_status),
                    content_type="text/html",
                )
            if fault.invalid_json:
                return web.Response(body=INVALID_JSON, content_type="application/json")
            if fault.code is not None:
                return self._answer(record, fault.code, None)
        try:
            skew = fault.clock_skew if fault is not None and fault.clock_skew else 0.0
            self._authenticate(request, now - timedelta(seconds=skew))
            self._check_quota()
            self._check_served(served)
            info = self._request(request, query, now)
            data = self.build(record.endpoint, route, info)
        except ApiError as err:
            return self._answer(record, err.code, None)
        if fault is not None and fault.shapes:
            data = reshape(fault, data)
        return self._answer(
            record, CODE_OK, data, octet_stream=fault is not None and fault.octet_stream
        )

    def build(self, endpoint: str, route: _Route, info: _Request) -> Json:
        """The answer's ``data`` for a request (the quirks applied)."""
        data = route.build(info)
        if not self.quirks:
            return data
        asked = self._asked(endpoint, info)
        code = refusal(self.quirks, asked)
        if code is not None:
            raise ApiError(code)
        return apply(self.quirks, asked, data)

    def _asked(self, endpoint: str, info: _Request) -> Asked:
        """What the quirks need to know of a request (its date already checked)."""
        level = info.query.get("energy_level") or None
        day = None
        if level is not None:
            try:
                day = self._date(info, "hourly" if level in ("power", "energy") else level)
            except ApiError:  # an endpoint without dates, sent a level anyway
                day = None
        return Asked(
            endpoint,
            level,
            day,
            info.today,
            self.site.seed,
            self.site.authorization_code,
            lambda: self._sampled(level, day, info.now),
        )

    def _sampled(self, level: str | None, day: date | None, now: datetime) -> bool:
        """Whether the period a request asks for (a day; the month of ``daily``, the year of
        ``monthly``, the system's life for ``yearly``) holds a production sample uploaded by
        ``now``: some day of it has a 5-minute point in the minutely window."""
        if day is None:
            return True
        first, last = day, day
        if level == "daily":
            last = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        elif level == "monthly":
            last = day.replace(month=12, day=31)
        elif level == "yearly":
            first = self.site.create_date
        first = max(first, self.site.create_date)
        last = min(last, self.truth.today(now))
        while first <= last:
            if self.truth.window(first, now):
                return True
            first += timedelta(days=1)
        return False

    @staticmethod
    def _answer(
        record: CallRecord, code: int, data: Json, *, octet_stream: bool = False
    ) -> web.Response:
        record.code = code
        body = json.dumps({"data": data, "code": code}, separators=(",", ":")).encode()
        if octet_stream:
            return web.Response(body=body, content_type="application/octet-stream")
        return web.Response(body=body, content_type="application/json", charset="utf-8")

    def _authenticate(self, request: web.Request, now: datetime) -> None:
        """Manual §2.2; raises ApiError(4000 / 2001)."""
        values = [request.headers.get(name, "") for name in AUTH_HEADERS]
        if not all(values):
            raise ApiError(CODE_PARAMETER)
        app_id, timestamp, nonce, method, signature = values
        if app_id != self.app_id:
            raise ApiError(CODE_INVALID_ACCOUNT)
        if method not in DIGESTS or not timestamp.isdigit():
            raise ApiError(CODE_PARAMETER)
        if self.max_skew is not None:
            sent = datetime.fromtimestamp(int(timestamp) / 1000, UTC)
            if abs(sent - now) > self.max_skew:
                raise ApiError(CODE_PARAMETER)
        last = request.path.rstrip("/").rsplit("/", 1)[-1]
        message = "/".join((timestamp, nonce, app_id, last, request.method.upper(), method))
        if not hmac.compare_digest(sign(self.app_secret, message, method), signature):
            raise ApiError(CODE_PARAMETER)

    def _check_served(self, served: bool) -> None:
        """A storage endpoint on a prefix not served answers ``storage_refusal`` (4001 by
        default; after auth and quota)."""
        if not served:
            raise ApiError(self.storage_refusal)

    def _check_quota(self) -> None:
        if self.calls_this_month() > self.quota:
            raise ApiError(CODE_QUOTA)

    def _request(self, request: web.Request, query: dict[str, str], now: datetime) -> _Request:
        sid = request.match_info.get("sid", request.match_info["target"])
        if sid != self.site.sid:
            raise ApiError(CODE_INVALID_PARAMETER)
        return _Request(sid, request.match_info["target"], query, now, self.truth.today(now))

    # ---------------------------------------------------------------- parameters
    @staticmethod
    def _level(req: _Request, allowed: tuple[str, ...]) -> str:
        level = req.query.get("energy_level")
        if not level:
            raise ApiError(CODE_PARAMETER)
        if level not in allowed:
            raise ApiError(CODE_INVALID_PARAMETER)
        return level

    @staticmethod
    def _date(req: _Request, level: str) -> date:
        """Parse ``date_range`` for ``level``; reject malformed and future values."""
        if level == "yearly":
            return req.today
        value = req.query.get("date_range")
        if not value:
            raise ApiError(CODE_PARAMETER)
        day = _parse_range(level, value)
        today = req.today
        if level == "daily":
            future = (day.year, day.month) > (today.year, today.month)
        elif level == "monthly":
            future = day.year > today.year
        else:
            future = day > today
        if future:
            raise ApiError(CODE_INVALID_PARAMETER)
        return day

    def _ecu(self, req: _Request) -> str:
        """A producing ECU's eid, or a storage ECU's (an ECU without inverters: zeros)."""
        if self.site.ecu(req.target) is None and self.site.storage(req.target) is None:
            raise ApiError(CODE_INVALID_PARAMETER)
        return req.target

    # ---------------------------------------------------------------- system
    def _details(self, req: _Request) -> Json:
        site = self.site
        details: dict[str, Any] = {
            "sid": site.sid,
            "create_date": site.create_date.isoformat(),
            "capacity": f"{site.declared_kw or site.capacity_kw:.2f}",
            "type": site.system_type,
            "timezone": site.timezone,
            "ecu": site.listed_ecus,
            "light": self.light(req.now),
        }
        if site.authorization_code is not None:
            details["authorization_code"] = site.authorization_code
        return details

    def light(self, at: datetime | None = None) -> int:
        """The details' status light at ``at`` (default now): 4 grey before the system's
        first upload, 3 red while an ECU is :attr:`offline`, 2 yellow while an inverter is
        :attr:`silent`, else 1 green."""
        at = self.now() if at is None else at
        if not self._uploaded(at):
            return LIGHT_GREY
        if self.offline:
            return LIGHT_RED
        if any(since <= at for since in self.silent.values()):
            return LIGHT_YELLOW
        return LIGHT_GREEN

    def _uploaded(self, at: datetime) -> bool:
        """Whether the system has uploaded anything by ``at`` (a storage ECU reports all
        day from its creation day's first slot on; inverters from their first light)."""
        site, truth = self.site, self.truth
        today = truth.today(at)
        if today != site.create_date:
            return today > site.create_date
        return bool(site.storages) or (bool(site.inverters) and bool(truth.window(today, at)))

    def _inverters(self, req: _Request) -> Json:
        tz = self.site.ecu_timezone or self.site.timezone
        ecus: list[dict[str, Any]] = [
            {
                "eid": ecu.eid,
                # An ECU with its meter activated may have inverters too (then it is listed once).
                "type": ECU_TYPE_METER if ecu.eid in self.site.meters else ECU_TYPE_PLAIN,
                "timezone": tz,
                "inverter": [
                    {"uid": inv.uid, "type": inv.model}
                    for inv in ecu.inverters
                    if inv.uid not in self.unlisted
                ],
                "model": None,
                "capacity": None,
            }
            for ecu in self.site.ecus
            if ecu.eid not in self.unlisted
        ]
        ecus += [
            {
                "eid": unit.eid,
                "type": ECU_TYPE_STORAGE,
                "timezone": tz,
                "inverter": [],
                "model": unit.model,
                "capacity": f"{unit.capacity_kwh:.2f}",
            }
            for unit in self.site.storages
            if unit.eid not in self.unlisted
        ]
        meters: list[dict[str, Any]] = [
            {
                "eid": eid,
                "type": ECU_TYPE_METER,
                "timezone": tz,
                "inverter": [],
                "model": None,
                "capacity": None,
            }
            for eid in self.site.meters
            if self.site.ecu(eid) is None
        ]
        return ecus + meters

    def _meters(self, req: _Request) -> Json:
        return [eid for eid in self.site.meters if eid not in self.unlisted]

    def _summary(self, req: _Request, eid: str | None = None) -> Json:
        totals = self.truth.summary(req.now, eid=eid) if eid else self.truth.summary(req.now)
        return {
            # As the real API: today with 5 decimals, the longer totals with 2 (on the 1st
            # the month can round below today).
            "today": fmt(totals.today, 5),
            "month": fmt(totals.month, 2),
            "year": fmt(totals.year, 2),
            "lifetime": fmt(totals.lifetime, 2),
        }

    def _system_summary(self, req: _Request) -> Json:
        return self._summary(req)

    def _period(self, req: _Request, levels: tuple[str, ...], eid: str | None = None) -> Json:
        level = self._level(req, levels)
        key = self._date(req, level)
        values = (
            self.truth.series(level, key, req.now, eid=eid)
            if eid
            else self.truth.series(level, key, req.now)
        )
        return fmt_series(values, 2, "0" if level == "hourly" else "0.00")

    def _system_energy(self, req: _Request) -> Json:
        return self._period(req, ("hourly", "daily", "monthly", "yearly"))

    # ---------------------------------------------------------------- ECU
    def _ecu_summary(self, req: _Request) -> Json:
        return self._summary(req, self._ecu(req))

    def _ecu_energy(self, req: _Request) -> Json:
        eid = self._ecu(req)
        levels = ("minutely", "hourly", "daily", "monthly", "yearly")
        if req.query.get("energy_level") != "minutely":
            return self._period(req, levels, eid)
        day = self._date(req, self._level(req, levels))
        window = self.truth.window(day, req.now)
        energy = self.truth.slot_energy(day, req.now, eid=eid)
        power = self.truth.slot_power(day, eid=eid)
        return {
            "today": fmt(sum(energy), 2),
            "time": [slot_label(i) for i in window],
            "power": [fmt(power[i], 2) for i in window],
            "energy": fmt_series([energy[i] for i in window], 5),
        }

    # ---------------------------------------------------------------- meter
    def _meter(self, req: _Request) -> str:
        if req.target not in self.site.meters:
            raise ApiError(CODE_INVALID_PARAMETER)
        return req.target

    @staticmethod
    def _meter_block(totals: MeterTotals, decimals: int = 6) -> dict[str, str]:
        return {k: fmt(v, decimals, f"{0:.{decimals}f}") for k, v in totals.as_dict().items()}

    def _meter_summary(self, req: _Request) -> Json:
        self._meter(req)
        return {k: self._meter_block(v) for k, v in self.truth.meter_summary(req.now).items()}

    def _meter_period(self, req: _Request) -> Json:
        self._meter(req)
        level = self._level(req, ("minutely", "hourly", "daily", "monthly", "yearly"))
        key = self._date(req, level)
        if level == "minutely":
            return self._meter_minutely(req, key)
        series = self.truth.meter_series(level, key, req.now)
        return self._period_table(level, series, ("produced", "consumed", "imported", "exported"))

    def _period_table(
        self, level: str, series: Sequence[object], keys: Iterable[str]
    ) -> dict[str, list[str]]:
        """A meter's or a battery's period list: the labels (the years, or "00".."23" hours,
        "01".. days and months) and each energy's values (3 decimals)."""
        if level == "yearly":
            labels = [str(self.site.create_date.year + i) for i in range(len(series))]
        else:
            first = 0 if level == "hourly" else 1
            labels = [f"{i + first:02d}" for i in range(len(series))]
        out: dict[str, list[str]] = {"time": labels}
        for name in keys:
            out[name] = fmt_series([getattr(t, name) for t in series], 3)
        return out

    def _meter_minutely(self, req: _Request, day: date) -> Json:
        upto = self.truth.slots_until(day, req.now)
        samples = self.truth.meter_samples(day)
        slots = range(upto)
        today = self.truth.meter_day(day, req.now)
        return {
            "today": self._meter_block(today),
            "time": [slot_label(i) for i in slots],
            "power": {
                "consumed": [fmt(samples.consumed_w[i], 2) for i in slots],
                "imported_exported": [
                    fmt(samples.consumed_w[i] - samples.produced_w[i], 2) for i in slots
                ],
                "produced": [fmt(samples.produced_w[i], 2, "0.00") for i in slots],
            },
            "energy": {
                name: fmt_series([getattr(samples, name)[i] for i in slots], 6, "0")
                for name in ("consumed", "exported", "imported", "produced")
            },
        }

    # ---------------------------------------------------------------- inverter
    def _inverter(self, req: _Request) -> int:
        inv = self.site.inverter(req.target)
        if inv is None:
            raise ApiError(CODE_INVALID_PARAMETER)
        return inv.channels

    def _inverter_summary(self, req: _Request) -> Json:
        uid = req.target
        out: dict[str, str] = {}
        for ch in range(1, self._inverter(req) + 1):
            totals = self.truth.summary(req.now, uid=uid, channel=ch)
            out[f"d{ch}"] = fmt(totals.today, 2)
            out[f"m{ch}"] = fmt(totals.month, 2)
            out[f"y{ch}"] = fmt(totals.year, 2)
            out[f"t{ch}"] = fmt(totals.lifetime, 2)
        return out

    def _inverter_energy(self, req: _Request) -> Json:
        uid = req.target
        channels = self._inverter(req)
        level = self._level(req, ("minutely", "hourly", "daily", "monthly", "yearly"))
        key = self._date(req, level)
        if level == "minutely":
            return self._inverter_minutely(req, uid, channels, key)
        return {
            f"e{ch}": fmt_series(
                self.truth.series(level, key, req.now, uid=uid, channel=ch),
                2,
                "0" if level == "hourly" else "0.00",
            )
            for ch in range(1, channels + 1)
        }

    def _inverter_minutely(self, req: _Request, uid: str, channels: int, day: date) -> Json:
        truth = self.truth
        window = truth.window(day, req.now)
        seed = sum(map(ord, uid))
        out: dict[str, list[str]] = {"t": [slot_label(i) for i in window]}
        total_power = [0.0] * len(window)
        powers: dict[int, list[float]] = {}
        for ch in range(1, channels + 1):
            power = truth.slot_power(day, uid=uid, channel=ch)
            powers[ch] = [power[i] for i in window]
            for n, p in enumerate(powers[ch]):
                total_power[n] += p
        for ch, values in powers.items():
            volts = [
                30.5 + 7.5 * min(1.0, p / 120) + (seed % 7) / 10 if p > 0 else 0.0 for p in values
            ]
            out[f"dc_p{ch}"] = [fmt(p, 1) for p in values]
            out[f"dc_i{ch}"] = [
                fmt(p / v if v else 0.0, 2) for p, v in zip(values, volts, strict=True)
            ]
            out[f"dc_v{ch}"] = [fmt(v, 1) for v in volts]
        for ch in powers:
            energy = truth.slot_energy(day, req.now, uid=uid, channel=ch)
            out[f"dc_e{ch}"] = fmt_series([energy[i] for i in window], 5)
        peak = sum(truth.scale(uid=uid, channel=ch) for ch in powers) or 1.0
        season = math.sin(2 * math.pi * (day.timetuple().tm_yday - 110) / 365)
        out["ac_v1"] = [fmt(231 + 4 * math.sin(i * 0.37 + seed), 1) for i in window]
        out["ac_t"] = [fmt(12 + 9 * season + 28 * p / peak, 0, "0") for p in total_power]
        out["ac_p1" if channels == 4 else "ac_p"] = [fmt(p * 0.965, 1) for p in total_power]
        out["ac_f"] = [fmt(50 + 0.03 * math.sin(i * 0.91 + seed), 2) for i in window]
        return out

    def _batch(self, req: _Request) -> Json:
        eid = self._ecu(req)
        level = self._level(req, ("power", "energy"))
        return self.batch_data(eid, self._date(req, "hourly"), req.now, level)

    def batch_data(self, eid: str, day: date, now: datetime, level: str) -> Json:
        """The batch endpoint's ``data`` for one ECU's inverters on ``day`` as of ``now``:
        every channel's day energy (``level`` "energy") or power curve ("power"). Also what
        the pure benchmarks feed the integration's parsers, without HTTP."""
        ecu = self.site.ecu(eid)
        inverters = ecu.inverters if ecu is not None else ()
        if level == "energy":
            energy: list[str] = []
            for inv in inverters:
                cut = self._silent_cut(inv.uid, day)
                if cut == 0:
                    continue  # silent all day: no entry
                for ch in range(1, inv.channels + 1):
                    if cut is None:
                        kwh = self.truth.day_energy(day, now, uid=inv.uid, channel=ch)
                    else:
                        kwh = sum(self.truth.slot_energy(day, now, uid=inv.uid, channel=ch)[:cut])
                    energy.append(f"{inv.uid}-{ch}-" + fmt(kwh, 2))
            return {"energy": energy}
        window = self.truth.window(day, now)
        power: dict[str, list[str | None]] = {}
        for inv in inverters:
            cut = self._silent_cut(inv.uid, day)
            if cut is not None and (not window or cut <= window[0]):
                continue  # silent over the whole window: no samples at all
            for ch in range(1, inv.channels + 1):
                values = self.truth.slot_power(day, uid=inv.uid, channel=ch)
                power[f"{inv.uid}-{ch}"] = [
                    fmt(values[i], 0) if cut is None or i < cut else None for i in window
                ]
        return {"time": [slot_label(i) for i in window], "power": power}

    def _silent_cut(self, uid: str, day: date) -> int | None:
        """How many of ``day``'s slots an inverter reported before it went :attr:`silent`
        (None: it reports all day)."""
        since = self.silent.get(uid)
        if since is None:
            return None
        local = self.truth.local_now(since)
        if local.date() > day:
            return None
        if local.date() < day:
            return 0
        minutes = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
        return math.ceil(minutes / SLOT_MINUTES)

    # ---------------------------------------------------------------- storage
    def _storage(self, req: _Request) -> Storage:
        unit = self.site.storage(req.target)
        if unit is None:
            raise ApiError(CODE_INVALID_PARAMETER)
        return unit

    @staticmethod
    def _storage_block(totals: StorageTotals, decimals: int = 3) -> dict[str, str]:
        return {k: fmt(v, decimals) for k, v in totals.as_dict().items()}

    def _storage_latest(self, req: _Request) -> Json:
        unit = self._storage(req)
        reading = self.truth.storage(unit.eid, req.now)
        if reading is None:
            raise ApiError(CODE_NO_DATA)
        powers = {k: fmt(v, 1) for k, v in reading.powers().items()}
        return {
            "mode": reading.mode,
            "soc": fmt(reading.soc, 0),
            "time": reading.at.strftime("%H:%M"),
            **powers,
        }

    def _storage_summary(self, req: _Request) -> Json:
        unit = self._storage(req)
        summary = self.truth.storage_summary(unit.eid, req.now)
        return {scope: self._storage_block(totals) for scope, totals in summary.items()}

    def _storage_period(self, req: _Request) -> Json:
        unit = self._storage(req)
        level = self._level(req, ("minutely", "hourly", "daily", "monthly", "yearly"))
        key = self._date(req, level)
        if level == "minutely":
            return self._storage_minutely(req, unit, key)
        series = self.truth.storage_series(unit.eid, level, key, req.now)
        return self._period_table(level, series, STORAGE_KEYS)

    def _storage_minutely(self, req: _Request, unit: Storage, day: date) -> Json:
        slots = range(self.truth.slots_until(day, req.now))
        result = self.truth.storage_day(unit.eid, day)
        return {
            "today": self._storage_block(result.totals(len(slots))),
            "time": [slot_label(i) for i in slots],
            "power": {
                name: [fmt(getattr(result, name)[i] / SLOT_KWH_PER_W, 1) for i in slots]
                for name in STORAGE_KEYS
            },
            "energy": {
                name: fmt_series([getattr(result, name)[i] for i in slots], 6)
                for name in STORAGE_KEYS
            },
        }


__all__ = [
    "BASE_PATH",
    "INSTALLER_PATH",
    "STORAGE_PREFIXES",
    "Account",
    "ApiError",
    "CallRecord",
    "Simulator",
    "fmt",
    "fmt_series",
    "sign",
]
