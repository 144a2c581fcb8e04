"""Compiled SQL kept across snapshots: compiling costs more than running a rollup query.

A compiled statement depends only on the spec, the warehouse's tables and columns, which rollups
are usable, `today` and the query. A new snapshot with the same tables (the usual daily publish)
reuses them; anything else changes the fingerprint and misses.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class CompileCache:
    """A small thread-safe LRU of SQL text keyed by (fingerprint, metric, query, today)."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._items: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: tuple, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def fingerprint(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]
