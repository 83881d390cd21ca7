"""The simulator's v1.7 / v1.8 additions: storage ECUs and their endpoints on both prefixes,
the battery's energy identities and state of charge, the status light, sub-user ids.

Requests are signed with the simulator's own ``sign`` helper (manual §2.2), independent of
the integration's client.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
import uuid

import aiohttp
import pytest

from tests.simulator import (
    BASE_PATH,
    ENDPOINTS,
    INSTALLER_PATH,
    STORAGE_KEYS,
    Fault,
    Simulator,
    Site,
    StorageTotals,
    StorageTruth,
    demo_site,
    sign,
    storage_only_site,
    storage_site,
    subuser_site,
)
from tests.simulator.__main__ import banner, build_parser, make_site
from tests.simulator.solar import SLOTS_PER_DAY
from tests.simulator.storage import MODE_FULL, MODE_RESERVE, MODE_SELF_CONSUMPTION, storage_model

JULY = datetime(2026, 7, 20, 14, 7, tzinfo=UTC)  # 16:07 in Amsterdam (CEST)
PREFIXES = (INSTALLER_PATH, BASE_PATH)
LEVELS = {"hourly": "2026-07-19", "daily": "2026-06", "monthly": "2025", "yearly": None}

type Json = Any
type MakeSim = Callable[..., Awaitable[Simulator]]


@pytest.fixture
async def make_sim(socket_enabled: None) -> AsyncIterator[MakeSim]:
    """Start simulators (clock fixed at ``at``, default JULY); all stopped at teardown."""
    started: list[Simulator] = []

    async def make(site: Site | None = None, at: datetime = JULY, **kwargs: Any) -> Simulator:
        sim = Simulator(site or storage_site(at), clock=lambda: at, **kwargs)
        await sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        await sim.stop()


async def fetch(
    session: aiohttp.ClientSession,
    sim: Simulator,
    path: str,
    params: dict[str, str] | None = None,
    prefix: str = BASE_PATH,
) -> tuple[int, Json]:
    """GET ``prefix + path`` signed per §2.2; returns (HTTP status, body or text)."""
    timestamp = str(int(sim.now().timestamp() * 1000))
    nonce = uuid.uuid4().hex
    last = path.rsplit("/", 1)[-1]
    message = f"{timestamp}/{nonce}/{sim.app_id}/{last}/GET/HmacSHA256"
    headers = {
        "X-CA-AppId": sim.app_id,
        "X-CA-Timestamp": timestamp,
        "X-CA-Nonce": nonce,
        "X-CA-Signature-Method": "HmacSHA256",
        "X-CA-Signature": sign(sim.app_secret, message, "HmacSHA256"),
    }
    async with session.get(sim.base_url + prefix + path, params=params, headers=headers) as resp:
        if resp.content_type == "application/json":
            return resp.status, await resp.json()
        return resp.status, await resp.text()


async def code_of(
    session: aiohttp.ClientSession,
    sim: Simulator,
    path: str,
    params: dict[str, str] | None = None,
    prefix: str = BASE_PATH,
) -> int:
    """The API code of a request."""
    status, body = await fetch(session, sim, path, params, prefix)
    assert status == 200
    code: int = body["code"]
    return code


async def ok(
    session: aiohttp.ClientSession,
    sim: Simulator,
    path: str,
    params: dict[str, str] | None = None,
    prefix: str = BASE_PATH,
) -> Json:
    """GET and expect code 0."""
    status, body = await fetch(session, sim, path, params, prefix)
    assert (status, body["code"]) == (200, 0), (prefix, path, params, body)
    return body["data"]


def store(sim: Simulator, kind: str, eid: str | None = None) -> str:
    """Path of a storage endpoint (``kind``: latest, summary, period)."""
    return f"/{sim.sid}/devices/storage/{kind}/{eid or sim.site.storages[0].eid}"


def period(level: str, date_range: str | None) -> dict[str, str]:
    """Query of a period request."""
    return {"energy_level": level} | ({"date_range": date_range} if date_range else {})


def floats(values: list[str]) -> list[float]:
    """Parse the API's number strings."""
    return [float(v) for v in values]


