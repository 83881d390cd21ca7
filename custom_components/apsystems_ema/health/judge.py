"""A closed day's figures and the decisions they lead to (pure Python).

**Relative yield.** A channel's energy of the day against what its siblings say it should
have made: its share times its group's reference of the day, the reference taken over the
group's other channels (robustly: those within :data:`TRIM` of their median, leaving out
the dead and those found underperforming). An inverter's is its channels' energy against
the sum of theirs, each reference taken without any channel of that inverter.

**Enough sun.** A figure counts only when its group's reference of the day is at least
:data:`SUN_SHARE` of the group's typical good day and the energy expected is at least
:data:`MIN_EXPECTED_KWH` (the API's 2 decimals are then within 3 %).

**Dead.** A channel (or every channel of an inverter) at 0.00 kWh while its siblings (its
group without its inverter; the rest of the system when there is none) made
:data:`ALIVE_KWH` or more (their median), and it was expected to make that much too.

**Underperforming** turns on after :data:`LOW_DAYS` days with enough sun below the threshold
(on the first day for a dead one) and off after :data:`GOOD_DAYS` days with enough sun at or
above it; days without enough sun neither count nor break a run.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from statistics import median

from .learn import Channel, Model

DEFAULT_THRESHOLD = 0.85
LOW_DAYS = 3  # days with enough sun below the threshold that turn Underperforming on
GOOD_DAYS = 2  # days with enough sun at or above it that turn it off again
MIN_DAYS = 3  # good days a channel is learned on before it gets a figure
SUN_SHARE = 0.25  # a day's reference against the group's typical good day: enough sun
MIN_EXPECTED_KWH = 0.08  # a figure's expected energy at least (per channel)
DEAD_KWH = 0.005  # the API's 0.00
ALIVE_KWH = 0.05  # siblings making this much (median) make a 0.00 a dead channel
TRIM = 0.2  # siblings further than this from their median are left out of a reference


@dataclass
class Verdict:
    """What is known of one unit (a channel or an inverter): the figure of the last day
    judged (relative yield, 1.0 = as its siblings say; ``energy`` and ``expected`` in kWh,
    of ``day``), whether it is underperforming (``on``, ``since`` the first day of the run
    that turned it on, ``dead`` when it was a dead one), and the run so far (``low`` days
    below the threshold in a row since ``low_since``, ``good`` days at or above it)."""

    figure: float | None = None
    day: date | None = None
    energy: float | None = None
    expected: float | None = None
    on: bool = False
    since: date | None = None
    dead: bool = False
    low: int = 0
    low_since: date | None = None
    good: int = 0
    judged: date | None = None  # the last day it was judged (a figure, or dead)

    def decide(self, day: date, figure: float | None, threshold: float) -> None:
        """A day with enough sun and a figure: the run moves on, and may turn it on or off."""
        self.figure, self.day, self.judged = figure, day, day
        if figure is not None and figure < threshold:
            self.good = 0
            self.low += 1
            self.low_since = self.low_since or day
            if not self.on and self.low >= LOW_DAYS:
                self.on, self.since, self.dead = True, self.low_since, False
            return
        self.low, self.low_since = 0, None
        self.good += 1
        if self.on and self.good >= GOOD_DAYS:
            self.on, self.since, self.dead = False, None, False

    def died(self, day: date, expected: float | None) -> None:
        """Nothing while its siblings produced: on from this day (its figure 0)."""
        self.figure, self.day, self.judged = 0.0, day, day
        self.energy, self.expected = 0.0, expected
        self.good = 0
        self.low += 1
        self.low_since = self.low_since or day
        if not self.on:
            self.on, self.since, self.dead = True, day, True

    def alive(self, day: date) -> None:
        """A dead one produces again with its siblings, without a figure yet (it was never
        learned): a good day."""
        self.decide(day, None, 0.0)
        self.figure = None


@dataclass(frozen=True, slots=True)
class Figure:
    """A unit's figure of the day: its energy and what its siblings say it should have made
    (kWh); ``sunny`` when the day had enough sun to count."""

    energy: float
    expected: float
    sunny: bool

    @property
    def ratio(self) -> float:
        """The relative yield (1.0: as expected)."""
        return self.energy / self.expected


@dataclass(frozen=True, slots=True)
class _Ranked:
    """A group's channels ranked by their energy per unit of share, with running sums of
    their energies and shares (a reference without some channels in logarithmic time)."""

    values: list[float]
    channels: list[Channel]
    energy: list[float]
    shares: list[float]
    position: dict[Channel, int]


class Day:
    """One closed day's energies against what the model learned."""

    def __init__(
        self,
        energy: Mapping[Channel, float],
        offset: Mapping[Channel, float],
        model: Model,
        suspect: Callable[[Channel], bool],
    ) -> None:
        """``energy``: every channel known that day (kWh); ``offset``: mean times of
        production of the day; ``suspect``: channels found underperforming (left out of
        every reference)."""
        self.energy = energy
        self.model = model
        self.group = {c: model.place(c, offset.get(c)) for c in energy}
        self.suspect = suspect
        self._ranks: dict[tuple[int, int], _Ranked] = {}
        self.dead: set[Channel] = set()
        self.dead = {c for c in energy if self._dead(c)}
        self._ranks.clear()  # ranked before the dead were known

    def _siblings(self, channels: Iterable[Channel]) -> list[Channel]:
        """The channels a unit is compared with for the dead rule: its group without its
        inverter, or the rest of the system when that leaves none."""
        units = set(channels)
        inverters = {uid for uid, _ in units}
        groups = {self.group[c] for c in units}
        others = [c for c in self.energy if c[0] not in inverters]
        same = [c for c in others if self.group[c] in groups]
        return same or others

    def _dead(self, channel: Channel) -> bool:
        if self.energy[channel] >= DEAD_KWH:
            return False
        siblings = self._siblings([channel])
        if not siblings or median(self.energy[c] for c in siblings) < ALIVE_KWH:
            return False
        expected = self.expected([channel])
        return expected is None or expected.expected >= ALIVE_KWH

    def lit(self, channels: Iterable[Channel]) -> bool:
        """Whether a unit produced while its siblings did (their median at least
        :data:`ALIVE_KWH`)."""
        units = list(channels)
        siblings = self._siblings(units)
        return (
            bool(siblings)
            and median(self.energy[c] for c in siblings) >= ALIVE_KWH
            and all(self.energy[c] >= DEAD_KWH for c in units)
        )

    def _ranked(self, group: int, learned: int) -> _Ranked:
        """The group's channels that may make a reference (learned on ``learned`` days or
        more, neither dead nor underperforming), ranked by their energy per unit of share."""
        key = (group, learned)
        known = self._ranks.get(key)
        if known is not None:
            return known
        share, days = self.model.share, self.model.days
        members = sorted(
            (self.energy[c] / share[c], c)
            for c, g in self.group.items()
            if g == group
            and c not in self.dead
            and share.get(c)
            and days.get(c, 0) >= learned
            and not self.suspect(c)
        )
        energy, shares = [0.0], [0.0]
        for _, c in members:
            energy.append(energy[-1] + self.energy[c])
            shares.append(shares[-1] + share[c])
        ranked = _Ranked(
            [v for v, _ in members],
            [c for _, c in members],
            energy,
            shares,
            {c: n for n, (_, c) in enumerate(members)},
        )
        self._ranks[key] = ranked
        return ranked

    def reference(
        self, group: int, without: set[Channel], *, learned: int = MIN_DAYS
    ) -> float | None:
        """The group's energy per unit of share of the day, over its channels learned on
        ``learned`` days or more but ``without`` (and the dead and underperforming ones),
        those further than :data:`TRIM` from their median left out."""
        ranked = self._ranked(group, learned)
        removed = sorted(ranked.position[c] for c in without if c in ranked.position)
        count = len(ranked.values) - len(removed)
        if count <= 0:
            return None

        def nth(k: int) -> float:
            """The ``k``-th smallest value but the removed ones."""
            for index in removed:
                if index > k:
                    break
                k += 1
            return ranked.values[k]

        half = count // 2
        middle = nth(half) if count % 2 else (nth(half - 1) + nth(half)) / 2
        if middle <= 0:
            return None
        low = bisect_left(ranked.values, middle * (1 - TRIM))
        high = bisect_right(ranked.values, middle * (1 + TRIM))
        energy = ranked.energy[high] - ranked.energy[low]
        shares = ranked.shares[high] - ranked.shares[low]
        for index in removed:
            if low <= index < high:
                channel = ranked.channels[index]
                energy -= self.energy[channel]
                shares -= self.model.share[channel]
        return energy / shares if shares > 1e-9 else None

    def expected(self, channels: Iterable[Channel]) -> Figure | None:
        """The figure of a unit (one channel, or an inverter's channels): None when one of
        its channels has no learned share or no sibling to be compared with."""
        units = list(channels)
        without = set(units) | {c for c in self.energy if c[0] in {uid for uid, _ in units}}
        if len(units) == 1:
            without = set(units)  # a channel is compared with its inverter's others too
        expected = 0.0
        sunny = True
        for channel in units:
            share = self.model.share.get(channel)
            group = self.group[channel]
            if not share or self.model.days.get(channel, 0) < MIN_DAYS:
                return None
            reference = self.reference(group, without)
            if reference is None:
                return None
            typical = self.model.typical.get(group)
            sunny = sunny and typical is not None and reference >= SUN_SHARE * typical
            expected += share * reference
        if expected <= 0:
            return None
        sunny = sunny and expected >= MIN_EXPECTED_KWH * len(units)
        return Figure(sum(self.energy[c] for c in units), expected, sunny)
