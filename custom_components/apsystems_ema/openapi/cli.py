"""Command line tool to try credentials and endpoints outside Home Assistant.

    python -m custom_components.apsystems_ema.openapi --app-id .. --app-secret .. --sid .. check

Credentials may also come from APSYSTEMS_APP_ID, APSYSTEMS_APP_SECRET and APSYSTEMS_SID.
Every command costs API calls (``check`` costs three, plus one per storage ECU; ``record`` up
to 21, after asking); the monthly quota is 1000.
"""

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
import dataclasses
from datetime import date, time
import json
import os
from pathlib import Path
import sys
from typing import Any

import aiohttp

from .answers import MAX_POINTS, POINTS
from .client import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, APsystemsClient, CallRecord, system_today
from .errors import (
    APsystemsApiError,
    APsystemsAuthError,
    APsystemsError,
    APsystemsLimitError,
    APsystemsQuotaExceededError,
    APsystemsRequestError,
    APsystemsTransportError,
)
from .models import EcuInfo, EnergyLevel, StatusLight, StorageLatest
from .record import ANNOUNCEMENT, ANSWERS_FILE, README_FILE, record, write
from .signing import SignatureMethod

# "python -m openapi" when run from the integration's folder (no Home Assistant needed).
PROG = f"python -m {__package__ or 'openapi'}"
PERIOD_LEVELS = [lvl.value for lvl in EnergyLevel if lvl is not EnergyLevel.MINUTELY]
ALL_LEVELS = [lvl.value for lvl in EnergyLevel]
SYSTEM_TYPES = {1: "PV system", 2: "storage system", 3: "PV & storage system"}
LIGHTS = {
    StatusLight.NORMAL: "normal",
    StatusLight.ALARM: "some inverters have alarms",
    StatusLight.ECU_OFFLINE: "the ECU's network has a problem",
    StatusLight.NO_DATA: "no data uploaded yet",
}
STORAGE_COMMANDS = ("storage-latest", "storage-summary", "storage-period")
REDACTED = "<redacted>"


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n", 1)[0])
    env = os.environ.get
    parser.add_argument("--app-id", default=env("APSYSTEMS_APP_ID"), help="App ID")
    parser.add_argument("--app-secret", default=env("APSYSTEMS_APP_SECRET"), help="App Secret")
    parser.add_argument("--sid", default=env("APSYSTEMS_SID"), help="System ID (SID)")
    parser.add_argument(
        "--base-url", default=env("APSYSTEMS_BASE_URL", DEFAULT_BASE_URL), help="API base URL"
    )
    parser.add_argument(
        "--timezone",
        default=env("APSYSTEMS_TIMEZONE"),
        help="system timezone for default dates (otherwise read from the API: one extra call)",
    )
    parser.add_argument(
        "--signature-method",
        choices=[m.value for m in SignatureMethod],
        default=SignatureMethod.HMAC_SHA256.value,
    )
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds")
    parser.add_argument("--json", action="store_true", help="print JSON")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str, *args: str) -> None:
        cmd = sub.add_parser(name, help=help_text)
        for arg in args:
            if arg in ("--eid", "--uid"):
                cmd.add_argument(arg, required=True)
            elif arg == "EID":  # the storage ECU's id, as EID or --eid
                cmd.add_argument("eid", nargs="?", metavar="EID", help="storage ECU id")
                cmd.add_argument("--eid", dest="eid_option", metavar="EID", help="same as EID")
            elif arg == "--level":
                cmd.add_argument(arg, choices=PERIOD_LEVELS, default="hourly")
            elif arg == "--any-level":
                cmd.add_argument("--level", choices=ALL_LEVELS, default="hourly")
            else:  # --date
                cmd.add_argument(
                    arg, type=date.fromisoformat, help="YYYY-MM-DD (default: system's today)"
                )

    command(
        "check",
        "details + inverters + summary (+ latest state per storage ECU): a readable report",
    )
    command("details", "system details")
    command("inverters", "ECUs and their inverters")
    command("meters", "meter ECU ids")
    command("summary", "system energy today / month / year / lifetime")
    command("energy", "system energy per hour, day, month or year", "--level", "--date")
    command("ecu-summary", "energy totals of one ECU", "--eid")
    command("ecu-energy", "energy of one ECU per period", "--eid", "--level", "--date")
    command("ecu-minutely", "5-minute power curve of one ECU", "--eid", "--date")
    command("meter-summary", "meter totals", "--eid")
    command("meter-energy", "meter energies per period", "--eid", "--level", "--date")
    command("meter-minutely", "meter power curves", "--eid", "--date")
    command("inverter-summary", "energy per channel of one inverter", "--uid")
    command("inverter-energy", "energy per channel per period", "--uid", "--level", "--date")
    command("inverter-minutely", "detail telemetry of one inverter", "--uid", "--date")
    command("batch-power", "power curves of all inverters under an ECU", "--eid", "--date")
    command("batch-energy", "day energy of all inverters under an ECU", "--eid", "--date")
    command("storage-latest", "latest state of charge, mode and powers of a storage ECU", "EID")
    command("storage-summary", "energy totals of a storage ECU", "EID")
    command(
        "storage-period",
        "storage energies per period, or the day's 5-minute curves (--level minutely)",
        "EID",
        "--any-level",
        "--date",
    )
    rec = sub.add_parser(
        "record",
        help="one answer of each endpoint kind, as received, written as a fixture folder "
        "(serials aliased, no secret): up to 21 calls, asked first",
    )
    rec.add_argument(
        "--out", default="apsystems-answers", help="folder to write (default: %(default)s)"
    )
    rec.add_argument("--yes", action="store_true", help="do not ask before spending the calls")
    rec.add_argument(
        "--points",
        type=points,
        default=POINTS,
        help="5-minute points kept of each of the day's lists, the newest (default: "
        f"%(default)s, as the diagnostics; {MAX_POINTS}: the whole day)",
    )
    return parser