def week(start: date) -> list[date]:
    """Seven days from ``start``."""
    return [start + timedelta(days=n) for n in range(7)]


# ------------------------------------------------------------------------- sites


async def test_storage_site_details_and_inventory(
    make_sim: MakeSim, session: aiohttp.ClientSession
) -> None:
    """Type 3 (PV and storage); the storage ECU is type 2 with model and capacity; the
    authorization code is there only when the site has one, and never in a repr."""
    sim = await make_sim()
    details = await ok(session, sim, f"/details/{sim.sid}")
    storage_eid = sim.site.storages[0].eid
    assert (details["type"], details["light"]) == (3, 1)
    assert details["ecu"] == [sim.site.ecus[0].eid, storage_eid]
    assert "authorization_code" not in details
    inventory = await ok(session, sim, f"/inverters/{sim.sid}")
    assert [(e["eid"], e["type"]) for e in inventory] == [
        (sim.site.ecus[0].eid, 0),
        (storage_eid, 2),
    ]
    assert inventory[1] | {"timezone": None} == {
        "eid": storage_eid,
        "type": 2,
        "timezone": None,
        "inverter": [],
        "model": "ELT-12",
        "capacity": "11.52",
    }
    assert inventory[0]["model"] is None
    assert len(inventory[0]["inverter"]) == 4
    assert await ok(session, sim, f"/meters/{sim.sid}") == []

    code = "VisitorCode0123abc"
    shared = await make_sim(storage_site(JULY, authorization_code=code))
    assert (await ok(session, shared, f"/details/{shared.sid}"))["authorization_code"] == code
    assert code not in repr(shared.site)


async def test_storage_only_site(make_sim: MakeSim, session: aiohttp.ClientSession) -> None:
    """Type 2: one storage ECU, no inverters; the battery's PV is outside APsystems, so the
    system and the storage ECU produce nothing while the storage reports production."""
    sim = await make_sim(storage_only_site(JULY))
    eid = sim.site.storages[0].eid
    details = await ok(session, sim, f"/details/{sim.sid}")
    assert (details["type"], details["ecu"], details["capacity"]) == (2, [eid], "0.00")
    inventory = await ok(session, sim, f"/inverters/{sim.sid}")
    assert [(e["eid"], e["type"], e["inverter"]) for e in inventory] == [(eid, 2, [])]
    assert (await ok(session, sim, f"/summary/{sim.sid}"))["lifetime"] == "0"
    ecu = await ok(session, sim, f"/{sim.sid}/devices/ecu/summary/{eid}")
    assert ecu == {"today": "0", "month": "0", "year": "0", "lifetime": "0"}
    batch = {"energy_level": "power", "date_range": "2026-07-19"}
    assert (await ok(session, sim, f"/{sim.sid}/devices/inverter/batch/energy/{eid}", batch))[
        "power"
    ] == {}
    day = await ok(session, sim, store(sim, "period"), period("hourly", "2026-07-19"))
    produced = floats(day["produced"])
    assert sum(produced) > 5  # a 4 kWp array in July
    assert produced[2] == 0  # 02:00 local: dark
    truth = sim.truth.storage_day_totals(eid, date(2026, 7, 19))
    assert sum(produced) == pytest.approx(truth.produced, abs=0.001)
    assert truth.charge > 1
    assert truth.discharge > 1


