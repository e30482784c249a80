"""The durable write spool: fire-and-forget writes that could not be delivered yet.

A spoolable legacy call (``Operation.spoolable``: track, identify) whose upstream write fails
transiently is written here and acknowledged; ``proxy.engine.deliverer`` drains the spool per
account, oldest first. ``Spool`` is the interface (a shared backend comes with scale-out);
``SqliteSpool`` the local default: one SQLite file in WAL mode, every put committed with
``synchronous=FULL`` before the caller is answered, the file 0600 in a 0700 folder.

An entry's payload is sealed (``proxy.state.seal``): the spool holds in clear only the
account's hash, the upstream operation id, timestamps, attempt counts and the HTTP status of a
dead letter, never a key, token, e-mail address or phone number.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    operation TEXT NOT NULL,
    accepted REAL NOT NULL,
    next_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS pending_account ON pending (account, id);
CREATE TABLE IF NOT EXISTS dead (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    operation TEXT NOT NULL,
    accepted REAL NOT NULL,
    failed REAL NOT NULL,
    attempts INTEGER NOT NULL,
    status INTEGER NOT NULL,
    reason TEXT NOT NULL,
    payload BLOB NOT NULL
);
"""


class SpoolFull(Exception):
    """The spool holds its configured maximum: the caller gets the legacy failure."""


@dataclass(frozen=True)
class Entry:
    """One spooled write. ``payload`` is sealed; ``account`` is a hash."""

    id: int
    account: str
    operation: str
    accepted: float
    next_at: float
    attempts: int
    payload: bytes


@dataclass(frozen=True)
class DeadLetter:
    """A write upstream refused for good (a 4xx other than 408/429)."""

    id: int
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


class Spool(Protocol):
    """Where fire-and-forget writes wait. Every method is synchronous and thread-safe."""

    def put(self, account: str, operation: str, payload: bytes, accepted: float) -> int:
        """Store durably (committed when this returns); raises ``SpoolFull`` at the bound."""
        ...

    def heads(self, now: float, limit: int) -> list[Entry]:
        """The oldest entry of each account whose head is due (``next_at <= now``)."""
        ...

    def head_of(self, account: str, now: float) -> Entry | None:
        """The oldest entry of ``account`` if it is due."""
        ...

    def delivered(self, entry_id: int) -> None: ...

    def postpone(self, entry_id: int, next_at: float, error: str, *, attempt: bool = True) -> None: ...

    def bury(self, entry: Entry, status: int, reason: str, now: float) -> None:
        """Move an entry to the dead letters."""
        ...

    def pending_by_account(self) -> dict[str, int]: ...

    def counts(self) -> Counts: ...

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]: ...

    def retry(self, ids: Sequence[int] | None, now: float) -> int:
        """Move dead letters (all when ``ids`` is None) back to pending; returns how many."""
        ...

    def purge(self, ids: Sequence[int] | None) -> int:
        """Delete dead letters (all when ``ids`` is None); returns how many."""
        ...

    def close(self) -> None: ...


def _private_folder(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):  # a shared folder the operator chose: keep their mode
        if path.parent.stat().st_uid == os.getuid():
            os.chmod(path.parent, 0o700)


class SqliteSpool:
    """The local spool. ``max_entries`` bounds pending plus dead entries."""

    def __init__(self, path: str | Path, *, max_entries: int) -> None:
        self.path = Path(path)
        self.max_entries = max_entries
        _private_folder(self.path)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        os.chmod(self.path, 0o600)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.chmod(f"{self.path}{suffix}", 0o600)
        self._size = self._count()

    def _count(self) -> int:
        row = self._db.execute(
            "SELECT (SELECT count(*) FROM pending) + (SELECT count(*) FROM dead)"
        ).fetchone()
        return int(row[0])

    def put(self, account: str, operation: str, payload: bytes, accepted: float) -> int:
        with self._lock:
            if self._size >= self.max_entries:
                raise SpoolFull(f"the spool holds {self._size} entries (spool_max_entries)")
            cur = self._db.execute(
                "INSERT INTO pending (account, operation, accepted, next_at, payload) VALUES (?, ?, ?, ?, ?)",
                (account, operation, accepted, accepted, payload),
            )
            self._size += 1
            return int(cur.lastrowid or 0)

    def heads(self, now: float, limit: int) -> list[Entry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT p.id, p.account, p.operation, p.accepted, p.next_at, p.attempts, p.payload "
                "FROM pending p JOIN (SELECT min(id) AS id FROM pending GROUP BY account) h ON p.id = h.id "
                "WHERE p.next_at <= ? ORDER BY p.next_at LIMIT ?",
                (now, limit),
            ).fetchall()
        return [Entry(*row) for row in rows]

    def head_of(self, account: str, now: float) -> Entry | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, account, operation, accepted, next_at, attempts, payload FROM pending "
                "WHERE account = ? ORDER BY id LIMIT 1",
                (account,),
            ).fetchone()
        entry = Entry(*row) if row is not None else None
        return entry if entry is not None and entry.next_at <= now else None

    def delivered(self, entry_id: int) -> None:
        with self._lock:
            cur = self._db.execute("DELETE FROM pending WHERE id = ?", (entry_id,))
            self._size -= cur.rowcount

    def postpone(self, entry_id: int, next_at: float, error: str, *, attempt: bool = True) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE pending SET next_at = ?, attempts = attempts + ?, last_error = ? WHERE id = ?",
                (next_at, 1 if attempt else 0, error[:200], entry_id),
            )

    def bury(self, entry: Entry, status: int, reason: str, now: float) -> None:
        with self._lock, self._transaction():
            self._db.execute(
                "INSERT INTO dead (id, account, operation, accepted, failed, attempts, status, reason, "
                "payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (entry.id, entry.account, entry.operation, entry.accepted, now, entry.attempts + 1, status,
                 reason[:200], entry.payload),
            )  # fmt: skip
            self._db.execute("DELETE FROM pending WHERE id = ?", (entry.id,))

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def pending_by_account(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT account, count(*) FROM pending GROUP BY account").fetchall()
        return {str(account): int(n) for account, n in rows}

    def counts(self) -> Counts:
        with self._lock:
            pending = self._db.execute("SELECT count(*) FROM pending").fetchone()[0]
            dead = self._db.execute("SELECT count(*) FROM dead").fetchone()[0]
        return Counts(int(pending), int(dead))

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, account, operation, accepted, failed, attempts, status, reason FROM dead "
                "ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall()
        return [DeadLetter(*row) for row in rows]

    def retry(self, ids: Sequence[int] | None, now: float) -> int:
        where, args = _selection(ids)
        with self._lock, self._transaction():
            # Back at its original place in its account's order (ids only grow).
            cur = self._db.execute(
                "INSERT INTO pending (id, account, operation, accepted, next_at, attempts, payload) "
                f"SELECT id, account, operation, accepted, ?, 0, payload FROM dead {where}",
                (now, *args),
            )
            self._db.execute(f"DELETE FROM dead {where}", args)
            return cur.rowcount

    def purge(self, ids: Sequence[int] | None) -> int:
        where, args = _selection(ids)
        with self._lock:
            cur = self._db.execute(f"DELETE FROM dead {where}", args)
            self._size -= cur.rowcount
            return cur.rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _selection(ids: Sequence[int] | None) -> tuple[str, tuple[int, ...]]:
    if ids is None:
        return "", ()
    marks = ",".join("?" * len(ids)) or "NULL"
    return f"WHERE id IN ({marks})", tuple(ids)
