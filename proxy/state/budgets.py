"""Rate budgets: the new API's per-account limits, kept on this side so calls never half-happen.

Klaviyo limits each account per operation with two windows, a burst (per second) and a steady
one (per minute); the pinned spec gives both for every operation (``SPEC_OPERATIONS``'
``burst`` and ``steady``, e.g. ``'350/s'`` and ``'3500/m'``). ``MemoryRateBudget`` keeps one
token bucket per window, account (a hash of the key, never the key) and upstream operation.

A legacy call reserves its whole declared cost before its first upstream call (``reserve``):
either every bucket it needs has the tokens and all are taken at once, or none is taken. What
the call did not use is given back (``refund``). An upstream 429 sets a cooldown
(``cool``) that the next reservations of that account and operation wait out.

Which (account, operation) pairs are budgeted at all is the ``Engagement``'s
(``proxy.state.limits``): every pair from the first call (mode ``spec``), or only once the
upstream declared limits for it (mode ``upstream``, told through ``observe``). Before that a
reservation is the shared ``UNBUDGETED`` one.

``RateBudget`` is the interface; ``proxy.state.redis_budget`` shares it between replicas.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from proxy.state.limits import Engagement, Seed, Window, parse_window

__all__ = [
    "UNBUDGETED",
    "BudgetSpent",
    "Engagement",
    "MemoryRateBudget",
    "RateBudget",
    "Reservation",
    "Window",
    "parse_window",
    "windows_from_spec",
]

MAX_BUCKETS = 200_000  # beyond this, idle full buckets are forgotten (they hold no information)


class BudgetSpent(Exception):
    """No budget within the allowed wait; ``retry_after`` seconds until there would be."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate budget spent: retry in {retry_after:.1f} s")
        self.retry_after = retry_after


def windows_from_spec(
    spec: Mapping[str, Mapping[str, Any]], scale: float = 1.0
) -> dict[str, tuple[Window, ...]]:
    """Each operation's burst and steady windows; ``scale`` shrinks (tests) or grows the limits."""
    out: dict[str, tuple[Window, ...]] = {}
    for op, row in spec.items():
        found = [parse_window(str(row.get(name, ""))) for name in ("burst", "steady")]
        out[op] = tuple(Window(max(1, round(w.limit * scale)), w.seconds) for w in found if w is not None)
    return out


@dataclass(frozen=True)
class Reservation:
    account: str
    costs: Mapping[str, int] = field(default_factory=dict)


UNBUDGETED = Reservation("", {})  # what a reservation of pairs no budget covers yet returns


class RateBudget(Protocol):
    async def reserve(self, account: str, costs: Mapping[str, int], wait: float) -> Reservation:
        """Take ``costs`` (upstream operation -> calls) at once, waiting at most ``wait`` seconds;
        raises ``BudgetSpent`` otherwise (nothing taken)."""
        ...

    def refund(self, reservation: Reservation, used: Mapping[str, int]) -> None:
        """Give back what a reservation did not use."""
        ...

    def cool(self, account: str, operation: str, seconds: float) -> None:
        """Upstream said 429: nothing for this account and operation during ``seconds`` (a 429
        also engages the pair)."""
        ...

    def observe(self, account: str, operation: str, status: int, headers: Mapping[str, str]) -> None:
        """An upstream reply to this account and operation: its ``RateLimit-*`` headers (or a
        429) engage the pair's budget (mode ``upstream``; nothing in mode ``spec``)."""
        ...


@dataclass
class _Bucket:
    tokens: float
    updated: float


