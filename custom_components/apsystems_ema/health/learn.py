"""What a channel usually makes, learned from the good days of a rolling window (pure Python).

A *good day* is a day with enough sun on which every channel of the system reported its exact
energy (the closing's batch energy); the channels that did well that day are the ones it
teaches (:attr:`DayRecord.learn`). From the window of the last good days this module learns:

- **orientation groups**: each channel's *mean time of production* (the energy-weighted mean
  time of its 5-minute power curve, from the polls' batch power) against the system's of the
  same day; sorted by it, the channels split into groups wherever two neighbours lie more
  than :data:`GROUP_GAP` apart. An east roof and a west roof, or a corner shaded every
  morning, become groups of their own; each channel is compared within its group only.
- **shares**: each channel's usual size within its group (1.0 is the group's average
  channel): the ratio of its energy to its group's reference energy, summed over the days it
  was learned from, so mixed module sizes and models are the norm, not an alarm. The
  reference of a day is the group's energy per unit of share over the channels learned
  that day, so a channel that was not well that day weighs on nobody's share.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import median

type Channel = tuple[str, int]
"""An inverter channel: the inverter's uid and the channel number (1-based)."""

GROUP_GAP = 40.0  # minutes between mean times of production that split two groups
FIT_ROUNDS = 6  # rounds of the shares' fit (it settles within a few)


@dataclass(frozen=True, slots=True)
class DayRecord:
    """One good day of the window: every channel's exact energy (kWh), the mean time of
    production of the channels whose curve was seen (minutes, against the system's), and the
    channels the day teaches (those that did well)."""

    day: date
    energy: Mapping[Channel, float]
    offset: Mapping[Channel, float]
    learn: frozenset[Channel]


@dataclass(frozen=True, slots=True)
class Model:
    """What the window teaches: each channel's group and mean time of production (minutes
    against the system's), its share within its group and the number of days it was learned
    on, and each group's typical reference (kWh per unit of share on a good day)."""

    group: Mapping[Channel, int]
    offset: Mapping[Channel, float]
    share: Mapping[Channel, float]
    days: Mapping[Channel, int]
    typical: Mapping[int, float]

    def members(self, group: int) -> list[Channel]:
        """The channels of a group."""
        return [c for c, g in self.group.items() if g == group]

    @property
    def groups(self) -> int:
        """How many groups there are."""
        return len(set(self.group.values()))

    def place(self, channel: Channel, offset: float | None) -> int:
        """The group of a channel: its learned one, else the group whose mean time of
        production is nearest to its own of the day (to the system's when unknown)."""
        known = self.group.get(channel)
        if known is not None:
            return known
        centres = self._centres()
        if not centres:
            return 0
        target = 0.0 if offset is None else offset
        return min(centres, key=lambda g: abs(centres[g] - target))

    def _centres(self) -> dict[int, float]:
        sums: dict[int, list[float]] = {}
        for channel, group in self.group.items():
            if channel in self.offset:
                sums.setdefault(group, []).append(self.offset[channel])
        return {g: sum(v) / len(v) for g, v in sums.items()}


EMPTY = Model({}, {}, {}, {}, {})


def mean_times(days: Iterable[DayRecord]) -> dict[Channel, float]:
    """Each channel's mean time of production (minutes against the system's) over the days
    it was learned on and its curve was seen."""
    seen: dict[Channel, list[float]] = {}
    for record in days:
        for channel, offset in record.offset.items():
            if channel in record.learn:
                seen.setdefault(channel, []).append(offset)
    return {channel: sum(values) / len(values) for channel, values in seen.items()}


def split(offsets: Mapping[Channel, float], gap: float = GROUP_GAP) -> list[list[Channel]]:
    """The channels in groups, earliest first: sorted by their mean time of production, cut
    wherever two neighbours lie more than ``gap`` minutes apart."""
    ordered = sorted(offsets, key=lambda c: (offsets[c], c))
    groups: list[list[Channel]] = []
    previous: float | None = None
    for channel in ordered:
        if previous is None or offsets[channel] - previous > gap:
            groups.append([])
        groups[-1].append(channel)
        previous = offsets[channel]
    return groups


def _reference(
    energy: Mapping[Channel, float], share: Mapping[Channel, float], channels: Iterable[Channel]
) -> float | None:
    """A group's energy per unit of share over ``channels`` (None without any)."""
    members = [c for c in channels if share.get(c)]
    shares = sum(share[c] for c in members)
    return sum(energy[c] for c in members) / shares if shares > 0 else None


def fit_shares(
    members: Sequence[Channel], days: Sequence[DayRecord]
) -> tuple[dict[Channel, float], dict[Channel, int], float | None]:
    """The shares of a group's channels (their average 1.0), the days each was learned on,
    and the group's typical reference (the median day's): each share is the channel's energy
    over its group's reference, summed over the days it was learned on; each day's
    reference is the group's energy per unit of share over the channels learned that day.
    Only days that teach two channels of the group or more count (one alone has no one to
    be compared with)."""
    group = set(members)
    teaching = [
        (record, [c for c in members if c in record.learn and c in record.energy])
        for record in days
    ]
    teaching = [(record, learned) for record, learned in teaching if len(learned) >= 2]
    counted = {c: sum(1 for _, learned in teaching if c in learned) for c in group}
    share = {c: 1.0 for c in group if counted[c]}
    references: list[float] = []
    for _ in range(FIT_ROUNDS):
        energy_sum = dict.fromkeys(share, 0.0)
        reference_sum = dict.fromkeys(share, 0.0)
        references = []
        for record, learned in teaching:
            reference = _reference(record.energy, share, learned)
            if reference is None or reference <= 0:
                continue
            references.append(reference)
            for c in learned:
                energy_sum[c] += record.energy[c]
                reference_sum[c] += reference
        fitted = {c: energy_sum[c] / reference_sum[c] for c in share if reference_sum[c] > 0}
        mean = sum(fitted.values()) / len(fitted) if fitted else 0.0
        if mean <= 0:
            return {}, {}, None
        share = {c: value / mean for c, value in fitted.items()}
    days_of = {c: counted[c] for c in share}
    return share, days_of, (median(references) if references else None)


def learn(days: Sequence[DayRecord], gap: float = GROUP_GAP) -> Model:
    """The groups, shares and typical references the window's days teach."""
    if not days:
        return EMPTY
    offsets = mean_times(days)
    channels = {c for record in days for c in record.learn}
    groups = split(offsets, gap)
    group = {c: n for n, members in enumerate(groups) for c in members}
    model = Model(group, offsets, {}, {}, {})
    # A channel whose curve was never seen joins the group nearest the system's time.
    for channel in sorted(channels - group.keys()):
        group[channel] = model.place(channel, None) if groups else 0
    share: dict[Channel, float] = {}
    learned: dict[Channel, int] = {}
    typical: dict[int, float] = {}
    for number in sorted(set(group.values())):
        members = sorted(c for c, g in group.items() if g == number)
        fitted, counted, reference = fit_shares(members, days)
        share.update(fitted)
        learned.update(counted)
        if reference is not None:
            typical[number] = reference
    return Model(group, offsets, share, learned, typical)
