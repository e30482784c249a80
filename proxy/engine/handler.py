"""Serves one legacy request: match, parse, authenticate, apply the route's mode, run, render, record.

Modes (``proxy.policy.modes``): ``reject`` answers the retired-API 410 without calling upstream;
``dry-run`` runs the plan with upstream writes logged instead of sent; ``brownout`` is a
reject or a translate decided per call. Every answer carries the Deprecation, Sunset and
successor Link headers, and every call is counted (metrics) and recorded (traffic store).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

import orjson
import structlog
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from mappings import protocol
from mappings.core import Family, LegacyReply
from proxy.engine.call import CallOutcome, CallSlot, call_slot
from proxy.engine.deadline import deadline
from proxy.engine.failures import Failure, answer_cancelled, reply_for
from proxy.engine.legacy_http import LegacyHttp, RawResponse
from proxy.engine.parse import MAX_BODY, BadLegacyRequest, Parsed, parse
from proxy.engine.router import LegacyRouter, Match
from proxy.engine.runner import Credentials, Runner, RunStats
from proxy.observe.callers import key_caller, token_caller
from proxy.observe.logs import PreboundLogger
from proxy.observe.metrics import Metrics
from proxy.observe.redact import fingerprint
from proxy.policy.modes import Mode
from proxy.policy.reload import ModeHolder
from proxy.policy.successor import deprecation_headers, retired_reply
from proxy.settings import Settings
from proxy.state.concurrency import AccountLimiter
from proxy.traffic.record import UNMAPPED, TrafficRecord, clean

log = structlog.get_logger("klaviyo_compat.legacy")
_every_call_log = PreboundLogger("klaviyo_compat.legacy")  # the line logged on every call (debug)

# A family's failure answer, when it is a body rather than a status (e.g. a 200 with "0").
_FAILURE_TEXT = {family: protocol.error(family, 400, "").text for family in Family}


@functools.lru_cache(maxsize=256)
def _deprecation_raw(doc: str, sunset: date) -> tuple[tuple[bytes, bytes], ...]:
    return tuple(
        (n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in deprecation_headers(doc, sunset)
    )


def add_deprecation(response: Response, doc: str, sunset: date) -> None:
    """The Deprecation, Sunset and Link headers, encoded once per (documentation, sunset)."""
    extra = _deprecation_raw(doc, sunset)
    names = {name for name, _ in extra}
    if any(name in names for name, _ in response.raw_headers):  # replace, as headers[name] = value does
        for name, value in deprecation_headers(doc, sunset):
            response.headers[name] = value
        return
    response.raw_headers.extend(extra)


def render(reply: LegacyReply) -> Response:
    """Legacy clients accept only 200/202 as success: 201 and 204 become 200."""
    status = 200 if reply.status in (201, 204) else reply.status
    try:
        content = reply.text.encode("utf-8") if reply.text is not None else orjson.dumps(reply.body)
    except (TypeError, orjson.JSONEncodeError):
        # A body that cannot be encoded is a mapping bug: answer a plain legacy 500, never a traceback.
        log.error("legacy.unencodable_reply", status=reply.status)
        status, content = 500, b'{"status": 500, "message": "Internal error in klaviyo-compat."}'
    return RawResponse(content, status, reply.media_type, reply.headers)


def headers_only(response: Response) -> Response:
    """A HEAD answer: the GET answer's status and headers (its Content-Length included), no body."""
    head = Response(content=b"", status_code=response.status_code)
    head.raw_headers = list(response.raw_headers)
    return head


class _Route(NamedTuple):
    """What one call was routed to: the operation, its configured mode and what the call got."""

    operation: str
    family: Family
    mode: Mode
    action: Mode
    fidelity: str
    doc: str  # successor documentation (the Link header)


def failed(family: Family, reply: LegacyReply) -> bool:
    return reply.status >= 400 or (reply.text is not None and reply.text == _FAILURE_TEXT[family])


