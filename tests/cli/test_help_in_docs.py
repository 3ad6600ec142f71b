"""``calckit ... --help`` shown in the docs is the real output, line for line
(an 80-column terminal), so it cannot drift (issue 19, docs).

To update a block after changing the CLI: ``COLUMNS=80 calckit --help``
(or ``python -m calckit --help``) and paste the output under the command.
"""

import re
import shlex
from pathlib import Path

import pytest

from calckit.cli import main

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```console[^\n]*\n(.*?)^```\s*$", re.S | re.M)


def help_blocks():
    """(page, argv, shown lines) of every ``$ calckit ... --help`` shown."""
    found = []
    for page in PAGES:
        for block in FENCE.findall(page.read_text(encoding="utf-8")):
            command, shown = None, []
            for line in [*block.splitlines(), "$ end"]:
                if line.startswith("$ "):
                    if command is not None:
                        found.append((page.name, command, shown))
                    argv = shlex.split(line[2:])
                    ok = argv[0] == "calckit" and "--help" in argv
                    command, shown = (argv[1:] if ok else None), []
                elif command is not None:
                    shown.append(line.rstrip())
    return found


BLOCKS = help_blocks()


def test_the_docs_show_the_top_level_help():
    assert any(argv == ["--help"] for _, argv, _ in BLOCKS)


@pytest.mark.parametrize("page, argv, shown", BLOCKS,
                         ids=[f"{p}:{' '.join(a)}" for p, a, _ in BLOCKS])
def test_help_shown_in_the_docs_is_the_real_output(capsys, monkeypatch, page, argv,
                                                   shown):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(argv) == 0
    real = capsys.readouterr().out.rstrip("\n").splitlines()
    while shown and not shown[-1]:
        shown.pop()
    assert [line.rstrip() for line in real] == shown, (
        f"{page}: `calckit {' '.join(argv)}` differs from the real output; "
        "paste this:\n" + "\n".join(real))
