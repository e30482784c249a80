"""The default traffic store: one SQLite file in WAL mode.

Writes (the batch writer, pruning) go through one connection guarded by a lock, because
calls arrive from worker threads. Reads (the report, the dashboard) never touch it: each
opens its own read-only connection, and WAL lets readers and the writer work at once, so
a long report never stalls the writer (nor ``klaviyo-compat report`` in another process).
Aggregation happens in SQL over indexes on ``ts`` and on (operation, caller, label, ts).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from operator import attrgetter
from pathlib import Path
from urllib.parse import quote

from proxy.traffic.record import TrafficRecord
from proxy.traffic.store import CallerUsage, DayCount

SCHEMA_VERSION = 2
_COLUMNS = (
    "ts, operation, mode, action, status, failed, upstream_calls, latency_ms, fidelity, "
    "caller, label, user_agent, client"
)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS legacy_calls (
    ts REAL NOT NULL,
    operation TEXT NOT NULL,
    mode TEXT NOT NULL,
    action TEXT NOT NULL,
    status INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    upstream_calls INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    fidelity TEXT NOT NULL,
    caller TEXT,
    label TEXT,
    user_agent TEXT,
    client TEXT
);
CREATE INDEX IF NOT EXISTS legacy_calls_ts ON legacy_calls (ts);
CREATE INDEX IF NOT EXISTS legacy_calls_group ON legacy_calls (operation, caller, label, ts);
PRAGMA user_version = {SCHEMA_VERSION};
"""
# A record's row in _COLUMNS order: attribute reads in C, not dataclasses.astuple (a recursive deep
# copy that cost ~4 µs a record, run in the writer thread where it contends for the GIL).
_ROW = attrgetter(*_COLUMNS.split(", "))
_INSERT = f"INSERT INTO legacy_calls ({_COLUMNS}) VALUES ({', '.join('?' * 13)})"
# One row per (operation, caller, label): aggregates in one pass over the window, then the
# latest call's User-Agent and fidelity by an index lookup per group.
_LATEST = """(SELECT {column} FROM legacy_calls AS x
     WHERE x.operation = g.operation AND x.caller IS g.caller AND x.label IS g.label AND x.ts = g.last
     ORDER BY x.rowid DESC LIMIT 1)"""
_USAGE = f"""
WITH g AS (
    SELECT operation, caller, label, COUNT(*) AS n, SUM(failed) AS errors,
           SUM(action = 'reject') AS rejected, COUNT(DISTINCT client) AS clients,
           MIN(ts) AS first, MAX(ts) AS last
    FROM legacy_calls WHERE ts >= ? AND ts < ?
    GROUP BY operation, caller, label
)
SELECT operation, caller, label, {_LATEST.format(column="user_agent")}, {_LATEST.format(column="fidelity")},
       n, errors, rejected, clients, first, last
FROM g
"""
_DAILY = """
SELECT date(ts, 'unixepoch'), operation, COUNT(*) FROM legacy_calls
WHERE ts >= ? AND ts < ? GROUP BY 1, 2 ORDER BY 1, 2
"""
_PRUNE_CHUNK = 10_000


def insert(db: sqlite3.Connection, records: Sequence[TrafficRecord]) -> None:
    """Add ``records`` through ``db`` (inside the caller's transaction)."""
    db.executemany(_INSERT, list(map(_ROW, records)))


def private_file(path: Path) -> None:
    """Create ``path`` readable by its owner only (0600), in a folder created 0700 if missing.

    The record holds caller hashes, labels and User-Agents: nobody else on the host reads it.
    SQLite gives its -wal and -shm files the database file's permissions.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)  # an existing file from an older version too


class SqliteStore:
    """``readonly``: for ``klaviyo-compat report``; opens no write connection, writes nothing.
    ``durable``: every commit reaches the disk before it returns (the recorder acknowledges stream
    entries after it), not only the operating system."""

    def __init__(self, path: str | Path, *, readonly: bool = False, durable: bool = False) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if readonly:
            return
        private_file(self.path)
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10.0, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: durable across app crashes; FULL: across power cuts too.
        self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        with self._lock:
            self._db.executescript(_SCHEMA)

    def _writer(self) -> sqlite3.Connection:
        if self._db is None:
            raise sqlite3.OperationalError(f"traffic store {self.path} was opened read-only")
        return self._db

    @contextlib.contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection of its own: never waits for, nor holds up, the writer."""
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
        db = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=10.0, isolation_level=None)
        try:
            db.execute("PRAGMA query_only = ON")
            yield db
        finally:
            db.close()

    def write(self, records: Sequence[TrafficRecord]) -> None:
        if not records:
            return
        with self.transaction() as db:
            insert(db, records)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The write connection inside one transaction: committed on leaving, rolled back on error.

        The recorder stores a stream batch's rows and the stream position they came from in one.
        """
        with self._lock:
            db = self._writer()
            db.execute("BEGIN")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def usage(self, since: float, until: float) -> list[CallerUsage]:
        with self._reader() as db:
            rows = db.execute(_USAGE, (since, until)).fetchall()
        return [CallerUsage(*row) for row in rows]

    def total(self, since: float, until: float) -> int:
        with self._reader() as db:
            row = db.execute(
                "SELECT COUNT(*) FROM legacy_calls WHERE ts >= ? AND ts < ?", (since, until)
            ).fetchone()
        return int(row[0])

    def daily(self, since: float, until: float) -> list[DayCount]:
        with self._reader() as db:
            rows = db.execute(_DAILY, (since, until)).fetchall()
        return [DayCount(*row) for row in rows]

    def prune(self, before: float) -> int:
        """Delete in chunks, so a large prune never holds the write lock for long."""
        removed = 0
        while True:
            with self._lock:
                cur = self._writer().execute(
                    "DELETE FROM legacy_calls WHERE rowid IN "
                    "(SELECT rowid FROM legacy_calls WHERE ts < ? LIMIT ?)",
                    (before, _PRUNE_CHUNK),
                )
            removed += cur.rowcount
            if cur.rowcount < _PRUNE_CHUNK:
                return removed

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
