"""An ``Exchange`` over any httpx transport: what tests and the embedded sandbox inject
(``Overrides.transport``: ``httpx.MockTransport``, ``httpx.ASGITransport``), and the httpcore pool
``transport = "httpx"`` selects.

Same rules as the aiohttp client: no cookies (a jar that refuses all), no ``Expect`` (the httpcore
pool drops it), every transport failure ``Unreachable`` with httpx's error name as its reason.
"""

from __future__ import annotations

import http.cookiejar
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from proxy.engine.exchange import (
    Answer,
    Body,
    RawHeaders,
    ShuttingDown,
    Unreachable,
    Unsendable,
    describe,
    lower_joined,
)


class _RefuseAll(http.cookiejar.DefaultCookiePolicy):
    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


def no_cookies() -> http.cookiejar.CookieJar:
    """A cookie jar that never stores nor sends a cookie."""
    return http.cookiejar.CookieJar(policy=_RefuseAll())


class HttpcorePool(httpx.AsyncHTTPTransport):
    """httpx's own pool (``transport = "httpx"``), never sending ``Expect``."""

    def __init__(self, size: int) -> None:
        super().__init__(limits=httpx.Limits(max_connections=size, max_keepalive_connections=size))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.headers.pop("expect", None)
        return await super().handle_async_request(request)


class HttpxExchange:
    """``transport`` behind an ``httpx.AsyncClient`` on ``base``; ``headers`` go with every ``send``.

    ``passthrough``: no header of httpx's own (User-Agent, Accept, Accept-Encoding) is added.
    """

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport,
        base: str,
        *,
        timeout: httpx.Timeout,
        headers: Mapping[str, str] | None = None,
        passthrough: bool = False,
    ) -> None:
        self.base = base.rstrip("/")
        self.headers: Mapping[str, str] = dict(headers or {})
        self.client = httpx.AsyncClient(
            base_url=self.base,
            transport=transport,
            timeout=timeout,
            headers=self.headers,
            follow_redirects=False,
            cookies=no_cookies(),
        )
        if passthrough:
            self.client.headers.clear()
        self._prefix = self.client.base_url.raw_path.rstrip(b"/")

    @property
    def closed(self) -> bool:
        return self.client.is_closed

    async def send(self, method: str, target: str, headers: Mapping[str, str], body: bytes | None) -> Answer:
        try:
            response = await self.client.request(method, target, headers=headers, content=body)
        except RuntimeError as exc:  # the client closed under the call
            if not self.client.is_closed:
                raise
            raise ShuttingDown("the proxy is shutting down") from exc
        except httpx.TransportError as exc:
            raise Unreachable(describe(exc)) from exc
        return Answer(response.status_code, lower_joined(response.headers.multi_items()), response.content)

    async def open(self, method: str, target: str, headers: RawHeaders, body: Body) -> HttpxStream:
        try:
            url = self.client.base_url.copy_with(raw_path=self._prefix + target.encode("ascii"))
            request = self.client.build_request(method, url, headers=list(headers), content=body)
        except (httpx.InvalidURL, ValueError) as exc:
            raise Unsendable(str(exc)) from exc
        try:
            response = await self.client.send(request, stream=True)
        except RuntimeError as exc:
            if not self.client.is_closed:
                raise
            raise ShuttingDown("the proxy is shutting down") from exc
        except httpx.TransportError as exc:
            raise Unreachable(describe(exc)) from exc
        return HttpxStream(response)

    async def aclose(self) -> None:
        await self.client.aclose()


class HttpxStream:
    """A pass-through answer from httpx: raw (undecoded) body."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.status = response.status_code
        self.headers: RawHeaders = response.headers.raw

    async def chunks(self) -> AsyncIterator[bytes]:
        if self.response.is_stream_consumed:  # in-memory transports hand over a read body
            yield self.response.content
            return
        try:
            async for chunk in self.response.aiter_raw():
                yield chunk
        except httpx.TransportError as exc:
            raise Unreachable(describe(exc)) from exc

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.chunks()])

    async def aclose(self) -> None:
        await self.response.aclose()
