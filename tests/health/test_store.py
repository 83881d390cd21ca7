"""Panel health's inputs and its file: the polls' curves and the closing's energies of every
ECU make a closed day; what was learned survives a round trip, a damaged file is refused
field by field, the format's version is migrated, and the window stays bounded."""

from datetime import date, time, timedelta
import json
from typing import Any

import pytest

from custom_components.apsystems_ema import codec, health as health_module
from custom_components.apsystems_ema.health import (
    MAX_VALUES,
    OPEN_DAYS,
    WINDOW_DAYS,
    Health,
    OpenDay,
    health_from,
    offsets,
    window_days,
)
from custom_components.apsystems_ema.openapi import BatchEnergy, BatchPower
from custom_components.apsystems_ema.state import ChannelState, EcuState, InverterState, SiteState
from tests.health.helpers import NOON, Roof, inverters, run

DAY = date(2026, 7, 1)


def two_ecus() -> SiteState:
    """Two ECUs, three DS3: A and B under E1, C under E2."""
    site = SiteState("SID", timezone="Europe/Amsterdam")
    for eid, uids in (("E1", ("A", "B")), ("E2", ("C",))):
        site.ecus[eid] = EcuState(eid)
        for uid in uids:
            site.inverters[uid] = InverterState(
                uid, eid, "DS3", {1: ChannelState(), 2: ChannelState()}
            )
    return site


def energy(day: date, *uids: str, kwh: float = 2.0) -> BatchEnergy:
    return BatchEnergy(day, {uid: {1: kwh, 2: kwh} for uid in uids})


def test_a_day_closes_once_every_ecu_answered() -> None:
    """The first ECU's batch energy waits for the second's; then the day is closed. A listed
    inverter without an entry (a silent one) made nothing: dead at once."""
    site, health = two_ecus(), Health()
    assert not health.observe_energy(site, "E1", energy(DAY, "A"))
    assert health.closed is None
    assert health.observe_energy(site, "E2", energy(DAY, "C"))
    assert health.closed == DAY
    assert not health.open
    assert health.inverter("B").on  # type: ignore[union-attr]
    assert health.inverter("B").dead  # type: ignore[union-attr]
    assert not health.inverter("A").on  # type: ignore[union-attr]
    # The day again (a retried closing) is no news.
    assert not health.observe_energy(site, "E1", energy(DAY, "A", "B"))


def test_a_day_an_ecu_never_answered_closes_without_it() -> None:
    """E2's energy of a day never came: the day closes without its channels once the next
    day is complete (they are neither dead nor judged), or once it is OPEN_DAYS old."""
    site, health = two_ecus(), Health()
    health.observe_energy(site, "E1", energy(DAY, "A", "B"))
    next_day = DAY + timedelta(days=1)
    health.observe_energy(site, "E1", energy(next_day, "A", "B"))
    assert health.closed is None
    assert health.observe_energy(site, "E2", energy(next_day, "C"))
    assert health.closed == next_day
    assert health.channel("C", 1) is not None  # from the next day only
    assert health.channel("C", 1).judged is None  # type: ignore[union-attr]
    # Nothing from E2 for days: the oldest open day closes with E1's alone.
    health.observe_energy(site, "E1", energy(DAY + timedelta(days=2), "A", "B"))
    assert health.closed == next_day
    health.observe_energy(site, "E1", energy(DAY + timedelta(days=2 + OPEN_DAYS), "A", "B"))
    assert health.closed == DAY + timedelta(days=2)


def test_curves_give_each_channel_its_time_of_production() -> None:
    """A poll's curve (the day so far) replaces an older one of the day; an older one coming
    later is kept out; the times are against the system's of the day at the closing."""
    site, health = two_ecus(), Health()
    times = (time(9), time(12), time(15))
    health.observe_curve(BatchPower(DAY, times[:2], {"A": {1: (100.0, 100.0)}}))
    health.observe_curve(
        BatchPower(DAY, times, {"A": {1: (100.0, 100.0, 100.0)}, "C": {1: (0.0, 300.0, None)}})
    )
    health.observe_curve(BatchPower(DAY, times[:1], {"A": {1: (100.0,)}}))
    curve = health.open[DAY].curve
    assert curve[("A", 1)][0] == curve[("C", 1)][0] == 12 * 60
    assert curve[("A", 1)][1] == curve[("C", 1)][1] == pytest.approx(0.025)
    assert offsets(curve) == {("A", 1): 0.0, ("C", 1): 0.0}
    assert offsets({("A", 1): (600.0, 0.001)}) == {}  # too little to tell a time
    health.observe_energy(site, "E1", energy(DAY, "A", "B"))
    health.observe_energy(site, "E2", energy(DAY, "C"))
    health.observe_curve(BatchPower(DAY, times, {"A": {1: (1.0, 1.0, 1.0)}}))
    assert DAY not in health.open  # a closed day's curve is no news


