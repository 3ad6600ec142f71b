"""sphinx-gallery glue for calckit's examples (used by ``docs/conf.py``).

The examples are plain scripts (``examples/NN_*.py``) that save their figures
with ``_common.save`` (which closes them) into ``$CALCKIT_EXAMPLES_OUT`` and
whose docstrings are plain text, not reStructuredText. Rather than change
them for the site, the build

* stages a copy of them (:func:`stage_examples`) whose docstring gets an RST
  title and shows words such as ``x**2`` as inline literals (as plain RST
  they would start bold text), so the page reads as the script's own words;
* gives each example a fresh figure folder (:func:`reset_output`, a
  sphinx-gallery ``reset_modules`` entry) and picks up the PNGs it saved
  (:func:`saved_figures_scraper`, an ``image_scrapers`` entry).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import tempfile
from pathlib import Path

from sphinx_gallery.scrapers import figure_rst

# PNGs already handed to the gallery: (path, mtime)
_SEEN: set[tuple[str, int]] = set()


_MARKUP = re.compile(r"[*_|]")
_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_OPEN, _CLOSE = "([{\"'", ".,;:!?)]}\"'"


def _rst_token(token: str) -> str:
    """One word of plain text as RST: a word with inline markup characters
    (``x**2``, ``sigmoid_derivative(x)``) becomes an inline literal, other
    backslashes and backquotes are escaped."""
    if not _MARKUP.search(token) or "`" in token:
        return re.sub(r"([\\`*_|])", r"\\\1", token)
    lead = len(token) - len(token.lstrip(_OPEN))
    core, trail = token[lead:], ""
    while core and core[-1] in _CLOSE and not (
            core[-1] == ")" and core.count("(") >= core.count(")")):
        core, trail = core[:-1], core[-1] + trail
    return f"{token[:lead]}``{core}``{trail}" if core else token


def _rst_text(text: str) -> str:
    """Plain text as RST, its whitespace kept."""
    return "".join(_rst_token(part) if part.strip() else part
                   for part in re.split(r"(\s+)", text))


def rst_docstring(doc: str) -> str:
    """The docstring ``doc`` as an RST page head: its first paragraph as the
    title (underlined, ``x**2`` written x²), the other paragraphs as text."""
    paragraphs = [p.strip() for p in doc.strip().split("\n\n") if p.strip()]
    # integer powers as superscripts: sphinx-gallery's thumbnail text drops
    # every "**", even in a literal (x**2 would read x2)
    title = re.sub(r"\*\*(\d+)\b", lambda m: m.group(1).translate(_SUPERSCRIPTS),
                   " ".join(paragraphs[0].split()))
    title = _rst_text(title)
    body = "\n\n".join(_rst_text(p) for p in paragraphs[1:])
    return f"{title}\n{'=' * len(title)}\n\n{body}\n"


def stage_examples(src: Path, dst: Path) -> None:
    """Copy ``src/NN_*.py`` (docstrings made RST), ``_common.py`` and the
    gallery header ``GALLERY_HEADER.rst`` to ``dst``.

    Files already up to date are left alone, so sphinx-gallery's own
    "unchanged, not re-run" check keeps working between builds.
    """
    dst.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for path in [*sorted(src.glob("[0-9][0-9]_*.py")), src / "_common.py"]:
        text = path.read_text(encoding="utf-8")
        if re.fullmatch(r"\d\d_.*\.py", path.name):
            module = ast.parse(text)
            first = module.body[0] if module.body else None
            if not (isinstance(first, ast.Expr)
                    and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                raise ValueError(f"{path} has no module docstring to title its page")
            lines = text.splitlines(keepends=True)
            rest = "".join(lines[first.end_lineno:])
            text = f'r"""\n{rst_docstring(first.value.value)}"""\n{rest}'
        target = dst / path.name
        wanted.add(path.name)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    header = (src / "GALLERY_HEADER.rst").read_text(encoding="utf-8")
    if not (dst / "GALLERY_HEADER.rst").exists() or (
            dst / "GALLERY_HEADER.rst").read_text(encoding="utf-8") != header:
        (dst / "GALLERY_HEADER.rst").write_text(header, encoding="utf-8")
    wanted.add("GALLERY_HEADER.rst")
    for stale in dst.iterdir():
        if stale.is_file() and stale.name not in wanted:
            stale.unlink()


def _output_root() -> Path:
    root = Path(tempfile.gettempdir()) / f"calckit-gallery-{os.getpid()}"
    root.mkdir(exist_ok=True)
    return root


def reset_output(gallery_conf, fname, when=None) -> None:
    """Before each example: an empty folder for the figures it saves."""
    folder = _output_root() / Path(fname).stem
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    os.environ["CALCKIT_EXAMPLES_OUT"] = str(folder)


def saved_figures_scraper(block, block_vars, gallery_conf) -> str:
    """The PNGs the example saved since the last code block, as RST images."""
    folder = Path(os.environ.get("CALCKIT_EXAMPLES_OUT", ""))
    if not folder.is_dir():
        return ""
    new = []
    by_time = sorted(folder.glob("*.png"), key=lambda p: (p.stat().st_mtime_ns, p.name))
    for png in by_time:
        key = (str(png), png.stat().st_mtime_ns)
        if key not in _SEEN:
            _SEEN.add(key)
            new.append(png)
    paths = []
    # the iterator hands out as many image paths as asked for
    for png, dest in zip(new, block_vars["image_path_iterator"], strict=False):
        shutil.copyfile(png, dest)
        paths.append(dest)
    return figure_rst(paths, gallery_conf["src_dir"])
