"""The command line's ``record``: one answer of each endpoint kind of an account, as received,
written as a fixture folder (``answers.json``, see :mod:`.answers`, and a README.md stub).

The system's lists come first (details, inverters, meters): they give the targets, the first
ECU with inverters, its first inverter, the first meter and the first storage ECU, and the
system's timezone (its today's date for the dated endpoints, at the hourly and minutely
levels). A failed call is recorded as its API code; a call that got no answer is only named.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
import json
from pathlib import Path
from typing import Any

from .answers import POINTS, LastAnswers, alias_text, aliases, redacted_block
from .client import APsystemsClient, Endpoint, system_today
from .errors import (
    APsystemsApiError,
    APsystemsAuthError,
    APsystemsError,
    APsystemsLimitError,
    APsystemsResponseError,
    APsystemsStorageRefusedError,
)
from .models import EcuInfo, EnergyLevel, SystemDetails

ANSWERS_FILE = "answers.json"
README_FILE = "README.md"
MAX_CALLS = 21
"""At most this many requests: one per endpoint kind (20), and one more when the server
refuses the storage endpoints' ``/installer/`` prefix."""
ANNOUNCEMENT = (
    f"record asks the API once for each kind of answer: at most {MAX_CALLS} calls of the "
    "App ID's monthly quota (3 for the system's lists, 2 for the system, 5 for its first ECU, "
    "3 for its first inverter, 3 for its first meter, 4 for its first battery, and 1 more when "
    "the server refuses the battery's /installer/ path); 13 for a system of inverters only, "
    "16 with a meter."
)
STORAGE_CALLS = frozenset(
    {
        Endpoint.STORAGE_LATEST,
        Endpoint.STORAGE_SUMMARY,
        Endpoint.STORAGE_PERIOD,
        Endpoint.STORAGE_MINUTELY,
    }
)


@dataclass(slots=True)
class Recording:
    """What ``record`` got: the answers (last per kind) and a line per endpoint kind asked."""

    answers: LastAnswers
    outcomes: dict[Endpoint, str] = field(default_factory=dict)
    """Endpoint kind -> ``ok``, ``code N``, ``unreadable …``, ``no answer …`` or ``skipped …``."""
    timezone: str = "UTC"
    day: date | None = None
    calls: int = 0


@dataclass(slots=True)
class _Targets:
    ecu: str | None = None
    inverter: str | None = None
    meter: str | None = None
    storage: str | None = None


class _Recorder:
    def __init__(self, client: APsystemsClient, recording: Recording) -> None:
        self.client = client
        self.recording = recording

    async def ask(self, endpoint: Endpoint, call: Callable[[], Awaitable[Any]]) -> Any:
        """One call; its outcome is noted. Refused credentials or a spent quota end the
        recording; a call the announced budget cannot pay is skipped."""
        client, outcomes = self.client, self.recording.outcomes
        storage = endpoint in STORAGE_CALLS
        cost = 2 if storage and client.storage_prefix is None else 1
        if client.requests + cost > MAX_CALLS:
            outcomes[endpoint] = "skipped: the announced calls are spent"
            return None
        refused = [k for k, v in outcomes.items() if v.startswith("refused")]
        if storage and refused:
            outcomes[endpoint] = "skipped: the storage endpoints were refused"
            return None
        try:
            result = await call()
        except APsystemsAuthError, APsystemsLimitError:
            raise
        except APsystemsStorageRefusedError as err:
            outcomes[endpoint] = f"refused under both path prefixes (code {err.code})"
        except APsystemsApiError as err:
            outcomes[endpoint] = f"code {err.code} ({err.message})"
        except APsystemsResponseError as err:
            outcomes[endpoint] = f"unreadable by this version: {err}"
        except APsystemsError as err:
            outcomes[endpoint] = f"no answer: {err}"
        else:
            outcomes[endpoint] = "ok"
            return result
        finally:
            # Whichever prefix answered a storage call answers the next ones: one call each.
            kept = self.recording.answers.answers.get(endpoint)
            if storage and client.storage_prefix is None and kept is not None:
                client.storage_prefix = kept.prefix
        return None


