"""Matches a request path against the legacy operation registry."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from mappings.core import Operation

_PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


def compile_template(template: str) -> re.Pattern[str]:
    """``/api/v1/thing/{thing_id}`` -> regex with named groups; a trailing slash is optional."""
    pattern = ""
    pos = 0
    for m in _PARAM.finditer(template):
        pattern += re.escape(template[pos : m.start()]) + f"(?P<{m.group(1)}>[^/]+)"
        pos = m.end()
    pattern += re.escape(template[pos:].rstrip("/"))
    return re.compile(f"^{pattern}/?$")


@dataclass(frozen=True)
class Match:
    operation: Operation
    path_params: dict[str, str]


class LegacyRouter:
    def __init__(self, operations: Iterable[Operation]) -> None:
        # Grouped by method once, so a request only tries the templates of its own method.
        self._routes: dict[str, list[tuple[re.Pattern[str], Operation]]] = {}
        for op in operations:
            self._routes.setdefault(op.method, []).append((compile_template(op.path), op))

    def match(self, method: str, path: str) -> Match | None:
        """The operation serving ``method path``; HEAD is served by the GET operation (RFC 9110)."""
        wanted = "GET" if method == "HEAD" else method
        for pattern, op in self._routes.get(wanted, ()):
            m = pattern.match(path)
            if m:
                return Match(op, m.groupdict())
        return None
