"""The upstream connection pools, built from settings: one for translated legacy calls, one for the
pass-through, so neither can starve the other (issue 8, finding 8).

In production each is an ``H1Exchange`` (HTTP/1.1 on asyncio protocols and httptools, the default
``transport = "h1"``) or, with ``transport = "aiohttp"``, an ``AiohttpExchange``; with
``transport = "httpx"``, or a transport injected for tests or the embedded sandbox
(``Overrides.transport``), an ``HttpxExchange``. Both keep no cookies, send no ``Expect`` and name
every failure (``proxy.engine.exchange``).
"""

from __future__ import annotations

import httpx

from proxy.engine.aiohttp_exchange import AiohttpExchange
from proxy.engine.exchange import Exchange
from proxy.engine.h1_exchange import H1Exchange
from proxy.engine.httpx_exchange import HttpcorePool, HttpxExchange
from proxy.engine.upstream import JSONAPI
from proxy.settings import Settings

NO_UPSTREAM = "http://sandbox.invalid"  # an injected transport answers whatever the host


def build_pool(
    settings: Settings, *, passthrough: bool = False, transport: httpx.AsyncBaseTransport | None = None
) -> Exchange:
    """The translating pool (``pool_size``; revision and accept headers on every call) or the
    pass-through pool (``passthrough_pool_size``; the caller's headers only), over ``transport``
    when one is given. An aiohttp pool must be built on the event loop that uses it."""
    size = settings.passthrough_pool_size if passthrough else settings.pool_size
    base = settings.upstream or NO_UPSTREAM
    headers = None if passthrough else {"revision": settings.revision, "accept": JSONAPI}
    if transport is None and settings.transport in ("aiohttp", "h1"):
        kind = AiohttpExchange if settings.transport == "aiohttp" else H1Exchange
        return kind(
            base,
            size=size,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            headers=headers,
            passthrough=passthrough,
            tls=httpx.create_ssl_context(),  # the CAs httpx used: SSL_CERT_FILE/_DIR, else certifi
        )
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    return HttpxExchange(
        transport or HttpcorePool(size), base, timeout=timeout, headers=headers, passthrough=passthrough
    )


def build_client(settings: Settings, transport: httpx.AsyncBaseTransport) -> Exchange:
    """The translating pool over ``transport`` (tests: ``httpx.MockTransport``)."""
    return build_pool(settings, transport=transport)
