"""``python -m calckit.cli``: the ``calckit`` command line."""

from calckit.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
