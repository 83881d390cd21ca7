"""Manual v1.7/v1.8 answers: status light, visitor code, shared sub-user ids, storage models.

The fixtures in ``fixtures/`` are written from the manual's field lists (whole envelopes, so
they pass through ``parse_envelope`` as a server's answer would).
"""

from datetime import date, time
import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.apsystems_ema.openapi import (
    STORAGE_KEYS,
    APsystemsResponseError,
    EnergyLevel,
    StatusLight,
    StorageLatest,
    StorageMinutely,
    StoragePeriod,
    StorageSummary,
    StorageTotals,
    SystemDetails,
    split_ecu_id,
)
from custom_components.apsystems_ema.openapi.client import parse_envelope
from custom_components.apsystems_ema.openapi.models import (
    opt_clock,
    parse_inventory,
    parse_meters,
)

FIXTURES = Path(__file__).parent / "fixtures"
DAY = date(2026, 6, 21)


def answer(name: str) -> Any:
    """The ``data`` of a stored answer."""
    return parse_envelope((FIXTURES / f"{name}.json").read_bytes())


def fresh(name: str) -> Any:
    """A mutable copy of a stored answer's ``data``, to spoil in a test."""
    return json.loads(json.dumps(answer(name)))


# -- ids ----------------------------------------------------------------------------------


def test_split_ecu_id() -> None:
    """The virtual id comes first, the main user's id second; a plain id stands alone."""
    assert split_ecu_id("2030000001236-002405253708") == ("002405253708", "2030000001236")
    assert split_ecu_id("203000001234") == ("203000001234", None)
    assert split_ecu_id(" 203000001234 ") == ("203000001234", None)


@pytest.mark.parametrize("text", ["", "-002405253708", "2030000001236-", "-", "1-2-3"])
def test_split_ecu_id_refuses_empty_parts(text: str) -> None:
    """An empty part (or a second dash) is not an id: the error names the field."""
    with pytest.raises(APsystemsResponseError, match=r"details\.ecu\[\]"):
        split_ecu_id(text, "details.ecu[]")
    with pytest.raises(APsystemsResponseError, match="ecu id"):
        split_ecu_id(text)


# -- details ------------------------------------------------------------------------------


def test_details_v18() -> None:
    """Light, visitor code and a shared entry: ``ecus`` holds the ids queries must use."""
    details = SystemDetails.from_api(answer("details_v18_shared"))
    assert details.ecus == ("002405253708", "215000000042")
    assert details.shared == {"002405253708": "2030000001236"}
    assert details.light is StatusLight.ALARM
    assert details.authorization_code == "Zm9vYmFyLXZpc2l0b3ItY29kZQ"
    assert details.type == 3
    assert details.has_storage
    assert hash(details) == hash(SystemDetails.from_api(answer("details_v18_shared")))


def test_the_authorization_code_is_never_in_a_repr() -> None:
    """The visitor code is a secret: neither ``repr`` nor ``str`` shows it."""
    details = SystemDetails.from_api(answer("details_v18_shared"))
    code = "Zm9vYmFyLXZpc2l0b3ItY29kZQ"
    assert code not in repr(details)
    assert code not in str(details)
    assert code not in repr([details])
    assert "light=<StatusLight.ALARM: 2>" in repr(details)


@pytest.mark.parametrize(
    ("light", "expected"),
    [
        (1, StatusLight.NORMAL),
        ("2", StatusLight.ALARM),
        (3, StatusLight.ECU_OFFLINE),
        (4, StatusLight.NO_DATA),
        (0, None),
        (5, None),
        (None, None),
        ("", None),
    ],
)
def test_status_light(light: object, expected: StatusLight | None) -> None:
    """The four lights of the manual; an unknown number or an absent light is ``None``."""
    details = SystemDetails.from_api({"sid": "S", "light": light})
    assert details.light is expected


@pytest.mark.parametrize("light", ["green", True, 1.5, [1]])
def test_a_mistyped_light_names_the_field(light: object) -> None:
    """A light that is not an integer is a bad answer, like any mistyped field."""
    with pytest.raises(APsystemsResponseError, match=r"details\.light"):
        SystemDetails.from_api({"sid": "S", "light": light})


def test_ordinary_details_are_unchanged() -> None:
    """A v1.6 answer: no light, no code, nothing shared; type 1 has no storage."""
    details = SystemDetails.from_api({"sid": "S", "type": 1, "ecu": ["203000001234"]})
    assert (details.light, details.authorization_code, details.shared) == (None, None, {})
    assert details.ecus == ("203000001234",)
    assert not details.has_storage
    assert SystemDetails.from_api({"sid": "S", "type": "2"}).has_storage


def test_a_broken_shared_id_fails_the_details() -> None:
    """A shared entry with an empty half raises instead of querying a wrong device."""
    with pytest.raises(APsystemsResponseError, match=r"details\.ecu\[\]"):
        SystemDetails.from_api({"sid": "S", "ecu": ["2030000001236-"]})


