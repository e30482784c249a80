"""Acknowledge a fire-and-forget write once it is delivered or durably spooled.

For a spoolable operation (``Operation.spoolable``) the runner hands its one upstream call to
``Spooler.send``: the call gets its idempotency key first (an event's ``unique_id``, fixed now
unless the translation set one), then

* if the account already has writes waiting in the spool, it joins them (order per account;
  with a shared spool, whichever replica spooled them);
* else it reserves its budget (a short bounded wait) and is sent; a transient failure (408,
  429, 5xx, no answer, an open circuit, no answer within ``send_timeout``) or a spent budget
  spools it instead.

A spooled call answers ``SPOOLED`` (a 202), so the plan renders the legacy success answer. A
full spool raises ``SpoolFull``, a shared spool that does not answer ``SpoolUnavailable`` (both
the legacy failure answer: a write is acknowledged only once delivered or durably spooled).
While a shared spool is down a write is still sent directly. ``proxy.engine.deliverer`` drains
the spool.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import structlog

from mappings.core import Call, Reply
from mappings.translate.idempotency import needs_unique_id, with_unique_id
from proxy.engine.deadline import deadline
from proxy.engine.resilience import SPOOLING, transient
from proxy.engine.upstream import UpstreamUnavailable
from proxy.observe.reliability import ReliabilityMetrics
from proxy.state.budgets import BudgetSpent, RateBudget
from proxy.state.seal import Sealer
from proxy.state.shared import StateUnavailable
from proxy.state.spool import Spool

log = structlog.get_logger("klaviyo_compat.spool")

SPOOLED = Reply(status=202, body=None, headers={"x-compat-spooled": "1"})
_CALL_FIELDS = ("op", "path_params", "query", "body", "auth", "token")


def stamp(call: Call, make_id: Callable[[], str] = lambda: str(uuid.uuid4())) -> Call:
    """The call with an idempotency key: an event without ``unique_id`` gets one, fixed now."""
    if not needs_unique_id(call.body):
        return call
    return replace(call, body=with_unique_id(call.body, make_id()))


def sealed_payload(call: Call, key: str | None) -> dict[str, Any]:
    """What a spooled call needs to be delivered later. The caller's private key only when the
    call is authenticated with it (not through an operator-mapped token): it is sealed."""
    payload: dict[str, Any] = {name: getattr(call, name) for name in _CALL_FIELDS}
    payload["path_params"], payload["query"] = dict(call.path_params), dict(call.query)
    if call.auth == "private" and call.token is None and key is not None:
        payload["key"] = key
    return payload


def call_of(payload: dict[str, Any]) -> Call:
    return Call(**{name: payload[name] for name in _CALL_FIELDS})


class Spooler:
    def __init__(
        self,
        spool: Spool,
        sealer: Sealer,
        budget: RateBudget | None,
        *,
        budget_wait: float,
        send_timeout: float | None = None,
        clock: Callable[[], float],
        metrics: ReliabilityMetrics | None = None,
    ) -> None:
        self.spool = spool
        self.sealer = sealer
        self.budget = budget
        self.budget_wait = budget_wait
        self.send_timeout = send_timeout  # a direct try slower than this is cut and spooled
        self.clock = clock
        self.metrics = metrics
        self.wake = asyncio.Event()  # a new entry: the local deliverer looks at once

    async def load(self) -> int:
        """How many entries a previous run left (the deliverer is woken for them); 0 when a
        shared spool does not answer yet."""
        try:
            pending = (await self.spool.counts()).pending
        except StateUnavailable:
            return 0
        if pending:
            self.wake.set()
        return pending

    async def _queued(self, account: str) -> bool:
        """Whether ``account`` has writes in the spool; a shared spool that does not answer
        counts as empty (the write is sent directly; it could not be spooled anyway)."""
        try:
            return await self.spool.waiting(account) > 0
        except StateUnavailable:
            return False

    async def send(
        self, account: str, call: Call, key: str | None, send: Callable[[], Awaitable[Reply]]
    ) -> Reply:
        """Deliver ``call`` (already stamped) through ``send``, or spool it."""
        if await self._queued(account):
            return await self.put(account, call, key, "queued behind earlier writes")
        reservation = None
        if self.budget is not None:
            try:
                reservation = await self.budget.reserve(account, {call.op: 1}, self.budget_wait)
            except BudgetSpent:
                return await self.put(account, call, key, "rate budget spent")
        spooling = SPOOLING.set(True)  # no inline retries: the spool is the retry
        try:
            async with deadline(self.send_timeout):
                reply = await send()
        except UpstreamUnavailable as exc:
            return await self.put(account, call, key, str(exc))
        except TimeoutError:  # the upstream may have stored it: the redelivery carries the same key
            return await self.put(account, call, key, f"no answer within {self.send_timeout:g} s")
        finally:
            SPOOLING.reset(spooling)
        if transient(reply.status):
            if reservation is not None and self.budget is not None:
                self.budget.refund(reservation, {})
            return await self.put(account, call, key, f"upstream answered {reply.status}")
        return reply

    async def put(self, account: str, call: Call, key: str | None, why: str) -> Reply:
        blob = self.sealer.seal(sealed_payload(call, key))
        # Durable (committed and fsynced, or in Redis's AOF) before the caller is answered.
        await self.spool.put(account, call.op, blob, self.clock())
        self.wake.set()
        if self.metrics is not None:
            self.metrics.spooled(call.op)
        log.info("spool.accepted", upstream=call.op, reason=why)
        return SPOOLED
