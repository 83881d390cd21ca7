"""Fault injection: make the next request(s) fail or answer oddly."""

from dataclasses import dataclass
import re
from typing import Any

#: Endpoint names, as in ``CallRecord.endpoint`` (the client's ``Endpoint`` values).
ENDPOINTS = frozenset(
    {
        "details",
        "inverters",
        "meters",
        "system_summary",
        "system_energy",
        "ecu_summary",
        "ecu_energy",
        "ecu_minutely",
        "meter_summary",
        "meter_period",
        "meter_minutely",
        "inverter_summary",
        "inverter_energy",
        "inverter_minutely",
        "batch_power",
        "batch_energy",
        "storage_latest",
        "storage_summary",
        "storage_period",
        "storage_minutely",
    }
)

#: Short aliases accepted by ``Fault(endpoint=...)``.
ALIASES = {"summary": "system_summary", "energy": "system_energy"}

HTML_ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>{status} Error</title></head>"
    "<body><h1>HTTP Status {status}</h1><hr><p>Apache Tomcat</p></body></html>"
)
INVALID_JSON = b'{"code":0,"data":'

_TIME_KEYS = ("time", "t")
#: Keys whose values are identifiers or labels, never scaled.
_ID_KEYS = frozenset(
    {"sid", "eid", "uid", "ecu", "type", "timezone", "create_date", "mode", *_TIME_KEYS}
)
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_BATCH_ENTRY = re.compile(r"^(.+-[0-9]+-)(-?[0-9]+(\.[0-9]+)?)$")


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault. Set one kind (several combine in the order listed).

    ``endpoint``: an endpoint name from :data:`ENDPOINTS` (or "summary" / "energy" for the
    system ones), or None for any. ``times``: how many matching requests it applies to
    (None = until cleared). Faulted requests still count toward the quota.

    Kinds: ``delay`` seconds before answering normally; ``http_status`` answers that
    status with an HTML page; ``invalid_json`` answers a cut JSON body; ``code`` answers
    ``{"code": code, "data": null}``; then shaping of a normal answer: ``octet_stream``
    (Content-Type application/octet-stream), ``truncate`` (every list cut to half),
    ``mismatch`` (value lists two shorter than the time list; plain lists one shorter),
    ``nulls`` (``data`` null, or its nested blocks null when it has some), ``scale``
    (every number multiplied: -1 negative, 0 zero, 1e6 absurd; identifiers, times and
    labels are left alone).

    Host faults: ``clock_skew`` seconds added to the request's X-CA-Timestamp as the server
    checks it (a host clock that is off: past the simulator's ``max_skew`` the real signature
    check answers 4000); ``drop`` closes the connection without any answer.
    """

    endpoint: str | None = None
    date_range: str | None = None  # only requests for this ``date_range`` (None: any)
    times: int | None = 1
    code: int | None = None
    delay: float | None = None
    http_status: int | None = None
    invalid_json: bool = False
    octet_stream: bool = False
    truncate: bool = False
    mismatch: bool = False
    nulls: bool = False
    scale: float | None = None
    clock_skew: float | None = None
    drop: bool = False

    def __post_init__(self) -> None:
        """Normalise aliases and reject unknown endpoint names."""
        if self.endpoint is not None:
            name = ALIASES.get(self.endpoint, self.endpoint)
            if name not in ENDPOINTS:
                raise ValueError(f"unknown endpoint {self.endpoint!r}; one of {sorted(ENDPOINTS)}")
            object.__setattr__(self, "endpoint", name)
        if self.times is not None and self.times < 1:
            raise ValueError("times must be >= 1 or None")

    def matches(self, endpoint: str, date_range: str | None = None) -> bool:
        """Whether the fault applies to a request of this endpoint (and date range)."""
        if self.date_range is not None and self.date_range != date_range:
            return False
        return self.endpoint is None or self.endpoint == endpoint

    @property
    def shapes(self) -> bool:
        """Whether the fault reshapes a normal answer."""
        return self.truncate or self.mismatch or self.nulls or self.scale is not None


def _cut(values: list[Any], count: int) -> list[Any]:
    return values[: max(0, len(values) - count)]


def _truncate(data: Any) -> Any:
    if isinstance(data, list):
        return data[: len(data) // 2]
    if isinstance(data, dict):
        return {k: _truncate(v) for k, v in data.items()}
    return data


def _mismatch(data: Any, top: bool = True) -> Any:
    if isinstance(data, list):
        return _cut(data, 1) if top else _cut(data, 2)
    if isinstance(data, dict):
        if top and not any(k in data for k in _TIME_KEYS):
            # e.g. inverter hourly {"e1": [...], "e2": [...]}: make the channels disagree
            keys = [k for k, v in data.items() if isinstance(v, list)]
            if not keys:
                return data
            return {k: _cut(v, 1) if k == keys[-1] else v for k, v in data.items()}
        return {k: v if k in _TIME_KEYS else _mismatch(v, top=False) for k, v in data.items()}
    return data


def _nulls(data: Any) -> Any:
    if isinstance(data, dict) and any(isinstance(v, dict) for v in data.values()):
        return {k: None if isinstance(v, dict) else v for k, v in data.items()}
    return None


def _scaled_number(text: str, factor: float) -> str:
    value = float(text) * factor
    decimals = len(text.partition(".")[2])
    return f"{value:.{decimals}f}" if decimals else str(round(value))


def _scale(data: Any, factor: float, key: str | None = None) -> Any:
    if key in _ID_KEYS:
        return data
    if isinstance(data, list):
        return [_scale(v, factor, key) for v in data]
    if isinstance(data, dict):
        return {k: _scale(v, factor, k) for k, v in data.items()}
    if isinstance(data, str):
        if _NUMBER.match(data) and not (data.isdigit() and len(data) >= 10):  # not a serial
            return _scaled_number(data, factor)
        if entry := _BATCH_ENTRY.match(data):  # batch energy "uid-channel-kWh"
            return entry.group(1) + _scaled_number(entry.group(2), factor)
    return data


def reshape(fault: Fault, data: Any) -> Any:
    """Apply the shaping kinds of ``fault`` to a successful answer's ``data``."""
    if fault.truncate:
        data = _truncate(data)
    if fault.mismatch:
        data = _mismatch(data)
    if fault.nulls:
        data = _nulls(data)
    if fault.scale is not None:
        data = _scale(data, fault.scale)
    return data