def points(text: str) -> int:
    """``--points``: 1 to 288."""
    value = int(text)
    if not 0 < value <= MAX_POINTS:
        raise argparse.ArgumentTypeError(f"1 to {MAX_POINTS}")
    return value


def storage_eid(args: argparse.Namespace) -> str | None:
    """The storage ECU id given as EID or ``--eid``; ``None`` unless given exactly once."""
    given = [eid for eid in (args.eid, args.eid_option) if eid]
    return given[0] if len(given) == 1 else None


def to_jsonable(value: Any) -> Any:
    """Convert models (dataclasses, dates, times, mappings) to plain JSON values.

    A field the model keeps out of its repr (a secret, such as the details'
    ``authorization_code``) shows as ``<redacted>`` when set.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _field_value(getattr(value, f.name), shown=f.repr)
            for f in dataclasses.fields(value)
        }
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [to_jsonable(v) for v in value]
    if isinstance(value, date | time):
        return value.isoformat(timespec="minutes") if isinstance(value, time) else str(value)
    return value


def _field_value(value: Any, *, shown: bool) -> Any:
    if shown or value is None:
        return to_jsonable(value)
    return REDACTED


def render(value: Any, indent: str = "") -> list[str]:
    """A readable, line-per-field rendering of a model."""
    plain = to_jsonable(value)
    lines: list[str] = []
    if isinstance(plain, dict):
        for key, item in plain.items():
            if isinstance(item, dict | list) and item and not _is_flat(item):
                lines.append(f"{indent}{key}:")
                lines.extend(render(item, indent + "  "))
            else:
                lines.append(f"{indent}{key}: {_short(item)}")
    elif isinstance(plain, list) and not _is_flat(plain):
        for item in plain:
            lines.append(f"{indent}-")
            lines.extend(render(item, indent + "  "))
    else:
        lines.append(f"{indent}{_short(plain)}")
    return lines


def _is_flat(value: dict[str, Any] | list[Any]) -> bool:
    items = value.values() if isinstance(value, dict) else value
    return all(not isinstance(v, dict | list) for v in items)


def _short(value: Any) -> str:
    if isinstance(value, list):
        shown = ", ".join(str(v) for v in value[:8])
        more = f", … ({len(value)} values)" if len(value) > 8 else ""
        return f"[{shown}{more}]"
    return str(value)


async def _check(
    client: APsystemsClient, calls: list[CallRecord]
) -> tuple[dict[str, Any], list[str]]:
    details = await client.get_system_details()
    ecus = await client.get_inverters()
    summary = await client.get_system_summary()
    kind = SYSTEM_TYPES.get(details.type, f"type {details.type}")
    capacity = f"{details.capacity_kw:g} kW" if details.capacity_kw is not None else "? kW"
    lines = [
        f"System {details.sid}: {kind}, {capacity}, timezone {details.timezone}, "
        f"registered {details.create_date or 'unknown'}",
        f"Status light: {describe_light(details.light)}",
    ]
    storage: dict[str, Any] = {}
    for ecu in ecus:
        lines.append(f"  {ecu_label(ecu)}: {len(ecu.inverters)} inverter(s)")
        if ecu.eid in details.shared:
            lines.append(f"    shared: the main user's ECU is {details.shared[ecu.eid]}")
        if ecu.is_storage:
            line, storage[ecu.eid] = await _battery(client, ecu.eid)
            lines.append(f"    battery: {line}")
        lines.extend(
            f"    inverter {inv.uid} ({inv.type or 'unknown model'})" for inv in ecu.inverters
        )
    today = "not given" if summary.today is None else f"{summary.today:.2f} kWh"
    lines.append(
        f"Energy: today {today}, this month {summary.month:.2f} kWh, "
        f"this year {summary.year:.2f} kWh, lifetime {summary.lifetime:.2f} kWh"
    )
    lines.append(f"OK: the credentials work ({len(calls)} API calls used).")
    payload: dict[str, Any] = {"details": details, "inverters": ecus, "summary": summary}
    if storage:
        payload["storage"] = storage
    return to_jsonable(payload), lines


def describe_light(light: StatusLight | None) -> str:
    """The status light's name and meaning."""
    return "not reported" if light is None else f"{light.name} ({LIGHTS[light]})"


