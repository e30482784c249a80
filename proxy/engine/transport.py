"""The upstream connection pools: no cookies, no ``Expect``, every failure a named transport error.

Two pools are built from settings, one for translated legacy calls and one for the pass-through,
so neither can starve the other (issue 8, finding 8).

* **Cookies** (finding 2): the new API is authenticated by the key on every call; cookies have no
  role. A shared jar would carry a cookie set on key A's call into key B's. Neither pool keeps
  one (aiohttp's ``DummyCookieJar``; httpx clients get ``NO_COOKIES``), the pass-through drops
  the caller's ``Cookie`` and the upstream's ``Set-Cookie``.
* **Expect** (finding 4): aiohttp waits for ``100 Continue`` before sending a body, outside its
  read timeout; an upstream that never sends it hung the call forever. The header is removed
  from every upstream request: the proxy has the body already (uvicorn answered the caller's
  ``Expect``).
* **Errors** (finding 7): httpx-aiohttp maps a refused or reset connection to ``ConnectTimeout``
  and lets a malformed upstream answer escape as a non-httpx exception (a 500). Here every aiohttp
  failure becomes the httpx error that names it, with the cause in its message.
"""

from __future__ import annotations

import http.cookiejar
from collections.abc import AsyncIterator
from typing import Any

import httpx

from proxy.settings import Settings

_Errors = tuple[tuple[type[BaseException], type[httpx.TransportError]], ...]


class _RefuseAll(http.cookiejar.DefaultCookiePolicy):
    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


def no_cookies() -> http.cookiejar.CookieJar:
    """A cookie jar that never stores nor sends a cookie (for every upstream ``httpx`` client)."""
    return http.cookiejar.CookieJar(policy=_RefuseAll())


def build_pool(settings: Settings, size: int) -> httpx.AsyncBaseTransport:
    """A pool of ``size`` connections: aiohttp under httpx's API (less CPU per request), or httpcore."""
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    if settings.transport == "aiohttp":
        return _aiohttp_pool(limits)
    return _HttpcorePool(limits=limits)


class _HttpcorePool(httpx.AsyncHTTPTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.headers.pop("expect", None)
        return await super().handle_async_request(request)


def _aiohttp_pool(limits: httpx.Limits) -> httpx.AsyncBaseTransport:
    import aiohttp
    from aiohttp import http_exceptions
    from httpx_aiohttp import AiohttpTransport

    # Most specific first: the first class an exception is an instance of names it.
    errors: _Errors = (
        (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
        (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
        (aiohttp.ClientConnectorError, httpx.ConnectError),  # refused, unreachable, DNS
        (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
        (aiohttp.ClientPayloadError, httpx.ReadError),
        (aiohttp.ClientResponseError, httpx.RemoteProtocolError),  # a malformed answer
        (http_exceptions.HttpProcessingError, httpx.RemoteProtocolError),
        (aiohttp.ClientOSError, httpx.ReadError),  # reset by peer
        (aiohttp.ClientError, httpx.NetworkError),
        (TimeoutError, httpx.ReadTimeout),
    )

    class Pool(AiohttpTransport):
        def get_client(self) -> aiohttp.ClientSession:
            connector = aiohttp.TCPConnector(
                limit=self.limits.max_connections or 0,
                keepalive_timeout=self.limits.keepalive_expiry,
                ssl=self.ssl_context,
            )
            return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            request.headers.pop("expect", None)
            try:
                response: httpx.Response = await super().handle_async_request(request)
            except httpx.TransportError as exc:  # httpx-aiohttp's mapping: name it again from the cause
                cause = exc.__cause__ or exc
                raise _named(cause, errors) from cause
            except (aiohttp.ClientError, http_exceptions.HttpProcessingError, TimeoutError) as exc:
                raise _named(exc, errors) from exc
            response.stream = _NamedErrors(response.stream, errors)
            return response

    return Pool(limits=limits)


class _NamedErrors(httpx.AsyncByteStream):
    """A response body whose read failures are named httpx errors too (a reset mid-body)."""

    def __init__(
        self, inner: Any, errors: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...]
    ):
        self.inner = inner
        self.errors = errors

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.inner:
                yield chunk
        except httpx.TransportError as exc:
            cause = exc.__cause__ or exc
            raise _named(cause, self.errors) from cause
        except Exception as exc:
            if isinstance(exc, httpx.HTTPError):
                raise
            raise _named(exc, self.errors) from exc

    async def aclose(self) -> None:
        await self.inner.aclose()


def _named(cause: BaseException, errors: _Errors) -> httpx.TransportError:
    for kind, mapped in errors:
        if isinstance(cause, kind):
            return mapped(str(cause) or type(cause).__name__)
    if isinstance(cause, httpx.TransportError):
        return cause
    return httpx.NetworkError(str(cause) or type(cause).__name__)


def describe(exc: BaseException) -> str:
    """``Type: message`` of ``exc`` and of what caused it, for the log (a reason, not a traceback)."""
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(parts) < 3:
        text = str(seen).strip()
        parts.append(f"{type(seen).__name__}: {text}" if text else type(seen).__name__)
        seen = seen.__cause__
    return " <- ".join(parts)[:300]