class MemoryRateBudget:
    """One process's budgets. Safe on one event loop: no await between check and take.

    ``windows`` are the spec's tiers; ``engagement`` says which pairs are budgeted and on which
    windows (default: every pair on the spec's, mode ``spec``)."""

    def __init__(
        self,
        windows: Mapping[str, tuple[Window, ...]],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
        on_spent: Callable[[str], None] | None = None,
        engagement: Engagement | None = None,
    ) -> None:
        self.windows = windows
        self.engagement = engagement if engagement is not None else Engagement(windows)
        self.on_spent = on_spent  # told the upstream operations of each refused reservation (metrics)
        self.clock = clock
        self.sleep = sleep
        self._buckets: dict[tuple[str, str, int], _Bucket] = {}
        self._cool: dict[tuple[str, str], float] = {}

    def _bucket(self, account: str, op: str, i: int, window: Window, now: float) -> _Bucket:
        key = (account, op, i)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(float(window.limit), now)
        else:
            bucket.tokens = min(window.limit, bucket.tokens + (now - bucket.updated) * window.rate)
            bucket.updated = now
        return bucket

    def _forget_full(self, now: float) -> None:
        for key in list(self._buckets):
            account, op, i = key
            windows = self.engagement.windows(account, op)
            if i >= len(windows):  # the pair was forgotten or declared fewer windows since
                del self._buckets[key]
                continue
            window, bucket = windows[i], self._buckets[key]
            if bucket.tokens + (now - bucket.updated) * window.rate >= window.limit:
                del self._buckets[key]

    def cost(self, account: str, op: str, cost: int) -> int:
        """What a reservation of ``cost`` calls takes: at most the operation's smallest window
        (its burst), so a large declared fan-out waits for a full burst, never forever."""
        windows = self.engagement.windows(account, op)
        return min([cost, *(w.limit for w in windows)])

    def shortfall(self, account: str, costs: Mapping[str, int]) -> float:
        """Seconds until ``costs`` fit (0: they fit now)."""
        now = self.clock()
        wait = 0.0
        for op, cost in costs.items():
            wait = max(wait, self._cool.get((account, op), 0.0) - now)
            need = self.cost(account, op, cost)
            for i, window in enumerate(self.engagement.windows(account, op)):
                bucket = self._bucket(account, op, i, window, now)
                if bucket.tokens < need:
                    wait = max(wait, (need - bucket.tokens) / window.rate)
        return wait

    def _take(self, account: str, costs: Mapping[str, int], sign: int) -> None:
        now = self.clock()
        for op, cost in costs.items():
            need = self.cost(account, op, cost)
            for i, window in enumerate(self.engagement.windows(account, op)):
                bucket = self._bucket(account, op, i, window, now)
                bucket.tokens = min(window.limit, bucket.tokens - sign * need)

    async def reserve(self, account: str, costs: Mapping[str, int], wait: float) -> Reservation:
        covered = self.engagement.budgeted(account, costs)
        if covered is None:
            return UNBUDGETED
        deadline = self.clock() + wait
        while True:
            short = self.shortfall(account, covered)
            if short <= 0:
                self._take(account, covered, 1)
                return Reservation(account, {op: self.cost(account, op, n) for op, n in covered.items()})
            if self.clock() + short > deadline:
                if self.on_spent is not None:
                    for op in covered:
                        self.on_spent(op)
                raise BudgetSpent(short)
            await self.sleep(short)

    def refund(self, reservation: Reservation, used: Mapping[str, int]) -> None:
        if not reservation.costs:
            return
        unused = {op: cost - used.get(op, 0) for op, cost in reservation.costs.items()}
        self._take(reservation.account, {op: n for op, n in unused.items() if n > 0}, -1)

    def cool(self, account: str, operation: str, seconds: float) -> None:
        self.engagement.engage(account, operation)
        key = (account, operation)
        self._cool[key] = max(self._cool.get(key, 0.0), self.clock() + seconds)
        if len(self._cool) > MAX_BUCKETS:
            now = self.clock()
            self._cool = {k: until for k, until in self._cool.items() if until > now}

    def observe(self, account: str, operation: str, status: int, headers: Mapping[str, str]) -> None:
        seed = self.engagement.observe(account, operation, status, headers)
        if seed is not None:
            self.seed(account, operation, seed)

    def seed(self, account: str, operation: str, seed: Seed) -> None:
        """Never more in the window than the upstream said is left."""
        bucket = self._bucket(account, operation, seed.index, seed.window, self.clock())
        bucket.tokens = min(bucket.tokens, seed.tokens)