# -- inventory and meters -----------------------------------------------------------------


def test_inventory_with_a_storage_ecu_and_a_shared_id() -> None:
    """Type 2 is a storage ECU with model and kWh capacity; shared eids keep the virtual id."""
    first, storage = parse_inventory(answer("inverters_v17_storage"))
    assert first.eid == "002405253708"
    assert not first.is_storage
    assert (first.model, first.capacity) == (None, None)
    assert storage.eid == "215000000042"
    assert storage.is_storage
    assert not storage.has_meter
    assert (storage.model, storage.capacity) == ("ELT-12", 10.24)
    with pytest.raises(APsystemsResponseError, match=r"inverters\[\]\.eid"):
        parse_inventory([{"eid": "-215000000042", "type": 2}])


def test_meters_keep_the_virtual_id() -> None:
    """Meter ids of a shared system are split like the details' ids."""
    assert parse_meters(["2030000001236-002405253708", "215000000001"]) == (
        "002405253708",
        "215000000001",
    )
    with pytest.raises(APsystemsResponseError, match=r"meters\[\]"):
        parse_meters(["a--b"])


# -- storage ------------------------------------------------------------------------------


def test_storage_latest() -> None:
    """§3.6.1: mode, SoC, time and six powers from strings."""
    latest = StorageLatest.from_api(answer("storage_latest"))
    assert latest.mode == "4"
    assert latest.soc == 85.0
    assert latest.time == time(14, 35)
    assert latest.charge == 1250.5
    assert latest.discharge == 0.0
    assert {key: latest.power(key) for key in STORAGE_KEYS} == {
        "charge": 1250.5,
        "discharge": 0.0,
        "produced": 2980.0,
        "consumed": 410.25,
        "imported": 0.0,
        "exported": 1319.25,
    }
    with pytest.raises(KeyError):
        latest.power("soc")


def test_storage_latest_absent_values() -> None:
    """A bare answer: everything ``None``; a numeric mode becomes its string."""
    bare = StorageLatest.from_api({"mode": 4, "soc": "", "time": None})
    assert (bare.mode, bare.soc, bare.time) == ("4", None, None)
    assert all(bare.power(key) is None for key in STORAGE_KEYS)
    assert StorageLatest.from_api({"soc": "0"}).soc == 0.0
    assert StorageLatest.from_api({"soc": "100"}).soc == 100.0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("soc", "100.5"),
        ("soc", "-1"),
        ("soc", "full"),
        ("charge", "-5"),
        ("imported", "-0.1"),
        ("exported", "x"),
        ("time", "25:00"),
        ("time", 1435),
        ("mode", True),
    ],
)
def test_storage_latest_refuses_impossible_values(field: str, value: object) -> None:
    """A SoC outside 0..100, a negative power, a bad time: an error naming the field."""
    data = fresh("storage_latest")
    data[field] = value
    with pytest.raises(APsystemsResponseError, match=rf"storage_latest\.{field}"):
        StorageLatest.from_api(data)


def test_storage_summary() -> None:
    """§3.6.2: four blocks of six kWh totals."""
    summary = StorageSummary.from_api(answer("storage_summary"))
    assert summary.today == StorageTotals(4.85, 1.2, 12.4, 6.1, 0.0, 2.65)
    assert summary.month.get("imported") == 12.4
    assert summary.year.get("charge") == 260.5
    assert summary.lifetime.get("discharge") == 210.0
    assert [summary.today.get(key) for key in STORAGE_KEYS] == [4.85, 1.2, 12.4, 6.1, 0.0, 2.65]
    with pytest.raises(KeyError):
        summary.today.get("lifetime")


def test_storage_summary_shapes() -> None:
    """A missing value is 0 kWh; a missing block or a mistyped value is a bad answer."""
    data = fresh("storage_summary")
    del data["today"]["imported"]
    data["month"]["charge"] = None
    summary = StorageSummary.from_api(data)
    assert summary.today.imported == 0.0
    assert summary.month.charge == 0.0
    data["year"] = None
    with pytest.raises(APsystemsResponseError, match=r"storage_summary\.year"):
        StorageSummary.from_api(data)
    data = fresh("storage_summary")
    data["lifetime"]["produced"] = "lots"
    with pytest.raises(APsystemsResponseError, match=r"storage_summary\.lifetime\.produced"):
        StorageSummary.from_api(data)
    with pytest.raises(APsystemsResponseError, match="storage_summary"):
        StorageSummary.from_api(None)


