"""The HTTP surface around the engine: health and readiness routes, the catch-all route, the admin app.

Shared by the public app (``proxy.engine.app``) and the separate admin listener the engine
starts when ``admin_port`` is set, so both answer ``/_compat/health`` the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, request_response
from starlette.types import ASGIApp, Lifespan, Receive, Scope, Send

from mappings.upstream_ops import REVISION
from proxy.admin.access import AdminAccess
from proxy.admin.routes import AdminContext, admin_routes
from proxy.engine.middleware import RequestContextMiddleware
from proxy.engine.readiness import Verdict
from proxy.settings import Settings


class _AnyMethod:
    """Wraps a request handler as an ASGI app so its Route accepts every HTTP method.

    Starlette limits function endpoints to listed methods and answers others with a plain-text
    405; a legacy caller must get its legacy shape and a new-API caller the upstream's answer.
    """

    def __init__(self, handler: Callable[[Request], Awaitable[Response]]) -> None:
        self.app = request_response(handler)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def catch_all(handler: Callable[[Request], Awaitable[Response]]) -> Route:
    """The last route: every path and every method the routes before it did not take."""
    return Route("/{path:path}", _AnyMethod(handler))


def health_route(settings: Settings, routes: int) -> Route:
    """``GET /_compat/health``: liveness plus the revisions and the number of legacy routes."""

    async def health(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "revision": settings.revision,
                "spec_revision": REVISION,
                "routes": routes,
            }
        )

    return Route("/_compat/health", health, methods=["GET"])


def ready_route(ready: Callable[[], Awaitable[Verdict]]) -> Route:
    """``GET /_compat/ready``: 200 when the proxy can serve, else 503 with the failing checks."""

    async def endpoint(request: Request) -> Response:
        verdict = await ready()
        body = {"status": "ready" if verdict.ready else "not ready", "checks": verdict.checks}
        return JSONResponse(
            body, status_code=200 if verdict.ready else 503, headers={"Cache-Control": "no-store"}
        )

    return Route("/_compat/ready", endpoint, methods=["GET"])


def admin_app(
    settings: Settings,
    ctx: AdminContext,
    routes: int,
    ready: Callable[[], Awaitable[Verdict]],
    lifespan: Lifespan[Starlette] | None = None,
) -> ASGIApp:
    """The app of the separate admin listener: health, readiness and the admin pages, token-guarded.

    Also the whole app of ``klaviyo-compat recorder``, which runs its parts in ``lifespan``.
    """
    access = AdminAccess(enabled=True, token=settings.admin_token)
    return Starlette(
        routes=[health_route(settings, routes), ready_route(ready), *admin_routes(ctx, access)],
        middleware=[Middleware(RequestContextMiddleware, access_log=settings.access_log)],
        lifespan=lifespan,
    )