async def test_subuser_ids(make_sim: MakeSim, session: aiohttp.ClientSession) -> None:
    """The details list main-virtual pairs; everything else knows the virtual ids only."""
    sim = await make_sim(subuser_site(JULY))
    details = await ok(session, sim, f"/details/{sim.sid}")
    assert details["ecu"] == ["2030000001236-002405253708", "2030000001237-002405253709"]
    assert details["type"] == 1
    inventory = await ok(session, sim, f"/inverters/{sim.sid}")
    assert [e["eid"] for e in inventory] == ["002405253708", "002405253709", "002405253710"]
    assert await ok(session, sim, f"/meters/{sim.sid}") == ["002405253710"]
    hourly = {"energy_level": "hourly", "date_range": "2026-07-19"}
    batch = {"energy_level": "energy", "date_range": "2026-07-19"}
    for virtual, main in (("002405253708", "2030000001236"), ("002405253709", "2030000001237")):
        devices = f"/{sim.sid}/devices"
        assert float((await ok(session, sim, f"{devices}/ecu/summary/{virtual}"))["year"]) > 100
        assert len(await ok(session, sim, f"{devices}/ecu/energy/{virtual}", hourly)) == 24
        assert (await ok(session, sim, f"{devices}/inverter/batch/energy/{virtual}", batch))[
            "energy"
        ]
        for wrong in (main, f"{main}-{virtual}"):
            assert await code_of(session, sim, f"{devices}/ecu/summary/{wrong}") == 4001
            assert await code_of(session, sim, f"{devices}/ecu/energy/{wrong}", hourly) == 4001
            path = f"{devices}/inverter/batch/energy/{wrong}"
            assert await code_of(session, sim, path, batch) == 4001
            assert await code_of(session, sim, f"{devices}/meter/summary/{wrong}") == 4001
    assert await ok(session, sim, f"/{sim.sid}/devices/meter/summary/002405253710")
    shared = await make_sim(subuser_site(JULY, storage=True))
    details = await ok(session, shared, f"/details/{shared.sid}")
    assert details["ecu"][-1] == "2162000003457-002405253711"
    assert details["type"] == 3
    inventory = await ok(session, shared, f"/inverters/{shared.sid}")
    assert [e["eid"] for e in inventory if e["type"] == 2] == ["002405253711"]
    assert await ok(session, shared, store(shared, "latest", "002405253711"))
    for wrong in ("2162000003457", "2162000003457-002405253711"):
        for kind in ("latest", "summary"):
            assert await code_of(session, shared, store(shared, kind, wrong)) == 4001


# ------------------------------------------------------------------------- endpoints


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_storage_endpoints(
    make_sim: MakeSim, session: aiohttp.ClientSession, prefix: str
) -> None:
    """latest, summary and every period level answer on both prefixes, from the truth."""
    sim = await make_sim()
    eid = sim.site.storages[0].eid
    truth, now = sim.truth, sim.now()

    latest = await ok(session, sim, store(sim, "latest"), prefix=prefix)
    assert set(latest) == {"mode", "soc", "time", *STORAGE_KEYS}
    assert all(isinstance(v, str) for v in latest.values())
    reading = truth.storage(eid, now)
    assert reading is not None
    assert latest["time"] == "16:05" == reading.at.strftime("%H:%M")
    assert latest["mode"] == reading.mode
    assert float(latest["soc"]) == round(reading.soc)
    for name, watts in reading.powers().items():
        assert float(latest[name]) == pytest.approx(watts, abs=0.05)
    w = {k: float(latest[k]) for k in STORAGE_KEYS}
    balance = w["produced"] + w["discharge"] - w["charge"] + w["imported"] - w["exported"]
    assert balance == pytest.approx(w["consumed"], abs=0.3)

    summary = await ok(session, sim, store(sim, "summary"), prefix=prefix)
    assert set(summary) == {"today", "month", "year", "lifetime"}
    for scope, block in summary.items():
        assert set(block) == set(STORAGE_KEYS)
        exact = truth.storage_totals(eid, scope, now).as_dict()
        for name, value in block.items():
            assert float(value) == pytest.approx(exact[name], abs=0.0005), (scope, name)

    for level, date_range in LEVELS.items():
        data = await ok(session, sim, store(sim, "period"), period(level, date_range), prefix)
        assert set(data) == {"time", *STORAGE_KEYS}
        assert all(len(data[k]) == len(data["time"]) for k in STORAGE_KEYS)
        first = {"hourly": "00", "daily": "01", "monthly": "01", "yearly": "2025"}[level]
        assert data["time"][0] == first
    minutely = await ok(
        session, sim, store(sim, "period"), period("minutely", "2026-07-20"), prefix
    )
    assert set(minutely) == {"today", "time", "power", "energy"}
    assert minutely["time"][0] == "00:00"
    assert minutely["time"][-1] == "16:05"
    assert len(minutely["time"]) == 194
    for block in ("power", "energy"):
        assert set(minutely[block]) == set(STORAGE_KEYS)
        assert all(len(v) == 194 for v in minutely[block].values())
    assert minutely["today"] == summary["today"]
    assert {name: values[-1] for name, values in minutely["power"].items()} == {
        k: latest[k] for k in STORAGE_KEYS
    }
    assert [c.endpoint for c in sim.calls] == [
        "storage_latest",
        "storage_summary",
        *(["storage_period"] * 4),
        "storage_minutely",
    ]
    assert all(c.path.startswith(prefix) for c in sim.calls)


