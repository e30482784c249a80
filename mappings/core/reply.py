"""What the legacy client receives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from mappings.core.request import JSON

HTML = "text/html; charset=utf-8"
JSON_TYPE = "application/json"


@dataclass(frozen=True)
class LegacyReply:
    """What the legacy client receives. ``body`` is JSON-encoded unless ``text`` is set.

    ``reason`` is never sent: a short code saying why a reply that carries no explanation of its
    own (track/identify's ``0``) was given, e.g. ``no_identifier`` or ``upstream_409``. The
    engine logs it in the access line and counts it; it never holds personal data.
    """

    status: int = 200
    body: JSON = None
    text: str | None = None
    media_type: str = JSON_TYPE
    headers: Mapping[str, str] = field(default_factory=dict)
    reason: str | None = field(default=None, compare=False)

    def because(self, reason: str) -> LegacyReply:
        """This reply, explained by ``reason`` (a code of letters, digits and ``_``)."""
        return replace(self, reason=reason)

    @staticmethod
    def json_body(body: JSON, status: int = 200) -> LegacyReply:
        return LegacyReply(status=status, body=body)

    @staticmethod
    def empty(status: int = 200) -> LegacyReply:
        """Legacy 'HTTP 200 with an empty body' (several v2 writes)."""
        return LegacyReply(status=status, text="", media_type=JSON_TYPE)

    @staticmethod
    def html(text: str) -> LegacyReply:
        return LegacyReply(status=200, text=text, media_type=HTML)
