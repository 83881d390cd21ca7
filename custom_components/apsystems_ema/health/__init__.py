"""Panel health: which module or inverter makes less than its siblings say it should, at no
extra API call (pure Python, no Home Assistant).

It reads two answers the integration fetches anyway:

- every poll's **batch power** (every channel's 5-minute power curve of an ECU, the day so
  far): each channel's mean time of production of the day, which sorts the channels into
  orientation groups (:mod:`.learn`);
- the closing's **batch energy** (every channel's exact energy of the day): once every
  producing ECU's is in, the day is *closed*: each channel and inverter gets its relative
  yield and the Underperforming decision moves on (:mod:`.judge`), then the day, if it had
  enough sun, joins the window the shares are learned from.

What it learned (the window of good days, each unit's verdict, the days still open) is kept
in the entry's health file (:meth:`Health.as_dict`, bounded by :func:`window_days`).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from statistics import median
from typing import TYPE_CHECKING, Any

from .. import codec
from .judge import (
    DEAD_KWH,
    DEFAULT_THRESHOLD,
    SUN_SHARE,
    Day,
    Verdict,
)
from .learn import EMPTY, Channel, DayRecord, Model, learn

if TYPE_CHECKING:
    from ..openapi import BatchEnergy, BatchPower
    from ..state import SiteState

__all__ = ["DEFAULT_THRESHOLD", "Channel", "Health", "Verdict", "health_from", "window_days"]

WINDOW_DAYS = 30  # good days the shares are learned from
MIN_WINDOW_DAYS = 7  # ... however many channels the system has
MAX_VALUES = 24_000  # numbers the window keeps at most (an energy and a time per channel a day)
MIN_LEARN_KWH = 0.08  # a day teaches when its median channel made this much at least
OPEN_DAYS = 3  # a day still waiting for an ECU's energies is closed without it after this
SLOT_HOURS = 5 / 60  # the batch power's 5-minute points
MIN_CURVE_KWH = 0.02  # a curve holding less than this tells no time of production


def window_days(channels: int) -> int:
    """How many good days the window keeps for a system of that many channels: 30, fewer
    for a system so large that its file would grow beyond ``MAX_VALUES`` numbers (7 at
    least)."""
    return max(MIN_WINDOW_DAYS, min(WINDOW_DAYS, MAX_VALUES // max(2 * channels, 1)))


@dataclass
class OpenDay:
    """A day not closed yet: the channels' exact energies of the ECUs whose batch energy came
    (kWh), and each channel's newest curve of the day, as its mean time of production
    (minutes since midnight) and the energy it holds (kWh)."""

    energy: dict[Channel, float] = field(default_factory=dict)
    ecus: set[str] = field(default_factory=set)
    curve: dict[Channel, tuple[float, float]] = field(default_factory=dict)


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def offsets(curves: Mapping[Channel, tuple[float, float]]) -> dict[Channel, float]:
    """Each channel's mean time of production against the system's of the same day (the
    energy-weighted mean over every channel), in minutes."""
    usable = {c: v for c, v in curves.items() if v[1] >= MIN_CURVE_KWH}
    total = sum(kwh for _, kwh in usable.values())
    if total <= 0:
        return {}
    system = sum(minutes * kwh for minutes, kwh in usable.values()) / total
    return {c: round(minutes - system, 1) for c, (minutes, _) in usable.items()}


class Health:
    """The learner and its decisions for one system."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        """Nothing learned yet; ``threshold``: the relative yield below which a day counts
        as low (0.85: 85 %)."""
        self.threshold = threshold
        self.days: list[DayRecord] = []
        self.channels: dict[Channel, Verdict] = {}
        self.inverters: dict[str, Verdict] = {}
        self.open: dict[date, OpenDay] = {}
        self.closed: date | None = None  # the newest day closed
        self.model: Model = EMPTY
        self.revision = 0  # moves with every change (to save, and to update the issues)

    # -- what the entities read -------------------------------------------------------------

    def channel(self, uid: str, number: int) -> Verdict | None:
        """A channel's verdict (None before its first closed day)."""
        return self.channels.get((uid, number))

    def inverter(self, uid: str) -> Verdict | None:
        """An inverter's verdict (None before its first closed day)."""
        return self.inverters.get(uid)

    def group(self, uid: str, number: int) -> int | None:
        """A channel's orientation group (0: the earliest), None before it was learned."""
        return self.model.group.get((uid, number))

    # -- the answers ------------------------------------------------------------------------

    def observe_curve(self, power: BatchPower) -> None:
        """An ECU's batch power curve (the day so far): each channel's mean time of
        production of the day (a newer curve of the day replaces an older one)."""
        if self.closed is not None and power.day <= self.closed:
            return
        curves = self.open.setdefault(power.day, OpenDay()).curve
        for uid, channels in power.power.items():
            for number, values in channels.items():
                points = [
                    (_minutes(at), watts)
                    for at, watts in zip(power.times, values, strict=False)
                    if watts is not None and watts > 0
                ]
                watts = sum(w for _, w in points)
                if watts <= 0:
                    continue
                kwh = watts * SLOT_HOURS / 1000
                known = curves.get((uid, number))
                if known is not None and known[1] > kwh:
                    continue  # an older curve of the day than the one kept
                curves[(uid, number)] = (sum(m * w for m, w in points) / watts, kwh)
        self.revision += 1

    def observe_energy(self, site: SiteState, eid: str, energy: BatchEnergy) -> bool:
        """An ECU's batch energy (every channel's exact day): kept until every producing
        ECU's is in, then the day is closed. A listed inverter without an entry made
        nothing (a silent one). Returns whether a day was closed."""
        if self.closed is not None and energy.day <= self.closed:
            return False
        day = self.open.setdefault(energy.day, OpenDay())
        listed = set(site.listed_inverters)
        for uid, inverter in site.inverters.items():
            if inverter.eid != eid or uid not in listed:
                continue
            answered = energy.energy.get(uid, {})
            numbers = set(inverter.channels) | set(answered)
            numbers |= {n for (u, n) in self.model.group if u == uid}
            for number in numbers:
                day.energy[(uid, number)] = answered.get(number, 0.0)
        day.ecus.add(eid)
        self.revision += 1
        producing = {site.inverters[uid].eid for uid in listed} & set(site.producing)
        return self._close_ready(producing, set(site.inverters))

    def _close_ready(self, producing: set[str], present: set[str]) -> bool:
        """Close the days whose ECUs all answered, and the older ones still open (without
        the ECUs that did not); a day open too long is closed with what it has."""
        if not self.open:
            return False
        complete = [d for d, o in self.open.items() if o.energy and producing <= o.ecus]
        newest = max(self.open)
        last_complete = max(complete, default=None)
        closed = False
        for day in sorted(self.open):
            ready = day in complete or (last_complete is not None and day < last_complete)
            if not ready and day > newest - timedelta(days=OPEN_DAYS):
                break
            opened = self.open.pop(day)
            if opened.energy:
                self.close_day(day, opened.energy, opened.curve, present)
                closed = True
        return closed

    # -- a closed day -----------------------------------------------------------------------

    def close_day(
        self,
        day: date,
        energy: Mapping[Channel, float],
        curves: Mapping[Channel, tuple[float, float]] | None = None,
        present: set[str] | None = None,
    ) -> None:
        """Judge a day from every channel's exact energy (kWh) and, when the polls saw them,
        its curves (mean time of production in minutes, energy held in kWh), then learn from
        it. ``present``: the inverters the system still has (the verdicts of others go)."""
        if self.closed is not None and day <= self.closed:
            return
        if present is not None:
            self.channels = {c: v for c, v in self.channels.items() if c[0] in present}
            self.inverters = {u: v for u, v in self.inverters.items() if u in present}
        shifts = offsets(curves or {})
        suspects = {c for c in energy if self._flagged(c)}
        judged = Day(energy, shifts, self.model, suspects.__contains__)
        self._judge_channels(day, judged)
        self._judge_inverters(day, judged)
        self._learn(day, judged, shifts)
        self.closed = day
        self.revision += 1

    def _flagged(self, channel: Channel) -> bool:
        """Whether a channel, or its inverter, is underperforming."""
        verdicts = (self.channels.get(channel), self.inverters.get(channel[0]))
        return any(v is not None and v.on for v in verdicts)

    def _judge_channels(self, day: date, judged: Day) -> None:
        for channel in judged.energy:
            verdict = self.channels.setdefault(channel, Verdict())
            figure = judged.expected([channel])
            if channel in judged.dead:
                verdict.died(day, None if figure is None else figure.expected)
            elif figure is not None and figure.sunny:
                verdict.energy, verdict.expected = figure.energy, figure.expected
                verdict.decide(day, figure.ratio, self.threshold)
            elif verdict.on and verdict.dead and figure is None and judged.lit([channel]):
                verdict.alive(day)

    def _judge_inverters(self, day: date, judged: Day) -> None:
        by_inverter: dict[str, list[Channel]] = {}
        for channel in judged.energy:
            by_inverter.setdefault(channel[0], []).append(channel)
        for uid, channels in by_inverter.items():
            verdict = self.inverters.setdefault(uid, Verdict())
            figure = judged.expected(channels)
            if all(c in judged.dead for c in channels):
                verdict.died(day, None if figure is None else figure.expected)
            elif figure is not None and figure.sunny:
                verdict.energy, verdict.expected = figure.energy, figure.expected
                verdict.decide(day, figure.ratio, self.threshold)
            elif verdict.on and verdict.dead and figure is None and judged.lit(channels):
                verdict.alive(day)

    def _learn(self, day: date, judged: Day, shifts: Mapping[Channel, float]) -> None:
        """Keep the day in the window when it had enough sun, with the channels that did
        well (not dead, not low, not underperforming), and learn again."""
        energy = judged.energy
        if len(energy) < 2 or median(energy.values()) < MIN_LEARN_KWH:
            return
        teaches = frozenset(c for c in energy if self._teaches(c, day, judged))
        if not teaches:
            return
        self.days.append(DayRecord(day, dict(energy), dict(shifts), teaches))
        channels = len({c for record in self.days for c in record.energy})
        del self.days[: max(len(self.days) - window_days(channels), 0)]
        self.model = learn(self.days)

    def _teaches(self, channel: Channel, day: date, judged: Day) -> bool:
        """Whether a channel's energy of the day is one to learn from."""
        if channel in judged.dead or judged.energy[channel] < DEAD_KWH:
            return False
        for verdict in (self.channels.get(channel), self.inverters.get(channel[0])):
            if verdict is None:
                continue
            if verdict.on or (verdict.day == day and (verdict.figure or 0.0) < self.threshold):
                return False
        group = judged.group[channel]
        typical = self.model.typical.get(group)
        if typical is None:
            return True  # a group not learned yet: every day with enough light teaches it
        reference = judged.reference(group, set(), learned=1)
        return reference is not None and reference >= SUN_SHARE * typical

    def diagnostics(self) -> dict[str, Any]:
        """What was learned, in short (for the diagnostics: groups, shares, flags)."""
        model = self.model
        return {
            "threshold": self.threshold,
            "closed": _iso(self.closed),
            "window": [record.day.isoformat() for record in self.days[:1] + self.days[-1:]],
            "good_days": len(self.days),
            "groups": model.groups,
            "channels": {
                _key(c): {
                    "group": group + 1,
                    "mean_time": model.offset.get(c),
                    "share": None if c not in model.share else round(model.share[c], 3),
                    "days": model.days.get(c, 0),
                }
                for c, group in sorted(model.group.items())
            },
            "typical_kwh": {g + 1: round(v, 3) for g, v in sorted(model.typical.items())},
            "underperforming": sorted(
                [_key(c) for c, v in self.channels.items() if v.on]
                + [uid for uid, v in self.inverters.items() if v.on]
            ),
            "open": [day.isoformat() for day in sorted(self.open)],
        }

    # -- the health file --------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """The JSON-able form of what was learned (see :func:`health_from`)."""
        return {
            "closed": _iso(self.closed),
            "days": [
                {
                    "day": record.day.isoformat(),
                    "energy": {_key(c): kwh for c, kwh in record.energy.items()},
                    "offset": {_key(c): minutes for c, minutes in record.offset.items()},
                    "learn": sorted(_key(c) for c in record.learn),
                }
                for record in self.days
            ],
            "channels": {_key(c): _verdict_dict(v) for c, v in self.channels.items()},
            "inverters": {uid: _verdict_dict(v) for uid, v in self.inverters.items()},
            "open": [
                {
                    "day": day.isoformat(),
                    "energy": {_key(c): kwh for c, kwh in opened.energy.items()},
                    "ecus": sorted(opened.ecus),
                    "curve": {_key(c): list(v) for c, v in opened.curve.items()},
                }
                for day, opened in sorted(self.open.items())
            ],
        }


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _key(channel: Channel) -> str:
    return f"{channel[0]}-{channel[1]}"