async def test_storage_truncation_and_errors(
    make_sim: MakeSim, session: aiohttp.ClientSession
) -> None:
    """Current periods stop at now; unknown ids, levels and future dates are refused like
    the other device endpoints."""
    sim = await make_sim()
    path = store(sim, "period")
    current = {"hourly": "2026-07-20", "daily": "2026-07", "monthly": "2026"}
    for (level, date_range), count in zip(current.items(), (17, 20, 7), strict=True):
        assert len((await ok(session, sim, path, period(level, date_range)))["time"]) == count
    assert len((await ok(session, sim, path, period("yearly", None)))["time"]) == 2
    pv_ecu = sim.site.ecus[0].eid
    cases: list[tuple[str, dict[str, str] | None, int]] = [
        (store(sim, "latest", pv_ecu), None, 4001),
        (store(sim, "summary", "216299999999"), None, 4001),
        (f"/AZ0000000000/devices/storage/latest/{sim.site.storages[0].eid}", None, 4001),
        (path, None, 4000),
        (path, {"energy_level": "weekly"}, 4001),
        (path, {"energy_level": "hourly"}, 4000),
        (path, period("hourly", "2026-07-21"), 4001),
        (path, period("minutely", "2026-07-21"), 4001),
        (path, period("daily", "2026-08"), 4001),
        (path, period("monthly", "2027"), 4001),
        (path, period("daily", "2026-07-01"), 4001),
    ]
    for request_path, params, expected in cases:
        for prefix in PREFIXES:
            got = await code_of(session, sim, request_path, params, prefix)
            assert got == expected, (request_path, params, prefix)
    before = sim.site.create_date - timedelta(days=3)
    data = await ok(session, sim, path, period("hourly", str(before)))
    assert set(data["charge"]) == {"0"}


async def test_one_prefix_only(make_sim: MakeSim, session: aiohttp.ClientSession) -> None:
    """storage_prefixes serves one prefix: the other answers 4001 (or HTTP 404), and such
    calls count toward the quota like any other."""
    sim = await make_sim(storage_prefixes={INSTALLER_PATH}, quota=6)
    latest = store(sim, "latest")
    assert await ok(session, sim, latest, prefix=INSTALLER_PATH)
    assert await code_of(session, sim, latest, prefix=BASE_PATH) == 4001
    hourly = period("hourly", "2026-07-19")
    assert await code_of(session, sim, store(sim, "period"), hourly, BASE_PATH) == 4001
    sim.storage_prefixes = frozenset({BASE_PATH})
    assert await code_of(session, sim, latest, prefix=INSTALLER_PATH) == 4001
    assert await ok(session, sim, latest, prefix=BASE_PATH)
    sim.storage_404 = True
    status, text = await fetch(session, sim, store(sim, "summary"), prefix=INSTALLER_PATH)
    assert status == 404
    assert "404" in text
    assert sim.calls_this_month() == 6
    assert [(c.endpoint, c.code, c.status) for c in sim.calls] == [
        ("storage_latest", 0, 200),
        ("storage_latest", 4001, 200),
        ("storage_period", 4001, 200),
        ("storage_latest", 4001, 200),
        ("storage_latest", 0, 200),
        ("storage_summary", None, 404),
    ]
    # the quota is spent: even a served storage call is refused now
    assert await code_of(session, sim, latest, prefix=BASE_PATH) == 2005
    with pytest.raises(ValueError, match="prefixes"):
        Simulator(storage_site(JULY), storage_prefixes={"/other/api/v2/systems"})


