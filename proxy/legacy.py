"""Serves one legacy request: match, parse, authenticate, run the plan, render the legacy answer."""

from __future__ import annotations

from typing import Any

import orjson
import structlog
from starlette.requests import Request
from starlette.responses import Response

from mappings import protocol
from mappings.base import Family, LegacyReply
from proxy.legacy_parse import BadLegacyRequest, parse
from proxy.middleware import STATE_KEY
from proxy.redact import fingerprint
from proxy.router import LegacyRouter
from proxy.runner import Credentials, Runner, RunStats
from proxy.settings import Settings
from proxy.upstream import UpstreamUnavailable

log = structlog.get_logger("klaviyo_compat.legacy")

def render(reply: LegacyReply) -> Response:
    """Legacy clients accept only 200/202 as success: 201 and 204 become 200."""
    status = 200 if reply.status in (201, 204) else reply.status
    content = reply.text.encode("utf-8") if reply.text is not None else orjson.dumps(reply.body)
    return Response(
        content=content, status_code=status, media_type=reply.media_type, headers=dict(reply.headers)
    )


class LegacyHandler:
    def __init__(self, settings: Settings, router: LegacyRouter, runner: Runner) -> None:
        self.settings = settings
        self.router = router
        self.runner = runner
        self.server_side_tokens = frozenset(settings.token_keys)

    async def __call__(self, request: Request, family: Family) -> Response:
        state: dict[str, Any] = request.scope.setdefault(STATE_KEY, {})
        state["kind"] = "legacy"
        path = request.url.path
        if request.method == "OPTIONS" and family is Family.PUBLIC:
            return Response(status_code=200, headers=protocol.PUBLIC_CORS)
        match = self.router.match(request.method, path)
        if match is None:
            state["operation"] = "unmapped"
            log.warning("legacy.unmapped", method=request.method, path=path)
            return render(protocol.unmapped(family, request.method, path))
        op = match.operation
        state["operation"] = op.id
        try:
            body = await request.body()
            parsed = parse(
                method=request.method,
                path=path,
                path_params=match.path_params,
                query_items=request.query_params.multi_items(),
                headers=request.headers,
                body=body,
                server_side_tokens=self.server_side_tokens,
            )
        except BadLegacyRequest as exc:
            log.info("legacy.bad_request", operation=op.id, reason=str(exc))
            return render(protocol.error(family, exc.status, str(exc)))
        key = parsed.private_key
        if key is not None:
            state["caller"] = fingerprint(key, "key")
        if op.requires_private_key and (key is None or not protocol.PRIVATE_KEY_RE.match(key)):
            return render(protocol.missing_key(family))
        stats = RunStats()
        try:
            reply = await self.runner.run(
                op, parsed.request, Credentials(key, self.settings.token_keys), stats
            )
        except UpstreamUnavailable as exc:
            log.warning("upstream.unavailable", operation=op.id, reason=str(exc))
            reply = protocol.upstream_unavailable(family)
        except Exception:
            # A mapping bug must never leak a traceback to the client; it is logged (redacted).
            log.exception("legacy.internal_error", operation=op.id)
            reply = protocol.error(
                family, 500, f"Internal error in klaviyo-compat (request id {state.get('request_id')})."
            )
        finally:
            state["upstream_calls"] = stats.upstream_calls
        log.debug("legacy.translated", operation=op.id, upstream=stats.upstream_ops)
        return render(reply)
