"""The simulated installation: a system (SID) with ECUs, inverters, meter ECUs and storage
ECUs (batteries, manual v1.7), possibly shared with a sub-user (manual v1.8)."""

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
ECU_TYPE_STORAGE = 2

SYSTEM_TYPE_PV = 1
SYSTEM_TYPE_STORAGE = 2
SYSTEM_TYPE_PV_STORAGE = 3

STORAGE_SID = "AZ12649B7C01"
STORAGE_ONLY_SID = "AZ12649C8D02"
SUBUSER_SID = "AZ12649D9E03"


@dataclass(frozen=True, slots=True)
class Inverter:
    """One micro-inverter; ``channels`` defaults from the model (DS3: 2, QT2: 4)."""

    uid: str
    model: str = "DS3"
    channels: int = 0
    peak_w: float = 400.0
    """Nameplate power of one channel's module, W (clear-sky noon output is a bit lower)."""
    facing_minutes: int = 0
    """Where its modules face: their noon this many minutes after the sun's (negative: an
    east roof, earlier; positive: a west roof, later); 0 faces the sun's noon (south)."""

    def __post_init__(self) -> None:
        """Fill the channel count from the model."""
        if self.channels <= 0:
            object.__setattr__(self, "channels", MODEL_CHANNELS.get(self.model, 2))


@dataclass(frozen=True, slots=True)
class ChannelFault:
    """What takes part of a channel's production, or all of it, over some days: a module
    degraded by a share (``loss`` 0.25: 25 % less), shaded for some hours (``hours``), or
    dead (``loss`` 1.0: the channel reports 0 W).

    ``channel`` None: every channel of the inverter. ``start`` / ``end``: the first and the
    last day it applies (None: since the installation / for good; a fault without a
    ``start`` is part of the site as installed, e.g. a corner shaded every morning).
    ``hours``: the local hours ``(from, to)`` it applies in (None: all day)."""

    uid: str
    channel: int | None = None
    start: date | None = None
    end: date | None = None
    loss: float = 1.0
    hours: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        """A loss is a share of the power."""
        if not 0.0 <= self.loss <= 1.0:
            raise ValueError(f"loss {self.loss} is not within 0..1")

    def applies(self, uid: str, channel: int, day: date) -> bool:
        """Whether it takes from that channel on ``day``."""
        return (
            uid == self.uid
            and self.channel in (None, channel)
            and (self.start is None or day >= self.start)
            and (self.end is None or day <= self.end)
        )


@dataclass(frozen=True, slots=True)
class Ecu:
    """An ECU and the inverters reporting through it."""

    eid: str
    inverters: Sequence[Inverter] = ()
    main_eid: str | None = None
    """For a system shared with a sub-user (manual v1.8): the main user's id of this ECU.
    ``eid`` is then the sub-user's *virtual* id, the only one the device queries, the
    inverter list and the meter list know; the details list ``"{main_eid}-{eid}"``."""

    def __post_init__(self) -> None:
        """Store the inverters as a tuple (hashable, immutable)."""
        object.__setattr__(self, "inverters", tuple(self.inverters))

    @property
    def listed_id(self) -> str:
        """The entry of the details' ``ecu`` list."""
        return self.eid if self.main_eid is None else f"{self.main_eid}-{self.eid}"


@dataclass(frozen=True, slots=True)
class Storage:
    """An ECU with storage activated (inverter list ``type`` 2) and its battery.

    The battery keeps the home's grid exchange low: it charges from the PV surplus (up to
    ``max_charge_w``) until full and discharges to cover the load (up to
    ``max_discharge_w``) down to ``reserve_pct``; ``efficiency`` is lost in each direction.
    Its state of charge starts at ``initial_soc_pct`` on the site's creation day.

    ``pv_peak_w``: a PV array outside APsystems (a storage-only system), W-peak of the same
    solar curve; 0 means the battery sees the site's own APsystems production.
    """

    eid: str
    model: str = "ELT-12"
    capacity_kwh: float = 11.52
    max_charge_w: float = 2400.0
    max_discharge_w: float = 3000.0
    reserve_pct: float = 10.0
    initial_soc_pct: float = 50.0
    efficiency: float = 0.95
    pv_peak_w: float = 0.0
    main_eid: str | None = None
    """The main user's id when shared with a sub-user (see :attr:`Ecu.main_eid`)."""

    @property
    def listed_id(self) -> str:
        """The entry of the details' ``ecu`` list."""
        return self.eid if self.main_eid is None else f"{self.main_eid}-{self.eid}"


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
    storages: Sequence[Storage] = ()
    """Storage ECUs (listed by ``details`` after the producing ECUs, and by ``inverters``)."""
    authorization_code: str | None = field(default=None, repr=False)
    """The EMA visitor-access code the details carry when the owner enabled it (None: the
    key is absent). A secret: never in a repr."""
    faults: Sequence[ChannelFault] = ()
    """What takes production from some channels (every total is still the channels' sum)."""
    sky: str = ""
    """A measured sky (a file of ``tests/simulator/skies``) that draws the production
    instead of the formula; empty: the formula (see :mod:`.solar`)."""
    declared_kw: float | None = None
    """The capacity the details declare when it is not the modules' nameplate (an
    installer's figure typed before an extension, say); None: the nameplate."""

    def __post_init__(self) -> None:
        """Normalise sequences to tuples and validate the timezone."""
        object.__setattr__(self, "ecus", tuple(self.ecus))
        object.__setattr__(self, "meters", tuple(self.meters))
        object.__setattr__(self, "storages", tuple(self.storages))
        object.__setattr__(self, "faults", tuple(self.faults))
        ZoneInfo(self.timezone)
        if self.sky and self.storages:
            raise ValueError("a measured sky draws no battery (its model takes the formula)")

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

    @property
    def system_type(self) -> int:
        """The details' ``type``: 1 PV, 2 storage, 3 PV and storage."""
        if not self.storages:
            return SYSTEM_TYPE_PV
        return SYSTEM_TYPE_PV_STORAGE if self.inverters else SYSTEM_TYPE_STORAGE

    @property
    def listed_ecus(self) -> list[str]:
        """The details' ``ecu`` list: producing ECUs, then storage ECUs (``main-virtual``
        for a sub-user)."""
        return [e.listed_id for e in self.ecus] + [s.listed_id for s in self.storages]

    def ecu(self, eid: str) -> Ecu | None:
        """The producing ECU with this eid."""
        return next((e for e in self.ecus if e.eid == eid), None)

    def storage(self, eid: str) -> Storage | None:
        """The storage ECU with this eid."""
        return next((s for s in self.storages if s.eid == eid), None)

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


