"""The shared traffic stream's format: one Redis stream entry per batch of traffic records.

With ``state_url`` set, replicas append their traffic batches to one capped Redis stream
(``proxy.traffic.stream_sink``) and ``klaviyo-compat recorder`` consumes it into the SQLite store
(``proxy.traffic.stream_consumer``). An entry is one whole batch, so appending it is one atomic
command (a batch lands entirely or not at all) and the cap counts batches. Each batch carries an
id unique to the replica process that made it: a batch sent again after an ambiguous failure
(Redis applied the first ``XADD`` but the answer was lost) is recognised and stored once.

Fields: ``v`` (format version), ``b`` (batch id), ``r`` (JSON array of rows, each the record's
fields in ``COLUMNS`` order).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any

import orjson

from proxy.traffic.record import TrafficRecord

# One key for the whole cluster; the hash tag keeps it in one slot on Redis Cluster, apart
# from the accounts' keys (``kc:{<account>}:...``).
STREAM_KEY = "kc:{traffic}:stream"
GROUP = "recorder"
FORMAT = b"1"
COLUMNS = tuple(f.name for f in fields(TrafficRecord))
_ROW = attrgetter(*COLUMNS)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {type(value).__name__}")
    return value


# How each column of a row is read back: numbers coerced, text checked (a malformed entry is
# refused rather than stored half-typed).
_TYPES: tuple[Callable[[Any], Any], ...] = tuple(
    {"ts": float, "status": int, "failed": bool, "upstream_calls": int, "latency_ms": float}.get(
        name, _text if name in ("caller", "label", "user_agent", "client") else str
    )
    for name in COLUMNS
)


def encode(batch_id: str, records: Sequence[TrafficRecord]) -> dict[bytes, bytes]:
    """The fields of one stream entry holding ``records``."""
    return {b"v": FORMAT, b"b": batch_id.encode(), b"r": orjson.dumps(list(map(_ROW, records)))}


@dataclass(frozen=True)
class Batch:
    """One decoded stream entry."""

    entry_id: str
    batch_id: str
    records: list[TrafficRecord]


class MalformedEntry(ValueError):
    """An entry this version cannot read (another format, or not written by a replica)."""


def decode(entry_id: str, entry: Mapping[bytes, bytes]) -> Batch:
    if entry.get(b"v") != FORMAT:
        raise MalformedEntry(f"entry {entry_id}: unknown format {entry.get(b'v')!r}")
    try:
        rows = orjson.loads(entry[b"r"])
        records = [_record(row) for row in rows]
        return Batch(entry_id, entry[b"b"].decode(), records)
    except (KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
        raise MalformedEntry(f"entry {entry_id}: {type(exc).__name__}: {exc}") from None


def _record(row: Any) -> TrafficRecord:
    if not isinstance(row, list) or len(row) != len(COLUMNS):
        raise ValueError("a row is not a list of the record's fields")
    return TrafficRecord(*(convert(value) for convert, value in zip(_TYPES, row, strict=True)))


def entry_key(entry_id: str) -> tuple[int, int]:
    """A stream id (``<ms>-<seq>``) as a comparable pair."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)
