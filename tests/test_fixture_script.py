"""scripts/fixture_from_diagnostics.py: a user's diagnostics file becomes a fixture folder."""

import json
from pathlib import Path

import pytest

from custom_components.apsystems_ema.openapi.answers import decode_block
from scripts.fixture_from_diagnostics import main

BLOCK = {
    "version": 1,
    "points": 24,
    "endpoints": {
        "details": {"at": "2026-06-17T08:00:00+00:00", "target": "sid", "code": 0, "data": {}},
        "meters": {"code": 1001},
    },
}


@pytest.mark.parametrize(
    "diagnostics",
    [
        {"home_assistant": {}, "data": {"entry": {}, "answers": BLOCK}},
        {"answers": BLOCK},
        BLOCK,
    ],
)
def test_a_diagnostics_file_becomes_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], diagnostics: dict[str, object]
) -> None:
    """The downloaded file (or its integration part, or the block itself) gives the folder:
    the block as it is, and a README stub naming the newest answer."""
    source = tmp_path / "config_entry-apsystems_ema-01.json"
    source.write_text(json.dumps(diagnostics))
    assert main([str(source), "issue-1", "--accounts", str(tmp_path / "accounts")]) == 0
    folder = tmp_path / "accounts" / "issue-1"
    block = json.loads((folder / "answers.json").read_text())
    assert block == BLOCK
    assert set(decode_block(block)) == {"details", "meters"}
    readme = (folder / "README.md").read_text()
    assert "# issue-1" in readme
    assert "Newest answer: 2026-06-17T08:00:00+00:00" in readme
    assert "wrote" in capsys.readouterr().out


def test_no_block_or_an_existing_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file without answers, or a folder that has its answers already: exit 2, one line."""
    source = tmp_path / "old.json"
    source.write_text(json.dumps({"data": {"entry": {}}}))
    accounts = str(tmp_path / "accounts")
    assert main([str(source), "x", "--accounts", accounts]) == 2
    assert "no answers block" in capsys.readouterr().err
    source.write_text(json.dumps({"data": {"answers": {**BLOCK, "endpoints": {}}}}))
    assert main([str(source), "x", "--accounts", accounts]) == 0
    assert "Newest answer: unknown" in (tmp_path / "accounts" / "x" / "README.md").read_text()
    assert main([str(source), "x", "--accounts", accounts]) == 2
    assert "exists" in capsys.readouterr().err
    assert main([str(tmp_path / "missing.json"), "y", "--accounts", accounts]) == 2
