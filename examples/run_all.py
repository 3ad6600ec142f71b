"""Run several examples in one Python process (imports are paid once).

    python examples/run_all.py                 # every example, output to the terminal
    python examples/run_all.py 01_tangent_slope.py 16_taylor_exp.py
    python examples/run_all.py --capture DIR   # each script's output to DIR/<name>.out

With ``--capture``, each script's stdout and stderr go to ``DIR/<script>.out``
and ``DIR/<script>.err`` and its status (0 or 1) to ``DIR/<script>.status``.
The exit status is the number of scripts that failed. The test suite uses this
with ``CALCKIT_EXAMPLES_SMALL=1``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import runpy
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_one(script: Path, capture: Path | None) -> int:
    """Run one example as ``__main__``; return 0 on success, 1 on an exception."""
    out, err = io.StringIO(), io.StringIO()
    status = 0
    redirect = capture is not None
    with contextlib.ExitStack() as stack:
        if redirect:
            stack.enter_context(contextlib.redirect_stdout(out))
            stack.enter_context(contextlib.redirect_stderr(err))
        try:
            sys.argv = [str(script)]
            runpy.run_path(str(script), run_name="__main__")
        except SystemExit as exc:
            status = 0 if exc.code in (None, 0) else 1
        except BaseException:  # report any failure of the example, keep going
            traceback.print_exc()
            status = 1
        finally:
            import matplotlib.pyplot as plt

            plt.close("all")
    if redirect:
        (capture / f"{script.name}.out").write_text(out.getvalue())
        (capture / f"{script.name}.err").write_text(err.getvalue())
        (capture / f"{script.name}.status").write_text(str(status))
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scripts", nargs="*", help="example file names (default: all)")
    parser.add_argument("--capture", type=Path, help="folder for per-script output")
    args = parser.parse_args(argv)
    names = args.scripts or sorted(p.name for p in HERE.glob("[0-9][0-9]_*.py"))
    sys.path.insert(0, str(HERE))
    if args.capture is not None:
        args.capture.mkdir(parents=True, exist_ok=True)
    failed = 0
    for name in names:
        if args.capture is None:
            print(f"\n##### {name}")
        failed += run_one(HERE / name, args.capture)
    return failed


if __name__ == "__main__":
    sys.exit(main())
