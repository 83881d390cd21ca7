"""The month benchmark's printout: one markdown table per site, then PASS/FAIL per target.

Targets (a FAIL is printed, the process does not fail):

* site a: at most 1000 calls in July and no call answered 2005; lifetime energy at most 60
  minutes behind in daylight (mean); per-inverter power at most 60 minutes stale (mean);
  current power's mean absolute error at most 15 % of the mean true daylight power; no day
  with more than twice the month's average daily calls (the set-up day included); 0 calls
  per restart.
* other sites: the quota held (at most 1000 calls per App ID in the month), no call answered
  2005, no such burst day, 0 calls per restart.
* a site with a battery (f), also: the state of charge at most 60 minutes stale in daylight
  (mean, pooled over its batteries).

Sites without a battery show "—" in the battery rows.
"""

from dataclasses import dataclass
from datetime import date

from tests.bench.results import MEASURED_POWER, Battery, Calls, SiteFigures, Stat
from tests.bench.sites import QUOTA

MAX_LIFETIME_MINUTES = 60.0
MAX_INVERTER_STALENESS = 60.0
MAX_POWER_ERROR = 0.15
MAX_SOC_STALENESS = 60.0
BURST = 2.0
# Several systems on one App ID: each one's lifetime within 3 times the single system's
# (site a: 55 min), and none left without a poll for more than 3 hours of daylight.
MAX_SYSTEM_LIFETIME = 3 * 55.0
MAX_GAP_MINUTES = 180.0
NO_BATTERY = "—"


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None or theirs == 0:
        return "-"
    return f"{ours / theirs:.2f}"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _month_name(month: str) -> str:
    return date.fromisoformat(f"{month}-01").strftime("%B")


