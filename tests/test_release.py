"""The release check: tag, manifest.json, pyproject.toml and CHANGELOG.md agree."""

import json
from pathlib import Path

import pytest

from scripts.release import (
    CHANGELOG,
    MANIFEST,
    PYPROJECT,
    ReleaseError,
    main,
    release_notes,
    sections,
    version_of,
)

CHANGES = """# Changelog

Intro.

## [Unreleased]

### Added
- Something new.

## [0.2.0] - 2026-11-30

### Changed
- The system is a device.

## [0.1.0] - not released

### Added
- Everything.
"""
PYPROJECT_020 = '[project]\nname = "x"\nversion = "0.2.0"\n'


def manifest(version: str) -> str:
    """A manifest.json giving ``version``."""
    return json.dumps({"domain": "apsystems_ema", "version": version})


def test_the_notes_are_the_versions_section() -> None:
    notes = release_notes(manifest("0.2.0"), PYPROJECT_020, CHANGES, "v0.2.0")
    assert notes == "### Changed\n- The system is a device.\n"
    assert [s.version for s in sections(CHANGES)] == ["Unreleased", "0.2.0", "0.1.0"]


@pytest.mark.parametrize(
    ("version", "pyproject", "changes", "tag", "message"),
    [
        ("0.2.0", PYPROJECT_020, CHANGES, "v0.3.0", "does not match"),
        ("0.2", PYPROJECT_020, CHANGES, None, "not a version"),
        ("0.2.0", PYPROJECT_020.replace("0.2.0", "0.1.0"), CHANGES, None, "pyproject.toml"),
        ("0.3.0", PYPROJECT_020.replace("0.2.0", "0.3.0"), CHANGES, None, "no section"),
        ("0.1.0", PYPROJECT_020.replace("0.2.0", "0.1.0"), CHANGES, None, "no release date"),
        (
            "0.1.0",
            PYPROJECT_020.replace("0.2.0", "0.1.0"),
            CHANGES.replace("not released", "2026-11-01"),
            None,
            "0.2.0 is newer",
        ),
        (
            "0.2.0",
            PYPROJECT_020,
            CHANGES.replace("### Changed\n- The system is a device.", ""),
            None,
            "is empty",
        ),
    ],
)
def test_disagreements_are_refused(
    version: str, pyproject: str, changes: str, tag: str | None, message: str
) -> None:
    with pytest.raises(ReleaseError, match=message):
        release_notes(manifest(version), pyproject, changes, tag)


def test_this_repository_agrees() -> None:
    """manifest.json and pyproject.toml give one version, and the changelog has its section."""
    version = version_of(MANIFEST.read_text(), PYPROJECT.read_text())
    assert version in [s.version for s in sections(CHANGELOG.read_text())]


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The workflow's command: exit 1 with the reason on a wrong tag; the notes of this
    repository's version on its tag (printed, or written to a file)."""
    assert main(["--tag", "v999.0.0"]) == 1
    assert "does not match" in capsys.readouterr().err
    version = version_of(MANIFEST.read_text(), PYPROJECT.read_text())
    notes = tmp_path / "notes.md"
    assert main(["--tag", f"v{version}", "--notes", str(notes)]) == 0
    assert notes.read_text().startswith("### ")
    assert main([]) == 0
    assert capsys.readouterr().out == notes.read_text()
