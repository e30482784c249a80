"""A replica's traffic record with ``state_url``: batches appended to the shared, capped Redis stream.

The batch writer calls ``write`` in its worker thread, once per batch (never per request), so
this uses redis-py's blocking client: one ``XADD ... MAXLEN ~ N`` per batch, bounded by
``state_timeout``. While Redis does not answer, ``write`` raises ``SinkUnavailable``: the writer
keeps the batch and offers it again, new records wait in its bounded queue and, beyond it, are
dropped and counted; a request never waits for Redis. One ``traffic.stream_down`` line is logged
when Redis stops answering and one ``traffic.stream_up`` when it is back.

A batch offered again keeps its id, so when the first ``XADD`` did land (only its answer was
lost) the recorder stores the batch once.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Sequence
from typing import Any

import redis
from redis.exceptions import RedisError

from proxy.settings import Settings
from proxy.state.shared import Availability
from proxy.traffic.record import TrafficRecord
from proxy.traffic.stream import STREAM_KEY, encode
from proxy.traffic.writer import SinkUnavailable

_ERRORS = (RedisError, OSError)


class StreamSink:
    def __init__(self, url: str, *, max_entries: int, timeout: float, key: str = STREAM_KEY) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self.key = key
        self.max_entries = max_entries
        self.availability = Availability(
            down_event="traffic.stream_down",
            down_effect="traffic records wait in the bounded queue; beyond it they are dropped and counted",
            up_event="traffic.stream_up",
            up_effect="queued traffic records are sent to the recorder again",
        )
        self.appended = 0  # batches
        self._source = secrets.token_hex(6)  # this process: batch ids never collide across replicas
        self._sequence = 0
        self._refused: tuple[Sequence[TrafficRecord], int, str] | None = None  # (batch, length, id)
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> StreamSink:
        return cls(
            settings.state_url, max_entries=settings.traffic_stream_entries, timeout=settings.state_timeout
        )

    def _batch_id(self, records: Sequence[TrafficRecord]) -> str:
        """The refused batch offered again keeps its id (the writer only ever appends to a list, so
        the same object with the same length holds the same records); any other gets a new one."""
        refused = self._refused
        if refused is not None and refused[0] is records and refused[1] == len(records):
            return refused[2]
        self._sequence += 1
        return f"{self._source}-{self._sequence}"

    def write(self, records: Sequence[TrafficRecord]) -> None:
        if not records:
            return
        with self._lock:
            batch_id = self._batch_id(records)
            fields: dict[Any, Any] = encode(batch_id, records)
            try:
                self.client.xadd(self.key, fields, maxlen=self.max_entries, approximate=True)
            except _ERRORS as exc:
                self._refused = (records, len(records), batch_id)
                self.availability.mark(False, f"{type(exc).__name__}: {exc}")
                raise SinkUnavailable(f"the traffic stream's Redis does not answer ({exc})") from exc
            self._refused = None
            self.appended += 1
            self.availability.mark(True)

    @property
    def up(self) -> bool:
        return self.availability.up

    def close(self) -> None:
        self.client.close()
