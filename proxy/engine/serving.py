"""How uvicorn serves the proxy: connection limits uvicorn has, and the ones it lacks (issue 8, finding 5).

``uvicorn_options(settings)`` is what ``klaviyo-compat serve`` passes to uvicorn (tests build their
servers with it too):

* ``limit_concurrency`` = ``max_connections``: beyond it uvicorn answers 503 at once;
* ``timeout_keep_alive`` = ``keep_alive_timeout``: an idle kept-alive connection closes after it.
  It is longer than client pools keep idle connections (httpx 5 s, aiohttp 15 s, Node 5 s,
  urllib3/requests until the server closes), so the client closes first and never reuses a
  connection the proxy is closing (a load run saw 0.12 % read errors with uvicorn's 5 s);
* ``h11_max_incomplete_event_size`` = ``max_header_bytes`` (the h11 parser's own header cap);
* ``http``: uvicorn's httptools protocol with what it does not enforce itself: a header-read
  timeout (a connection that has not sent complete headers ``header_timeout`` seconds after it
  opened or after its previous response is closed: 200 slow connections no longer stay open)
  and caps on header bytes and header count (a 431 and close; an 8 MB header and 10,000 headers
  were accepted).
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from proxy.settings import Settings


class _Refused(Exception):
    """Raised inside a parser callback to stop parsing a request we refuse."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol plus a header-read timeout and header size/count caps."""

    header_timeout: float = 10.0
    max_header_bytes: int = 32_768
    max_header_count: int = 100

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._head_bytes = 0
        # Loop time the head being read began (connection made, or its first byte); None while
        # idle between requests (uvicorn's keep-alive timeout closes an idle connection).
        self._head_started: float | None = None
        self._head_count = self._head_size = 0
        self._awaiting_head = True
        self._refusal: bytes | None = None
        self._head_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._awaiting_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._awaiting_head and self._head_bytes > self.max_header_bytes and self._refusal is None:
            self._refuse(b"431 Request Header Fields Too Large")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._awaiting_head = True
        self._head_count = self._head_size = 0
        self._head_started = self.loop.time()
        if self._head_timer is None:
            self._arm_head_timer()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_count += 1
        self._head_size += len(name) + len(value) + 4
        if self._head_count > self.max_header_count or self._head_size > self.max_header_bytes:
            self._refusal = b"431 Request Header Fields Too Large"
            raise _Refused("header fields too many or too large")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        # The head timer stays armed: it looks again when it fires (a timer per request was a
        # call_later and a cancel on every call).
        self._awaiting_head = False
        self._head_bytes = 0
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._awaiting_head = True
            self._head_bytes = 0
            # The keep-alive timeout (uvicorn's) closes an idle connection; a request that starts
            # but never completes its headers is closed by ours (timed from its first byte).
            self._head_started = None

    def send_400_response(self, msg: str) -> None:
        if self._refusal is not None:  # our own refusal, raised from a parser callback
            self._refuse(self._refusal)
            return
        super().send_400_response(msg)

    def _refuse(self, status: bytes) -> None:
        """Answer ``status`` and close (never reaches the app: a transport-level refusal)."""
        self._refusal = status
        self._cancel_head_timer()
        if self.transport.is_closing():
            return
        body = status[4:]
        self.transport.write(
            b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body
        )
        self.transport.close()

    def _arm_head_timer(self, delay: float | None = None) -> None:
        self._cancel_head_timer()
        if delay is None:
            self._head_started = self.loop.time()
            delay = self.header_timeout
        self._head_timer = self.loop.call_later(delay, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        started = self._head_started
        if started is None or not self._awaiting_head or self.transport.is_closing():
            return  # idle between requests, or the head was read in time: armed again at the next
        left = started + self.header_timeout - self.loop.time()
        if left > 0:  # this head began after the timer was armed: its own time is not up yet
            self._arm_head_timer(left)
            return
        self._refuse(b"408 Request Timeout")


def guarded_protocol(settings: Settings) -> type[GuardedHttpToolsProtocol]:
    """The protocol class with ``settings``' limits (uvicorn instantiates it per connection)."""
    return type(
        "GuardedHttpToolsProtocol",
        (GuardedHttpToolsProtocol,),
        {
            "header_timeout": settings.header_timeout,
            "max_header_bytes": settings.max_header_bytes,
            "max_header_count": settings.max_header_count,
        },
    )


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` / ``uvicorn.Config`` (besides the app and the address)."""
    return {
        "http": guarded_protocol(settings),
        "limit_concurrency": settings.max_connections,
        "timeout_keep_alive": settings.keep_alive_timeout,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "access_log": False,  # replaced by our redacted access line
        "log_config": None,
        "server_header": False,
        "proxy_headers": False,
    }


# Young-generation threshold: a request allocates a few hundred container objects, nearly all
# freed by reference counting; collecting every 700 allocations (the default) ran the young
# collector several times per request for nothing.
GC_THRESHOLDS = (20_000, 50, 100)


def tune_gc() -> None:
    """Before serving: what start-up built (modules, the registry, spec tables) is frozen out of
    the cyclic collector, and the young generation is collected less often.

    Measured with ``compare.sh``'s identify row (c=32): p99 29.6 ms -> 12.2 ms (full collections
    walked every start-up object: the latency tail) and 6 % less CPU per request. Garbage cycles
    are still collected; objects made after start-up are not frozen.
    """
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
