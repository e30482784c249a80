"""The durable write spool: fire-and-forget writes that could not be delivered yet.

A spoolable legacy call (``Operation.spoolable``: track, identify) whose upstream write fails
transiently is written here and acknowledged; ``proxy.engine.deliverer`` drains the spool per
account, oldest first. ``Spool`` is the interface, with two implementations:

* ``proxy.state.sqlite_spool.SqliteSpool``, the default: one SQLite file per process, every put
  committed with ``synchronous=FULL`` before the caller is answered;
* ``proxy.state.redis_spool.RedisSpool`` when ``state_url`` names a Redis: one stream per
  account shared by every replica, a per-account delivery lease, reclaim of a dead replica's
  pending entries.

An entry's payload is sealed (``proxy.state.seal``): a spool holds in clear only the account's
hash, the upstream operation id, timestamps, attempt counts and the HTTP status of a dead
letter, never a key, token, e-mail address or phone number.

Delivery goes account by account: ``due`` names accounts whose oldest entry may be tried,
``lease`` makes this process the only deliverer of one account while it holds it (a no-op in
one process), ``head`` is that account's oldest entry when it is due. Entry and dead-letter ids
are strings (a SQLite row id, a Redis stream id; a dead letter's id is a number either way).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from proxy.state.shared import StateUnavailable


class SpoolFull(Exception):
    """The spool holds its configured maximum: the caller gets the legacy failure."""


class SpoolUnavailable(StateUnavailable):
    """The shared spool (Redis) did not answer: the write was not stored, the caller gets the
    legacy failure answer (never an acknowledgement without a durable copy)."""


@dataclass(frozen=True)
class Entry:
    """One spooled write. ``payload`` is sealed; ``account`` is a hash."""

    id: str
    account: str
    operation: str
    accepted: float
    next_at: float
    attempts: int
    payload: bytes


@dataclass(frozen=True)
class DeadLetter:
    """A write upstream refused for good (a 4xx other than 408/429)."""

    id: str
    account: str
    operation: str
    accepted: float
    failed: float
    attempts: int
    status: int
    reason: str


@dataclass(frozen=True)
class Counts:
    pending: int
    dead: int


@dataclass
class Lease:
    """Whether this process delivers an account now; a shared spool clears ``held`` when the
    lease was lost (not renewed in time), and the deliverer stops at the next entry."""

    held: bool


class Spool(Protocol):
    """Where fire-and-forget writes wait."""

    async def put(self, account: str, operation: str, payload: bytes, accepted: float) -> str:
        """Store durably (on disk when this returns); raises ``SpoolFull`` at the bound and
        ``SpoolUnavailable`` when a shared spool does not answer."""
        ...

    async def waiting(self, account: str) -> int:
        """How many entries of ``account`` wait (a new write of that account joins them)."""
        ...

    async def due(self, now: float, limit: int) -> list[str]:
        """Accounts whose oldest entry may be due (``next_at <= now``)."""
        ...

    def lease(self, account: str) -> AbstractAsyncContextManager[Lease]:
        """Deliver ``account`` alone while inside (``held`` False: another process does)."""
        ...

    async def head(self, account: str, now: float) -> Entry | None:
        """The oldest entry of ``account`` if it is due; call it under the account's lease (a
        shared spool answers None to a process that does not hold it)."""
        ...

    async def delivered(self, entry: Entry) -> None: ...

    async def postpone(self, entry: Entry, next_at: float, error: str, *, attempt: bool = True) -> None: ...

    async def bury(self, entry: Entry, status: int, reason: str, now: float) -> None:
        """Move an entry to the dead letters."""
        ...

    async def counts(self) -> Counts: ...

    def sizes(self) -> Counts:
        """For a metrics scrape, without waiting: exact, or as of the last ``counts``."""
        ...

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]: ...

    async def retry(self, ids: Sequence[str] | None, now: float) -> int:
        """Move dead letters (all when ``ids`` is None) back to pending; returns how many."""
        ...

    async def purge(self, ids: Sequence[str] | None) -> int:
        """Delete dead letters (all when ``ids`` is None); returns how many."""
        ...

    async def aclose(self) -> None: ...


@contextlib.asynccontextmanager
async def always_held(account: str) -> AsyncIterator[Lease]:
    """The lease of a spool only one process delivers from: always held."""
    yield Lease(held=True)
