"""What a legacy caller gets when running a plan fails: one table from exception type to reply.

Consulted in order, first match wins, so the catch-all ``Exception`` comes last. Each entry logs
its own line (the operator's view) and builds the legacy reply (the caller's view); a mapping bug
never leaks a traceback to the client.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from mappings import protocol
from mappings.core import Family, LegacyReply
from proxy.engine.resilience import CircuitOpen
from proxy.engine.upstream import UnencodableRequest, UpstreamUnavailable
from proxy.state.backend import StateUnavailable
from proxy.state.budgets import BudgetSpent
from proxy.state.spool import SpoolFull, SpoolUnavailable

log = structlog.get_logger("klaviyo_compat.legacy")


@dataclass(frozen=True)
class Failure:
    """Where the run stood when it failed."""

    operation: str
    deadline: float  # seconds (settings.request_deadline)
    upstream_calls: int
    request_id: str | None


ReplyFor = Callable[[Exception, Family, Failure], LegacyReply]


def _deadline_exceeded(exc: Exception, family: Family, ctx: Failure) -> LegacyReply:
    log.warning(
        "legacy.deadline_exceeded",
        operation=ctx.operation,
        seconds=ctx.deadline,
        upstream_calls=ctx.upstream_calls,
    )
    return protocol.error(
        family,
        503,
        f"The translation did not finish within {ctx.deadline:g} s "
        f"({ctx.upstream_calls} upstream calls made). Please retry.",
        {"Retry-After": "1"},
        reason="deadline",
    )


def _upstream_unavailable(exc: Exception, family: Family, ctx: Failure) -> LegacyReply:
    log.warning("upstream.unavailable", operation=ctx.operation, reason=str(exc))
    return protocol.upstream_unavailable(family, retry_after=1)


def _circuit_open(exc: Exception, family: Family, ctx: Failure) -> LegacyReply:
    assert isinstance(exc, CircuitOpen)
    seconds = max(1, math.ceil(exc.retry_after))
    log.warning("upstream.circuit_open", operation=ctx.operation, upstream=exc.operation, retry_after=seconds)
    return protocol.upstream_unavailable(family, retry_after=seconds)


def _budget_spent(exc: Exception, family: Family, ctx: Failure) -> LegacyReply:
    assert isinstance(exc, BudgetSpent)
    seconds = max(1, math.ceil(exc.retry_after))
    log.info("legacy.rate_budget_spent", operation=ctx.operation, retry_after=seconds)
    return protocol.throttled(family, seconds, reason="rate_budget")


def _spool_full(exc: Exception, family: Family, ctx: Failure) -> LegacyReply:
    log.error("spool.full", operation=ctx.operation, effect="the write was refused (legacy failure)")
    message = "The upstream Klaviyo API could not be reached and the write spool is full. Please retry."
    return protocol.error(family, 503, message, {"Retry-After": "60"}, reason="spool_full")


def _spool_unavailable(exc: Exception, family: Family, ctx: Failure) -> LegacyReply:
    # The spool logged the outage once (spool.backend_down); the write was not acknowledged.
    log.warning("spool.unavailable", operation=ctx.operation, effect="the write was refused (legacy failure)")
    message = "The upstream Klaviyo API could not be reached and the write could not be spooled. Retry."
    return protocol.error(family, 503, message, {"Retry-After": "1"}, reason="spool_unavailable")


def _state_unavailable(exc: Exception, family: Family, ctx: Failure) -> LegacyReply:
    # The backend logged the transition (state.backend_down) once; this line is per call.
    log.warning("state.unavailable", operation=ctx.operation)
    return protocol.error(
        family,
        503,
        "The proxy's shared state (continuation tokens) is unavailable. Please retry.",
        reason="state_unavailable",
    )


def _unencodable(exc: Exception, family: Family, ctx: Failure) -> LegacyReply:
    log.info("legacy.bad_request", operation=ctx.operation, reason=f"unencodable: {exc}")
    return protocol.bad_request(
        family,
        "The request carries a value the new API cannot accept (e.g. an integer beyond 64 bits).",
    )


def _internal_error(exc: Exception, family: Family, ctx: Failure) -> LegacyReply:
    # Called inside the ``except`` block, so the traceback is logged (redacted) with the line.
    log.exception("legacy.internal_error", operation=ctx.operation)
    return protocol.error(
        family,
        500,
        f"Internal error in klaviyo-compat (request id {ctx.request_id}).",
        reason="internal_error",
    )


FAILURES: tuple[tuple[type[Exception], ReplyFor], ...] = (
    (TimeoutError, _deadline_exceeded),  # the request deadline (asyncio.timeout)
    (CircuitOpen, _circuit_open),  # before UpstreamUnavailable: it is one
    (BudgetSpent, _budget_spent),
    (SpoolFull, _spool_full),
    (UpstreamUnavailable, _upstream_unavailable),
    (SpoolUnavailable, _spool_unavailable),  # before StateUnavailable: it is one
    (StateUnavailable, _state_unavailable),
    (UnencodableRequest, _unencodable),
    (Exception, _internal_error),  # last: anything else is a bug
)


def reply_for(exc: Exception, family: Family, ctx: Failure) -> LegacyReply:
    """The legacy reply to ``exc``, from the first entry of ``FAILURES`` it is an instance of."""
    for kind, reply in FAILURES:
        if isinstance(exc, kind):
            return reply(exc, family, ctx)
    raise AssertionError("FAILURES ends with Exception") from exc  # pragma: no cover


def answer_cancelled(operation: str, family: Family) -> LegacyReply:
    """A call cancelled while it ran: uvicorn cancels those still running ``shutdown_timeout``
    after SIGTERM. Answer a legacy 503 with Retry-After (another replica, or this one restarted,
    takes the retry) instead of a 500 and a traceback; re-raise any other cancellation."""
    task = asyncio.current_task()
    if task is None or task.cancelling() == 0:
        raise asyncio.CancelledError
    task.uncancel()
    log.warning("legacy.cancelled_at_shutdown", operation=operation)
    message = "klaviyo-compat is shutting down. Please retry."
    return protocol.error(family, 503, message, {"Retry-After": "1"}, reason="shutting_down")
