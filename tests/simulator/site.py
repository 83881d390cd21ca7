"""The simulated installation: a system (SID) with ECUs, inverters and meter ECUs."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DEMO_APP_ID = "5e36eab8295911ee9075DEMOapp0001A"
DEMO_APP_SECRET = "s1mUlat0rS3cretK3yF0rT3sts000042"
DEMO_SID = "AZ12649A3DFF"
DEMO_TIMEZONE = "Europe/Amsterdam"
DEMO_LATITUDE = 51.5
DEMO_LONGITUDE = 4.9

#: Channels (PV inputs) per inverter model.
MODEL_CHANNELS: dict[str, int] = {
    "DS3": 2,
    "DS3-L": 2,
    "DS3D": 2,
    "YC600": 2,
    "QT2": 4,
    "QT2D": 4,
    "QS1": 4,
    "YC1000": 4,
}

ECU_TYPE_PLAIN = 0
ECU_TYPE_METER = 1


@dataclass(frozen=True, slots=True)
class Inverter:
    """One micro-inverter; ``channels`` defaults from the model (DS3: 2, QT2: 4)."""

    uid: str
    model: str = "DS3"
    channels: int = 0
    peak_w: float = 400.0
    """Nameplate power of one channel's module, W (clear-sky noon output is a bit lower)."""

    def __post_init__(self) -> None:
        """Fill the channel count from the model."""
        if self.channels <= 0:
            object.__setattr__(self, "channels", MODEL_CHANNELS.get(self.model, 2))


@dataclass(frozen=True, slots=True)
class Ecu:
    """An ECU and the inverters reporting through it."""

    eid: str
    inverters: Sequence[Inverter] = ()

    def __post_init__(self) -> None:
        """Store the inverters as a tuple (hashable, immutable)."""
        object.__setattr__(self, "inverters", tuple(self.inverters))


@dataclass(frozen=True, slots=True)
class Site:
    """A whole system. ``ecus`` are the producing ECUs (listed by ``details``); ``meters``
    are the eids of meter ECUs (type 1; listed by ``meters`` and ``inverters``): ECUs of
    their own without inverters, or producing ECUs with their meter activated. All data
    derive deterministically from these fields and ``seed``."""

    sid: str
    timezone: str
    latitude: float
    longitude: float
    create_date: date
    ecus: Sequence[Ecu]
    meters: Sequence[str] = ()
    seed: int = 0
    base_load_w: float = 260.0
    """Household consumption at night, W (the meter's curve scales from it)."""
    ecu_timezone: str | None = field(default=None)
    """Timezone reported per ECU (defaults to the system timezone)."""

    def __post_init__(self) -> None:
        """Normalise sequences to tuples and validate the timezone."""
        object.__setattr__(self, "ecus", tuple(self.ecus))
        object.__setattr__(self, "meters", tuple(self.meters))
        ZoneInfo(self.timezone)

    @property
    def zone(self) -> ZoneInfo:
        """The system timezone."""
        return ZoneInfo(self.timezone)

    @property
    def inverters(self) -> tuple[Inverter, ...]:
        """Every inverter of the system."""
        return tuple(inv for ecu in self.ecus for inv in ecu.inverters)

    @property
    def capacity_kw(self) -> float:
        """Nameplate capacity, kW."""
        return sum(inv.peak_w * inv.channels for inv in self.inverters) / 1000

    def ecu(self, eid: str) -> Ecu | None:
        """The producing ECU with this eid."""
        return next((e for e in self.ecus if e.eid == eid), None)

    def inverter(self, uid: str) -> Inverter | None:
        """The inverter with this uid."""
        return next((i for i in self.inverters if i.uid == uid), None)


def noon_place(now: datetime | None = None) -> tuple[str, float]:
    """A timezone (``Etc/GMT±N``) and a longitude on the demo site's latitude where it is
    about noon at ``now`` (within half an hour): the demo shows a day in progress
    whenever it runs (``scripts/develop --noon``, the end-to-end test's screenshots)."""
    at = (now or datetime.now(UTC)).astimezone(UTC)
    offset = round(12 - at.hour - at.minute / 60)  # hours east of UTC
    if offset > 14:
        offset -= 24
    elif offset < -12:
        offset += 24
    # The Etc zones' signs are POSIX-style: UTC+8 is "Etc/GMT-8".
    zone = "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"
    # The sun is due south at noon on the zone's central meridian (wrapped to ±180°).
    return zone, (offset * 15.0 + 180.0) % 360.0 - 180.0


def _local_today(now: datetime | None, timezone: str) -> date:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone)).date()


def demo_site(
    now: datetime | None = None,
    *,
    timezone: str = DEMO_TIMEZONE,
    longitude: float = DEMO_LONGITUDE,
) -> Site:
    """The default site: Amsterdam (lat 51.5), installed about two years before ``now``
    (``timezone`` and ``longitude`` move it east or west, see :func:`noon_place`).

    ECU 203000001234 has four DS3 (2 channels), ECU 203000005678 two QT2 (4 channels);
    215000009012 is a meter ECU.
    """
    today = _local_today(now, timezone)
    created = today - timedelta(days=2 * 365 + 17)
    return Site(
        sid=DEMO_SID,
        timezone=timezone,
        latitude=DEMO_LATITUDE,
        longitude=longitude,
        create_date=created,
        ecus=(
            Ecu(
                "203000001234",
                tuple(Inverter(f"80600000{1234 + i}", "DS3", peak_w=400.0) for i in range(4)),
            ),
            Ecu(
                "203000005678",
                tuple(Inverter(f"90200000{5678 + i}", "QT2", peak_w=420.0) for i in range(2)),
            ),
        ),
        meters=("215000009012",),
        seed=2024,
    )


def build_site(
    *,
    sid: str = "SIM0000000001",
    timezone: str = DEMO_TIMEZONE,
    latitude: float = 51.5,
    longitude: float = 4.9,
    create_date: date | None = None,
    inverters_per_ecu: Sequence[int] = (4, 2),
    model: str = "DS3",
    meters: int = 1,
    seed: int = 0,
    now: datetime | None = None,
) -> Site:
    """A site of any size, e.g. ``build_site(latitude=35, inverters_per_ecu=(14, 13, 13))``.

    ECU eids are ``2030000{n:05d}``, inverter uids ``80{e}{n:09d}`` (DS3-like) or
    ``90{e}...`` for 4-channel models, meter eids ``2150000{n:05d}``.
    """
    if create_date is None:
        create_date = _local_today(now, timezone) - timedelta(days=2 * 365)
    prefix = "90" if MODEL_CHANNELS.get(model, 2) == 4 else "80"
    ecus = tuple(
        Ecu(
            f"2030000{e + 1:05d}",
            tuple(Inverter(f"{prefix}{e + 1}{i + 1:09d}", model) for i in range(count)),
        )
        for e, count in enumerate(inverters_per_ecu)
    )
    return Site(
        sid=sid,
        timezone=timezone,
        latitude=latitude,
        longitude=longitude,
        create_date=create_date,
        ecus=ecus,
        meters=tuple(f"2150000{m + 1:05d}" for m in range(meters)),
        seed=seed,
    )
