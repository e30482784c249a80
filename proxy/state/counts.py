"""Per-account cache of looked-up values (``CachedLookups``: list sizes, campaign recipients) and
the per-account rate budgets that bound how often they are re-read.

Legacy list and campaign objects always carried whole numbers (``person_count``,
``num_recipients``); the new API gives them only through rate-limited reads (``profile_count``
at 1/s and 15/min, the campaign values report at 2/min and 225/day). The runner answers a
plan's lookups from this cache and re-reads a value older than ``count_max_age`` only while the
lookup's budget allows, so a legacy page never waits on (or exceeds) those limits: a count is
at most ``count_max_age`` old when the budget keeps up, else the last known value (0 before the
first read). The in-memory stores are the defaults; the protocols are what a shared backend
implements for several replicas.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any, Protocol

from mappings.core import Budget


class LookupCache(Protocol):
    async def get(self, account: str, key: str) -> tuple[Any, float] | None:
        """(value, when it was read) or None."""
        ...

    async def put(self, account: str, key: str, value: Any, at: float) -> None: ...


class MemoryLookupCache:
    """Bounded LRU of (account, key) -> (value, read at)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[tuple[str, str], tuple[Any, float]] = OrderedDict()

    async def get(self, account: str, key: str) -> tuple[Any, float] | None:
        hit = self._items.get((account, key))
        if hit is not None:
            self._items.move_to_end((account, key))
        return hit

    async def put(self, account: str, key: str, value: Any, at: float) -> None:
        self._items[(account, key)] = (value, at)
        self._items.move_to_end((account, key))
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)


_WINDOWS = (("per_second", 1.0), ("per_minute", 60.0), ("per_day", 86400.0))


class Budgets:
    """Sliding-window allowances per (account, budget name), in process memory.

    ``take`` spends one call if every window of the budget has room, else answers False.
    ``exhaust`` closes a budget for a while (the upstream answered 429 despite it). At most
    ``max_accounts`` (account, budget) windows are kept (least recently used dropped).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_accounts: int = 10_000) -> None:
        self.clock = clock
        self.max_accounts = max_accounts
        self._calls: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        self._closed_until: dict[tuple[str, str], float] = {}

    def take(self, account: str, budget: Budget) -> bool:
        now = self.clock()
        key = (account, budget.name)
        if self._closed_until.get(key, 0.0) > now:
            return False
        calls = self._calls.setdefault(key, deque())
        self._calls.move_to_end(key)
        longest = 86400.0 if budget.per_day is not None else 60.0
        while calls and calls[0] <= now - longest:
            calls.popleft()
        for name, seconds in _WINDOWS:
            limit = getattr(budget, name)
            if limit is not None and sum(1 for at in calls if at > now - seconds) >= limit:
                return False
        calls.append(now)
        while len(self._calls) > self.max_accounts:
            dropped, _ = self._calls.popitem(last=False)
            self._closed_until.pop(dropped, None)
        return True

    def exhaust(self, account: str, budget: Budget, seconds: float) -> None:
        self._closed_until[(account, budget.name)] = self.clock() + seconds

    def closed(self, account: str, budget: Budget) -> bool:
        """Paused by a 429 (``exhaust``) right now."""
        return self._closed_until.get((account, budget.name), 0.0) > self.clock()


class PendingLookups:
    """Lookups a legacy call needed but its budget did not allow: refreshed later, in the background.

    Kept per account (at most ``per_account`` lookups for ``max_accounts`` accounts, oldest
    dropped first), each with the private key that may send it. The key stays in process memory
    only until the lookup is read (as the operator's ``token_keys`` do); nothing is written.
    """

    def __init__(self, per_account: int = 1000, max_accounts: int = 1000) -> None:
        self.per_account = per_account
        self.max_accounts = max_accounts
        self._items: OrderedDict[str, OrderedDict[tuple[str, ...], tuple[Any, str]]] = OrderedDict()

    def add(self, account: str, lookup: Any, key: str) -> None:
        queue = self._items.setdefault(account, OrderedDict())
        self._items.move_to_end(account)
        queue[tuple(lookup.keys)] = (lookup, key)
        while len(queue) > self.per_account:
            queue.popitem(last=False)
        while len(self._items) > self.max_accounts:
            self._items.popitem(last=False)

    def accounts(self) -> list[str]:
        return list(self._items)

    def peek(self, account: str) -> list[tuple[Any, str]]:
        return list(self._items.get(account, {}).values())

    def done(self, account: str, lookup: Any) -> None:
        queue = self._items.get(account)
        if queue is not None:
            queue.pop(tuple(lookup.keys), None)
            if not queue:
                del self._items[account]

    def __len__(self) -> int:
        return sum(len(queue) for queue in self._items.values())
