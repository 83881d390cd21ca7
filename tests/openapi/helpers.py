"""Helpers of the client tests."""

import aiohttp

from custom_components.apsystems_ema.openapi import APsystemsClient, CallRecord
from tests.simulator import Simulator


def make_client(
    sim: Simulator,
    session: aiohttp.ClientSession,
    calls: list[CallRecord] | None = None,
    **kwargs: object,
) -> APsystemsClient:
    """A client with the simulator's credentials (``app_id``, ``app_secret``, ``sid`` and any
    other client option may be given instead), reporting its calls to ``calls``."""
    return APsystemsClient(
        kwargs.pop("app_id", sim.app_id),  # type: ignore[arg-type]
        kwargs.pop("app_secret", sim.app_secret),  # type: ignore[arg-type]
        kwargs.pop("sid", sim.sid),  # type: ignore[arg-type]
        session=session,
        base_url=sim.base_url,
        on_call=calls.append if calls is not None else None,
        **kwargs,  # type: ignore[arg-type]
    )
