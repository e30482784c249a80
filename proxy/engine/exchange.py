"""The seam between the proxy and the network: one request out, one answer back.

``Upstream`` (translated calls) and ``passthrough.forward`` (new-API calls) talk to the new API
only through an ``Exchange``, one per connection pool. Three implementations:

* ``proxy.engine.h1_exchange``: the production client (``transport = "h1"``), HTTP/1.1 on asyncio
  protocols and httptools' parser (issue 10: aiohttp's client side cost ~90 µs of CPU per call);
* ``proxy.engine.aiohttp_exchange``: aiohttp used directly (``transport = "aiohttp"``; issue 10:
  httpx's request and response models over an aiohttp transport cost about twice aiohttp's own CPU);
* ``proxy.engine.httpx_exchange``: any httpx transport (``Overrides.transport``: the tests'
  ``httpx.MockTransport``, the embedded sandbox's ASGI app, ``transport = "httpx"``'s httpcore pool).

Either way the proxy sends no cookies and no ``Expect`` (issue 8, findings 2 and 4), and every
failure to get an answer is ``Unreachable`` with a reason naming it (``ConnectError: …``, never a
refused connection called a timeout, finding 7).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

RawHeaders = Sequence[tuple[bytes, bytes]]
Body = bytes | AsyncIterable[bytes] | None


class Unreachable(Exception):
    """No (complete) answer: refused, reset, timed out, malformed. ``str()`` is the named reason."""


class ShuttingDown(Unreachable):
    """The pool was closed under the call (shutdown after its grace period)."""


class Unsendable(ValueError):
    """The request cannot be sent as given (a header value with a line break, …): the caller's input."""


@dataclass(slots=True)
class Answer:
    """A whole answer. ``headers``: lower-case names, a repeated header's values joined by ``", "``."""

    status: int
    headers: dict[str, str]
    body: bytes


class Streamed(Protocol):
    """An answer whose head has arrived; its body is read once, whole or in chunks, then closed."""

    status: int
    headers: RawHeaders  # as received: names and values in bytes, repeats kept

    def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives (undecoded); ``Unreachable`` if the upstream breaks off."""
        ...

    async def read(self) -> bytes:
        """The whole body (undecoded); ``Unreachable`` if the upstream breaks off."""
        ...

    async def aclose(self) -> None: ...


class Exchange(Protocol):
    """One connection pool to the new API.

    ``target`` is the percent-encoded path and query (``/api/x/?a=b``), appended to ``base``.
    ``send`` carries translated calls: ``headers`` add to (or replace) the pool's own; the body is
    decoded (gzip). ``open`` carries the pass-through: exactly ``headers`` (plus Host and the
    framing), the body streamed both ways and left encoded.
    """

    base: str
    headers: Mapping[str, str]  # the pool's own, sent with every ``send``

    @property
    def closed(self) -> bool: ...

    async def send(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None
    ) -> Answer: ...

    async def open(self, method: str, target: str, headers: RawHeaders, body: Body) -> Streamed: ...

    async def aclose(self) -> None: ...


def lower_joined(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header pairs as ``Answer.headers``: lower-case names, repeated values joined by ``", "``."""
    out: dict[str, str] = {}
    for name, value in items:
        name = name.lower()
        if name in out:
            out[name] = out[name] + ", " + value
        else:
            out[name] = value
    return out


def describe(exc: BaseException) -> str:
    """``Type: message`` of ``exc`` and of what caused it, for the log (a reason, not a traceback)."""
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(parts) < 3:
        text = str(seen).strip()
        parts.append(f"{type(seen).__name__}: {text}" if text else type(seen).__name__)
        seen = seen.__cause__
    return " <- ".join(parts)[:300]
