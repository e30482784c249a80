"""The ASGI application: ``create_app(settings, *, registry=REGISTRY, overrides=Overrides())``.

Legacy paths (as ``mappings.protocol`` defines them) are translated; everything else is
passed through to the new API untouched. Everything the app serves with is built and owned
by one :class:`~proxy.engine.engine.Engine`; this module only lays out the routes and enters
the engine for the app's lifespan. ``overrides`` replaces production defaults: tests give an
``httpx.MockTransport`` (or the sandbox's ASGI app) as transport, the CLI the config path
that enables hot reload of the modes.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from mappings import protocol
from mappings.core import Operation
from mappings.registry import REGISTRY
from proxy.admin.access import AdminAccess
from proxy.admin.routes import admin_routes
from proxy.engine.call import call_slot
from proxy.engine.engine import DEFAULTS, Engine, Overrides
from proxy.engine.middleware import RequestContextMiddleware
from proxy.engine.web import catch_all, health_route, ready_route
from proxy.observe import redact
from proxy.settings import Settings

# Paths Starlette's router serves (health, readiness, the admin pages and /metrics); every other
# request goes straight to the engine (a legacy call or a pass-through).
_ROUTED_PREFIX = "/_compat"
_ROUTED_PATHS = frozenset({"/metrics"})


class ProxyApp(Starlette):
    """The public app: Starlette for the lifespan and the few routed paths, a fast lane for the rest.

    Legacy calls and pass-throughs are the proxy's whole traffic; for them Starlette's stack (error
    and exception middleware, a linear route scan ending in a catch-all) did nothing the engine
    does not do itself, at a measurable cost per request. The fast lane keeps the request context
    and the access line (``RequestContextMiddleware``) and answers an unexpected exception with a
    bare 500, as Starlette's error middleware did, then lets it propagate for the server's log.
    """

    def __init__(self, engine: Engine, *, access_log: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.engine = engine
        self.fast: ASGIApp = RequestContextMiddleware(self._dispatch, access_log=access_log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if not path.startswith(_ROUTED_PREFIX) and path not in _ROUTED_PATHS:
                scope["app"] = self
                await self.fast(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = await self.engine.serve(scope, receive)
            await response(scope, receive, send)
        except Exception:
            if call_slot(scope).status is None:  # no answer started: a bare 500, never a traceback
                await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
            raise


# At import, not in create_app: a logger configured before the app is built (the CLI configures
# logging first) must already redact the wire protocol's key and personal fields.
redact.add_sensitive_keys(protocol.SENSITIVE_FIELDS)


def create_app(
    settings: Settings,
    *,
    registry: Sequence[Operation] = REGISTRY,
    overrides: Overrides = DEFAULTS,
) -> ProxyApp:
    """Build the proxy; a broken registry or mode table raises here, before anything is served."""
    engine = Engine(settings, registry, overrides)
    # On the public port the admin pages need the admin token; with a separate admin port they
    # are not served here at all.
    public_admin = AdminAccess(
        enabled=bool(settings.admin_token) and settings.admin_port <= 0, token=settings.admin_token
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with engine:
            yield

    app = ProxyApp(
        engine,
        access_log=settings.access_log,
        routes=[
            health_route(settings, len(engine.registry)),
            ready_route(engine.ready),
            *admin_routes(engine.admin_context, public_admin),
            catch_all(engine.dispatch),
        ],
        middleware=[Middleware(RequestContextMiddleware, access_log=settings.access_log)],
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.modes = engine.modes
    app.state.metrics = engine.metrics
    return app
