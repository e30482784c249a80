"""Short-lived cache of enumerated upstream collections (v1 offset pages with totals).

Legacy v1 collections answer ``total`` and random-access ``page=N``; the new API only has
forward cursors and no totals. Enumerating once and reusing the result for a few seconds
turns a walk per page into a walk per TTL. The trade-off (documented in the README): a
page may be up to TTL seconds stale.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Protocol

from mappings.core import Collected


class CollectionCache(Protocol):
    """Interface a shared backend (e.g. Redis) would implement."""

    async def get_or_fill(self, key: Hashable, fill: Callable[[], Awaitable[Collected]]) -> Collected: ...

    async def forget(self, account: str) -> None:
        """Drop every entry of ``account`` (the first element of its keys): upstream refused its key."""
        ...


class MemoryCollectionCache:
    """In-process LRU with expiry and single-flight filling (one walk per key at a time)."""

    def __init__(self, ttl: float, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._items: OrderedDict[Hashable, tuple[float, Collected]] = OrderedDict()
        self._locks: dict[Hashable, asyncio.Lock] = {}

    def _fresh(self, key: Hashable) -> Collected | None:
        hit = self._items.get(key)
        if hit is None:
            return None
        expires, value = hit
        if expires < self.clock():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return value

    async def forget(self, account: str) -> None:
        for key in [k for k in self._items if isinstance(k, tuple) and k and k[0] == account]:
            del self._items[key]

    async def get_or_fill(self, key: Hashable, fill: Callable[[], Awaitable[Collected]]) -> Collected:
        if self.ttl <= 0:
            return await fill()
        value = self._fresh(key)
        if value is not None:
            return value
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                value = self._fresh(key)
                if value is None:
                    value = await fill()
                    self._items[key] = (self.clock() + self.ttl, value)
                    while len(self._items) > self.max_entries:
                        self._items.popitem(last=False)
                return value
        finally:
            if not lock.locked():
                self._locks.pop(key, None)
