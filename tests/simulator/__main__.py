"""``python -m tests.simulator --port 8999 [--site demo|storage|storage-only|subuser]
[--latitude L] [--quirk NAME[:endpoint,endpoint] ...]``: serve a site (the demo site by
default), with the quirks named, until Ctrl-C."""

import argparse
import asyncio
from collections.abc import Callable, Sequence
import contextlib
import dataclasses
from datetime import datetime

from .app import Simulator
from .quirks import Quirk, quirk_named, targets
from .site import (
    DEMO_LONGITUDE,
    DEMO_TIMEZONE,
    Site,
    demo_site,
    storage_only_site,
    storage_site,
    subuser_site,
)

type SiteBuilder = Callable[..., Site]
type QuirkOption = tuple[Quirk, tuple[str, ...]]

#: ``--site`` choices: builders taking ``(now, *, timezone, longitude)``.
SITES: dict[str, SiteBuilder] = {
    "demo": demo_site,
    "storage": storage_site,
    "storage-only": storage_only_site,
    "subuser": subuser_site,
}


def make_site(
    name: str = "demo",
    now: datetime | None = None,
    *,
    timezone: str = DEMO_TIMEZONE,
    longitude: float = DEMO_LONGITUDE,
    latitude: float | None = None,
) -> Site:
    """The site ``--site name`` serves; ``latitude`` moves it north or south (None: its own),
    e.g. to -33.9, where late November is early summer."""
    site = SITES[name](now, timezone=timezone, longitude=longitude)
    return site if latitude is None else dataclasses.replace(site, latitude=latitude)


def parse_quirk(text: str) -> QuirkOption:
    """``--quirk NAME[:endpoint,endpoint]``: the quirk and the endpoints named (none: every
    one it can apply to); argparse reports an unknown name as a usage error."""
    name, _, names = text.partition(":")
    endpoints = tuple(n.strip() for n in names.split(",") if n.strip())
    try:
        quirk = quirk_named(name.strip())
        targets(quirk, endpoints)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return quirk, endpoints


def build_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.simulator", description="Fake APsystems OpenAPI server."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8999)
    parser.add_argument("--quota", type=int, default=1000, help="monthly call quota")
    parser.add_argument("--timezone", default=DEMO_TIMEZONE, help="the site's timezone")
    parser.add_argument(
        "--longitude", type=float, default=DEMO_LONGITUDE, help="the site's longitude"
    )
    parser.add_argument(
        "--latitude", type=float, default=None, help="the site's latitude (default: its own)"
    )
    parser.add_argument(
        "--site",
        choices=sorted(SITES),
        default="demo",
        help="demo (PV), storage (PV and battery), storage-only (battery), subuser (shared)",
    )
    parser.add_argument(
        "--quirk",
        type=parse_quirk,
        action="append",
        default=[],
        metavar="NAME[:endpoint,endpoint]",
        help=f"answer like live accounts (repeatable): {', '.join(Quirk)}",
    )
    return parser


def banner(sim: Simulator) -> str:
    """The credentials and an example command."""
    return "\n".join(
        (
            f"APsystems OpenAPI simulator at {sim.base_url}",
            f"  app id:     {sim.app_id}",
            f"  app secret: {sim.app_secret}",
            f"  sid:        {sim.sid}",
            f"  timezone:   {sim.site.timezone}",
            f"  latitude:   {sim.site.latitude}",
            f"  ECUs:       {', '.join(e.eid for e in sim.site.ecus)}",
            f"  meters:     {', '.join(sim.site.meters)}",
            *(
                [f"  storage:    {', '.join(s.eid for s in sim.site.storages)}"]
                if sim.site.storages
                else []
            ),
            f"  quota:      {sim.quota} calls / month",
            *(
                [f"  quirks:     {', '.join(quirk_text(q, e) for q, e in sim.quirks.items())}"]
                if sim.quirks
                else []
            ),
            "Try:",
            "  python -m custom_components.apsystems_ema.openapi"
            f" --base-url {sim.base_url} --app-id {sim.app_id}"
            f" --app-secret {sim.app_secret} --sid {sim.sid} check",
            "Ctrl-C stops.",
        )
    )


def quirk_text(quirk: Quirk, endpoints: frozenset[str] | None) -> str:
    """A quirk as ``--quirk`` spells it."""
    return quirk if endpoints is None else f"{quirk}:{','.join(sorted(endpoints))}"


async def serve(
    host: str,
    port: int,
    quota: int,
    timezone: str = DEMO_TIMEZONE,
    longitude: float = DEMO_LONGITUDE,
    site: str = "demo",
    latitude: float | None = None,
    quirks: Sequence[QuirkOption] = (),
) -> None:
    """Run until cancelled."""
    built = make_site(site, timezone=timezone, longitude=longitude, latitude=latitude)
    sim = Simulator(built, quota=quota)
    for quirk, endpoints in quirks:
        sim.enable(quirk, *endpoints)
    await sim.start(host, port)
    print(banner(sim), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    args = build_parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve(
                args.host,
                args.port,
                args.quota,
                args.timezone,
                args.longitude,
                args.site,
                args.latitude,
                args.quirk,
            )
        )


if __name__ == "__main__":
    main()
