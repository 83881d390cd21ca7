"""The simulator replaying recorded answers: an answers block (a diagnostics file's
``answers``, a fixture folder's ``answers.json``, the CLI's ``record``) served over HTTP.

    sim = ReplaySimulator(json.loads(Path("tests/fixtures/accounts/x/answers.json").read_text()))
    async with sim:  # signatures checked, calls counted, quota kept, like the simulator
        ...          # sim.sid is the block's (aliased) SID: "sid"

A request is answered with the recorded answer of its endpoint kind when its target and its
query parameters are the recorded ones (an error answer with its code); anything else answers
1001 "no data", as the API does for what it has nothing of. Storage endpoints are served only
under the prefix the recorded storage answers came from (both without one).
"""

from collections.abc import Mapping
import copy
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from custom_components.apsystems_ema.openapi.answers import (
    REDACTED,
    RawAnswer,
    block_instant,
    decode_block,
)

from .app import (
    CODE_NO_DATA,
    STORAGE_PREFIXES,
    ApiError,
    Json,
    Simulator,
    _Request,
    _Route,
)
from .site import Site

#: Where a replayed site is when its block says nothing (the demo's latitude; the longitude
#: of its timezone's offset, so its sun is up around its noon).
DEFAULT_LATITUDE = 51.5


class ReplaySimulator(Simulator):
    """A :class:`Simulator` whose every answer is a recorded one (see the module)."""

    def __init__(self, block: Mapping[str, Any], **kwargs: Any) -> None:
        """Serve ``block``; ``kwargs`` go to :class:`Simulator` (credentials, clock, …).

        The site (SID, timezone, creation date, visitor code) is read from the recorded
        details; ``latitude`` and ``longitude`` in the block place it (the timezone's offset
        otherwise).
        """
        self.answers: dict[str, RawAnswer] = {str(k): v for k, v in decode_block(block).items()}
        self.instant = block_instant(block) or datetime.now(UTC)
        """The recorded instant: the block's ``now``, or its newest answer's."""
        prefixes = {a.prefix for a in self.answers.values() if a.endpoint.startswith("storage_")}
        served = {p for p in prefixes if p in STORAGE_PREFIXES}
        super().__init__(self._site(block), storage_prefixes=served or STORAGE_PREFIXES, **kwargs)

    def _site(self, block: Mapping[str, Any]) -> Site:
        details = self.answers.get("details")
        data: dict[str, Any] = {}
        if details is not None and details.ok and isinstance(details.data, dict):
            data = details.data
        sid = details.target if details is not None else "sid"
        timezone = str(data.get("timezone") or "UTC")
        try:
            zone = ZoneInfo(timezone)
        except ZoneInfoNotFoundError, ValueError:
            timezone, zone = "UTC", ZoneInfo("UTC")
        local = self.instant.astimezone(zone)
        offset = local.utcoffset() or timedelta(0)
        code = data.get("authorization_code")
        return Site(
            sid=sid,
            timezone=timezone,
            latitude=float(block.get("latitude", DEFAULT_LATITUDE)),
            longitude=float(block.get("longitude", offset.total_seconds() / 240)),
            create_date=local.date(),  # no truth is computed (none is served)
            ecus=(),
            # A recorded code is a secret no log may show (the tests' guard looks for it).
            authorization_code=code if isinstance(code, str) and code != REDACTED else None,
        )

    def build(self, endpoint: str, route: _Route, info: _Request) -> Json:
        """The recorded answer of the endpoint kind, for its target and parameters."""
        answer = self.answers.get(endpoint)
        if answer is None or answer.target != info.target or dict(answer.params) != info.query:
            raise ApiError(CODE_NO_DATA)
        if not answer.ok:
            raise ApiError(answer.code)
        return copy.deepcopy(answer.data)


__all__ = ["ReplaySimulator"]
