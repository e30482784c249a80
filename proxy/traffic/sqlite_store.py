"""The default traffic store: one SQLite file in WAL mode.

WAL lets ``klaviyo-compat report`` (another process) read while the proxy writes. One
connection per store, guarded by a lock, because calls arrive from worker threads.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import astuple
from pathlib import Path

from proxy.traffic.record import TrafficRecord
from proxy.traffic.store import CallerUsage, DayCount

SCHEMA_VERSION = 1
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
PRAGMA user_version = {SCHEMA_VERSION};
"""
_INSERT = f"INSERT INTO legacy_calls ({_COLUMNS}) VALUES ({', '.join('?' * 13)})"
_USAGE = """
WITH w AS (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY operation, caller, label ORDER BY ts DESC) AS latest
    FROM legacy_calls WHERE ts >= ? AND ts < ?
)
SELECT operation, caller, label,
       MAX(CASE WHEN latest = 1 THEN user_agent END),
       MAX(CASE WHEN latest = 1 THEN fidelity END),
       COUNT(*), SUM(failed), SUM(action = 'reject'), COUNT(DISTINCT client), MIN(ts), MAX(ts)
FROM w GROUP BY operation, caller, label
"""
_DAILY = """
SELECT date(ts, 'unixepoch'), operation, COUNT(*) FROM legacy_calls
WHERE ts >= ? AND ts < ? GROUP BY 1, 2 ORDER BY 1, 2
"""
_PRUNE_CHUNK = 10_000


class SqliteStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10.0, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across app crashes
        with self._lock:
            self._db.executescript(_SCHEMA)

    def write(self, records: Sequence[TrafficRecord]) -> None:
        if not records:
            return
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(_INSERT, [astuple(r) for r in records])
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def usage(self, since: float, until: float) -> list[CallerUsage]:
        with self._lock:
            rows = self._db.execute(_USAGE, (since, until)).fetchall()
        return [CallerUsage(*row) for row in rows]

    def total(self, since: float, until: float) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM legacy_calls WHERE ts >= ? AND ts < ?", (since, until)
            ).fetchone()
        return int(row[0])

    def daily(self, since: float, until: float) -> list[DayCount]:
        with self._lock:
            rows = self._db.execute(_DAILY, (since, until)).fetchall()
        return [DayCount(*row) for row in rows]

    def prune(self, before: float) -> int:
        """Delete in chunks, so a large prune never holds the write lock for long."""
        removed = 0
        while True:
            with self._lock:
                cur = self._db.execute(
                    "DELETE FROM legacy_calls WHERE rowid IN "
                    "(SELECT rowid FROM legacy_calls WHERE ts < ? LIMIT ?)",
                    (before, _PRUNE_CHUNK),
                )
            removed += cur.rowcount
            if cur.rowcount < _PRUNE_CHUNK:
                return removed

    def close(self) -> None:
        with self._lock:
            self._db.close()
