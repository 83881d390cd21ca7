"""Make a replay fixture folder from a user's diagnostics file, in one step.

    python3 scripts/fixture_from_diagnostics.py config_entry-apsystems_ema-XXXX.json NAME

writes ``tests/fixtures/accounts/NAME/answers.json`` (the diagnostics' ``answers`` block, as it
is) and a ``README.md`` stub to fill in (where the shape comes from). ``--accounts DIR`` writes
under another folder. The block holds no secret and no serial (the integration aliased them);
the replay test (``tests/ha/test_replay.py``) picks the folder up, and ``--snapshot-update``
writes its snapshot. Standard library only.
"""

import argparse
import json
from pathlib import Path
import sys
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ACCOUNTS = REPO / "tests" / "fixtures" / "accounts"


class FixtureError(Exception):
    """The file holds no answers block, or the folder exists."""


def answers_block(diagnostics: Any) -> dict[str, Any]:
    """The ``answers`` block of a diagnostics file (Home Assistant wraps the integration's
    part in ``data``), of a bare diagnostics dict, or a block itself."""
    for candidate in (
        diagnostics.get("data", {}).get("answers") if isinstance(diagnostics, dict) else None,
        diagnostics.get("answers") if isinstance(diagnostics, dict) else None,
        diagnostics,
    ):
        if isinstance(candidate, dict) and isinstance(candidate.get("endpoints"), dict):
            return candidate
    raise FixtureError("no answers block in that file (diagnostics before raw answers?)")


def readme(name: str, block: dict[str, Any]) -> str:
    """The stub README of a folder."""
    records = block["endpoints"]
    instants = sorted(r["at"] for r in records.values() if isinstance(r, dict) and r.get("at"))
    newest = instants[-1] if instants else "unknown"
    kinds = ", ".join(f"`{kind}`" for kind in records)
    return f"""# {name}

From a user's diagnostics file (the `answers` block, as the integration showed it; serials
aliased, no secret). Newest answer: {newest}. Endpoint kinds: {kinds}.

Where the shape comes from: (the issue, the ECU and inverter models, the country, and what
looked wrong).
"""


def make(diagnostics_file: Path, name: str, accounts: Path = ACCOUNTS) -> Path:
    """Write the folder; return it."""
    block = answers_block(json.loads(diagnostics_file.read_text(encoding="utf-8")))
    folder = accounts / name
    if (folder / "answers.json").exists():
        raise FixtureError(f"{folder / 'answers.json'} exists")
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(block, indent=2, ensure_ascii=False) + "\n"
    (folder / "answers.json").write_text(text, encoding="utf-8")
    (folder / "README.md").write_text(readme(name, block), encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("diagnostics", type=Path, help="the downloaded diagnostics file")
    parser.add_argument("name", help="the folder's name, e.g. issue-123-no-today")
    parser.add_argument("--accounts", type=Path, default=ACCOUNTS, help="where the folders are")
    args = parser.parse_args(argv)
    try:
        folder = make(args.diagnostics, args.name, args.accounts)
    except (FixtureError, OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)  # noqa: T201
        return 2
    print(f"wrote {folder}/answers.json and README.md: fill in where the shape comes from")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