def learned_health() -> Health:
    """A week of a split roof, a dead channel, and a day still open."""
    roof = inverters(("e", 2, 0.41, -90), ("w", 2, 0.44, 90), ("s", 4, 0.43, 0))
    health = Health(0.8)
    day = run(health, roof, DAY, [5.0, 4.5, 5.2, 4.8, 5.1])
    run(health, roof, day, [5.0], losses={("s", 3): 1.0})
    health.open[DAY + timedelta(days=9)] = OpenDay(
        {("e", 1): 1.5}, {"E1"}, {("e", 1): (NOON - 90.0, 1.4)}
    )
    return health


def test_what_was_learned_survives_a_round_trip() -> None:
    """As JSON and back: the same window, verdicts, open days and model."""
    health = learned_health()
    stored = json.loads(json.dumps(health.as_dict()))
    again = health_from(stored, 0.8)
    assert again.as_dict() == health.as_dict()
    assert again.model == health.model
    assert again.threshold == 0.8
    assert again.channel("s", 3).on  # type: ignore[union-attr]
    assert again.model.groups == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(closed=20260701), "health.closed"),
        (lambda d: d["days"][0].update(day=None), "health.days[0].day"),
        (lambda d: d["days"][0]["energy"].update({"e1": 1.0}), "health.days[0].energy"),
        (lambda d: d["days"][0]["energy"].update({"e-1": -1.0}), "health.days[0].energy.e-1"),
        (lambda d: d["days"][0].update(learn="e-1"), "health.days[0]"),
        (lambda d: d["channels"]["s-3"].update(on="yes"), "health.channels.s-3.on"),
        (lambda d: d["inverters"]["s"].update(low=-1), "health.inverters.s.low"),
        (lambda d: d["open"][0]["curve"].update({"e-1": [1.0]}), "health.open[0].curve.e-1"),
        (lambda d: d.update(open={}), "health.open"),
    ],
)
def test_a_damaged_file_is_refused_naming_the_field(change: Any, field: str) -> None:
    """Each damage raises ValueError naming the field (the entry then starts afresh)."""
    stored = json.loads(json.dumps(learned_health().as_dict()))
    change(stored)
    with pytest.raises(codec.UnreadableError, match=field.replace("[", r"\[").replace("]", r"\]")):
        health_from(stored)


def test_missing_parts_are_refused() -> None:
    """A file without a part is no health file of this version."""
    stored = learned_health().as_dict()
    del stored["open"]
    with pytest.raises(KeyError):
        health_from(stored)


def test_versions() -> None:
    """Version 1 files are read as they are; another major version is refused."""
    data = learned_health().as_dict()
    assert codec.migrate_health(1, 1, data) is data
    assert codec.HEALTH_MINOR == 1
    with pytest.raises(codec.UnreadableError, match=r"health file version 2\.0"):
        codec.migrate_health(2, 0, data)


def test_the_window_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """30 good days for an ordinary system, fewer for a huge one (7 at least), so that its
    file keeps MAX_VALUES numbers at most (here made small: 50 channels as a huge system)."""
    assert window_days(8) == WINDOW_DAYS
    assert window_days(400) == MAX_VALUES // 800
    assert window_days(10_000) == 7
    monkeypatch.setattr(health_module, "MAX_VALUES", 1000)
    sizes = {(f"i{n // 2}", n % 2 + 1): 0.4 for n in range(50)}
    health = Health()
    run(health, Roof(sizes), DAY, [5.0] * 12)
    assert len(health.days) == window_days(50) == 10
    stored = health.as_dict()
    numbers = sum(len(d["energy"]) + len(d["offset"]) for d in stored["days"])
    assert numbers <= 1000
    monkeypatch.undo()
    # A file written with a larger window is cut to the bound when read.
    small = Health()
    run(small, Roof(dict(list(sizes.items())[:8])), DAY, [5.0] * 40)
    stored = small.as_dict()
    stored["days"] = stored["days"] * 2
    assert len(health_from(stored).days) == WINDOW_DAYS


def test_diagnostics_say_what_was_learned() -> None:
    """Groups (1: the earliest), shares, learned days, flags and open days, in short."""
    health = learned_health()
    diagnostics = health.diagnostics()
    assert diagnostics["groups"] == 3
    assert diagnostics["good_days"] == len(health.days)
    assert diagnostics["window"] == [DAY.isoformat(), health.days[-1].day.isoformat()]
    assert diagnostics["channels"]["e-1"]["group"] == 1
    assert diagnostics["channels"]["w-2"]["group"] == 3
    assert diagnostics["channels"]["s-1"]["share"] == pytest.approx(1.0, abs=0.01)
    assert diagnostics["underperforming"] == ["s-3"]
    assert diagnostics["open"] == [(DAY + timedelta(days=9)).isoformat()]
    assert json.loads(json.dumps(diagnostics)) == {
        **diagnostics,
        "typical_kwh": {str(k): v for k, v in diagnostics["typical_kwh"].items()},
    }
