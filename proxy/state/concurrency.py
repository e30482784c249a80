"""Per-account concurrency: one tenant can never hold a whole upstream pool (issue 8, finding 8).

``AccountLimiter(limit)`` hands out at most ``limit`` concurrent slots per account (a hash of its
key, never the key). A semaphore exists only while a call of its account is in flight or waiting,
so the map is bounded by the calls in flight (themselves bounded by the server's connection cap),
whatever the number of accounts seen.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class AccountLimiter:
    def __init__(self, limit: int) -> None:
        if limit <= 0:
            raise ValueError("limit must be positive")
        self.limit = limit
        self._slots: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    def __len__(self) -> int:
        """Accounts with a call in flight or waiting (the size of the map)."""
        return len(self._slots)

    def in_flight(self, account: str) -> int:
        entry = self._slots.get(account)
        return 0 if entry is None else self.limit - entry[0]._value

    @contextlib.asynccontextmanager
    async def slot(self, account: str) -> AsyncIterator[None]:
        """Hold one of ``account``'s slots for the block (waits while all are taken)."""
        entry = self._slots.get(account)
        if entry is None:
            entry = self._slots[account] = (asyncio.Semaphore(self.limit), [0])
        semaphore, users = entry
        users[0] += 1  # holders and waiters: the entry lives while anyone needs it
        try:
            async with semaphore:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                self._slots.pop(account, None)