def ecu_label(ecu: EcuInfo) -> str:
    """What kind of ECU, its id, and for a storage ECU its battery's model and capacity."""
    if ecu.has_meter:
        return f"ECU with meter {ecu.eid}"
    if ecu.is_storage:
        capacity = f"{ecu.capacity:g} kWh" if ecu.capacity is not None else "? kWh"
        return f"ECU with storage {ecu.eid} ({ecu.model or 'unknown model'}, {capacity})"
    return f"ECU {ecu.eid}"


async def _battery(client: APsystemsClient, eid: str) -> tuple[str, Any]:
    """One storage ECU's latest state: a line and its JSON value. Refused credentials or an
    exhausted quota end the check; any other failure is reported on the line."""
    try:
        latest = await client.get_storage_latest(eid)
    except APsystemsAuthError, APsystemsLimitError:
        raise
    except APsystemsError as err:
        return describe(err, client.base_url), {"error": str(err)}
    return describe_battery(latest), to_jsonable(latest)


def describe_battery(latest: StorageLatest) -> str:
    """A storage ECU's latest state in one line."""
    soc = f"{latest.soc:g} %" if latest.soc is not None else "? %"
    at = f" at {latest.time:%H:%M}" if latest.time is not None else ""
    mode = f", mode {latest.mode}" if latest.mode is not None else ""
    powers = ", ".join(
        f"{key} {value:g} W"
        for key in ("charge", "discharge")
        if (value := latest.power(key)) is not None
    )
    return f"state of charge {soc}{at}{mode}" + (f", {powers}" if powers else "")


def make_client(
    args: argparse.Namespace,
    session: aiohttp.ClientSession,
    on_call: Callable[[CallRecord], None] | None = None,
) -> APsystemsClient:
    """The client of the command line's credentials and options."""
    return APsystemsClient(
        args.app_id,
        args.app_secret,
        args.sid,
        session=session,
        base_url=args.base_url,
        signature_method=SignatureMethod(args.signature_method),
        timeout=args.timeout,
        on_call=on_call,
    )


async def run(args: argparse.Namespace, session: aiohttp.ClientSession) -> tuple[Any, list[str]]:
    """Run one command; return its JSON value and its readable lines."""
    records: list[CallRecord] = []
    client = make_client(args, session, records.append)
    if args.command == "check":
        return await _check(client, records)

    async def day() -> date:
        if args.date is not None:
            return date.fromisoformat(str(args.date))
        timezone = args.timezone or (await client.get_system_details()).timezone
        return system_today(timezone)

    level = EnergyLevel(getattr(args, "level", "hourly"))
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "details": client.get_system_details,
        "inverters": client.get_inverters,
        "meters": client.get_meters,
        "summary": client.get_system_summary,
        "energy": lambda: _with_day(day, lambda d: client.get_system_energy(level, d)),
        "ecu-summary": lambda: client.get_ecu_summary(args.eid),
        "ecu-energy": lambda: _with_day(day, lambda d: client.get_ecu_energy(args.eid, level, d)),
        "ecu-minutely": lambda: _with_day(day, lambda d: client.get_ecu_minutely(args.eid, d)),
        "meter-summary": lambda: client.get_meter_summary(args.eid),
        "meter-energy": lambda: _with_day(
            day, lambda d: client.get_meter_energy(args.eid, level, d)
        ),
        "meter-minutely": lambda: _with_day(day, lambda d: client.get_meter_minutely(args.eid, d)),
        "inverter-summary": lambda: client.get_inverter_summary(args.uid),
        "inverter-energy": lambda: _with_day(
            day, lambda d: client.get_inverter_energy(args.uid, level, d)
        ),
        "inverter-minutely": lambda: _with_day(
            day, lambda d: client.get_inverter_minutely(args.uid, d)
        ),
        "batch-power": lambda: _with_day(day, lambda d: client.get_batch_power(args.eid, d)),
        "batch-energy": lambda: _with_day(day, lambda d: client.get_batch_energy(args.eid, d)),
        "storage-latest": lambda: client.get_storage_latest(str(storage_eid(args))),
        "storage-summary": lambda: client.get_storage_summary(str(storage_eid(args))),
        "storage-period": lambda: _with_day(day, lambda d: _storage_period(client, args, d)),
    }
    result = await calls[args.command]()
    return to_jsonable(result), render(result)


