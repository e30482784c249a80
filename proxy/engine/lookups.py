"""Serves ``CachedLookups`` (list sizes, campaign recipient counts): the count cache, its budgets
and its background refresh.

A lookup is an optional read. The answer is the cached value; a value unknown or older than
``count_max_age`` is re-read first when its per-account budget (declared by the mapping)
allows it, otherwise queued for the background refresh (``refresh_forever``), which reads
queued lookups once a second as budgets allow. Failures are logged and leave the last known
values (a 429 pauses the budget for its ``Retry-After``); a lookup never invalidates the
collection cache (it changes nothing upstream). Dry-runs only answer what is cached.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from mappings.core import CachedLookups, Lookup, Reply
from proxy.engine.upstream import Upstream
from proxy.state.counts import Budgets, LookupCache, MemoryLookupCache, PendingLookups

log = structlog.get_logger("klaviyo_compat.lookups")


class Counted(Protocol):
    """What a lookup call adds to (the runner's ``RunStats``)."""

    upstream_calls: int
    upstream_ops: list[str]


@dataclass(frozen=True)
class LookupPolicy:
    """``enabled`` False answers only what is cached (never reads); a value older than
    ``max_age`` seconds is re-read when its budget allows."""

    enabled: bool = True
    max_age: float = 300.0


def retry_after(reply: Reply) -> float:
    """Seconds an upstream 429 asks to wait (60 when it does not say)."""
    raw = reply.headers.get("retry-after", "")
    try:
        return max(1.0, float(raw))
    except ValueError:
        return 60.0


class Lookups:
    def __init__(
        self,
        upstream: Upstream,
        *,
        cache: LookupCache | None = None,
        budgets: Budgets | None = None,
        policy: LookupPolicy = LookupPolicy(),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.upstream = upstream
        self.cache = cache if cache is not None else MemoryLookupCache(100_000)
        self.budgets = budgets if budgets is not None else Budgets()
        self.policy = policy
        self.clock = clock
        self.pending = PendingLookups()

    async def serve(
        self,
        operation: str,
        step: CachedLookups,
        account: str,
        key: str | None,
        stats: Counted,
        *,
        read: bool,
    ) -> dict[str, Any]:
        """Every key of every lookup -> its last known value (None: never known)."""
        out: dict[str, Any] = {}
        for lookup in step.lookups:
            known = {name: await self.cache.get(account, name) for name in lookup.keys}
            now = self.clock()
            stale = any(hit is None or now - hit[1] > self.policy.max_age for hit in known.values())
            if read and stale and self.policy.enabled and key is not None:
                if self.budgets.take(account, lookup.budget):
                    stats.upstream_calls += 1
                    stats.upstream_ops.append(lookup.call.op)
                    known.update(await self._read(account, lookup, key, operation))
                else:  # the budget is spent for now: the background refresh reads it later
                    self.pending.add(account, lookup, key)
            for name in lookup.keys:
                hit = known.get(name)
                out[name] = hit[0] if hit is not None else None
        return out

    async def _read(self, account: str, lookup: Lookup, key: str, operation: str) -> dict[str, Any]:
        """One lookup call: the values it found (stored), or {} (logged; a 429 pauses its budget)."""
        now = self.clock()
        reply = await self.upstream.call(lookup.call, key)
        if reply.status != 200:
            if reply.status == 429:
                self.budgets.exhaust(account, lookup.budget, retry_after(reply))
            log.info("lookup.failed", operation=operation, upstream=lookup.call.op, status=reply.status)
            return {}
        try:
            found = lookup.read(reply.body)
        except Exception:  # a reader must never fail the legacy call
            log.exception("lookup.unreadable", operation=operation, upstream=lookup.call.op)
            return {}
        out: dict[str, Any] = {}
        for name, value in found.items():
            await self.cache.put(account, name, value, now)
            out[name] = (value, now)
        return out

    async def refresh_pending(self) -> int:
        """One background pass: read the pending lookups each budget allows now; how many were read.

        A lookup refreshed meanwhile (by a legacy call) is dropped unread; a throttled one stays.
        """
        done = 0
        for account in self.pending.accounts():
            for lookup, key in self.pending.peek(account):
                hits = [await self.cache.get(account, name) for name in lookup.keys]
                if all(h is not None and self.clock() - h[1] <= self.policy.max_age for h in hits):
                    self.pending.done(account, lookup)
                    continue
                if not self.budgets.take(account, lookup.budget):
                    continue
                found = await self._read(account, lookup, key, "background")
                if found or not self.budgets.closed(account, lookup.budget):
                    self.pending.done(account, lookup)
                done += 1
        return done


async def refresh_forever(lookups: Lookups, interval: float = 1.0) -> None:
    """The count cache's background refresh: pending lookups read as their budgets allow."""
    while True:
        await asyncio.sleep(interval)
        try:
            await lookups.refresh_pending()
        except Exception:  # never let one bad pass end the refresh
            log.exception("lookup.refresh_failed")
