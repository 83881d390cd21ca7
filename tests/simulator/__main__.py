"""``python -m tests.simulator --port 8999``: serve the demo site until Ctrl-C."""

import argparse
import asyncio
import contextlib

from .app import Simulator
from .site import DEMO_LONGITUDE, DEMO_TIMEZONE, demo_site


def build_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.simulator", description="Fake APsystems OpenAPI server."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8999)
    parser.add_argument("--quota", type=int, default=1000, help="monthly call quota")
    parser.add_argument("--timezone", default=DEMO_TIMEZONE, help="the demo site's timezone")
    parser.add_argument(
        "--longitude", type=float, default=DEMO_LONGITUDE, help="the demo site's longitude"
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
            f"  ECUs:       {', '.join(e.eid for e in sim.site.ecus)}",
            f"  meters:     {', '.join(sim.site.meters)}",
            f"  quota:      {sim.quota} calls / month",
            "Try:",
            "  python -m custom_components.apsystems_ema.openapi"
            f" --base-url {sim.base_url} --app-id {sim.app_id}"
            f" --app-secret {sim.app_secret} --sid {sim.sid} check",
            "Ctrl-C stops.",
        )
    )


async def serve(
    host: str,
    port: int,
    quota: int,
    timezone: str = DEMO_TIMEZONE,
    longitude: float = DEMO_LONGITUDE,
) -> None:
    """Run until cancelled."""
    sim = Simulator(demo_site(timezone=timezone, longitude=longitude), quota=quota)
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
        asyncio.run(serve(args.host, args.port, args.quota, args.timezone, args.longitude))


if __name__ == "__main__":
    main()