async def test_storage_faults(make_sim: MakeSim, session: aiohttp.ClientSession) -> None:
    """The four storage endpoint names take faults; scaling leaves the mode alone."""
    assert {"storage_latest", "storage_summary", "storage_period", "storage_minutely"} <= (
        ENDPOINTS
    )
    sim = await make_sim()
    minutely = period("minutely", "2026-07-19")
    sim.inject(Fault(endpoint="storage_latest", code=7002))
    assert await code_of(session, sim, store(sim, "summary")) == 0
    assert await code_of(session, sim, store(sim, "latest"), prefix=INSTALLER_PATH) == 7002
    sim.inject(Fault(endpoint="storage_minutely", truncate=True))
    assert len((await ok(session, sim, store(sim, "period"), minutely))["time"]) == 144
    assert len((await ok(session, sim, store(sim, "period"), minutely))["time"]) == 288
    sim.inject(Fault(endpoint="storage_period", nulls=True))
    assert await ok(session, sim, store(sim, "period"), period("daily", "2026-06")) is None
    normal = await ok(session, sim, store(sim, "latest"))
    sim.inject(Fault(endpoint="storage_latest", scale=-1))
    scaled = await ok(session, sim, store(sim, "latest"))
    assert (scaled["mode"], scaled["time"]) == (normal["mode"], normal["time"])
    assert float(scaled["consumed"]) == -float(normal["consumed"])


# ------------------------------------------------------------------------- the battery


def test_energy_identities() -> None:
    """Slots -> hours -> day -> month -> year -> lifetime, exactly (before rounding); the
    balance holds on every slot; the storage's production is the site's."""
    site = storage_site(JULY)
    truth = StorageTruth(site)
    eid = site.storages[0].eid
    day = date(2026, 7, 19)
    slots = truth.storage_slots(eid, day)
    assert all(abs(s.imbalance) < 1e-12 for s in slots)
    hours = truth.storage_series(eid, "hourly", day, JULY)
    assert len(hours) == 24
    day_total = truth.storage_day_totals(eid, day)
    for name in STORAGE_KEYS:
        by_slot = sum(getattr(s, name) for s in slots)
        assert sum(getattr(h, name) for h in hours) == pytest.approx(by_slot, abs=1e-9)
        assert getattr(day_total, name) == pytest.approx(by_slot, abs=1e-9)
    produced = [s.produced for s in slots]
    assert produced == pytest.approx(truth.slot_energy(day), abs=1e-12)

    def total(values: list[StorageTotals]) -> StorageTotals:
        out = StorageTotals()
        for value in values:
            out += value
        return out

    def same(a: StorageTotals, b: StorageTotals) -> bool:
        return all(
            getattr(a, k) == pytest.approx(getattr(b, k), rel=1e-12, abs=1e-9) for k in STORAGE_KEYS
        )

    june = truth.storage_series(eid, "daily", date(2026, 6, 1), JULY)
    year = truth.storage_series(eid, "monthly", date(2026, 1, 1), JULY)
    assert len(june) == 30
    assert len(year) == 7
    assert same(total(june), year[5])
    assert same(total(year), truth.storage_totals(eid, "year", JULY))
    years = truth.storage_series(eid, "yearly", day, JULY)
    assert same(total(years), truth.storage_totals(eid, "lifetime", JULY))
    assert same(years[-1], truth.storage_totals(eid, "year", JULY))
    july = truth.storage_series(eid, "daily", date(2026, 7, 1), JULY)
    assert len(july) == 20
    assert same(total(july), truth.storage_totals(eid, "month", JULY))
    today = truth.storage_slots(eid, JULY.date(), JULY)
    assert same(total(today), truth.storage_totals(eid, "today", JULY))
    assert same(total(today), truth.storage_day_totals(eid, JULY.date(), JULY))
    lifetime = truth.storage_totals(eid, "lifetime", JULY)
    assert abs(lifetime.imbalance) < 1e-6
    assert lifetime.charge > lifetime.discharge > 500  # losses; a year of use


