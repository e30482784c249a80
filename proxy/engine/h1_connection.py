"""One upstream HTTP/1.1 connection: an asyncio ``Protocol`` around ``httptools.HttpResponseParser``
(the parser uvicorn uses), for ``H1Exchange`` (``proxy.engine.h1_exchange``).

One exchange at a time. ``start`` writes a request and returns a future resolved when the answer is
complete (``send``) or when its head has arrived (``open``: the body then streams through ``take``
and ``wait``, reading paused while more than ``HIGH_WATER`` bytes wait for the consumer).

One timer per connection, re-armed lazily: activity only stores the time, and when the timer fires
it either acts (``ReadTimeout`` while an answer is awaited, closing once idle ``KEEPALIVE`` seconds)
or re-arms itself at the deadline the activity moved it to.

Every failure is a ``Failure`` naming it (the names of ``aiohttp_exchange``): ``ReadTimeout``,
``ReadError`` (reset, or the body cut short), ``RemoteProtocolError`` (closed before answering, a
malformed answer). ``early``: no byte of the answer had arrived (the keep-alive race when the
connection was reused; ``H1Exchange`` retries an idempotent call once).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httptools

KEEPALIVE = 5.0  # seconds an idle connection is kept, as aiohttp_exchange
HIGH_WATER = 256 * 1024  # bytes of a streamed answer buffered before reading pauses
MAX_FIELD = 8190  # a header's name and value, as aiohttp's parser bounds them
MAX_HEAD = 64 * 1024  # the status line and all headers of one answer


class Failure(Exception):
    """One exchange failed: ``name`` heads the reason, ``cause`` is what happened."""

    def __init__(self, name: str, cause: BaseException, *, early: bool) -> None:
        super().__init__(f"{name}: {cause}")
        self.name = name
        self.cause = cause
        self.early = early


class TooLarge(Exception):
    """An answer's head beyond ``MAX_FIELD`` / ``MAX_HEAD``."""


