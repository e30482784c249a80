"""Off-the-request-path recording: a bounded queue drained in batches by one background task.

``submit`` never waits: when the queue is full (the disk cannot keep up) the record is
dropped, counted (``on_drop``) and logged at most every ``DROP_LOG_SECONDS``. The writer
flushes every ``batch_size`` records or ``flush_seconds`` after a batch's first record,
whichever comes first, in a worker thread; ``close`` writes whatever is still queued.

The batches go to a ``Sink``: the SQLite store, or the shared stream of ``state_url``. A sink
that cannot take a batch *for now* (Redis down) raises ``SinkUnavailable``: the batch is kept
and offered again, the same list object, every ``RETRY_SECONDS``, while new records wait in the
bounded queue (and beyond it are dropped and counted, as ever). Any other failure drops the
batch, counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import structlog

from proxy.traffic.record import TrafficRecord

log = structlog.get_logger("klaviyo_compat.traffic")

DROP_LOG_SECONDS = 10.0
RETRY_SECONDS = 1.0  # how often a batch a sink could not take is offered again


class Sink(Protocol):
    """Where batches go (``TrafficStore`` is one); ``write`` runs in a worker thread."""

    def write(self, records: Sequence[TrafficRecord]) -> None: ...


class SinkUnavailable(Exception):
    """The sink cannot take this batch now but may later: keep it and offer it again."""


class BatchWriter:
    def __init__(
        self,
        store: Sink,
        *,
        batch_size: int = 200,
        flush_seconds: float = 0.5,
        queue_size: int = 10_000,
        on_drop: Callable[[int], None] | None = None,
    ) -> None:
        self.store = store
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.queue: asyncio.Queue[TrafficRecord] = asyncio.Queue(maxsize=queue_size)
        self.on_drop = on_drop
        self.dropped = 0
        self.written = 0
        self._batch: list[TrafficRecord] = []
        self._held = False  # self._batch was refused with SinkUnavailable: offered again as is
        self._final = False  # closing: a refused batch is dropped, not kept
        self._wanted = batch_size
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_drop_log = 0.0

    def submit(self, record: TrafficRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except asyncio.QueueFull:
            self._drop(1, "queue full")
            return
        if self.queue.qsize() >= self._wanted:
            self._ready.set()

    def _drop(self, n: int, reason: str) -> None:
        self.dropped += n
        if self.on_drop is not None:
            self.on_drop(n)
        now = time.monotonic()
        if now - self._last_drop_log >= DROP_LOG_SECONDS:
            self._last_drop_log = now
            log.warning("traffic.dropped", reason=reason, dropped_total=self.dropped)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="traffic-writer")

    async def _run(self) -> None:
        while True:
            if self._held:
                await asyncio.sleep(RETRY_SECONDS)
            else:
                await self._fill()
            await self._flush()

    async def _fill(self) -> None:
        """Wait for a first record, then up to ``batch_size`` or ``flush_seconds``."""
        self._batch.append(await self.queue.get())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.flush_seconds
        while True:
            self._drain()
            remaining = deadline - loop.time()
            if len(self._batch) >= self.batch_size or remaining <= 0:
                return
            self._wanted = self.batch_size - len(self._batch)
            self._ready.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), remaining)

    def _drain(self) -> None:
        while len(self._batch) < self.batch_size:
            try:
                self._batch.append(self.queue.get_nowait())
            except asyncio.QueueEmpty:
                return

    async def _flush(self) -> None:
        batch, self._batch, self._held = self._batch, [], False
        self._wanted = self.batch_size
        if not batch:
            return
        # Shielded: close() cancels this task, but a batch already handed to the store thread must
        # land before close() writes the rest and the store is closed, or it could be lost.
        write = asyncio.ensure_future(asyncio.to_thread(self.store.write, batch))
        try:
            await asyncio.shield(write)
        except asyncio.CancelledError:
            await asyncio.wait([write])
            self._settle(write, batch)
            raise
        except Exception:
            pass  # settled below from the future itself
        self._settle(write, batch)

    def _settle(self, write: asyncio.Future[None], batch: list[TrafficRecord]) -> None:
        exc = write.exception()
        if exc is None:
            self.written += len(batch)
        elif isinstance(exc, SinkUnavailable) and not self._final:
            self._batch, self._held = batch, True  # kept whole: the same batch is offered again
        else:
            n = len(batch)
            if isinstance(exc, SinkUnavailable):  # closing with the sink down: no wait per batch
                while not self.queue.empty():
                    self.queue.get_nowait()
                    n += 1
            self._drop(n, f"store write failed: {type(exc).__name__}: {exc}")

    async def close(self) -> None:
        """Stop the task and write everything still pending (the in-flight batch included)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._final = True
        while True:
            if not self._held:  # a held batch is offered as it was refused, nothing added
                self._drain()
            if not self._batch:
                return
            await self._flush()
