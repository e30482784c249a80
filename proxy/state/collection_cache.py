"""Short-lived cache of enumerated upstream collections (v1 offset pages with totals).

Legacy v1 collections answer ``total`` and random-access ``page=N``; the new API only has
forward cursors and no totals. Enumerating once and reusing the result for a few seconds
turns a walk per page into a walk per TTL. The trade-off (documented in the README): a
page may be up to TTL seconds stale, except for writes made through this proxy: every write
sent upstream with an account's key (a legacy write or a new-API pass-through) drops that
account's cached enumerations (``invalidate``), so its own writes show at once.

Keys are tuples whose first member is the account (``proxy.engine.runner.account_of``).
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

    async def invalidate(self, account: str) -> None:
        """Drop every enumeration of ``account``, and any walk of it still in flight."""
        ...


def _account(key: Hashable) -> Hashable:
    return key[0] if isinstance(key, tuple) and key else None


class MemoryCollectionCache:
    """In-process LRU with expiry and single-flight filling (one walk per key at a time)."""

    def __init__(self, ttl: float, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._items: OrderedDict[Hashable, tuple[float, Collected]] = OrderedDict()
        self._locks: dict[Hashable, asyncio.Lock] = {}
        # Per account, how many writes were seen: a walk that started before a write is
        # answered to its caller but not kept. One integer per account that ever wrote.
        self._writes: dict[Hashable, int] = {}

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
                    account = _account(key)
                    before = self._writes.get(account, 0)
                    value = await fill()
                    if self._writes.get(account, 0) == before:  # no write meanwhile: keep it
                        self._items[key] = (self.clock() + self.ttl, value)
                        while len(self._items) > self.max_entries:
                            self._items.popitem(last=False)
                return value
        finally:
            if not lock.locked():
                self._locks.pop(key, None)

    async def invalidate(self, account: str) -> None:
        self._writes[account] = self._writes.get(account, 0) + 1
        for key in [k for k in self._items if _account(k) == account]:
            del self._items[key]
