"""Shared state on Redis (``state_url``): continuation tokens and the enumeration cache of replicas.

Needs the ``redis`` extra (``pip install 'klaviyo-compat[redis]'``: redis-py's asyncio client
with hiredis). Every key of one account carries the account as hash tag (``kc:{acct#…}:…``), so
each script touches one slot and also runs on Redis Cluster.

Tokens: ``kc:{acct}:t:<token>`` holds the JSON value with a TTL (``SET NX PX``: a live token is
never minted twice). A marker minted by one replica resolves on any other; another account's
token is simply another key. The cluster-wide bound ``token_entries`` keeps an index of every
token under the hash tag ``{tokens}`` (``proxy.state.redis_token_index``).

Enumeration cache, single-flight across replicas: a walk's snapshot is ``kc:{acct}:c:<digest>``
(TTL ``collection_cache_ttl``). On a miss, one replica takes the lease ``kc:{acct}:l:<digest>``
(``SET NX PX``, a few seconds, renewed while its walk runs) and walks; the others poll for its
snapshot and serve that one, or take the lease over when the walker died (it lapses unrenewed).
A write through any replica bumps the account's generation ``kc:{acct}:g`` and deletes its
snapshots (listed in ``kc:{acct}:i``); a walk that began before the bump is answered to its
caller but not stored.

While Redis does not answer, the backend counts as down (``on_change(False)``, one log line): the
cache walks directly, the token store raises ``StateUnavailable`` (legacy 503) without waiting
for Redis; ``watch`` pings it and brings it back (``on_change(True)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

import orjson
import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError, ResponseError

from mappings.core import Collected
from proxy.settings import Settings
from proxy.state.collection_cache import CollectionCache
from proxy.state.redis_token_index import TokenIndex
from proxy.state.shared import Availability, OnChange, StateUnavailable
from proxy.state.tokens import TokenStore, mint

log = structlog.get_logger("klaviyo_compat.state")

T = TypeVar("T")
PREFIX = "kc"
_ERRORS = (RedisError, OSError, TimeoutError)
_MAX_TOKEN = 128  # longer tokens were never minted: not looked up
POLL_SECONDS = 0.025  # how often a replica waiting for another's walk looks for its snapshot
# A walk's lease: renewed every third of it while the walk runs, so a replica killed mid-walk
# holds up the others' pages for at most this long before one of them walks instead.
LEASE_SECONDS = 5.0

# KEYS: snapshot, lease, generation, index. ARGV: owner, generation at the walk's start, payload, ttl ms.
_STORE = """
local gen = redis.call('GET', KEYS[3]) or '0'
if gen == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
  redis.call('SADD', KEYS[4], KEYS[1])
  redis.call('PEXPIRE', KEYS[4], ARGV[4])
end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return gen == ARGV[2] and 1 or 0
"""
# KEYS: token, the account's token index. ARGV: payload, ttl ms, per-account bound, token key prefix.
# Returns {0} (a live token of that name exists), or {1, tokens the account holds, evicted tokens...}.
_SAVE_TOKEN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3]) + 1
local evicted = {}
if excess > 0 then
  local popped = redis.call('ZPOPMIN', KEYS[2], excess)  -- member, score, member, score...
  for i = 1, #popped, 2 do
    redis.call('DEL', ARGV[4] .. popped[i])
    evicted[#evicted + 1] = popped[i]
  end
end
local token = string.sub(KEYS[1], string.len(ARGV[4]) + 1)
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
-- Scores are expiry times kept strictly increasing, so the oldest token is always popped first.
local score = now + tonumber(ARGV[2])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if last[2] and tonumber(last[2]) >= score then score = tonumber(last[2]) + 1 end
redis.call('ZADD', KEYS[2], score, token)
redis.call('PEXPIRE', KEYS[2], ARGV[2])
local reply = {1, redis.call('ZCARD', KEYS[2])}
for _, gone in ipairs(evicted) do reply[#reply + 1] = gone end
return reply
"""
# KEYS: lease. ARGV: owner, ms. A walk still running renews its own lease.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
# KEYS: lease. ARGV: owner. A failed walk gives its lease back (only its own).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# KEYS: generation, index. Every snapshot of the account goes; walks in flight are not stored.
_INVALIDATE = """
redis.call('INCR', KEYS[1])
for _, key in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('DEL', key) end
redis.call('DEL', KEYS[2])
return 1
"""


def account_tag(account: str) -> str:
    """The key prefix of one account: its hash tag keeps all its keys in one cluster slot."""
    return f"{PREFIX}:{{{account}}}"


