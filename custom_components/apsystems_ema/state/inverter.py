"""Micro-inverters and their channels, folded from the batch endpoints (every inverter under
one ECU in one call), an inverter's summary and its detail telemetry (pure Python).

The batch power curve is the integration's main answer: integrated, it moves every channel's,
inverter's, ECU's and (with the other ECUs) the system's energy of the day at every poll; the
closing's batch energy makes each channel's day exact.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from .. import codec
from ..openapi import BatchEnergy, BatchPower, EnergySummary, InverterMinutely, InverterSummary
from .curves import after, fresh, newest, on_grid, reported, zone_of
from .totals import Totals, rounding, totals_from

if TYPE_CHECKING:
    from .site import SiteState


@dataclass
class ChannelState:
    """One inverter channel."""

    power_w: float | None = None
    today_kwh: float | None = None


@dataclass
class InverterDetail:
    """The newest detail telemetry of an inverter (from its ``minutely`` endpoint)."""

    at: datetime
    dc_voltage: dict[int, float | None] = field(default_factory=dict)
    dc_current: dict[int, float | None] = field(default_factory=dict)
    ac_voltage: float | None = None
    frequency: float | None = None
    temperature: float | None = None


@dataclass
class InverterState:
    """A micro-inverter and its channels."""

    uid: str
    eid: str
    model: str | None = None
    channels: dict[int, ChannelState] = field(default_factory=dict)
    power_at: datetime | None = None
    energy_day: date | None = None
    exact_day: date | None = None  # the day whose channel energies are the API's own
    detail: InverterDetail | None = None
    # Its lifetime: anchored by its summary (on ``anchored``), rolled forward by its days.
    energy: Totals = field(default_factory=Totals)
    anchored: date | None = None
    last_report: datetime | None = None  # its newest sample with a value

    @property
    def power_w(self) -> float | None:
        """AC-side power: the sum of its channels."""
        values = [c.power_w for c in self.channels.values() if c.power_w is not None]
        return sum(values) if values else None

    @property
    def today_kwh(self) -> float | None:
        """Today's energy over its channels."""
        values = [c.today_kwh for c in self.channels.values() if c.today_kwh is not None]
        return sum(values) if values else None


def _estimate_channels(inv: InverterState, day: date, energies: dict[int, float]) -> None:
    """An inverter's channel energies of ``day`` so far, estimated from its power curve: they
    only grow, and never replace the API's exact figures of that day."""
    if (inv.energy_day is not None and day < inv.energy_day) or inv.exact_day == day:
        return
    if inv.energy_day != day:
        for channel in inv.channels.values():
            channel.today_kwh = 0.0
    for number, kwh in energies.items():
        channel = inv.channels.setdefault(number, ChannelState())
        channel.today_kwh = max(kwh, channel.today_kwh or 0.0)
    inv.energy_day = day


def apply_batch_power(site: SiteState, eid: str, power: BatchPower, fetched: datetime) -> None:
    """Every channel's newest power under one ECU, and every channel's energy of the day
    so far: the curve integrated (an estimate the closing's batch energy makes exact).
    The ECU's energy of the day is the sum of its channels, so one call per ECU moves
    the channels, inverters, ECU and system alike; it also settles their anchors (summaries
    without today) with the energy the curve holds up to each anchor's instant."""
    zone = zone_of(site.timezone)
    sample = newest(power.day, power.times, zone)
    slots = {
        uid: {n: on_grid(power.times, v) for n, v in channels.items()}
        for uid, channels in power.power.items()
    }
    # The day so far at its least: a gap in the curve never lifts a lifetime above the API's.
    energies = {uid: {n: s.floor for n, s in chans.items()} for uid, chans in slots.items()}
    total = sum(sum(channels.values()) for channels in energies.values())
    plausible = site.plausible_day(total)

    def until(anchor: datetime | None, uids: list[str]) -> float | None:
        """The curve's energy of the given inverters up to an anchor fetched before it."""
        if anchor is None or fetched < anchor:
            return None
        clock = anchor.astimezone(zone).time()
        return sum(grid.until(clock) for uid in uids for grid in slots.get(uid, {}).values())

    def floor_until(uids: list[str]) -> Callable[[datetime], float]:
        """The curve's least energy of the given inverters up to an instant."""

        def energy(at: datetime) -> float:
            clock = at.astimezone(zone).time()
            return sum(
                grid.floor_until(clock) for uid in uids for grid in slots.get(uid, {}).values()
            )

        return energy

    newer = False
    for uid, channels in power.power.items():
        inv = site.inverters.get(uid)
        if inv is None:
            continue  # not in the inventory (the lists are the authority on devices)
        if sample is not None and inv.power_at is not None and sample < inv.power_at:
            continue  # an older curve than the one we have
        newer = True
        if plausible:
            kwh = until(inv.energy.anchored_at(power.day), [uid])
            if kwh is not None:
                inv.energy.settle(power.day, kwh)
            _estimate_channels(inv, power.day, energies[uid])
            if inv.energy_day == power.day and inv.today_kwh is not None:
                today = inv.energy.cap(power.day, inv.today_kwh, floor_until([uid]))
                inv.energy.set_today(power.day, today)
        for number, values in channels.items():
            channel = inv.channels.setdefault(number, ChannelState())
            channel.power_w = fresh(values[-1] if values else None, sample, fetched)
        inv.power_at = sample or inv.power_at
        seen = reported(power.day, power.times, channels.values(), zone)
        if seen is not None and after(seen, inv.last_report):
            inv.last_report = seen
    ecu = site.ecus.get(eid)
    if ecu is not None and plausible and newer:
        everyone = list(power.power)
        kwh = until(ecu.energy.anchored_at(power.day), everyone)
        if kwh is not None:
            ecu.energy.settle(power.day, kwh)
        kwh = until(site.energy.anchored_at(power.day), everyone)
        if kwh is not None:
            site.settle_system(eid, power.day, kwh)
        ecu.energy.set_today(power.day, ecu.energy.cap(power.day, total, floor_until(everyone)))
        site.sum_ecus(power.day)
    # The same call covers every inverter of the ECU: a newer sample is the ECU's power too.
    if ecu is not None and sample is not None and after(sample, ecu.last_report):
        ecu.last_report = sample
        ecu.power_w = sum(inv.power_w or 0.0 for inv in site.inverters.values() if inv.eid == eid)
        site.last_data = max(sample, site.last_data or sample)
    site.updated = fetched


