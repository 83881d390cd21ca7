"""Manual v1.7/v1.8 against the simulator over real HTTP: storage endpoints and their path
prefix, the status light, the visitor code and shared sub-user ids."""

from datetime import UTC, date, datetime, timedelta
import logging

import aiohttp
import pytest

from custom_components.apsystems_ema.openapi import (
    API_PREFIX,
    INSTALLER_PREFIX,
    STORAGE_KEYS,
    STORAGE_PREFIXES,
    APsystemsAuthError,
    APsystemsClient,
    APsystemsHTTPError,
    APsystemsRequestError,
    APsystemsServerError,
    APsystemsStorageRefusedError,
    CallRecord,
    Endpoint,
    EnergyLevel,
    Failure,
    SignatureMethod,
    StatusLight,
    system_today,
)
from custom_components.apsystems_ema.openapi.client import refuses_path
from tests.openapi.helpers import make_client
from tests.simulator import Fault, Simulator
from tests.simulator.site import storage_only_site, storage_site, subuser_site

STORAGE_EID = "216200003456"
CODE = "dmlzaXRvci1hY2Nlc3MtY29kZQ"
NOON = datetime(2026, 6, 21, 11, 2, tzinfo=UTC)
"""A frozen simulator clock (13:02 in Amsterdam): its answers and its truth agree exactly."""


def frozen(site_factory: object, **kwargs: object) -> Simulator:
    """A simulator of ``site_factory(NOON)`` whose clock stands still at ``NOON``."""
    site = site_factory(NOON)  # type: ignore[operator]
    return Simulator(site, clock=lambda: NOON, max_skew=None, **kwargs)  # type: ignore[arg-type]


def prefixes(sim: Simulator) -> list[str]:
    """The prefix of each request the simulator received, oldest first."""
    found = []
    for call in sim.calls:
        (prefix,) = (p for p in STORAGE_PREFIXES if call.path.startswith(p + "/"))
        found.append(prefix)
    return found


