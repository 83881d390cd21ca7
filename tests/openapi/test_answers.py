"""Raw answers: the client's hook, cutting, secrets, aliases and the answers block."""

from datetime import UTC, datetime
import json
from typing import Any

import aiohttp
import pytest

from custom_components.apsystems_ema.openapi import (
    API_PREFIX,
    INSTALLER_PREFIX,
    APsystemsHTTPError,
    APsystemsNoDataError,
    APsystemsResponseError,
    RawAnswer,
)
from custom_components.apsystems_ema.openapi.answers import (
    MAX_ANSWER_BYTES,
    MAX_BLOCK_BYTES,
    POINTS,
    REDACTED,
    LastAnswers,
    alias,
    alias_text,
    aliases,
    answer_bytes,
    block_instant,
    decode,
    decode_block,
    encode,
    encode_block,
    redacted_block,
    size,
    trim,
    without_secrets,
)
from custom_components.apsystems_ema.openapi.client import Endpoint
from tests.openapi.helpers import make_client
from tests.simulator import Fault, Simulator, storage_site, subuser_site

AT = datetime(2026, 6, 17, 8, 0, tzinfo=UTC)
SID = "AZ12649A3DFF"


def answer(endpoint: Endpoint, data: Any, target: str = SID, **kwargs: Any) -> RawAnswer:
    """A raw answer received at ``AT``."""
    return RawAnswer(endpoint, AT, target, kwargs.pop("params", {}), data, **kwargs)


def labels(count: int) -> list[str]:
    """``count`` 5-minute labels from 00:05."""
    return [f"{(n + 1) * 5 // 60:02d}:{(n + 1) * 5 % 60:02d}" for n in range(count)]


# -- the client's hook -----------------------------------------------------------------------


