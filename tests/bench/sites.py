"""The month benchmark's sites: who is measured, where, set up when, over which month.

A benchmark site is one App ID (one simulated :class:`~tests.simulator.Account`) with one or
more systems (SIDs), each set up in Home Assistant as its own config entry. All of an App
ID's systems share its quota of 1000 calls per calendar month of the first system's timezone.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.simulator import ChannelFault, Ecu, Inverter, Site, Storage

QUOTA = 1000
YEAR = 2026


@dataclass(frozen=True)
class System:
    """One system (SID) of a benchmark site and its config entry's options (none: the
    defaults a user gets by adding the integration)."""

    site: Site
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BenchSite:
    """A benchmark run: the systems of one App ID, the set-up instant, the month measured."""

    key: str
    title: str
    systems: tuple[System, ...]
    setup: datetime
    """When the entries are added (aware, local)."""
    month: tuple[int, int]
    """(year, month) measured; the run ends when this month does."""
    restart_at: time = time(13, 7)
    """Local time of the weekly Home Assistant restarts (every 7th day after the set-up day)."""

    @property
    def zone(self) -> ZoneInfo:
        """The timezone of the (first) system, also the quota month's."""
        return self.systems[0].site.zone

    @property
    def month_start(self) -> datetime:
        """The first instant of the measured month (UTC)."""
        year, month = self.month
        return datetime(year, month, 1, tzinfo=self.zone).astimezone(UTC)

    @property
    def month_end(self) -> datetime:
        """The first instant after the measured month (UTC)."""
        year, month = self.month
        nxt = (year + 1, 1) if month == 12 else (year, month + 1)
        return datetime(*nxt, 1, tzinfo=self.zone).astimezone(UTC)

    def end(self, days: float | None) -> datetime:
        """Where a run stops: the month's end, or ``days`` after the set-up if sooner."""
        if days is None:
            return self.month_end
        return min(self.month_end, self.setup.astimezone(UTC) + timedelta(days=days))

    def restarts(self, end: datetime) -> list[datetime]:
        """The weekly restart instants before ``end`` (UTC)."""
        first = self.setup.astimezone(self.zone).date()
        out = []
        for week in range(1, 60):
            day = first + timedelta(days=7 * week)
            at = datetime.combine(day, self.restart_at, tzinfo=self.zone).astimezone(UTC)
            if at >= end:
                break
            out.append(at)
        return out


def _ecu(eid: str, model: str, count: int, first_uid: int, peak_w: float) -> Ecu:
    prefix = "90" if model.startswith("QT") else "80"
    return Ecu(
        eid,
        tuple(
            Inverter(f"{prefix}{first_uid + i:010d}", model, peak_w=peak_w) for i in range(count)
        ),
    )


def _created(setup: date) -> date:
    return setup - timedelta(days=2 * 365 + 40)


AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DENVER = ZoneInfo("America/Denver")
OSLO = ZoneInfo("Europe/Oslo")
ROME = ZoneInfo("Europe/Rome")

AMS_SITE = Site(
    sid="AZ3A1B2C3D4E",
    timezone="Europe/Amsterdam",
    latitude=52.37,
    longitude=4.90,
    create_date=_created(date(YEAR, 6, 30)),
    ecus=(
        _ecu("216000110001", "QT2D", 2, 1_100_001, 430.0),
        _ecu("216000110002", "DS3", 3, 1_200_001, 420.0),
    ),
    meters=("215000110003",),
    seed=3101,
    base_load_w=300.0,
)

OSLO_SITE = Site(
    sid="NO5E6F7A8B9C",
    timezone="Europe/Oslo",
    latitude=59.91,
    longitude=10.75,
    create_date=_created(date(YEAR, 11, 30)),
    # One ECU with its meter activated: 5 DS3 (10 modules of 410 W, 4.1 kWp).
    ecus=(_ecu("216000220001", "DS3", 5, 2_100_001, 410.0),),
    meters=("216000220001",),
    seed=1130,
    base_load_w=450.0,  # electric heating season
)

MILAN_SITE = Site(
    sid="IT1D2E3F4A5B",
    timezone="Europe/Rome",
    latitude=45.46,
    longitude=9.19,
    create_date=_created(date(YEAR, 6, 30)),
    ecus=(
        _ecu("216000330001", "DS3", 14, 3_100_001, 440.0),
        _ecu("216000330002", "DS3", 13, 3_200_001, 440.0),
        _ecu("216000330003", "DS3", 13, 3_300_001, 440.0),
    ),
    seed=4540,
)

