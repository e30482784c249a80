"""The ASGI application: ``create_app(settings, transport=None, *, config_path=None)``.

Legacy paths (as ``mappings.protocol`` defines them) are translated; everything else is
passed through to the new API untouched. The upstream transport is injectable: tests give
an ``httpx.MockTransport`` or the sandbox's ASGI app; production builds the pooled one.
``config_path`` (the TOML file the settings came from) enables hot reload of the modes.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, request_response
from starlette.types import Receive, Scope, Send

from mappings import protocol
from mappings.registry import REGISTRY, validate
from mappings.upstream_ops import REVISION, SPEC_OPERATIONS
from proxy.admin.access import AdminAccess
from proxy.admin.routes import AdminContext, admin_routes
from proxy.engine.middleware import STATE_KEY, RequestContextMiddleware
from proxy.engine.passthrough import forward
from proxy.engine.router import LegacyRouter
from proxy.engine.services import Services, running
from proxy.observe import redact
from proxy.observe.metrics import Metrics
from proxy.policy.modes import from_settings
from proxy.policy.reload import ModeHolder
from proxy.settings import Settings
from proxy.state.collection_cache import CollectionCache
from proxy.state.tokens import TokenStore
from proxy.traffic.store import TrafficStore


class _AnyMethod:
    """Wraps a request handler as an ASGI app so its Route accepts every HTTP method.

    Starlette limits function endpoints to listed methods and answers others with a plain-text
    405; a legacy caller must get its legacy shape and a new-API caller the upstream's answer.
    """

    def __init__(self, handler: Callable[[Request], Awaitable[Response]]) -> None:
        self.app = request_response(handler)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


# At import, not in create_app: a logger configured before the app is built (the CLI configures
# logging first) must already redact the wire protocol's key and personal fields.
redact.add_sensitive_keys(protocol.SENSITIVE_FIELDS)


def create_app(
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    config_path: Path | None = None,
    draw: Callable[[], float] | None = None,
    clock: Callable[[], float] = time.time,
    token_store: TokenStore | None = None,
    collection_cache: CollectionCache | None = None,
    traffic_store: TrafficStore | None = None,
) -> Starlette:
    """Build the proxy.

    ``transport`` replaces the upstream network (tests, the embedded sandbox). ``token_store``
    and ``collection_cache`` replace the in-memory defaults, e.g. with shared backends when
    several replicas serve one account; ``traffic_store`` replaces the SQLite traffic record
    (``traffic_db``) the same way. ``draw`` (uniform [0, 1)) decides brownout fractions;
    tests pass a seeded generator.
    """
    # Fail fast on a broken mapping or mode table: at construction, not at the first request.
    validate(REGISTRY, SPEC_OPERATIONS)
    router = LegacyRouter(REGISTRY)
    modes = ModeHolder(from_settings(settings, REGISTRY))
    metrics = Metrics()
    live: list[Services] = []
    ctx = AdminContext(
        modes,
        metrics,
        REGISTRY,
        SPEC_OPERATIONS,
        store=lambda: live[0].store if live else None,
        clock=clock,
        max_callers=settings.report_max_callers,
    )
    separate = settings.admin_port > 0
    public_access = AdminAccess(
        enabled=bool(settings.admin_token) and not separate, token=settings.admin_token
    )

    async def health(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "revision": settings.revision,
                "spec_revision": REVISION,
                "routes": len(REGISTRY),
            }
        )

    admin_app = None
    if separate:
        admin_access = AdminAccess(enabled=True, token=settings.admin_token)
        admin_app = Starlette(
            routes=[Route("/_compat/health", health, methods=["GET"]), *admin_routes(ctx, admin_access)],
            middleware=[Middleware(RequestContextMiddleware, access_log=settings.access_log)],
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with running(
            settings,
            transport,
            router=router,
            modes=modes,
            metrics=metrics,
            config_path=config_path,
            draw=draw or random.random,
            clock=clock,
            admin_app=admin_app,
            token_store=token_store,
            collection_cache=collection_cache,
            traffic_store=traffic_store,
        ) as services:
            live.append(services)
            app.state.services = services
            try:
                yield
            finally:
                live.clear()

    async def dispatch(request: Request) -> Response:
        if not live:
            return JSONResponse({"detail": "klaviyo-compat is starting up"}, status_code=503)
        family = protocol.legacy_family(request.url.path)
        if family is not None:
            return await live[0].legacy(request, family)
        request.scope.setdefault(STATE_KEY, {})["kind"] = "passthrough"
        return await forward(request, live[0].passthrough_client)

    routes: list[BaseRoute] = [
        Route("/_compat/health", health, methods=["GET"]),
        *admin_routes(ctx, public_access),
        Route("/{path:path}", _AnyMethod(dispatch)),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(RequestContextMiddleware, access_log=settings.access_log)],
        lifespan=lifespan,
    )
    app.state.modes = modes
    app.state.metrics = metrics
    return app
