"""Sphinx configuration of calckit's documentation site.

Build it from the repository root (warnings are errors)::

    python -m pip install -e ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html

Pages: the Markdown pages of ``docs/`` (MyST), the notebooks of
``docs/notebooks/`` (MyST-NB, executed at build time through a Jupyter
kernel and cached), the API reference from the docstrings (autodoc +
numpydoc, ``docs/reference/``) and the ``examples/`` scripts run by
sphinx-gallery with their figures. Nothing here needs the network, to build
or to read: MathJax is served from the site itself (sphinx-mathjax-offline),
and there is no intersphinx (its inventories would be downloaded).
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # calckit from this tree, installed or not
sys.path.insert(0, str(DOCS / "_ext"))

# notebook kernels (started by MyST-NB) import calckit from this tree too
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))

import calckit_gallery  # noqa: E402

import calckit  # noqa: E402

project = "calckit"
author = "calckit developers"
copyright = "calckit developers"
release = version = calckit.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax from _static/, not a CDN: works offline
    "numpydoc",
    "myst_nb",  # also loads myst_parser for the .md pages
    "sphinx_gallery.gen_gallery",
]

# Files of docs/ that are not pages.
exclude_patterns = ["_build", "_ext", "Thumbs.db", ".DS_Store", "jupyter_execute",
                    "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json",
                    "auto_examples/*.md5", "sg_execution_times.rst"]

# -- theme -----------------------------------------------------------------
html_theme = "furo"
html_title = f"calckit {release}"
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"

# -- MyST (Markdown pages) -----------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
# "[text](page.md#a-heading)" links resolve (and are checked) down to h3.
myst_heading_anchors = 3

# -- notebooks (MyST-NB) ---------------------------------------------------------
# Executed through a real kernel; re-run only when a notebook changed; an
# error in a cell fails the build.
nb_execution_mode = "cache"
nb_execution_raise_on_error = True
nb_execution_timeout = 600
nb_execution_show_tb = True  # the cache lives in <outdir>/.jupyter_cache



# -- API reference (autodoc + numpydoc) ----------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the numpydoc "Parameters" sections say the types
numpydoc_show_class_members = False  # methods are documented in place
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- examples (sphinx-gallery) -------------------------------------------------
# The scripts are staged with RST titles (see _ext/calckit_gallery.py) and run
# with small sizes so the build stays short; their saved PNGs are the figures.
os.environ.setdefault("CALCKIT_EXAMPLES_SMALL", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
_STAGED = DOCS / "_build" / "gallery_src"
calckit_gallery.stage_examples(ROOT / "examples", _STAGED)
sys.path.insert(0, str(_STAGED))  # the examples "import _common"
sphinx_gallery_conf = {
    "examples_dirs": str(_STAGED),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/\d\d_[^/]*\.py$",  # run every numbered example
    "ignore_pattern": r"^_common\.py$",  # a helper, not an example
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib", "calckit_gallery.saved_figures_scraper"),
    "reset_modules": ("matplotlib", "calckit_gallery.reset_output"),
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "plot_gallery": "True",
    "abort_on_example_error": True,
    "capture_repr": (),
}

# Warnings raised by the examples are errors, like the tests' RuntimeWarnings.
warnings.filterwarnings("error", category=RuntimeWarning)
