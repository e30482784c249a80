"""The cluster-wide bound on continuation tokens (``token_entries``) when they live on Redis.

Each account's tokens are bounded by its own script (``token_entries_per_account``, in the
account's slot). The global bound needs a view across accounts, kept in two sorted sets that
share the hash tag ``{tokens}`` (one slot of their own, so every script still touches one slot
and runs on Redis Cluster):

* ``kc:{tokens}:all``: every live token's key, scored by its expiry (kept strictly increasing,
  so the oldest pops first);
* ``kc:{tokens}:accounts``: the accounts holding tokens, scored by their latest token's expiry
  (an account whose latest token expired holds none: it drops out).

After a token is stored, one script indexes it and trims expired entries; when the index holds
more than ``token_entries``, the rule of the in-process store applies: an account at or over its
fair share (``token_entries`` / accounts holding tokens) loses its own oldest tokens, otherwise
the oldest tokens of the cluster go. The evictions run as separate commands in the victims'
slots, so the bound is approximate: replicas minting at the same instant may overshoot it by a
few tokens for a moment, never lastingly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import redis.asyncio as aioredis

INDEX_KEY = "kc:{tokens}:all"
ACCOUNTS_KEY = "kc:{tokens}:accounts"
Run = Callable[..., Awaitable[Any]]

# KEYS: index, accounts. ARGV: token key, ttl ms, bound, account tag, tokens the account holds,
# then keys of tokens its own script just evicted. Returns {n}: evict n of the account's own
# oldest; or {0, key, ...}: these tokens of the cluster were popped from the index, delete them.
_INDEX = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
for i = 6, #ARGV do redis.call('ZREM', KEYS[1], ARGV[i]) end
local score = now + ttl
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] and tonumber(last[2]) >= score then score = tonumber(last[2]) + 1 end
redis.call('ZADD', KEYS[1], score, ARGV[1])
redis.call('ZADD', KEYS[2], now + ttl, ARGV[4])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if excess <= 0 then return {0} end
local held = tonumber(ARGV[5])
if held > excess and held >= tonumber(ARGV[3]) / redis.call('ZCARD', KEYS[2]) then return {excess} end
local popped = redis.call('ZPOPMIN', KEYS[1], excess)
local victims = {0}
for i = 1, #popped, 2 do victims[#victims + 1] = popped[i] end
return victims
"""
# KEYS: the account's token index. ARGV: how many, token key prefix. Its oldest go (never the
# newest, which the caller just minted: it asks for fewer than the account holds).
_EVICT_OWN = """
local popped = redis.call('ZPOPMIN', KEYS[1], ARGV[1])
local keys = {}
for i = 1, #popped, 2 do
  keys[#keys + 1] = ARGV[2] .. popped[i]
  redis.call('DEL', keys[#keys])
end
return keys
"""


class TokenIndex:
    def __init__(self, client: aioredis.Redis, run: Run, ttl_ms: int, max_entries: int) -> None:
        self.client = client
        self.run = run
        self.ttl_ms = ttl_ms
        self.max_entries = max_entries
        self._index = client.register_script(_INDEX)
        self._evict_own = client.register_script(_EVICT_OWN)

    async def added(self, tag: str, token: str, held: int, evicted: Sequence[str]) -> None:
        """Index the token ``tag:t:token`` just stored (its account now holds ``held``; its own
        bound evicted ``evicted``) and bring the cluster back within ``token_entries``."""
        prefix = f"{tag}:t:"
        args = [prefix + token, self.ttl_ms, self.max_entries, tag, held, *(prefix + t for t in evicted)]
        reply = await self.run(self._index, keys=[INDEX_KEY, ACCOUNTS_KEY], args=args)
        own, victims = int(reply[0]), [_text(v) for v in reply[1:]]
        if own:
            gone = await self.run(self._evict_own, keys=[f"{tag}:tz"], args=[own, prefix])
            if gone:
                await self.run(self.client.zrem, INDEX_KEY, *gone)
        if victims:
            pipe = self.client.pipeline(transaction=False)
            for key in victims:
                account, _, victim = key.rpartition(":t:")
                pipe.delete(key)
                pipe.zrem(f"{account}:tz", victim)
            await self.run(pipe.execute)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
