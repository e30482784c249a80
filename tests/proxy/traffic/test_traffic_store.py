"""The SQLite store (WAL, aggregation, retention) and the batching writer that never blocks."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from proxy.observe.metrics import Metrics
from proxy.traffic.record import TrafficRecord, clean
from proxy.traffic.retention import prune_once
from proxy.traffic.sqlite_store import SqliteStore
from proxy.traffic.writer import BatchWriter
from tests.proxy.harness import DAY, T0, rec


def test_store_is_wal_and_aggregates_per_operation_and_caller(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "sub" / "t.sqlite3")
    store.write(
        [
            rec(T0, "E1", "key#a"),
            rec(T0 + 10, "E1", "key#a", status=404, failed=True, user_agent="app/2.0", client="ip#2"),
            rec(T0 + 20, "E1", "key#b", label="billing"),
            rec(T0 + DAY, "A1", "token#t", action="reject", status=410, failed=True),
        ]
    )
    mode = sqlite3.connect(tmp_path / "sub" / "t.sqlite3").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    usage = {(u.operation, u.caller, u.label): u for u in store.usage(T0, T0 + 2 * DAY)}
    a = usage[("E1", "key#a", None)]
    assert (a.count, a.errors, a.rejected, a.clients) == (2, 1, 0, 2)
    assert (a.first_seen, a.last_seen, a.user_agent) == (T0, T0 + 10, "app/2.0")  # latest UA
    assert usage[("E1", "key#b", "billing")].count == 1
    assert usage[("A1", "token#t", None)].rejected == 1
    assert store.total(T0, T0 + 2 * DAY) == 4 and store.total(T0 + 1, T0 + DAY) == 2
    assert [(d.operation, d.count) for d in store.daily(T0, T0 + 2 * DAY)] == [("E1", 3), ("A1", 1)]
    assert store.prune(T0 + 15) == 2 and store.total(0, T0 + 3 * DAY) == 2
    store.close()


def test_retention_prunes_only_records_older_than_the_window(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "t.sqlite3")
    store.write([rec(T0 - 31 * DAY), rec(T0 - 29 * DAY), rec(T0)])
    assert asyncio.run(prune_once(store, 30, clock=lambda: T0)) == 1
    assert store.total(0, T0 + 1) == 2


def test_clean_keeps_no_key_email_or_phone_and_bounds_length() -> None:
    dirty = "app pk_" + "a" * 30 + " bob@example.com +15555550123 \x00\n" + "x" * 500
    out = clean(dirty, 200)
    assert out is not None and len(out) == 200
    assert "pk_aaa" not in out and "bob@example.com" not in out and "+15555550123" not in out
    assert "\x00" not in out and "\n" not in out
    assert clean("", 10) is None and clean(None, 10) is None


class SlowStore:
    """Records batches; ``gate`` holds the writer inside a write (a slow disk), ``entered`` says
    a write has begun."""

    def __init__(self) -> None:
        self.batches: list[list[TrafficRecord]] = []
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.gate.set()
        self.fail = False
        self.delay = 0.0  # seconds a write takes once the gate opens

    def write(self, records: Sequence[TrafficRecord]) -> None:
        self.entered.set()
        self.gate.wait(10)
        time.sleep(self.delay)
        if self.fail:
            raise OSError("disk full")
        self.batches.append(list(records))

    def usage(self, since: float, until: float) -> list[object]:  # pragma: no cover - unused
        return []

    def sizes(self) -> list[int]:
        return [len(b) for b in self.batches]


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let the writer run until ``predicate`` holds; fail after ``timeout`` (a bound, not a pace)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def test_writer_flushes_full_batches_at_once() -> None:
    store = SlowStore()
    # A minute of flush delay: only the batch size can make these writes happen.
    writer = BatchWriter(store, batch_size=5, flush_seconds=60, queue_size=100)
    writer.start()
    writer.submit(rec(T0))
    await until(writer.queue.empty)  # the writer holds one record and waits for the batch to fill
    for i in range(1, 12):
        writer.submit(rec(T0 + i))
    await until(lambda: len(store.batches) >= 2)
    assert store.sizes() == [5, 5]  # the remaining 2 wait for the batch to fill or the delay
    await writer.close()
    assert store.sizes() == [5, 5, 2]  # close writes the rest
    assert writer.written == 12 and writer.dropped == 0


async def test_writer_flushes_a_partial_batch_after_flush_seconds() -> None:
    store = SlowStore()
    # A batch of 100 never fills: only the delay can make this write happen (before close).
    writer = BatchWriter(store, batch_size=100, flush_seconds=0.02, queue_size=100)
    writer.start()
    writer.submit(rec(T0))
    writer.submit(rec(T0 + 1))
    await until(lambda: bool(store.batches))
    assert store.sizes() == [2] and writer.written == 2
    await writer.close()
    assert store.sizes() == [2]


async def test_a_full_queue_drops_counts_and_never_blocks_and_close_writes_the_rest() -> None:
    store = SlowStore()
    metrics = Metrics()
    writer = BatchWriter(store, batch_size=2, flush_seconds=0.01, queue_size=3, on_drop=metrics.dropped)
    writer.start()
    store.gate.clear()  # the disk stalls
    writer.submit(rec(T0))
    writer.submit(rec(T0 + 1))
    assert await asyncio.to_thread(store.entered.wait, 5)  # the writer is stuck in write() with 2 records
    for i in range(10):
        writer.submit(rec(T0 + 10 + i))
    # Every submit returned while the disk is still stalled: none of them waited for it.
    assert not store.gate.is_set() and store.batches == []
    assert writer.dropped == 7  # 3 queued, 7 dropped
    assert metrics.registry.get_sample_value("klaviyo_compat_traffic_records_dropped_total") == 7
    store.gate.set()
    await writer.close()
    assert sum(store.sizes()) == 5


async def test_close_waits_for_the_batch_already_being_written() -> None:
    store = SlowStore()
    writer = BatchWriter(store, batch_size=2, flush_seconds=0.01, queue_size=10)
    writer.start()
    store.gate.clear()
    store.delay = 0.3  # the in-flight write is still running when close() is called
    writer.submit(rec(T0))
    writer.submit(rec(T0 + 1))
    assert await asyncio.to_thread(store.entered.wait, 5)
    writer.submit(rec(T0 + 2))
    store.gate.set()
    await writer.close()
    # Before close() returns (and the store is closed), both batches have landed.
    assert sorted(store.sizes()) == [1, 2]
    assert writer.written == 3 and writer.dropped == 0


async def test_a_failing_store_counts_drops_and_keeps_going() -> None:
    store = SlowStore()
    store.fail = True
    writer = BatchWriter(store, batch_size=2, flush_seconds=0.01, queue_size=10)
    writer.start()
    writer.submit(rec(T0))
    writer.submit(rec(T0 + 1))
    await until(lambda: writer.dropped == 2)
    store.fail = False
    writer.submit(rec(T0 + 2))
    await writer.close()
    assert store.sizes() == [1]


@pytest.mark.parametrize("n", [0, 1, 450])
async def test_close_writes_everything_still_queued(tmp_path: Path, n: int) -> None:
    store = SqliteStore(tmp_path / "t.sqlite3")
    writer = BatchWriter(store, batch_size=200, flush_seconds=10, queue_size=1000)
    writer.start()
    for i in range(n):
        writer.submit(rec(T0 + i))
    await writer.close()
    assert store.total(0, T0 + DAY) == n


def test_traffic_files_are_private(tmp_path: Path) -> None:
    """Issue 8, finding 7: the record was 0644; now 0600 (WAL files too) in a 0700 folder."""
    import stat

    from proxy.traffic.sqlite_store import SqliteStore

    db = tmp_path / "state" / "klaviyo-compat" / "traffic.sqlite3"
    store = SqliteStore(db)
    store.write([rec()])
    try:
        for path in db.parent.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    finally:
        store.close()


def test_a_running_proxy_keeps_its_state_folder_private(tmp_path: Path) -> None:
    """The whole state folder as the proxy leaves it: record, WAL, hash secret; 0700 / 0600."""
    import stat

    import httpx

    from proxy import create_app
    from proxy.engine.engine import Overrides
    from proxy.settings import Settings
    from tests.proxy.harness import KEY_A, FakeUpstream, serve, wait_for

    db = tmp_path / "fresh" / "klaviyo-compat" / "traffic.sqlite3"
    settings = Settings(upstream="https://upstream.test", traffic_db=str(db), traffic_flush_ms=10)
    app = create_app(settings, overrides=Overrides(transport=FakeUpstream().transport()))
    with serve(app) as proxy:
        httpx.get(f"{proxy.url}/api/v1/metrics", params={"api_key": KEY_A}, timeout=10)
        wait_for(lambda: any(p.name.endswith("-wal") for p in db.parent.iterdir()))
        files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in db.parent.iterdir()}
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    assert "traffic.sqlite3" in files and any(name.endswith("hash-secret") for name in files)
    assert set(files.values()) == {0o600}, files
