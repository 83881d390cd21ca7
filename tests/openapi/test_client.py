"""The client against the simulator over real HTTP on loopback: every endpoint and error path."""

import asyncio
from datetime import UTC, date, datetime, timedelta
import socket

import aiohttp
import pytest

from custom_components.apsystems_ema.openapi import (
    APsystemsAuthError,
    APsystemsClient,
    APsystemsClockError,
    APsystemsConnectionError,
    APsystemsError,
    APsystemsHTTPError,
    APsystemsNoDataError,
    APsystemsQuotaExceededError,
    APsystemsRateLimitError,
    APsystemsRequestError,
    APsystemsResponseError,
    APsystemsServerError,
    APsystemsTimeoutError,
    CallRecord,
    Endpoint,
    EnergyLevel,
    SignatureMethod,
    system_today,
)
from custom_components.apsystems_ema.openapi.client import (
    clock_offset,
    date_range,
    parse_envelope,
)
from custom_components.apsystems_ema.openapi.errors import describe_offset
from tests.openapi.helpers import make_client
from tests.simulator import Fault, Simulator


def today(sim: Simulator) -> date:
    """The simulator's today in the system timezone."""
    return system_today(sim.site.timezone)


async def test_system_endpoints(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    """Details, inventory, meters and summary parse into models matching the site."""
    client = make_client(simulator, session)
    details = await client.get_system_details()
    assert details.sid == simulator.sid
    assert details.timezone == simulator.site.timezone
    assert details.timezone != "UTC"
    ecus = await client.get_inverters()
    assert [e.eid for e in ecus if not e.has_meter] == list(details.ecus)
    assert sum(len(e.inverters) for e in ecus) >= 6
    meters = await client.get_meters()
    assert meters
    summary = await client.get_system_summary()
    assert summary.today is not None
    assert summary.lifetime >= summary.year >= summary.month >= summary.today >= 0


async def test_period_levels_and_truncation(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    """Hourly / daily / monthly / yearly lists; the current period is truncated, not padded."""
    client = make_client(simulator, session)
    day = today(simulator)
    yesterday = day - timedelta(days=1)
    past = await client.get_system_energy(EnergyLevel.HOURLY, yesterday)
    assert len(past.values) == 24
    current = await client.get_system_energy(EnergyLevel.DAILY, day)
    assert len(current.values) == day.day
    months = await client.get_system_energy(EnergyLevel.MONTHLY, day)
    assert len(months.values) == day.month
    years = await client.get_system_energy(EnergyLevel.YEARLY)
    assert years.total == pytest.approx((await client.get_system_summary()).lifetime, abs=0.05)


async def test_ecu_endpoints_are_consistent(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    """ECU minutely carries the day curve and today's energy; ECU todays add up to the system's."""
    client = make_client(simulator, session)
    details = await client.get_system_details()
    day = today(simulator) - timedelta(days=1)
    total = 0.0
    for eid in details.ecus:
        minutely = await client.get_ecu_minutely(eid, day)
        assert minutely.day == day
        assert len(minutely.times) == len(minutely.power) > 12
        assert minutely.times == tuple(sorted(minutely.times))
        assert minutely.today == pytest.approx(sum(minutely.energy), abs=0.01)
        hourly = await client.get_ecu_energy(eid, EnergyLevel.HOURLY, day)
        assert hourly.total == pytest.approx(minutely.today, abs=0.05)
        total += hourly.total
        summary = await client.get_ecu_summary(eid)
        assert summary.lifetime > 0
    system_day = await client.get_system_energy(EnergyLevel.HOURLY, day)
    assert system_day.total == pytest.approx(total, abs=0.05)


async def test_inverter_and_batch_endpoints(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    """Batch energy per ECU equals the inverters' own summaries; batch power has every channel."""
    client = make_client(simulator, session)
    ecus = [e for e in await client.get_inverters() if e.inverters]
    ecu = ecus[0]
    day = today(simulator)
    batch = await client.get_batch_energy(ecu.eid, day)
    power = await client.get_batch_power(ecu.eid, day)
    for inv in ecu.inverters:
        summary = await client.get_inverter_summary(inv.uid)
        assert batch.inverter_total(inv.uid) == pytest.approx(summary.today, abs=0.02)
        assert set(power.power[inv.uid]) == {c.channel for c in summary.channels}
    channel_counts = set()
    for other in ecus:
        for inv in other.inverters:
            channel_counts.add(len((await client.get_inverter_summary(inv.uid)).channels))
    assert channel_counts == {2, 4}
    uid = ecu.inverters[0].uid
    hourly = await client.get_inverter_energy(uid, EnergyLevel.HOURLY, day - timedelta(days=1))
    assert all(len(v) == 24 for v in hourly.channels.values())
    detail = await client.get_inverter_minutely(uid, day - timedelta(days=1))
    assert detail.times
    assert len(detail.ac_power) == len(detail.times)
    assert detail.temperature
    assert set(detail.dc_voltage) == set(hourly.channels)


async def test_meter_endpoints(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    """Meter summary, period and minutely shapes."""
    client = make_client(simulator, session)
    (eid,) = (await client.get_meters())[:1]
    summary = await client.get_meter_summary(eid)
    assert summary.lifetime is not None
    assert summary.today is not None
    day = today(simulator) - timedelta(days=1)
    period = await client.get_meter_energy(eid, EnergyLevel.HOURLY, day)
    assert len(period.produced) == len(period.consumed) == 24
    minutely = await client.get_meter_minutely(eid, day)
    assert len(minutely.times) == len(minutely.grid_power) > 0
    assert minutely.today is not None


async def test_sha1_signatures_are_accepted(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    """HmacSHA1 is supported as well."""
    client = make_client(simulator, session, signature_method=SignatureMethod.HMAC_SHA1)
    assert (await client.get_system_details()).sid == simulator.sid


async def test_call_hook_reports_every_attempt(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    """Successes and failures are both reported (failures count toward the quota)."""
    calls: list[CallRecord] = []
    client = make_client(simulator, session, calls)
    await client.get_system_summary()
    simulator.inject(Fault(code=5000))
    with pytest.raises(APsystemsServerError):
        await client.get_system_summary()
    assert [(c.endpoint, c.ok, c.code) for c in calls] == [
        (Endpoint.SYSTEM_SUMMARY, True, 0),
        (Endpoint.SYSTEM_SUMMARY, False, 5000),
    ]
    assert all(c.at.tzinfo is UTC for c in calls)
    assert calls[1].error == "APsystemsServerError"


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (1000, APsystemsServerError),
        (1001, APsystemsNoDataError),
        (2000, APsystemsAuthError),
        (2002, APsystemsAuthError),
        (2003, APsystemsAuthError),
        (2004, APsystemsAuthError),
        (2005, APsystemsQuotaExceededError),
        (3000, APsystemsAuthError),
        (3004, APsystemsAuthError),
        (4000, APsystemsRequestError),
        (4001, APsystemsRequestError),
        (5000, APsystemsServerError),
        (6000, APsystemsServerError),
        (7000, APsystemsRateLimitError),
        (7001, APsystemsRateLimitError),
        (7002, APsystemsRateLimitError),
        (7003, APsystemsRateLimitError),
        (9999, APsystemsServerError),
    ],
)
async def test_annex_codes(
    simulator: Simulator, session: aiohttp.ClientSession, code: int, error: type[APsystemsError]
) -> None:
    """Every Annex 4.1 code maps to its exception, with the code and the manual's message."""
    simulator.inject(Fault(code=code))
    with pytest.raises(error) as raised:
        await make_client(simulator, session).get_system_summary()
    assert raised.value.code == code  # type: ignore[attr-defined]
    assert str(code) in str(raised.value)


async def test_wrong_credentials(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    """An unknown app id is an auth error; a wrong secret is code 4000 (bad signature)."""
    with pytest.raises(APsystemsAuthError) as unknown:
        await make_client(simulator, session, app_id="x" * 32).get_system_details()
    assert unknown.value.code == 2001
    with pytest.raises(APsystemsRequestError) as bad_sig:
        await make_client(simulator, session, app_secret="y" * 32).get_system_details()
    assert bad_sig.value.code == 4000


async def test_a_clock_that_is_off_is_told_apart_from_bad_credentials(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    """Code 4000 with the server's Date header 20 minutes behind this host's clock is a
    clock error naming the offset; a bad signature with the clocks in step stays a request
    error (credentials)."""
    simulator.inject(Fault(clock_skew=20 * 60, times=1))
    with pytest.raises(APsystemsClockError) as off:
        await make_client(simulator, session).get_system_details()
    assert off.value.code == 4000
    assert abs(off.value.offset - timedelta(minutes=20)) < timedelta(seconds=2)
    assert "off by +20 min" in str(off.value)
    simulator.inject(Fault(clock_skew=60, times=1))  # within the server's tolerance: fine
    await make_client(simulator, session).get_system_details()
    with pytest.raises(APsystemsRequestError) as bad_sig:
        await make_client(simulator, session, app_secret="y" * 32).get_system_details()
    assert not isinstance(bad_sig.value, APsystemsClockError)


def test_clock_offsets_and_their_wording() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert clock_offset("Mon, 30 Nov 2026 11:55:00 GMT", now) == timedelta(minutes=5)
    assert clock_offset(None, now) is None
    assert clock_offset("not a date", now) is None
    assert clock_offset("Mon, 30 Nov 2026 11:55:00 -0000", now) is None  # no zone given
    assert describe_offset(timedelta(minutes=5, seconds=3)) == "+5 min 3 s"
    assert describe_offset(timedelta(seconds=-40)) == "-40 s"
    assert describe_offset(timedelta(hours=-2)) == "-2 h"
    assert describe_offset(timedelta(0)) == "+0 s"


async def test_quota_is_enforced(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    """Past the simulator's monthly quota every call answers 2005."""
    simulator.quota = 2
    client = make_client(simulator, session)
    await client.get_system_summary()
    await client.get_system_summary()
    with pytest.raises(APsystemsQuotaExceededError):
        await client.get_system_summary()


async def test_future_dates_are_rejected(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    """A date_range after the system's today is refused by the server."""
    client = make_client(simulator, session)
    with pytest.raises(APsystemsRequestError):
        await client.get_system_energy(EnergyLevel.HOURLY, today(simulator) + timedelta(days=2))


async def test_transport_faults(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    """HTML 500 page, invalid JSON, timeouts; octet-stream JSON is accepted."""
    client = make_client(simulator, session)
    simulator.inject(Fault(http_status=500))
    with pytest.raises(APsystemsHTTPError) as http:
        await client.get_system_summary()
    assert http.value.status == 500
    simulator.inject(Fault(invalid_json=True))
    with pytest.raises(APsystemsResponseError, match="not JSON"):
        await client.get_system_summary()
    simulator.inject(Fault(octet_stream=True))
    assert (await client.get_system_summary()).lifetime > 0
    simulator.inject(Fault(delay=2.0))
    fast = make_client(simulator, session, timeout=0.2)
    with pytest.raises(APsystemsTimeoutError):
        await fast.get_system_summary()
    await asyncio.sleep(0)


async def test_nulls_and_truncated_lists(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    """Null data is a clear response error; truncated / mismatched curves still parse."""
    client = make_client(simulator, session)
    simulator.inject(Fault(nulls=True))
    with pytest.raises(APsystemsResponseError):
        await client.get_system_summary()
    eid = (await client.get_system_details()).ecus[0]
    day = today(simulator) - timedelta(days=1)
    full = await client.get_ecu_minutely(eid, day)
    simulator.inject(Fault(mismatch=True))
    mismatched = await client.get_ecu_minutely(eid, day)
    assert len(mismatched.times) == len(mismatched.power)
    assert mismatched.times == full.times[: len(mismatched.times)]
    simulator.inject(Fault(truncate=True))
    truncated = await client.get_ecu_minutely(eid, day)
    assert len(truncated.times) <= len(full.times)


async def test_unreachable_host(socket_enabled: None, session: aiohttp.ClientSession) -> None:
    """Connection refused becomes a connection error naming the host, never the secret."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    calls: list[CallRecord] = []
    client = APsystemsClient(
        "app",
        "topsecret",
        "SID",
        session=session,
        base_url=f"http://127.0.0.1:{port}/",
        on_call=calls.append,
    )
    with pytest.raises(APsystemsConnectionError) as err:
        await client.get_system_summary()
    assert f"127.0.0.1:{port}" in str(err.value)
    assert "topsecret" not in str(err.value)
    assert "topsecret" not in repr(client)
    assert calls[0].ok is False
    assert calls[0].code is None
    assert (err.value.attempts, calls[0].attempts) == (1, 1)  # no request was ever sent


async def test_a_dropped_connection_counts_the_resent_request(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    """The server closes the connection without an answer: aiohttp sends the GET once more
    by itself. When that fails too, the error says two requests went out (the API counts
    them both), and so does the report to ``on_call``. When the second succeeds, nothing
    tells the client a first one was sent (aiohttp hides it): the known limit of the count."""
    calls: list[CallRecord] = []
    client = make_client(simulator, session, calls)
    simulator.inject(Fault(endpoint="system_summary", drop=True, times=2))
    with pytest.raises(APsystemsConnectionError) as err:
        await client.get_system_summary()
    assert len(simulator.calls) == 2
    assert err.value.attempts == 2
    assert (calls[-1].ok, calls[-1].attempts) == (False, 2)

    simulator.inject(Fault(endpoint="system_summary", drop=True))
    await client.get_system_summary()
    assert len(simulator.calls) == 4  # dropped, then answered: two requests
    assert (calls[-1].ok, calls[-1].attempts) == (True, 1)  # only one seen by the client


async def test_404_is_http_error(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    """A wrong base URL path gives an HTTP error, not a crash."""
    client = APsystemsClient(
        simulator.app_id,
        simulator.app_secret,
        simulator.sid,
        session=session,
        base_url=simulator.base_url + "/nowhere",
    )
    with pytest.raises(APsystemsHTTPError) as err:
        await client.get_system_details()
    assert err.value.status == 404


def test_envelope_parsing() -> None:
    """Codes as strings, missing codes, non-object bodies."""
    assert parse_envelope(b'{"code": "0", "data": [1]}') == [1]
    assert parse_envelope(b'\xef\xbb\xbf{"code":0}') is None
    for body in (b'{"data": 1}', b'{"code": true}', b'{"code": "x"}', b"[1, 2]", b""):
        with pytest.raises(APsystemsResponseError):
            parse_envelope(body)


def test_date_range_formats() -> None:
    """Each level formats date_range as the manual says; yearly takes none."""
    day = date(2026, 3, 9)
    assert date_range(EnergyLevel.HOURLY, day) == "2026-03-09"
    assert date_range(EnergyLevel.MINUTELY, day) == "2026-03-09"
    assert date_range(EnergyLevel.DAILY, day) == "2026-03"
    assert date_range(EnergyLevel.MONTHLY, day) == "2026"
    assert date_range(EnergyLevel.YEARLY, None) is None
    with pytest.raises(ValueError, match="needs a date"):
        date_range(EnergyLevel.HOURLY, None)


def test_system_today_uses_the_system_timezone() -> None:
    """At 23:30 UTC it is already tomorrow in Shanghai; an unknown zone falls back to UTC."""
    now = datetime(2026, 6, 21, 23, 30, tzinfo=UTC)
    assert system_today("Asia/Shanghai", now) == date(2026, 6, 22)
    assert system_today("America/Los_Angeles", now) == date(2026, 6, 21)
    assert system_today("Not/AZone", now) == date(2026, 6, 21)


async def test_minutely_level_needs_its_own_method(session: aiohttp.ClientSession) -> None:
    """The period methods refuse ``minutely`` (its shape differs) before sending anything."""
    calls: list[CallRecord] = []
    client = APsystemsClient("a", "s", "S", session=session, on_call=calls.append)
    day = date(2026, 1, 1)
    with pytest.raises(ValueError, match="get_ecu_minutely"):
        await client.get_ecu_energy("e", EnergyLevel.MINUTELY, day)
    with pytest.raises(ValueError, match="get_meter_minutely"):
        await client.get_meter_energy("e", EnergyLevel.MINUTELY, day)
    with pytest.raises(ValueError, match="get_inverter_minutely"):
        await client.get_inverter_energy("u", EnergyLevel.MINUTELY, day)
    assert calls == []
