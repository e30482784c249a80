"""The batch writer when its sink is down for a while (the shared stream's Redis): the batch is
kept and offered again unchanged, new records wait in the bounded queue and beyond it are
dropped and counted, and shutdown does not wait batch after batch for a sink that is gone."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence

import pytest

from proxy.traffic import writer as writer_module
from proxy.traffic.record import TrafficRecord
from proxy.traffic.writer import BatchWriter, SinkUnavailable
from tests.proxy.harness import T0, rec


class FlakySink:
    """Refuses every batch while ``down``; remembers what it was offered and what it took."""

    def __init__(self) -> None:
        self.down = True
        self.offered: list[Sequence[TrafficRecord]] = []
        self.taken: list[TrafficRecord] = []
        self._lock = threading.Lock()

    def write(self, records: Sequence[TrafficRecord]) -> None:
        with self._lock:
            self.offered.append(records)
            if self.down:
                raise SinkUnavailable("Redis does not answer")
            self.taken.extend(records)


@pytest.fixture(autouse=True)
def quick_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer_module, "RETRY_SECONDS", 0.02)


async def _until(predicate: object, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # type: ignore[operator]
            await asyncio.sleep(0.01)


async def test_a_refused_batch_is_kept_and_offered_again_unchanged() -> None:
    sink = FlakySink()
    drops: list[int] = []
    writer = BatchWriter(sink, batch_size=5, flush_seconds=0.01, queue_size=100, on_drop=drops.append)
    writer.start()
    records = [rec(ts=T0 + i) for i in range(12)]
    for record in records:
        writer.submit(record)
    await _until(lambda: len(sink.offered) >= 3)
    first = sink.offered[0]
    assert all(offer is first for offer in sink.offered), "the same batch, not a new one"
    assert len(first) == 5 and writer.dropped == 0 and not drops
    sink.down = False
    await _until(lambda: len(sink.taken) == 12)
    await writer.close()
    assert sink.taken == records, "every record once, in order"
    assert writer.written == 12 and writer.dropped == 0


async def test_while_the_sink_is_down_the_queue_bounds_what_is_kept_and_the_rest_is_counted() -> None:
    sink = FlakySink()
    drops: list[int] = []
    writer = BatchWriter(sink, batch_size=5, flush_seconds=0.01, queue_size=20, on_drop=drops.append)
    writer.start()
    writer.submit(rec(ts=T0))
    await _until(lambda: sink.offered)  # the first batch is held
    started = time.perf_counter()
    for i in range(1, 101):
        writer.submit(rec(ts=T0 + i))  # never waits for the sink
    assert time.perf_counter() - started < 0.5
    assert sum(drops) == writer.dropped == 80, "20 wait in the queue, one is held, 80 are dropped"
    sink.down = False
    await _until(lambda: len(sink.taken) == 21)
    await writer.close()
    assert [r.ts for r in sink.taken] == [T0 + i for i in range(21)]


async def test_closing_while_the_sink_is_down_tries_once_and_counts_the_rest() -> None:
    sink = FlakySink()
    drops: list[int] = []
    writer = BatchWriter(sink, batch_size=5, flush_seconds=0.01, queue_size=1000, on_drop=drops.append)
    writer.start()
    for i in range(500):
        writer.submit(rec(ts=T0 + i))
    await _until(lambda: sink.offered)
    offers = len(sink.offered)
    await writer.close()
    assert len(sink.offered) - offers <= 1, "one last try, not one per queued batch"
    assert writer.dropped == sum(drops) == 500 and not sink.taken
