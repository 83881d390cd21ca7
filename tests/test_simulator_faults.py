"""The simulator's channel faults and modules facing east or west: each channel's curve
changes, and every total (ECU, system, hours, summaries, the meter's production and the
battery's PV) stays the sum of the channels."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from custom_components.apsystems_ema.openapi import BatchEnergy, BatchPower
from tests.simulator import (
    ChannelFault,
    Ecu,
    Inverter,
    Simulator,
    Site,
    Storage,
    StorageTruth,
    Truth,
    demo_site,
)
from tests.simulator.solar import PLAIN, SLOTS_PER_DAY, unit_total

DAY = date(2026, 7, 3)
SUMMER = datetime(2026, 7, 3, 21, 0, tzinfo=UTC)  # 23:00 in Amsterdam: the day is over


def split_site(*faults: ChannelFault) -> Site:
    """East (A), west (B) and south (C, a QT2) modules, a meter and a battery."""
    return Site(
        sid="SPLIT",
        timezone="Europe/Amsterdam",
        latitude=52.3,
        longitude=4.9,
        create_date=date(2025, 6, 1),
        ecus=(
            Ecu("E1", (Inverter("A", facing_minutes=-90), Inverter("B", facing_minutes=90))),
            Ecu("E2", (Inverter("C", "QT2", peak_w=430.0),)),
        ),
        meters=("M",),
        storages=(Storage("S"),),
        faults=faults,
    )


FAULTS = (
    ChannelFault("C", 2, start=DAY, loss=0.25),
    ChannelFault("A", 1, start=DAY, end=DAY),
    ChannelFault("C", 3, loss=0.6, hours=(7.0, 10.5)),
)


def channels(site: Site) -> list[tuple[str, int]]:
    return [(inv.uid, n) for inv in site.inverters for n in range(1, inv.channels + 1)]


def mean_time(power: list[float]) -> float:
    """The energy-weighted mean time of a day's curve (minutes)."""
    return sum(n * 5 * p for n, p in enumerate(power)) / sum(power)


def test_every_total_is_the_sum_of_the_channels() -> None:
    """With faults and east / west modules: the day, the hours, the ECU's, the summary's
    lifetime, the meter's production and the battery's PV are all the channels' sum."""
    site = split_site(*FAULTS)
    truth = StorageTruth(site)
    for day in (DAY - timedelta(days=1), DAY, DAY + timedelta(days=1)):
        per_channel = [truth.day_energy(day, uid=u, channel=n) for u, n in channels(site)]
        assert truth.day_energy(day) == pytest.approx(sum(per_channel))
        assert sum(truth.hourly(day)) == pytest.approx(truth.day_energy(day))
        assert truth.day_energy(day, eid="E1") + truth.day_energy(day, eid="E2") == (
            pytest.approx(truth.day_energy(day))
        )
        assert truth.meter_day(day).produced == pytest.approx(truth.day_energy(day))
        assert truth.storage_day_totals("S", day).produced == pytest.approx(truth.day_energy(day))
        slots = truth.slot_energy(day)
        assert len(slots) == SLOTS_PER_DAY
        assert sum(slots) == pytest.approx(truth.day_energy(day))
    summary = truth.summary(SUMMER)
    by_inverter = sum(truth.summary(SUMMER, uid=inv.uid).lifetime for inv in site.inverters)
    assert summary.lifetime == pytest.approx(by_inverter)
    assert summary.today == pytest.approx(truth.day_energy(DAY))


def test_faults_take_what_they_say() -> None:
    """Degraded by a share from its day on, dead on its days only, shaded in its hours."""
    site = split_site(*FAULTS)
    truth, healthy = Truth(site), Truth(replace(site, faults=()))
    before, after = DAY - timedelta(days=1), DAY + timedelta(days=1)
    for day in (before, DAY, after):
        ratio = truth.day_energy(day, uid="C", channel=2) / healthy.day_energy(
            day, uid="C", channel=2
        )
        assert ratio == pytest.approx(1.0 if day == before else 0.75)
    assert truth.day_energy(DAY, uid="A", channel=1) == 0.0
    assert truth.day_energy(after, uid="A", channel=1) == healthy.day_energy(
        after, uid="A", channel=1
    )
    shaded = truth.slot_power(DAY, uid="C", channel=3)
    clear = healthy.slot_power(DAY, uid="C", channel=3)
    for slot in range(SLOTS_PER_DAY):
        hour = slot / 12
        expected = clear[slot] * (0.4 if 7.0 <= hour < 10.5 else 1.0)
        assert shaded[slot] == pytest.approx(expected)
    assert mean_time(shaded) > mean_time(clear) + 20  # the morning's shade: later


def test_east_and_west_modules_make_their_day_earlier_and_later() -> None:
    """The curve of an east module peaks before the sun's noon and a west one's after, both
    within the real sun's day; a site without faults or facing keeps the unit curve."""
    site = split_site()
    truth = Truth(site)
    east = truth.slot_power(DAY, uid="A", channel=2)
    west = truth.slot_power(DAY, uid="B", channel=2)
    south = truth.slot_power(DAY, uid="C", channel=1)
    assert mean_time(east) < mean_time(south) - 60 < mean_time(west) - 120
    window = truth.window(DAY)
    lit = [slot for slot, p in enumerate(east) if p > 0] + [
        slot for slot, p in enumerate(west) if p > 0
    ]
    assert window.start <= min(lit)
    assert max(lit) < window.stop
    plain = demo_site(SUMMER)
    plain_truth = Truth(plain)
    assert plain_truth.production(DAY) == ((PLAIN, plain_truth.system_scale),)
    key = (plain.latitude, plain.longitude, plain.timezone, plain.seed)
    assert plain_truth.day_energy(DAY) == unit_total(*key, DAY) * plain_truth.system_scale


def test_the_batch_answers_show_the_faults() -> None:
    """The batch endpoint's data: the dead channel's curve at 0 W and its day 0.00 kWh, the
    degraded one's day a quarter down (as the integration's models read them)."""
    site = split_site(*FAULTS)
    sim = Simulator(site, clock=lambda: SUMMER)
    energy = BatchEnergy.from_api(sim.batch_data("E1", DAY, SUMMER, "energy"), DAY)
    assert energy.energy["A"][1] == 0.0
    assert energy.energy["A"][2] > 1.0
    power = BatchPower.from_api(sim.batch_data("E1", DAY, SUMMER, "power"), DAY)
    assert set(power.power["A"][1]) == {0.0}
    assert power.times[0] > time(4)
    qt2 = BatchEnergy.from_api(sim.batch_data("E2", DAY, SUMMER, "energy"), DAY).energy["C"]
    healthy = Truth(replace(site, faults=())).day_energy(DAY, uid="C", channel=2)
    assert qt2[2] == pytest.approx(0.75 * healthy, abs=0.006)


def test_a_fault_loss_is_a_share() -> None:
    """A loss outside 0..1 is refused."""
    with pytest.raises(ValueError, match="loss"):
        ChannelFault("A", 1, loss=1.5)
