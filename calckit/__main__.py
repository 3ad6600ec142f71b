"""``python -m calckit``: the ``calckit`` command line."""

from calckit.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
