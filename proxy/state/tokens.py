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

import orjson

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
    """Per-account LRU maps under one global bound, with expiry.

    Fairness (issue 8, finding 6): an account holds at most ``per_account`` tokens, and when the
    global bound ``max_entries`` is reached an account at or over its fair share
    (``max_entries / accounts``) evicts its own oldest token; only when nobody is over its share
    does the oldest token of the account seen longest ago go. So one account minting tokens in a
    loop evicts its own walks, never another account's ``marker`` or timeline ``next``. Values are
    kept as compact JSON bytes (a plan saves JSON: a scope, an operation, a cursor), not objects.
    """

    def __init__(
        self,
        ttl: float,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
        per_account: int | None = None,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.per_account = min(per_account or max_entries, max_entries)
        self.clock = clock
        # Account -> token -> (expiry, packed value); accounts in the order they were first seen.
        self._accounts: dict[str, OrderedDict[str | int, tuple[float, bytes | _Opaque]]] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def held_by(self, account: str) -> int:
        return len(self._accounts.get(account, ()))

    def _mint(self, numeric: bool) -> str | int:
        if numeric:
            return MIN_MARKER + secrets.randbelow(MAX_MARKER - MIN_MARKER + 1)
        return "kxp1." + secrets.token_urlsafe(18)

    async def save(self, account: str, value: Any, numeric: bool) -> str | int:
        token = self._mint(numeric)
        items = self._accounts.setdefault(account, OrderedDict())
        while token in items:  # never hand out a live marker twice
            token = self._mint(numeric)
        while len(items) >= self.per_account:
            self._drop(account, next(iter(items)))
        if self._count >= self.max_entries:
            fair_share = self.max_entries / max(len(self._accounts), 1)
            victim = account if items and len(items) >= fair_share else next(iter(self._accounts))
            self._drop(victim, next(iter(self._accounts[victim])))
        items = self._accounts.setdefault(account, OrderedDict())  # _drop may have removed it
        items[token] = (self.clock() + self.ttl, _pack(value))
        self._count += 1
        return token

    async def load(self, account: str, token: str | int) -> Any | None:
        items = self._accounts.get(account)
        key = _key(token)
        hit = items.get(key) if items is not None else None
        if hit is None:
            return None
        expires, packed = hit
        if expires < self.clock():
            self._drop(account, key)
            return None
        return _unpack(packed)

    def _drop(self, account: str, token: str | int) -> None:
        items = self._accounts.get(account)
        if items is not None and items.pop(token, None) is not None:
            self._count -= 1
            if not items:
                del self._accounts[account]


def _key(token: str | int) -> str | int:
    """Numeric markers are kept as ints (form and query bring them as ASCII-digit strings)."""
    if isinstance(token, str) and token.isascii() and token.isdigit() and len(token) < 20:
        return int(token)
    return token


class _Opaque:
    """A value JSON cannot carry, kept as the object itself."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _pack(value: Any) -> bytes | _Opaque:
    try:
        return bytes(memoryview(orjson.dumps(value)))  # a copy: orjson leaves a 4 KB buffer
    except (TypeError, orjson.JSONEncodeError):
        return _Opaque(value)


def _unpack(packed: bytes | _Opaque) -> Any:
    return packed.value if isinstance(packed, _Opaque) else orjson.loads(packed)
