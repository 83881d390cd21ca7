"""Raw answers: the ``data`` of the API's envelopes as received, kept small and with nothing
that identifies, for diagnostics, the command line's ``record`` and replay fixtures.

An *answers block* (what diagnostics show under ``"answers"``, and a fixture folder's
``answers.json``) holds the last answer of each endpoint kind (:class:`.client.Endpoint`)::

    {
      "version": 1,
      "points": 24,
      "endpoints": {
        "ecu_minutely": {
          "at": "2026-06-17T08:00:00+00:00",
          "target": "ecu_1",
          "params": {"energy_level": "minutely", "date_range": "2026-06-17"},
          "code": 0,
          "data": {"today": "20.17", "time": ["14:05", "..."], "power": [0, 12], "...": []},
          "counts": {"time": 223, "power": 223, "energy": 223}
        }
      }
    }

``at`` is when it was received (UTC), ``target`` the request's last path segment (the SID or
a device id), ``params`` its query, ``code`` 0 or the API's error code (``data`` then null),
``prefix`` (storage endpoints only) the path prefix that answered. ``data`` is the answer as
received, cut (:func:`trim`): in an object with a ``time`` or ``t`` list (a minutely or
period answer) every list keeps its newest ``points`` entries (:data:`POINTS`, 24, unless
the block says more, up to :data:`MAX_POINTS`: a whole day); any other list or object keeps
its first 64 entries, a text its first 256 characters; ``counts`` names what was cut
(dot-separated keys and list indexes, ``.`` for the data itself) with its original length.
Each record is at most :data:`MAX_ANSWER_BYTES` of JSON (16 KiB; times ``points`` / 24,
rounded up, for more points), cut harder until it fits, so a block of 24 points is at most
:data:`MAX_BLOCK_BYTES`. A fixture may add ``"now"`` (an ISO instant: the replay's clock;
otherwise the newest ``at``) and ``"latitude"`` / ``"longitude"`` (where the replay puts
the site).

Serials are replaced by aliases (:func:`aliases`: ``sid``, ``ecu_1``, ``inverter_1``,
``meter_1``, ``battery_1``, ``ecu_1_main`` for a shared ECU's main id), also inside batch keys
(``inverter_1-1``) and entries (``inverter_1-1-0.52``); the details' ``authorization_code``
and any text holding a given secret (App ID, App Secret) read ``**REDACTED**``.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
import json
import re
from typing import Any

from .client import API_PREFIX, Endpoint, RawAnswer

__all__ = [
    "BLOCK_VERSION",
    "MAX_ANSWER_BYTES",
    "MAX_BLOCK_BYTES",
    "MAX_POINTS",
    "POINTS",
    "REDACTED",
    "LastAnswers",
    "RawAnswer",
    "alias",
    "alias_text",
    "aliases",
    "answer_bytes",
    "block_instant",
    "decode",
    "decode_block",
    "encode",
    "encode_block",
    "redacted_block",
    "size",
    "trim",
    "without_secrets",
]

BLOCK_VERSION = 1
POINTS = 24
"""Entries kept of each list aligned with a ``time`` / ``t`` list (the newest), by default."""
MAX_POINTS = 288
"""The most a block may keep: a whole day of 5-minute points."""
WIDTHS = (64, 16, 4, 1)
"""Entries kept of any other list or object: 64, fewer while a record is too big."""
MAX_DEPTH = 8
"""Containers deeper than this are left out (real answers are three levels deep)."""
MAX_ANSWER_BYTES = 16 * 1024
"""The most one record of :data:`POINTS` points takes, as compact JSON (UTF-8)."""
MAX_BLOCK_BYTES = len(Endpoint) * MAX_ANSWER_BYTES + 1024
"""The most a block of :data:`POINTS` points takes: one record per endpoint kind, and its
header."""
REDACTED = "**REDACTED**"
SECRET_KEYS = frozenset({"authorization_code"})
"""Keys whose value is a secret wherever they appear (the details' visitor access code)."""
ALIGNED_BY = ("time", "t")
ROOT = "."
STORAGE_ENDPOINTS = frozenset(e for e in Endpoint if e.startswith("storage_"))
_ORDER = {endpoint: n for n, endpoint in enumerate(Endpoint)}
_SPLIT = re.compile(r"([-.:/\s])")
_SHORT = 64  # a target's and a parameter's most characters


# -- cutting ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Cut:
    points: int
    width: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def text(self) -> int:
        return max(4 * self.width, 16)

    def value(self, value: Any, path: str, depth: int, aligned: bool) -> Any:
        if isinstance(value, str):
            if len(value) > self.text:
                self.counts[path] = len(value)
                return value[: self.text]
            return value
        if not isinstance(value, dict | list):
            return value
        if depth >= MAX_DEPTH:
            self.counts[path] = len(value)
            return None
        if isinstance(value, dict):
            aligned = aligned or any(isinstance(value.get(key), list) for key in ALIGNED_BY)
            items = list(value.items())
            if len(items) > self.width:
                self.counts[path] = len(items)
                items = items[: self.width]
            return {
                str(k)[: self.text]: self.value(v, _join(path, str(k)), depth + 1, aligned)
                for k, v in items
            }
        # Cut harder, the aligned lists keep their share of the points (at least one).
        limit = max(1, self.points * self.width // WIDTHS[0]) if aligned else self.width
        if len(value) > limit:
            self.counts[path] = len(value)
            value = value[-limit:] if aligned else value[:limit]
        return [self.value(v, _join(path, str(n)), depth + 1, aligned) for n, v in enumerate(value)]


def _join(path: str, key: str) -> str:
    return key if path == ROOT else f"{path}.{key}"


def _trimmed(answer: RawAnswer, points: int, width: int) -> RawAnswer:
    cut = _Cut(points, width)
    data = cut.value(answer.data, ROOT, 0, False)
    before = list(answer.counts.items())[:width]
    return replace(
        answer,
        target=answer.target[:_SHORT],
        params={k[:_SHORT]: v[:_SHORT] for k, v in list(answer.params.items())[:8]},
        prefix=answer.prefix[:_SHORT],
        data=data,
        # What was cut before (a stored record cut again) keeps its original length.
        counts={**cut.counts, **{k[: 4 * _SHORT]: v for k, v in before}},
    )


def answer_bytes(points: int = POINTS) -> int:
    """The most a record of ``points`` points takes: 16 KiB per 24 points (rounded up)."""
    return MAX_ANSWER_BYTES * -(-points // POINTS)


def size(answer: RawAnswer) -> int:
    """A record's size: its compact JSON in UTF-8, in bytes."""
    text = json.dumps(encode(answer), separators=(",", ":"), ensure_ascii=False, default=str)
    return len(text.encode())


def trim(answer: RawAnswer, *, points: int = POINTS, max_bytes: int | None = None) -> RawAnswer:
    """The answer cut as the module says: lists aligned with ``time`` / ``t`` to their newest
    ``points``, other lists and objects to 64 entries, texts to 256 characters; then, while
    its record is over ``max_bytes`` (:func:`answer_bytes` of ``points``), to a quarter of
    that, a sixteenth, and one entry (which always fits)."""
    max_bytes = answer_bytes(points) if max_bytes is None else max_bytes
    candidate = _trimmed(answer, points, WIDTHS[0])
    for width in WIDTHS[1:]:
        if size(candidate) <= max_bytes:
            break
        candidate = _trimmed(answer, points, width)
    return candidate


# -- secrets and serials ---------------------------------------------------------------------


def without_secrets(answer: RawAnswer, secrets: Iterable[str] = ()) -> RawAnswer:
    """The answer with every ``authorization_code`` value, and any text that holds one of
    ``secrets`` (the App ID, the App Secret), replaced by ``**REDACTED**``."""
    hidden = tuple(s for s in secrets if s)

    def hide(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                hide(k): REDACTED if k in SECRET_KEYS and v is not None else hide(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [hide(v) for v in value]
        if isinstance(value, str) and any(s in value for s in hidden):
            return REDACTED
        return value

    return _rewritten(answer, hide)


@dataclass(slots=True)
class _Serials:
    """The serials the answers name, by kind, in the order first seen."""

    ecus: list[str]
    inverters: list[str]
    meters: list[str]
    storage: list[str]
    sids: list[str] = field(default_factory=list)
    shared: dict[str, str] = field(default_factory=dict)
    """Virtual ECU id -> the main user's id (details of a shared system, manual v1.8)."""

    def read(self, answer: RawAnswer) -> None:
        """Collect the serials of one answer (unaliased), whatever its shape."""
        data = answer.data
        endpoint = answer.endpoint
        if endpoint is Endpoint.DETAILS and isinstance(data, dict):
            self.sids += _strings([data.get("sid")])
            for listed in _strings(data.get("ecu")):
                main, _, virtual = listed.partition("-")
                if virtual and main:
                    self.shared[virtual] = main
                self.ecus.append(virtual or main)
        elif endpoint is Endpoint.INVERTERS and isinstance(data, list):
            for ecu in (e for e in data if isinstance(e, dict)):
                eids = _strings([ecu.get("eid")])
                self.ecus += eids
                if str(ecu.get("type")) == "2":
                    self.storage += eids
                under = ecu.get("inverter")
                inverters: list[Any] = under if isinstance(under, list) else []
                self.inverters += _strings([i.get("uid") for i in inverters if isinstance(i, dict)])
        elif endpoint is Endpoint.METERS:
            self.meters += _strings(data)
        elif endpoint is Endpoint.BATCH_POWER and isinstance(data, dict):
            power = data.get("power")
            keys = list(power) if isinstance(power, dict) else []
            self.inverters += [key.rpartition("-")[0] or key for key in keys]
        elif endpoint is Endpoint.BATCH_ENERGY and isinstance(data, dict):
            entries = _strings(data.get("energy"))
            self.inverters += [entry.split("-", 1)[0] for entry in entries]
        self._target(answer)

    def _target(self, answer: RawAnswer) -> None:
        kind = answer.endpoint.split("_", 1)[0]
        lists = {
            "ecu": self.ecus,
            "batch": self.ecus,
            "inverter": self.inverters,
            "meter": self.meters,
            "storage": self.storage,
        }
        lists.get(kind, self.sids).append(answer.target)


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def aliases(
    sid: str,
    *,
    ecus: Iterable[str] = (),
    inverters: Iterable[str] = (),
    meters: Iterable[str] = (),
    storage: Iterable[str] = (),
    answers: Iterable[RawAnswer] = (),
) -> dict[str, str]:
    """Serial -> alias, as diagnostics name them: ``sid``; ``ecu_N`` for the ECUs, then
    ``inverter_N``, ``meter_N`` (a meter ECU listed among the ECUs too is a meter) and
    ``battery_N`` for a storage ECU that is no ECU already; ``ecu_N_main`` for the main user's
    id of a shared ECU. The given lists come first (in their order), then what the
    ``answers`` name that they do not."""
    found = _Serials(list(ecus), list(inverters), list(meters), list(storage))
    for answer in answers:
        found.read(answer)
    ids = dict.fromkeys([sid, *found.sids], "sid")
    ids |= {eid: f"ecu_{n}" for n, eid in enumerate(_unique(found.ecus, ids), 1)}
    ids |= {uid: f"inverter_{n}" for n, uid in enumerate(_unique(found.inverters, ids), 1)}
    ids |= {eid: f"meter_{n}" for n, eid in enumerate(_unique(found.meters, {sid: ""}), 1)}
    batteries = _unique(found.storage, ids)
    ids |= {eid: f"battery_{n}" for n, eid in enumerate(batteries, 1)}
    for virtual, main in found.shared.items():
        ids.setdefault(main, f"{ids[virtual]}_main")
    return ids


def _unique(values: Iterable[str], known: Mapping[str, str]) -> list[str]:
    return [v for v in dict.fromkeys(values) if v not in known]


def alias_text(text: str, ids: Mapping[str, str]) -> str:
    """``text`` with every serial of ``ids`` replaced, as the whole text or as a part of it
    between ``-``, ``.``, ``:``, ``/`` or spaces (``806000001234-1-0.52``)."""
    if text in ids:
        return ids[text]
    return "".join(ids.get(part, part) for part in _SPLIT.split(text))


def alias(answer: RawAnswer, ids: Mapping[str, str]) -> RawAnswer:
    """The answer with every serial of ``ids`` replaced (:func:`alias_text`), in keys too."""

    def text(value: str) -> str:
        return alias_text(value, ids)

    def swap(value: Any) -> Any:
        if isinstance(value, dict):
            return {text(str(k)): swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return text(value) if isinstance(value, str) else value

    return _rewritten(answer, swap)


def _rewritten(answer: RawAnswer, rewrite: Callable[[Any], Any]) -> RawAnswer:
    """The answer with its target, parameters, data and counts passed through ``rewrite``."""
    return replace(
        answer,
        target=rewrite(answer.target),
        params=rewrite(dict(answer.params)),
        data=rewrite(answer.data),
        counts=rewrite(dict(answer.counts)),
    )


# -- the block -------------------------------------------------------------------------------


def encode(answer: RawAnswer) -> dict[str, Any]:
    """One record of a block."""
    record: dict[str, Any] = {
        "at": answer.at.isoformat() if answer.at is not None else None,
        "target": answer.target,
        "params": dict(answer.params),
        "code": answer.code,
    }
    if answer.endpoint in STORAGE_ENDPOINTS:
        record["prefix"] = answer.prefix
    record["data"] = answer.data
    if answer.counts:
        record["counts"] = dict(answer.counts)
    return record


def decode(endpoint: Endpoint, record: object) -> RawAnswer:
    """A block's record (see :func:`encode`); raises ``ValueError`` for one it cannot read.
    Only ``code`` (or ``data``) is needed: ``{"code": 1001}`` is an error answer."""
    if not isinstance(record, dict):
        raise _invalid(f"{endpoint}: not an object")
    at = record.get("at")
    target = record.get("target", "")
    params = record.get("params", {})
    code = record.get("code", 0)
    prefix = record.get("prefix", API_PREFIX)
    counts = record.get("counts", {})
    if not (at is None or isinstance(at, str)) or not isinstance(target, str):
        raise _invalid(f"{endpoint}: bad at or target")
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        raise _invalid(f"{endpoint}: bad params")
    if not isinstance(code, int) or isinstance(code, bool) or not isinstance(prefix, str):
        raise _invalid(f"{endpoint}: bad code or prefix")
    if not isinstance(counts, dict) or not all(_is_count(v) for v in counts.values()):
        raise _invalid(f"{endpoint}: bad counts")
    when = None if at is None else datetime.fromisoformat(at)
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return RawAnswer(
        endpoint,
        when,
        target,
        {str(k): v for k, v in params.items()},
        record.get("data"),
        code,
        prefix,
        {str(k): v for k, v in counts.items()},
    )


def _invalid(what: str) -> ValueError:
    """What an unreadable block raises (a stored file may be damaged: never a TypeError)."""
    return ValueError(f"unreadable answers block: {what}")


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def encode_block(
    answers: Iterable[RawAnswer], *, now: datetime | None = None, points: int = POINTS
) -> dict[str, Any]:
    """A block of records (cut to ``points``), one per endpoint kind (the last given wins),
    in the order of :class:`.client.Endpoint`; ``now`` is written as the replay's clock when
    given."""
    last = {answer.endpoint: answer for answer in answers}
    block: dict[str, Any] = {"version": BLOCK_VERSION, "points": points}
    if now is not None:
        block["now"] = now.isoformat()
    block["endpoints"] = {
        str(endpoint): encode(last[endpoint]) for endpoint in sorted(last, key=_ORDER.__getitem__)
    }
    return block


def decode_block(block: object) -> dict[Endpoint, RawAnswer]:
    """The records of a block, each cut again (:func:`trim`, to the block's ``points``); kinds
    this version does not know are left out. Raises ``ValueError`` for a block it cannot
    read."""
    if not isinstance(block, dict) or block.get("version") != BLOCK_VERSION:
        raise ValueError("not an answers block of a known version")
    records = block.get("endpoints")
    points = block.get("points", POINTS)
    if not isinstance(records, dict):
        raise _invalid("an answers block needs its endpoints")
    if not _is_count(points) or not 0 < points <= MAX_POINTS:
        raise _invalid(f"points must be 1 to {MAX_POINTS}")
    known = {str(e): e for e in Endpoint}
    return {
        known[name]: trim(decode(known[name], record), points=points)
        for name, record in records.items()
        if name in known
    }


def block_instant(block: Mapping[str, Any]) -> datetime | None:
    """A block's ``now``, or else its newest ``at`` (None without either)."""
    if isinstance(now := block.get("now"), str):
        return datetime.fromisoformat(now)
    instants = [a.at for a in decode_block(block).values() if a.at is not None]
    return max(instants, default=None)


def redacted_block(
    answers: Iterable[RawAnswer],
    ids: Mapping[str, str],
    secrets: Iterable[str] = (),
    *,
    now: datetime | None = None,
    points: int = POINTS,
) -> dict[str, Any]:
    """The block to show or write: secrets out, serials aliased (``ids``, see
    :func:`aliases`); ``points`` as the answers were cut."""
    shown = (alias(without_secrets(a, tuple(secrets)), ids) for a in answers)
    return encode_block(shown, now=now, points=points)


class LastAnswers:
    """The last answer of each endpoint kind, cut (:func:`trim`) and with the secrets out.

    An answer replaces the kept one of its kind unless it is an error and the kept one is
    not: a good shape says more than the latest "no data".
    """

    def __init__(self, secrets: Iterable[str] = (), points: int = POINTS) -> None:
        """Start empty; ``secrets`` (the App ID and App Secret) never stay in an answer, lists
        aligned with time keep their newest ``points``."""
        self._secrets = tuple(s for s in secrets if s)
        self.points = points
        self.answers: dict[Endpoint, RawAnswer] = {}
        self.changed = False
        """Whether an answer came since this was last set to False (by whoever saves)."""

    def keep(self, answer: RawAnswer) -> None:
        """Keep one answer (the client's ``on_answer`` hook)."""
        kept = self.answers.get(answer.endpoint)
        if not answer.ok and kept is not None and kept.ok:
            return
        self.answers[answer.endpoint] = trim(
            without_secrets(answer, self._secrets), points=self.points
        )
        self.changed = True

    def as_dict(self) -> dict[str, Any]:
        """The kept answers as a block, serials unaliased (for the entry's own file)."""
        return encode_block(self.answers.values(), points=self.points)

    def restore(self, block: object) -> None:
        """Take the answers of a stored block (:meth:`as_dict`); raises ``ValueError`` for a
        block it cannot read."""
        self.answers = decode_block(block)
        self.changed = False
