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
import warnings
from collections.abc import Callable, Iterable
from typing import Any, TextIO, TypeVar

from calckit.errors import CalckitTypeError

__all__ = ["counter", "progress", "write_beside"]

T = TypeVar("T")


def _check_enabled(enabled: Any) -> None:
    if enabled is not None and not isinstance(enabled, bool):
        raise CalckitTypeError(
            f"progress must be True, False or None (on a terminal only), "
            f"got {enabled!r}")


def progress(iterable: Iterable[T], *, enabled: bool | None = True,
             desc: str | None = None, total: int | None = None,
             file: TextIO | None = None) -> Iterable[T]:
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
    file : text stream, optional
        Where the bar is drawn; default ``sys.stderr`` (at call time).

    Returns
    -------
    iterable
        A ``tqdm`` object (iterate it as ``iterable``) or ``iterable``.
    """
    _check_enabled(enabled)
    if not _shown(enabled, file):
        return iterable
    return _tqdm(iterable, desc, total, file)


def counter(total: int, *, enabled: bool | None = True, desc: str | None = None,
            file: TextIO | None = None) -> Any:
    """A bar advanced by hand, for loops that report more than a count (the
    loss of each epoch): ``update(n)``, ``set_postfix(**values)``,
    ``write(text)`` (a note printed above the bar, on the bar's stream),
    ``refresh()`` and ``close()``. ``enabled`` as for :func:`progress`;
    disabled, it is a bar that does nothing and prints nothing, and its
    ``disable`` attribute is true (so a hot loop can skip it altogether).

    >>> from calckit._progress import counter
    >>> bar = counter(3, enabled=False, desc="epoch")
    >>> bar.update(1); bar.set_postfix(loss=0.5); bar.write("note"); bar.close()
    """
    _check_enabled(enabled)
    if not _shown(enabled, file):
        return _NoBar()
    return _tqdm(None, desc, total, file)


def _shown(enabled: bool | None, file: TextIO | None) -> bool:
    """Whether a bar is drawn: ``enabled``, or ``None`` and the stream is a
    terminal (tqdm's own rule, checked before tqdm is imported: importing
    ``tqdm.auto`` in a Jupyter kernel without ipywidgets warns)."""
    if enabled is not None:
        return enabled
    stream = sys.stderr if file is None else file
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


class _NoBar:
    """What :func:`counter` returns when there is no bar: every call is a
    no-op (``disable`` is true, as on a disabled ``tqdm``)."""

    disable = True

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        pass

    def write(self, text: str) -> None:
        pass

    def refresh(self) -> None:
        pass

    def close(self) -> None:
        pass


def _tqdm(iterable: Any, desc: str | None, total: int | None,
          file: TextIO | None) -> Any:
    with warnings.catch_warnings():
        # a Jupyter kernel without ipywidgets: tqdm.auto falls back to the
        # text bar, and says so in a warning on every import
        warnings.filterwarnings("ignore", message="IProgress not found")
        from tqdm.auto import tqdm  # lazy: tqdm.auto probes for Jupyter

    stream = sys.stderr if file is None else file
    bar = tqdm(iterable, desc=desc, total=total, file=stream, disable=False,
               leave=False, dynamic_ncols=True)
    # ``bar.write(text)`` prints on the bar's own stream
    bar.write = lambda text: tqdm.write(text, file=stream)
    return bar


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
