"""Progress bars for calckit's long loops: ``tqdm.auto`` (a widget in
Jupyter, a text bar in a terminal), always on stderr, never on stdout.

Every long-running function takes ``progress`` and hands it to
:func:`progress` as ``enabled``:

* ``True``: a bar on stderr;
* ``False``: no bar, the iterable itself is returned untouched;
* ``None``: a bar only when stderr is a terminal (tqdm's own rule), so logs,
  pipes and CI stay clean.

A command whose output is machine-readable (``--json``) passes ``False``.

>>> from calckit._progress import progress
>>> steps = progress(range(3), enabled=False, desc="steps")
>>> steps
range(0, 3)
>>> import io, sys
>>> err, sys.stderr = sys.stderr, io.StringIO()
>>> try:
...     total = sum(progress(range(4), enabled=True, desc="sum"))
...     shown = sys.stderr.getvalue()
... finally:
...     sys.stderr = err
>>> total, "sum:" in shown and "0/4" in shown
(6, True)
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from calckit.errors import CalckitTypeError

__all__ = ["progress", "write_beside"]

T = TypeVar("T")


def _check_enabled(enabled: Any) -> None:
    if enabled is not None and not isinstance(enabled, bool):
        raise CalckitTypeError(
            f"progress must be True, False or None (on a terminal only), "
            f"got {enabled!r}")


def progress(iterable: Iterable[T], *, enabled: bool | None = True,
             desc: str | None = None, total: int | None = None) -> Iterable[T]:
    """``iterable`` wrapped in a ``tqdm.auto`` bar on stderr, or itself.

    Parameters
    ----------
    iterable : iterable
        What the loop runs over.
    enabled : bool or None, default True
        ``True`` shows the bar, ``False`` returns ``iterable`` unchanged,
        ``None`` shows it only when stderr is a terminal.
    desc : str, optional
        The bar's label.
    total : int, optional
        Number of items, when ``len(iterable)`` does not tell (a generator).

    Returns
    -------
    iterable
        A ``tqdm`` object (iterate it as ``iterable``) or ``iterable``.
    """
    _check_enabled(enabled)
    if enabled is False:
        return iterable
    from tqdm.auto import tqdm  # lazy: tqdm.auto probes for Jupyter

    return tqdm(iterable, desc=desc, total=total, file=sys.stderr,
                disable=None if enabled is None else False, leave=False,
                dynamic_ncols=True)


def write_beside(bar: Any, write: Callable[[str], None] | None
                 ) -> Callable[[str], None] | None:
    """``write`` made to clear ``bar`` before printing and redraw it after, so
    text on stdout and the bar on stderr do not overwrite each other in one
    terminal. Without a bar (``progress`` returned the plain iterable) it is
    ``write`` itself.

    >>> from calckit._progress import write_beside
    >>> write_beside(range(3), print) is print
    True
    """
    if write is None or not (hasattr(bar, "clear") and hasattr(bar, "refresh")):
        return write

    def beside(text: str) -> None:
        bar.clear()
        write(text)
        bar.refresh()

    return beside