def storage_site(
    now: datetime | None = None,
    *,
    timezone: str = DEMO_TIMEZONE,
    longitude: float = DEMO_LONGITUDE,
    authorization_code: str | None = None,
) -> Site:
    """A PV and storage system (details ``type`` 3) in Amsterdam, installed about 400 days
    before ``now`` (so its history holds a July and a December).

    ECU 203000002345 has four DS3 (450 W modules, 3.6 kWp); 216200003456 is a storage ECU
    with an ELT-12 battery (11.52 kWh, 2.4 kW charge, 3 kW discharge) covering a household
    of about 450 W base load with morning and evening peaks.
    """
    today = _local_today(now, timezone)
    return Site(
        sid=STORAGE_SID,
        timezone=timezone,
        latitude=DEMO_LATITUDE,
        longitude=longitude,
        create_date=today - timedelta(days=400),
        ecus=(
            Ecu(
                "203000002345",
                tuple(Inverter(f"80600000{2345 + i}", "DS3", peak_w=450.0) for i in range(4)),
            ),
        ),
        seed=2025,
        base_load_w=450.0,
        storages=(Storage("216200003456"),),
        authorization_code=authorization_code,
    )


def storage_only_site(
    now: datetime | None = None,
    *,
    timezone: str = DEMO_TIMEZONE,
    longitude: float = DEMO_LONGITUDE,
) -> Site:
    """A storage-only system (details ``type`` 2): one storage ECU (216200004567, ELT-12)
    and no APsystems inverters; the battery charges from a 4 kWp PV array of another brand
    (the same solar curve, outside APsystems). Installed about 400 days before ``now``."""
    today = _local_today(now, timezone)
    return Site(
        sid=STORAGE_ONLY_SID,
        timezone=timezone,
        latitude=DEMO_LATITUDE,
        longitude=longitude,
        create_date=today - timedelta(days=400),
        ecus=(),
        seed=2026,
        base_load_w=280.0,
        storages=(Storage("216200004567", pv_peak_w=4000.0),),
    )


def subuser_site(
    now: datetime | None = None,
    *,
    timezone: str = DEMO_TIMEZONE,
    longitude: float = DEMO_LONGITUDE,
    storage: bool = False,
) -> Site:
    """A system shared with a sub-user (manual v1.8), as the sub-user's App ID sees it.

    The details list ``2030000001236-002405253708`` and ``2030000001237-002405253709``
    (main user's ECU id, dash, the sub-user's virtual id); the inverter list names the
    ECUs by their virtual ids, the meter list holds the meter's virtual id 002405253710,
    and every device query answers for the virtual ids only (a main id answers 4001).
    Three DS3 on the first ECU, one QT2 on the second; installed about a year before ``now``.
    With ``storage`` a shared storage ECU too: ``2162000003457-002405253711`` (type 3).
    """
    today = _local_today(now, timezone)
    return Site(
        sid=SUBUSER_SID,
        timezone=timezone,
        latitude=DEMO_LATITUDE,
        longitude=longitude,
        create_date=today - timedelta(days=365),
        ecus=(
            Ecu(
                "002405253708",
                tuple(Inverter(f"80600000{3708 + i}", "DS3", peak_w=400.0) for i in range(3)),
                main_eid="2030000001236",
            ),
            Ecu(
                "002405253709",
                (Inverter("902000003709", "QT2", peak_w=420.0),),
                main_eid="2030000001237",
            ),
        ),
        meters=("002405253710",),
        seed=2027,
        storages=(Storage("002405253711", main_eid="2162000003457"),) if storage else (),
    )
