"""The shared traffic record on a real Redis: replica batches into the stream, the recorder's
consumer into SQLite, exactly once across crashes at each step, and the stream's cap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry

from proxy.observe.recorder_metrics import RecorderMetrics
from proxy.traffic import stream_ledger
from proxy.traffic.record import TrafficRecord
from proxy.traffic.sqlite_store import SqliteStore
from proxy.traffic.stream import GROUP, STREAM_KEY, decode, encode
from proxy.traffic.stream_consumer import StreamConsumer
from proxy.traffic.stream_sink import StreamSink
from tests.proxy.harness import T0, rec

WINDOW = (0.0, 4e9)


class Crash(BaseException):
    """What a SIGKILL at this point looks like to the code after it: nothing more runs."""


def _records(n: int, start: int = 0) -> list[TrafficRecord]:
    return [rec(ts=T0 + start + i, op="E1" if i % 3 else "A1", caller=f"key#{i % 4}") for i in range(n)]


def _store(path: Path) -> SqliteStore:
    store = SqliteStore(path, durable=True)
    stream_ledger.open_ledger(store)
    return store


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    c: aioredis.Redis = aioredis.from_url(redis_url, socket_timeout=5)  # type: ignore[no-untyped-call]
    try:
        yield c
    finally:
        await c.aclose()


def _consumer(client: aioredis.Redis, store: SqliteStore) -> tuple[StreamConsumer, RecorderMetrics]:
    metrics = RecorderMetrics(CollectorRegistry())
    return StreamConsumer(client, store, metrics, block_ms=50, retry=0.05), metrics


async def _run_until(consumer: StreamConsumer, done: Callable[[], bool], timeout: float = 20.0) -> None:
    """Run the consumer until ``done()`` holds, then stop it the way the recorder does."""
    task = asyncio.create_task(consumer.run())
    try:
        async with asyncio.timeout(timeout):
            while not done():
                if task.done():
                    task.result()
                    raise AssertionError("the consumer stopped")
                await asyncio.sleep(0.02)
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 10)


async def _pending(client: aioredis.Redis) -> int:
    info: Any = await client.xpending(STREAM_KEY, GROUP)
    return int(info["pending"])


async def test_replica_batches_are_stored_with_every_field(
    redis_url: str, client: aioredis.Redis, tmp_path: Path
) -> None:
    sink = StreamSink(redis_url, max_entries=1000, timeout=2)
    batches = [
        _records(5),
        _records(7, start=100),
        [rec(ts=T0 + 500, label="billing", user_agent=None, failed=True, status=503)],
    ]
    for batch in batches:
        sink.write(batch)
    sink.close()
    store = _store(tmp_path / "recorder.sqlite3")
    consumer, metrics = _consumer(client, store)
    await _run_until(consumer, lambda: consumer.records == 13)
    assert store.total(*WINDOW) == 13
    [labelled] = [u for u in store.usage(*WINDOW) if u.label == "billing"]
    assert (labelled.count, labelled.errors, labelled.user_agent) == (1, 1, None)
    assert metrics.records._value.get() == 13 and metrics.batches._value.get() == 3
    assert await _pending(client) == 0, "acknowledged after the commit"
    store.close()


async def test_a_crash_between_commit_and_ack_does_not_count_twice(
    redis_url: str, client: aioredis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = StreamSink(redis_url, max_entries=1000, timeout=2)
    for n in range(4):
        sink.write(_records(10, start=n * 10))
    path = tmp_path / "recorder.sqlite3"
    store = _store(path)
    first, _ = _consumer(client, store)

    async def crash(*args: Any) -> None:
        raise Crash

    monkeypatch.setattr(client, "xack", crash)
    with pytest.raises(Crash):
        await first.run()  # committed, then "killed" before XACK
    monkeypatch.undo()
    assert store.total(*WINDOW) == 40 and await _pending(client) == 4
    store.close()

    store = _store(path)  # the restarted recorder: same file
    second, metrics = _consumer(client, store)
    sink.write(_records(10, start=40))  # and traffic keeps coming
    await _run_until(second, lambda: second.records == 10)
    await asyncio.sleep(0.3)  # nothing more arrives later either
    assert store.total(*WINDOW) == 50
    assert await _pending(client) == 0
    assert metrics.duplicates._value.get() == 0
    store.close()
    sink.close()


async def test_a_crash_before_the_commit_reads_the_entries_again(
    redis_url: str, client: aioredis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = StreamSink(redis_url, max_entries=1000, timeout=2)
    for n in range(3):
        sink.write(_records(4, start=n * 4))
    sink.close()
    path = tmp_path / "recorder.sqlite3"
    store = _store(path)
    first, _ = _consumer(client, store)

    def crash(*args: Any) -> None:
        raise Crash

    monkeypatch.setattr(stream_ledger, "commit", crash)
    with pytest.raises(Crash):
        await first.run()  # read (pending in Redis), "killed" before the commit
    monkeypatch.undo()
    assert store.total(*WINDOW) == 0 and await _pending(client) == 3
    second, _ = _consumer(client, store)
    await _run_until(second, lambda: second.records == 12)
    assert store.total(*WINDOW) == 12 and await _pending(client) == 0
    store.close()


class LostAnswer:
    """A Redis client whose first XADD lands but whose answer is lost (a connection reset)."""

    def __init__(self, real: redis.Redis) -> None:
        self.real = real
        self.calls = 0

    def xadd(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        result = self.real.xadd(*args, **kwargs)
        if self.calls == 1:
            raise redis.ConnectionError("Connection reset by peer")
        return result

    def close(self) -> None:
        self.real.close()


async def test_a_batch_offered_again_after_a_lost_answer_is_stored_once(
    redis_url: str, client: aioredis.Redis, tmp_path: Path
) -> None:
    from proxy.traffic.writer import BatchWriter

    sink = StreamSink(redis_url, max_entries=1000, timeout=2)
    sink.client = LostAnswer(sink.client)  # type: ignore[assignment]
    writer = BatchWriter(sink, batch_size=50, flush_seconds=0.01, queue_size=100)
    writer.start()
    for record in _records(8):
        writer.submit(record)
    await asyncio.sleep(0.05)
    await writer.close()  # the kept batch is offered again: same object, same batch id
    assert writer.dropped == 0 and sink.client.calls == 2  # type: ignore[attr-defined]
    assert await client.xlen(STREAM_KEY) == 2, "the batch is in the stream twice"
    store = _store(tmp_path / "recorder.sqlite3")
    consumer, metrics = _consumer(client, store)
    await _run_until(consumer, lambda: metrics.duplicates._value.get() == 1)
    assert store.total(*WINDOW) == 8
    store.close()
    sink.close()


async def test_the_stream_is_capped_and_an_entry_trimmed_while_pending_is_counted_lost(
    redis_url: str, client: aioredis.Redis, tmp_path: Path
) -> None:
    cap = 100
    sink = StreamSink(redis_url, max_entries=cap, timeout=2)
    for n in range(1500):
        sink.write([rec(ts=T0 + n)])
    length = await client.xlen(STREAM_KEY)
    # MAXLEN ~ trims whole stream nodes (100 entries each by default): never below the cap,
    # never far above it, whatever was appended.
    assert cap <= length <= cap + 100, length
    # An entry delivered to the recorder, then trimmed before it was stored (a recorder stuck
    # longer than the cap lasts), comes back empty: acknowledged, counted, not fatal.
    await client.xgroup_create(STREAM_KEY, GROUP, id="0")
    await client.xreadgroup(GROUP, "recorder", {STREAM_KEY: ">"}, count=5)
    await client.xtrim(STREAM_KEY, maxlen=0, approximate=False)
    sink.write([rec(ts=T0 + 9999)])
    sink.close()
    store = _store(tmp_path / "recorder.sqlite3")
    consumer, metrics = _consumer(client, store)
    await _run_until(consumer, lambda: consumer.records == 1)
    assert metrics.lost_entries.labels(reason="trimmed")._value.get() == 5
    assert store.total(*WINDOW) == 1 and await _pending(client) == 0
    store.close()


async def test_unreadable_entries_are_skipped_and_counted(client: aioredis.Redis, tmp_path: Path) -> None:
    await client.xadd(STREAM_KEY, {"v": "9", "b": "x", "r": "[]"})
    await client.xadd(STREAM_KEY, {"v": "1", "b": "y", "r": '[["not", "a", "row"]]'})
    await client.xadd(STREAM_KEY, encode("z", _records(2)))  # type: ignore[arg-type]
    store = _store(tmp_path / "recorder.sqlite3")
    consumer, metrics = _consumer(client, store)
    await _run_until(consumer, lambda: consumer.records == 2)
    assert metrics.lost_entries.labels(reason="unreadable")._value.get() == 2
    store.close()


def test_a_batch_round_trips_through_its_entry() -> None:
    records = [*_records(3), rec(label="x" * 64, client=None, caller=None, latency_ms=0.25)]
    assert decode("1-0", encode("b1", records)).records == records


def test_report_where_no_record_is_kept_points_at_the_recorder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from proxy.cli import main

    monkeypatch.setenv("KLAVIYO_COMPAT_STATE_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("KLAVIYO_COMPAT_HASH_SECRET", "h" * 40)
    assert main(["report", "--db", str(tmp_path / "replica.sqlite3")]) == 1
    assert "send their record to `klaviyo-compat recorder`" in capsys.readouterr().err


async def test_a_commit_that_fails_leaves_the_entries_pending_and_is_retried(
    redis_url: str, client: aioredis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    sink = StreamSink(redis_url, max_entries=1000, timeout=2)
    sink.write(_records(6))
    sink.close()
    store = _store(tmp_path / "recorder.sqlite3")
    real, failures = stream_ledger.commit, list[int]()

    def flaky(*args: Any) -> stream_ledger.Stored:
        if not failures:
            failures.append(1)
            raise sqlite3.OperationalError("disk I/O error")
        return real(*args)

    monkeypatch.setattr(stream_ledger, "commit", flaky)
    consumer, _ = _consumer(client, store)
    await _run_until(consumer, lambda: consumer.records == 6)
    assert failures and store.total(*WINDOW) == 6 and await _pending(client) == 0
    store.close()


async def test_the_backlog_counts_batches_not_yet_stored(
    redis_url: str, client: aioredis.Redis, tmp_path: Path
) -> None:
    await client.xgroup_create(STREAM_KEY, GROUP, id="0", mkstream=True)
    sink = StreamSink(redis_url, max_entries=1000, timeout=2)
    for i in range(3):
        sink.write(_records(4, start=10 * i))
    store = _store(tmp_path / "recorder.sqlite3")
    consumer, metrics = _consumer(client, store)
    assert await consumer.backlog() == 3
    await _run_until(consumer, lambda: consumer.records == 12)
    assert await consumer.backlog() == 0
    assert metrics.backlog._value.get() in (0, 3)  # set when the consumer last looked
    for i in range(2):  # appended while no recorder reads
        sink.write(_records(2, start=100 + 10 * i))
    sink.close()
    assert await consumer.backlog() == 2
