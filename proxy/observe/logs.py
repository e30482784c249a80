"""structlog configuration: JSON lines, request id from contextvars, redaction last-but-one."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import orjson
import structlog

from proxy.observe import hot_line
from proxy.observe.hot_line import PreboundLogger, Production
from proxy.observe.log_stream import LineBuffer
from proxy.observe.redact import scrub_fields


def _redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    return scrub_fields(event_dict)


def _orjson_dumps(obj: Any, default: Any = None) -> str:
    return orjson.dumps(obj, default=default).decode()


def configure(level: str = "info", fmt: str = "json", stream: Any = None) -> None:
    """Route structlog (and stdlib logging, e.g. uvicorn's error log) through one redacting pipeline."""
    # Production (stdout): lines collected and written out in order, see proxy.observe.log_stream.
    out: Any = stream if stream is not None else LineBuffer(sys.stdout)
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
    numeric = logging.getLevelName(level.upper())
    config = structlog.get_config()
    hot_line.install(
        Production(processors, tuple(processors), config["logger_factory"], out, numeric)
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


__all__ = ["PreboundLogger", "configure", "get_logger"]


def get_logger(name: str = "klaviyo_compat") -> Any:
    return structlog.get_logger(name)
