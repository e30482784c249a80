"""New-API pass-through: streamed both ways, hop-by-hop headers dropped, nothing rewritten.

An app mid-migration points one base URL at the proxy for old and new calls alike. The upstream
is the pass-through pool's ``Exchange`` (``proxy.engine.pools``).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import unquote_to_bytes

import structlog
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from mappings.protocol import PUBLIC_KEY_RE
from proxy.engine.deadline import deadline as within
from proxy.engine.exchange import Exchange, RawHeaders, Streamed, Unreachable, Unsendable
from proxy.engine.paths import url_path

log = structlog.get_logger("klaviyo_compat.passthrough")

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)
_HOP_BY_HOP_BYTES = frozenset(name.encode() for name in HOP_BY_HOP)


# Answers up to this size with a Content-Length are read whole and sent in one piece; larger or
# chunked ones are streamed.
BUFFER_LIMIT = 64 * 1024

# Our server writes its own Date; a second one from upstream would be a duplicate. Cookies have no
# role in a key-authenticated API: the upstream's are never handed to callers (finding 2).
RESPONSE_ONLY_OURS = frozenset({b"date", b"set-cookie", b"set-cookie2"})
# Never sent upstream: the caller's cookies (they would reach the upstream under another
# caller's key), and Expect (the body is already here; an upstream that never answers
# ``100 Continue`` would hang the call, finding 4).
REQUEST_DROPPED = frozenset({b"cookie", b"cookie2", b"expect"})
# Paths the proxy owns: never passed through, whatever their spelling (``//_compat/``,
# ``/_compat/report/``, ``POST /metrics``), so an admin token never travels upstream.
RESERVED = ("/_compat", "/metrics")
_UNSAFE_PATH_BYTE = re.compile(rb"[^\x21-\x7e]")


def reserved(path: str) -> bool:
    """Whether ``path`` names one of the proxy's own pages, with any run of leading slashes."""
    canonical = "/" + path.lstrip("/")
    return any(canonical == p or canonical.startswith(p + "/") for p in RESERVED)


def _end_to_end(headers: RawHeaders, dropped: frozenset[bytes]) -> list[tuple[bytes, bytes]]:
    """``headers`` (bytes: a non-ASCII value is passed on, never re-encoded) without the hop-by-hop
    ones, those their Connection header names, and ``dropped``; names lower-cased."""
    connection = b",".join(value for name, value in headers if name.lower() == b"connection")
    extra = {h.strip().lower() for h in connection.split(b",") if h.strip()}
    out: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        name = name.lower()
        if name in _HOP_BY_HOP_BYTES or name in dropped or name in extra:
            continue
        out.append((name, value))
    return out


def error(status: int, code: str, title: str, detail: str) -> JSONResponse:
    """A JSON:API error document, as the new API answers its own errors."""
    body = {"errors": [{"status": status, "code": code, "title": title, "detail": detail}]}
    return JSONResponse(body, status_code=status, media_type="application/vnd.api+json")


async def _raw_body(upstream: Streamed) -> AsyncIterator[bytes]:
    try:
        async for chunk in upstream.chunks():
            yield chunk
    except Unreachable as exc:  # the response has started: all we can do is stop
        log.info("passthrough.body_aborted", reason=str(exc)[:300])


def upstream_target(request: Request) -> str:
    """The raw path (``a%2Fb`` stays encoded; bytes outside printable ASCII percent-encoded) and
    the raw query, appended to the pool's base URL as they are."""
    raw_path = request.scope.get("raw_path") or request.url.path.encode("utf-8")
    raw_path = _UNSAFE_PATH_BYTE.sub(_escape, raw_path)
    query = request.scope.get("query_string", b"")
    if query:
        raw_path += b"?" + _UNSAFE_PATH_BYTE.sub(_escape, query)
    return raw_path.decode("ascii")


def _escape(match: re.Match[bytes]) -> bytes:
    return b"%%%02X" % match.group(0)[0]


BAD_GATEWAY = ("bad_gateway", "Bad gateway.", "klaviyo-compat could not reach the upstream API.")
DISCONNECTED = ("client_disconnected", "Bad request.", "The body was not sent in full.")


async def forward(request: Request, exchange: Exchange, deadline: float = 60.0) -> Response:
    """Send the call upstream and stream its answer back; ``deadline`` bounds the wait for the
    upstream's status line and headers (the body then streams under the read timeout)."""
    path = url_path(request)
    if path.startswith("//") or reserved(path):
        return error(404, "not_found", "Not found.", "No such path.")
    headers = _end_to_end(request.scope["headers"], REQUEST_DROPPED)
    if "accept-encoding" not in request.headers:
        # The pool would otherwise ask for gzip on the caller's behalf and we would
        # stream a compressed body to a client that never accepted one.
        headers.append((b"accept-encoding", b"identity"))
    has_body = "content-length" in request.headers or "transfer-encoding" in request.headers
    try:
        async with within(deadline):
            upstream = await exchange.open(
                request.method, upstream_target(request), headers, request.stream() if has_body else None
            )
    except ClientDisconnect:  # the caller left mid-body: nobody reads this answer
        log.info("passthrough.client_disconnected")
        return error(400, *DISCONNECTED)
    except Unsendable as exc:
        log.info("passthrough.bad_request", reason=str(exc)[:300])
        return error(400, "invalid", "Bad request.", "The request cannot be forwarded as sent.")
    except (Unreachable, TimeoutError) as exc:
        if _caused_by(exc, ClientDisconnect):  # the pool wraps the caller leaving mid-body
            log.info("passthrough.client_disconnected")
            return error(400, *DISCONNECTED)
        log.warning("passthrough.unavailable", reason=str(exc) or type(exc).__name__)
        return error(502, *BAD_GATEWAY)
    return await _answer(upstream)


async def _answer(upstream: Streamed) -> Response:
    raw_headers = _end_to_end(upstream.headers, RESPONSE_ONLY_OURS)
    declared = next((v for k, v in raw_headers if k == b"content-length"), b"")
    if declared.isdigit() and int(declared) <= BUFFER_LIMIT:
        # A small answer of known length is read whole and sent as one body: the same bytes,
        # without a streaming response's disconnect-listening task per request.
        try:
            content = await upstream.read()
        except Unreachable as exc:  # the upstream broke off mid-body: nothing was sent yet
            log.warning("passthrough.unavailable", reason=str(exc))
            return error(502, *BAD_GATEWAY)
        finally:
            await upstream.aclose()
        response = Response(content=content, status_code=upstream.status)
    else:
        response = StreamingResponse(
            _raw_body(upstream), status_code=upstream.status, background=BackgroundTask(upstream.aclose)
        )
    response.raw_headers = raw_headers
    return response


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def public_keys_in(request: Request) -> tuple[str, ...]:
    """The public keys a new-API call names (``company_id``, legacy ``token``): hidden in its access line."""
    query: bytes = request.scope.get("query_string", b"")
    if b"%" in query:
        query = unquote_to_bytes(query)
    if b"company_id" not in query and b"token" not in query:
        return ()  # most calls: the query is not parsed at all
    return tuple(
        value
        for name in ("company_id", "token")
        for value in request.query_params.getlist(name)
        if PUBLIC_KEY_RE.match(value)
    )
