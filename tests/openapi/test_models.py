"""Parsing of the API's string numbers, nulls, truncated and mismatched arrays."""

from datetime import date, time
from typing import Any

import pytest

from custom_components.apsystems_ema.openapi import (
    APsystemsResponseError,
    BatchEnergy,
    BatchPower,
    EcuInfo,
    EcuMinutely,
    EnergyLevel,
    EnergyPeriod,
    EnergySummary,
    InverterEnergy,
    InverterMinutely,
    InverterSummary,
    MeterMinutely,
    MeterPeriod,
    MeterSummary,
    MeterTotals,
    SystemDetails,
)
from custom_components.apsystems_ema.openapi.models import (
    as_int,
    float_list,
    local_datetime,
    opt_float,
    parse_inventory,
    parse_meters,
)

DAY = date(2026, 6, 21)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12.28", 12.28), ("0", 0.0), ("0.00", 0.0), (" 3 ", 3.0), (7, 7.0), (1.5, 1.5)],
)
def test_numbers_from_strings(raw: object, expected: float) -> None:
    """Strings, ints and floats all parse; "0" and "0.00" are both zero."""
    assert opt_float(raw, "x") == expected


@pytest.mark.parametrize("raw", [None, ""])
def test_absent_numbers(raw: object) -> None:
    """Null and empty mean absent."""
    assert opt_float(raw, "x") is None


@pytest.mark.parametrize("raw", ["abc", True, [], {}, "nan", "inf", "1e308", -2e9, 10**400])
def test_mistyped_numbers_name_the_field(raw: object) -> None:
    """A value that is not a finite number raises a clear error naming the field."""
    with pytest.raises(APsystemsResponseError, match=r"summary\.today"):
        opt_float(raw, "summary.today")


def test_long_values_are_shortened_in_errors() -> None:
    """An error never carries a whole page of text."""
    with pytest.raises(APsystemsResponseError) as err:
        opt_float("<html>" + "x" * 500, "f")
    assert len(str(err.value)) < 120


def test_details() -> None:
    """§3.1.1 example, plus a missing timezone defaulting to UTC."""
    details = SystemDetails.from_api(
        {
            "sid": "AZ12649A3DFF",
            "create_date": "2022-09-01",
            "capacity": "1.28",
            "type": 1,
            "timezone": "Asia/Shanghai",
            "ecu": ["203000001234"],
        }
    )
    assert details == SystemDetails(
        "AZ12649A3DFF", date(2022, 9, 1), 1.28, 1, "Asia/Shanghai", ("203000001234",)
    )
    bare = SystemDetails.from_api({"sid": "S", "ecu": None, "capacity": None, "type": "2"})
    assert (bare.timezone, bare.ecus, bare.capacity_kw, bare.type, bare.create_date) == (
        "UTC",
        (),
        None,
        2,
        None,
    )


@pytest.mark.parametrize(
    "data",
    [None, [], {"sid": None}, {"sid": "S", "ecu": "x"}, {"sid": "S", "create_date": "soon"}],
)
def test_bad_details(data: Any) -> None:
    """Mistyped details raise, never half-parse."""
    with pytest.raises(APsystemsResponseError):
        SystemDetails.from_api(data)


def test_inventory_and_meters() -> None:
    """§3.1.2 with null model/capacity, a meter ECU, and numeric ids."""
    ecus = parse_inventory(
        [
            {
                "eid": "203000001234",
                "type": 0,
                "timezone": "Asia/Shanghai",
                "inverter": [{"uid": "902000001234", "type": "QT2D"}, {"uid": 902000001235}],
                "model": None,
                "capacity": None,
            },
            {"eid": "215000000001", "type": 1, "inverter": None},
        ]
    )
    assert ecus[0].inverters[1].uid == "902000001235"
    assert ecus[0].inverters[1].type is None
    assert not ecus[0].has_meter
    assert ecus[1] == EcuInfo("215000000001", 1, None, ())
    assert ecus[1].has_meter
    assert parse_meters(["215000000001"]) == ("215000000001",)
    assert parse_meters(None) == ()
    with pytest.raises(APsystemsResponseError):
        parse_meters({"a": 1})
    with pytest.raises(APsystemsResponseError):
        as_int(True, "t")


def test_summary_and_period() -> None:
    """Summaries need a lifetime; periods treat null entries as zero and may be truncated."""
    summary = EnergySummary.from_api({"today": "0", "month": None, "year": "1", "lifetime": "9.5"})
    assert summary == EnergySummary(0.0, 0.0, 1.0, 9.5)
    with pytest.raises(APsystemsResponseError, match="lifetime"):
        EnergySummary.from_api({"today": "1"})
    period = EnergyPeriod.from_api(["0.00", "1.5", None, "2"], EnergyLevel.DAILY)
    assert period.values == (0.0, 1.5, 0.0, 2.0)
    assert period.total == 3.5


def test_ecu_minutely_mismatch_is_cut_to_common_length() -> None:
    """Time and power arrays of different length are aligned from the start."""
    minutely = EcuMinutely.from_api(
        {
            "today": "3.21",
            "time": ["06:05", "06:10", "06:15"],
            "power": ["10", "25.5"],
            "energy": ["0.001", "0.002", "0.003"],
        },
        DAY,
    )
    assert minutely.times == (time(6, 5), time(6, 10))
    assert minutely.power == (10.0, 25.5)
    assert minutely.energy == (0.001, 0.002)
    assert minutely.today == 3.21
    assert minutely.last_time == time(6, 10)
    assert minutely.last_power == 25.5
    empty = EcuMinutely.from_api({"today": "0", "time": [], "power": [], "energy": None}, DAY)
    assert empty.last_time is None
    assert empty.last_power is None
    with pytest.raises(APsystemsResponseError, match=r"time\[0\]"):
        EcuMinutely.from_api({"time": ["25:99"], "power": ["1"]}, DAY)
    with pytest.raises(APsystemsResponseError, match=r"time\[0\]"):
        EcuMinutely.from_api({"time": [605], "power": ["1"]}, DAY)


