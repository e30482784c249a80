"""The sandbox ASGI app: routing (with and without trailing slash), auth, revision and errors."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Awaitable, Callable

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mappings.protocol import PRIVATE_KEY_RE, PUBLIC_KEY_RE
from proxy.sandbox import (
    accounts,
    aggregates,
    campaign_jobs,
    campaign_reports,
    campaigns,
    event_jobs,
    events,
    lists,
    privacy,
    profile_imports,
    profiles,
    segment_rules,
    segments,
    subscriptions,
    templates,
)
from proxy.sandbox.errors import ApiError, invalid
from proxy.sandbox.jsonapi import Ctx, respond
from proxy.sandbox.limits import Limiter, ParamLimit, Throttled, param_limit
from proxy.sandbox.operation import REVISION, Handler, Op, serves
from proxy.sandbox.store import Store

# The new API's private key arrives as ``Authorization: Klaviyo-API-Key pk_...``.
KEY_SCHEME = "Klaviyo-API-Key"
# Limits echoed on answers that match no operation (unknown path, wrong method).
DEFAULT_LIMITS = (75, 750)
REVISION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")
JSON_TYPES = ("application/vnd.api+json", "application/json")
# The resource modules; each one's ``HANDLERS`` maps spec operation ids to its handlers.
RESOURCES = (
    profiles,
    profile_imports,
    events,
    event_jobs,
    aggregates,
    lists,
    segments,
    subscriptions,
    campaigns,
    campaign_jobs,
    campaign_reports,
    privacy,
    accounts,
    templates,
)


def operations() -> list[Op]:
    """Every emulated operation: each resource module's handlers, on the spec's method and path.

    Raises ``LookupError`` for an operation id the pinned spec does not define, ``ValueError`` for
    one served by two modules.
    """
    ops: list[Op] = []
    seen: set[str] = set()
    for module in RESOURCES:
        handlers: dict[str, Handler] = module.HANDLERS
        for operation_id, handler in handlers.items():
            if operation_id in seen:
                raise ValueError(f"{operation_id!r} is served twice (again in {module.__name__})")
            seen.add(operation_id)
            ops.append(serves(operation_id, handler))
    return ops


def _authenticate(request: Request, op: Op) -> None:
    if op.client:
        company_id = request.query_params.get("company_id")
        if not company_id:
            raise invalid("The company_id query parameter is required.", parameter="company_id")
        if not PUBLIC_KEY_RE.match(company_id):
            raise invalid(
                f"'{company_id}' is not a valid company_id (public API key).", parameter="company_id"
            )
        return
    header = request.headers.get("authorization")
    if not header:
        raise ApiError(401, "not_authenticated", "Authentication credentials were not provided.")
    scheme, _, key = header.strip().partition(" ")
    if scheme != KEY_SCHEME or not PRIVATE_KEY_RE.match(key):
        raise ApiError(
            401,
            "not_authenticated",
            "Incorrect authentication credentials.",
            title="Incorrect authentication credentials.",
        )


def _check_revision(request: Request) -> None:
    revision = request.headers.get("revision")
    if not revision:
        raise invalid(f"The revision header is required, e.g. 'revision: {REVISION}'.", parameter="revision")
    if not REVISION_RE.match(revision.strip()):
        raise invalid(f"'{revision}' is not a valid revision; expected YYYY-MM-DD.", parameter="revision")


def _check_beta_revision(request: Request, beta: str) -> None:
    """A beta operation answers only under a beta revision (``YYYY-MM-DD.pre``), as Klaviyo's do."""
    revision = request.headers.get("revision", "").strip()
    if not revision.endswith(".pre"):
        raise invalid(
            f"This endpoint is in beta: it requires a beta revision header, e.g. 'revision: {beta}'; "
            f"got '{revision}'.",
            parameter="revision",
        )


async def _read_body(request: Request) -> object:
    raw = await request.body()
    if not raw.strip():
        return None
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in JSON_TYPES:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Unsupported media type '{content_type}'; use application/vnd.api+json.",
        )
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError(
            400,
            "parse_error",
            "Malformed request body: not valid JSON.",
            title="Malformed request.",
            pointer="/data",
        ) from None


def _rate_headers(
    response: Response, op: Op | None, revision: str | None, lower: ParamLimit | None = None
) -> Response:
    """The operation's spec tiers as ``RateLimit-*`` headers, on every answer but a 429 (which
    carries ``Retry-After`` instead), as Klaviyo's; the proxy's rate budgets engage on them."""
    response.headers["X-Klaviyo-API-Revision"] = revision or REVISION
    if response.status_code == 429:
        return response
    burst, steady = (lower.burst, lower.steady) if lower else (op.burst, op.steady) if op else DEFAULT_LIMITS
    response.headers["RateLimit-Limit"] = f"{burst}, {burst};w=1, {steady};w=60"
    response.headers["RateLimit-Remaining"] = str(burst - 1)
    response.headers["RateLimit-Reset"] = "1"
    return response


def _endpoint(ops: dict[str, Op], store: Store, limiter: Limiter) -> Callable[[Request], Awaitable[Response]]:
    """One ASGI endpoint per path; dispatches on method to the operation's handler."""

    async def endpoint(request: Request) -> Response:
        op = ops[request.method if request.method != "HEAD" else "GET"]
        lower = param_limit(op.operation_id, request)
        try:
            _authenticate(request, op)
            _check_revision(request)
            if op.beta is not None:
                _check_beta_revision(request, op.beta)
            if lower is not None and store.enforce_rate_limits:
                limiter.admit(op.operation_id, lower, store.clock().timestamp())
            body = await _read_body(request) if request.method in ("POST", "PATCH", "PUT", "DELETE") else None
            segment_rules.refresh(store)  # defined segments follow the store (recomputed on read)
            response = op.handler(Ctx(request, store, body))
        except ApiError as exc:
            response = respond(exc.document(), exc.status)
            if isinstance(exc, Throttled):
                response.headers["Retry-After"] = str(exc.retry_after)
        return _rate_headers(response, op, request.headers.get("revision"), lower)

    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths (404) and wrong methods (405) as JSON:API errors."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        error = ApiError(405, "method_not_allowed", f'Method "{request.method}" not allowed.')
    elif exc.status_code == 404:
        error = ApiError(404, "not_found", "Not found.")
    else:
        error = ApiError(exc.status_code, "error", str(exc.detail))
    response = respond(error.document(), error.status)
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return _rate_headers(response, None, request.headers.get("revision"))


async def _server_error(request: Request, exc: Exception) -> Response:
    """A bug in the sandbox still answers in the API's error format (then re-raises for logs)."""
    error = ApiError(500, "error", f"Internal error in the sandbox: {type(exc).__name__}.")
    return respond(error.document(), 500)


def create_sandbox_app(store: Store | None = None) -> Starlette:
    """An in-memory emulation of Klaviyo's new API for one demo account."""
    state = store if store is not None else Store()
    by_path: dict[str, dict[str, Op]] = defaultdict(dict)
    for op in operations():
        by_path[op.path][op.method] = op
    routes: list[BaseRoute] = []
    limiter = Limiter()
    for path, ops in by_path.items():
        endpoint = _endpoint(ops, state, limiter)
        methods = list(ops)
        # Klaviyo's docs write paths with a trailing slash; clients use both forms.
        routes.append(Route(path, endpoint, methods=methods))
        routes.append(Route(path + "/", endpoint, methods=methods))
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error, Exception: _server_error})
    app.state.store = state
    return app