async def test_rounded_answers_add_up(make_sim: MakeSim, session: aiohttp.ClientSession) -> None:
    """The answers' strings add up across levels within their rounding."""
    sim = await make_sim()
    path = store(sim, "period")
    minutely = await ok(session, sim, path, period("minutely", "2026-07-19"))
    hourly = await ok(session, sim, path, period("hourly", "2026-07-19"))
    daily = await ok(session, sim, path, period("daily", "2026-07"))
    monthly = await ok(session, sim, path, period("monthly", "2026"))
    yearly = await ok(session, sim, path, period("yearly", None))
    summary = await ok(session, sim, store(sim, "summary"))
    for name in STORAGE_KEYS:
        by_slot = sum(floats(minutely["energy"][name]))
        assert by_slot == pytest.approx(float(minutely["today"][name]), abs=0.0006)
        assert sum(floats(hourly[name])) == pytest.approx(by_slot, abs=0.0006)
        assert float(daily[name][18]) == pytest.approx(by_slot, abs=0.0015)
        assert sum(floats(daily[name])) == pytest.approx(float(monthly[name][6]), abs=0.0015)
        assert float(summary["month"][name]) == pytest.approx(sum(floats(daily[name])), abs=0.0015)
        assert sum(floats(monthly[name])) == pytest.approx(float(yearly[name][-1]), abs=0.0015)
        assert float(summary["year"][name]) == pytest.approx(float(yearly[name][-1]), abs=0.0015)
        assert float(summary["lifetime"][name]) == pytest.approx(
            sum(floats(yearly[name])), abs=0.0025
        )
    power = {k: floats(v) for k, v in minutely["power"].items()}
    for i in range(288):
        balance = (
            power["produced"][i]
            + power["discharge"][i]
            - power["charge"][i]
            + power["imported"][i]
            - power["exported"][i]
        )
        assert balance == pytest.approx(power["consumed"][i], abs=0.3)