def test_meter_blocks() -> None:
    """§3.4.1 with a null lifetime block; §3.4.2 period and minutely shapes."""
    block = {"consumed": "394.4", "exported": "0.000000", "imported": "560.5", "produced": "833.8"}
    summary = MeterSummary.from_api({"today": block, "month": block, "year": block})
    assert summary.lifetime is None
    assert summary.today == MeterTotals(394.4, 0.0, 560.5, 833.8)
    period = MeterPeriod.from_api(
        {"time": ["01", "02"], "produced": ["1", "2"], "consumed": ["3", "4"]},
        EnergyLevel.HOURLY,
    )
    assert period.labels == ("01", "02")
    assert period.imported == ()
    assert period.consumed == (3.0, 4.0)
    minutely = MeterMinutely.from_api(
        {
            "today": block,
            "time": ["23:52", "23:57"],
            "power": {"consumed": ["167.96", "150"], "imported_exported": ["-20", "167.96"]},
            "energy": {"consumed": ["0.015620", "0.01"], "exported": ["0"]},
        },
        DAY,
    )
    assert minutely.grid_power == (-20.0, 167.96)
    assert minutely.produced_power == ()
    assert minutely.energy["exported"] == (0.0,)
    assert minutely.energy["imported"] == ()


def test_inverter_summary_and_energy() -> None:
    """Channels are discovered from the keys present (2 or 4)."""
    summary = InverterSummary.from_api(
        {"d1": "1.5", "m1": "10", "y1": "100", "t1": "500", "d2": "0.5", "t2": "400", "x9": "1"}
    )
    assert [c.channel for c in summary.channels] == [1, 2]
    assert summary.today == 2.0
    assert summary.lifetime == 900.0
    assert summary.channels[1].month == 0.0
    energy = InverterEnergy.from_api(
        {"e1": ["1", "2"], "e2": ["3"], "e3": [], "e4": None}, EnergyLevel.HOURLY
    )
    assert energy.channels == {1: (1.0, 2.0), 2: (3.0,), 3: (), 4: ()}


def test_inverter_minutely_ac_power_names() -> None:
    """Both ``ac_p`` and ``ac_p1`` carry AC power; short series are padded with None."""
    base = {
        "t": ["10:00", "10:05"],
        "dc_p1": ["100", "110"],
        "dc_p2": ["90"],
        "dc_v1": ["30.1", "30.2"],
        "dc_i1": ["3.3", "3.6"],
        "dc_e1": ["0.008", "0.009"],
        "ac_v1": ["230", "231"],
        "ac_t": ["35", "36"],
        "ac_f": ["50.0", "49.9"],
    }
    one = InverterMinutely.from_api({**base, "ac_p": ["180", "190"]}, DAY)
    four = InverterMinutely.from_api({**base, "ac_p1": ["181", "191"]}, DAY)
    assert one.ac_power == (180.0, 190.0)
    assert four.ac_power == (181.0, 191.0)
    assert one.dc_power == {1: (100.0, 110.0), 2: (90.0, None)}
    assert one.ac_voltage == {1: (230.0, 231.0)}
    assert one.temperature == (35.0, 36.0)
    assert one.ac_frequency == (50.0, 49.9)
    bare = InverterMinutely.from_api({"t": ["10:00"]}, DAY)
    assert bare.ac_power == ()
    assert bare.dc_power == {}


def test_batch_energy_and_power() -> None:
    """``uid-channel-kWh`` entries and ``{uid-channel: [W]}`` curves."""
    energy = BatchEnergy.from_api(
        {"energy": ["701000001234-1-1.24", "701000001234-2-0.76", "701000009999-1-0"]}, DAY
    )
    assert energy.energy == {"701000001234": {1: 1.24, 2: 0.76}, "701000009999": {1: 0.0}}
    assert energy.inverter_total("701000001234") == pytest.approx(2.0)
    assert energy.inverter_total("missing") == 0
    for bad in ("nodash", "uid-x-1.0", "-1-2"):
        with pytest.raises(APsystemsResponseError):
            BatchEnergy.from_api({"energy": [bad]}, DAY)
    power = BatchPower.from_api(
        {
            "time": ["12:00", "12:05", "12:10"],
            "power": {"701000001234-1": ["45", "56", "78"], "701000001234-2": ["40", "50"]},
        },
        DAY,
    )
    assert power.times == (time(12, 0), time(12, 5))
    assert power.latest("701000001234", 1) == 56.0
    assert power.latest("701000001234", 3) is None
    assert BatchPower.from_api({"time": None, "power": None}, DAY).power == {}


def test_float_list_and_local_datetime() -> None:
    """Nulls stay None in curves; a time combines with its day in the given zone."""
    assert float_list(["1", None, "0.00"], "p") == (1.0, None, 0.0)
    with pytest.raises(APsystemsResponseError, match=r"p\[1\]"):
        float_list(["1", "x"], "p")
    from zoneinfo import ZoneInfo

    stamp = local_datetime(DAY, time(12, 5), ZoneInfo("Europe/Amsterdam"))
    assert stamp.utcoffset() is not None
    assert stamp.isoformat() == "2026-06-21T12:05:00+02:00"
