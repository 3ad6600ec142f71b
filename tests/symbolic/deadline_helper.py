"""A hard wall-clock limit for one block of test code (SIGALRM, main thread).

A hang fails the test within the limit instead of stalling the suite:

>>> with deadline(1.0):
...     pass
"""

from __future__ import annotations

import contextlib
import signal


class DeadlineExceeded(AssertionError):
    """Raised inside the block when it runs past its limit."""


@contextlib.contextmanager
def deadline(seconds: float, what: str = "the block"):
    def on_alarm(signum, frame):
        raise DeadlineExceeded(f"{what} ran longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
