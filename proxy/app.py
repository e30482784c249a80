"""The ASGI application: ``create_app(settings, transport=None)``.

Legacy paths (as ``mappings.protocol`` defines them) are translated; everything else is
passed through to the new API untouched. The upstream transport is injectable: tests give
an ``httpx.MockTransport`` or the sandbox's ASGI app; production builds the pooled one.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mappings import protocol
from mappings.registry import REGISTRY, validate
from mappings.upstream_ops import OPERATIONS, REVISION
from proxy.collection_cache import MemoryCollectionCache
from proxy.legacy import LegacyHandler
from proxy.middleware import STATE_KEY, RequestContextMiddleware
from proxy.passthrough import forward
from proxy.router import LegacyRouter
from proxy.runner import Runner
from proxy.settings import Settings
from proxy.token_store import MemoryTokenStore
from proxy.upstream import Upstream, build_client, build_transport

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass
class _Live:
    """Objects that exist between lifespan start-up and shutdown."""

    legacy: LegacyHandler
    passthrough_client: httpx.AsyncClient


def create_app(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    # Fail fast on a broken mapping: at construction, not at the first request.
    validate(REGISTRY, OPERATIONS)
    router = LegacyRouter(REGISTRY)
    live: list[_Live] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tx = transport if transport is not None else build_transport(settings)
        client = build_client(settings, tx)
        # The pass-through client shares the pool but adds no default headers.
        plain = httpx.AsyncClient(
            base_url=client.base_url, transport=tx, timeout=client.timeout, follow_redirects=False
        )
        cache = MemoryCollectionCache(settings.collection_cache_ttl, settings.collection_cache_entries)
        tokens = MemoryTokenStore(settings.token_ttl, settings.token_entries)
        runner = Runner(Upstream(client, OPERATIONS), cache, tokens)
        live.append(_Live(LegacyHandler(settings, router, runner), plain))
        try:
            yield
        finally:
            live.clear()
            await client.aclose()  # closes the shared transport too

    async def dispatch(request: Request) -> Response:
        if not live:
            return JSONResponse({"detail": "klaviyo-compat is starting up"}, status_code=503)
        family = protocol.legacy_family(request.url.path)
        if family is not None:
            return await live[0].legacy(request, family)
        request.scope.setdefault(STATE_KEY, {})["kind"] = "passthrough"
        return await forward(request, live[0].passthrough_client)

    async def health(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "revision": settings.revision,
                "spec_revision": REVISION,
                "routes": len(REGISTRY),
            }
        )

    return Starlette(
        routes=[
            Route("/_compat/health", health, methods=["GET"]),
            Route("/{path:path}", dispatch, methods=ALL_METHODS),
        ],
        middleware=[Middleware(RequestContextMiddleware, access_log=settings.access_log)],
        lifespan=lifespan,
    )
