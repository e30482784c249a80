"""A lean ``Exchange`` (``transport = "h1"``): HTTP/1.1 on asyncio protocols and httptools' parser.

Issue 10: aiohttp's client side (request and response models, payload registry, stream writer,
timers) cost about 90 µs of CPU per translated call; the proxy's upstream calls are simpler than
what aiohttp is built for: one base URL, keep-alive, small JSON bodies. Same contract and the same
rules as ``AiohttpExchange`` (``proxy.engine.exchange``):

* A pool of at most ``size`` connections (``proxy.engine.h1_connection``); callers beyond it wait
  in turn (FIFO) up to ``read_timeout`` (then ``ConnectTimeout``). An idle connection is kept
  ``KEEPALIVE`` seconds, dropped when the server closes it; an answer with ``Connection: close``,
  HTTP/1.0, read until close, to a HEAD, or whose body was not read to its end, is not reused.
* The keep-alive race: a reused idle connection may have been closed by the server just as the
  request went out. When such a connection fails before any byte of the answer arrived, an
  idempotent call (GET, HEAD, PUT, DELETE, OPTIONS) with a body in hand is retried once on a fresh
  connection; any other call is ``Unreachable`` (never sent twice: the spool and retry layers
  above decide).
* What goes out: one ``write`` of head and body for ``send``; ``Host`` (with a port unless the
  default); ``send`` adds the pool's headers, then the call's (replacing the pool's of the same
  name) and the automatic ones aiohttp sent (``Accept: */*``, ``Accept-Encoding: gzip, deflate``,
  ``Content-Type: application/octet-stream`` for a POST/PUT/PATCH or a body without one) with
  this proxy's own ``User-Agent`` (``klaviyo-compat/<version> Python/<x.y>``), decoding
  gzip/deflate answers; ``open`` sends exactly the caller's headers and leaves the body as
  received. ``Content-Length`` for a body (``0`` for a body-less method other
  than GET/HEAD/OPTIONS/TRACE), chunked for a streamed body without one. No cookie, never
  ``Expect``. A line break or NUL in a header or the target: ``Unsendable``, nothing written.
* Timeouts: ``connect_timeout`` for TCP (and TLS) setup, ``read_timeout`` for each wait on the
  answer's next bytes (aiohttp's ``sock_read``). Failures are named as aiohttp_exchange names them.
"""

from __future__ import annotations

import asyncio
import ssl
import sys
import zlib
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urlsplit

from proxy.engine.exchange import Answer, Body, RawHeaders, ShuttingDown, Unreachable, Unsendable, describe
from proxy.engine.h1_connection import Failure, H1Connection

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
AUTO = ("accept", "accept-encoding", "user-agent", "content-type", "content-length")
SHUTDOWN = "the proxy is shutting down"


def user_agent() -> str:
    """What translated calls name themselves to the new API: this proxy and its version."""
    try:
        release = version("klaviyo-compat")
    except PackageNotFoundError:  # a checkout that was never installed
        release = "dev"
    return f"klaviyo-compat/{release} Python/{sys.version_info[0]}.{sys.version_info[1]}"


USER_AGENT = user_agent()


def reason(failure: Failure) -> str:
    return f"{failure} <- {describe(failure.cause)}"[:300]


def decoded(body: bytes, encoding: bytes) -> bytes:
    """``body`` decoded as aiohttp does (gzip, deflate with or without zlib's header)."""
    coding = encoding.strip().lower()
    try:
        if coding in (b"gzip", b"x-gzip"):
            return zlib.decompress(body, 16 + zlib.MAX_WBITS)
        if coding == b"deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, -zlib.MAX_WBITS)
    except zlib.error as exc:
        raise Unreachable(f"ReadError: cannot decode a {coding!r} body <- {describe(exc)}"[:300]) from exc
    return body


