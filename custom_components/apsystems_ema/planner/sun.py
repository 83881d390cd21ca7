"""Daylight windows of a site, from astral, in the system's timezone.

astral raises ``ValueError`` when the sun does not cross the horizon on a date (polar day and
polar night); :class:`Daylight` turns that into a whole-day window or no window at all.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
import math
from zoneinfo import ZoneInfo

from astral import Observer  # type: ignore[import-untyped]  # astral 2.2 has no py.typed
from astral.sun import elevation, noon, sunrise, sunset  # type: ignore[import-untyped]


@dataclass(frozen=True, slots=True)
class DayWindow:
    """The part of a system-local day in which the planner polls (UTC instants)."""

    day: date
    start: datetime
    end: datetime
    polar_day: bool = False

    @property
    def seconds(self) -> float:
        """Length of the window."""
        return (self.end - self.start).total_seconds()

    def contains(self, at: datetime) -> bool:
        """Whether ``at`` lies in the window (both ends included)."""
        return self.start <= at <= self.end


class Daylight:
    """Sunrise/sunset windows of one site, cached per local date."""

    def __init__(
        self,
        latitude: float,
        longitude: float,
        zone: ZoneInfo,
        sunrise_offset: timedelta = timedelta(0),
        sunset_offset: timedelta = timedelta(0),
    ) -> None:
        self.observer = Observer(latitude=latitude, longitude=longitude)
        self.zone = zone
        self.sunrise_offset = sunrise_offset
        self.sunset_offset = sunset_offset
        self._sun: dict[date, DayWindow | None] = {}
        self._windows: dict[date, DayWindow | None] = {}

    def local_day(self, at: datetime) -> date:
        """The system-local date of an instant."""
        return at.astimezone(self.zone).date()

    def midnight(self, day: date) -> datetime:
        """The UTC instant at which a local day begins (DST-aware)."""
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)

    def local_noon(self, day: date) -> datetime:
        """12:00 local time on ``day``, as a UTC instant."""
        return datetime.combine(day, time(12), tzinfo=self.zone).astimezone(UTC)

    def sun(self, day: date) -> DayWindow | None:
        """Sunrise to sunset on a local day; the whole day under the midnight sun; None in
        polar night."""
        if day not in self._sun:
            self._sun[day] = self._compute(day)
        return self._sun[day]

    def window(self, day: date) -> DayWindow | None:
        """The polling window: sunrise + offset to sunset + offset (whole day in polar day)."""
        if day not in self._windows:
            self._windows[day] = self._offset(self.sun(day))
        return self._windows[day]

    def height(self, at: datetime) -> float:
        """How high the sun stands at ``at``: the sine of its elevation, 0 below the horizon
        (the share of full sun that reaches level ground under a clear sky)."""
        degrees: float = elevation(self.observer, at)
        return max(0.0, math.sin(math.radians(degrees)))

    def _offset(self, sun: DayWindow | None) -> DayWindow | None:
        if sun is None or sun.polar_day:
            return sun
        start, end = sun.start + self.sunrise_offset, sun.end + self.sunset_offset
        return DayWindow(sun.day, start, end) if start < end else None

    def _event(self, day: date, rising: bool) -> datetime | None:
        """Sunrise or sunset on the local ``day`` (None when astral has none on that day)."""
        try:
            at: datetime = (sunrise if rising else sunset)(self.observer, day, UTC)
        except ValueError:
            return None
        return at if self.local_day(at) == day else None

    def _compute(self, day: date) -> DayWindow | None:
        begin, finish = self.midnight(day), self.midnight(day + timedelta(days=1))
        rise, fall = self._event(day, True), self._event(day, False)
        if rise is None and fall is None:
            height: float = elevation(self.observer, noon(self.observer, day, UTC))
            if height > 0:
                return DayWindow(day, begin, finish, polar_day=True)
            return None
        start = rise or begin
        end = fall if fall is not None and fall > start else finish
        return DayWindow(day, start, end)
