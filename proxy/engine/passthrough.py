"""New-API pass-through: streamed both ways, hop-by-hop headers dropped, nothing rewritten.

An app mid-migration points one base URL at the proxy for old and new calls alike.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import httpx
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

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


# Answers up to this size with a Content-Length are buffered and sent in one piece; larger or
# chunked ones are streamed.
BUFFER_LIMIT = 64 * 1024

# Our server writes its own Date; a second one from upstream would be a duplicate.
RESPONSE_ONLY_OURS = frozenset({"date"})


def _filter(
    headers: Iterable[tuple[str, str]], connection: str, drop: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    extra = {h.strip().lower() for h in connection.split(",") if h.strip()}
    return [
        (k, v)
        for k, v in headers
        if k.lower() not in HOP_BY_HOP and k.lower() not in extra and k.lower() not in drop
    ]


async def _raw_body(upstream: httpx.Response) -> AsyncIterator[bytes]:
    # In-memory transports (tests, the embedded sandbox) hand over an already-read body.
    if upstream.is_stream_consumed:
        yield upstream.content
        return
    async for chunk in upstream.aiter_raw():
        yield chunk


def _bad_gateway() -> Response:
    return JSONResponse(
        {
            "errors": [
                {
                    "status": 502,
                    "code": "bad_gateway",
                    "title": "Bad gateway.",
                    "detail": "klaviyo-compat could not reach the upstream API.",
                }
            ]
        },
        status_code=502,
        media_type="application/vnd.api+json",
    )


async def forward(request: Request, client: httpx.AsyncClient) -> Response:
    headers = _filter(request.headers.items(), request.headers.get("connection", ""))
    if "accept-encoding" not in request.headers:
        # The transport would otherwise ask for gzip on the caller's behalf and we would
        # stream a compressed body to a client that never accepted one.
        headers.append(("accept-encoding", "identity"))
    has_body = "content-length" in request.headers or "transfer-encoding" in request.headers
    # The raw path keeps percent-encoding (a%2Fb must not become a/b upstream).
    raw_path = request.scope.get("raw_path") or request.url.path.encode("latin-1")
    url = httpx.URL(
        raw_path=raw_path + (b"?" + request.url.query.encode("latin-1") if request.url.query else b"")
    )
    upstream_request = client.build_request(
        request.method, url, headers=headers, content=request.stream() if has_body else None
    )
    try:
        upstream = await client.send(upstream_request, stream=True)
    except httpx.TransportError:
        return _bad_gateway()
    out_headers = _filter(
        upstream.headers.multi_items(), upstream.headers.get("connection", ""), RESPONSE_ONLY_OURS
    )
    raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in out_headers]
    declared = upstream.headers.get("content-length", "")
    if declared.isdigit() and int(declared) <= BUFFER_LIMIT:
        # A small answer of known length is read whole and sent as one body: the same bytes,
        # without a streaming response's disconnect-listening task per request.
        try:
            content = b"".join([chunk async for chunk in _raw_body(upstream)])
        except httpx.TransportError:  # the upstream broke off mid-body: nothing was sent yet
            return _bad_gateway()
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