def apply_batch_energy(site: SiteState, eid: str, energy: BatchEnergy, fetched: datetime) -> None:
    """Every channel's exact energy of the day under one ECU (an impossible day is
    ignored): it replaces the estimates, and closes the ECU's day exactly."""
    total = sum(sum(channels.values()) for channels in energy.energy.values())
    if not site.plausible_day(total):
        return
    for uid, channels in energy.energy.items():
        inv = site.inverters.get(uid)
        if inv is None or (inv.energy_day is not None and energy.day < inv.energy_day):
            continue
        if inv.energy_day != energy.day:
            for channel in inv.channels.values():
                channel.today_kwh = 0.0
        for number, kwh in channels.items():
            inv.channels.setdefault(number, ChannelState()).today_kwh = kwh
        inv.energy_day = inv.exact_day = energy.day
        terms = sum(1 for kwh in channels.values() if kwh)
        inv.energy.set_today(
            energy.day, sum(channels.values()), exact=True, resolution=rounding(terms)
        )
    ecu = site.ecus.get(eid)
    if ecu is not None and energy.energy:
        terms = sum(1 for channels in energy.energy.values() for kwh in channels.values() if kwh)
        ecu.energy.set_today(energy.day, total, exact=True, resolution=rounding(terms))
        site.sum_ecus(energy.day)
    site.updated = fetched


def apply_summary(
    site: SiteState, uid: str, summary: InverterSummary, fetched: datetime
) -> str | None:
    """An inverter's exact lifetime at the start of its day (its anchor; without its day
    keys, an anchor as of ``fetched`` that its next curve settles); an impossible summary is
    ignored and the reason returned."""
    inv = site.inverters.get(uid)
    if inv is None:
        return None  # no longer listed
    day = site.local_day(fetched)
    totals = EnergySummary(
        today=summary.today,
        month=sum(c.month for c in summary.channels),
        year=sum(c.year for c in summary.channels),
        lifetime=summary.lifetime,
    )
    if not site.plausible_summary(totals, day):
        return "values no system of this capacity can produce"
    problem = inv.energy.set_summary(day, totals, fetched)
    if problem is None:
        inv.anchored = day
    site.updated = fetched
    return problem


def apply_detail(site: SiteState, uid: str, detail: InverterMinutely, fetched: datetime) -> None:
    """The newest detail telemetry sample of one inverter."""
    inv = site.inverters.get(uid)
    at = newest(detail.day, detail.times, zone_of(site.timezone))
    if inv is None or at is None:
        return

    def last(values: tuple[float | None, ...]) -> float | None:
        return values[-1] if values else None

    ac_voltages = [v for v in (last(s) for s in detail.ac_voltage.values()) if v is not None]
    inv.detail = InverterDetail(
        at=at,
        dc_voltage={n: last(s) for n, s in detail.dc_voltage.items()},
        dc_current={n: last(s) for n, s in detail.dc_current.items()},
        ac_voltage=ac_voltages[0] if ac_voltages else None,
        frequency=last(detail.ac_frequency),
        temperature=last(detail.temperature),
    )
    site.updated = fetched


def inverter_from(data: dict[str, Any]) -> InverterState:
    """An inverter from its stored form."""
    detail = data["detail"]
    return InverterState(
        uid=data["uid"],
        eid=data["eid"],
        model=data["model"],
        channels={
            int(k): ChannelState(
                power_w=codec.opt_number(v["power_w"], "channel.power_w"),
                today_kwh=codec.opt_number(v["today_kwh"], "channel.today_kwh", minimum=0),
            )
            for k, v in data["channels"].items()
        },
        power_at=codec.opt_instant(data["power_at"], "inverter.power_at"),
        energy_day=codec.opt_day(data["energy_day"], "inverter.energy_day"),
        exact_day=codec.opt_day(data.get("exact_day"), "inverter.exact_day"),
        energy=totals_from(data["energy"], "inverter.energy") if "energy" in data else Totals(),
        anchored=codec.opt_day(data.get("anchored"), "inverter.anchored"),
        last_report=codec.opt_instant(data.get("last_report"), "inverter.last_report"),
        detail=None
        if detail is None
        else InverterDetail(
            at=datetime.fromisoformat(detail["at"]),
            dc_voltage={int(k): v for k, v in detail["dc_voltage"].items()},
            dc_current={int(k): v for k, v in detail["dc_current"].items()},
            ac_voltage=detail["ac_voltage"],
            frequency=detail["frequency"],
            temperature=detail["temperature"],
        ),
    )