async def test_storage_endpoints_match_the_simulated_battery(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    """Details, inventory and the four storage calls of a PV and storage site agree with the
    simulator's exact values; the installer prefix answers at once and is remembered."""
    async with frozen(storage_site) as sim:
        calls: list[CallRecord] = []
        client = make_client(sim, session, calls)
        unknown = client.storage_prefix
        details = await client.get_system_details()
        assert (details.type, details.has_storage) == (3, True)
        assert STORAGE_EID in details.ecus
        (storage,) = [e for e in await client.get_inverters() if e.is_storage]
        assert (storage.eid, storage.model, storage.capacity) == (STORAGE_EID, "ELT-12", 11.52)
        sim.reset_calls()

        latest = await client.get_storage_latest(STORAGE_EID)
        assert (unknown, client.storage_prefix) == (None, INSTALLER_PREFIX)
        truth = sim.truth.storage(STORAGE_EID, NOON)
        assert truth is not None
        assert latest.soc == pytest.approx(truth.soc, abs=0.5)
        assert latest.mode == truth.mode
        assert latest.time == truth.at.time()
        for key in STORAGE_KEYS:
            assert latest.power(key) == pytest.approx(truth.powers()[key], abs=0.5), key

        summary = await client.get_storage_summary(STORAGE_EID)
        exact = sim.truth.storage_summary(STORAGE_EID, NOON)
        for key in STORAGE_KEYS:
            assert summary.lifetime.get(key) == pytest.approx(
                getattr(exact["lifetime"], key), abs=0.05
            ), key
            assert summary.today.get(key) == pytest.approx(getattr(exact["today"], key), abs=5e-4)
        assert summary.lifetime.charge >= summary.year.charge >= summary.month.charge
        assert summary.today.charge > 0
        assert latest.charge is not None
        assert latest.charge > 0

        day = sim.truth.today(NOON) - timedelta(days=1)
        hourly = await client.get_storage_energy(STORAGE_EID, EnergyLevel.HOURLY, day)
        assert len(hourly.times) == 24
        minutely = await client.get_storage_minutely(STORAGE_EID, day)
        assert minutely.day == day
        assert len(minutely.times) > 12
        assert minutely.today is not None
        for key in STORAGE_KEYS:
            assert sum(hourly.series(key)) == pytest.approx(minutely.today.get(key), abs=0.05)
            assert sum(minutely.energy[key]) == pytest.approx(minutely.today.get(key), abs=0.05)
            assert len(minutely.power[key]) == len(minutely.times)
        yearly = await client.get_storage_energy(STORAGE_EID, EnergyLevel.YEARLY)
        assert sum(yearly.series("discharge")) == pytest.approx(summary.lifetime.discharge, abs=0.1)

        assert prefixes(sim) == [INSTALLER_PREFIX] * 5
        assert [c.endpoint for c in calls[-5:]] == [
            Endpoint.STORAGE_LATEST,
            Endpoint.STORAGE_SUMMARY,
            Endpoint.STORAGE_PERIOD,
            Endpoint.STORAGE_MINUTELY,
            Endpoint.STORAGE_PERIOD,
        ]
        assert all(c.ok for c in calls)


@pytest.mark.parametrize("not_found", [False, True])
async def test_the_user_prefix_is_found_and_remembered(
    socket_enabled: None, session: aiohttp.ClientSession, not_found: bool
) -> None:
    """A server that refuses the installer path (code 4001, or HTTP 404) is asked once more
    under the user prefix; both calls are reported, and later calls go straight there."""
    async with Simulator(
        storage_site(), storage_prefixes={API_PREFIX}, storage_404=not_found
    ) as sim:
        calls: list[CallRecord] = []
        client = make_client(sim, session, calls, signature_method=SignatureMethod.HMAC_SHA1)
        latest = await client.get_storage_latest(STORAGE_EID)
        assert latest.soc is not None
        assert client.storage_prefix == API_PREFIX
        assert [(c.endpoint, c.ok, c.code) for c in calls] == [
            (Endpoint.STORAGE_LATEST, False, None if not_found else 4001),
            (Endpoint.STORAGE_LATEST, True, 0),
        ]
        assert calls[0].error == ("APsystemsHTTPError" if not_found else "APsystemsRequestError")
        await client.get_storage_summary(STORAGE_EID)
        assert prefixes(sim) == [INSTALLER_PREFIX, API_PREFIX, API_PREFIX]
        assert len(calls) == 3
        assert sim.calls_this_month() == client.requests == 3


async def test_a_known_prefix_is_used_directly(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    """A prefix remembered from an earlier run costs no discovery; if the server refuses it,
    the error is raised as it is (no second try)."""
    async with Simulator(storage_site(), storage_prefixes={API_PREFIX}) as sim:
        calls: list[CallRecord] = []
        client = make_client(sim, session, calls, storage_prefix=API_PREFIX)
        await client.get_storage_summary(STORAGE_EID)
        assert prefixes(sim) == [API_PREFIX]
        stale = make_client(sim, session, calls, storage_prefix=INSTALLER_PREFIX)
        with pytest.raises(APsystemsRequestError) as err:
            await stale.get_storage_latest(STORAGE_EID)
        assert err.value.code == 4001
        assert stale.storage_prefix == INSTALLER_PREFIX
        assert prefixes(sim) == [API_PREFIX, INSTALLER_PREFIX]
        assert len(calls) == 2


@pytest.mark.parametrize("not_found", [False, True])
async def test_both_prefixes_refused(
    socket_enabled: None, session: aiohttp.ClientSession, not_found: bool
) -> None:
    """When neither prefix serves storage, the storage refusal (naming the second) is
    raised, the prefix stays unknown, and both calls count; the next storage call tries both
    again."""
    async with Simulator(storage_site(), storage_prefixes=(), storage_404=not_found) as sim:
        calls: list[CallRecord] = []
        client = make_client(sim, session, calls)
        expected = APsystemsStorageRefusedError
        with pytest.raises(expected) as refused:
            await client.get_storage_latest(STORAGE_EID)
        cause = APsystemsHTTPError if not_found else APsystemsRequestError
        assert isinstance(refused.value.__cause__, cause)
        assert refused.value.code == 4001
        assert "storage refused under both path prefixes" in str(refused.value)
        assert client.storage_prefix is None
        assert prefixes(sim) == [INSTALLER_PREFIX, API_PREFIX]
        assert [c.ok for c in calls] == [False, False]
        assert client.requests == 2
        with pytest.raises(expected):
            await client.get_storage_summary(STORAGE_EID)
        assert len(calls) == len(sim.calls) == client.requests == 4


async def test_an_unknown_storage_ecu(socket_enabled: None, session: aiohttp.ClientSession) -> None:
    """An unknown eid answers 4001 under either prefix: two calls, the second's error, and
    nothing learned about the prefix."""
    async with Simulator(storage_site()) as sim:
        client = make_client(sim, session)
        with pytest.raises(APsystemsRequestError) as err:
            await client.get_storage_latest("216299999999")
        assert err.value.code == 4001
        assert client.storage_prefix is None
        assert prefixes(sim) == [INSTALLER_PREFIX, API_PREFIX]


async def test_an_end_users_no_permission_under_the_installer_prefix(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    """An end user's account may get "no permission" (2004) under the manual's installer
    prefix: the user prefix is tried; refused there too, it is a storage refusal (a refusal
    of this battery's data), never refused credentials."""
    async with Simulator(
        storage_site(), storage_prefixes={API_PREFIX}, storage_refusal=2004
    ) as sim:
        client = make_client(sim, session)
        assert (await client.get_storage_latest(STORAGE_EID)).soc is not None
        assert client.storage_prefix == API_PREFIX
    async with Simulator(storage_site(), storage_prefixes=(), storage_refusal=2004) as sim:
        client = make_client(sim, session)
        with pytest.raises(APsystemsStorageRefusedError) as refused:
            await client.get_storage_summary(STORAGE_EID)
        assert refused.value.code == 2004
        assert not isinstance(refused.value, APsystemsAuthError)
        assert refused.value.failure is Failure.BAD_REQUEST


async def test_refused_credentials_under_the_user_prefix_stay_refused_credentials(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    """Invalid credentials (2001) under the second prefix are what they are."""
    async with Simulator(storage_site(), storage_prefixes={API_PREFIX}) as sim:
        sim.inject(
            Fault(endpoint="storage_latest", code=4001), Fault(endpoint="storage_latest", code=2001)
        )
        client = make_client(sim, session)
        with pytest.raises(APsystemsAuthError) as err:
            await client.get_storage_latest(STORAGE_EID)
        assert err.value.code == 2001


async def test_other_failures_are_not_a_refused_path(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    """A server error or a bad signature (4000) under the installer prefix is raised at once:
    only 4001 and HTTP 404 send the request to the other prefix."""
    async with Simulator(storage_site()) as sim:
        calls: list[CallRecord] = []
        client = make_client(sim, session, calls)
        sim.inject(Fault(endpoint="storage_summary", code=5000, times=1))
        with pytest.raises(APsystemsServerError):
            await client.get_storage_summary(STORAGE_EID)
        assert client.storage_prefix is None
        bad = make_client(sim, session, calls, app_secret="y" * 32)
        with pytest.raises(APsystemsRequestError) as err:
            await bad.get_storage_latest(STORAGE_EID)
        assert err.value.code == 4000
        sim.inject(Fault(endpoint="storage_latest", http_status=500, times=1))
        with pytest.raises(APsystemsHTTPError):
            await client.get_storage_latest(STORAGE_EID)
        assert prefixes(sim) == [INSTALLER_PREFIX] * 3
        assert len(calls) == 3


def test_refuses_path() -> None:
    """The cue for the other prefix: 4001, "not authorized" / "no permission" or HTTP 404,
    nothing else."""
    assert refuses_path(APsystemsRequestError(4001))
    assert refuses_path(APsystemsHTTPError(404))
    assert refuses_path(APsystemsAuthError(2004))
    assert refuses_path(APsystemsAuthError(2002))
    assert not refuses_path(APsystemsAuthError(2001))
    assert not refuses_path(APsystemsRequestError(4000))
    assert not refuses_path(APsystemsHTTPError(500))
    assert not refuses_path(APsystemsServerError(5000))


async def test_storage_period_levels(socket_enabled: None, session: aiohttp.ClientSession) -> None:
    """A storage-only site (type 2): daily and monthly lists, the current one truncated."""
    async with Simulator(storage_only_site()) as sim:
        client = make_client(sim, session)
        details = await client.get_system_details()
        assert (details.type, details.has_storage) == (2, True)
        (eid,) = details.ecus
        today = system_today(sim.site.timezone)
        daily = await client.get_storage_energy(eid, EnergyLevel.DAILY, today)
        assert len(daily.times) == today.day
        monthly = await client.get_storage_energy(eid, EnergyLevel.MONTHLY, today)
        assert len(monthly.times) == today.month
        assert all(len(monthly.series(key)) == today.month for key in STORAGE_KEYS)
        summary = await client.get_storage_summary(eid)
        assert sum(monthly.series("produced")) == pytest.approx(summary.year.produced, abs=0.1)


async def test_storage_minutely_level_needs_its_own_method(
    session: aiohttp.ClientSession,
) -> None:
    """``get_storage_energy`` refuses ``minutely`` before sending anything."""
    calls: list[CallRecord] = []
    client = APsystemsClient("a", "s", "S", session=session, on_call=calls.append)
    with pytest.raises(ValueError, match="get_storage_minutely"):
        await client.get_storage_energy("e", EnergyLevel.MINUTELY, date(2026, 1, 1))
    assert calls == []
    assert client.storage_prefix is None


async def test_shared_sub_user_ids(socket_enabled: None, session: aiohttp.ClientSession) -> None:
    """A sub-user's details list ``main-virtual``: the client keeps the virtual ids for the
    device queries (which answer), and the main ids in ``shared``."""
    async with Simulator(subuser_site()) as sim:
        client = make_client(sim, session)
        details = await client.get_system_details()
        assert details.ecus == ("002405253708", "002405253709")
        assert details.shared == {
            "002405253708": "2030000001236",
            "002405253709": "2030000001237",
        }
        ecus = await client.get_inverters()
        assert {e.eid for e in ecus if e.inverters} == set(details.ecus)
        assert await client.get_meters() == ("002405253710",)
        for eid in details.ecus:
            assert (await client.get_ecu_summary(eid)).lifetime > 0
        with pytest.raises(APsystemsRequestError):
            await client.get_ecu_summary("2030000001236")


async def test_light_and_visitor_code(
    socket_enabled: None,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The details carry a status light and the visitor code; the code is never in a repr
    nor in the client's log lines, even at DEBUG."""
    caplog.set_level(logging.DEBUG)
    async with Simulator(storage_site(authorization_code=CODE)) as sim:
        details = await make_client(sim, session).get_system_details()
        assert details.authorization_code == CODE
        assert isinstance(details.light, StatusLight)
        assert CODE not in repr(details)
        assert CODE not in caplog.text
    async with Simulator(storage_site()) as sim:
        assert (await make_client(sim, session).get_system_details()).authorization_code is None
