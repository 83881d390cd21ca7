"""The system's own clear-sky envelope: the most it produced at each time of day over the
last days (pure Python, no Home Assistant).

Every poll fetches each ECU's 5-minute curve of the day so far: the envelope keeps, for each
of the last ``WINDOW_DAYS`` local days and each ECU, the highest power in each
``BIN_MINUTES`` of the UTC clock (UTC: a change of daylight saving time does not shift it).
The system's envelope at an instant is the sum over its ECUs of the highest of those days,
read between the bins' centres on a straight line. It holds what a model of the sun cannot:
the roof's tilt and orientation, the trees' shade, the inverters' clipping.

Its size is bounded: at most ``WINDOW_DAYS + 1`` days of ``BINS`` numbers per ECU. Until it
holds ``MIN_DAYS`` days before today it knows nothing (the caller follows the sun's height
instead).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import math
from typing import Any, Self

from ..codec import mapping, number

BIN_MINUTES = 15
BINS = 24 * 60 // BIN_MINUTES
WINDOW_DAYS = 14  # the envelope of a fortnight: the sun's path hardly moves in that time
MIN_DAYS = 3  # days before today it needs to know (one clear hour each is enough)


def _bin(at: datetime) -> float:
    """Where ``at`` falls on the bins of the UTC day (bin ``b`` spans ``[b, b + 1)``)."""
    utc = at.astimezone(UTC)
    return (utc.hour * 60 + utc.minute + utc.second / 60) / BIN_MINUTES


@dataclass
class Envelope:
    """Per local day and ECU, the highest power (W) in each bin of the UTC clock."""

    days: dict[date, dict[str, list[float | None]]] = field(default_factory=dict)

    def learn(self, day: date, eid: str, samples: Iterable[tuple[datetime, float | None]]) -> None:
        """An ECU's samples (instant, W) of the local ``day``: each bin keeps its highest. Days
        older than the window are forgotten."""
        bins = self.days.setdefault(day, {}).setdefault(eid, [None] * BINS)
        for at, watts in samples:
            if watts is None or not math.isfinite(watts) or watts < 0:
                continue
            b = int(_bin(at)) % BINS
            known = bins[b]
            bins[b] = watts if known is None else max(known, watts)
        oldest = max(self.days) - timedelta(days=WINDOW_DAYS)
        self.days = {d: v for d, v in self.days.items() if d >= oldest}

    def known_days(self, today: date) -> int:
        """Days before ``today`` in the window that it learnt from."""
        oldest = today - timedelta(days=WINDOW_DAYS)
        return sum(1 for d in self.days if oldest <= d < today)

    def ready(self, today: date) -> bool:
        """Whether it knows enough days to be followed."""
        return self.known_days(today) >= MIN_DAYS

    def _window(self, today: date) -> list[dict[str, list[float | None]]]:
        oldest = today - timedelta(days=WINDOW_DAYS)
        return [v for d, v in self.days.items() if oldest <= d <= today]

    def _bins(self, today: date) -> list[float]:
        """The system's envelope per bin: per ECU the highest of the window's days, summed."""
        days = self._window(today)
        ecus = {eid for day in days for eid in day}
        out = [0.0] * BINS
        for eid in ecus:
            for b in range(BINS):
                values = [v for day in days if (v := day.get(eid, [None] * BINS)[b]) is not None]
                out[b] += max(values, default=0.0)
        return out

    def at(self, instant: datetime, today: date) -> float | None:
        """The system's envelope (W) at ``instant`` as known on ``today`` (None: it does not
        know enough days yet)."""
        if not self.ready(today):
            return None
        return _between(self._bins(today), _bin(instant))

    def peak(self, today: date) -> float:
        """The envelope's highest bin (W)."""
        return max(self._bins(today), default=0.0)

    def clearness(self, day: date, today: date) -> float | None:
        """How clear ``day`` was: what it produced in its bins over the envelope's (None
        when it is not known)."""
        known = self.days.get(day)
        if not known or not self.ready(today):
            return None
        bins = self._bins(today)
        produced = sum(v for values in known.values() for v in values if v is not None)
        lit = [b for b in range(BINS) if any(v[b] is not None for v in known.values())]
        possible = sum(bins[b] for b in lit)
        return None if possible <= 0 else min(produced / possible, 1.0)

    # -- persistence -------------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (whole watts)."""
        return {
            d.isoformat(): {
                eid: [None if v is None else round(v) for v in bins] for eid, bins in ecus.items()
            }
            for d, ecus in self.days.items()
        }

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Inverse of :meth:`as_dict`; raises ``ValueError`` for data it cannot read."""
        days: dict[date, dict[str, list[float | None]]] = {}
        for key, ecus in mapping(data, "envelope").items():
            day = date.fromisoformat(key)
            for eid, bins in mapping(ecus, f"envelope.{key}").items():
                if not isinstance(bins, list) or len(bins) != BINS:
                    raise ValueError(f"envelope.{key}.{eid}: not {BINS} bins")
                days.setdefault(day, {})[str(eid)] = [
                    None if v is None else number(v, f"envelope.{key}", minimum=0) for v in bins
                ]
        return cls(days)


def _between(bins: list[float], position: float) -> float:
    """The value at ``position`` on a straight line between the bins' centres (around the
    clock)."""
    x = position - 0.5
    low = math.floor(x)
    share = x - low
    return bins[low % BINS] * (1 - share) + bins[(low + 1) % BINS] * share
