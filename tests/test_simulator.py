"""The simulator itself: signing, quota, parameters, data shapes and consistency, faults.

Requests are signed here with hmac/base64 straight from the manual (§2.2), independent of
the integration's client.
"""

import asyncio
import base64
from collections.abc import AsyncIterator, Awaitable, Callable
import dataclasses
from datetime import UTC, date, datetime, timedelta
import hashlib
import hmac
import time
from typing import Any
import uuid

import aiohttp
from freezegun.api import FrozenDateTimeFactory
import pytest

from tests.simulator import (
    BASE_PATH,
    DEMO_APP_ID,
    DEMO_APP_SECRET,
    DEMO_SID,
    ENDPOINTS,
    Account,
    Fault,
    Simulator,
    Site,
    build_site,
    demo_site,
)
from tests.simulator.__main__ import banner, build_parser, make_site
from tests.simulator.solar import meter_day, meter_day_totals, unit_curve, unit_total

SUMMER = datetime(2026, 6, 21, 10, 32, 40, tzinfo=UTC)  # 12:32 in Amsterdam (CEST)
WINTER = datetime(2026, 12, 21, 15, 0, tzinfo=UTC)  # 16:00 in Amsterdam (CET)

type Json = Any
type MakeSim = Callable[..., Awaitable[Simulator]]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain client session."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def make_sim(socket_enabled: None) -> AsyncIterator[MakeSim]:
    """Start simulators with any options; all are stopped at teardown."""
    started: list[Simulator] = []

    async def make(site: Site | None = None, **kwargs: Any) -> Simulator:
        sim = Simulator(site, **kwargs)
        await sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        await sim.stop()


def fixed(at: datetime) -> Callable[[], datetime]:
    """A clock stuck at ``at``."""
    return lambda: at


