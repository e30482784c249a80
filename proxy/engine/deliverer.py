"""Drains the write spool: per account, oldest first, within the rate budget.

Each round takes every account with a due head and, under the account's delivery lease (with a
shared spool, one replica at a time delivers an account; an account leased elsewhere is
skipped), delivers its entries in order until one cannot be delivered yet. An entry that fails
transiently (408, 429, 5xx, no answer) waits ``backoff`` (exponential, full jitter, at most
``backoff_cap``) or the ``Retry-After`` upstream asked for, and blocks its account's later
entries meanwhile; a spent budget or an open circuit postpones it without counting an
attempt. A permanent refusal (any other 4xx) goes to the dead letters. Redelivery is safe:
events carry their ``unique_id``, profile upserts are idempotent. A delivery cut by shutdown or
SIGKILL leaves the entry pending: it is sent again (by this process after a restart, or by the
replica that takes the account's lease over). While a shared spool does not answer, rounds are
skipped until it does.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Mapping

import structlog

from mappings.core import Reply
from proxy.engine.resilience import CircuitOpen, backoff, retry_after, transient
from proxy.engine.spooling import Spooler, call_of
from proxy.engine.upstream import UnencodableRequest, Upstream, UpstreamUnavailable
from proxy.state.budgets import BudgetSpent
from proxy.state.seal import Unsealable
from proxy.state.shared import StateUnavailable
from proxy.state.spool import Entry

log = structlog.get_logger("klaviyo_compat.spool")


class Deliverer:
    def __init__(
        self,
        spooler: Spooler,
        upstream: Upstream,
        token_keys: Mapping[str, str],
        *,
        poll: float,
        base: float,
        cap: float,
        clock: Callable[[], float],
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.spooler = spooler
        self.spool = spooler.spool
        self.upstream = upstream
        self.token_keys = token_keys
        self.poll, self.base, self.cap = poll, base, cap
        self.clock, self.draw = clock, draw

    async def run(self) -> None:
        """Forever: drain, then sleep until woken (a new entry) or ``poll`` seconds pass."""
        while True:
            try:
                delivered = await self.drain()
            except StateUnavailable:
                delivered = 0  # the shared spool logged the outage once; look again at the next poll
            except Exception:
                log.exception("spool.drain_failed")
                delivered = 0
            if delivered:
                continue
            self.spooler.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.spooler.wake.wait(), self.poll)

    async def drain(self) -> int:
        """One round over every account with a due head; returns the entries that left the spool."""
        accounts = await self.spool.due(self.clock(), 1000)
        done = await asyncio.gather(*(self._account(account) for account in accounts))
        return sum(done)

    async def _account(self, account: str) -> int:
        """Under the account's lease, deliver its entries while they go through (at most 100)."""
        done = 0
        try:
            async with self.spool.lease(account) as lease:
                while lease.held and done < 100:
                    entry = await self.spool.head(account, self.clock())
                    if entry is None or not await self.deliver(entry):
                        break
                    done += 1
        except StateUnavailable:
            pass  # the shared spool went down mid-round: what was not settled is sent again later
        return done

    async def deliver(self, entry: Entry) -> bool:
        """Try one entry; True when it left the spool (delivered or dead-lettered)."""
        try:
            payload = self.spooler.sealer.open(entry.payload)
            call = call_of(payload)
        except (Unsealable, KeyError, TypeError) as exc:
            return await self._bury(entry, 0, f"unreadable entry ({type(exc).__name__})")
        key = payload.get("key") if call.token is None else self.token_keys.get(call.token)
        if call.auth == "private" and key is None:
            return await self._bury(entry, 401, "no private key for this entry's token any more")
        budget = self.spooler.budget
        try:
            if budget is not None:
                await budget.reserve(entry.account, {call.op: 1}, 0.0)
            reply = await self.upstream.call(call, key)
        except (BudgetSpent, CircuitOpen) as exc:
            await self._later(entry, exc.retry_after, str(exc), attempt=False)
            return False
        except UpstreamUnavailable as exc:
            await self._later(entry, backoff(entry.attempts, self.base, self.cap, self.draw), str(exc))
            return False
        except UnencodableRequest as exc:
            return await self._bury(entry, 0, f"unencodable: {exc}")
        return await self._settle(entry, reply)

    async def _settle(self, entry: Entry, reply: Reply) -> bool:
        if self.spooler.budget is not None:  # RateLimit-* headers engage the account's budget
            self.spooler.budget.observe(entry.account, entry.operation, reply.status, reply.headers)
        if reply.ok:
            await self.spool.delivered(entry)
            if self.spooler.metrics is not None:
                self.spooler.metrics.delivered(entry.operation)
            return True
        if transient(reply.status):
            asked = retry_after(reply)
            if reply.status == 429 and self.spooler.budget is not None:
                self.spooler.budget.cool(entry.account, entry.operation, asked or 1.0)
            wait = asked if asked is not None else backoff(entry.attempts, self.base, self.cap, self.draw)
            await self._later(entry, wait, f"upstream answered {reply.status}")
            return False
        return await self._bury(entry, reply.status, _detail(reply))

    async def _later(self, entry: Entry, seconds: float, why: str, *, attempt: bool = True) -> None:
        await self.spool.postpone(entry, self.clock() + seconds, why, attempt=attempt)

    async def _bury(self, entry: Entry, status: int, reason: str) -> bool:
        await self.spool.bury(entry, status, reason, self.clock())
        if self.spooler.metrics is not None:
            self.spooler.metrics.dead(entry.operation)
        log.warning("spool.dead_letter", upstream=entry.operation, status=status, entry=entry.id)
        return True


def _detail(reply: Reply) -> str:
    """The upstream's error code/title only (never its detail text, which may echo the payload)."""
    body = reply.body
    errors = body.get("errors") if isinstance(body, dict) else None
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    code, title = first.get("code"), first.get("title")
    return f"upstream answered {reply.status}" + (f": {code or title}" if code or title else "")