def _channel(key: Any, what: str) -> Channel:
    if not isinstance(key, str):
        raise codec.UnreadableError(f"{what}: {key!r} is not a channel")
    uid, sep, number = key.rpartition("-")
    if not sep or not uid or not number.isdigit():
        raise codec.UnreadableError(f"{what}: {key!r} is not a channel")
    return uid, int(number)


def _verdict_dict(verdict: Verdict) -> dict[str, Any]:
    return {
        "figure": verdict.figure,
        "day": _iso(verdict.day),
        "energy": verdict.energy,
        "expected": verdict.expected,
        "on": verdict.on,
        "since": _iso(verdict.since),
        "dead": verdict.dead,
        "low": verdict.low,
        "low_since": _iso(verdict.low_since),
        "good": verdict.good,
        "judged": _iso(verdict.judged),
    }


def _flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise codec.UnreadableError(f"{what}: {value!r} is not true or false")
    return value


def _verdict(data: Any, what: str) -> Verdict:
    data = codec.mapping(data, what)
    return Verdict(
        figure=codec.opt_number(data["figure"], f"{what}.figure", minimum=0),
        day=codec.opt_day(data["day"], f"{what}.day"),
        energy=codec.opt_number(data["energy"], f"{what}.energy", minimum=0),
        expected=codec.opt_number(data["expected"], f"{what}.expected", minimum=0),
        on=_flag(data["on"], f"{what}.on"),
        since=codec.opt_day(data["since"], f"{what}.since"),
        dead=_flag(data["dead"], f"{what}.dead"),
        low=codec.count(data["low"], f"{what}.low"),
        low_since=codec.opt_day(data["low_since"], f"{what}.low_since"),
        good=codec.count(data["good"], f"{what}.good"),
        judged=codec.opt_day(data["judged"], f"{what}.judged"),
    )


