"""One exception hierarchy for everything the APsystems OpenAPI client can raise.

APsystemsError
├── APsystemsTransportError        the request did not get a usable HTTP answer
│   ├── APsystemsConnectionError   host unreachable, connection refused or reset, TLS failure
│   ├── APsystemsTimeoutError      no answer within the timeout
│   └── APsystemsHTTPError         an HTTP status other than 200 (e.g. a 500 HTML page)
├── APsystemsResponseError         HTTP 200 but not JSON, or JSON not in the documented shape
└── APsystemsApiError              the API answered with a non-zero ``code`` (Annex 4.1)
    ├── APsystemsServerError       5000, 6000 and codes the manual does not list
    │   └── APsystemsDataError     1000
    ├── APsystemsNoDataError       1001
    ├── APsystemsAuthError         2000-2004, 3000-3004
    ├── APsystemsLimitError        quota and throttling
    │   ├── APsystemsQuotaExceededError   2005: the monthly call limit is spent
    │   └── APsystemsRateLimitError       7000-7003: slow down and retry later
    └── APsystemsRequestError      4000-4001 (also what a bad signature gets)
        └── APsystemsClockError    4000 while the host's clock is off from the server's

Each class says once what its failure means to a caller that plans calls (:class:`Failure`):
the planner learns from ``error.failure``, never from codes.
"""

from datetime import timedelta
from enum import StrEnum
from typing import ClassVar


class Failure(StrEnum):
    """What a failed call means for whoever plans the calls (each error class says which)."""

    TRANSPORT = "transport"  # no usable HTTP answer: the service is out of reach
    BAD_ANSWER = "bad_answer"  # an answer that cannot be used (shape, or refused values)
    SERVER = "server"  # the API failed (5000, 6000, unknown codes)
    DATA = "data"  # 1000: a data exception concerning this request only
    NO_DATA = "no_data"  # 1001: an answer ("nothing there"), not a problem
    AUTH = "auth"  # the credentials were refused
    QUOTA = "quota"  # 2005: the monthly limit is spent
    THROTTLE = "throttle"  # 7000-7003: slow down
    BAD_REQUEST = "bad_request"  # 4000-4001: this request was refused
    CLOCK = "clock"  # 4000 with the host's clock off: every signed request fails until fixed


# Annex 4.1, Response Code Definition.
CODE_MESSAGES: dict[int, str] = {
    0: "Succeed to request.",
    1000: "Data exception.",
    1001: "No data.",
    2000: "Application account exception.",
    2001: "Invalid application account.",
    2002: "The application account is not authorized.",
    2003: "Application account authorization expires.",
    2004: "The application account has no permission.",
    2005: "The access limit of the application account was exceeded.",
    3000: "Access token exception.",
    3001: "Missing Access token.",
    3002: "Unable to verify Access token.",
    3003: "Access token timeout.",
    3004: "Refresh token timeout.",
    4000: "Request parameter exception.",
    4001: "Invalid request parameter.",
    5000: "Internal server exception.",
    6000: "Communication exception.",
    7000: "Server access restriction exception.",
    7001: "Server access limit exceeded.",
    7002: "Too many requests, please request later.",
    7003: "The system is busy, please request later.",
}


class APsystemsError(Exception):
    """Base class of every error the client raises.

    ``attempts`` is how many requests were sent: aiohttp sends a GET a second time when the
    server drops the connection (see :class:`APsystemsConnectionError`), and the API may
    have counted both toward the quota.
    """

    attempts: int = 1
    failure: ClassVar[Failure] = Failure.SERVER


class APsystemsTransportError(APsystemsError):
    """The request did not produce a usable HTTP answer."""

    failure = Failure.TRANSPORT


class APsystemsConnectionError(APsystemsTransportError):
    """The host could not be reached."""

    def __init__(self, message: str, *, attempts: int = 1) -> None:
        """Say what failed, and how many requests were sent."""
        super().__init__(message)
        self.attempts = attempts


class APsystemsTimeoutError(APsystemsTransportError):
    """The host did not answer in time."""