@pytest.mark.parametrize("start", [date(2026, 7, 6), date(2025, 12, 8)])
def test_soc_bounds_and_continuity(start: date) -> None:
    """Over a July and a December week: the state of charge stays within the reserve and
    100 %, moves only by the slot's charge and discharge, carries over midnight, and is the
    same when computed afresh (deterministic from the creation day)."""
    site = storage_site(JULY)
    unit = site.storages[0]
    truth = StorageTruth(site)
    eid = unit.eid
    previous_end: float | None = None
    socs: list[float] = []
    for day in week(start):
        result = truth.storage_day(eid, day)
        if previous_end is not None:
            assert result.start_kwh == previous_end
        stored = result.start_kwh
        for i in range(SLOTS_PER_DAY):
            stored += result.charge[i] * unit.efficiency - result.discharge[i] / unit.efficiency
            assert result.soc_kwh[i] == pytest.approx(stored, abs=1e-9)
            assert result.charge[i] * unit.max_charge_w >= 0
            assert result.charge[i] <= unit.max_charge_w / 12000 + 1e-12
            assert result.discharge[i] <= unit.max_discharge_w / 12000 + 1e-12
            assert result.charge[i] == 0 or result.discharge[i] == 0
        previous_end = result.end_kwh
        socs += [100 * s / unit.capacity_kwh for s in result.soc_kwh]
    assert min(socs) >= unit.reserve_pct - 1e-9
    assert max(socs) <= 100 + 1e-9
    if start.month == 7:
        assert max(socs) == pytest.approx(100)  # a summer week fills the battery
    else:
        assert max(socs) < 60  # a December week barely charges it
        assert min(socs) == pytest.approx(unit.reserve_pct)
    # midnight: the last reading of a day and the first of the next are one slot apart
    midnight = datetime.combine(start + timedelta(days=1), time(0, 0), site.zone)
    before = truth.storage(eid, midnight - timedelta(minutes=1))
    after = truth.storage(eid, midnight)
    assert before is not None
    assert after is not None
    assert (before.at.strftime("%H:%M"), after.at.strftime("%H:%M")) == ("23:55", "00:00")
    assert abs(after.soc - before.soc) < 100 * unit.max_discharge_w / 12000 / unit.capacity_kwh
    # afresh: a new model simulates from the creation day and lands on the same state
    last = truth.storage_day(eid, start + timedelta(days=6)).end_kwh
    storage_model.cache_clear()
    assert StorageTruth(site).storage_day(eid, start + timedelta(days=6)).end_kwh == last


def test_sunny_july_day() -> None:
    """On the sunniest day of a July week the battery charges around noon and discharges in
    the evening and at night; modes follow."""
    site = storage_site(JULY)
    truth = StorageTruth(site)
    eid = site.storages[0].eid
    sunny = max(week(date(2026, 7, 6)), key=truth.day_energy)
    assert truth.day_energy(sunny) > 20
    result = truth.storage_day(eid, sunny)

    def slots(start: int, stop: int) -> range:
        return range(start * 12, stop * 12)

    assert all(result.charge[i] > 0 for i in slots(11, 14))
    assert all(result.discharge[i] == 0 for i in slots(10, 16))
    assert all(result.discharge[i] > 0 for i in slots(20, 24))
    assert all(result.charge[i] == 0 for i in slots(20, 24))
    assert all(result.imported[i] == 0 for i in slots(19, 24))  # the battery covers the load
    assert max(result.soc_kwh) == pytest.approx(site.storages[0].capacity_kwh)
    assert {result.modes[i] for i in slots(0, 6)} == {MODE_SELF_CONSUMPTION}
    assert MODE_FULL in result.modes
    noon = truth.storage(eid, datetime.combine(sunny, time(12, 2), site.zone))
    evening = truth.storage(eid, datetime.combine(sunny, time(22, 40), site.zone))
    assert noon is not None
    assert evening is not None
    assert noon.charge > 500
    assert noon.discharge == 0
    assert evening.discharge > 200
    assert evening.charge == evening.produced == 0
    december = truth.storage_day(eid, date(2025, 12, 12))
    assert MODE_RESERVE in december.modes


async def test_latest_before_the_day_and_before_creation(
    make_sim: MakeSim, session: aiohttp.ClientSession
) -> None:
    """Just after midnight the latest reading is today's first; before the system existed
    there is none (1001) and the light is grey."""
    at = datetime(2026, 7, 19, 22, 1, tzinfo=UTC)  # 00:01 on the 20th in Amsterdam
    sim = await make_sim(storage_site(JULY), at=at)
    latest = await ok(session, sim, store(sim, "latest"))
    assert latest["time"] == "00:00"
    eid = sim.site.storages[0].eid
    yesterday = sim.truth.storage_day(eid, date(2026, 7, 19))
    assert abs(float(latest["soc"]) - 100 * yesterday.end_kwh / 11.52) <= 1.5
    created = datetime.combine(sim.site.create_date, time(0, 0), sim.site.zone)
    early = await make_sim(storage_site(JULY), at=created - timedelta(hours=1))
    assert await code_of(session, early, store(early, "latest")) == 1001
    assert (await ok(session, early, f"/details/{early.sid}"))["light"] == 4
    assert early.light(created) == 1  # the storage ECU reports from its first slot