def signed_headers(
    sim: Simulator,
    path: str,
    *,
    method: str = "HmacSHA256",
    app_id: str | None = None,
    secret: str | None = None,
    signed_path: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """X-CA-* headers per manual §2.2 (RequestPath = last path segment)."""
    app_id = app_id or sim.app_id
    ts = str(timestamp if timestamp is not None else int(sim.now().timestamp() * 1000))
    nonce = uuid.uuid4().hex
    request_path = signed_path if signed_path is not None else path.rsplit("/", 1)[-1]
    message = f"{ts}/{nonce}/{app_id}/{request_path}/GET/{method}"
    digest = hashlib.sha256 if method == "HmacSHA256" else hashlib.sha1
    mac = hmac.new((secret or sim.app_secret).encode(), message.encode(), digest).digest()
    return {
        "X-CA-AppId": app_id,
        "X-CA-Timestamp": ts,
        "X-CA-Nonce": nonce,
        "X-CA-Signature-Method": method,
        "X-CA-Signature": base64.b64encode(mac).decode(),
    }


async def call(
    session: aiohttp.ClientSession,
    sim: Simulator,
    path: str,
    params: dict[str, str] | None = None,
    **sign_kwargs: Any,
) -> tuple[int | None, Json]:
    """GET ``BASE_PATH + path``; returns (code, data)."""
    headers = signed_headers(sim, path, **sign_kwargs)
    async with session.get(sim.base_url + BASE_PATH + path, params=params, headers=headers) as resp:
        assert resp.status == 200
        assert resp.content_type == "application/json"
        body = await resp.json()
    return body["code"], body["data"]


async def ok(
    session: aiohttp.ClientSession,
    sim: Simulator,
    path: str,
    params: dict[str, str] | None = None,
) -> Json:
    """GET and expect code 0."""
    code, data = await call(session, sim, path, params)
    assert code == 0, (path, params, code)
    return data


def dev(sim: Simulator, kind: str, eid: str) -> str:
    """Path of a device endpoint."""
    return f"/{sim.sid}/devices/{kind}/{eid}"


def floats(values: list[str]) -> list[float]:
    """Parse the API's number strings."""
    return [float(v) for v in values]


# ------------------------------------------------------------------------- constants


def test_demo_identifiers() -> None:
    """Credentials and ids have the real formats."""
    assert len(DEMO_APP_ID) == len(DEMO_APP_SECRET) == 32
    assert DEMO_APP_ID.isalnum()
    assert DEMO_APP_SECRET.isalnum()
    assert len(DEMO_SID) == 12
    site = demo_site(SUMMER)
    assert site.timezone != "UTC"
    assert {inv.channels for inv in site.inverters} == {2, 4}
    assert all(len(i.uid) == 12 for i in site.inverters)
    assert all(len(e.eid) == 12 for e in site.ecus)
    assert 700 < (SUMMER.date() - site.create_date).days < 800
    with pytest.raises(ValueError, match="unknown endpoint"):
        Fault(endpoint="nope")
    assert Fault(endpoint="summary").endpoint == "system_summary"


# ------------------------------------------------------------------------- auth


@pytest.mark.parametrize("method", ["HmacSHA256", "HmacSHA1"])
async def test_good_signature(
    simulator: Simulator, session: aiohttp.ClientSession, method: str
) -> None:
    """Both algorithms are accepted; details match the site."""
    code, data = await call(session, simulator, f"/details/{simulator.sid}", method=method)
    assert code == 0
    site = simulator.site
    assert data == {
        "sid": site.sid,
        "create_date": site.create_date.isoformat(),
        "capacity": f"{site.capacity_kw:.2f}",
        "type": 1,
        "timezone": site.timezone,
        "ecu": [e.eid for e in site.ecus],
        "light": 1,
    }


async def test_auth_failures(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    """Bad signature, full-path signing, unknown app id, skewed clock, missing headers."""
    path = f"/summary/{simulator.sid}"
    assert (await call(session, simulator, path, secret="x" * 32))[0] == 4000
    full = BASE_PATH + path
    assert (await call(session, simulator, path, signed_path=full))[0] == 4000
    assert (await call(session, simulator, path, app_id="A" * 32))[0] == 2001
    assert (await call(session, simulator, path, method="HmacMD5"))[0] == 4000
    old = int((simulator.now() - timedelta(minutes=16)).timestamp() * 1000)
    assert (await call(session, simulator, path, timestamp=old))[0] == 4000
    near = int((simulator.now() - timedelta(minutes=14)).timestamp() * 1000)
    assert (await call(session, simulator, path, timestamp=near))[0] == 0
    headers = signed_headers(simulator, path)
    del headers["X-CA-Nonce"]
    async with session.get(simulator.base_url + full, headers=headers) as resp:
        assert (await resp.json()) == {"code": 4000, "data": None}
    # the query string is not signed
    code, _ = await call(session, simulator, f"/energy/{simulator.sid}", {"energy_level": "yearly"})
    assert code == 0
    assert [c.code for c in simulator.calls] == [4000, 4000, 2001, 4000, 4000, 0, 4000, 0]
    assert simulator.calls[0].endpoint == "system_summary"


async def test_quota(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    """Every call counts, failed ones too; past the quota the answer is 2005."""
    simulator.quota = 3
    path = f"/summary/{simulator.sid}"
    assert (await call(session, simulator, path, secret="wrong"))[0] == 4000
    assert (await call(session, simulator, path))[0] == 0
    assert (await call(session, simulator, path))[0] == 0
    assert (await call(session, simulator, path))[0] == 2005
    assert (await call(session, simulator, f"/details/{simulator.sid}"))[0] == 2005
    assert simulator.calls_this_month() == 5
    async with session.get(simulator.base_url + "/nowhere") as resp:
        assert resp.status == 404
    assert simulator.calls_this_month() == 5
    simulator.reset_calls()
    assert (await call(session, simulator, path))[0] == 0


async def test_quota_is_per_month(make_sim: MakeSim, session: aiohttp.ClientSession) -> None:
    """Calls of the previous month do not count."""
    now = [datetime(2026, 3, 31, 23, 59, tzinfo=UTC)]
    sim = await make_sim(clock=lambda: now[0], quota=1)
    path = f"/meters/{sim.sid}"
    assert (await call(session, sim, path))[0] == 0
    assert (await call(session, sim, path))[0] == 2005
    now[0] = datetime(2026, 4, 1, 0, 1, tzinfo=UTC)
    assert sim.calls_this_month() == 0
    assert (await call(session, sim, path))[0] == 0


async def test_one_app_id_for_two_systems(
    make_sim: MakeSim, session: aiohttp.ClientSession
) -> None:
    """Two systems on one account share its credentials and its quota: the call past the
    quota answers 2005 whichever system it asks about; each system keeps its own calls."""
    account = Account(app_id="B" * 32, app_secret="c" * 32, quota=3)
    home = await make_sim(build_site(sid="SIMHOME00001"), account=account)
    barn = await make_sim(build_site(sid="SIMBARN00002", inverters_per_ecu=(2,)), account=account)
    assert (home.app_id, barn.app_secret, barn.quota) == ("B" * 32, "c" * 32, 3)
    assert (await call(session, home, f"/summary/{home.sid}"))[0] == 0
    assert (await call(session, barn, f"/summary/{barn.sid}"))[0] == 0
    assert (await call(session, barn, f"/summary/{home.sid}"))[0] == 4001  # not barn's SID
    assert (await call(session, home, f"/meters/{home.sid}"))[0] == 2005
    assert [c.code for c in home.calls] == [0, 2005]
    assert [c.code for c in barn.calls] == [0, 4001]
    assert home.calls_this_month() == barn.calls_this_month() == 4
    assert len(account.calls) == 4
    barn.quota = 10  # the account's quota, for both
    assert (await call(session, home, f"/meters/{home.sid}"))[0] == 0
    barn.reset_calls()
    assert (home.calls, barn.calls) == ([], [])
    with pytest.raises(ValueError, match="account"):
        Simulator(account=account, quota=5)


async def test_parameter_errors(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    """Unknown ids, levels and malformed / missing / future dates."""
    sim = simulator
    today = sim.truth.today(sim.now())
    energy = f"/energy/{sim.sid}"
    ecu = sim.site.ecus[0].eid
    cases: list[tuple[str, dict[str, str] | None, int]] = [
        ("/details/AZ0000000000", None, 4001),
        (f"/AZ0000000000/devices/ecu/summary/{ecu}", None, 4001),
        (dev(sim, "ecu/summary", "203999999999"), None, 4001),
        (dev(sim, "meter/summary", ecu), None, 4001),
        (dev(sim, "inverter/summary", "000000000000"), None, 4001),
        (energy, None, 4000),
        (energy, {"energy_level": "weekly"}, 4001),
        (energy, {"energy_level": "minutely", "date_range": today.isoformat()}, 4001),
        (energy, {"energy_level": "hourly"}, 4000),
        (energy, {"energy_level": "hourly", "date_range": "2024-13-01"}, 4001),
        (energy, {"energy_level": "hourly", "date_range": "20240101"}, 4001),
        (energy, {"energy_level": "daily", "date_range": today.isoformat()}, 4001),
        (energy, {"energy_level": "hourly", "date_range": str(today + timedelta(days=1))}, 4001),
        (energy, {"energy_level": "daily", "date_range": f"{today.year + 1}-01"}, 4001),
        (energy, {"energy_level": "monthly", "date_range": str(today.year + 1)}, 4001),
        (dev(sim, "inverter/batch/energy", ecu), {"energy_level": "hourly"}, 4001),
    ]
    for path, params, expected in cases:
        assert (await call(session, sim, path, params))[0] == expected, (path, params)
    # before the system existed: zeros, not an error
    before = sim.site.create_date - timedelta(days=40)
    data = await ok(session, sim, energy, {"energy_level": "hourly", "date_range": str(before)})
    assert data == ["0"] * 24


async def test_future_date_uses_system_timezone(
    make_sim: MakeSim, session: aiohttp.ClientSession
) -> None:
    """At 23:30 UTC it is already tomorrow in Amsterdam: that date is accepted."""
    at = datetime(2026, 6, 21, 23, 30, tzinfo=UTC)
    sim = await make_sim(clock=fixed(at))
    params = {"energy_level": "hourly", "date_range": "2026-06-22"}
    data = await ok(session, sim, f"/energy/{sim.sid}", params)
    assert len(data) == 2  # 00:xx and 01:xx local
    params["date_range"] = "2026-06-23"
    assert (await call(session, sim, f"/energy/{sim.sid}", params))[0] == 4001


# ------------------------------------------------------------------------- shapes


async def test_inventory(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    """inverters lists the producing ECUs and the meter ECU (type 1); meters lists it."""
    sim = simulator
    data = await ok(session, sim, f"/inverters/{sim.sid}")
    assert [e["eid"] for e in data] == [e.eid for e in sim.site.ecus] + list(sim.site.meters)
    assert [e["type"] for e in data] == [0, 0, 1]
    assert {inv["type"] for e in data for inv in e["inverter"]} == {"DS3", "QT2"}
    assert all(e["timezone"] == sim.site.timezone and e["model"] is None for e in data)
    assert data[-1]["inverter"] == []
    assert await ok(session, sim, f"/meters/{sim.sid}") == list(sim.site.meters)


async def test_truncation_of_current_periods(
    make_sim: MakeSim, session: aiohttp.ClientSession
) -> None:
    """Current day / month / year lists stop at now; past ones are full length."""
    sim = await make_sim(clock=fixed(SUMMER))
    energy = f"/energy/{sim.sid}"
    ecu = dev(sim, "ecu/energy", sim.site.ecus[1].eid)
    uid = sim.site.ecus[1].inverters[0].uid
    inverter = dev(sim, "inverter/energy", uid)
    meter = dev(sim, "meter/period", sim.site.meters[0])
    expected = [
        ("hourly", "2026-06-21", 13, "2026-06-20", 24),
        ("daily", "2026-06", 21, "2026-02", 28),
        ("monthly", "2026", 6, "2025", 12),
    ]
    for level, current, n_current, past, n_past in expected:
        for path in (energy, ecu):
            data = await ok(session, sim, path, {"energy_level": level, "date_range": current})
            assert len(data) == n_current, (path, level)
            data = await ok(session, sim, path, {"energy_level": level, "date_range": past})
            assert len(data) == n_past, (path, level)
        data = await ok(session, sim, inverter, {"energy_level": level, "date_range": current})
        assert set(data) == {"e1", "e2", "e3", "e4"}
        assert all(len(v) == n_current for v in data.values())
        data = await ok(session, sim, meter, {"energy_level": level, "date_range": current})
        assert all(len(v) == n_current for v in data.values())
    years = 2026 - sim.site.create_date.year + 1
    assert len(await ok(session, sim, energy, {"energy_level": "yearly"})) == years
    data = await ok(session, sim, meter, {"energy_level": "yearly"})
    assert data["time"][-1] == "2026"
    assert len(data["time"]) == years


async def test_minutely_is_local_time(make_sim: MakeSim, session: aiohttp.ClientSession) -> None:
    """ECU minutely: 5-minute steps in Amsterdam time, sunrise to sunset, cut at now."""
    sim = await make_sim(clock=fixed(SUMMER))
    path = dev(sim, "ecu/energy", sim.site.ecus[0].eid)
    past = await ok(session, sim, path, {"energy_level": "minutely", "date_range": "2026-06-20"})
    assert set(past) == {"today", "time", "power", "energy"}
    assert len(past["time"]) == len(past["power"]) == len(past["energy"])
    assert "04:45" <= past["time"][0] <= "06:15"  # sunrise 05:18 CEST, 03:18 UTC
    assert "21:30" <= past["time"][-1] <= "22:45"  # sunset 22:06 CEST
    assert float(past["power"][-1]) == 0  # the upload after sunset
    steps = {
        int(b[:2]) * 60 + int(b[3:]) - int(a[:2]) * 60 - int(a[3:])
        for a, b in zip(past["time"], past["time"][1:], strict=False)
    }
    assert steps == {5}
    assert sum(floats(past["energy"])) == pytest.approx(float(past["today"]), abs=0.006)
    today = await ok(session, sim, path, {"energy_level": "minutely", "date_range": "2026-06-21"})
    assert today["time"][-1] == "12:30"
    assert 200 < max(floats(past["power"])) / (2 * 4) < 400  # W per channel at noon
    sim2 = await make_sim(clock=fixed(WINTER))
    path2 = dev(sim2, "ecu/energy", sim2.site.ecus[0].eid)
    winter = await ok(
        session, sim2, path2, {"energy_level": "minutely", "date_range": "2026-12-20"}
    )
    assert "08:15" <= winter["time"][0] <= "09:30"  # sunrise 08:45 CET
    assert "16:15" <= winter["time"][-1] <= "17:15"  # sunset 16:29 CET


async def test_minutely_before_sunrise_is_empty(
    make_sim: MakeSim, session: aiohttp.ClientSession
) -> None:
    """Early morning: no uploads yet, today is zero."""
    sim = await make_sim(clock=fixed(datetime(2026, 6, 21, 1, 0, tzinfo=UTC)))
    path = dev(sim, "ecu/energy", sim.site.ecus[0].eid)
    data = await ok(session, sim, path, {"energy_level": "minutely", "date_range": "2026-06-21"})
    assert data == {"today": "0", "time": [], "power": [], "energy": []}
    summary = await ok(session, sim, f"/summary/{sim.sid}")
    assert summary["today"] == "0"
    assert float(summary["lifetime"]) > 1000


async def test_inverter_minutely_fields(make_sim: MakeSim, session: aiohttp.ClientSession) -> None:
    """dc_* per channel, ac_*; 4-channel inverters say ac_p1 instead of ac_p."""
    sim = await make_sim(clock=fixed(SUMMER))
    params = {"energy_level": "minutely", "date_range": "2026-06-20"}
    two = await ok(
        session, sim, dev(sim, "inverter/energy", sim.site.ecus[0].inverters[0].uid), params
    )
    four = await ok(
        session, sim, dev(sim, "inverter/energy", sim.site.ecus[1].inverters[0].uid), params
    )
    per = ("dc_p", "dc_i", "dc_v", "dc_e")
    assert set(two) == {"t", "ac_v1", "ac_t", "ac_p", "ac_f"} | {
        f"{k}{c}" for k in per for c in (1, 2)
    }
    assert set(four) == {"t", "ac_v1", "ac_t", "ac_p1", "ac_f"} | {
        f"{k}{c}" for k in per for c in (1, 2, 3, 4)
    }
    assert all(len(v) == len(two["t"]) for v in two.values())
    noon = two["t"].index("13:30")
    assert 45 <= float(two["ac_t"][noon]) <= 70
    assert 49.9 < float(two["ac_f"][noon]) < 50.1
    assert float(two["dc_p1"][noon]) == pytest.approx(
        float(two["dc_i1"][noon]) * float(two["dc_v1"][noon]), rel=0.01
    )


async def test_meter_shapes_and_balance(make_sim: MakeSim, session: aiohttp.ClientSession) -> None:
    """Meter summary and periods: produced = system; consumed - produced = import - export."""
    sim = await make_sim(clock=fixed(SUMMER))
    meter = sim.site.meters[0]
    summary = await ok(session, sim, dev(sim, "meter/summary", meter))
    system = await ok(session, sim, f"/summary/{sim.sid}")
    assert set(summary) == {"today", "month", "year", "lifetime"}
    for period, block in summary.items():
        assert set(block) == {"consumed", "exported", "imported", "produced"}
        v = {k: float(x) for k, x in block.items()}
        assert v["produced"] == pytest.approx(float(system[period]), abs=0.006)
        assert v["consumed"] - v["produced"] == pytest.approx(
            v["imported"] - v["exported"], abs=1e-4
        )
    path = dev(sim, "meter/period", meter)
    data = await ok(session, sim, path, {"energy_level": "minutely", "date_range": "2026-06-20"})
    assert set(data) == {"today", "time", "power", "energy"}
    assert set(data["power"]) == {"consumed", "imported_exported", "produced"}
    assert set(data["energy"]) == {"consumed", "exported", "imported", "produced"}
    assert len(data["time"]) == 288
    assert data["time"][0] == "00:00"
    grid = floats(data["power"]["imported_exported"])
    noon = data["time"].index("13:30")
    assert grid[0] > 0  # importing at night
    assert grid[noon] < 0  # exporting at a clear noon
    assert sum(floats(data["energy"]["imported"])) == pytest.approx(
        float(data["today"]["imported"]), abs=1e-5
    )
    hourly = await ok(session, sim, path, {"energy_level": "hourly", "date_range": "2026-06-20"})
    assert hourly["time"][:2] == ["00", "01"]
    assert sum(floats(hourly["produced"])) == pytest.approx(
        float(data["today"]["produced"]), abs=0.001
    )
    today = await ok(session, sim, path, {"energy_level": "minutely", "date_range": "2026-06-21"})
    assert today["time"][-1] == "12:30"


# ------------------------------------------------------------------------- consistency


async def test_sums_are_consistent(make_sim: MakeSim, session: aiohttp.ClientSession) -> None:
    """5-min -> hourly -> daily -> monthly -> yearly -> lifetime; ECUs add up to the system."""
    sim = await make_sim(clock=fixed(SUMMER))
    truth, at = sim.truth, sim.now()
    day = date(2026, 6, 20)
    energy = f"/energy/{sim.sid}"
    system_hourly = floats(
        await ok(session, sim, energy, {"energy_level": "hourly", "date_range": str(day)})
    )
    assert sum(system_hourly) == pytest.approx(truth.day_energy(day), abs=0.006)
    ecu_total = 0.0
    for ecu in sim.site.ecus:
        path = dev(sim, "ecu/energy", ecu.eid)
        minutely = await ok(
            session, sim, path, {"energy_level": "minutely", "date_range": str(day)}
        )
        hourly = floats(
            await ok(session, sim, path, {"energy_level": "hourly", "date_range": str(day)})
        )
        assert sum(floats(minutely["energy"])) == pytest.approx(sum(hourly), abs=0.006)
        assert float(minutely["today"]) == pytest.approx(
            truth.day_energy(day, eid=ecu.eid), abs=0.005
        )
        ecu_total += sum(hourly)
    assert ecu_total == pytest.approx(sum(system_hourly), abs=0.011)

    daily = floats(
        await ok(session, sim, energy, {"energy_level": "daily", "date_range": "2026-06"})
    )
    assert daily[19] == pytest.approx(sum(system_hourly), abs=0.011)
    monthly = floats(
        await ok(session, sim, energy, {"energy_level": "monthly", "date_range": "2026"})
    )
    assert monthly[5] == pytest.approx(sum(daily), abs=0.006)
    yearly = floats(await ok(session, sim, energy, {"energy_level": "yearly"}))
    assert yearly[-1] == pytest.approx(sum(monthly), abs=0.006)
    summary = await ok(session, sim, f"/summary/{sim.sid}")
    assert round(sum(yearly), 2) == float(summary["lifetime"])
    assert float(summary["year"]) == yearly[-1]
    assert float(summary["month"]) == monthly[-1]
    assert float(summary["today"]) == pytest.approx(daily[-1], abs=0.006)  # 5 decimals
    assert float(summary["lifetime"]) == round(truth.lifetime(at), 2)

    ecu_todays = 0.0
    inverter_lifetimes = 0.0
    for ecu in sim.site.ecus:
        ecu_summary = await ok(session, sim, dev(sim, "ecu/summary", ecu.eid))
        ecu_todays += float(ecu_summary["today"])
        batch = await ok(
            session,
            sim,
            dev(sim, "inverter/batch/energy", ecu.eid),
            {"energy_level": "energy", "date_range": "2026-06-21"},
        )
        parts = dict(item.rsplit("-", 1) for item in batch["energy"])
        for inv in ecu.inverters:
            inv_summary = await ok(session, sim, dev(sim, "inverter/summary", inv.uid))
            assert set(inv_summary) == {
                f"{k}{c}" for k in "dmyt" for c in range(1, inv.channels + 1)
            }
            for ch in range(1, inv.channels + 1):
                assert parts[f"{inv.uid}-{ch}"] == inv_summary[f"d{ch}"]
                inverter_lifetimes += float(inv_summary[f"t{ch}"])
    assert ecu_todays == pytest.approx(float(summary["today"]), abs=0.011)
    assert inverter_lifetimes == pytest.approx(float(summary["lifetime"]), abs=0.07)


async def test_batch_power(make_sim: MakeSim, session: aiohttp.ClientSession) -> None:
    """Batch power has every channel, each as long as the time list; sums to the ECU."""
    sim = await make_sim(clock=fixed(SUMMER))
    ecu = sim.site.ecus[1]
    params = {"energy_level": "power", "date_range": "2026-06-20"}
    data = await ok(session, sim, dev(sim, "inverter/batch/energy", ecu.eid), params)
    assert set(data["power"]) == {f"{i.uid}-{c}" for i in ecu.inverters for c in (1, 2, 3, 4)}
    assert all(len(v) == len(data["time"]) for v in data["power"].values())
    ecu_min = await ok(
        session,
        sim,
        dev(sim, "ecu/energy", ecu.eid),
        {"energy_level": "minutely", "date_range": "2026-06-20"},
    )
    assert data["time"] == ecu_min["time"]
    noon = data["time"].index("13:30")
    total = sum(float(v[noon]) for v in data["power"].values())
    assert total == pytest.approx(float(ecu_min["power"][noon]), abs=8)


async def test_other_site(make_sim: MakeSim, session: aiohttp.ClientSession) -> None:
    """A bigger southern site (3 ECUs, 40 inverters) answers fast and consistently."""
    site = build_site(
        sid="SIM000000040",
        timezone="America/Los_Angeles",
        latitude=35.0,
        longitude=-118.0,
        inverters_per_ecu=(14, 13, 13),
        meters=0,
        now=SUMMER,
    )
    assert len(site.inverters) == 40
    sim = await make_sim(site, clock=fixed(SUMMER))
    assert (await ok(session, sim, f"/meters/{sim.sid}")) == []
    todays = 0.0
    for ecu in site.ecus:
        todays += float((await ok(session, sim, dev(sim, "ecu/summary", ecu.eid)))["today"])
    before = work_done()
    summary = await ok(session, sim, f"/summary/{sim.sid}")
    assert work_done() == before  # the lifetime comes from the cache the start filled
    assert todays == pytest.approx(float(summary["today"]), abs=0.02)
    assert float(summary["today"]) == pytest.approx(sim.truth.summary(sim.now()).today, abs=0.005)
    params = {"energy_level": "minutely", "date_range": "2026-06-20"}
    data = await ok(session, sim, dev(sim, "ecu/energy", site.ecus[0].eid), params)
    assert "05:00" <= data["time"][0] <= "06:30"  # local (PDT), not UTC


def work_done() -> tuple[int, int, int, int]:
    """How many solar days and meter days the simulator has computed so far."""
    return (
        unit_total.cache_info().misses,
        unit_curve.cache_info().misses,
        meter_day_totals.cache_info().misses,
        meter_day.cache_info().misses,
    )


async def test_requests_are_cheap(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    """No request recomputes the site's history: lifetimes, months and years come from the
    day totals the simulator cached at start, and a request about one day computes at most
    that day's curves. (Counted work, not wall-clock time: the suite stays fast without a
    timed test.)"""
    sim = simulator
    yesterday = str(sim.truth.today(sim.now()) - timedelta(days=1))
    ecu = sim.site.ecus[1].eid
    requests: list[tuple[str, dict[str, str] | None]] = [
        (f"/summary/{sim.sid}", None),
        (f"/energy/{sim.sid}", {"energy_level": "yearly"}),
        (dev(sim, "ecu/summary", ecu), None),
        (dev(sim, "meter/summary", sim.site.meters[0]), None),
        (
            dev(sim, "meter/period", sim.site.meters[0]),
            {"energy_level": "minutely", "date_range": yesterday},
        ),
        (dev(sim, "inverter/summary", sim.site.ecus[1].inverters[0].uid), None),
        (
            dev(sim, "inverter/batch/energy", ecu),
            {"energy_level": "power", "date_range": yesterday},
        ),
    ]
    for path, params in requests:
        before = work_done()
        await ok(session, sim, path, params)
        after = work_done()
        assert after[0] == before[0], path  # no day total computed again
        assert after[2] == before[2], path
        assert after[1] - before[1] <= 1, path  # at most the asked day's curve
        assert after[3] - before[3] <= 1, path


# ------------------------------------------------------------------------- faults


async def test_fault_codes_and_filters(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    """code faults, endpoint filters, times, clear_faults; faulted calls count."""
    sim = simulator
    summary, details = f"/summary/{sim.sid}", f"/details/{sim.sid}"
    sim.inject(Fault(endpoint="details", code=7002))
    assert (await call(session, sim, summary))[0] == 0
    assert await call(session, sim, details) == (7002, None)
    assert (await call(session, sim, details))[0] == 0
    sim.inject(Fault(code=5000, times=2))
    assert (await call(session, sim, summary))[0] == 5000
    assert (await call(session, sim, details))[0] == 5000
    assert (await call(session, sim, details))[0] == 0
    sim.inject(Fault(endpoint="system_summary", code=1001, times=None))
    for _ in range(3):
        assert (await call(session, sim, summary))[0] == 1001
    sim.clear_faults()
    assert (await call(session, sim, summary))[0] == 0
    assert sim.calls_this_month() == 10
    assert sim.calls[1].fault is not None
    assert sim.calls[1].query == {}
    assert sim.calls[1].path == BASE_PATH + details
    assert sorted(ENDPOINTS)[0] == "batch_energy"


async def test_transport_faults(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    """HTML 500, cut JSON, octet-stream JSON, delay (timeout)."""
    sim = simulator
    url = sim.base_url + BASE_PATH + f"/summary/{sim.sid}"
    path = f"/summary/{sim.sid}"
    sim.inject(Fault(http_status=500))
    async with session.get(url, headers=signed_headers(sim, path)) as resp:
        assert resp.status == 500
        assert resp.content_type == "text/html"
        assert "<html>" in await resp.text()
    sim.inject(Fault(invalid_json=True))
    async with session.get(url, headers=signed_headers(sim, path)) as resp:
        assert resp.content_type == "application/json"
        assert await resp.read() == b'{"code":0,"data":'
    sim.inject(Fault(octet_stream=True))
    async with session.get(url, headers=signed_headers(sim, path)) as resp:
        assert resp.content_type == "application/octet-stream"
        body = await resp.json(content_type=None)
        assert body["code"] == 0
        assert float(body["data"]["lifetime"]) > 0
    sim.inject(Fault(delay=0.3))
    started = time.perf_counter()
    assert (await call(session, sim, path))[0] == 0
    assert time.perf_counter() - started >= 0.3
    sim.inject(Fault(delay=30))
    with pytest.raises(asyncio.TimeoutError):
        async with session.get(
            url, headers=signed_headers(sim, path), timeout=aiohttp.ClientTimeout(total=0.1)
        ):
            pass
    assert [c.code for c in sim.calls] == [None, None, 0, 0, None]
    assert sim.calls[0].status == 500


async def test_shaping_faults(make_sim: MakeSim, session: aiohttp.ClientSession) -> None:
    """truncate, mismatch and nulls reshape normal answers."""
    sim = await make_sim(clock=fixed(SUMMER))
    path = dev(sim, "ecu/energy", sim.site.ecus[0].eid)
    params = {"energy_level": "minutely", "date_range": "2026-06-20"}
    full = await ok(session, sim, path, params)
    n = len(full["time"])
    sim.inject(Fault(endpoint="ecu_minutely", truncate=True))
    cut = await ok(session, sim, path, params)
    assert cut["time"] == full["time"][: n // 2]
    assert len(cut["power"]) == len(cut["energy"]) == n // 2
    sim.inject(Fault(mismatch=True))
    odd = await ok(session, sim, path, params)
    assert odd["time"] == full["time"]
    assert odd["power"] == full["power"][: n - 2]
    sim.inject(Fault(nulls=True))
    assert await ok(session, sim, path, params) is None
    sim.inject(Fault(nulls=True))
    meter = await ok(session, sim, dev(sim, "meter/summary", sim.site.meters[0]))
    assert meter == {"today": None, "month": None, "year": None, "lifetime": None}
    hourly = {"energy_level": "hourly", "date_range": "2026-06-20"}
    sim.inject(Fault(mismatch=True))
    inv = await ok(
        session, sim, dev(sim, "inverter/energy", sim.site.ecus[0].inverters[0].uid), hourly
    )
    assert (len(inv["e1"]), len(inv["e2"])) == (24, 23)
    sim.inject(Fault(truncate=True))
    assert len(await ok(session, sim, f"/energy/{sim.sid}", hourly)) == 12


# ------------------------------------------------------------------------- standalone


async def test_standalone_banner(simulator: Simulator) -> None:
    """The command line prints the credentials and a CLI example."""
    args = build_parser().parse_args(["--port", "8999", "--quota", "5"])
    assert (args.host, args.port, args.quota) == ("127.0.0.1", 8999, 5)
    text = banner(simulator)
    for needle in (simulator.app_id, simulator.app_secret, simulator.sid, simulator.base_url):
        assert needle in text
    assert "python -m custom_components.apsystems_ema.openapi --base-url" in text


def test_standalone_site_and_latitude() -> None:
    """``--site`` picks a site and ``--latitude`` moves it, nothing else of it."""
    args = build_parser().parse_args(["--site", "storage", "--latitude", "-33.9"])
    moved = make_site(args.site, SUMMER, latitude=args.latitude)
    own = make_site(args.site, SUMMER)
    assert (moved.latitude, own.latitude) == (-33.9, 51.5)
    assert moved == dataclasses.replace(own, latitude=-33.9)
    assert make_site("demo", SUMMER, latitude=None) == make_site("demo", SUMMER)


async def test_freezegun_clock(
    make_sim: MakeSim, session: aiohttp.ClientSession, freezer: FrozenDateTimeFactory
) -> None:
    """The default clock follows freezegun: "now" is the frozen time."""
    freezer.move_to(SUMMER)
    sim = await make_sim()
    assert sim.now() == SUMMER
    assert sim.site.create_date == demo_site(SUMMER).create_date
    data = await ok(
        session, sim, f"/energy/{sim.sid}", {"energy_level": "hourly", "date_range": "2026-06-21"}
    )
    assert len(data) == 13


def test_dst_days() -> None:
    """Days when clocks change still have 288 slots and sane totals."""
    truth = Simulator(demo_site(SUMMER)).truth
    for day in (date(2026, 3, 29), date(2026, 10, 25)):
        assert len(truth.slot_energy(day)) == 288
        assert 0 < truth.day_energy(day) < 60
        assert sum(truth.hourly(day)) == pytest.approx(truth.day_energy(day))
