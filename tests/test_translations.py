"""Every translation file matches strings.json: the same keys, nested the same way, and in
each string the same ``{placeholders}``."""

import json
from pathlib import Path
import re
from typing import Any

import pytest

PACKAGE = Path(__file__).parent.parent / "custom_components" / "apsystems_ema"
STRINGS = PACKAGE / "strings.json"
TRANSLATIONS = PACKAGE / "translations"
EXPECTED_LANGUAGES = {"en", "de", "fr", "nl", "es", "it", "pl"}

PLACEHOLDER = re.compile(r"\{(\w+)\}")
REFERENCE = re.compile(r"\[%key:[^%]+%\]")


def load(path: Path) -> dict[str, Any]:
    """A JSON file's top-level object."""
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: the top level is not an object"
    return data


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, object]:
    """Every leaf of ``tree`` by its dotted key path; a nested object is never a leaf, so a
    string where strings.json has an object (or the reverse) shows up as a different path."""
    leaves: dict[str, object] = {}
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            leaves.update(flatten(value, path))
        else:
            leaves[path] = value
    return leaves


def placeholders(text: str) -> set[str]:
    """The names of the ``{placeholder}`` fields in ``text``, and its ``[%key:...%]``
    references (kept as they are in every language)."""
    return set(PLACEHOLDER.findall(text)) | set(REFERENCE.findall(text))


def languages() -> list[str]:
    """The language codes of the files in translations/."""
    return sorted(path.stem for path in TRANSLATIONS.glob("*.json"))


SOURCE = flatten(load(STRINGS))


def test_expected_languages_exist() -> None:
    """English and the six translations are there."""
    missing = EXPECTED_LANGUAGES - set(languages())
    assert not missing, f"no translations/<language>.json for: {', '.join(sorted(missing))}"


@pytest.mark.parametrize("language", languages())
def test_same_keys_as_strings(language: str) -> None:
    """The file has exactly the key paths of strings.json."""
    leaves = flatten(load(TRANSLATIONS / f"{language}.json"))
    problems = [f"{language}: missing key {path}" for path in sorted(SOURCE.keys() - leaves.keys())]
    problems += [
        f"{language}: key not in strings.json: {path}"
        for path in sorted(leaves.keys() - SOURCE.keys())
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", languages())
def test_same_placeholders_as_strings(language: str) -> None:
    """Each string is a non-empty string with exactly the placeholders (and references) of
    its source."""
    leaves = flatten(load(TRANSLATIONS / f"{language}.json"))
    problems: list[str] = []
    for path, source in SOURCE.items():
        if path not in leaves:
            continue  # reported by test_same_keys_as_strings
        text = leaves[path]
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{language}: {path}: not a non-empty string: {text!r}")
            continue
        assert isinstance(source, str), f"strings.json: {path}: not a string"
        expected, found = placeholders(source), placeholders(text)
        if expected != found:
            problems.append(
                f"{language}: {path}: placeholders {sorted(found)}, expected {sorted(expected)}"
            )
    assert not problems, "\n".join(problems)
