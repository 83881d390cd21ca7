"""Properties of the response parsers: any JSON in, a model or APsystemsResponseError out.

Arbitrary JSON-like values (with the keys the parsers look for mixed into the dictionaries,
so the fuzzing reaches past the first ``as_mapping``) never make a parser raise anything but
:class:`APsystemsResponseError`; well-formed payloads with the API's string numbers
round-trip exactly; parallel arrays of different lengths are cut to a common length and stay
aligned index by index.

The inputs the properties once found escaping as ``ValueError`` / ``OverflowError`` (huge
integers, ``--5``, non-ASCII digits) are kept in the strategies and pinned as examples at the
end.
"""

from collections.abc import Callable
import contextlib
from datetime import date, time
import json
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.apsystems_ema.openapi import (
    APsystemsApiError,
    APsystemsResponseError,
    BatchEnergy,
    BatchPower,
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
from custom_components.apsystems_ema.openapi.client import parse_envelope
from custom_components.apsystems_ema.openapi.errors import error_for_code
from custom_components.apsystems_ema.openapi.models import (
    as_int,
    opt_float,
    parse_inventory,
    parse_meters,
)

DAY = date(2026, 6, 21)
BOUNDED = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# -------------------------------------------------------------------------------------------
# Arbitrary JSON

# Every key some parser reads, so that random objects hit the real code paths.
KEYS = [
    "sid",
    "create_date",
    "capacity",
    "type",
    "timezone",
    "ecu",
    "eid",
    "inverter",
    "uid",
    "model",
    "today",
    "month",
    "year",
    "lifetime",
    "time",
    "power",
    "energy",
    "consumed",
    "exported",
    "imported",
    "produced",
    "imported_exported",
    "d1",
    "m1",
    "y1",
    "t1",
    "d2",
    "t2",
    "e1",
    "e2",
    "e3",
    "e4",
    "t",
    "dc_p1",
    "dc_i1",
    "dc_v1",
    "dc_e1",
    "ac_v1",
    "ac_p",
    "ac_p1",
    "ac_f",
    "ac_t",
    "code",
    "data",
    "801000001-1",
    "801000001-2",
    "x-1",
]
TEXT = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=12),
    st.text(max_size=6),  # any Unicode, including digits int() refuses ("\u00b2")
)
LEAF_TEXT = st.one_of(
    TEXT,
    st.sampled_from(
        ["", "0", "0.00", "12.28", "-1", "1e3", "nan", "inf", "08:05", "23:59:59", "25:00"]
    ),
    st.sampled_from(
        ["2026-06-21", "2026-13-01", "801000001-1-0.25", "a-b-c", "-", "1-", "--5", "1\u00b2"]
    ),
)
LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**400, -(10**400)]),  # beyond any float
    st.floats(allow_nan=True, allow_infinity=True),
    LEAF_TEXT,
)
JSON = st.recursive(
    LEAF,
    lambda children: st.one_of(
        st.lists(children, max_size=6),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), TEXT), children, max_size=8),
    ),
    max_leaves=30,
)

PARSERS: dict[str, Callable[[Any], object]] = {
    "details": SystemDetails.from_api,
    "inventory": parse_inventory,
    "meters": parse_meters,
    "summary": EnergySummary.from_api,
    "energy_hourly": lambda d: EnergyPeriod.from_api(d, EnergyLevel.HOURLY),
    "ecu_minutely": lambda d: EcuMinutely.from_api(d, DAY),
    "meter_totals": lambda d: MeterTotals.from_api(d, "totals"),
    "meter_summary": MeterSummary.from_api,
    "meter_period": lambda d: MeterPeriod.from_api(d, EnergyLevel.DAILY),
    "meter_minutely": lambda d: MeterMinutely.from_api(d, DAY),
    "inverter_summary": InverterSummary.from_api,
    "inverter_energy": lambda d: InverterEnergy.from_api(d, EnergyLevel.HOURLY),
    "inverter_minutely": lambda d: InverterMinutely.from_api(d, DAY),
    "batch_energy": lambda d: BatchEnergy.from_api(d, DAY),
    "batch_power": lambda d: BatchPower.from_api(d, DAY),
}


@pytest.mark.parametrize("name", sorted(PARSERS))
@BOUNDED
@given(data=JSON)
def test_any_json_gives_a_model_or_a_response_error(name: str, data: Any) -> None:
    """Whatever the JSON, a parser returns a model or raises APsystemsResponseError."""
    error: APsystemsResponseError | None = None
    result: object = None
    try:
        result = PARSERS[name](data)
    except APsystemsResponseError as err:
        error = err
    if error is not None:
        assert str(error).startswith("Unexpected value for ")  # names the field
    else:
        assert result is not None or name == "meter_totals"