HOME_SITE = Site(
    sid="AZ7C8D9E0F1A",
    timezone="Europe/Amsterdam",
    latitude=52.09,
    longitude=5.12,
    create_date=_created(date(YEAR, 6, 30)),
    ecus=(_ecu("216000440001", "DS3", 4, 4_100_001, 400.0),),
    meters=("215000440002",),
    seed=5209,
)

BARN_SITE = Site(
    sid="AZ2B3C4D5E6F",
    timezone="Europe/Amsterdam",
    latitude=52.10,
    longitude=5.20,
    create_date=_created(date(YEAR, 6, 30)),
    ecus=(_ecu("216000550001", "QT2D", 3, 5_100_001, 430.0),),
    seed=5210,
)

BATTERY_SITE = Site(
    sid="AZ6F7A8B9C0D",
    timezone="Europe/Amsterdam",
    latitude=52.37,
    longitude=4.90,
    create_date=_created(date(YEAR, 6, 30)),
    # PV and storage (details type 3): one ECU with 4 DS3 (8 modules of 420 W, 3.4 kWp) and a
    # storage ECU with the simulator's default battery (ELT-12: 11.52 kWh, 2.4 kW charge,
    # 3 kW discharge, 10 % reserve) between the PV, a household load and the grid; no meter.
    ecus=(_ecu("216000660001", "DS3", 4, 6_100_001, 420.0),),
    seed=3102,
    base_load_w=300.0,
    storages=(Storage("216200660002"),),
)

SPLIT_SITE = Site(
    sid="AZ8E9F0A1B2C",
    timezone="Europe/Amsterdam",
    latitude=52.38,
    longitude=4.64,
    create_date=_created(date(YEAR, 6, 30)),
    # A split roof: on the first ECU 4 DS3 on the east side (410 W modules, their noon 90
    # minutes before the sun's) and 2 on the west side (440 W, 90 minutes after); on the
    # second a QT2D facing south, whose third module is shaded every morning from 7 to
    # 10:30 (60 % less: a chimney, as installed), and a QT2D on the west side (430 W).
    ecus=(
        Ecu(
            "216000770001",
            (
                *(Inverter(f"80{7_100_001 + i:010d}", "DS3", 0, 410.0, -90) for i in range(4)),
                *(Inverter(f"80{7_100_005 + i:010d}", "DS3", 0, 440.0, 90) for i in range(2)),
            ),
        ),
        Ecu(
            "216000770002",
            (
                Inverter("900007200001", "QT2D", peak_w=430.0),
                Inverter("900007200002", "QT2D", peak_w=430.0, facing_minutes=90),
            ),
        ),
    ),
    meters=("215000770003",),
    seed=5238,
    base_load_w=320.0,
    faults=(ChannelFault("900007200001", 3, loss=0.6, hours=(7.0, 10.5)),),
)

# Real skies (tests/simulator/skies, README: the benchmark's provenance): measured production
# of an array in Golden, Colorado, instead of the formula. Never the SERF East array (its
# July 2016 is the held-out check).
GOLDEN_SOUTH_SITE = Site(
    sid="US4G5H6J7K8L",
    timezone="America/Denver",
    latitude=39.74,
    longitude=-105.18,
    create_date=_created(date(YEAR, 6, 30)),
    ecus=(
        _ecu("216000770001", "QT2D", 2, 7_100_001, 430.0),
        _ecu("216000770002", "DS3", 3, 7_200_001, 420.0),
    ),
    meters=("215000770003",),
    seed=3974,
    base_load_w=300.0,
    sky="golden_south_2021_07",
)

GOLDEN_EAST_SITE = Site(
    sid="US9M8N7P6Q5R",
    timezone="America/Denver",
    latitude=39.74,
    longitude=-105.18,
    create_date=_created(date(YEAR, 6, 30)),
    # An east-facing roof (azimuth 90°, tilt 25°) under July 2022's measured sky.
    ecus=(
        _ecu("216000880001", "DS3", 3, 8_100_001, 420.0),
        _ecu("216000880002", "DS3", 3, 8_200_001, 420.0),
    ),
    seed=3975,
    sky="golden_east_2022_07",
)


