"""Rate budgets shared by replicas (``state_url``): one account's limits split by nobody.

Same contract as ``MemoryRateBudget`` (``proxy.state.budgets``), kept in Redis so that two
replicas together stay within an account's per-second and per-minute limits. One Lua script
reserves a fan-out's whole cost across every window of every operation it needs, or nothing,
timed by the Redis clock (``TIME``: replicas' clocks do not matter). Buckets are hashes
``kc:{acct}:b:<op>:<window>`` (tokens, last update in ms) that expire once they would be full
again; a 429 cooldown is ``kc:{acct}:cool:<op>`` with a TTL. Every key of an account shares its
hash tag, so the script touches one slot (Redis Cluster).

While Redis does not answer, the budget fails open to a local limit: a ``MemoryRateBudget`` of
this process (the upstream's 429 stays the backstop). ``refund``, ``cool`` and ``observe`` are
synchronous in the interface: their Redis writes run as background tasks.

Which pairs are budgeted (``Engagement``, mode ``upstream``) is learned per process from the
replies it sees; that process's fallback shares it. A reply that engages a pair with a
``RateLimit-Remaining`` lowers the shared bucket of the current window to it (``_SEED``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any

import redis.asyncio as aioredis

from proxy.state.budgets import UNBUDGETED, BudgetSpent, Engagement, MemoryRateBudget, Reservation, Window
from proxy.state.limits import Seed
from proxy.state.redis_backend import _ERRORS, account_tag
from proxy.state.shared import Availability

RETRY_SECONDS = 1.0  # while Redis is down, the local budget serves this long before Redis is tried again

# KEYS: the cooldown key of each operation (n_ops), then the bucket key of each window.
# ARGV: n_ops, then per window: limit, window ms, need; then sign (1 take, -1 give back).
# Returns {1, 0} when taken (or given back), {0, wait_ms} when it does not fit (nothing taken).
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n_ops = tonumber(ARGV[1])
local n_windows = #KEYS - n_ops
local sign = tonumber(ARGV[2 + 3 * n_windows])
local wait = 0
if sign > 0 then
  for i = 1, n_ops do
    local ttl = redis.call('PTTL', KEYS[i])
    if ttl > wait then wait = ttl end
  end
end
local levels = {}
for w = 1, n_windows do
  local limit = tonumber(ARGV[2 + 3 * (w - 1)])
  local span = tonumber(ARGV[3 + 3 * (w - 1)])
  local need = tonumber(ARGV[4 + 3 * (w - 1)])
  local key = KEYS[n_ops + w]
  local state = redis.call('HMGET', key, 't', 'u')
  local tokens = tonumber(state[1]) or limit
  local updated = tonumber(state[2]) or now
  tokens = math.min(limit, tokens + (now - updated) * limit / span)
  levels[w] = tokens
  if sign > 0 and tokens < need then
    local short = math.ceil((need - tokens) * span / limit)
    if short > wait then wait = short end
  end
end
if wait > 0 then return {0, wait} end
for w = 1, n_windows do
  local limit = tonumber(ARGV[2 + 3 * (w - 1)])
  local span = tonumber(ARGV[3 + 3 * (w - 1)])
  local need = tonumber(ARGV[4 + 3 * (w - 1)])
  local key = KEYS[n_ops + w]
  local tokens = math.min(limit, levels[w] - sign * need)
  redis.call('HSET', key, 't', tostring(tokens), 'u', now)
  redis.call('PEXPIRE', key, span * 2)
end
return {1, 0}
"""
# KEYS: the cooldown key. ARGV: ms. Only ever lengthens a cooldown.
_COOL = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1
"""
# KEYS: one bucket key. ARGV: limit, window ms, tokens. Lowers the bucket to ``tokens`` (never raises it).
_SEED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local span = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens = tonumber(state[1]) or limit
local updated = tonumber(state[2]) or now
tokens = math.min(limit, tokens + (now - updated) * limit / span, tonumber(ARGV[3]))
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'u', now)
redis.call('PEXPIRE', KEYS[1], span * 2)
return 1
"""


