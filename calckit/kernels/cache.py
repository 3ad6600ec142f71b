"""The bounded LRU cache behind :func:`calckit.compile` (private; see
:func:`calckit.kernels.cache_info`).

>>> c = _LRU(2)
>>> c.put("a", 1); c.put("b", 2); c.put("c", 3)
>>> c.get("a") is None, c.get("c"), c.info()
(True, 3, CacheInfo(hits=1, misses=1, maxsize=2, currsize=2))
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import NamedTuple

__all__ = ["CacheInfo"]


class CacheInfo(NamedTuple):
    """Statistics of the kernel cache, as :func:`cache_info` returns them."""

    hits: int
    misses: int
    maxsize: int
    currsize: int


class _LRU:
    """A small thread-safe LRU mapping with hit/miss counters."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key):
        with self._lock:
            try:
                value = self._data[key]
            except KeyError:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key, value):
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self):
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0

    def info(self) -> CacheInfo:
        with self._lock:
            return CacheInfo(self.hits, self.misses, self.maxsize, len(self._data))
