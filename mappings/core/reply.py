"""What the legacy client receives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mappings.core.request import JSON

HTML = "text/html; charset=utf-8"
JSON_TYPE = "application/json"


@dataclass(frozen=True)
class LegacyReply:
    """What the legacy client receives. ``body`` is JSON-encoded unless ``text`` is set."""

    status: int = 200
    body: JSON = None
    text: str | None = None
    media_type: str = JSON_TYPE
    headers: Mapping[str, str] = field(default_factory=dict)

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
