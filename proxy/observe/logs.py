"""structlog configuration: JSON lines, request id from contextvars, redaction last-but-one."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import orjson
import structlog

from proxy.observe.redact import scrub_fields


def _redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    return scrub_fields(event_dict)


def _orjson_dumps(obj: Any, default: Any = None) -> str:
    return orjson.dumps(obj, default=default).decode()


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
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.WriteLoggerFactory(file=out),
        cache_logger_on_first_use=False,
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
