"""What replaces a legacy operation, told to callers: headers on every answer, a 410 on reject.

Read from the declaration only: ``Operation.successor`` (the documentation URL), its upstream
operations and the spec table's method and path. Nothing here names a Klaviyo resource.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import UTC, date, datetime
from email.utils import format_datetime
from functools import lru_cache
from typing import Any

from mappings import protocol
from mappings.core import LegacyReply, Operation

RETIRED = date.fromisoformat(protocol.RETIRED_ON)
_PLAIN = "text/plain; charset=utf-8"


def successor_endpoint(op: Operation, operations: Mapping[str, Mapping[str, Any]]) -> str:
    """``METHOD /path`` of the new-API operation the successor link documents.

    The documentation URL ends with the spec operation id when it documents one; otherwise
    the first write among the upstream operations (for a write), else the first one.
    """
    name = op.successor.rstrip("/").rsplit("/", 1)[-1]
    if name not in operations:
        writes = [u for u in op.upstream if operations.get(u, {}).get("method") != "GET"]
        ordered = writes if op.is_write and writes else list(op.upstream)
        name = ordered[0] if ordered else ""
    row = operations.get(name)
    return f"{row['method']} {row['path']}" if row else op.successor


def _http_date(day: date) -> str:
    return format_datetime(datetime(day.year, day.month, day.day, tzinfo=UTC), usegmt=True)


@lru_cache(maxsize=512)
def deprecation_headers(successor_doc: str, sunset: date) -> tuple[tuple[str, str], ...]:
    """``Deprecation`` (RFC 9745: ``@`` + Unix time of the retirement), ``Sunset`` (RFC 8594), ``Link``."""
    headers = [
        ("Deprecation", f"@{calendar.timegm(RETIRED.timetuple())}"),
        ("Sunset", _http_date(sunset)),
    ]
    if successor_doc:
        headers.append(("Link", f'<{successor_doc}>; rel="successor-version"'))
    return tuple(headers)


def retired_message(op: Operation, operations: Mapping[str, Mapping[str, Any]]) -> str:
    return (
        f"{op.method} {op.path} is retired (the legacy API was removed on {protocol.RETIRED_ON}) and "
        f"this proxy no longer translates it. Use {successor_endpoint(op, operations)} instead: "
        f"{op.successor}"
    )


def retired_reply(op: Operation, operations: Mapping[str, Mapping[str, Any]]) -> LegacyReply:
    """A legacy-shaped 410 naming the successor and its documentation.

    Families whose legacy answers carry no status (track/identify answer ``1``/``0``) still
    get a real 410 with the message as plain text: a ``0`` would read as a bad payload, not
    as a retirement.
    """
    message = retired_message(op, operations)
    reply = protocol.error(op.family, 410, message)
    if reply.status == 410:
        return reply
    return LegacyReply(status=410, text=message, media_type=_PLAIN, headers=reply.headers)