def test_storage_period() -> None:
    """§3.6.3 hourly: labels and six lists of kWh, aligned."""
    period = StoragePeriod.from_api(answer("storage_period_hourly"), EnergyLevel.HOURLY)
    assert period.level is EnergyLevel.HOURLY
    assert period.times == ("01", "02", "03", "04")
    assert set(period.values) == set(STORAGE_KEYS)
    assert period.series("charge") == (0.0, 0.0, 0.4, 0.9)
    assert period.series("imported") == (0.05, 0.05, 0.0, 0.0)
    assert all(len(period.series(key)) == 4 for key in STORAGE_KEYS)
    with pytest.raises(KeyError):
        period.series("soc")


def test_storage_period_mismatch_and_absent_lists() -> None:
    """Lists of different lengths are cut to the shortest; an absent list stays empty
    (unknown, not zero); null entries count as 0 kWh; numeric labels become strings."""
    data = fresh("storage_period_hourly")
    data["charge"] = ["0", None, "0.40"]
    data["exported"] = None
    del data["imported"]
    data["time"] = [1, 2, 3, 4]
    period = StoragePeriod.from_api(data, EnergyLevel.DAILY)
    assert period.times == ("1", "2", "3")
    assert period.series("charge") == (0.0, 0.0, 0.4)
    assert period.series("produced") == (0.0, 0.0, 0.75)
    assert period.series("exported") == ()
    assert period.series("imported") == ()
    empty = StoragePeriod.from_api({"time": []}, EnergyLevel.YEARLY)
    assert empty.times == ()
    assert all(empty.series(key) == () for key in STORAGE_KEYS)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time": ["01", None]}, r"storage_period\.time\[1\]"),
        ({"time": "01"}, r"storage_period\.time"),
        ({"discharge": ["0", "x"]}, r"storage_period\.discharge\[1\]"),
    ],
)
def test_storage_period_bad_values(change: dict[str, Any], field: str) -> None:
    """Mistyped labels and values name their field."""
    with pytest.raises(APsystemsResponseError, match=field):
        StoragePeriod.from_api({**fresh("storage_period_hourly"), **change}, EnergyLevel.HOURLY)


def test_storage_minutely() -> None:
    """§3.6.3 minutely: today's totals, times, six power and six energy lists."""
    minutely = StorageMinutely.from_api(answer("storage_period_minutely"), DAY)
    assert minutely.day == DAY
    assert minutely.today == StorageSummary.from_api(answer("storage_summary")).today
    assert minutely.times == (time(14, 25), time(14, 30), time(14, 35))
    assert minutely.power["charge"] == (1200.0, 1240.5, 1250.5)
    assert minutely.energy["produced"] == (0.246, 0.248, 0.248)
    assert set(minutely.power) == set(minutely.energy) == set(STORAGE_KEYS)
    latest = StorageLatest.from_api(answer("storage_latest"))
    assert latest.time == minutely.times[-1]
    assert {k: latest.power(k) for k in STORAGE_KEYS} == {
        k: minutely.power[k][-1] for k in STORAGE_KEYS
    }


def test_storage_minutely_mismatch_and_nulls() -> None:
    """Arrays are cut to their common length; null blocks and entries are tolerated."""
    data = fresh("storage_period_minutely")
    data["today"] = None
    data["power"]["charge"] = ["1200", None]
    data["energy"] = None
    minutely = StorageMinutely.from_api(data, DAY)
    assert minutely.today is None
    assert minutely.times == (time(14, 25), time(14, 30))
    assert minutely.power["charge"] == (1200.0, None)
    assert minutely.power["produced"] == (2950.0, 2975.0)
    assert all(minutely.energy[key] == () for key in STORAGE_KEYS)
    data = fresh("storage_period_minutely")
    data["energy"]["consumed"] = ["0.035"]
    data["power"] = None
    short = StorageMinutely.from_api(data, DAY)
    assert short.times == (time(14, 25),)
    assert short.energy["charge"] == (0.1,)
    assert all(short.power[key] == () for key in STORAGE_KEYS)
    empty = StorageMinutely.from_api({}, DAY)
    assert (empty.today, empty.times) == (None, ())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time": ["14:25", "24:61", "14:35"]}, r"storage_minutely\.time\[1\]"),
        ({"power": ["1"]}, r"storage_minutely\.power"),
        ({"energy": {"charge": ["0", "-"]}}, r"storage_minutely\.energy\.charge\[1\]"),
        ({"today": {"charge": "?"}}, r"storage_minutely\.today\.charge"),
        ({"today": "1.2"}, r"storage_minutely\.today"),
    ],
)
def test_storage_minutely_bad_values(change: dict[str, Any], field: str) -> None:
    """Mistyped blocks and values name their field."""
    with pytest.raises(APsystemsResponseError, match=field):
        StorageMinutely.from_api({**fresh("storage_period_minutely"), **change}, DAY)


def test_opt_clock() -> None:
    """A reading's time: ``HH:mm``, absent, or refused."""
    assert opt_clock("07:05", "t") == time(7, 5)
    assert opt_clock("", "t") is None
    with pytest.raises(APsystemsResponseError, match="t"):
        opt_clock("7h05", "t")