async def test_the_hook_gets_each_answer_as_received(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    """Every answer in an envelope reaches ``on_answer`` before it is parsed, with its
    endpoint, target, query and prefix; an API error with its code and no data; a request
    without an answer not at all. Nothing of the credentials is in it."""
    got: list[RawAnswer] = []
    client = make_client(simulator, session, on_answer=got.append)
    eid = simulator.site.ecus[0].eid
    await client.get_system_summary()
    await client.get_ecu_minutely(eid, simulator.truth.today(simulator.now()))
    simulator.inject(Fault(endpoint="ecu_summary", code=1001))
    with pytest.raises(APsystemsNoDataError):
        await client.get_ecu_summary(eid)
    simulator.inject(Fault(endpoint="details", nulls=True))
    with pytest.raises(APsystemsResponseError):
        await client.get_system_details()  # unreadable, but received: reported
    simulator.inject(Fault(endpoint="meters", http_status=500))
    with pytest.raises(APsystemsHTTPError):
        await client.get_meters()
    assert [(a.endpoint, a.target, a.code) for a in got] == [
        (Endpoint.SYSTEM_SUMMARY, simulator.sid, 0),
        (Endpoint.ECU_MINUTELY, eid, 0),
        (Endpoint.ECU_SUMMARY, eid, 1001),
        (Endpoint.DETAILS, simulator.sid, 0),
    ]
    summary, minutely, refused, details = got
    assert summary.ok
    assert set(summary.data) == {"today", "month", "year", "lifetime"}
    assert summary.at is not None
    assert summary.prefix == API_PREFIX
    assert minutely.params["energy_level"] == "minutely"
    assert isinstance(minutely.data["power"], list)
    assert not refused.ok
    assert refused.data is None
    assert details.data is None
    text = repr(got)
    assert simulator.app_secret not in text
    assert simulator.app_id not in text


async def test_the_hook_sees_the_storage_prefix_that_answered(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    """A storage call refused under /installer/ reports that refusal, then the answer under
    /user/ with its prefix."""
    async with Simulator(storage_site(), storage_prefixes={API_PREFIX}) as sim:
        got: list[RawAnswer] = []
        client = make_client(sim, session, on_answer=got.append)
        await client.get_storage_latest(sim.site.storages[0].eid)
    assert [(a.code, a.prefix) for a in got] == [(4001, INSTALLER_PREFIX), (0, API_PREFIX)]


async def test_no_hook_no_answers(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    """Without a hook the client just answers, errors included."""
    client = make_client(simulator, session)
    assert (await client.get_system_summary()).lifetime > 0
    simulator.inject(Fault(endpoint="meters", code=1001))
    with pytest.raises(APsystemsNoDataError):
        await client.get_meters()


# -- cutting ---------------------------------------------------------------------------------


def test_minutely_lists_keep_their_newest_points_with_the_counts() -> None:
    """Every list of an object with a ``time`` (or ``t``) list keeps its newest 24 entries,
    nested ones too; the original lengths stay beside them."""
    times = labels(223)
    data = {
        "today": "20.17",
        "time": times,
        "power": list(range(223)),
        "energy": {"produced": ["0.01"] * 223, "short": ["1"] * 10},
    }
    cut = trim(answer(Endpoint.METER_MINUTELY, data))
    assert cut.data["time"] == times[-POINTS:]
    assert cut.data["power"] == list(range(223 - POINTS, 223))
    assert cut.data["energy"]["short"] == ["1"] * 10
    assert cut.counts == {"time": 223, "power": 223, "energy.produced": 223}
    assert cut.data["today"] == "20.17"
    inverter = trim(answer(Endpoint.INVERTER_MINUTELY, {"t": times, "ac_p1": [1.5] * 223}))
    assert inverter.counts == {"t": 223, "ac_p1": 223}
    assert inverter.data["ac_p1"] == [1.5] * POINTS  # JSON numbers stay numbers
    # Cut again (a stored record read back), the original counts stay.
    assert trim(cut) == cut


def test_other_lists_objects_and_texts_are_capped() -> None:
    """A list or an object not aligned with time keeps its first 64 entries, a text its first
    256 characters; containers nested deeper than real answers are left out."""
    entries = [f"80600000{n:04d}-1-0.52" for n in range(100)]
    cut = trim(answer(Endpoint.BATCH_ENERGY, {"energy": entries, "note": "x" * 300}))
    assert cut.data["energy"] == entries[:64]
    assert cut.data["note"] == "x" * 256
    assert cut.counts == {"energy": 100, "note": 300}
    wide = trim(answer(Endpoint.INVERTERS, [{"eid": str(n)} for n in range(70)]))
    assert len(wide.data) == 64
    assert wide.counts == {".": 70}
    keys = trim(answer(Endpoint.INVERTER_SUMMARY, {f"t{n}": "1" for n in range(80)}))
    assert len(keys.data) == 64
    assert keys.counts == {".": 80}
    deep: Any = [1]
    for _ in range(12):
        deep = {"a": deep}
    nested = trim(answer(Endpoint.DETAILS, deep))
    assert nested.counts == {"a.a.a.a.a.a.a.a": 1}
    assert json.dumps(nested.data) == '{"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": null}}}}}}}}'


def test_a_big_answer_is_cut_to_the_bound() -> None:
    """A 500-channel batch power curve of a whole day, or an inventory of thousands of
    inverters, is cut until its record is at most 16 KiB; a block of the biggest answer of
    every kind stays within its bound."""
    times = labels(288)
    power = {f"80600{n:07d}-{c}": [str(300 + n % 50)] * 288 for n in range(125) for c in (1, 2)}
    big = answer(Endpoint.BATCH_POWER, {"time": times, "power": power})
    assert size(big) > 20 * MAX_ANSWER_BYTES
    cut = trim(big)
    assert size(cut) <= MAX_ANSWER_BYTES
    assert cut.counts["power"] == 250
    assert cut.data["time"][-1] == times[-1]  # still the newest points
    inventory = [
        {"eid": f"2030{e:08d}", "inverter": [{"uid": f"80{e:02d}{n:08d}"} for n in range(400)]}
        for e in range(64)
    ]
    huge = trim(answer(Endpoint.INVERTERS, inventory, target="T" * 500))
    assert size(huge) <= MAX_ANSWER_BYTES
    assert huge.target == "T" * 64
    tiny = trim(big, max_bytes=300)  # cut to one entry of each list and object
    assert tiny.data == {"time": [times[-1]]}
    assert tiny.counts == {".": 2, "time": 288}
    assert size(tiny) <= 300
    block = encode_block(trim(answer(e, {"time": times, "power": power})) for e in Endpoint)
    assert len(json.dumps(block, separators=(",", ":")).encode()) <= MAX_BLOCK_BYTES


# -- secrets and serials ---------------------------------------------------------------------


def test_secrets_are_redacted_everywhere() -> None:
    """The visitor code, and any text holding the App ID or App Secret, read REDACTED; an
    absent code stays absent, a null one null."""
    details = answer(
        Endpoint.DETAILS,
        {"sid": SID, "authorization_code": "dmlzaXRvcg", "note": "id APPID1 here", "APPID1": 1},
        target="SECRET9",
        params={"q": "SECRET9"},
        counts={"APPID1": 3},
    )
    hidden = without_secrets(details, ("APPID1", "SECRET9", ""))
    assert hidden.data == {
        "sid": SID,
        "authorization_code": REDACTED,
        "note": REDACTED,
        REDACTED: 1,
    }
    assert hidden.target == REDACTED
    assert hidden.params == {"q": REDACTED}
    assert hidden.counts == {REDACTED: 3}
    nothing = without_secrets(answer(Endpoint.DETAILS, [{"authorization_code": None}]))
    assert nothing.data == [{"authorization_code": None}]


def demo_answers() -> list[RawAnswer]:
    """Raw answers of the demo site's shape (plus an unlisted inverter in the batch)."""
    return [
        answer(
            Endpoint.DETAILS,
            {"sid": SID, "ecu": ["203000001234", "203000005678", "216200003456"]},
        ),
        answer(
            Endpoint.INVERTERS,
            [
                {"eid": "203000001234", "type": 0, "inverter": [{"uid": "806000001234"}]},
                {"eid": "203000005678", "type": "0", "inverter": [{"uid": "902000005678"}, 7]},
                {"eid": "215000009012", "type": 1, "inverter": None},
                {"eid": "216200003456", "type": 2, "inverter": []},
                "odd",
            ],
        ),
        answer(Endpoint.METERS, ["215000009012", None]),
        answer(
            Endpoint.BATCH_POWER,
            {"time": ["10:00"], "power": {"806000001234-1": ["5"], "806000009999-2": [None]}},
            target="203000001234",
            params={"energy_level": "power", "date_range": "2026-06-17"},
        ),
        answer(
            Endpoint.BATCH_ENERGY,
            {"energy": ["806000001234-1-0.52", "902000005678-4--0.01", 3]},
            target="203000001234",
        ),
        answer(Endpoint.STORAGE_LATEST, {"soc": "55"}, target="216200003456"),
        answer(Endpoint.INVERTER_SUMMARY, {"t1": "1"}, target="806000007777"),
        answer(Endpoint.METER_SUMMARY, None, target="215000009012", code=1001),
    ]


def test_aliases_name_every_serial_the_answers_hold() -> None:
    """ECUs, inverters (also those only a batch or a target names), meters and batteries get
    the diagnostics' aliases, in the order first seen."""
    ids = aliases(SID, answers=demo_answers())
    assert ids == {
        SID: "sid",
        "203000001234": "ecu_1",
        "203000005678": "ecu_2",
        "216200003456": "ecu_3",
        "806000001234": "inverter_1",
        "902000005678": "inverter_2",
        "806000009999": "inverter_3",
        "806000007777": "inverter_4",
        "215000009012": "meter_1",
    }
    # Given lists come first, as the site knows them; a meter ECU among the ECUs is a meter,
    # a battery that is no ECU a battery.
    known = aliases(
        SID,
        ecus=["203000005678", "215000009012"],
        inverters=["902000005678"],
        meters=["215000009012"],
        storage=["216200003456"],
        answers=demo_answers(),
    )
    assert known["203000005678"] == "ecu_1"
    assert known["203000001234"] == "ecu_3"
    assert known["215000009012"] == "meter_1"
    assert known["902000005678"] == "inverter_1"
    assert known["216200003456"] == "ecu_4"
    assert aliases(SID, storage=["216200003456"])["216200003456"] == "battery_1"


def test_aliases_are_consistent_in_batch_keys_entries_and_lists() -> None:
    """The same inverter reads the same alias in the inventory, a batch power key, a batch
    energy entry and a target; the counts' paths too. No serial is left."""
    answers = demo_answers()
    ids = aliases(SID, answers=answers)
    cut = [trim(a) for a in answers]
    block = redacted_block(cut, ids)
    text = json.dumps(block)
    assert [s for s in ids if s in text] == []
    endpoints = block["endpoints"]
    assert endpoints["inverters"]["data"][0]["inverter"] == [{"uid": "inverter_1"}]
    assert set(endpoints["batch_power"]["data"]["power"]) == {"inverter_1-1", "inverter_3-2"}
    assert endpoints["batch_energy"]["data"]["energy"][:2] == [
        "inverter_1-1-0.52",
        "inverter_2-4--0.01",
    ]
    assert endpoints["batch_power"]["target"] == "ecu_1"
    assert endpoints["storage_latest"]["prefix"] == API_PREFIX
    assert endpoints["meter_summary"] == {
        "at": AT.isoformat(),
        "target": "meter_1",
        "params": {},
        "code": 1001,
        "data": None,
    }
    counted = alias(answer(Endpoint.BATCH_POWER, None, counts={"power.806000001234-1": 3}), ids)
    assert counted.counts == {"power.inverter_1-1": 3}


def test_aliasing_swaps_whole_parts_only() -> None:
    """A serial is replaced as a whole text or a whole part between separators, never inside
    a longer number; aliases that are serials of another system swap in one pass."""
    ids = {"806000001234": "inverter_1", "ecu_1": "ecu_2", "ecu_2": "ecu_1"}
    assert alias_text("8060000012345", ids) == "8060000012345"
    assert alias_text("806000001234-1-0.52", ids) == "inverter_1-1-0.52"
    assert alias_text("x 806000001234/2", ids) == "x inverter_1/2"
    assert alias_text("ecu_1-ecu_2", ids) == "ecu_2-ecu_1"
    assert alias_text("2026-06-17", ids) == "2026-06-17"


def test_a_shared_systems_main_ids_are_aliased() -> None:
    """A sub-user's details list ``main-virtual`` ids: the virtual id is the ECU, the main
    user's id reads ``ecu_N_main``; both parts go."""
    site = subuser_site(AT)
    details = answer(Endpoint.DETAILS, {"sid": site.sid, "ecu": site.listed_ecus}, target=site.sid)
    ids = aliases(site.sid, answers=[details])
    shown = alias(details, ids)
    assert shown.data["ecu"] == ["ecu_1_main-ecu_1", "ecu_2_main-ecu_2"]
    text = json.dumps(encode(shown))
    for ecu in site.ecus:
        assert ecu.eid not in text
        assert str(ecu.main_eid) not in text


# -- the block -------------------------------------------------------------------------------


def test_a_block_round_trips() -> None:
    """encode_block and decode_block give back the same records, in the endpoints' order."""
    answers = [trim(a) for a in demo_answers()]
    block = encode_block(reversed(answers), now=AT)
    assert list(block["endpoints"]) == [
        str(e) for e in Endpoint if e in {a.endpoint for a in answers}
    ]
    assert block["now"] == AT.isoformat()
    decoded = decode_block(json.loads(json.dumps(block)))
    assert decoded == {a.endpoint: a for a in answers}


def test_a_block_may_be_written_by_hand() -> None:
    """A record needs only its code (or data); a naive instant is UTC; kinds this version
    does not know are left out."""
    block = {
        "version": 1,
        "endpoints": {
            "meter_minutely": {"code": 1001},
            "details": {"at": "2026-06-17T08:00:00", "data": {"light": 1}},
            "weather": {"code": 0},
        },
    }
    decoded = decode_block(block)
    assert decoded[Endpoint.METER_MINUTELY] == RawAnswer(
        Endpoint.METER_MINUTELY, None, "", {}, None, 1001
    )
    assert decoded[Endpoint.DETAILS].at == AT
    assert set(decoded) == {Endpoint.METER_MINUTELY, Endpoint.DETAILS}
    assert block_instant(block) == AT
    assert block_instant({**block, "now": "2026-06-18T09:00:00+00:00"}) == datetime(
        2026, 6, 18, 9, tzinfo=UTC
    )
    assert block_instant({"version": 1, "endpoints": {}}) is None


@pytest.mark.parametrize(
    "block",
    [
        [],
        {"version": 2, "endpoints": {}},
        {"version": 1},
        {"version": 1, "endpoints": {"details": []}},
        {"version": 1, "endpoints": {"details": {"at": 5}}},
        {"version": 1, "endpoints": {"details": {"target": None}}},
        {"version": 1, "endpoints": {"details": {"params": []}}},
        {"version": 1, "endpoints": {"details": {"params": {"a": 1}}}},
        {"version": 1, "endpoints": {"details": {"code": "0"}}},
        {"version": 1, "endpoints": {"details": {"code": True}}},
        {"version": 1, "endpoints": {"details": {"prefix": 1}}},
        {"version": 1, "endpoints": {"details": {"counts": []}}},
        {"version": 1, "endpoints": {"details": {"counts": {"time": -1}}}},
        {"version": 1, "endpoints": {"details": {"at": "yesterday"}}},
    ],
)
def test_an_unreadable_block_raises_value_error(block: object) -> None:
    """Whatever is wrong in it, reading a block raises ValueError (a stored file may be
    damaged)."""
    with pytest.raises(ValueError, match=r"answers block|isoformat"):
        decode_block(block)


def test_a_block_may_keep_whole_days() -> None:
    """A block of 288 points keeps a whole day of each list, within a bound 12 times the
    24 points' one; a block says how many points it keeps, 1 to 288."""
    times = labels(288)
    day = answer(Endpoint.ECU_MINUTELY, {"time": times, "power": [1.5] * 288})
    whole = encode_block([trim(day, points=288)], points=288)
    assert whole["points"] == 288
    assert "counts" not in whole["endpoints"]["ecu_minutely"]
    assert decode_block(whole)[Endpoint.ECU_MINUTELY].data["time"] == times
    assert answer_bytes(288) == 12 * MAX_ANSWER_BYTES == 12 * answer_bytes()
    for points in (0, 289, "24", None):
        with pytest.raises(ValueError, match="points must be"):
            decode_block({**whole, "points": points})
    log = LastAnswers(points=288)
    log.keep(day)
    assert log.as_dict() == whole


def test_decode_reads_what_encode_writes() -> None:
    """One record, through JSON."""
    record = trim(answer(Endpoint.STORAGE_MINUTELY, {"time": labels(30)}, prefix=INSTALLER_PREFIX))
    assert decode(Endpoint.STORAGE_MINUTELY, json.loads(json.dumps(encode(record)))) == record


def test_last_answers_keep_the_last_good_one() -> None:
    """A success replaces any answer of its kind; an error only an error; what is kept is cut
    and without secrets, and survives its file."""
    log = LastAnswers(("APPID1", ""))
    log.keep(answer(Endpoint.METER_MINUTELY, None, code=5000))
    log.keep(answer(Endpoint.METER_MINUTELY, None, code=1001))
    assert log.answers[Endpoint.METER_MINUTELY].code == 1001
    assert log.changed
    log.changed = False
    good = {"time": labels(100), "power": [1] * 100, "who": "APPID1"}
    log.keep(answer(Endpoint.METER_MINUTELY, good))
    log.keep(answer(Endpoint.METER_MINUTELY, None, code=1001))
    kept = log.answers[Endpoint.METER_MINUTELY]
    assert kept.ok
    assert kept.counts == {"time": 100, "power": 100}
    assert kept.data["who"] == REDACTED
    assert log.changed
    again = LastAnswers()
    again.restore(json.loads(json.dumps(log.as_dict())))
    assert again.answers == log.answers
    assert not again.changed
