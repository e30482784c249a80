"""Legacy v1 write parameters as clients send them (legacy-endpoints.md §0.2).

Values arrive as form or query strings (generated SDK, Ruby, Node) or as JSON values; the
engine has merged them into ``req.params``. An absent, null or empty parameter counts as
not supplied. Every problem raises ``BadInput`` with a client-facing message, so a mapping
answers a legacy 400 before any upstream call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from mappings.core import LegacyRequest
from mappings.translate import json_text

TRUE_WORDS: Final = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS: Final = frozenset({"false", "0", "no", "off"})
MIXED: Final = "A bracketed parameter mixes list items, object keys and plain values."
_BRACKET = re.compile(r"\[([^\[\]]*)\]")


class BadInput(ValueError):
    """A parameter the legacy API would reject; the message is client-facing."""


def _supplied(raw: Any) -> bool:
    return raw is not None and raw != ""


def text(req: LegacyRequest, name: str, *, required: bool = False) -> str | None:
    """A string parameter (JSON numbers are accepted and written as text)."""
    raw = req.get(name)
    if not _supplied(raw):
        if required:
            raise BadInput(f"The '{name}' parameter is required.")
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise BadInput(f"The '{name}' parameter must be a string.")
    return str(raw)


def boolean(req: LegacyRequest, name: str) -> bool | None:
    """``true``/``false`` in any case (Python's form encoding sends ``True``), 1/0, or a JSON boolean."""
    raw = req.get(name)
    if not _supplied(raw):
        return None
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower() if isinstance(raw, str | int) else None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise BadInput(f"The '{name}' parameter must be true or false, not {raw!r}.")


def _nest(target: dict[str, Any], path: list[str], value: Any) -> None:
    """Place ``value`` at ``path`` (Rack/Faraday bracket keys; an empty key appends to a list)."""
    node: Any = target
    for at, key in enumerate(path):
        last = at == len(path) - 1
        child: Any = value if last else ([] if path[at + 1] == "" else {})
        if isinstance(node, list) and key == "":
            node.append(child)
        elif isinstance(node, dict) and key != "":
            existing = node.get(key)
            if existing is None or (last and not isinstance(existing, dict | list)):
                node[key] = child
            elif type(existing) is type(child) and not last:
                child = existing
            else:
                raise BadInput(MIXED)
        else:
            raise BadInput(MIXED)
        node = child


def _bracketed(req: LegacyRequest, name: str) -> dict[str, Any]:
    """``name[a]=1&name[b][c]=2`` (a Ruby hash, as Faraday sends it) -> ``{"a": "1", "b": {"c": "2"}}``."""
    out: dict[str, Any] = {}
    prefix = f"{name}["
    for key in req.names():
        if not key.startswith(prefix):
            continue
        path = _BRACKET.findall(key[len(name) :])
        if "".join(f"[{p}]" for p in path) != key[len(name) :]:
            raise BadInput(f"Cannot read parameter {key!r}.")
        for value in req.get_all(key):
            _nest(out, path, value)
    return out


def json_object(req: LegacyRequest, name: str) -> dict[str, Any]:
    """A JSON object parameter: a JSON-encoded string, a JSON body object, or bracketed form keys.

    Not supplied (or JSON ``null``) is ``{}``.
    """
    raw = req.get(name)
    if not _supplied(raw):
        return _bracketed(req, name)
    if isinstance(raw, str):
        try:
            raw = json_text.loads(raw)
        except ValueError:
            raise BadInput(f"The '{name}' parameter must be a JSON-encoded object.") from None
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise BadInput(f"The '{name}' parameter must be a JSON object, not {type(raw).__name__}.")
    return dict(raw)
