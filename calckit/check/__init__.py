"""gradcheck: exact derivative kernels against numeric differentiation.

:func:`gradcheck` compiles the exact gradient (or Hessian, ``order=2``) of an
expression with :func:`calckit.compile_grad` / :func:`calckit.compile_hessian`
and compares it, entry by entry, with :mod:`calckit.numeric` applied to the
compiled expression itself, at one point or many. The result is a
:class:`GradcheckReport`: per entry the exact and numeric values, absolute and
relative error, the step used and the numeric error estimate, and a status
(``ok``, ``kink``, ``FAIL``, ``uncertain``, ``nan``).

The modules:

- :mod:`~calckit.check.pipeline`: the check as steps, estimate -> rechecks
  -> one-sided -> judge (how an entry is judged and rechecked);
- :mod:`~calckit.check.kinks`: where an expression may have a kink, and the
  one-sided derivatives that tell a kink from a wrong derivative;
- :mod:`~calckit.check.report`: :class:`GradcheckReport` and its rows, also
  the report of :meth:`calckit.nn.Sequential.gradcheck`.

With ``method="complex"`` the kernel is compiled for complex input with
``Abs(u)`` continued analytically on each side of ``u = 0`` and calckit's
stable primitives written in elementary functions; where that kernel
overflows, the entry is rechecked with ``richardson`` on the stable real
kernel.

>>> import calckit as ck
>>> report = ck.gradcheck("log(1 + exp(w*x + b))", wrt="w b",
...                       at={"w": 0.5, "b": -1.0}, params={"x": 2.0})
>>> report.ok, report.max_rel_error < 1e-10
(True, True)
>>> print(report)  # doctest: +ELLIPSIS
gradcheck OK: order 1, method richardson, 1 point, 2 entries; max abs error ...
point 0: w=0.5, b=-1
point  component  exact  numeric  abs err  rel err     step  err est  status
    0  d/dw           1        1  ...  ok <- worst
    0  d/db         0.5      0.5  ...  ok
"""

from calckit.check._gradcheck import gradcheck
from calckit.check.report import GradcheckReport, GradcheckRow
from calckit.symbolic._kinks import kink_surfaces  # reachable here, as before

__all__ = ["GradcheckReport", "GradcheckRow", "gradcheck", "kink_surfaces"]
