"""The panel health benchmark's machinery, and two of its goals: a month of site a with a
module 25 % down from the 10th (flagged by the 13th, no false alarm) and of the split roof
with a dead channel (flagged the same day), driven as the integration drives the learner
(the pure planner's polls and closings, the simulator's batch answers)."""

import json
from pathlib import Path

import pytest

from tests.bench.health import BY_CASE, main, render, run_case


@pytest.mark.parametrize("key", ["a25", "g-dead"])
def test_goal(key: str) -> None:
    """The case meets its goal; the healthy units' figures are within a point of the truth."""
    result = run_case(BY_CASE[key])
    assert result.ok, (result.flagged, result.false_alarms)
    assert result.false_alarms == []
    assert all(result.flagged.values())
    assert result.figures > 300
    assert result.mean_error < 1.0
    assert result.groups == (3 if key.startswith("g") else 1)
    table = render([result])
    assert len(table) == 3
    assert "| met:" in table[2]


def test_a_real_sky_raises_no_alarm() -> None:
    """A July of measured thunderstorm afternoons on an east roof (bench site i, no fault):
    its cloudy days are judged or skipped, and no unit is ever flagged."""
    result = run_case(BY_CASE["i"])
    assert result.ok
    assert result.false_alarms == []
    assert result.figures > 300
    assert result.mean_error < 1.0


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown case is refused; a run prints the table and writes the JSON."""
    with pytest.raises(SystemExit, match="unknown case"):
        main(["--case", "zz"])
    out = tmp_path / "health.json"
    assert main(["--case", "a-dead", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "a) a dead channel from the 10th" in printed
    assert "1 of 1 goals met" in printed
    data = json.loads(out.read_text())
    assert data[0]["key"] == "a-dead"
    assert data[0]["flagged"] == {"900001100001-3": "2026-07-10"}
