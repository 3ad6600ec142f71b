"""A hard wall-clock limit for a reproducer: it runs in a forked child
(modules already imported, so no start-up cost), which is killed at the
limit. Nothing that happens in the child (an interrupted SymPy cache, a
hang) can leak into the test process.

The limit is the issue's 2 s times ``CALCKIT_DEADLINE_SCALE`` (default 3:
this machine runs six test suites on two cores at once); a hang of minutes
fails either way.

>>> run_with_deadline(lambda: 1 + 1, 1.0)
('ok', 'int')
>>> run_with_deadline(lambda: 1 / 0, 1.0)[0]
'ZeroDivisionError'
"""

from __future__ import annotations

import multiprocessing
import os

SCALE = float(os.environ.get("CALCKIT_DEADLINE_SCALE", "3"))


class DeadlineExceeded(AssertionError):
    """The reproducer ran past its limit."""


def _child(call, conn):
    try:
        out = call()
        # the type only: printing a huge result could take longer than the work
        conn.send(("ok", type(out).__name__))
    except BaseException as err:  # reported to the parent, which judges it
        conn.send((type(err).__name__, str(err)[:2000]))
    finally:
        conn.close()


def run_with_deadline(call, seconds: float = 2.0, what: str = "the reproducer"):
    """``(kind, text)``: ``("ok", type name of the result)`` or ``(error class name,
    message)``; :class:`DeadlineExceeded` if ``call`` runs past
    ``seconds * SCALE``."""
    limit = seconds * SCALE
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(call, child), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(limit):
            raise DeadlineExceeded(f"{what} ran longer than {limit:g} s")
        return parent.recv()
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        parent.close()