@BOUNDED
@given(body=JSON)
def test_any_envelope_gives_data_or_an_apsystems_error(body: Any) -> None:
    """parse_envelope: data for code 0, the code's own error for a valid non-zero code,
    APsystemsResponseError for anything else (never another exception)."""
    raw = json.dumps(body).encode()
    code = body.get("code") if isinstance(body, dict) else None
    if isinstance(code, str) and code.isdigit():
        code = int(code)
    valid = isinstance(code, int) and not isinstance(code, bool)
    outcome: object
    try:
        outcome = parse_envelope(raw)
    except (APsystemsApiError, APsystemsResponseError) as err:
        outcome = err
    if isinstance(outcome, APsystemsApiError):
        assert valid
        assert code != 0
        assert type(outcome) is type(error_for_code(outcome.code))
        assert outcome.code == code
    elif isinstance(outcome, APsystemsResponseError):
        assert not valid
    else:
        assert valid
        assert code == 0
        assert isinstance(body, dict)
        assert outcome == body.get("data")


@BOUNDED
@given(raw=st.binary(max_size=80))
def test_any_bytes_give_data_or_an_apsystems_error(raw: bytes) -> None:
    """Random bytes (HTML pages, cut bodies, BOMs): never an exception outside the family."""
    with contextlib.suppress(APsystemsApiError, APsystemsResponseError):
        parse_envelope(raw)


# -------------------------------------------------------------------------------------------
# Well-formed payloads: the API's string numbers round-trip


@st.composite
def api_numbers(draw: st.DrawFn, max_value: int = 10**7) -> tuple[str, float]:
    """A non-negative number as the API writes it ("12.28", "0", "0.00") and its value."""
    decimals = draw(st.integers(min_value=0, max_value=3))
    units = draw(st.integers(min_value=0, max_value=max_value))
    if units == 0:
        text = draw(st.sampled_from(["0", "0.0", "0.00"]))
    else:
        text = f"{units / 10**decimals:.{decimals}f}"
    return text, float(text)


NUMBER = api_numbers()
CLOCK = st.times().map(lambda t: t.replace(second=0, microsecond=0))


def clock_text(at: time) -> str:
    """HH:mm, as the API writes it."""
    return at.strftime("%H:%M")


@BOUNDED
@given(today=NUMBER, month=NUMBER, year=NUMBER, lifetime=NUMBER)
def test_summary_round_trips(
    today: tuple[str, float],
    month: tuple[str, float],
    year: tuple[str, float],
    lifetime: tuple[str, float],
) -> None:
    """Every field of a summary parses to the number its string shows."""
    data = {"today": today[0], "month": month[0], "year": year[0], "lifetime": lifetime[0]}
    summary = EnergySummary.from_api(parse_envelope(json.dumps({"code": 0, "data": data}).encode()))
    assert (summary.today, summary.month, summary.year, summary.lifetime) == (
        today[1],
        month[1],
        year[1],
        lifetime[1],
    )


@BOUNDED
@given(values=st.lists(NUMBER, max_size=31))
def test_energy_period_round_trips(values: list[tuple[str, float]]) -> None:
    """An energy list keeps its length, order and values."""
    period = EnergyPeriod.from_api([t for t, _ in values], EnergyLevel.DAILY)
    assert period.values == tuple(v for _, v in values)
    assert period.total == pytest.approx(sum(v for _, v in values))


@BOUNDED
@given(
    times=st.lists(CLOCK, max_size=40),
    power=st.lists(NUMBER, max_size=40),
    energy=st.lists(NUMBER, max_size=40),
    today=NUMBER,
)
def test_ecu_minutely_cuts_to_a_common_length_and_stays_aligned(
    times: list[time],
    power: list[tuple[str, float]],
    energy: list[tuple[str, float]],
    today: tuple[str, float],
) -> None:
    """Mismatched time / power / energy arrays: cut to the shortest, pairs unchanged."""
    data = {
        "time": [clock_text(t) for t in times],
        "power": [p for p, _ in power],
        "energy": [e for e, _ in energy],
        "today": today[0],
    }
    parsed = EcuMinutely.from_api(data, DAY)
    n = min(len(times), len(power), *([len(energy)] if energy else []))
    assert len(parsed.times) == len(parsed.power) == n
    assert parsed.energy == tuple(v for _, v in energy)[:n]
    assert parsed.times == tuple(times[:n])
    assert parsed.power == tuple(v for _, v in power[:n])
    assert parsed.today == today[1]
    assert parsed.last_time == (times[n - 1] if n else None)
    assert parsed.last_power == (power[n - 1][1] if n else None)