async def _storage_period(client: APsystemsClient, args: argparse.Namespace, day: date) -> Any:
    eid = str(storage_eid(args))
    level = EnergyLevel(args.level)
    if level is EnergyLevel.MINUTELY:
        return await client.get_storage_minutely(eid, day)
    return await client.get_storage_energy(eid, level, day)


async def _with_day[T](
    day: Callable[[], Awaitable[date]], call: Callable[[date], Awaitable[T]]
) -> T:
    return await call(await day())


def describe(err: APsystemsError, base_url: str) -> str:
    """One clear line for an error (never containing the secret)."""
    if isinstance(err, APsystemsAuthError):
        return f"the App ID / App Secret were refused ({err})"
    if isinstance(err, APsystemsQuotaExceededError):
        return f"the monthly API quota is used up; it resets on the 1st ({err})"
    if isinstance(err, APsystemsLimitError):
        return f"the API asks to slow down; try again later ({err})"
    if isinstance(err, APsystemsRequestError):
        return (
            f"the request was refused ({err}); usually a wrong App Secret, "
            "a wrong SID or ID, or a clock that is off by minutes"
        )
    if isinstance(err, APsystemsTransportError):
        return f"cannot get an answer from {base_url}: {err}"
    if isinstance(err, APsystemsApiError):
        return f"the API reported an error ({err})"
    return f"unexpected answer from {base_url}: {err}"


def confirmed(args: argparse.Namespace) -> int | None:
    """Say what ``record`` spends and ask on a terminal (unless ``--yes``): None to go on,
    else the exit status (2: no terminal to ask on, 1: declined)."""
    print(ANNOUNCEMENT, file=sys.stderr)
    if args.yes:
        return None
    if not sys.stdin.isatty():
        print("error: confirm on a terminal, or pass --yes", file=sys.stderr)
        return 2
    print("Spend them? [y/N] ", end="", file=sys.stderr, flush=True)
    if sys.stdin.readline().strip().lower() in ("y", "yes"):
        return None
    print("Nothing recorded.", file=sys.stderr)
    return 1


async def _record(args: argparse.Namespace) -> int:
    """``record``: ask, fetch one answer of each endpoint kind, write the fixture folder."""
    out = Path(args.out)
    if (out / ANSWERS_FILE).exists():
        print(f"error: {out / ANSWERS_FILE} exists; choose another --out", file=sys.stderr)
        return 2
    if (status := confirmed(args)) is not None:
        return status
    async with aiohttp.ClientSession() as session:
        try:
            recording = await record(make_client(args, session), args.timezone, args.points)
        except APsystemsError as err:
            print(f"error: {describe(err, args.base_url)}", file=sys.stderr)
            return 2
    block, lines = write(recording, out, sid=args.sid, secrets=(args.app_id, args.app_secret))
    if args.json:
        codes = {name: record["code"] for name, record in block["endpoints"].items()}
        print(json.dumps({"out": str(out), "calls": recording.calls, "codes": codes}, indent=2))
    else:
        files = f"{out / ANSWERS_FILE} and {out / README_FILE}"
        print("\n".join([*lines, f"Wrote {files} ({recording.calls} API calls used)."]))
    return 0


async def _main(args: argparse.Namespace) -> int:
    if args.command == "record":
        return await _record(args)
    async with aiohttp.ClientSession() as session:
        try:
            payload, lines = await run(args, session)
        except APsystemsError as err:
            print(f"error: {describe(err, args.base_url)}", file=sys.stderr)
            return 2
    print(json.dumps(payload, indent=2) if args.json else "\n".join(lines))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    missing = [name for name in ("app_id", "app_secret", "sid") if not getattr(args, name)]
    if missing:
        flags = ", ".join("--" + name.replace("_", "-") for name in missing)
        parser.error(f"missing {flags} (or the APSYSTEMS_* environment variables)")
    if args.command in STORAGE_COMMANDS and storage_eid(args) is None:
        parser.error(f"{args.command} needs the storage ECU's id once: EID or --eid EID")
    return asyncio.run(_main(args))
