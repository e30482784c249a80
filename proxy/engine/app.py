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

from starlette.applications import Starlette
from starlette.middleware import Middleware

from mappings import protocol
from mappings.core import Operation
from mappings.registry import REGISTRY
from proxy.admin.access import AdminAccess
from proxy.admin.routes import admin_routes
from proxy.engine.engine import DEFAULTS, Engine, Overrides
from proxy.engine.middleware import RequestContextMiddleware
from proxy.engine.web import catch_all, health_route, ready_route
from proxy.observe import redact
from proxy.settings import Settings

# At import, not in create_app: a logger configured before the app is built (the CLI configures
# logging first) must already redact the wire protocol's key and personal fields.
redact.add_sensitive_keys(protocol.SENSITIVE_FIELDS)


def create_app(
    settings: Settings,
    *,
    registry: Sequence[Operation] = REGISTRY,
    overrides: Overrides = DEFAULTS,
) -> Starlette:
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

    app = Starlette(
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