def _many(count: int) -> tuple[System, ...]:
    """``count`` small systems around Utrecht (1 ECU, 2 to 4 DS3 each; every third with a
    meter), all on one App ID with default options."""
    systems = []
    for n in range(count):
        eid = f"2160009{n:02d}001"
        meters = (f"2150009{n:02d}002",) if n % 3 == 0 else ()
        systems.append(
            System(
                Site(
                    sid=f"AZM{n:02d}A1B2C3D",
                    timezone="Europe/Amsterdam",
                    latitude=52.09 + 0.01 * n,
                    longitude=5.12,
                    create_date=_created(date(YEAR, 6, 30)),
                    ecus=(_ecu(eid, "DS3", 2 + n % 3, 9_000_001 + 1000 * n, 410.0),),
                    meters=meters,
                    seed=6000 + n,
                )
            )
        )
    return tuple(systems)


SITES: tuple[BenchSite, ...] = (
    BenchSite(
        "a",
        "a) Amsterdam, July: 2 ECUs (2 QT2D, 3 DS3) + meter ECU, set up at noon on 30 June",
        (System(AMS_SITE),),
        datetime(YEAR, 6, 30, 12, 0, tzinfo=AMSTERDAM),
        (YEAR, 7),
    ),
    BenchSite(
        "b",
        "b) the same site set up at 00:00:30 on 1 July",
        (System(AMS_SITE),),
        datetime(YEAR, 7, 1, 0, 0, 30, tzinfo=AMSTERDAM),
        (YEAR, 7),
    ),
    BenchSite(
        "c",
        "c) Oslo, December: 1 ECU (5 DS3) with its meter, set up at noon on 30 November",
        (System(OSLO_SITE),),
        datetime(YEAR, 11, 30, 12, 0, tzinfo=OSLO),
        (YEAR, 12),
    ),
    BenchSite(
        "d",
        "d) Milan (45.5°N), July: 3 ECUs, 40 DS3 (14+13+13), set up at noon on 30 June",
        (System(MILAN_SITE),),
        datetime(YEAR, 6, 30, 12, 0, tzinfo=ROME),
        (YEAR, 7),
    ),
    BenchSite(
        "e",
        "e) two systems on one App ID (Utrecht: 4 DS3 + meter; 3 QT2D), July, "
        "both set up at noon on 30 June with default options",
        (System(HOME_SITE), System(BARN_SITE)),
        datetime(YEAR, 6, 30, 12, 0, tzinfo=AMSTERDAM),
        (YEAR, 7),
    ),
    BenchSite(
        "f",
        "f) Amsterdam, July: PV + storage (1 ECU with 4 DS3; a storage ECU with an 11.5 kWh "
        "battery), set up at noon on 30 June with default options",
        (System(BATTERY_SITE),),
        datetime(YEAR, 6, 30, 12, 0, tzinfo=AMSTERDAM),
        (YEAR, 7),
    ),
    BenchSite(
        "g",
        "g) Haarlem, July: a split roof (2 ECUs: 4 DS3 east, 2 DS3 and a QT2D west, a QT2D "
        "south with a module shaded every morning) + meter, set up at noon on 30 June",
        (System(SPLIT_SITE),),
        datetime(YEAR, 6, 30, 12, 0, tzinfo=AMSTERDAM),
        (YEAR, 7),
    ),
    BenchSite(
        "h",
        "h) real sky: Golden (Colorado), July as measured (PVDAQ system 15, 2021): 2 ECUs "
        "(2 QT2D, 3 DS3) + meter ECU, south-facing, set up at noon on 30 June",
        (System(GOLDEN_SOUTH_SITE),),
        datetime(YEAR, 6, 30, 12, 0, tzinfo=DENVER),
        (YEAR, 7),
    ),
    BenchSite(
        "i",
        "i) real sky: Golden, July 2022's measured clouds on an east-facing roof: 2 ECUs "
        "(6 DS3), no meter, set up at noon on 30 June",
        (System(GOLDEN_EAST_SITE),),
        datetime(YEAR, 6, 30, 12, 0, tzinfo=DENVER),
        (YEAR, 7),
    ),
    *(
        BenchSite(
            f"m{count}",
            f"m{count}) {count} systems on one App ID (Utrecht, 1 ECU each, every third "
            "with a meter), July, all added at 10:00 on 30 June with default options",
            _many(count),
            datetime(YEAR, 6, 30, 10, 0, tzinfo=AMSTERDAM),
            (YEAR, 7),
        )
        for count in (2, 5, 12)
    ),
)

BY_KEY = {site.key: site for site in SITES}
