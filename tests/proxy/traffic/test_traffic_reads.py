"""Reads of the traffic record (report, dashboard) never stall the writer: they use their own
read-only connection, and WAL lets the writer commit while a read is in progress."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mappings.registry import REGISTRY
from mappings.upstream_ops import SPEC_OPERATIONS
from proxy.policy.modes import ModeTable
from proxy.traffic.report import build_report
from proxy.traffic.sqlite_store import SqliteStore
from proxy.traffic.writer import BatchWriter
from tests.proxy.harness import DAY, T0, rec

READER = "slow-report"


class Stall:
    """Every SQLite connection gets a progress handler that holds a query of the READER thread
    mid-way (its read transaction open) until ``release`` is set."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def handler(self) -> int:
        if threading.current_thread().name == READER and not self.release.is_set():
            self.entered.set()
            self.release.wait(20)
        return 0


@pytest.fixture
def stall(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stall]:
    stall = Stall()
    real = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        db: sqlite3.Connection = real(*args, **kwargs)
        db.set_progress_handler(stall.handler, 100)
        return db

    monkeypatch.setattr(sqlite3, "connect", connect)
    yield stall
    stall.release.set()


def _slow_report(store: SqliteStore, out: list[Any]) -> threading.Thread:
    def run() -> None:
        out.append(
            build_report(
                store,
                window_seconds=7 * DAY,
                window="7d",
                now=T0 + DAY,
                operations=REGISTRY,
                spec=SPEC_OPERATIONS,
                modes=ModeTable(),
            )
        )

    thread = threading.Thread(target=run, name=READER, daemon=True)
    thread.start()
    return thread


async def test_the_writer_flushes_while_a_report_holds_its_read(tmp_path: Path, stall: Stall) -> None:
    store = SqliteStore(tmp_path / "t.sqlite3")
    store.write([rec(T0 + i, caller=f"key#{i % 7}") for i in range(2000)])
    writer = BatchWriter(store, batch_size=10, flush_seconds=0.01, queue_size=100)
    writer.start()
    report: list[Any] = []
    reader = _slow_report(store, report)
    try:
        assert await asyncio.to_thread(stall.entered.wait, 10), "the report never started reading"
        for i in range(10):
            writer.submit(rec(T0 + 5000 + i))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 3
        while writer.written < 10 and loop.time() < deadline:
            await asyncio.sleep(0.01)
        assert writer.written == 10, "the writer waited for a report"
        assert reader.is_alive()  # the report is still holding its read
    finally:
        stall.release.set()  # also when failing: never leave the writer's thread stuck
    await asyncio.to_thread(reader.join, 10)
    assert report and report[0].calls >= 2000
    await writer.close()
    assert store.total(0, T0 + 2 * DAY) == 2010
    store.close()


def test_prune_is_not_held_up_by_a_read_either(tmp_path: Path, stall: Stall) -> None:
    store = SqliteStore(tmp_path / "t.sqlite3")
    store.write([rec(T0 + i) for i in range(2000)])
    reader = _slow_report(store, [])
    try:
        assert stall.entered.wait(10)
        done = threading.Event()

        def prune() -> None:
            store.prune(T0 + 100)
            done.set()

        threading.Thread(target=prune, daemon=True).start()
        assert done.wait(3), "prune waited for a report"
    finally:
        stall.release.set()
    reader.join(10)
    store.close()


def test_a_read_only_store_reads_and_never_writes(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    writer = SqliteStore(path)
    writer.write([rec(T0), rec(T0 + 1, op="A1")])
    reader = SqliteStore(path, readonly=True)
    assert reader.total(0, T0 + DAY) == 2
    assert {u.operation for u in reader.usage(0, T0 + DAY)} == {"E1", "A1"}
    with pytest.raises(sqlite3.OperationalError, match="read-only"):
        reader.write([rec(T0 + 2)])
    reader.close()
    writer.close()


def test_indexes_serve_the_report_queries(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    SqliteStore(path).close()
    names = {
        row[0] for row in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type = 'index'")
    }
    assert {"legacy_calls_ts", "legacy_calls_group"} <= names