@BOUNDED
@given(
    times=st.lists(CLOCK, max_size=30),
    series=st.fixed_dictionaries(
        {
            key: st.lists(NUMBER, max_size=30)
            for key in ("consumed", "imported_exported", "produced")
        }
    ),
    totals=st.fixed_dictionaries(dict.fromkeys(("consumed", "exported", "imported"), NUMBER)),
)
def test_meter_minutely_cuts_to_a_common_length_and_stays_aligned(
    times: list[time],
    series: dict[str, list[tuple[str, float]]],
    totals: dict[str, tuple[str, float]],
) -> None:
    """The meter's power curves are cut to the common length of the non-empty ones."""
    data = {
        "time": [clock_text(t) for t in times],
        "power": {k: [t for t, _ in v] for k, v in series.items()},
        "energy": {k: [t for t, _ in v] for k, v in series.items()},
        "today": {k: t for k, (t, _) in totals.items()},
    }
    parsed = MeterMinutely.from_api(data, DAY)
    n = min([len(times)] + [len(v) for v in series.values() if v])
    assert parsed.times == tuple(times[:n])
    expected = {k: tuple(v for _, v in s)[:n] for k, s in series.items()}
    assert parsed.consumed_power == expected["consumed"]
    assert parsed.grid_power == expected["imported_exported"]
    assert parsed.produced_power == expected["produced"]
    for series_ in (parsed.consumed_power, parsed.grid_power, parsed.produced_power):
        assert len(series_) in (0, n)
    assert parsed.today is not None
    assert parsed.today.consumed == totals["consumed"][1]
    assert parsed.today.produced == 0.0  # absent: zero


UIDS = st.lists(st.from_regex(r"\A80[0-9]{10}\Z"), min_size=1, max_size=4, unique=True).map(tuple)


@BOUNDED
@given(
    times=st.lists(CLOCK, max_size=30),
    uids=UIDS,
    data=st.data(),
)
def test_batch_power_cuts_every_channel_to_a_common_length(
    times: list[time], uids: tuple[str, ...], data: st.DataObject
) -> None:
    """Every channel curve and the time list end up equally long, each a prefix of its input."""
    curves: dict[str, list[tuple[str, float]]] = {}
    for uid in uids:
        for channel in range(1, data.draw(st.integers(1, 4)) + 1):
            curves[f"{uid}-{channel}"] = data.draw(st.lists(NUMBER, max_size=30))
    payload = {
        "time": [clock_text(t) for t in times],
        "power": {k: [t for t, _ in v] for k, v in curves.items()},
    }
    parsed = BatchPower.from_api(payload, DAY)
    n = min([len(times)] + [len(v) for v in curves.values()])
    assert parsed.times == tuple(times[:n])
    for key, values in curves.items():
        uid, number = key.rsplit("-", 1)
        assert parsed.power[uid][int(number)] == tuple(v for _, v in values)[:n]
        assert parsed.latest(uid, int(number)) == (values[n - 1][1] if n else None)


@BOUNDED
@given(uids=UIDS, data=st.data())
def test_batch_energy_round_trips(uids: tuple[str, ...], data: st.DataObject) -> None:
    """``uid-channel-kWh`` entries parse back to their numbers, per inverter and channel."""
    expected: dict[str, dict[int, float]] = {}
    entries = []
    for uid in uids:
        for channel in range(1, data.draw(st.integers(1, 4)) + 1):
            text, value = data.draw(NUMBER)
            entries.append(f"{uid}-{channel}-{text}")
            expected.setdefault(uid, {})[channel] = value
    parsed = BatchEnergy.from_api({"energy": entries}, DAY)
    assert parsed.energy == expected
    for uid, channels in expected.items():
        assert parsed.inverter_total(uid) == pytest.approx(sum(channels.values()))


