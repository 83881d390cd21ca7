"""What a home's installation can physically give: the bounds an answer must stay within to be
believed (pure Python). An energy beyond them is refused with its answer: an absurd value
would lift a never-decreasing lifetime for good. A power curve loses only its impossible
figures, unless they are too many to be a glitch (then it is refused whole).

Power is bounded by the hardware, not by the capacity the details declare (an installer's
figure, often typed before an extension): an inverter cannot deliver more than the larger of
its rating, known per model (``MODEL_RATINGS``), and ``CHANNEL_W`` per channel, generously (a
model's name may hide a stronger variant; the bound only has to refuse the absurd).
"""

from collections.abc import Iterable, Mapping

# Power the system can deliver: its capacity with this margin (modules can exceed their
# rating in cold sunshine, never by half); without a known capacity, NO_CAPACITY_W.
POWER_MARGIN = 1.5
NO_CAPACITY_W = 100_000.0
# An inverter's AC output (W) by model, from APsystems' data sheets (the maximum continuous
# output power); a model is matched by its longest known prefix (``DS3-L`` before ``DS3``).
MODEL_RATINGS: dict[str, float] = {
    "DS3-S": 640.0,
    "DS3-L": 768.0,
    "DS3-H": 960.0,
    "DS3D": 1800.0,
    "DS3": 880.0,
    "EZ1": 800.0,
    "YC600": 548.0,
    "YC1000": 900.0,
    "QS1": 1200.0,
    "QT2D": 2000.0,
    "QT2": 1800.0,
}
# Channels per model (the API lists a channel per module input).
MODEL_CHANNELS: dict[str, int] = {
    "DS3": 2,
    "EZ1": 2,
    "YC600": 2,
    "QS1": 4,
    "QT2": 4,
    "YC1000": 4,
}
# An unknown model: this much per channel (no micro-inverter's input reaches it) and this
# many channels until its curve says.
CHANNEL_W = 750.0
DEFAULT_CHANNELS = 4
# Above its rating an inverter delivers nothing (it clips); the margin is generous: the API's
# averaging and rounding, a data sheet's VA against W, and a model name that hides a stronger
# variant (a "DS3" that is a DS3-H) must never refuse a real answer.
RATING_MARGIN = 1.5
# A curve with more impossible figures than this share (of those with a value) is not a
# glitch: it is refused whole (an answer scaled by 100 or a million stays out).
GLITCH_SHARE = 0.05
GLITCH_COUNT = 3


def _model_key(model: str | None, table: Mapping[str, object]) -> str | None:
    name = (model or "").upper()
    return max((key for key in table if name.startswith(key)), key=len, default=None)


def inverter_bound(model: str | None, channels: int = 0) -> float:
    """The most an inverter of ``model`` with ``channels`` inputs can deliver (W), with the
    margin: the larger of its rating (where the model is known) and ``CHANNEL_W`` per
    channel (the channels it reported, else its model's, else ``DEFAULT_CHANNELS``)."""
    key = _model_key(model, MODEL_RATINGS)
    rating = MODEL_RATINGS[key] if key is not None else 0.0
    count = channels or MODEL_CHANNELS.get(_model_key(model, MODEL_CHANNELS) or "", 0)
    return max(rating, CHANNEL_W * (count or DEFAULT_CHANNELS)) * RATING_MARGIN


def channel_bound(model: str | None, channels: int = 0) -> float:
    """The most one input of such an inverter can deliver (W): ``CHANNEL_W`` with the
    margin, or its rating with the margin where that is more (a large inverter's input)."""
    key = _model_key(model, MODEL_RATINGS)
    rating = MODEL_RATINGS[key] if key is not None else 0.0
    return max(rating, CHANNEL_W) * RATING_MARGIN


def glitches(values: Iterable[float | None], bound: float) -> tuple[int, int]:
    """(impossible figures: negative or above ``bound``, figures with a value)."""
    bad = total = 0
    for value in values:
        if value is None:
            continue
        total += 1
        if value < 0 or value > bound:
            bad += 1
    return bad, total


def too_many(bad: int, total: int) -> bool:
    """Whether ``bad`` impossible figures of ``total`` are more than a glitch."""
    return bad > max(GLITCH_COUNT, GLITCH_SHARE * total) or (bad > 0 and bad == total)


# A meter (or a battery's ECU) measures a household or small business: this much power at
# most (a large 3-phase connection), and its energies what that power gives in their period.
METER_MAX_W = 100_000.0
# A day's list holding this much less than the day's known energy is cut short, not late.
SHORT_DAY_RATIO = 0.1
SHORT_DAY_KWH = 0.05


def energy_problem(what: str, energies: Mapping[str, float], days: int) -> str | None:
    """Why energies over ``days`` days cannot be a home's (negative, or beyond what
    ``METER_MAX_W`` gives in that time), naming the first such one, or None."""
    bound = METER_MAX_W * 24 * days / 1000
    for key, value in energies.items():
        if value < 0 or value > bound:
            return f"{what} {key} of {value:g} kWh"
    return None
