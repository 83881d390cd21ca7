"""Which repair issues panel health asks for: one per underperforming module, or one for an
inverter whose modules all are (a dead inverter), with the figure and since when."""

from datetime import date, timedelta

from custom_components.apsystems_ema.health import Health
from custom_components.apsystems_ema.panel_issues import wanted_issues
from tests.health.helpers import inverters, run

DAY = date(2026, 7, 1)


def test_one_issue_per_module_or_per_dead_inverter() -> None:
    """A dead inverter is one issue (not one per module); a module 30 % down on another
    inverter is its own, once it is on; an inverter the system no longer has gets none."""
    roof = inverters(("a", 2, 0.4, 0), ("b", 2, 0.4, 0), ("c", 4, 0.4, 0), ("d", 2, 0.4, 0))
    health = Health()
    day = run(health, roof, DAY, [5.0] * 5)
    losses = {("b", 1): 1.0, ("b", 2): 1.0, ("c", 3): 0.3}
    run(health, roof, day, [5.0] * 3, losses=losses)
    issues = wanted_issues(health, {"a", "b", "c", "d"})
    assert issues == {
        "b": {
            "translation_key": "underperforming_inverter",
            "translation_placeholders": {
                "inverter": "b",
                "figure": "0",
                "since": day.isoformat(),
            },
        },
        "c_3": {
            "translation_key": "underperforming_channel",
            "translation_placeholders": {
                "inverter": "c",
                "channel": "3",
                "figure": "70",
                "since": day.isoformat(),
            },
        },
    }
    assert set(wanted_issues(health, {"a", "c"})) == {"c_3"}
    # Back to health: after two good days no issue is wanted.
    run(health, roof, day + timedelta(days=3), [5.0] * 2)
    assert wanted_issues(health, {"a", "b", "c", "d"}) == {}
