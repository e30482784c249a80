"""The local write spool (``Spool`` in ``proxy.state.spool``): one SQLite file, one process.

WAL mode, every put committed with ``synchronous=FULL`` before the caller is answered, the file
0600 in a 0700 folder. The database work runs in a worker thread (``asyncio.to_thread``) so a
commit's fsync never blocks the event loop; ``waiting`` answers from counts kept in memory
(loaded at open), so a write that finds its account's queue empty costs no query. One process
delivers from one file, so the delivery lease is always held.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from proxy.state.spool import Counts, DeadLetter, Entry, Lease, SpoolFull, always_held

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
_ENTRY = "id, account, operation, accepted, next_at, attempts, payload"


def _private_folder(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):  # a shared folder the operator chose: keep their mode
        if path.parent.stat().st_uid == os.getuid():
            os.chmod(path.parent, 0o700)


def _entry(row: tuple[int, str, str, float, float, int, bytes]) -> Entry:
    return Entry(str(row[0]), *row[1:])


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
        counts = self._counts()
        self._size = counts.pending + counts.dead
        rows = self._db.execute("SELECT account, count(*) FROM pending GROUP BY account").fetchall()
        self._waiting: Counter[str] = Counter({str(account): int(n) for account, n in rows})
        self._queued: list[tuple[str, str, bytes, float, asyncio.Future[str]]] = []
        self._committer: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ writes

    async def put(self, account: str, operation: str, payload: bytes, accepted: float) -> str:
        """Committed (fsynced) before it returns; puts that arrive while a commit runs share the next.

        Group commit: when the upstream is down every track and identify lands here, and one
        fsync per write would cap the proxy at the disk's sync rate. The entries of one batch
        keep their arrival order, so each account's order holds.
        """
        loop = asyncio.get_running_loop()
        done: asyncio.Future[str] = loop.create_future()
        self._queued.append((account, operation, payload, accepted, done))
        if self._committer is None or self._committer.done():
            self._committer = loop.create_task(self._commit_queued(), name="spool-commit")
        return await done

    async def _commit_queued(self) -> None:
        while self._queued:
            batch, self._queued = self._queued, []
            try:
                results = await asyncio.to_thread(self._put_many, [item[:4] for item in batch])
            except BaseException as exc:  # the transaction was rolled back: nothing of it is stored
                failure = exc if isinstance(exc, Exception) else SpoolFull("the spool is closing")
                for *_, done in batch:
                    if not done.done():
                        done.set_exception(failure)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (*_, done), result in zip(batch, results, strict=True):
                if done.done():
                    continue  # its caller gave up waiting; the entry is stored and will be delivered
                if isinstance(result, SpoolFull):
                    done.set_exception(result)
                else:
                    done.set_result(result)

    def _put_many(self, items: Sequence[tuple[str, str, bytes, float]]) -> list[str | SpoolFull]:
        """One transaction (one fsync) for every item; an item beyond ``max_entries`` is refused."""
        results: list[str | SpoolFull] = []
        added: Counter[str] = Counter()
        with self._lock:
            size = self._size
            with self._transaction():
                for account, operation, payload, accepted in items:
                    if size >= self.max_entries:
                        results.append(SpoolFull(f"the spool holds {size} entries (spool_max_entries)"))
                        continue
                    cur = self._db.execute(
                        "INSERT INTO pending (account, operation, accepted, next_at, payload) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (account, operation, accepted, accepted, payload),
                    )
                    size += 1
                    added[account] += 1
                    results.append(str(cur.lastrowid or 0))
            self._size = size  # counted once committed (a failed commit raised above)
            self._waiting.update(added)
        return results

    async def waiting(self, account: str) -> int:
        return self._waiting[account]

    def _left(self, account: str, n: int) -> None:
        """``n`` entries of ``account`` left the pending queue (under the lock)."""
        self._waiting[account] -= n
        if self._waiting[account] <= 0:
            del self._waiting[account]

    # ------------------------------------------------------------------ delivery

    async def due(self, now: float, limit: int) -> list[str]:
        return [entry.account for entry in await asyncio.to_thread(self.heads, now, limit)]

    def heads(self, now: float, limit: int) -> list[Entry]:
        """The oldest entry of each account whose head is due."""
        with self._lock:
            rows = self._db.execute(
                "SELECT p.id, p.account, p.operation, p.accepted, p.next_at, p.attempts, p.payload "
                "FROM pending p JOIN (SELECT min(id) AS id FROM pending GROUP BY account) h ON p.id = h.id "
                "WHERE p.next_at <= ? ORDER BY p.next_at LIMIT ?",
                (now, limit),
            ).fetchall()
        return [_entry(row) for row in rows]

    def lease(self, account: str) -> AbstractAsyncContextManager[Lease]:
        return always_held(account)

    async def head(self, account: str, now: float) -> Entry | None:
        return await asyncio.to_thread(self._head, account, now)

    def _head(self, account: str, now: float) -> Entry | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_ENTRY} FROM pending WHERE account = ? ORDER BY id LIMIT 1", (account,)
            ).fetchone()
        entry = _entry(row) if row is not None else None
        return entry if entry is not None and entry.next_at <= now else None

    async def delivered(self, entry: Entry) -> None:
        await asyncio.to_thread(self._delivered, entry)

    def _delivered(self, entry: Entry) -> None:
        with self._lock:
            cur = self._db.execute("DELETE FROM pending WHERE id = ?", (int(entry.id),))
            self._size -= cur.rowcount
            self._left(entry.account, cur.rowcount)

    async def postpone(self, entry: Entry, next_at: float, error: str, *, attempt: bool = True) -> None:
        await asyncio.to_thread(self._postpone, int(entry.id), next_at, error, 1 if attempt else 0)

    def _postpone(self, entry_id: int, next_at: float, error: str, attempts: int) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE pending SET next_at = ?, attempts = attempts + ?, last_error = ? WHERE id = ?",
                (next_at, attempts, error[:200], entry_id),
            )

    async def bury(self, entry: Entry, status: int, reason: str, now: float) -> None:
        await asyncio.to_thread(self._bury, entry, status, reason, now)

    def _bury(self, entry: Entry, status: int, reason: str, now: float) -> None:
        with self._lock, self._transaction():
            cur = self._db.execute("DELETE FROM pending WHERE id = ?", (int(entry.id),))
            if cur.rowcount == 0:
                return  # no longer pending (delivered, or retried meanwhile)
            self._db.execute(
                "INSERT INTO dead (id, account, operation, accepted, failed, attempts, status, reason, "
                "payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (int(entry.id), entry.account, entry.operation, entry.accepted, now, entry.attempts + 1,
                 status, reason[:200], entry.payload),
            )  # fmt: skip
            self._left(entry.account, 1)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ------------------------------------------------------------------ operators

    async def counts(self) -> Counts:
        return await asyncio.to_thread(self.sizes)

    def sizes(self) -> Counts:
        with self._lock:
            return self._counts()

    def _counts(self) -> Counts:
        pending = self._db.execute("SELECT count(*) FROM pending").fetchone()[0]
        dead = self._db.execute("SELECT count(*) FROM dead").fetchone()[0]
        return Counts(int(pending), int(dead))

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        return await asyncio.to_thread(self._dead_letters, limit)

    def _dead_letters(self, limit: int) -> list[DeadLetter]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, account, operation, accepted, failed, attempts, status, reason FROM dead "
                "ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall()
        return [DeadLetter(str(row[0]), *row[1:]) for row in rows]

    async def retry(self, ids: Sequence[str] | None, now: float) -> int:
        return await asyncio.to_thread(self._retry, ids, now)

    def _retry(self, ids: Sequence[str] | None, now: float) -> int:
        where, args = _selection(ids)
        with self._lock, self._transaction():
            accounts = self._db.execute(f"SELECT account FROM dead {where}", args).fetchall()
            # Back at its original place in its account's order (ids only grow).
            cur = self._db.execute(
                "INSERT INTO pending (id, account, operation, accepted, next_at, attempts, payload) "
                f"SELECT id, account, operation, accepted, ?, 0, payload FROM dead {where}",
                (now, *args),
            )
            self._db.execute(f"DELETE FROM dead {where}", args)
            self._waiting.update(str(account) for (account,) in accounts)
            return cur.rowcount

    async def purge(self, ids: Sequence[str] | None) -> int:
        return await asyncio.to_thread(self._purge, ids)

    def _purge(self, ids: Sequence[str] | None) -> int:
        where, args = _selection(ids)
        with self._lock:
            cur = self._db.execute(f"DELETE FROM dead {where}", args)
            self._size -= cur.rowcount
            return cur.rowcount

    async def aclose(self) -> None:
        committer = self._committer
        if committer is not None and not committer.done():
            await asyncio.wait([committer])  # accepted puts are committed before the file closes
        self.close()

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _selection(ids: Sequence[str] | None) -> tuple[str, tuple[int, ...]]:
    if ids is None:
        return "", ()
    numbers = tuple(int(i) for i in ids if str(i).isdigit())  # another spool's id matches nothing
    marks = ",".join("?" * len(numbers)) or "NULL"
    return f"WHERE id IN ({marks})", numbers
