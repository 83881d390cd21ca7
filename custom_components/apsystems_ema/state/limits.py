"""What a home's installation can physically give: the bounds an answer must stay within to be
believed (pure Python). An answer beyond them is refused whole: an absurd value would lift a
never-decreasing lifetime for good."""

from collections.abc import Mapping

# Power the system can deliver: its capacity with this margin (modules can exceed their
# rating in cold sunshine, never by half); without a known capacity, NO_CAPACITY_W.
POWER_MARGIN = 1.5
NO_CAPACITY_W = 100_000.0
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
