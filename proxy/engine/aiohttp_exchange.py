"""The production ``Exchange``: aiohttp used directly, one ``ClientSession`` per pool.

What each setting is for:

* ``TCPConnector(limit=size)``: the pool's bound (``pool_size``, ``passthrough_pool_size``); idle
  connections are kept ``KEEPALIVE`` seconds, as httpx kept them before issue 10.
* ``DummyCookieJar``: key-authenticated calls never carry a cookie from one caller to another
  (issue 8, finding 2). No ``Expect`` is ever sent (finding 4): aiohttp adds it only when asked.
* ``skip_auto_headers``: the pass-through sends exactly the caller's end-to-end headers (no
  User-Agent, Accept or Accept-Encoding of ours); translated calls keep aiohttp's defaults.
* ``auto_decompress``: translated answers are decoded (we asked for gzip); pass-through bodies
  travel encoded, as the caller asked for them.
* ``tls``: the certificate authorities upstream certificates are checked against (the pools use
  httpx's choice: ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` when set, else certifi's bundle).
* Timeouts: ``connect_timeout`` for the TCP connect, ``read_timeout`` between reads and for
  waiting on a free pooled connection (httpx's ``pool`` timeout before issue 10).
* Errors: every aiohttp failure is ``Unreachable`` whose reason starts with the name of what
  happened (``ConnectError``, ``ReadTimeout``, ``RemoteProtocolError`` …, the names the logs and
  the tests used since issue 8), followed by aiohttp's own exception.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Mapping

import aiohttp
from aiohttp import http_exceptions
from yarl import URL

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

KEEPALIVE = 5.0
PASSTHROUGH_SKIPPED = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")
CHUNK = 64 * 1024

# Most specific first: the first class an exception is an instance of names it.
NAMES: tuple[tuple[type[BaseException], str], ...] = (
    (aiohttp.ConnectionTimeoutError, "ConnectTimeout"),
    (aiohttp.ServerTimeoutError, "ReadTimeout"),
    (aiohttp.ClientConnectorError, "ConnectError"),  # refused, unreachable, DNS
    (aiohttp.ServerDisconnectedError, "RemoteProtocolError"),
    (aiohttp.ClientPayloadError, "ReadError"),
    (aiohttp.ClientResponseError, "RemoteProtocolError"),  # a malformed answer
    (http_exceptions.HttpProcessingError, "RemoteProtocolError"),
    (aiohttp.ClientOSError, "ReadError"),  # reset by peer
    (aiohttp.ClientError, "NetworkError"),
    (TimeoutError, "ReadTimeout"),
    (OSError, "NetworkError"),
)
FAILURES = (aiohttp.ClientError, http_exceptions.HttpProcessingError, OSError)


def named(exc: BaseException) -> str:
    """The reason ``exc`` gives a caller's log: ``Name: message <- AiohttpType: message``."""
    name = next((label for kind, label in NAMES if isinstance(exc, kind)), "NetworkError")
    text = str(exc).strip() or type(exc).__name__
    return f"{name}: {text} <- {describe(exc)}"[:300]


def header_text(value: bytes) -> str:
    """A caller's header value for aiohttp (which sends text as UTF-8): its UTF-8 text when it is
    UTF-8, so the same bytes go out, else each byte as one character (as httpx did)."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


class AiohttpExchange:
    """One pool of ``size`` connections to ``base``; ``headers`` go with every ``send``."""

    def __init__(
        self,
        base: str,
        *,
        size: int,
        connect_timeout: float,
        read_timeout: float,
        headers: Mapping[str, str] | None = None,
        passthrough: bool = False,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.base = base.rstrip("/")
        self.headers: Mapping[str, str] = dict(headers or {})
        timeout = aiohttp.ClientTimeout(
            total=None, connect=read_timeout, sock_connect=connect_timeout, sock_read=read_timeout
        )
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=size, keepalive_timeout=KEEPALIVE, ssl=tls or True),
            cookie_jar=aiohttp.DummyCookieJar(),
            headers=self.headers,
            skip_auto_headers=PASSTHROUGH_SKIPPED if passthrough else None,
            auto_decompress=not passthrough,
            timeout=timeout,
            trust_env=False,
            requote_redirect_url=False,
        )

    @property
    def closed(self) -> bool:
        return self.session.closed

    async def send(self, method: str, target: str, headers: Mapping[str, str], body: bytes | None) -> Answer:
        try:
            response = await self.session.request(
                method,
                URL(self.base + target, encoded=True),
                headers=headers,
                data=body,
                allow_redirects=False,
            )
            try:
                content = await response.read()
            finally:
                response.release()
        except FAILURES as exc:
            raise self._failed(exc) from exc
        except RuntimeError as exc:  # "Session is closed"
            if not self.session.closed:
                raise
            raise ShuttingDown("the proxy is shutting down") from exc
        return Answer(response.status, lower_joined(response.headers.items()), content)

    async def open(self, method: str, target: str, headers: RawHeaders, body: Body) -> AiohttpStream:
        # Lower-case names: aiohttp keeps a repeated header only when its spellings are equal.
        sent = [(name.decode("latin-1").lower(), header_text(value)) for name, value in headers]
        try:
            response = await self.session.request(
                method, URL(self.base + target, encoded=True), headers=sent, data=body, allow_redirects=False
            )
        except FAILURES as exc:
            raise self._failed(exc) from exc
        except ValueError as exc:  # a header aiohttp will not write (a line break in a value)
            raise Unsendable(str(exc)) from exc
        except RuntimeError as exc:
            if not self.session.closed:
                raise
            raise ShuttingDown("the proxy is shutting down") from exc
        return AiohttpStream(response)

    def _failed(self, exc: BaseException) -> Unreachable:
        """The pool closed under the call (shutdown), or the upstream failed: named."""
        return ShuttingDown("the proxy is shutting down") if self.session.closed else Unreachable(named(exc))

    async def aclose(self) -> None:
        await self.session.close()


class AiohttpStream:
    """A pass-through answer: head received, body read whole or in chunks, undecoded."""

    __slots__ = ("headers", "response", "status")

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.status = response.status
        self.headers: RawHeaders = response.raw_headers

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.response.content.iter_chunked(CHUNK):
                yield chunk
        except FAILURES as exc:
            raise Unreachable(named(exc)) from exc

    async def read(self) -> bytes:
        try:
            return await self.response.read()
        except FAILURES as exc:
            raise Unreachable(named(exc)) from exc

    async def aclose(self) -> None:
        self.response.release()  # back to the pool when read to the end, else closed
