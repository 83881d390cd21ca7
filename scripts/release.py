"""Check that a release tag, ``manifest.json`` (and ``pyproject.toml``) and ``CHANGELOG.md``
agree, and print the release notes (the changelog's section of that version).

    python3 scripts/release.py                 # the manifest's version: checks, prints notes
    python3 scripts/release.py --tag v0.2.0    # also: the tag names that version
    python3 scripts/release.py --notes FILE    # write the notes to FILE instead

Used by ``.github/workflows/release.yml`` on every ``v*`` tag and by the test suite, so a
version bump without its dated changelog section fails before anything is published.
Standard library only.
"""

import argparse
from dataclasses import dataclass
import json
from pathlib import Path
import re
import sys
import tomllib

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "custom_components" / "apsystems_ema" / "manifest.json"
PYPROJECT = REPO / "pyproject.toml"
CHANGELOG = REPO / "CHANGELOG.md"

# "## [0.2.0] - 2026-11-30": a released version has a date.
HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\S+))?", re.MULTILINE)
VERSION = re.compile(r"^\d+\.\d+\.\d+$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ReleaseError(Exception):
    """The tag, the manifest and the changelog disagree."""


@dataclass(frozen=True)
class Section:
    """One version's section of the changelog."""

    version: str
    date: str | None
    body: str


def sections(changelog: str) -> list[Section]:
    """The changelog's version sections, newest first."""
    found = list(HEADING.finditer(changelog))
    result = []
    for index, match in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(changelog)
        body = changelog[match.end() : end].split("\n", 1)[-1].strip()
        result.append(Section(match["version"], match["date"], body))
    return result


def version_of(manifest: str, pyproject: str) -> str:
    """The version ``manifest.json`` gives, which ``pyproject.toml`` must give too."""
    version = json.loads(manifest).get("version", "")
    if not VERSION.match(version):
        raise ReleaseError(f"manifest.json: {version!r} is not a version like 1.2.3")
    project = tomllib.loads(pyproject).get("project", {}).get("version")
    if project != version:
        raise ReleaseError(f"pyproject.toml gives {project!r}, manifest.json {version!r}")
    return str(version)


def release_notes(manifest: str, pyproject: str, changelog: str, tag: str | None = None) -> str:
    """The notes of the manifest's version, after checking that ``pyproject.toml`` agrees,
    that it is a released (dated) section of the changelog, the newest one, and (with
    ``tag``) that the tag names it."""
    version = version_of(manifest, pyproject)
    if tag is not None and tag != f"v{version}":
        raise ReleaseError(f"the tag {tag!r} does not match manifest.json's version {version}")
    released = [s for s in sections(changelog) if s.version != "Unreleased"]
    section = next((s for s in released if s.version == version), None)
    if section is None:
        raise ReleaseError(f"CHANGELOG.md has no section for {version}")
    if section.date is None or not DATE.match(section.date):
        raise ReleaseError(f"CHANGELOG.md: the section of {version} has no release date")
    if released[0] is not section:
        raise ReleaseError(f"CHANGELOG.md: {released[0].version} is newer than {version}")
    if not section.body:
        raise ReleaseError(f"CHANGELOG.md: the section of {version} is empty")
    return section.body + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tag", help="the release tag, e.g. v0.2.0")
    parser.add_argument("--notes", type=Path, help="write the release notes here")
    args = parser.parse_args(argv)
    try:
        notes = release_notes(
            MANIFEST.read_text(encoding="utf-8"),
            PYPROJECT.read_text(encoding="utf-8"),
            CHANGELOG.read_text(encoding="utf-8"),
            args.tag,
        )
    except ReleaseError as err:
        print(f"error: {err}", file=sys.stderr)  # noqa: T201
        return 1
    if args.notes is None:
        sys.stdout.write(notes)
    else:
        args.notes.write_text(notes, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