class LegacyHandler:
    """Built by ``proxy.engine.engine.Engine`` once its upstream client and traffic writer are open."""

    def __init__(
        self,
        settings: Settings,
        router: LegacyRouter,
        runner: Runner,
        modes: ModeHolder,
        *,
        metrics: Metrics,
        record: Callable[[TrafficRecord], None] | None,
        draw: Callable[[], float],
        clock: Callable[[], float],
        limiter: AccountLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.router = router
        self.runner = runner
        self.server_side_tokens = frozenset(settings.token_keys)
        self.caller_header = settings.caller_header.lower()  # LegacyHttp's header names are lower-case
        opted = {name for name in protocol.OPT_INS if getattr(settings, name, False) is True}
        self.opt_ins = frozenset(opted | ({protocol.BETA_REVISION} if settings.beta_revision else set()))
        self.modes = modes
        self.operations: Mapping[str, Mapping[str, Any]] = runner.upstream.operations  # the pinned spec
        self.metrics = metrics
        self.record = record
        self.draw = draw  # brownout fractions; tests inject a seeded generator
        self.clock = clock  # arrival time: the traffic record, brownout windows and every plan's req.now
        # Calls in flight per caller (key or token hash), so one account never holds the whole pool.
        self.limiter = limiter or AccountLimiter(settings.account_concurrency)

    async def serve(self, request: LegacyHttp, family: Family) -> Response:
        slot = call_slot(request.scope)
        slot.outcome = CallOutcome(kind="legacy")
        if request.method == "OPTIONS" and family is Family.PUBLIC:
            return Response(status_code=200, headers=protocol.PUBLIC_CORS)
        started, arrived = time.perf_counter(), self.clock()
        now = datetime.fromtimestamp(arrived, UTC)  # the one time the route's mode and its plan see
        table = self.modes.table  # one table for the whole request, whatever reloads meanwhile
        path = request.path  # an encoded slash is not a separator
        match = self.router.match(request.method, path)
        stats = RunStats()
        if match is None:
            slot.outcome.operation = UNMAPPED
            log.warning("legacy.unmapped", method=request.method, path=path)
            reply = protocol.unmapped(family, request.method, path)
            slot.outcome.caller = await self._unmapped_caller(request, now)
            route = _Route(
                UNMAPPED, family, Mode.TRANSLATE, Mode.TRANSLATE, "unsupported", protocol.MIGRATION_GUIDE
            )
        else:
            op = match.operation
            mode = table.for_op(op.id)
            action = mode.action(now, self.draw)
            outcome = slot.outcome
            outcome.operation, outcome.mode = op.id, action.value
            reply = await self._serve(request, family, match, action, slot, stats, now)
            route = _Route(op.id, family, mode.mode, action, op.fidelity.value, op.successor)
        if reply.reason is not None or stats.upstream_calls:
            slot.outcome.reason, slot.outcome.upstream_calls = reply.reason, stats.upstream_calls
        response = render(reply)
        if request.method == "HEAD":
            response = headers_only(response)
        add_deprecation(response, route.doc, table.sunset)
        seconds = time.perf_counter() - started
        self._account(request, slot.outcome, route, reply, response, stats, arrived, seconds)
        return response

    async def _serve(
        self,
        request: LegacyHttp,
        family: Family,
        match: Match,
        action: Mode,
        slot: CallSlot,
        stats: RunStats,
        now: datetime,
    ) -> LegacyReply:
        op = match.operation
        try:
            if request.bodiless():  # nothing to wait for: no timer to arm
                parsed = await self._parse(request, match.path_params, now)
            else:
                async with deadline(self.settings.request_deadline):  # a body trickled byte by byte
                    parsed = await self._parse(request, match.path_params, now)
        except ClientDisconnect:  # the caller left mid-body: nobody reads this answer
            log.info("legacy.client_disconnected", operation=op.id)
            return protocol.error(family, 400, "The client disconnected before sending the whole body.")
        except TimeoutError:
            log.info("legacy.body_timeout", operation=op.id, seconds=self.settings.request_deadline)
            return protocol.error(family, 408, "The request body did not arrive in time.")
        except BadLegacyRequest as exc:
            if action is Mode.REJECT:
                return retired_reply(op, self.operations)
            log.info("legacy.bad_request", operation=op.id, reason=str(exc))
            return protocol.error(family, exc.status, str(exc))
        caller: str | None = None
        slot.hidden = _public_keys(parsed)
        try:
            token = op.caller(parsed.request) if op.caller is not None else None
            caller = self._caller(parsed, token)
            if isinstance(token, str) and token:
                slot.hidden += (token,)
        except Exception:  # a mapping's caller extractor must never fail the call
            log.exception("legacy.caller_extractor_failed", operation=op.id)
        slot.outcome.caller = caller
        if action is Mode.REJECT:
            log.info("legacy.rejected", operation=op.id)
            return retired_reply(op, self.operations)
        # Only a well-formed key is ever used (ASCII, no line break): a near-miss is a 403, not a 500.
        key = parsed.private_key
        if key is not None and not protocol.PRIVATE_KEY_RE.match(key):
            key = None
        if op.requires_private_key and key is None:
            return protocol.missing_key(family)
        # A HEAD of a GET that writes (a beacon-style operation) must not write: it runs as a dry-run.
        dry_run = (action is Mode.DRY_RUN or request.method == "HEAD") and op.is_write
        try:
            async with (
                deadline(self.settings.request_deadline),
                self.limiter.slot(caller or "anonymous"),
            ):
                reply = await self.runner.run(
                    op,
                    parsed.request,
                    Credentials(key, self.settings.token_keys, caller),
                    stats,
                    dry_run=dry_run,
                )
        except Exception as exc:  # what each failure answers: proxy.engine.failures
            failure = Failure(op.id, self.settings.request_deadline, stats.upstream_calls, slot.request_id)
            reply = reply_for(exc, family, failure)
        except asyncio.CancelledError:
            reply = answer_cancelled(op.id, family)  # shutdown grace exceeded: a 503, not a 500
        if action is Mode.DRY_RUN:
            log.info("dry_run.plan", operation=op.id, sent=stats.upstream_ops, not_sent=stats.not_sent)
        _every_call_log.get().debug("legacy.translated", operation=op.id, upstream=stats.upstream_ops)
        return reply

    async def _parse(self, request: LegacyHttp, path_params: Mapping[str, str], now: datetime) -> Parsed:
        return parse(
            method="GET" if request.method == "HEAD" else request.method,
            path=request.path,
            path_params=path_params,
            query_items=request.query_items(),
            headers=request.headers,
            body=await request.body(MAX_BODY),
            server_side_tokens=self.server_side_tokens,
            now=now,
            opt_ins=self.opt_ins,
        )

    async def _unmapped_caller(self, request: LegacyHttp, now: datetime) -> str | None:
        """Who still calls a path nobody translates: the hash of the private key it sent, if any."""
        try:
            parsed = await self._parse(request, {}, now)
        except (BadLegacyRequest, ClientDisconnect):
            return None
        return key_caller(parsed.private_key) if parsed.private_key else None

    @staticmethod
    def _caller(parsed: Parsed, token: str | None) -> str | None:
        """A hash of the private key, else of the public identity (``token``) the mapping declares."""
        if parsed.private_key:
            return key_caller(parsed.private_key)
        return token_caller(token) if token else None

    def _account(
        self,
        request: LegacyHttp,
        outcome: CallOutcome,
        route: _Route,
        reply: LegacyReply,
        response: Response,
        stats: RunStats,
        arrived: float,
        seconds: float,
    ) -> None:
        """Count the call (metrics) and hand its record to the writer (never waits)."""
        if self.metrics is not None:
            self.metrics.legacy(route.operation, route.mode.value, response.status_code, seconds)
            if route.family is Family.PUBLIC and reply.text in ("0", "1"):  # track/identify's answer
                self.metrics.public_answer(route.operation, reply.text, reply.reason or "")
        if self.record is None:
            return
        slot = call_slot(request.scope)
        self.record(
            TrafficRecord(
                ts=arrived,
                operation=route.operation,
                mode=route.mode.value,
                action=route.action.value,
                status=response.status_code,
                failed=failed(route.family, reply),
                upstream_calls=stats.upstream_calls,
                latency_ms=round(seconds * 1000, 2),
                fidelity=route.fidelity,
                caller=outcome.caller,
                label=_hidden(slot, clean(request.headers.get(self.caller_header), 64)),
                user_agent=_hidden(slot, clean(request.headers.get("user-agent"), 200)),
                client=fingerprint(host, "ip") if (host := request.client_host) else None,
            )
        )


def _public_keys(parsed: Parsed) -> tuple[str, ...]:
    """The public keys (legacy ``token``) this call carries: never shown in a path or a label."""
    return tuple(
        value
        for name in ("token", "company_id")
        for value in parsed.request.get_all(name)
        if isinstance(value, str) and protocol.PUBLIC_KEY_RE.match(value)
    )


def _hidden(slot: CallSlot, text: str | None) -> str | None:
    return slot.hide(text) if text else text
