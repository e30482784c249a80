"""Admin endpoints: ``/_compat/`` (dashboard), ``/_compat/plan``, ``/_compat/report`` (JSON), ``/metrics``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from mappings.core import Operation
from proxy.admin.access import AdminAccess
from proxy.admin.dashboard import render_dashboard
from proxy.admin.plan_page import render_plan
from proxy.observe.metrics import Metrics
from proxy.policy.reload import ModeHolder
from proxy.traffic.fold import DEFAULT_MAX_CALLERS
from proxy.traffic.plan import SpecFacts, build_plan
from proxy.traffic.report import DEFAULT_WINDOW, Report, build_report, parse_since
from proxy.traffic.store import TrafficStore

NO_STORE = {"Cache-Control": "no-store"}
Handler = Callable[[Request], Awaitable[Response]]


class NoTrafficStore(Exception):
    """Recording is off (or its store could not be opened): there is nothing to report."""


@dataclass
class AdminContext:
    modes: ModeHolder
    metrics: Metrics
    operations: Sequence[Operation]
    spec: Mapping[str, Mapping[str, Any]]
    store: Callable[[], TrafficStore | None]
    clock: Callable[[], float] = field(default=time.time)
    max_callers: int = DEFAULT_MAX_CALLERS
    facts: SpecFacts = field(default_factory=lambda: SpecFacts({}, {}, ""))  # for the plan view
    no_store: str = "Traffic recording is off (traffic_db), so there is no report."  # why store() is None

    async def report(self, window: str) -> Report:
        seconds = parse_since(window)  # ValueError: answered 400
        store = self.store()
        if store is None:
            raise NoTrafficStore(self.no_store)
        return await asyncio.to_thread(
            build_report,
            store,
            window_seconds=seconds,
            window=window.strip(),
            now=self.clock(),
            operations=self.operations,
            spec=self.spec,
            modes=self.modes.table,
            max_callers=self.max_callers,
        )


def _problem(status: int, detail: str) -> Response:
    return JSONResponse({"detail": detail}, status_code=status, headers=NO_STORE)


def admin_routes(ctx: AdminContext, access: AdminAccess) -> list[BaseRoute]:
    def guarded(handler: Handler) -> Handler:
        async def guard(request: Request) -> Response:
            denied = access.denied(request)
            response = denied if denied is not None else await handler(request)
            response.headers["Referrer-Policy"] = "no-referrer"  # no admin URL leaves in a Referer
            return response

        return guard

    async def load(request: Request) -> Report | Response:
        try:
            return await ctx.report(request.query_params.get("since", DEFAULT_WINDOW))
        except ValueError as exc:
            return _problem(400, str(exc))
        except NoTrafficStore as exc:
            return _problem(503, str(exc))

    async def dashboard(request: Request) -> Response:
        report = await load(request)
        if isinstance(report, Response):
            return report
        html = render_dashboard(report, f"report?{urlencode({'since': report.window})}")
        return HTMLResponse(html, headers=NO_STORE)

    async def plan(request: Request) -> Response:
        report = await load(request)
        if isinstance(report, Response):
            return report
        caller = request.query_params.get("caller") or None
        built = build_plan(report, ctx.operations, ctx.spec, ctx.facts, caller=caller)
        if request.query_params.get("format") == "json":
            return JSONResponse(built.to_json(), headers=NO_STORE)
        return HTMLResponse(render_plan(built, f"./?{urlencode({'since': report.window})}"), headers=NO_STORE)

    async def report_json(request: Request) -> Response:
        report = await load(request)
        if isinstance(report, Response):
            return report
        return JSONResponse(report.to_json(), headers=NO_STORE)

    async def metrics(request: Request) -> Response:
        body, content_type = ctx.metrics.render()
        return Response(body, headers={**NO_STORE, "Content-Type": content_type})

    async def to_dashboard(request: Request) -> Response:
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        return RedirectResponse(f"/_compat/?{urlencode(query)}" if query else "/_compat/", status_code=308)

    return [
        Route("/_compat/", guarded(dashboard), methods=["GET"]),
        Route("/_compat", guarded(to_dashboard), methods=["GET"]),
        Route("/_compat/report", guarded(report_json), methods=["GET"]),
        Route("/_compat/plan", guarded(plan), methods=["GET"]),
        Route("/_compat/login", access.login, methods=["POST"]),
        Route("/metrics", guarded(metrics), methods=["GET"]),
    ]