def _framing(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the answer declares its length (Content-Length or chunked), else it ends at close."""
    for name, _ in headers:
        if len(name) in (14, 17) and name.lower() in (b"content-length", b"transfer-encoding"):
            return True
    return False


class H1Connection(asyncio.Protocol):
    """The protocol of one pooled connection; ``on_lost(self)`` tells the pool it is gone."""

    def __init__(self, loop: asyncio.AbstractEventLoop, read_timeout: float, on_lost: Callable[[Any], None]):
        self.loop = loop
        self.read_timeout = read_timeout
        self.on_lost = on_lost
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.counted = True  # holds one of the pool's slots
        self.reused = False  # has answered before: may have been closed by the server while idle
        self.busy = False
        self.idle_since = 0.0
        self.last = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self.timer_at = 0.0
        self.drained: asyncio.Future[None] | None = None
        self.write_paused = False
        self.paused = False
        self._answer(False, False)

    def _answer(self, head_only: bool, stream: bool) -> None:
        self.head_only = head_only
        self.stream = stream
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.buffered = 0
        self.head_bytes = 0
        self.head_done = False
        self.complete = False
        self.informational = False
        self.until_close = False
        self.got_bytes = False
        self.keep = False
        self.error: Failure | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.more: asyncio.Future[None] | None = None

    # The exchange's side.

    def start(self, data: bytes, *, head_only: bool = False, stream: bool = False) -> asyncio.Future[None]:
        """Write ``data`` (head and body, or the head of a streamed body) and await the answer."""
        self._answer(head_only, stream)
        self.busy = True
        self.waiter = waiter = self.loop.create_future()
        self.last = now = self.loop.time()
        deadline = now + self.read_timeout
        if self.timer is None or self.timer_at > deadline:
            self._arm(deadline)
        assert self.transport is not None
        self.transport.write(data)
        return waiter

    async def write(self, data: bytes) -> None:
        """More of a streamed request body, with the transport's flow control."""
        if self.error is not None:
            raise self.error
        assert self.transport is not None
        self.transport.write(data)
        self.last = self.loop.time()  # the caller's upload is no silence of the upstream
        if self.write_paused:
            self.drained = self.loop.create_future()
            await self.drained
        if self.error is not None:
            raise self.error

    def take(self) -> bytes | None:
        """What arrived of a streamed body and was not taken yet (``None``: nothing)."""
        body = self.body
        if not body:
            return None
        chunk = body[0] if len(body) == 1 else b"".join(body)
        self.body = []
        self.buffered = 0
        if self.paused and not self.closed:
            self.paused = False
            self.last = self.loop.time()
            assert self.transport is not None
            self.transport.resume_reading()
        return chunk

    async def wait(self) -> None:
        """Until more of a streamed body arrives, it ends, or it fails."""
        if self.body or self.complete or self.error is not None:
            return
        self.more = self.loop.create_future()
        await self.more

    def idle(self) -> None:
        """Back in the pool, answered in full."""
        self.busy = False
        self.reused = True
        self.idle_since = now = self.loop.time()
        if self.timer is None or self.timer_at > now + KEEPALIVE:
            self._arm(now + KEEPALIVE)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.transport is not None:
                self.transport.close()

    # The event loop's side.

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if not self.busy or self.complete:  # nothing was asked: the connection is out of step
            self.keep = False
            self.close()
            return
        self.got_bytes = True
        self.last = self.loop.time()
        if not self.head_done:
            self.head_bytes += len(data)
        try:
            self.parser.feed_data(data)
            if self.head_bytes > MAX_HEAD and not self.head_done:
                raise TooLarge(f"an answer head beyond {MAX_HEAD} bytes")
        except Exception as exc:  # httptools.HttpParserError, TooLarge, from a callback
            self._fail("RemoteProtocolError", exc)

    def eof_received(self) -> bool:
        return False  # close; connection_lost decides what the end means

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.busy and not self.complete:
            if exc is None and self.head_done and self.until_close:
                self.keep = False
                self._finish()
            elif exc is not None:
                self._fail("ReadError", exc)
            elif self.head_done:
                self._fail("ReadError", ConnectionError("the answer's body was cut short"))
            else:
                self._fail("RemoteProtocolError", ConnectionError("Server disconnected"))
        self._wake_writer()
        self.on_lost(self)

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        self._wake_writer()

    def _wake_writer(self) -> None:
        drained, self.drained = self.drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    # The parser's callbacks.

    def on_message_begin(self) -> None:
        self.headers = []

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(name) + len(value) > MAX_FIELD:
            raise TooLarge(f"a header beyond {MAX_FIELD} bytes")
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200 and status != 101:  # informational: the answer follows
            self.informational = True
            return
        self.status = status
        self.head_done = True
        if self.head_only:  # no body follows a HEAD answer; the parser cannot be told: not reused
            self._finish()
            return
        self.until_close = status not in (204, 304) and not _framing(self.headers)
        if self.stream:
            self._wake()

    def on_body(self, body: bytes) -> None:
        if self.head_only or not body:
            return
        self.body.append(body)
        if self.stream:
            self.buffered += len(body)
            if self.buffered > HIGH_WATER and not self.paused:
                self.paused = True
                assert self.transport is not None
                self.transport.pause_reading()
            more = self.more
            if more is not None and not more.done():
                more.set_result(None)

    def on_message_complete(self) -> None:
        if self.informational:
            self.informational = False
            return
        if self.complete:
            return
        self.keep = self.parser.should_keep_alive() and not self.until_close
        self._finish()

    # Outcomes.

    def _finish(self) -> None:
        self.complete = True
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        more = self.more
        if more is not None and not more.done():
            more.set_result(None)

    def _fail(self, name: str, cause: BaseException) -> None:
        if self.error is None and not self.complete:
            self.error = failure = Failure(name, cause, early=not self.got_bytes)
            waiter = self.waiter
            if waiter is not None and not waiter.done():
                waiter.set_exception(failure)
                waiter.exception()  # retrieved: a caller that gave up must not log it
            more = self.more
            if more is not None and not more.done():
                more.set_result(None)
        self.keep = False
        self.close()

    def _arm(self, when: float) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer = self.loop.call_at(when, self._tick)
        self.timer_at = when

    def _tick(self) -> None:
        self.timer = None
        if self.closed:
            return
        now = self.loop.time()
        if self.busy:
            if self.complete or self.paused or (self.stream and self.body):
                self.last = now  # the consumer's turn, not the upstream's
            deadline = self.last + self.read_timeout
            if now >= deadline:
                self._fail("ReadTimeout", TimeoutError(f"no byte of the answer for {self.read_timeout} s"))
                return
        else:
            deadline = self.idle_since + KEEPALIVE
            if now >= deadline:
                self.close()
                return
        self._arm(deadline)
