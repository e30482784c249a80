"""structlog configuration: JSON lines, request id from contextvars, redaction last-but-one."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson
import structlog

from proxy.observe.redact import scrub_fields


def _redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    return scrub_fields(event_dict)


def _orjson_dumps(obj: Any, default: Any = None) -> str:
    return orjson.dumps(obj, default=default).decode()


FLUSH_SECONDS = 0.05  # how late a hot line may reach the stream (lost on SIGKILL at most)


@dataclass(frozen=True)
class _Production:
    """What ``configure`` installed for JSON output: a hot line may skip structlog while it holds."""

    processors: list[Any]  # the very list structlog runs (``capture_logs`` edits it in place)
    snapshot: tuple[Any, ...]
    factory: Any
    out: TextIO
    level: int


_production: _Production | None = None
_flush_pending = False


def configure(level: str = "info", fmt: str = "json", stream: Any = None) -> None:
    """Route structlog (and stdlib logging, e.g. uvicorn's error log) through one redacting pipeline."""
    out = stream if stream is not None else sys.stdout
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        _redact,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=_orjson_dumps)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    processors = [*shared, renderer]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.WriteLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    global _production
    flush()  # lines a hot logger wrote to the previous stream
    numeric = logging.getLevelName(level.upper())
    config = structlog.get_config()
    _production = (
        _Production(processors, tuple(processors), config["logger_factory"], out, numeric)
        if fmt == "json" and config["processors"] is processors
        else None
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=shared,
        )
    )
    for name in ("uvicorn", "uvicorn.error"):
        lg = logging.getLogger(name)
        lg.handlers = [handler]
        lg.propagate = False
        lg.setLevel(level.upper())
    # Our access line replaces uvicorn's, which would print raw query strings (keys, base64 payloads).
    access = logging.getLogger("uvicorn.access")
    access.handlers = []
    access.propagate = False
    access.disabled = True


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


def get_logger(name: str = "klaviyo_compat") -> Any:
    return structlog.get_logger(name)


class HotLine:
    """One info line logged on every request (the access line), as structlog would write it.

    Under the production JSON configuration this builds the same line as the processor chain
    (fields, event, request id, level, timestamp; redacted; orjson) without the chain's
    per-call assembly, and flushes the stream at most every ``FLUSH_SECONDS`` instead of after
    every line. Whenever the configuration is anything else (another format, ``capture_logs``
    in tests, a level above info) it logs through structlog, unchanged.
    """

    __slots__ = ("event", "prebound")

    def __init__(self, name: str, event: str) -> None:
        self.event = event
        self.prebound = PreboundLogger(name)

    def info(self, request_id: str | None, fields: dict[str, Any]) -> None:
        p = _production
        config = structlog.get_config()
        procs = config["processors"]
        if (
            p is None
            or procs is not p.processors
            or config["logger_factory"] is not p.factory
            or len(procs) != len(p.snapshot)
            or any(a is not b for a, b in zip(procs, p.snapshot, strict=True))
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
        p.out.write(orjson.dumps(scrub_fields(fields), default=_fallback).decode() + "\n")
        _schedule_flush()


def _fallback(value: Any) -> str:
    return repr(value)  # structlog's JSON fallback for what JSON cannot carry


def _schedule_flush() -> None:
    global _flush_pending
    if _flush_pending:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        flush()
        return
    _flush_pending = True
    loop.call_later(FLUSH_SECONDS, flush)


def flush() -> None:
    """Write out what hot lines left buffered (also at exit and before a reconfiguration)."""
    global _flush_pending
    _flush_pending = False
    p = _production
    if p is not None:
        with contextlib.suppress(OSError, ValueError):  # a closed or broken stream: nothing to do
            p.out.flush()


atexit.register(flush)
