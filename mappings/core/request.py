"""The legacy request as every plan sees it: parsed once by the engine, key removed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeAlias

JSON: TypeAlias = Any


def _wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class LegacyRequest:
    """A legacy request after transport parsing, with the private key already removed.

    ``params`` merges query string, JSON body (top-level object keys) and form body, in
    that order; every value list keeps arrival order. JSON values keep their types;
    query and form values are strings. ``json`` is the raw decoded JSON body (any type)
    and ``raw_body`` the bytes, for mappings that need them (track/identify).

    ``now`` is when the request arrived (UTC, timezone-aware). The engine always sets it
    from its injected clock; a mapping that needs the time (a "must be in the future" check,
    a default date window) reads ``now`` and never the wall clock, so every plan is
    reproducible. The default exists only for requests built directly in unit tests.
    """

    method: str
    path: str
    path_params: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, list[JSON]] = field(default_factory=dict)
    json: JSON = None
    raw_body: bytes = b""
    content_type: str = ""
    # Public keys (legacy `token`) for which the operator configured a private key.
    server_side_tokens: frozenset[str] = frozenset()
    now: datetime = field(default_factory=_wall_clock)
    # Operator opt-ins a mapping may honour (names in ``mappings.protocol.OPT_INS``, e.g.
    # "approximate_recipients"): the settings that are on.
    opt_ins: frozenset[str] = frozenset()
    # Values a mapping derives from this request more than once (the track/identify payload is read
    # for the caller's hash, then by the plan): filled on first use; not a constructor argument, so
    # ``dataclasses.replace`` starts a fresh one.
    memo: dict[str, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    def get(self, name: str, default: JSON = None) -> JSON:
        """The last non-null value of a parameter (PHP sends nulls meaning 'not supplied')."""
        for value in reversed(self.params.get(name, [])):
            if value is not None:
                return value
        return default

    def get_all(self, name: str) -> list[JSON]:
        return [v for v in self.params.get(name, []) if v is not None]

    def names(self) -> list[str]:
        return list(self.params)
