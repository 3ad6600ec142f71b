"""Markdown tables shown in the docs are real tables: a header row, then the
`| --- |` separator row (without it, Markdown renders plain text)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md",
                                                 ROOT / "examples" / "README.md"]
SEPARATOR = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+$")


def _tables(text: str) -> list[tuple[int, list[str]]]:
    """(line number, lines) of every run of lines starting and ending with '|'."""
    runs, current, start = [], [], 0
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip().startswith("|") and line.strip().endswith("|"):
            if not current:
                start = number
            current.append(line.strip())
        elif current:
            runs.append((start, current))
            current = []
    if current:
        runs.append((start, current))
    return runs


def test_every_markdown_table_has_its_separator_row():
    bad = []
    for page in PAGES:
        if "_build" in page.parts:
            continue
        for start, lines in _tables(page.read_text(encoding="utf-8")):
            # one line alone is an excerpt of output (its header), not a table
            if len(lines) >= 2 and not SEPARATOR.match(lines[1]):
                bad.append(f"{page.relative_to(ROOT)}:{start}: {lines[0][:60]}")
    assert not bad, "tables without a '| --- |' row:\n" + "\n".join(bad)


def test_the_check_sees_a_table_without_separator():
    runs = _tables("text\n| f | f' |\n| `x` | `1` |\n|a| b\n")
    assert runs == [(2, ["| f | f' |", "| `x` | `1` |"])]
    assert not SEPARATOR.match(runs[0][1][1])
    assert SEPARATOR.match("| --- | :---: |")


def test_examples_readme_points_only_at_files_of_the_repository():
    """A clone has no ../shared/seeds/: the README must not send readers there,
    and every relative link it has must exist."""
    text = (ROOT / "examples" / "README.md").read_text(encoding="utf-8")
    assert "shared/seeds" not in text
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        if "://" not in target:
            assert (ROOT / "examples" / target).exists(), target
