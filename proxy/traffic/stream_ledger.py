"""What the recorder has taken from the shared stream, kept in the SQLite store beside the rows.

Exactly once: a chunk of stream entries is stored in one SQLite transaction together with the
id of its last entry (``stream_position``) and the ids of its batches (``stream_batches``). The
recorder acknowledges the entries (``XACK``) only after that commit, so

* a crash before the commit leaves the entries pending in Redis: they are read again;
* a crash between the commit and the ``XACK`` leaves them pending too, but their ids are not
  above the stored position: they are acknowledged without being stored again;
* a batch a replica appended twice (its first ``XADD`` landed, the answer was lost) has an id
  already in ``stream_batches``: stored once.

The recorder opens its store with ``durable=True`` (``synchronous=FULL``): a commit is on disk
before its ``XACK`` goes out, even across a power cut.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from proxy.traffic.sqlite_store import SqliteStore, insert
from proxy.traffic.stream import Batch

BATCH_MEMORY_SECONDS = 7 * 86400.0  # batch ids kept to recognise a batch appended twice
_SCHEMA = """
CREATE TABLE IF NOT EXISTS stream_position (stream TEXT PRIMARY KEY, last_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stream_batches (batch TEXT PRIMARY KEY, seen REAL NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stream_batches_seen ON stream_batches (seen);
"""


@dataclass(frozen=True)
class Stored:
    records: int
    duplicates: int  # batches already stored (appended twice by a replica)


def open_ledger(store: SqliteStore) -> None:
    """Create the ledger's tables (idempotent). Open ``store`` with ``durable=True``."""
    with store.transaction() as db:
        for statement in filter(str.strip, _SCHEMA.split(";")):
            db.execute(statement)


def position(store: SqliteStore, stream: str) -> str | None:
    """The id of the last stream entry stored, or None before the first."""
    with store.transaction() as db:
        row = db.execute("SELECT last_id FROM stream_position WHERE stream = ?", (stream,)).fetchone()
    return None if row is None else str(row[0])


def commit(store: SqliteStore, stream: str, batches: Sequence[Batch], last_id: str, now: float) -> Stored:
    """Store ``batches`` (each at most once) and move the position to ``last_id``, in one transaction."""
    records = duplicates = 0
    with store.transaction() as db:
        for batch in batches:
            if not _claim(db, batch.batch_id, now):
                duplicates += 1
                continue
            insert(db, batch.records)
            records += len(batch.records)
        db.execute(
            "INSERT INTO stream_position (stream, last_id) VALUES (?, ?) "
            "ON CONFLICT (stream) DO UPDATE SET last_id = excluded.last_id",
            (stream, last_id),
        )
    return Stored(records, duplicates)


def _claim(db: sqlite3.Connection, batch_id: str, now: float) -> bool:
    cur = db.execute("INSERT OR IGNORE INTO stream_batches (batch, seen) VALUES (?, ?)", (batch_id, now))
    return cur.rowcount == 1


def forget_batches(store: SqliteStore, before: float) -> int:
    """Drop batch ids seen before ``before`` (a replica offers a batch again within minutes, not days)."""
    with store.transaction() as db:
        return db.execute("DELETE FROM stream_batches WHERE seen < ?", (before,)).rowcount