@BOUNDED
@given(channels=st.integers(1, 4), data=st.data())
def test_inverter_summary_round_trips(channels: int, data: st.DataObject) -> None:
    """d/m/y/t per channel parse back to their numbers; totals add the channels."""
    payload: dict[str, str] = {}
    expected: dict[str, float] = {}
    for n in range(1, channels + 1):
        for prefix in "dmyt":
            text, value = data.draw(NUMBER)
            payload[f"{prefix}{n}"] = text
            expected[f"{prefix}{n}"] = value
    parsed = InverterSummary.from_api(payload)
    assert [c.channel for c in parsed.channels] == list(range(1, channels + 1))
    for c in parsed.channels:
        assert (c.today, c.month, c.year, c.lifetime) == tuple(
            expected[f"{p}{c.channel}"] for p in "dmyt"
        )
    assert parsed.lifetime == pytest.approx(sum(expected[f"t{n}"] for n in range(1, channels + 1)))


@BOUNDED
@given(
    times=st.lists(CLOCK, max_size=30),
    dc=st.lists(NUMBER, max_size=40),
    temperature=st.lists(NUMBER, max_size=40),
)
def test_inverter_minutely_follows_the_time_list(
    times: list[time], dc: list[tuple[str, float]], temperature: list[tuple[str, float]]
) -> None:
    """Detail series are cut (or padded with None) to the length of ``t``, staying aligned."""
    payload = {
        "t": [clock_text(t) for t in times],
        "dc_p1": [t for t, _ in dc],
        "ac_t": [t for t, _ in temperature],
    }
    parsed = InverterMinutely.from_api(payload, DAY)
    n = len(times)

    def fitted(values: list[tuple[str, float]]) -> tuple[float | None, ...]:
        if not values:
            return ()
        cut: list[float | None] = [v for _, v in values[:n]]
        return tuple(cut + [None] * (n - len(cut)))

    assert parsed.times == tuple(times)
    assert parsed.dc_power == {1: fitted(dc)}
    assert parsed.temperature == fitted(temperature)


@BOUNDED
@given(blocks=st.lists(st.sampled_from(["today", "month", "year", "lifetime"]), unique=True))
def test_meter_summary_null_blocks_are_none(blocks: list[str]) -> None:
    """Absent or null blocks become None; present ones parse."""
    payload: dict[str, Any] = {
        key: {"consumed": "1.5", "exported": "0", "imported": "0.00", "produced": "2"}
        if key in blocks
        else None
        for key in ("today", "month", "year", "lifetime")
    }
    parsed = MeterSummary.from_api(payload)
    for key in ("today", "month", "year", "lifetime"):
        block = getattr(parsed, key)
        assert (block is not None) == (key in blocks)
        if block is not None:
            assert (block.consumed, block.exported, block.imported, block.produced) == (
                1.5,
                0.0,
                0.0,
                2.0,
            )


# -------------------------------------------------------------------------------------------
# Inputs that once escaped as another exception (found by the properties above)


def test_huge_integer_is_a_response_error() -> None:
    """A JSON integer too large for a float (a 400-digit 'lifetime') is a response error."""
    with pytest.raises(APsystemsResponseError, match=r"summary\.lifetime"):
        EnergySummary.from_api(json.loads('{"lifetime": 1' + "0" * 400 + "}"))


@pytest.mark.parametrize("text", ["--5", "-", "5-", "1.0", " "])
def test_malformed_integer_is_a_response_error(text: str) -> None:
    """``as_int`` rejects what ``int`` cannot parse, with the field's name."""
    with pytest.raises(APsystemsResponseError, match=r"details\.type"):
        SystemDetails.from_api({"sid": "AZ1", "type": text})


@pytest.mark.parametrize(
    "parse",
    [
        lambda: as_int("\u00b2", "details.type"),
        lambda: parse_envelope('{"code": "\u00b2", "data": null}'.encode()),
        lambda: BatchPower.from_api({"time": [], "power": {"801-\u00b2": []}}, DAY),
        lambda: BatchEnergy.from_api({"energy": ["801-\u00b2-1.5"]}, DAY),
    ],
    ids=["as_int", "envelope_code", "batch_power_key", "batch_energy_key"],
)
def test_non_ascii_digits_are_a_response_error(parse: Callable[[], object]) -> None:
    """Unicode 'digits' such as superscript two, which int() refuses, are a response error."""
    with pytest.raises(APsystemsResponseError):
        parse()


def test_opt_float_accepts_what_it_documents() -> None:
    """Sanity anchor for the strategies: the API's spellings of numbers."""
    assert [opt_float(x, "x") for x in ("12.28", "0", "0.00", 3)] == [12.28, 0.0, 0.0, 3.0]
