"""Per-account concurrency: one tenant can never hold a whole upstream pool (issue 8, finding 8).

``AccountLimiter(limit)`` hands out at most ``limit`` concurrent slots per account (a hash of its
key, never the key). A semaphore exists only while a call of its account is in flight or waiting,
so the map is bounded by the calls in flight (themselves bounded by the server's connection cap),
whatever the number of accounts seen.
"""

from __future__ import annotations

import asyncio


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

    def slot(self, account: str) -> _Slot:
        """Hold one of ``account``'s slots for the ``async with`` block (waits while all are taken)."""
        return _Slot(self, account)


class _Slot:
    """One use of a slot (a class, not a generator-based context manager: it is on every call)."""

    __slots__ = ("account", "entry", "limiter")

    def __init__(self, limiter: AccountLimiter, account: str) -> None:
        self.limiter = limiter
        self.account = account
        self.entry: tuple[asyncio.Semaphore, list[int]] | None = None

    async def __aenter__(self) -> None:
        slots = self.limiter._slots
        entry = slots.get(self.account)
        if entry is None:
            entry = slots[self.account] = (asyncio.Semaphore(self.limiter.limit), [0])
        entry[1][0] += 1  # holders and waiters: the entry lives while anyone needs it
        try:
            await entry[0].acquire()
        except BaseException:
            self._leave(entry)
            raise
        self.entry = entry

    async def __aexit__(self, *exc: object) -> None:
        entry, self.entry = self.entry, None
        if entry is not None:
            entry[0].release()
            self._leave(entry)

    def _leave(self, entry: tuple[asyncio.Semaphore, list[int]]) -> None:
        entry[1][0] -= 1
        if entry[1][0] == 0:
            self.limiter._slots.pop(self.account, None)
