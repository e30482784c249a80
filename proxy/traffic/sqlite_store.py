"""The default traffic store: one SQLite file in WAL mode.

Writes (the batch writer, pruning) go through one connection guarded by a lock, because
calls arrive from worker threads. Reads (the report, the dashboard) never touch it: each
opens its own read-only connection, and WAL lets readers and the writer work at once, so
a long report never stalls the writer (nor ``klaviyo-compat report`` in another process).
Aggregation happens in SQL over indexes on ``ts`` and on (operation, caller, label, ts).

A row counts ``calls`` identical calls: the calls of one written batch that agree on every
column and arrived within the same second are one row (``ts`` the first one's, ``latency_ms``
and ``upstream_calls`` summed). Under load one caller's calls are mostly alike, so the store
writes a handful of rows per batch instead of one per call; first and last seen stay exact to
the second. A file written before ``calls`` existed gets the column (every old row is one call).
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

SCHEMA_VERSION = 3
_COLUMNS = (
    "ts, operation, mode, action, status, failed, upstream_calls, latency_ms, fidelity, "
    "caller, label, user_agent, client, calls"
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
    client TEXT,
    calls INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS legacy_calls_ts ON legacy_calls (ts);
CREATE INDEX IF NOT EXISTS legacy_calls_group ON legacy_calls (operation, caller, label, ts);
PRAGMA user_version = {SCHEMA_VERSION};
"""
_ADD_CALLS = "ALTER TABLE legacy_calls ADD COLUMN calls INTEGER NOT NULL DEFAULT 1"
# A record's row in _COLUMNS order (``calls`` last): attribute reads in C, not
# dataclasses.astuple (a recursive deep copy, run in the writer thread where it contends for the GIL).
_ROW = attrgetter(*_COLUMNS.split(", ")[:-1])
_INSERT = f"INSERT INTO legacy_calls ({_COLUMNS}) VALUES ({', '.join('?' * 14)})"
_TS, _UPSTREAM, _LATENCY, _CALLS = 0, 6, 7, 13
# One row per (operation, caller, label): aggregates in one pass over the window, then the
# latest call's User-Agent and fidelity by an index lookup per group.
_LATEST = """(SELECT {column} FROM legacy_calls AS x
     WHERE x.operation = g.operation AND x.caller IS g.caller AND x.label IS g.label AND x.ts = g.last
     ORDER BY x.rowid DESC LIMIT 1)"""
_USAGE = f"""
WITH g AS (
    SELECT operation, caller, label, SUM(calls) AS n, SUM(failed * calls) AS errors,
           SUM((action = 'reject') * calls) AS rejected, COUNT(DISTINCT client) AS clients,
           MIN(ts) AS first, MAX(ts) AS last
    FROM legacy_calls WHERE ts >= ? AND ts < ?
    GROUP BY operation, caller, label
)
SELECT operation, caller, label, {_LATEST.format(column="user_agent")}, {_LATEST.format(column="fidelity")},
       n, errors, rejected, clients, first, last
FROM g
"""
_DAILY = """
SELECT date(ts, 'unixepoch'), operation, SUM(calls) FROM legacy_calls
WHERE ts >= ? AND ts < ? GROUP BY 1, 2 ORDER BY 1, 2
"""
_PRUNE_CHUNK = 10_000


def insert(db: sqlite3.Connection, records: Sequence[TrafficRecord]) -> None:
    """Add ``records`` through ``db`` (inside the caller's transaction)."""
    db.executemany(_INSERT, merged(records))


def private_file(path: Path) -> None:
    """Create ``path`` readable by its owner only (0600), in a folder created 0700 if missing.

    The record holds caller hashes, labels and User-Agents: nobody else on the host reads it.
    SQLite gives its -wal and -shm files the database file's permissions.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)  # an existing file from an older version too


def merged(records: Sequence[TrafficRecord]) -> list[list[object]]:
    """The rows of ``records``: alike calls of the same second counted in one row (see above)."""
    rows: dict[tuple[object, ...], list[object]] = {}
    for record in records:
        row: list[object] = [*_ROW(record), 1]
        key = (int(record.ts), *row[1:_UPSTREAM], *row[8:_CALLS])
        kept = rows.get(key)
        if kept is None:
            rows[key] = row
        else:
            kept[_UPSTREAM] += record.upstream_calls  # type: ignore[operator]
            kept[_LATENCY] += record.latency_ms  # type: ignore[operator]
            kept[_CALLS] += 1  # type: ignore[operator]
    return list(rows.values())


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
            self._db.executescript(_SCHEMA.replace(f"PRAGMA user_version = {SCHEMA_VERSION};", ""))
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(legacy_calls)")}
            if "calls" not in columns:  # a file of schema 2: every row so far is one call
                self._db.execute(_ADD_CALLS)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

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
            columns = {row[1] for row in db.execute("PRAGMA table_info(legacy_calls)")}
            if columns and "calls" not in columns:  # a schema-2 file no writer has opened since
                db.execute("CREATE TEMP VIEW legacy_calls AS SELECT *, 1 AS calls FROM main.legacy_calls")
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
                "SELECT COALESCE(SUM(calls), 0) FROM legacy_calls WHERE ts >= ? AND ts < ?", (since, until)
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
