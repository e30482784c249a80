"""The line logged on every request (the access line), as cheaply as structlog's output allows.

``configure`` (``proxy.observe.logs``) installs a ``Production`` description of the JSON
pipeline it set up. While structlog still runs exactly that pipeline, ``HotLine`` builds the line
itself: the same fields in the same order (fields, event, request id, level, timestamp), redacted
by the same ``scrub_fields``, serialised by orjson, so the output is the processor chain's. It
writes without flushing and asks for one flush within ``FLUSH_SECONDS``: the stream (a
``LineBuffer`` in production) writes whole batches of lines at once, and any other log line
flushes everything before it, so order is kept. Under any other configuration (another format,
``capture_logs`` in tests, a level above info) it logs through structlog, unchanged.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog

from proxy.observe.redact import scrub_fields

FLUSH_SECONDS = 0.05  # how late a hot line may reach the output (what SIGKILL can lose)


@dataclass(frozen=True)
class Production:
    """What ``configure`` installed for JSON output: a hot line may skip structlog while it holds."""

    processors: list[Any]  # the very list structlog runs (``capture_logs`` edits it in place)
    snapshot: tuple[Any, ...]
    factory: Any
    out: Any  # a text stream: write(str), flush()
    level: int


_production: Production | None = None
_flush_loop: asyncio.AbstractEventLoop | None = None  # the loop a flush is scheduled on
_flush_at = 0.0  # monotonic time that flush is due (0: none scheduled)


def install(production: Production | None) -> None:
    """The pipeline ``configure`` just set up (None: not the production JSON one)."""
    global _production
    flush()  # lines written to the previous stream
    _production = production


class PreboundLogger:
    """A named logger assembled once per structlog configuration, for a line logged on every request.

    ``structlog.get_logger`` returns a lazy proxy that assembles a new bound logger (context,
    output logger, wrapper) on every call; this one is rebuilt only when ``structlog.configure``
    changed the processors, wrapper class, output or context class. ``capture_logs`` edits the
    processor list in place, which the assembled logger shares, so tests still see every line.
    """

    __slots__ = ("_config", "_logger", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._config: tuple[Any, ...] = ()
        self._logger: Any = None

    def get(self) -> Any:
        c = structlog.get_config()
        config = (c["processors"], c["wrapper_class"], c["logger_factory"], c["context_class"])
        old = self._config
        if not old or any(a is not b for a, b in zip(config, old, strict=True)):
            self._logger = structlog.get_logger(self.name).bind()
            self._config = config
        return self._logger


class HotLine:
    """One info line of ``event`` per call: ``info(request_id, fields)`` (``fields`` is consumed)."""

    __slots__ = ("event", "prebound", "trusted")

    def __init__(self, name: str, event: str, trusted: frozenset[str] = frozenset()) -> None:
        self.event = event
        self.prebound = PreboundLogger(name)
        # Fields whose values the proxy made (hashes, ids, enums) and the line's own event, level
        # and timestamp: nothing in them to redact, so the scrub skips them (the result is the same).
        self.trusted = trusted | {"event", "level", "timestamp"}

    def info(self, request_id: str | None, fields: dict[str, Any]) -> None:
        p = _production
        config = structlog.get_config()
        procs = config["processors"]
        if (
            p is None
            or procs is not p.processors
            or config["logger_factory"] is not p.factory
            or tuple(procs) != p.snapshot  # element-wise, in C (processors compare by identity)
        ):
            self.prebound.get().info(self.event, **fields)
            return
        if p.level > logging.INFO:
            return
        fields["event"] = self.event
        if request_id is not None:
            fields["request_id"] = request_id
        fields["level"] = "info"
        fields["timestamp"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        p.out.write(orjson.dumps(scrub_fields(fields, self.trusted), default=_fallback).decode() + "\n")
        _schedule_flush()


def _fallback(value: Any) -> str:
    return repr(value)  # structlog's JSON fallback for what JSON cannot carry


def _schedule_flush() -> None:
    global _flush_loop, _flush_at
    if time.monotonic() < _flush_at:
        return  # a flush is due within FLUSH_SECONDS (asking for the running loop costs a getpid call)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        flush()
        return
    if _flush_loop is loop:
        return  # one is due on this loop already
    _flush_loop = loop  # (a flush scheduled on a loop that has since closed never runs: replaced)
    _flush_at = time.monotonic() + FLUSH_SECONDS
    loop.call_later(FLUSH_SECONDS, flush)


def flush() -> None:
    """Write out what hot lines left buffered (also at exit and on reconfiguration)."""
    global _flush_loop, _flush_at
    _flush_loop, _flush_at = None, 0.0
    p = _production
    if p is not None:
        with contextlib.suppress(OSError, ValueError):  # a closed or broken stream: nothing to do
            p.out.flush()


atexit.register(flush)