class APsystemsHTTPError(APsystemsTransportError):
    """The host answered with an HTTP status other than 200."""

    def __init__(self, status: int, reason: str | None = None) -> None:
        self.status = status
        super().__init__(f"HTTP {status} {reason or ''}".rstrip())


class APsystemsResponseError(APsystemsError):
    """The body is not JSON, or not in the shape the manual documents."""

    failure = Failure.BAD_ANSWER


class APsystemsApiError(APsystemsError):
    """The API answered with a non-zero response code."""

    def __init__(self, code: int, message: str | None = None) -> None:
        self.code = code
        self.message = message or CODE_MESSAGES.get(code, "Unknown response code.")
        super().__init__(f"APsystems API code {code}: {self.message}")


class APsystemsServerError(APsystemsApiError):
    """A server-side failure (1000, 5000, 6000, or a code the manual does not list)."""


class APsystemsDataError(APsystemsServerError):
    """Code 1000: a data exception, about this request only."""

    failure = Failure.DATA


class APsystemsNoDataError(APsystemsApiError):
    """Code 1001: there is no data for this request (yet)."""

    failure = Failure.NO_DATA


class APsystemsAuthError(APsystemsApiError):
    """The App ID / App Secret were refused or lack permission (2000-2004, 3000-3004)."""

    failure = Failure.AUTH


class APsystemsLimitError(APsystemsApiError):
    """A quota or throttling limit was hit."""


class APsystemsQuotaExceededError(APsystemsLimitError):
    """Code 2005: the account's monthly call limit is spent until the month resets."""

    failure = Failure.QUOTA


class APsystemsRateLimitError(APsystemsLimitError):
    """Codes 7000-7003: the server asks to slow down and try again later."""

    failure = Failure.THROTTLE


class APsystemsRequestError(APsystemsApiError):
    """Codes 4000-4001: the request was refused (bad parameter, signature or clock)."""

    failure = Failure.BAD_REQUEST


class APsystemsStorageRefusedError(APsystemsRequestError):
    """The storage endpoints (manual v1.7) were refused under both path prefixes (code 4001,
    HTTP 404, or 2002 / 2004 "not authorized" / "no permission"): this account may not read
    this battery, whatever its credentials' other rights. A refusal of this request only,
    never of the credentials."""

    def __init__(self, cause: APsystemsError) -> None:
        """Name the second refusal."""
        super().__init__(cause.code if isinstance(cause, APsystemsApiError) else 4001)
        self.args = (f"storage refused under both path prefixes: {cause}",)


class APsystemsClockError(APsystemsRequestError):
    """Code 4000 while this host's clock is off from the server's (its ``Date`` header) by
    more than ``CLOCK_TOLERANCE``: the signature's timestamp is refused, whatever the
    credentials. ``offset`` is this host's clock minus the server's."""

    failure = Failure.CLOCK

    def __init__(self, offset: timedelta) -> None:
        """Name the offset."""
        self.offset = offset
        super().__init__(4000)
        self.args = (f"{self.args[0]} (this host's clock is off by {describe_offset(offset)})",)


CLOCK_TOLERANCE = timedelta(minutes=2)


def describe_offset(offset: timedelta) -> str:
    """``+5 min 3 s`` (this host's clock ahead of the server's) or ``-40 s`` (behind)."""
    seconds = round(abs(offset.total_seconds()))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    parts.append(f"{seconds} s" if seconds or not (hours or minutes) else "")
    return ("+" if offset >= timedelta(0) else "-") + " ".join(p for p in parts if p)


_CODE_CLASSES: tuple[tuple[range, type[APsystemsApiError]], ...] = (
    (range(1000, 1001), APsystemsDataError),
    (range(1001, 1002), APsystemsNoDataError),
    (range(2005, 2006), APsystemsQuotaExceededError),
    (range(2000, 2005), APsystemsAuthError),
    (range(3000, 3005), APsystemsAuthError),
    (range(4000, 4002), APsystemsRequestError),
    (range(7000, 7004), APsystemsRateLimitError),
)


def error_for_code(code: int) -> APsystemsApiError:
    """Return the exception that represents a non-zero API response code."""
    for codes, cls in _CODE_CLASSES:
        if code in codes:
            return cls(code)
    return APsystemsServerError(code)
