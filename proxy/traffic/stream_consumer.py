"""The recorder's reading side: the shared traffic stream into the SQLite store, exactly once.

One consumer group (``recorder``) with one consumer. On every (re)start the consumer first reads
its own pending entries (delivered before a crash, perhaps stored, never acknowledged), then new
ones. Each read's entries are stored in one SQLite transaction with the id of the last one
(``proxy.traffic.stream_ledger``) and acknowledged after the commit; an entry whose id is not above
the stored position was stored before the crash and is only acknowledged. The group is created at
the stored position (or at the stream's start, so batches appended before the first recorder ran
are kept), with ``MKSTREAM`` so the recorder may start before any replica.

An entry trimmed by the stream's cap while it was pending comes back without fields: it is
acknowledged and counted as lost, as is an entry this version cannot read. While Redis does not
answer, or the store cannot commit, the consumer retries every ``retry`` seconds (the entries
stay pending; the dashboard keeps serving what is stored).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError, ResponseError

from proxy.observe.recorder_metrics import RecorderMetrics
from proxy.state.shared import Availability
from proxy.traffic import stream_ledger as ledger
from proxy.traffic.sqlite_store import SqliteStore
from proxy.traffic.stream import GROUP, STREAM_KEY, Batch, MalformedEntry, decode, entry_key

log = structlog.get_logger("klaviyo_compat.recorder")
_ERRORS = (RedisError, OSError, TimeoutError)
CONSUMER = "recorder"  # one name across restarts: its pending entries are found again
Entry = tuple[str, dict[bytes, bytes] | None]


BACKLOG_SECONDS = 5.0  # how often the backlog gauge is refreshed


class StreamConsumer:
    def __init__(
        self,
        client: aioredis.Redis,
        store: SqliteStore,
        metrics: RecorderMetrics,
        *,
        key: str = STREAM_KEY,
        count: int = 100,
        block_ms: int = 1000,
        retry: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.store = store
        self.metrics = metrics
        self.key = key
        self.count = count
        self.block_ms = block_ms
        self.retry = retry
        self.clock = clock
        self.availability = Availability(  # down until Redis answers the first command
            down_event="recorder.stream_down",
            down_effect="retrying; the stored report is served",
            up_event="recorder.stream_up",
            up_level="info",
            up=False,
            on_change=metrics.state_up,
            stream=key,
        )
        self.records = 0  # stored by this process
        self._last: str | None = None  # id of the last entry stored (the ledger's position)
        self._stopping = asyncio.Event()
        self._backlog_seen = float("-inf")  # monotonic time the backlog gauge was last set

    def stop(self) -> None:
        """End ``run`` after the read in progress (its entries are stored and acknowledged first)."""
        self._stopping.set()

    async def run(self) -> None:
        self._last = await asyncio.to_thread(ledger.position, self.store, self.key)
        log.info("recorder.resuming", stream=self.key, after=self._last or "the stream's start")
        while not self._stopping.is_set():
            try:
                await self._ensure_group(self._last or "0")
                self.availability.mark(True)
                await self._pending()
                while not self._stopping.is_set():
                    await self._consume(await self._read(">"))
                    await self._observe_backlog()
            except _ERRORS as exc:
                self.availability.mark(False, f"{type(exc).__name__}: {exc}")
                await self._pause()
            except sqlite3.Error as exc:  # a full or broken disk: what was read stays pending
                log.error("recorder.store_failed", reason=f"{type(exc).__name__}: {exc}", effect="retrying")
                await self._pause()

    async def _pause(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), self.retry)

    async def _ensure_group(self, start: str) -> None:
        try:
            await self.client.xgroup_create(self.key, GROUP, id=start, mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):  # the group exists: its own position holds
                raise

    async def _pending(self) -> None:
        """This consumer's entries delivered before a crash and never acknowledged, in order."""
        cursor = "0"
        while not self._stopping.is_set():
            entries = await self._read(cursor)
            if not entries:
                return
            await self._consume(entries)
            cursor = entries[-1][0]

    async def _read(self, cursor: str) -> list[Entry]:
        block = self.block_ms if cursor == ">" else None
        reply: Any = await self.client.xreadgroup(
            GROUP, CONSUMER, {self.key: cursor}, count=self.count, block=block
        )
        if not reply:
            return []
        [[_, entries]] = reply
        return [(_text(entry_id), fields or None) for entry_id, fields in entries]

    async def backlog(self) -> int | None:
        """Entries of the stream this recorder has not stored yet: not yet read by its group
        (Redis's ``lag``, which still counts entries the cap trimmed before they were read) plus
        read and not acknowledged; None when Redis cannot tell (no group yet, or no lag)."""
        groups: Any = await self.client.xinfo_groups(self.key)
        for group in groups:
            if _text(group.get("name", b"")) == GROUP:
                lag = group.get("lag")
                return None if lag is None else int(lag) + int(group.get("pending", 0))
        return None

    async def _observe_backlog(self) -> None:
        """The backlog gauge, at most every ``BACKLOG_SECONDS`` (one XINFO, not one per read)."""
        now = time.monotonic()
        if now - self._backlog_seen < BACKLOG_SECONDS:
            return
        self._backlog_seen = now
        backlog = await self.backlog()
        self.metrics.backlog.set(-1 if backlog is None else backlog)

    async def _consume(self, entries: Sequence[Entry]) -> None:
        if not entries:
            return
        position = entry_key(self._last) if self._last else None
        fresh = [e for e in entries if position is None or entry_key(e[0]) > position]
        if fresh:
            batches = self._decode(fresh)
            last = fresh[-1][0]
            stored = await asyncio.to_thread(ledger.commit, self.store, self.key, batches, last, self.clock())
            self._last = last
            self.records += stored.records
            self.metrics.stored(stored.records, len(batches) - stored.duplicates, stored.duplicates)
        await self.client.xack(self.key, GROUP, *(entry_id for entry_id, _ in entries))

    def _decode(self, entries: Sequence[Entry]) -> list[Batch]:
        batches = []
        for entry_id, fields in entries:
            if fields is None:  # trimmed by the cap while pending
                self.metrics.lost("trimmed")
                log.warning("recorder.entry_trimmed", entry=entry_id, fix="raise traffic_stream_entries")
                continue
            try:
                batches.append(decode(entry_id, fields))
            except MalformedEntry as exc:
                self.metrics.lost("unreadable")
                log.error("recorder.entry_unreadable", reason=str(exc))
        return batches

    @property
    def up(self) -> bool:
        """Redis answered the last command."""
        return self.availability.up


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
