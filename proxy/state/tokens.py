"""Legacy continuation tokens (v2 ``marker`` integers, timeline ``next``) -> upstream state.

Legacy clients resume with small integers or short strings; the new API uses long opaque
cursors. The store maps one to the other for a bounded time and size, scoped per account
so one caller can never resume another's walk. The in-memory store is the default; the
``TokenStore`` protocol is what a shared backend (Redis, SQL) implements for several
proxy replicas.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

# v2 ``marker`` integers are drawn uniformly from [2**20, 2**31 - 1]: a signed 32-bit int in any
# client (JavaScript, PHP on 32 bits, a Java ``int``), yet 2**31 - 2**20 (about 2.1e9) values,
# so one is not guessable; and a marker only resolves within the account that got it (the
# store is keyed by account), so a guess could at most resume one's own walk. Recorded legacy
# markers were around 1e11 (beyond 32 bits): smaller is never worse for a client. A draw that
# hits a live marker of the same account is drawn again.
MIN_MARKER = 2**20
MAX_MARKER = 2**31 - 1


class TokenStore(Protocol):
    async def save(self, account: str, value: Any, numeric: bool) -> str | int: ...

    async def load(self, account: str, token: str | int) -> Any | None: ...


class MemoryTokenStore:
    def __init__(self, ttl: float, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._items: OrderedDict[tuple[str, str], tuple[float, Any]] = OrderedDict()

    def _mint(self, numeric: bool) -> str | int:
        if numeric:
            return MIN_MARKER + secrets.randbelow(MAX_MARKER - MIN_MARKER + 1)
        return "kxp1." + secrets.token_urlsafe(18)

    async def save(self, account: str, value: Any, numeric: bool) -> str | int:
        token = self._mint(numeric)
        while (account, str(token)) in self._items:  # never hand out a live marker twice
            token = self._mint(numeric)
        self._items[(account, str(token))] = (self.clock() + self.ttl, value)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)
        return token

    async def load(self, account: str, token: str | int) -> Any | None:
        key = (account, str(token))
        hit = self._items.get(key)
        if hit is None:
            return None
        expires, value = hit
        if expires < self.clock():
            del self._items[key]
            return None
        return value