# ------------------------------------------------------------------------- light


async def test_light(make_sim: MakeSim, session: aiohttp.ClientSession) -> None:
    """Grey before the first upload, green, yellow while an inverter is silent (no batch
    samples from then on, its siblings report), red while an ECU is offline."""
    site = demo_site(JULY)
    zone = site.zone
    created = site.create_date
    first = await make_sim(site, at=datetime.combine(created, time(3, 0), zone))
    assert (await ok(session, first, f"/details/{first.sid}"))["light"] == 4
    assert first.light(datetime.combine(created, time(13, 0), zone)) == 1

    sim = await make_sim(site)
    details = f"/details/{sim.sid}"
    assert (await ok(session, sim, details))["light"] == 1
    ecu = site.ecus[0]
    quiet, sibling = ecu.inverters[1].uid, ecu.inverters[0].uid
    since = datetime.combine(date(2026, 7, 19), time(12, 0), zone)
    sim.silent[quiet] = since
    assert (await ok(session, sim, details))["light"] == 2
    assert sim.light(since - timedelta(minutes=1)) == 1
    batch = f"/{sim.sid}/devices/inverter/batch/energy/{ecu.eid}"
    power = await ok(session, sim, batch, {"energy_level": "power", "date_range": "2026-07-19"})
    noon = power["time"].index("12:00")
    for ch in (1, 2):
        values = power["power"][f"{quiet}-{ch}"]
        assert len(values) == len(power["time"])
        assert all(v is not None for v in values[:noon])
        assert all(v is None for v in values[noon:])
    assert all(v is not None for v in power["power"][f"{sibling}-1"])
    today = await ok(session, sim, batch, {"energy_level": "power", "date_range": "2026-07-20"})
    assert not any(key.startswith(quiet) for key in today["power"])
    assert f"{sibling}-1" in today["power"]
    energy = await ok(session, sim, batch, {"energy_level": "energy", "date_range": "2026-07-19"})
    parts = dict(item.rsplit("-", 1) for item in energy["energy"])
    assert float(parts[f"{quiet}-1"]) == pytest.approx(
        sum(sim.truth.slot_energy(date(2026, 7, 19), uid=quiet, channel=1)[:144]), abs=0.005
    )
    assert float(parts[f"{quiet}-1"]) < float(parts[f"{sibling}-1"]) * 0.8
    energy = await ok(session, sim, batch, {"energy_level": "energy", "date_range": "2026-07-20"})
    assert not any(item.startswith(quiet) for item in energy["energy"])
    assert len(energy["energy"]) == 2 * 3
    sim.offline.add(ecu.eid)
    assert (await ok(session, sim, details))["light"] == 3
    sim.offline.clear()
    sim.silent.clear()
    assert (await ok(session, sim, details))["light"] == 1


# ------------------------------------------------------------------------- command line


def test_command_line_sites() -> None:
    """--site picks a builder; the default stays the demo site."""
    parser = build_parser()
    assert parser.parse_args([]).site == "demo"
    assert parser.parse_args(["--site", "storage-only"]).site == "storage-only"
    with pytest.raises(SystemExit):
        parser.parse_args(["--site", "nope"])
    assert make_site("demo", JULY) == demo_site(JULY)
    assert make_site("storage", JULY).system_type == 3
    assert make_site("storage-only", JULY).system_type == 2
    assert make_site("subuser", JULY).ecus[0].main_eid == "2030000001236"
    text = banner(Simulator(make_site("storage", JULY), clock=lambda: JULY))
    assert "storage:    216200003456" in text
    assert "storage:" not in banner(Simulator(demo_site(JULY), clock=lambda: JULY))