class RedisBackend:
    """``StateBackend`` on one Redis (or Cluster-compatible key layout)."""

    def __init__(
        self,
        url: str,
        *,
        token_ttl: float,
        cache_ttl: float,
        lease: float,
        token_per_account: int = 10_000,
        token_entries: int = 100_000,
        timeout: float = 1.0,
        on_change: OnChange | None = None,
    ) -> None:
        self.client: aioredis.Redis = aioredis.from_url(  # type: ignore[no-untyped-call]
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self.timeout = timeout
        self.availability = Availability(
            down_event="state.backend_down",
            down_effect="offset pages walk the upstream directly; continuation tokens answer 503",
            up_event="state.backend_up",
            up_effect="shared tokens and cache are used again",
            on_change=on_change,
        )  # up until a command fails
        self._tokens = RedisTokenStore(self, token_ttl, token_per_account, token_entries)
        self._cache = RedisCollectionCache(self, cache_ttl, lease)

    @classmethod
    def from_settings(cls, settings: Settings, on_change: OnChange | None = None) -> RedisBackend:
        return cls(
            settings.state_url,
            token_ttl=settings.token_ttl,
            token_per_account=min(settings.token_entries_per_account, settings.token_entries),
            token_entries=settings.token_entries,
            cache_ttl=settings.collection_cache_ttl,
            lease=LEASE_SECONDS,
            timeout=settings.state_timeout,
            on_change=on_change,
        )

    @property
    def tokens(self) -> TokenStore:
        return self._tokens

    @property
    def cache(self) -> CollectionCache:
        return self._cache

    @property
    def up(self) -> bool:
        return self.availability.up

    async def run(self, command: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """One Redis command; any failure marks the backend down and raises ``StateUnavailable``."""
        if not self.availability.up:
            raise StateUnavailable("the shared state backend is down")
        try:
            return await command(*args, **kwargs)
        except _ERRORS as exc:
            self.availability.mark(False, f"{type(exc).__name__}: {exc}")
            raise StateUnavailable(str(exc)) from exc

    async def ping(self) -> bool:
        """Whether Redis answers now (and the backend's state follows)."""
        try:
            async with asyncio.timeout(self.timeout):
                await self.client.ping()
        except _ERRORS as exc:
            self.availability.mark(False, f"{type(exc).__name__}: {exc}")
            return False
        self.availability.mark(True)
        return True

    async def watch(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.ping()

    @classmethod
    async def verdict(cls, settings: Settings, *, ping: bool = False) -> str | None:
        """Connect to the Redis of ``settings`` once: why it may lose entries, or None. With
        ``ping``, a PING within ``state_timeout`` first. Raises ``StateUnavailable`` (the reason,
        never the URL) when it does not answer."""
        backend = cls.from_settings(settings)
        try:
            if ping:
                try:
                    async with asyncio.timeout(settings.state_timeout):
                        await backend.client.ping()
                except Exception as exc:  # any failure to answer: its reason, for the caller to mask
                    raise StateUnavailable(f"{type(exc).__name__}: {exc}") from None
            return await backend.policy_problem()
        finally:
            await backend.aclose()

    async def policy_problem(self) -> str | None:
        """Why this Redis may lose entries (no AOF, an ``allkeys-*`` eviction policy), or None.

        Raises ``StateUnavailable`` when Redis does not answer.
        """
        try:
            appendonly, policy = await self._policy()
        except _ERRORS as exc:
            raise StateUnavailable(f"{type(exc).__name__}: {exc}") from exc
        problems = []
        if appendonly not in ("yes", "1"):
            problems.append(
                "appendonly is off (a restart loses every spooled write and marker since the last snapshot)"
            )
        if policy.startswith("allkeys-"):
            problems.append(f"maxmemory-policy is {policy} (Redis evicts spooled writes when full)")
        return "; ".join(problems) or None

    async def _policy(self) -> tuple[str, str]:
        try:
            config = await self.client.config_get("appendonly")
            config.update(await self.client.config_get("maxmemory-policy"))
            return _text(config.get(b"appendonly", config.get("appendonly"))), _text(
                config.get(b"maxmemory-policy", config.get("maxmemory-policy"))
            )
        except ResponseError:  # CONFIG disabled (managed Redis): INFO says the same
            persistence = await self.client.info("persistence")
            memory = await self.client.info("memory")
            return _text(persistence.get("aof_enabled", 0)), _text(memory.get("maxmemory_policy", ""))

    async def aclose(self) -> None:
        with contextlib.suppress(*_ERRORS):
            await self.client.aclose()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisTokenStore:
    """Tokens with a TTL, at most ``per_account`` live ones per account (its oldest go first), at
    most about ``max_entries`` in the whole cluster.

    ``kc:{acct}:tz`` orders an account's tokens by expiry; one script drops the expired ones,
    evicts the account's oldest beyond its bound and stores the new token (``NX``), so an
    account minting in a loop evicts its own walks, never another account's. The cluster-wide
    bound is ``proxy.state.redis_token_index`` (one more round trip per minted token).
    """

    def __init__(self, backend: RedisBackend, ttl: float, per_account: int, max_entries: int) -> None:
        self.backend = backend
        self.ttl_ms = max(1, round(ttl * 1000))
        self.per_account = per_account
        self._save = backend.client.register_script(_SAVE_TOKEN)
        self.index = TokenIndex(backend.client, backend.run, self.ttl_ms, max_entries)

    @staticmethod
    def key(account: str, token: str | int) -> str:
        return f"{account_tag(account)}:t:{token}"

    async def save(self, account: str, value: Any, numeric: bool) -> str | int:
        payload = orjson.dumps(value)
        while True:  # a draw that hits a live token of the account is drawn again
            token = mint(numeric)
            key = self.key(account, token)
            index = f"{account_tag(account)}:tz"
            args = [payload, self.ttl_ms, self.per_account, f"{account_tag(account)}:t:"]
            stored = await self.backend.run(self._save, keys=[key, index], args=args)
            if int(stored[0]) == 1:
                break
        evicted = [_text(t) for t in stored[2:]]
        with contextlib.suppress(StateUnavailable):  # stored: the bound is caught up by the next one
            await self.index.added(account_tag(account), str(token), int(stored[1]), evicted)
        return token

    async def load(self, account: str, token: str | int) -> Any | None:
        if len(str(token)) > _MAX_TOKEN:
            return None
        key = self.key(account, token)
        raw = await self.backend.run(lambda: self.backend.client.get(key))
        return None if raw is None else orjson.loads(raw)


class RedisCollectionCache:
    def __init__(self, backend: RedisBackend, ttl: float, lease: float) -> None:
        self.backend = backend
        self.ttl = ttl
        self.lease_ms = max(1, round(lease * 1000))
        self._local: dict[str, asyncio.Lock] = {}  # one waiter per key in this process polls Redis
        client = backend.client
        self._store = client.register_script(_STORE)
        self._release = client.register_script(_RELEASE)
        self._renew = client.register_script(_RENEW)
        self._invalidate = client.register_script(_INVALIDATE)

    @staticmethod
    def keys(key: Hashable) -> tuple[str, str, str, str]:
        """Snapshot, lease, generation and index keys of a cache key ``(account, ...)``."""
        account = str(key[0]) if isinstance(key, tuple) and key else ""
        rest = key[1:] if isinstance(key, tuple) else key
        digest = hashlib.sha256(orjson.dumps(rest)).hexdigest()[:32]
        tag = account_tag(account)
        return f"{tag}:c:{digest}", f"{tag}:l:{digest}", f"{tag}:g", f"{tag}:i"

    async def get_or_fill(self, key: Hashable, fill: Callable[[], Awaitable[Collected]]) -> Collected:
        if self.ttl <= 0 or not self.backend.up:
            return await fill()  # no cache, or Redis down: walk directly
        keys = self.keys(key)
        lock = self._local.setdefault(keys[0], asyncio.Lock())
        try:
            async with lock:
                return await self._shared(keys, fill)
        finally:
            if not lock.locked():
                self._local.pop(keys[0], None)

    async def _shared(
        self, keys: tuple[str, str, str, str], fill: Callable[[], Awaitable[Collected]]
    ) -> Collected:
        snapshot, lease, generation, _ = keys
        client, run = self.backend.client, self.backend.run
        owner = secrets.token_hex(8)
        while True:
            try:
                raw = await run(lambda: client.get(snapshot))
                if raw is not None:
                    return _decode(raw)
                won = await run(lambda: client.set(lease, owner, nx=True, px=self.lease_ms))
                before = await run(lambda: client.get(generation)) if won else None
            except StateUnavailable:
                return await fill()  # Redis went down: walk directly
            if won:
                return await self._walk(keys, owner, _text(before or b"0"), fill)
            await asyncio.sleep(POLL_SECONDS)  # another replica walks: its snapshot is served

    async def _walk(
        self,
        keys: tuple[str, str, str, str],
        owner: str,
        before: str,
        fill: Callable[[], Awaitable[Collected]],
    ) -> Collected:
        heartbeat = asyncio.create_task(self._keep(keys[1], owner))
        try:
            value = await fill()
        except BaseException:
            heartbeat.cancel()
            with contextlib.suppress(StateUnavailable):
                await self.backend.run(lambda: self._release(keys=[keys[1]], args=[owner]))
            raise
        heartbeat.cancel()
        payload = _encode(value)
        ttl_ms = max(1, round(self.ttl * 1000))
        with contextlib.suppress(StateUnavailable):  # not kept: the next call walks again
            await self.backend.run(
                lambda: self._store(keys=list(keys), args=[owner, before, payload, ttl_ms])
            )
        return value

    async def _keep(self, lease: str, owner: str) -> None:
        """Renew the walk's lease until cancelled (the walk ended)."""
        while True:
            await asyncio.sleep(self.lease_ms / 3000)
            with contextlib.suppress(StateUnavailable):
                await self.backend.run(self._renew, keys=[lease], args=[owner, self.lease_ms])

    async def invalidate(self, account: str) -> None:
        tag = account_tag(account)
        try:
            await self.backend.run(lambda: self._invalidate(keys=[f"{tag}:g", f"{tag}:i"]))
        except StateUnavailable:
            log.warning(
                "state.invalidate_lost", effect="other replicas may serve pages up to the cache TTL old"
            )


def _encode(value: Collected) -> bytes:
    return orjson.dumps(
        {
            "data": value.data,
            "included": value.included,
            "pages": value.pages,
            "next_cursor": value.next_cursor,
        }
    )


def _decode(raw: bytes) -> Collected:
    body = orjson.loads(raw)
    return Collected(
        data=body["data"], included=body["included"], pages=body["pages"], next_cursor=body["next_cursor"]
    )