class RedisRateBudget:
    """``RateBudget`` on Redis, with this process's ``MemoryRateBudget`` as the fallback."""

    def __init__(
        self,
        url: str,
        windows: Mapping[str, tuple[Window, ...]],
        *,
        timeout: float = 1.0,
        on_spent: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        engagement: Engagement | None = None,
    ) -> None:
        self.client: aioredis.Redis = aioredis.from_url(  # type: ignore[no-untyped-call]
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self.windows = windows
        self.on_spent = on_spent
        self.clock = clock
        self.engagement = engagement if engagement is not None else Engagement(windows)
        self.local = MemoryRateBudget(windows, on_spent=on_spent, engagement=self.engagement)
        self._reserve = self.client.register_script(_RESERVE)
        self._cool = self.client.register_script(_COOL)
        self._seed = self.client.register_script(_SEED)
        self._tasks: set[asyncio.Task[Any]] = set()
        self.availability = Availability(
            down_event="state.budget_fallback",
            down_effect="rate budgets are per process",
            up_event="state.budget_shared",
            up_effect="rate budgets are shared again",
        )
        self._tried = 0.0  # when Redis was last tried while down

    def cost(self, account: str, op: str, cost: int) -> int:
        return self.local.cost(account, op, cost)

    def _script_args(self, account: str, costs: Mapping[str, int], sign: int) -> tuple[list[str], list[Any]]:
        tag = account_tag(account)
        keys = [f"{tag}:cool:{op}" for op in costs]
        args: list[Any] = [len(costs)]
        for op, cost in costs.items():
            need = self.cost(account, op, cost)
            for i, window in enumerate(self.engagement.windows(account, op)):
                keys.append(f"{tag}:b:{op}:{i}")
                args += [window.limit, max(1, round(window.seconds * 1000)), need]
        args.append(sign)
        return keys, args

    async def reserve(self, account: str, costs: Mapping[str, int], wait: float) -> Reservation:
        covered = self.engagement.budgeted(account, costs)
        if covered is None:
            return UNBUDGETED
        costs = covered
        deadline = self.clock() + wait
        while True:
            if not self.availability.up and self.clock() - self._tried < RETRY_SECONDS:  # no timeout per call
                return await self.local.reserve(account, costs, max(0.0, deadline - self.clock()))
            keys, args = self._script_args(account, costs, 1)
            try:
                taken, wait_ms = await self._reserve(keys=keys, args=args)
            except _ERRORS as exc:
                self._tried = self.clock()
                self.availability.mark(False, f"{type(exc).__name__}: {exc}")
                return await self.local.reserve(account, costs, max(0.0, deadline - self.clock()))
            self.availability.mark(True)
            if int(taken) == 1:
                return Reservation(account, {op: self.cost(account, op, n) for op, n in costs.items()})
            short = int(wait_ms) / 1000
            if self.clock() + short > deadline:
                if self.on_spent is not None:
                    for op in costs:
                        self.on_spent(op)
                raise BudgetSpent(short)
            await asyncio.sleep(short)

    def _background(self, work: Any) -> None:
        try:
            task = asyncio.get_running_loop().create_task(work)
        except RuntimeError:  # no loop (shutdown): nothing to give back to
            work.close()
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def refund(self, reservation: Reservation, used: Mapping[str, int]) -> None:
        if not reservation.costs:
            return
        unused = {op: cost - used.get(op, 0) for op, cost in reservation.costs.items()}
        unused = {op: n for op, n in unused.items() if n > 0}
        if unused:
            self._background(self._give_back(reservation.account, unused))

    async def _give_back(self, account: str, unused: Mapping[str, int]) -> None:
        keys, args = self._script_args(account, unused, -1)
        with contextlib.suppress(*_ERRORS):
            await self._reserve(keys=keys, args=args)

    def cool(self, account: str, operation: str, seconds: float) -> None:
        self.local.cool(account, operation, seconds)
        ms = max(1, round(seconds * 1000))
        self._background(self._cool_shared(f"{account_tag(account)}:cool:{operation}", ms))

    async def _cool_shared(self, key: str, ms: int) -> None:
        with contextlib.suppress(*_ERRORS):
            await self._cool(keys=[key], args=[ms])

    def observe(self, account: str, operation: str, status: int, headers: Mapping[str, str]) -> None:
        seed = self.engagement.observe(account, operation, status, headers)
        if seed is None:
            return
        self.local.seed(account, operation, seed)
        self._background(self._seed_shared(account, operation, seed))

    async def _seed_shared(self, account: str, operation: str, seed: Seed) -> None:
        key = f"{account_tag(account)}:b:{operation}:{seed.index}"
        args = [seed.window.limit, max(1, round(seed.window.seconds * 1000)), seed.tokens]
        with contextlib.suppress(*_ERRORS):
            await self._seed(keys=[key], args=args)

    async def settle(self) -> None:
        """Wait for the background refunds and cooldowns (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        await self.settle()
        with contextlib.suppress(*_ERRORS):
            await self.client.aclose()
