"""Parser timings: ``python benchmarks/parse.py``.

Two tables, each measured in this run:

1. valid expressions: ``calckit.parse`` against SymPy's ``parse_expr`` (the
   baseline; it is only given these trusted strings);
2. hostile inputs: the time ``calckit.parse`` takes to refuse each one, as a
   ratio to parsing ``x + 1``. (``parse_expr`` is not run on them: it would
   execute code, hang on ``9**9**9**9``, or take ~40 s on ``1e999999``.)
"""

from __future__ import annotations

import time

import sympy as sp

from calckit.errors import ParseError
from calckit.symbolic.parse import parse

VALID = [
    "x + 1",
    "log(1 + exp(w*x + b))",
    "-x**2 + 3*x*y - sin(x)/cos(y)",
    "sqrt(x**2 + y**2) * atan2(y, x) + Max(x, 0)",
    "+".join(f"{i}*x{i}**2" for i in range(200)),
]

HOSTILE = [
    ("__import__('os').system('touch pwned')", 10_000),
    ("().__class__.__bases__[0]", 10_000),
    ("9**9**9**9", 10_000),
    ("(3*x)**(10**9)", 10_000),
    ("1e999999", 10_000),
    ("exp(exp(exp(exp(10.0))))", 10_000),
    ("9" * 9_000, 10_000),
    ("x" * 10_000_000, 10_000),
    ("(" * 100_000 + "x" + ")" * 100_000, 1_000_000),
    ("sin(" * 100_000 + "x" + ")" * 100_000, 1_000_000),
    ("x" + "**x" * 100_000, 1_000_000),
    ("x + " * 2_499 + "x y", 10_000),  # the error comes after a long valid prefix
    # SymPy's Max/Min compare all argument pairs: 100 arguments took 15 s
    ("Max(" + ",".join(f"x{i}" for i in range(100)) + ")", 10_000),
    ("Max(" + ",".join(f"x{i}" for i in range(1_500)) + ")", 10_000),
    ("1.5**" + "9" * 3_999, 10_000),  # a float power of a huge exponent: 14 s
]


def best_time(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def refuse(text: str, max_length: int) -> str:
    try:
        parse(text, max_length=max_length)
    except ParseError as err:
        return f"ParseError at {err.position}"
    return "accepted"


def main() -> None:
    print("valid input: calckit.parse vs sympy.parse_expr (same strings)")
    print(f"{'expression':<40} {'calckit':>10} {'parse_expr':>11} {'ratio':>7}")
    for text in VALID:
        ours = best_time(lambda t=text: parse(t))
        theirs = best_time(lambda t=text: sp.parse_expr(t))
        label = text if len(text) <= 38 else text[:35] + "..."
        ratio = ours / theirs
        print(f"{label:<40} {ours * 1e3:8.2f}ms {theirs * 1e3:9.2f}ms {ratio:7.2f}")

    base = best_time(lambda: parse("x + 1"), repeat=20)
    print()
    print(f"hostile input: time to refuse, vs parse('x + 1') = {base * 1e6:.0f} us")
    print(f"{'input':<42} {'length':>9} {'time':>10} {'ratio':>8}  result")
    for text, max_length in HOSTILE:
        result = refuse(text, max_length)
        t = best_time(lambda t=text, m=max_length: refuse(t, m), repeat=3)
        label = repr(text) if len(text) <= 40 else repr(text[:30]) + "..."
        print(
            f"{label:<42} {len(text):>9} {t * 1e3:8.2f}ms {t / base:8.1f}  {result}"
        )


if __name__ == "__main__":
    main()
