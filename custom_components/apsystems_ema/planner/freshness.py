"""When a power reading still counts as the current power, and whether a device reports
(pure Python, no Home Assistant).

A reading stands until ``STALE_POLLS`` planned poll intervals (at least ``STALE_AT_LEAST``)
passed without a newer sample; then it is unknown: an outage does not show an old reading as
current. For production only daylight counts, and outside daylight the production has ended:
0 W. A meter's consumption goes on at night: its readings just age.
"""

from datetime import date, datetime, timedelta

from .envelope import Envelope
from .sun import Daylight

STALE_POLLS = 3
STALE_AT_LEAST = timedelta(minutes=30)


def live_power(
    value: float | None,
    sample: datetime | None,
    now: datetime,
    *,
    daylight: Daylight,
    interval: timedelta,
    production: bool = True,
) -> float | None:
    """``value`` (W, sampled at ``sample``) as the current power at ``now``, for polls
    planned ``interval`` apart; None: not current any more."""
    if value is None or sample is None:
        return value
    stale_after = max(interval * STALE_POLLS, STALE_AT_LEAST)
    if not production:
        return value if now - sample <= stale_after else None
    day = daylight.local_day(now)
    windows = [w for w in (daylight.sun(day), daylight.window(day)) if w is not None]
    if not windows:
        return 0.0  # polar night
    start = min(w.start for w in windows)
    if not start <= now <= max(w.end for w in windows):
        return 0.0
    return value if now - max(sample, start) <= stale_after else None


# -- the system's power between polls -----------------------------------------------------
#
# Polls are an hour or two apart in summer; the production they measured changes with the
# sun in between. The system's current power follows the sun from its last measured value:
# the clouds (and the modules' share of the sky) are taken as they were at the sample.

# Below this height of the sun (about 6 degrees) a reading is mostly diffuse light and is
# not scaled: it is shown as measured.
LOW_SUN = 0.1
# A reading is scaled up by at most this much (a low sample in the morning).
MAX_RISE = 3.0


def follow_sun(
    value: float | None,
    sample: datetime | None,
    now: datetime,
    *,
    daylight: Daylight,
    limit_w: float | None = None,
) -> float | None:
    """The power ``value`` (W, measured at ``sample``) carried to ``now`` along the sun's
    height: ``value * height(now) / height(sample)``, at most ``MAX_RISE`` times ``value``
    and at most ``limit_w``. A reading taken with the sun below ``LOW_SUN``, or none, is
    returned as it is."""
    if value is None or sample is None or value <= 0 or now <= sample:
        return value
    then = daylight.height(sample)
    if then < LOW_SUN:
        return value
    carried = value * min(daylight.height(now) / then, MAX_RISE)
    if limit_w is not None and limit_w > 0:
        carried = min(carried, limit_w)
    return round(carried, 1)


# -- the system's power along its own envelope ---------------------------------------------
#
# Once the system learnt its envelope (see :mod:`.envelope`), its power between polls follows
# that instead of the sun: the share of the envelope measured at the sample (the clouds, as
# they were) times the envelope now. Before the day's first poll, the share of the day before.

# Below this share of the envelope's peak, the envelope at the sample is taken as this much
# (dawn and dusk: a share of almost nothing says little).
LOW_ENVELOPE = 0.05
# A sample is at most this much above its envelope (clouds' edges reflect more sunlight).
MAX_INDEX = 1.3


def follow_envelope(
    value: float | None,
    sample: datetime | None,
    now: datetime,
    *,
    daylight: Daylight,
    envelope: Envelope,
    limit_w: float | None = None,
) -> float | None:
    """The power ``value`` (W, measured at ``sample``) carried to ``now`` along the system's
    envelope: ``value / envelope(sample) * envelope(now)``; a sample of an earlier day
    (before today's first poll) gives the envelope now times that day's clearness. Until the
    envelope knows enough days, the sun's height (:func:`follow_sun`)."""
    if value is None or sample is None or now <= sample:
        return value
    today = daylight.local_day(now)
    here = envelope.at(now, today)
    if here is None:
        return follow_sun(value, sample, now, daylight=daylight, limit_w=limit_w)
    before = daylight.local_day(sample)
    if before < today:
        clearness = envelope.clearness(before, today)
        if clearness is None or daylight.height(now) <= 0:
            return value
        carried = clearness * here
    else:
        then = envelope.at(sample, today) or 0.0
        index = min(
            max(value, 0.0) / max(then, LOW_ENVELOPE * envelope.peak(today), 1.0), MAX_INDEX
        )
        carried = index * here
    if limit_w is not None and limit_w > 0:
        carried = min(carried, limit_w)
    return round(carried, 1)


# -- whether a device reports -------------------------------------------------------------
#
# Judged from the curves the polls fetch anyway, without a call of its own. An ECU uploads
# its inverters' samples every 5 minutes while they produce; one batch curve holds every
# inverter of an ECU.

SLOT = timedelta(minutes=5)  # the ECU's upload grid
# An inverter whose newest sample is this many slots behind its ECU's newest (its siblings
# report, it does not) is not reporting.
SILENT_SLOTS = 3
# An ECU whose newest sample was this old when its curve was fetched in daylight is not
# reporting (the polls are apart by more than a slot, so one missed upload is no verdict).
ECU_SILENT_AFTER = timedelta(minutes=30)
# The inverters wake after sunrise and go to sleep before sunset at their own pace (later
# and earlier on a dull day): an ECU is judged only from DAWN after sunrise to DUSK before
# sunset, the polling window's offsets narrowing that further.
DAWN = timedelta(hours=1)
DUSK = timedelta(hours=1)


def inverter_reporting(newest: datetime | None, ecu_newest: datetime | None) -> bool | None:
    """Whether an inverter reports: its newest sample with a value (``newest``) against
    the newest sample of its ECU's curve (``ecu_newest``, its siblings'); None while either
    is unknown (before its first curve)."""
    if newest is None or ecu_newest is None:
        return None
    return ecu_newest - newest < SILENT_SLOTS * SLOT


def judged_span(daylight: Daylight, day: date) -> tuple[datetime, datetime] | None:
    """The part of a local day in which an ECU that does not upload is not reporting:
    daylight and polling window both, without its first ``DAWN`` and last ``DUSK``; None
    when there is none (polar night, a very short day)."""
    sun, window = daylight.sun(day), daylight.window(day)
    if sun is None or window is None:
        return None
    start = max(sun.start + (timedelta(0) if sun.polar_day else DAWN), window.start)
    end = min(sun.end - (timedelta(0) if sun.polar_day else DUSK), window.end)
    return (start, end) if start < end else None


def ecu_reporting(
    newest: datetime | None,
    fetched: datetime | None,
    daylight: Daylight,
    previous: bool | None = None,
) -> bool | None:
    """Whether an ECU reports, from the age of its newest sample (``newest``) when its
    curve was last fetched (``fetched``): in the judged span of daylight (see
    :func:`judged_span`), a newest sample older than ``ECU_SILENT_AFTER`` means not
    reporting. A curve fetched outside that span keeps the ``previous`` verdict (reporting
    when there is none); None before any curve. A day without any production (snow on the
    modules) looks the same as an ECU offline: the API cannot tell them apart."""
    if fetched is None:
        return previous
    span = judged_span(daylight, daylight.local_day(fetched))
    if span is None or not span[0] <= fetched <= span[1]:
        return True if previous is None else previous
    return newest is not None and fetched - newest <= ECU_SILENT_AFTER
