"""Write the month benchmark's measured skies (tests/simulator/skies/*.json) from public data.

Run once by a developer, outside the test stack (it needs pandas, pyarrow, pvlib and
pvanalytics, none of which the tests use): the JSON files it writes are committed, and the
simulator reads them with the standard library only::

    python -m venv /tmp/skies && /tmp/skies/bin/pip install pandas pyarrow pvlib pvanalytics
    /tmp/skies/bin/python scripts/skies_from_pvdata.py

Source: pvanalytics' package data ``system_15_poa_irradiance.parquet``, the measured
plane-of-array irradiance (15-minute values, W/m²) of PVDAQ system 15, a fixed south-facing
array on the NREL campus in Golden, Colorado (39.7406 N, 105.1775 W), 2019 to 2023, published
by the U.S. Department of Energy's Open Energy Data Initiative (OEDI submission 4568).

* ``golden_south_2021_07``: July 2021 as it was measured: production proportional to the
  irradiance (0.85 W of AC per W-peak at 1000 W/m²).
* ``golden_east_2022_07``: the sky of July 2022 on an east-facing roof (azimuth 90°, tilt
  25°): each 15-minute value's clear-sky index (the value over the series' own upper
  envelope at that time of day, ±7 days) times pvlib's clear-sky irradiance on that roof
  (simplified Solis, isotropic sky). The clouds are measured; the roof is modelled.

The SERF East array (PVDAQ system 50: ``serf_east_*`` and ``system_50_*``) is left out on
purpose: its July 2016 series is the held-out real sky the integration is checked against,
and neither the benchmark nor the tuning may see that array.

Each file holds, per day of the month, 288 powers per W-peak on the 5-minute slots of the
local wall clock (America/Denver), linearly interpolated between the 15-minute values
(at their timestamps), rounded to 4 decimals.
"""

import json
from pathlib import Path

import pandas as pd  # type: ignore[import-not-found]
import pvanalytics  # type: ignore[import-not-found]
import pvlib  # type: ignore[import-not-found]

LATITUDE, LONGITUDE, ZONE = 39.7406, -105.1775, "America/Denver"
AC_PER_KW = 0.85  # W of AC per W-peak at 1000 W/m²
OUT = Path(__file__).resolve().parent.parent / "tests" / "simulator" / "skies"
SOURCE = (
    "pvanalytics 0.2.2 package data system_15_poa_irradiance.parquet: PVDAQ system 15 "
    "(NREL, Golden CO), measured plane-of-array irradiance, 15-minute values; DOE OEDI "
    "submission 4568"
)


def _series() -> pd.Series:
    folder = Path(pvanalytics.__file__).parent / "data"
    frame = pd.read_parquet(folder / "system_15_poa_irradiance.parquet")
    series = frame.set_index("measured_on")["poa_irradiance__484"]
    series.index = pd.to_datetime(series.index)
    return series.clip(lower=0)


def _month(series: pd.Series, year: int, month: int) -> pd.Series:
    local = series.tz_convert(ZONE)
    start = pd.Timestamp(year=year, month=month, day=1, tz=ZONE)
    end = start + pd.offsets.MonthBegin(1)
    margin = pd.Timedelta(days=8)
    part = local[(local.index >= start - margin) & (local.index < end + margin)]
    return part.interpolate(limit=4).fillna(0.0)


def _slots(series: pd.Series, year: int, month: int) -> dict[str, list[float]]:
    """Per day of the month, 288 5-minute values interpolated from ``series``."""
    start = pd.Timestamp(year=year, month=month, day=1, tz=ZONE)
    end = start + pd.offsets.MonthBegin(1)
    grid = pd.date_range(start, end, freq="5min", inclusive="left")
    fine = series.reindex(series.index.union(grid)).interpolate(method="time").reindex(grid)
    fine = fine.fillna(0.0).clip(lower=0.0)
    days: dict[str, list[float]] = {}
    for day, values in fine.groupby(fine.index.day):
        days[str(day)] = [round(float(v), 4) for v in values]
        if len(days[str(day)]) != 288:
            raise ValueError(f"day {day}: {len(values)} slots")
    return days


def south(series: pd.Series) -> dict[str, list[float]]:
    part = _month(series, 2021, 7)
    return _slots(part / 1000 * AC_PER_KW, 2021, 7)


def east(series: pd.Series) -> dict[str, list[float]]:
    part = _month(series, 2022, 7)
    # The series' own clear-sky envelope: per time of day, the highest value within ±7 days.
    frame = pd.DataFrame({"v": part.values}, index=part.index)
    frame["day"] = frame.index.normalize()
    frame["tod"] = frame.index.hour * 60 + frame.index.minute
    table = frame.pivot_table(index="day", columns="tod", values="v", aggfunc="max")
    envelope = table.rolling(15, center=True, min_periods=1).max()
    stacked = envelope.stack()
    env = pd.Series(
        [stacked.get(key, float("nan")) for key in zip(frame["day"], frame["tod"], strict=True)],
        index=frame.index,
    )
    index = (part / env).where(env > 60).clip(upper=1.3)
    # Where the south array's envelope is too low to judge (dawn, dusk), the nearest index.
    index = index.groupby(index.index.normalize()).transform(lambda s: s.ffill().bfill())
    index = index.fillna(0.0)
    place = pvlib.location.Location(LATITUDE, LONGITUDE, ZONE, altitude=1800)
    clear = place.get_clearsky(part.index, model="simplified_solis")
    sun = place.get_solarposition(part.index)
    poa = pvlib.irradiance.get_total_irradiance(
        25, 90, sun["apparent_zenith"], sun["azimuth"], clear["dni"], clear["ghi"], clear["dhi"]
    )["poa_global"].clip(lower=0)
    measured_sky = index * poa
    return _slots(measured_sky / 1000 * AC_PER_KW, 2022, 7)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    series = _series()
    for name, days, note in (
        ("golden_south_2021_07", south(series), "July 2021 as measured (south-facing)"),
        (
            "golden_east_2022_07",
            east(series),
            "July 2022's measured clear-sky index on a modelled east-facing roof (azimuth 90, "
            "tilt 25; pvlib simplified Solis clear sky, isotropic transposition)",
        ),
    ):
        data = {
            "source": SOURCE,
            "note": note,
            "latitude": LATITUDE,
            "longitude": LONGITUDE,
            "timezone": ZONE,
            "unit": "W per W-peak on the local 5-minute slots (288 a day), by day of the month",
            "days": days,
        }
        (OUT / f"{name}.json").write_text(json.dumps(data, separators=(",", ":")) + "\n")
        print(name, sum(sum(v) for v in days.values()) / 12 / len(days), "Wh/Wp a day")  # noqa: T201


if __name__ == "__main__":
    main()