def _energies(data: Any, what: str) -> dict[Channel, float]:
    return {
        _channel(k, what): codec.number(v, f"{what}.{k}", minimum=0)
        for k, v in codec.mapping(data, what).items()
    }


def _day(value: Any, what: str) -> date:
    day = codec.opt_day(value, what)
    if day is None:
        raise codec.UnreadableError(f"{what}: missing")
    return day


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise codec.UnreadableError(f"{what}: {type(value).__name__} is not a list")
    return value


def health_from(data: Any, threshold: float = DEFAULT_THRESHOLD) -> Health:
    """What was learned, from its stored form (:meth:`Health.as_dict`); raises
    ``ValueError`` (:class:`~.codec.UnreadableError`) naming a field that cannot be read.
    The window is cut to its bound (a file of a smaller bound, or edited by hand)."""
    data = codec.mapping(data, "health")
    health = Health(threshold)
    health.closed = codec.opt_day(data["closed"], "health.closed")
    for n, item in enumerate(_list(data["days"], "health.days")):
        what = f"health.days[{n}]"
        item = codec.mapping(item, what)
        health.days.append(
            DayRecord(
                _day(item["day"], f"{what}.day"),
                _energies(item["energy"], f"{what}.energy"),
                {
                    _channel(k, f"{what}.offset"): codec.number(v, f"{what}.offset.{k}")
                    for k, v in codec.mapping(item["offset"], f"{what}.offset").items()
                },
                frozenset(_channel(k, f"{what}.learn") for k in _list(item["learn"], what)),
            )
        )
    health.days.sort(key=lambda record: record.day)
    channels = len({c for record in health.days for c in record.energy})
    del health.days[: max(len(health.days) - window_days(channels), 0)]
    health.channels = {
        _channel(k, "health.channels"): _verdict(v, f"health.channels.{k}")
        for k, v in codec.mapping(data["channels"], "health.channels").items()
    }
    health.inverters = {
        str(k): _verdict(v, f"health.inverters.{k}")
        for k, v in codec.mapping(data["inverters"], "health.inverters").items()
    }
    for n, item in enumerate(_list(data["open"], "health.open")):
        what = f"health.open[{n}]"
        item = codec.mapping(item, what)
        opened = OpenDay(
            energy=_energies(item["energy"], f"{what}.energy"),
            ecus={str(e) for e in _list(item["ecus"], f"{what}.ecus")},
            curve={
                _channel(k, f"{what}.curve"): _pair(v, f"{what}.curve.{k}")
                for k, v in codec.mapping(item["curve"], f"{what}.curve").items()
            },
        )
        health.open[_day(item["day"], f"{what}.day")] = opened
    health.model = learn(health.days)
    return health


def _pair(value: Any, what: str) -> tuple[float, float]:
    items = _list(value, what)
    if len(items) != 2:
        raise codec.UnreadableError(f"{what}: {value!r} is not a pair")
    return codec.number(items[0], what), codec.number(items[1], what, minimum=0)
