"""New-API pass-through: streamed both ways, hop-by-hop headers dropped, nothing rewritten.

An app mid-migration points one base URL at the proxy for old and new calls alike.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterable

import httpx
import structlog
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from mappings.protocol import PUBLIC_KEY_RE
from proxy.engine.paths import url_path
from proxy.engine.transport import describe

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


# Answers up to this size with a Content-Length are read whole and sent in one piece; larger or
# chunked ones are streamed.
BUFFER_LIMIT = 64 * 1024

# Our server writes its own Date; a second one from upstream would be a duplicate. Cookies have no
# role in a key-authenticated API: the upstream's are never handed to callers (finding 2).
RESPONSE_ONLY_OURS = frozenset({"date", "set-cookie", "set-cookie2"})
# Never sent upstream: the caller's cookies (they would reach the upstream under another
# caller's key), and Expect (the body is already here; an upstream that never answers
# ``100 Continue`` would hang the call, finding 4).
REQUEST_DROPPED = frozenset({"cookie", "cookie2", "expect"})
# Paths the proxy owns: never passed through, whatever their spelling (``//_compat/``,
# ``/_compat/report/``, ``POST /metrics``), so an admin token never travels upstream.
RESERVED = ("/_compat", "/metrics")
_UNSAFE_PATH_BYTE = re.compile(rb"[^\x21-\x7e]")


def reserved(path: str) -> bool:
    """Whether ``path`` names one of the proxy's own pages, with any run of leading slashes."""
    canonical = "/" + path.lstrip("/")
    return any(canonical == p or canonical.startswith(p + "/") for p in RESERVED)


def _filter(
    headers: Iterable[tuple[str, str]], connection: str, drop: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    extra = {h.strip().lower() for h in connection.split(",") if h.strip()}
    return [
        (k, v)
        for k, v in headers
        if k.lower() not in HOP_BY_HOP and k.lower() not in extra and k.lower() not in drop
    ]


def _request_headers(request: Request) -> list[tuple[bytes, bytes]]:
    """The caller's headers as received (bytes: a non-ASCII value is passed on, never re-encoded)."""
    connection = request.headers.get("connection", "")
    extra = {h.strip().lower() for h in connection.split(",") if h.strip()}
    out: list[tuple[bytes, bytes]] = []
    for raw_name, value in request.scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        if name in HOP_BY_HOP or name in REQUEST_DROPPED or name in extra:
            continue
        out.append((raw_name, value))
    return out


def error(status: int, code: str, title: str, detail: str) -> JSONResponse:
    """A JSON:API error document, as the new API answers its own errors."""
    body = {"errors": [{"status": status, "code": code, "title": title, "detail": detail}]}
    return JSONResponse(body, status_code=status, media_type="application/vnd.api+json")


async def _raw_body(upstream: httpx.Response) -> AsyncIterator[bytes]:
    # In-memory transports (tests, the embedded sandbox) hand over an already-read body.
    if upstream.is_stream_consumed:
        yield upstream.content
        return
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    except httpx.TransportError as exc:  # the response has started: all we can do is stop
        log.info("passthrough.body_aborted", reason=str(exc)[:300])


async def _whole_body(upstream: httpx.Response) -> AsyncIterator[bytes]:
    """The raw body, a transport error raised (nothing has been sent yet: the caller gets a 502)."""
    if upstream.is_stream_consumed:
        yield upstream.content
        return
    async for chunk in upstream.aiter_raw():
        yield chunk


def upstream_url(request: Request, client: httpx.AsyncClient) -> httpx.URL:
    """The upstream URL: the raw path (``a%2Fb`` stays encoded; bytes outside printable ASCII
    percent-encoded) and the raw query, on the client's base URL."""
    raw_path = request.scope.get("raw_path") or request.url.path.encode("utf-8")
    raw_path = _UNSAFE_PATH_BYTE.sub(lambda m: b"%%%02X" % m.group(0)[0], raw_path)
    query = request.scope.get("query_string", b"")
    query = _UNSAFE_PATH_BYTE.sub(lambda m: b"%%%02X" % m.group(0)[0], query)
    return client.base_url.copy_with(raw_path=raw_path + (b"?" + query if query else b""))


async def forward(request: Request, client: httpx.AsyncClient, deadline: float = 60.0) -> Response:
    """Send the call upstream and stream its answer back; ``deadline`` bounds the wait for the
    upstream's status line and headers (the body then streams under the read timeout)."""
    path = url_path(request)
    if path.startswith("//") or reserved(path):
        return error(404, "not_found", "Not found.", "No such path.")
    headers = _request_headers(request)
    if "accept-encoding" not in request.headers:
        # The transport would otherwise ask for gzip on the caller's behalf and we would
        # stream a compressed body to a client that never accepted one.
        headers.append((b"accept-encoding", b"identity"))
    has_body = "content-length" in request.headers or "transfer-encoding" in request.headers
    try:
        upstream_request = client.build_request(
            request.method,
            upstream_url(request, client),
            headers=headers,
            content=request.stream() if has_body else None,
        )
    except (httpx.InvalidURL, ValueError) as exc:
        log.info("passthrough.bad_request", reason=str(exc)[:300])
        return error(400, "invalid", "Bad request.", "The request cannot be forwarded as sent.")
    try:
        async with asyncio.timeout(deadline):
            upstream = await client.send(upstream_request, stream=True)
    except ClientDisconnect:  # the caller left mid-body: nobody reads this answer
        log.info("passthrough.client_disconnected")
        return error(400, "client_disconnected", "Bad request.", "The body was not sent in full.")
    except (httpx.TransportError, TimeoutError) as exc:
        if _caused_by(exc, ClientDisconnect):  # the transport wraps the caller leaving mid-body
            log.info("passthrough.client_disconnected")
            return error(400, "client_disconnected", "Bad request.", "The body was not sent in full.")
        log.warning("passthrough.unavailable", reason=describe(exc))
        return error(502, "bad_gateway", "Bad gateway.", "klaviyo-compat could not reach the upstream API.")
    out_headers = _filter(
        upstream.headers.multi_items(), upstream.headers.get("connection", ""), RESPONSE_ONLY_OURS
    )
    raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in out_headers]
    declared = upstream.headers.get("content-length", "")
    if declared.isdigit() and int(declared) <= BUFFER_LIMIT:
        # A small answer of known length is read whole and sent as one body: the same bytes,
        # without a streaming response's disconnect-listening task per request.
        try:
            content = b"".join([chunk async for chunk in _whole_body(upstream)])
        except httpx.TransportError as exc:  # the upstream broke off mid-body: nothing was sent yet
            log.warning("passthrough.unavailable", reason=describe(exc))
            return error(
                502, "bad_gateway", "Bad gateway.", "klaviyo-compat could not reach the upstream API."
            )
        finally:
            await upstream.aclose()
        response = Response(content=content, status_code=upstream.status_code)
    else:
        response = StreamingResponse(
            _raw_body(upstream),
            status_code=upstream.status_code,
            background=BackgroundTask(upstream.aclose),
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
    return tuple(
        value
        for name in ("company_id", "token")
        for value in request.query_params.getlist(name)
        if PUBLIC_KEY_RE.match(value)
    )