async def record(
    client: APsystemsClient, timezone: str | None = None, points: int = POINTS
) -> Recording:
    """Ask for one answer of each endpoint kind (see the module); the client's ``on_answer``
    must be unset (the recording sets it). ``timezone`` overrides the details' one; the
    day's lists keep their newest ``points``."""
    recording = Recording(LastAnswers(points=points))
    client.on_answer = recording.answers.keep
    ask = _Recorder(client, recording).ask
    start = client.requests
    details: SystemDetails | None = await ask(Endpoint.DETAILS, client.get_system_details)
    ecus: tuple[EcuInfo, ...] = await ask(Endpoint.INVERTERS, client.get_inverters) or ()
    meters: tuple[str, ...] = await ask(Endpoint.METERS, client.get_meters) or ()
    targets = _targets(details, ecus, meters)
    recording.timezone = timezone or (details.timezone if details else "UTC")
    day = recording.day = system_today(recording.timezone)
    hourly = EnergyLevel.HOURLY
    await ask(Endpoint.SYSTEM_SUMMARY, client.get_system_summary)
    await ask(Endpoint.SYSTEM_ENERGY, lambda: client.get_system_energy(hourly, day))
    if (eid := targets.ecu) is not None:
        await ask(Endpoint.ECU_SUMMARY, lambda: client.get_ecu_summary(eid))
        await ask(Endpoint.ECU_ENERGY, lambda: client.get_ecu_energy(eid, hourly, day))
        await ask(Endpoint.ECU_MINUTELY, lambda: client.get_ecu_minutely(eid, day))
        await ask(Endpoint.BATCH_POWER, lambda: client.get_batch_power(eid, day))
        await ask(Endpoint.BATCH_ENERGY, lambda: client.get_batch_energy(eid, day))
    if (uid := targets.inverter) is not None:
        await ask(Endpoint.INVERTER_SUMMARY, lambda: client.get_inverter_summary(uid))
        await ask(Endpoint.INVERTER_ENERGY, lambda: client.get_inverter_energy(uid, hourly, day))
        await ask(Endpoint.INVERTER_MINUTELY, lambda: client.get_inverter_minutely(uid, day))
    if (meter := targets.meter) is not None:
        await ask(Endpoint.METER_SUMMARY, lambda: client.get_meter_summary(meter))
        await ask(Endpoint.METER_PERIOD, lambda: client.get_meter_energy(meter, hourly, day))
        await ask(Endpoint.METER_MINUTELY, lambda: client.get_meter_minutely(meter, day))
    if (battery := targets.storage) is not None:
        await ask(Endpoint.STORAGE_LATEST, lambda: client.get_storage_latest(battery))
        await ask(Endpoint.STORAGE_SUMMARY, lambda: client.get_storage_summary(battery))
        await ask(Endpoint.STORAGE_PERIOD, lambda: client.get_storage_energy(battery, hourly, day))
        await ask(Endpoint.STORAGE_MINUTELY, lambda: client.get_storage_minutely(battery, day))
    recording.calls = client.requests - start
    return recording


def _targets(
    details: SystemDetails | None, ecus: tuple[EcuInfo, ...], meters: tuple[str, ...]
) -> _Targets:
    """The first ECU with inverters (else the details' first ECU), its first inverter, the
    first meter and the first storage ECU."""
    producing = [e for e in ecus if e.inverters and not e.is_storage]
    storage = [e.eid for e in ecus if e.is_storage]
    listed = [eid for eid in (details.ecus if details else ()) if eid not in storage]
    return _Targets(
        ecu=producing[0].eid if producing else next(iter(listed), None),
        inverter=producing[0].inverters[0].uid if producing else None,
        meter=next(iter(meters), None),
        storage=next(iter(storage), None),
    )


def write(
    recording: Recording, out: Path, *, sid: str, secrets: tuple[str, ...]
) -> tuple[dict[str, Any], list[str]]:
    """Write the fixture folder (``answers.json`` and README.md, no serial and no secret in
    either); return the block and the lines to print, serials aliased."""
    kept = recording.answers.answers.values()
    ids = aliases(sid, answers=kept)
    block = redacted_block(kept, ids, secrets, points=recording.answers.points)
    lines = [f"{name}: {alias_text(outcome, ids)}" for name, outcome in _outcomes(recording)]
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(block, indent=2, ensure_ascii=False) + "\n"
    (out / ANSWERS_FILE).write_text(text, encoding="utf-8")
    (out / README_FILE).write_text(_readme(recording, out.name, lines), encoding="utf-8")
    return block, lines


def _outcomes(recording: Recording) -> list[tuple[Endpoint, str]]:
    return [(e, recording.outcomes[e]) for e in Endpoint if e in recording.outcomes]


def _readme(recording: Recording, name: str, lines: list[str]) -> str:
    taken = datetime.now(UTC).replace(microsecond=0).isoformat()
    outcomes = "\n".join(f"- {line}" for line in lines)
    return f"""# {name}

Recorded with `python -m custom_components.apsystems_ema.openapi record` at {taken}
({recording.calls} API calls; the system's timezone {recording.timezone}, its day
{recording.day}). `answers.json` is an answers block as the diagnostics show it: serials
aliased (`sid`, `ecu_1`, `inverter_1`, `meter_1`, `battery_1`), no App ID, App Secret, SID or
authorization code.

Where the shape comes from: a real account (say which ECU and inverter models, the country,
and what looked wrong).

What each endpoint kind answered:

{outcomes}
"""