class H1Exchange:
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
        url = urlsplit(self.base)
        secure = url.scheme == "https"
        self._host = url.hostname or ""
        self._port = url.port or (443 if secure else 80)
        authority = url.netloc.rpartition("@")[2]
        if url.port is not None and url.port == (443 if secure else 80):
            authority = authority.rpartition(":")[0]
        self._authority = authority
        self._prefix = url.path
        self._tls = (tls or ssl.create_default_context()) if secure else None
        self._size = size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._passthrough = passthrough
        self._pool_names = {name.lower() for name in self.headers}
        self._auto = {
            "accept": "Accept: */*\r\n",
            "accept-encoding": "Accept-Encoding: gzip, deflate\r\n",
            "user-agent": f"User-Agent: {USER_AGENT}\r\n",
        }
        auto = "" if passthrough else "".join(v for k, v in self._auto.items() if k not in self._pool_names)
        self._fixed = f"Host: {authority}\r\n" + self._lines(self.headers.items())
        self._auto_text = auto
        self._idle: list[H1Connection] = []
        self._all: set[H1Connection] = set()
        self._waiters: deque[asyncio.Future[H1Connection | None]] = deque()
        self._count = 0
        self._closed = False

    @staticmethod
    def _lines(items: object) -> str:
        return "".join(f"{name}: {value}\r\n" for name, value in items)  # type: ignore[attr-defined]

    @property
    def closed(self) -> bool:
        return self._closed

    # What goes out.

    def _send_head(self, method: str, target: str, headers: Mapping[str, str], body: bytes | None) -> bytes:
        fixed, auto = self._fixed, self._auto_text
        given = ""
        if headers:
            names = {name.lower() for name in headers}
            if not names.isdisjoint(self._pool_names):
                kept = ((k, v) for k, v in self.headers.items() if k.lower() not in names)
                fixed = f"Host: {self._authority}\r\n" + self._lines(kept)
            if not names.isdisjoint(AUTO) and not self._passthrough:
                auto = "".join(
                    v for k, v in self._auto.items() if k not in names and k not in self._pool_names
                )
            given = self._lines(headers.items())
        else:
            names = set()
        if body is not None:
            framing = f"Content-Length: {len(body)}\r\n" if "content-length" not in names else ""
        elif method not in NO_BODY_METHODS and "content-length" not in names:
            framing = "Content-Length: 0\r\n"
        else:
            framing = ""
        if (
            not self._passthrough
            and (body is not None or method in BODY_METHODS)
            and "content-type" not in names
            and "content-type" not in self._pool_names
        ):
            framing += "Content-Type: application/octet-stream\r\n"
        text = f"{method} {self._prefix}{target} HTTP/1.1\r\n{fixed}{given}{auto}{framing}\r\n"
        lines = 2 + fixed.count("\n") + len(headers) + auto.count("\n") + framing.count("\n")
        if text.count("\n") != lines or text.count("\r") != lines or "\0" in text:
            raise Unsendable("a line break or NUL in a header or the target")
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise Unsendable(str(exc)) from exc

    def _open_head(self, method: str, target: str, headers: RawHeaders, body: Body) -> tuple[bytes, bool]:
        """The head for the pass-through, and whether the body goes chunked."""
        names = {name.lower() for name, _ in headers}
        lines = [f"{method} {self._prefix}{target} HTTP/1.1\r\nHost: {self._authority}\r\n".encode()]
        for name, value in headers:
            lines.append(name.lower() + b": " + value + b"\r\n")
        chunked = False
        if b"content-length" in names or b"transfer-encoding" in names:
            chunked = b"transfer-encoding" in names and b"content-length" not in names
        elif isinstance(body, bytes):
            lines.append(b"Content-Length: %d\r\n" % len(body))
        elif body is not None:
            lines.append(b"Transfer-Encoding: chunked\r\n")
            chunked = True
        elif method not in NO_BODY_METHODS:
            lines.append(b"Content-Length: 0\r\n")
        lines.append(b"\r\n")
        head = b"".join(lines)
        count = len(lines) + 1
        if head.count(b"\n") != count or head.count(b"\r") != count or b"\0" in head:
            raise Unsendable("a line break or NUL in a header or the target")
        return head, chunked

    # The calls.

    async def send(self, method: str, target: str, headers: Mapping[str, str], body: bytes | None) -> Answer:
        if self._closed:
            raise ShuttingDown(SHUTDOWN)
        data = self._send_head(method, target, headers, body)
        if body:
            data += body
        conn = await self._exchange(method, data, None, False, False)
        try:
            content = b"".join(conn.body)
            out: dict[str, str] = {}
            encoding = None
            for raw_name, raw_value in conn.headers:
                name = raw_name.decode("latin-1").lower()
                value = raw_value.decode("utf-8", "surrogateescape")
                out[name] = out[name] + ", " + value if name in out else value
                if name == "content-encoding" and not self._passthrough:
                    encoding = raw_value
            if encoding is not None and content:
                content = decoded(content, encoding)
            return Answer(conn.status, out, content)
        finally:
            self._release(conn, conn.keep)

    async def open(self, method: str, target: str, headers: RawHeaders, body: Body) -> H1Stream:
        if self._closed:
            raise ShuttingDown(SHUTDOWN)
        head, chunked = self._open_head(method, target, headers, body)
        if isinstance(body, bytes):
            conn = await self._exchange(method, head + body, None, False, True)
        elif body is None:
            conn = await self._exchange(method, head, None, False, True)
        else:
            conn = await self._exchange(method, head, body, chunked, True)
        return H1Stream(self, conn)

    async def _exchange(
        self, method: str, data: bytes, more: AsyncIterable[bytes] | None, chunked: bool, stream: bool
    ) -> H1Connection:
        """Send on a pooled connection; the connection once the answer (or its head) is in."""
        conn = await self._acquire()
        head_only = method == "HEAD"
        try:
            try:
                await self._roundtrip(conn, data, more, chunked, head_only, stream)
            except Failure as failure:
                if not (failure.early and conn.reused and more is None and method in IDEMPOTENT):
                    raise
                conn.counted = False  # the fresh connection takes over its slot
                self._all.discard(conn)
                conn.close()
                conn = await self._connect()
                await self._roundtrip(conn, data, more, chunked, head_only, stream)
        except Failure as failure:
            self._release(conn, False)
            if self._closed:
                raise ShuttingDown(SHUTDOWN) from failure
            raise Unreachable(reason(failure)) from failure
        except BaseException:
            self._release(conn, False)
            raise
        return conn

    async def _roundtrip(
        self,
        conn: H1Connection,
        data: bytes,
        more: AsyncIterable[bytes] | None,
        chunked: bool,
        head_only: bool,
        stream: bool,
    ) -> None:
        if conn.closed:
            raise Failure("RemoteProtocolError", ConnectionError("Server disconnected"), early=True)
        answered = conn.start(data, head_only=head_only, stream=stream)
        if more is not None:
            async for chunk in more:
                if chunk:
                    await conn.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
            if chunked:
                await conn.write(b"0\r\n\r\n")
        await answered

    # The pool.

    async def _acquire(self) -> H1Connection:
        idle = self._idle
        while idle:
            conn = idle.pop()
            if not conn.closed:
                conn.busy = True  # its owner's now: a close no longer frees its slot
                return conn
        if self._count < self._size:
            self._count += 1
            return await self._connect()
        waiter: asyncio.Future[H1Connection | None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(self._read_timeout):
                got = await waiter
        except TimeoutError as exc:
            raise Unreachable(f"ConnectTimeout: no free connection within {self._read_timeout} s") from exc
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                handed = waiter.result()
                if handed is None:
                    self._free_slot()
                else:
                    self._release(handed, True)
            raise
        return got if got is not None else await self._connect()

    async def _connect(self) -> H1Connection:
        """A new connection in a slot already counted (given back when the connect fails)."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._connect_timeout):
                _, conn = await loop.create_connection(
                    lambda: H1Connection(loop, self._read_timeout, self._lost),
                    self._host,
                    self._port,
                    ssl=self._tls,
                    server_hostname=self._host if self._tls is not None else None,
                )
        except TimeoutError as exc:
            self._free_slot()
            late = TimeoutError(f"no connection within {self._connect_timeout} s")
            failure = Failure("ConnectTimeout", late, early=True)
            raise Unreachable(reason(failure)) from exc
        except OSError as exc:  # refused, unreachable, DNS, TLS (certificate)
            self._free_slot()
            if self._closed:
                raise ShuttingDown(SHUTDOWN) from exc
            raise Unreachable(reason(Failure("ConnectError", exc, early=True))) from exc
        except BaseException:
            self._free_slot()
            raise
        self._all.add(conn)
        if self._closed:
            self._release(conn, False)
            raise ShuttingDown(SHUTDOWN)
        return conn

    def _release(self, conn: H1Connection, reusable: bool) -> None:
        if reusable and conn.complete and not conn.closed and not self._closed:
            conn.idle()
            waiters = self._waiters
            while waiters:
                waiter = waiters.popleft()
                if not waiter.done():
                    conn.busy = True  # handed over: a close until its next call is its new owner's
                    waiter.set_result(conn)
                    return
            self._idle.append(conn)
            return
        conn.close()
        self._forget(conn)

    def _lost(self, conn: H1Connection) -> None:
        """``conn`` was closed (by either side): an idle one's slot is free; a busy one's owner
        frees it on release (or hands it to the fresh connection of a retry)."""
        if not conn.busy:
            self._forget(conn)

    def _forget(self, conn: H1Connection) -> None:
        if conn.counted:
            conn.counted = False
            self._all.discard(conn)
            if conn in self._idle:
                self._idle.remove(conn)
            self._free_slot()

    def _free_slot(self) -> None:
        waiters = self._waiters
        while waiters and not self._closed:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes to the first in line, who connects
                return
        self._count -= 1

    async def aclose(self) -> None:
        self._closed = True
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(ShuttingDown(SHUTDOWN))
        for conn in list(self._all):
            conn.close()
        self._idle.clear()
        await asyncio.sleep(0)


class H1Stream:
    """A pass-through answer: head received, body read whole or in chunks, undecoded."""

    __slots__ = ("_conn", "_done", "_exchange", "headers", "status")

    def __init__(self, exchange: H1Exchange, conn: H1Connection) -> None:
        self._exchange = exchange
        self._conn = conn
        self._done = False
        self.status = conn.status
        self.headers: RawHeaders = conn.headers

    async def chunks(self) -> AsyncIterator[bytes]:
        conn = self._conn
        while True:
            chunk = conn.take()
            if chunk is not None:
                yield chunk
            elif conn.complete:
                return
            elif conn.error is not None:
                if self._exchange.closed:
                    raise ShuttingDown(SHUTDOWN) from conn.error
                raise Unreachable(reason(conn.error)) from conn.error
            else:
                await conn.wait()

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.chunks()])

    async def aclose(self) -> None:
        if not self._done:
            self._done = True
            conn = self._conn
            self._exchange._release(conn, conn.keep and conn.complete and not conn.body)
