"""The HTTP side of one legacy call, read straight off the ASGI scope, and its raw answer.

Starlette's ``Request`` builds a ``Headers`` object whose every ``get`` scans the raw header list,
a ``QueryParams`` object and a stream generator; its ``Response`` re-derives every header on
construction. A legacy call reads a handful of headers and the query once, and answers with a
status, a small body and headers known in advance, so this module does just that (issue 10: the
proxy's own CPU per call). The semantics are Starlette's: a header's first value wins, the query
is ``parse_qsl`` of the latin-1 query string with blank values kept, a disconnect mid-body raises
``ClientDisconnect``, a text answer's media type carries ``charset=utf-8``.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import Receive, Scope

from proxy.engine.parse import BadLegacyRequest
from proxy.engine.paths import routing_path


class LegacyHttp:
    """What the legacy handler reads of a request: method, routing path (``proxy.engine.paths``),
    headers (a dict by lower-case name, as ASGI servers send names: look names up in lower case;
    the first value wins), query items, client address and the body."""

    __slots__ = ("headers", "method", "path", "receive", "scope")

    def __init__(self, scope: Scope, receive: Receive, path: str | None = None) -> None:
        self.scope = scope
        self.receive = receive
        self.method: str = scope["method"]
        self.path = routing_path(scope) if path is None else path
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            key = name.decode("latin-1")
            if key not in headers:
                headers[key] = value.decode("latin-1")
        self.headers = headers

    def query_items(self) -> list[tuple[str, str]]:
        query: bytes = self.scope.get("query_string", b"")
        return parse_qsl(query.decode("latin-1"), keep_blank_values=True) if query else []

    @property
    def client_host(self) -> str | None:
        client = self.scope.get("client")
        return str(client[0]) if client else None

    def bodiless(self) -> bool:
        """No body can follow the head (HTTP/1.1: neither Content-Length nor Transfer-Encoding)."""
        length = self.headers.get("content-length")
        return (length is None or length == "0") and "transfer-encoding" not in self.headers

    async def body(self, limit: int) -> bytes:
        """The body, refusing (413) as soon as it is known to exceed ``limit``: never buffer more."""
        declared = self.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise BadLegacyRequest("Request body too large.", status=413)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunk: bytes = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    raise BadLegacyRequest("Request body too large.", status=413)
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _media(media_type: str | None) -> bytes | None:
    if media_type is None:
        return None
    if media_type.startswith("text/") and "charset=" not in media_type.lower():
        media_type += "; charset=utf-8"
    return media_type.encode("latin-1")


class RawResponse(Response):
    """A Starlette ``Response`` built as Starlette builds it, without its per-header work: the
    given ``headers`` (lower-case names) first, then content-length and content-type unless given."""

    def __init__(
        self, content: bytes, status_code: int, media_type: str | None, headers: Mapping[str, str]
    ) -> None:
        self.status_code = status_code
        self.body = content
        self.background = None
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        given = {name for name, _ in raw}
        if b"content-length" not in given and not (status_code < 200 or status_code in (204, 304)):
            raw.append((b"content-length", str(len(content)).encode("latin-1")))
        content_type = _media(media_type)
        if content_type is not None and b"content-type" not in given:
            raw.append((b"content-type", content_type))
        self.raw_headers = raw
