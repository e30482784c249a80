"""The path a request is routed by: an encoded slash is not a separator (issue 8, finding 7).

uvicorn decodes ``%2F`` in ``scope["path"]``, so ``/api/v1%2Fcampaigns`` looked like
``/api/v1/campaigns``. When the raw path holds an encoded slash, routing uses the raw path as
sent: it then matches no legacy template segment by segment (``/api/v1%2Fcampaigns`` is not a
legacy path at all and passes through as sent).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import Scope


def routing_path(scope: Scope) -> str:
    """``scope["path"]``, or the raw path when decoding it would turn ``%2F`` into a separator."""
    raw = scope.get("raw_path")
    if isinstance(raw, bytes) and b"%2f" in raw.lower():
        return raw.decode("latin-1")
    return str(scope["path"])


def url_path(request: Request) -> str:
    """``request.url.path`` without building the URL when the path is plain (the usual case).

    Starlette builds the URL from scope (host header, scheme, port) and splits it again; for a
    path of printable ASCII with no space, ``?``, ``#`` or backslash, that gives ``scope["path"]``.
    """
    path: str = request.scope["path"]
    if path.isascii() and path.isprintable() and not any(c in path for c in _URL_ESCAPED):
        return path
    return request.url.path


_URL_ESCAPED = (" ", "?", "#", "\\")
