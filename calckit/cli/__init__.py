"""The ``calckit`` command line (the console script ``calckit.cli:main``)."""

from calckit.cli.main import main

__all__ = ["main"]