def _previous_month(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return date(year - (number == 1), 12 if number == 1 else number - 1, 1).strftime("%B")


@dataclass(frozen=True)
class Target:
    """A target of a site: met or not, the figure it was judged on, the table's cell."""

    key: str
    """Which table row shows it: quota, 2005, burst, restart, lifetime, inverter, power,
    soc."""
    name: str
    ok: bool
    value: str
    threshold: str

    @property
    def cell(self) -> str:
        """The table's target cell."""
        return f"{self.threshold}: {_verdict(self.ok)}"


def targets(fig: SiteFigures) -> list[Target]:
    """The targets of a site (see the module's docstring)."""
    calls = fig.ours.calls
    month = _month_name(fig.month)
    common = [
        Target(
            "burst",
            f"no day above {BURST:g}x the average day, the set-up day included",
            not calls.burst_days,
            f"average {calls.average_day:.1f}; above: {', '.join(calls.burst_days) or 'none'}",
            "none",
        ),
        Target(
            "ahead",
            "lifetime energy never above the API's (beyond its rounding), day or night",
            fig.lifetime_ahead.n == 0,
            f"{fig.lifetime_ahead.n} samples above"
            + (f", by {_num(fig.lifetime_ahead.p95, 3)} kWh (p95)" if fig.lifetime_ahead.n else ""),
            "0 samples",
        ),
        Target(
            "restart",
            "0 calls per restart",
            all(n == 0 for n in calls.restarts),
            ", ".join(map(str, calls.restarts)) or "no restart",
            "0",
        ),
    ]
    if fig.battery is not None:
        soc = fig.battery.soc_staleness.mean
        common.append(
            Target(
                "soc",
                f"battery state of charge <= {MAX_SOC_STALENESS:g} min stale in daylight (mean)",
                soc is not None and soc <= MAX_SOC_STALENESS,
                f"{_num(soc)} min",
                f"≤ {MAX_SOC_STALENESS:g}",
            )
        )
    if fig.statistics_days:
        inexact = {sid: n - ok for sid, (ok, n) in fig.statistics_days.items() if ok < n}
        common.append(
            Target(
                "statistics",
                "exact statistics: every closed day's imported hours are the API's, every system",
                not inexact,
                ", ".join(f"{sid[:5]}: {n} days off" for sid, n in inexact.items()) or "all",
                "all days",
            )
        )
    if len(fig.system_lifetime) > 1:
        worst = max(fig.system_lifetime.values())
        gap = max(fig.longest_gap.values(), default=0.0)
        common += [
            Target(
                "systems",
                f"every system's lifetime <= {MAX_SYSTEM_LIFETIME:g} min behind (3x site a)",
                worst <= MAX_SYSTEM_LIFETIME,
                f"worst {_num(worst)} min",
                f"≤ {MAX_SYSTEM_LIFETIME:g}",
            ),
            Target(
                "gap",
                f"no system without a poll for more than {MAX_GAP_MINUTES / 60:g} h of daylight",
                gap <= MAX_GAP_MINUTES,
                f"longest {_num(gap / 60, 2)} h",
                f"≤ {MAX_GAP_MINUTES / 60:g} h",
            ),
        ]
    if fig.key != "a":
        return [
            Target(
                "quota",
                f"quota held: <= {QUOTA} calls in {month} per App ID",
                calls.month <= QUOTA,
                str(calls.month),
                f"≤ {QUOTA}",
            ),
            Target(
                "2005",
                "no call answered 2005",
                calls.quota_answers == 0,
                str(calls.quota_answers),
                "0",
            ),
            *common,
        ]
    life = fig.ours.lifetime_minutes.mean
    stale = fig.ours.inverter_staleness.mean
    error = fig.ours.power_error.mean
    share = error / fig.daylight_power_w if error is not None and fig.daylight_power_w else None
    return [
        Target(
            "quota",
            f"<= {QUOTA} calls in {month} and no call answered 2005",
            calls.month <= QUOTA and calls.quota_answers == 0,
            f"{calls.month} calls, {calls.quota_answers} answered 2005",
            f"≤ {QUOTA}, no 2005",
        ),
        Target(
            "lifetime",
            f"lifetime energy <= {MAX_LIFETIME_MINUTES:g} min behind in daylight (mean)",
            life is not None and life <= MAX_LIFETIME_MINUTES,
            f"{_num(life)} min",
            f"≤ {MAX_LIFETIME_MINUTES:g}",
        ),
        Target(
            "inverter",
            f"per-inverter power <= {MAX_INVERTER_STALENESS:g} min stale (mean)",
            stale is not None and stale <= MAX_INVERTER_STALENESS,
            f"{_num(stale)} min",
            f"≤ {MAX_INVERTER_STALENESS:g}",
        ),
        Target(
            "power",
            f"current power MAE <= {MAX_POWER_ERROR:.0%} of the mean daylight power",
            share is not None and share <= MAX_POWER_ERROR,
            f"{_num(None if share is None else 100 * share)} %",
            f"≤ {MAX_POWER_ERROR:.0%}",
        ),
        *common,
    ]


def _stat_rows(
    label: str, unit: str, ours: Stat, theirs: Stat | None, digits: int = 1, target: str = ""
) -> list[str]:
    anchor_mean = "-" if theirs is None else _num(theirs.mean, digits)
    anchor_p95 = "-" if theirs is None else _num(theirs.p95, digits)
    return [
        f"| {label}, mean ({unit}) | {_num(ours.mean, digits)} | {anchor_mean} | "
        f"{_ratio(ours.mean, None if theirs is None else theirs.mean)} | {target} |",
        f"| {label}, p95 ({unit}) | {_num(ours.p95, digits)} | {anchor_p95} | "
        f"{_ratio(ours.p95, None if theirs is None else theirs.p95)} | |",
    ]


def _calls_rows(fig: SiteFigures, checks: dict[str, str]) -> list[str]:
    ours, theirs = fig.ours.calls, fig.anchor.calls
    month = _month_name(fig.month)
    systems = ""
    if len(ours.per_system) > 1:
        systems = " (" + ", ".join(f"{sid}: {n}" for sid, n in ours.per_system.items()) + ")"
    beyond = max(0, theirs.month - QUOTA)

    def busiest(calls: Calls) -> str:
        return f"{calls.average_day:.1f} / {calls.max_day} ({calls.max_date[5:]})"

    return [
        f"| calls in {month}, App ID{systems} | {ours.month} | {theirs.month} | "
        f"{_ratio(ours.month, theirs.month)} | {checks.get('quota', '')} |",
        f"| calls booked to {_previous_month(fig.month)} | {ours.before} | {theirs.before} | | |",
        f"| calls on the set-up day ({ours.setup_date}) | {ours.setup_day} | "
        f"{theirs.setup_day} | {_ratio(ours.setup_day, theirs.setup_day)} | |",
        f"| calls per day in {month}: average / max | {busiest(ours)} | {busiest(theirs)} | "
        f"{_ratio(ours.max_day, theirs.max_day)} | |",
        f"| days above {BURST:g}x the average (set-up day included) | "
        f"{', '.join(ours.burst_days) or 'none'} | {', '.join(theirs.burst_days) or 'none'} | | "
        f"{checks.get('burst', '')} |",
        f"| calls answered 2005 (anchor: calls beyond the quota) | {ours.quota_answers} | "
        f"{beyond} | | {checks.get('2005', '')} |",
        f"| calls per restart (restarts: {len(ours.restarts)}) | "
        f"{', '.join(map(str, ours.restarts)) or '-'} | "
        f"{', '.join(map(str, theirs.restarts)) or '-'} | | {checks.get('restart', '')} |",
    ]


def _battery_rows(battery: Battery | None, checks: dict[str, str]) -> list[str]:
    """The battery's headline rows ("—" without a battery; the anchor has none)."""
    rows = (
        ("battery state of charge: staleness, daylight, mean (min)", "soc_staleness", "mean", 1),
        ("battery state of charge: staleness, daylight, p95 (min)", "soc_staleness", "p95", 1),
        ("battery state of charge: absolute error, daylight, mean (pp)", "soc_error", "mean", 2),
        ("battery lifetime charged: kWh behind, daylight, mean (kWh)", "charged_kwh", "mean", 3),
        (
            "battery lifetime charged: minutes behind, daylight, mean (min)",
            "charged_minutes",
            "mean",
            1,
        ),
        (
            "battery lifetime discharged: kWh behind, daylight, mean (kWh)",
            "discharged_kwh",
            "mean",
            3,
        ),
        (
            "battery lifetime discharged: minutes behind, daylight, mean (min)",
            "discharged_minutes",
            "mean",
            1,
        ),
    )
    lines = []
    for label, name, which, digits in rows:
        if battery is None:
            value, anchor = NO_BATTERY, NO_BATTERY
        else:
            value, anchor = _num(getattr(getattr(battery, name), which), digits), "- (none)"
        target = checks.get("soc", "") if (name, which) == ("soc_staleness", "mean") else ""
        lines.append(f"| {label} | {value} | {anchor} | - | {target} |")
    return lines


def render(fig: SiteFigures) -> list[str]:
    """The site's section: a heading, how it ran, the table, the PASS/FAIL lines."""
    results = targets(fig)
    checks = {target.key: target.cell for target in results}
    ours, theirs = fig.ours, fig.anchor
    days = fig.ours.calls.days
    intervals = ", ".join(f"{s} s" for s in fig.anchor_interval_s)
    lines = [
        f"### {fig.title}",
        "",
        f"Simulated {fig.start[:16]} to {fig.end[:16]} ({days} days of {fig.month}): "
        f"{fig.steps} steps, {fig.samples} samples, {fig.seconds:.0f} s. "
        f"Mean true daylight power {fig.daylight_power_w:.0f} W"
        f"{' per system' if len(fig.anchor_interval_s) > 1 else ''}. "
        f"Anchor interval {intervals}.",
        "",
        "| figure | ours | anchor | ours/anchor | target |",
        "| --- | ---: | ---: | ---: | --- |",
        *_calls_rows(fig, checks),
        *_stat_rows(
            "lifetime energy: minutes behind, daylight",
            "min",
            ours.lifetime_minutes,
            theirs.lifetime_minutes,
            target=checks.get("lifetime", ""),
        ),
        *_stat_rows(
            "lifetime energy: kWh behind, daylight",
            "kWh",
            ours.lifetime_kwh,
            theirs.lifetime_kwh,
            digits=3,
        ),
        f"| lifetime energy: samples above the API's (all day; by how much, p95 kWh) | "
        f"{fig.lifetime_ahead.n} ({_num(fig.lifetime_ahead.p95, 3)}) | - | | "
        f"{checks.get('ahead', '')} |",
    ]
    share = (
        f" ({100 * ours.power_error.mean / fig.daylight_power_w:.1f} %)"
        if ours.power_error.mean is not None and fig.daylight_power_w
        else ""
    )
    anchor_share = (
        f" ({100 * theirs.power_error.mean / fig.daylight_power_w:.1f} %)"
        if theirs.power_error.mean is not None and fig.daylight_power_w
        else ""
    )
    lines += [
        f"| current power: mean absolute error, daylight (W; % of mean power) | "
        f"{_num(ours.power_error.mean, 0)}{share} | "
        f"{_num(theirs.power_error.mean, 0)}{anchor_share} | "
        f"{_ratio(ours.power_error.mean, theirs.power_error.mean)} | {checks.get('power', '')} |",
        f"| current power: absolute error, daylight p95 (W) | {_num(ours.power_error.p95, 0)} | "
        f"{_num(theirs.power_error.p95, 0)} | "
        f"{_ratio(ours.power_error.p95, theirs.power_error.p95)} | |",
        *_stat_rows(
            "per-inverter power: staleness, daylight",
            "min",
            ours.inverter_staleness,
            theirs.inverter_staleness,
            target=checks.get("inverter", ""),
        ),
        f"| per-inverter power: mean absolute error, daylight (W) | "
        f"{_num(ours.inverter_error.mean)} | {_num(theirs.inverter_error.mean)} | "
        f"{_ratio(ours.inverter_error.mean, theirs.inverter_error.mean)} | |",
    ]
    lines += _battery_rows(fig.battery, checks)
    if fig.statistics_days:
        lines.append(
            "| imported hourly production equal to the API's: closed days, per system | "
            + ", ".join(f"{sid[:5]}: {ok} of {n}" for sid, (ok, n) in fig.statistics_days.items())
            + f" | - | | {checks.get('statistics', '')} |"
        )
    if len(fig.system_lifetime) > 1:
        lines.append(
            "| per system: lifetime minutes behind (mean) / longest daylight without a poll (h) | "
            + ", ".join(
                f"{sid[:5]}: {_num(minutes)} / {_num(fig.longest_gap.get(sid, 0.0) / 60, 2)}"
                for sid, minutes in fig.system_lifetime.items()
            )
            + f" | - | | {checks.get('systems', '')} {checks.get('gap', '')} |"
        )
    else:
        gap = max(fig.longest_gap.values(), default=0.0)
        lines.append(f"| longest daylight without a poll (h) | {_num(gap / 60, 2)} | - | | |")
    for row in fig.extra:
        share = (
            f" ({100 * row.ours.mean / fig.daylight_power_w:.1f} %)"
            if row.label == MEASURED_POWER and row.ours.mean is not None and fig.daylight_power_w
            else ""
        )
        lines.append(
            f"| {row.label}, mean / p95 ({row.unit}) | "
            f"{_num(row.ours.mean, 3 if row.unit == 'kWh' else 1)}{share} / "
            f"{_num(row.ours.p95, 3 if row.unit == 'kWh' else 1)} | - (none) | - | |"
        )
    missing = {
        "lifetime": ours.lifetime_minutes.missing,
        "current power": ours.power_error.missing,
        "inverter power": ours.inverter_staleness.missing,
        **(
            {}
            if fig.battery is None
            else {
                "state of charge": fig.battery.soc_staleness.missing,
                "battery lifetimes": fig.battery.charged_kwh.missing
                + fig.battery.discharged_kwh.missing,
            }
        ),
        **{row.label: row.ours.missing for row in fig.extra if row.ours.missing},
    }
    lines.append(
        "| samples without a (matching) value (daylight; all-day rows: day and night) | "
        + ", ".join(f"{name} {n}" for name, n in missing.items())
        + " | | | |"
    )
    lines.append("")
    lines += [f"{fig.key}) {_verdict(t.ok)}: {t.name} ({t.value})" for t in results]
    return lines
