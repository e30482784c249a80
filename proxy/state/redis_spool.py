"""The write spool shared by replicas (``state_url``): Redis Streams, one per account.

Keys (``kc:{acct}`` is the account's hash tag, so each script touches one slot and also runs on
Redis Cluster; the three global keys share the tag ``{spool}``):

* ``kc:{acct}:spool``: the account's entries, a stream (fields ``o`` operation, ``a`` accepted,
  ``p`` the sealed payload) with one consumer group ``d``; each replica reads as its own
  consumer. An entry is deleted (``XACK`` + ``XDEL``) once delivered or dead-lettered.
* ``kc:{acct}:spool:try``: attempts and the next try time of entries tried already (a hash).
* ``kc:{acct}:spool:lease``: the delivery lease (``SET NX PX``, renewed every third of its
  length while the replica delivers, released when its round ends or at shutdown): exactly one
  replica delivers an account at a time, oldest entry first.
* ``kc:{acct}:spool:dead``: dead letters (a hash: number -> record, sealed payload included).
* ``kc:{spool}:due``: accounts with entries (a sorted set, score = when to look again), so a
  deliverer finds work without scanning keys; ``kc:{spool}:dead`` dead-letter number ->
  account; ``kc:{spool}:seq`` numbers dead letters; ``kc:{spool}:size`` pending plus dead
  entries (the ``spool_max_entries`` bound).

Reclaim: the lease holder's ``head`` first takes over (``XAUTOCLAIM``) the oldest entry still
pending in the group, whichever consumer read it: a replica SIGKILLed while delivering leaves
its lease to expire unrenewed, then the next holder claims what it had read and sends it again
with the same ``unique_id`` (redelivery is idempotent). Only then are new entries read.

Index upkeep without cross-slot scripts: a put adds the account to ``due`` before its entry
(``ZADD NX``), and a deliverer that finds a stream empty removes the account and then looks at
the stream once more, adding it back if an entry arrived meanwhile; every interleaving leaves a
non-empty stream indexed. The size counter is adjusted around each put and removal and
recounted at start and every few minutes (a replica killed between two commands leaves it one
off).

While Redis does not answer, every method raises ``SpoolUnavailable`` at once for a second
(then Redis is tried again): a write is then sent directly, and if that fails too the caller
gets the legacy failure answer; nothing is acknowledged without Redis holding it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, cast

import orjson
import redis.asyncio as aioredis
import structlog
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from proxy.settings import Settings
from proxy.state.redis_backend import _ERRORS, _RELEASE, _RENEW, account_tag
from proxy.state.shared import Availability
from proxy.state.spool import Counts, DeadLetter, Entry, Lease, SpoolFull, SpoolUnavailable

log = structlog.get_logger("klaviyo_compat.spool")

GROUP = "d"
LEASE_SECONDS = 5.0  # a killed deliverer's accounts wait at most this long for another replica
RETRY_SECONDS = 1.0  # after a failure, Redis is not tried again for this long
RECOUNT_SECONDS = 300.0
COUNT_SECONDS = 1.0  # how old the sizes /metrics shows may be
DUE, DEAD_INDEX, SEQ, SIZE = "kc:{spool}:due", "kc:{spool}:dead", "kc:{spool}:seq", "kc:{spool}:size"

# KEYS: stream. ARGV: operation, accepted, payload. The group is created with the stream.
_PUT = """
redis.pcall('XGROUP', 'CREATE', KEYS[1], 'd', '0', 'MKSTREAM')
return redis.call('XADD', KEYS[1], '*', 'o', ARGV[1], 'a', ARGV[2], 'p', ARGV[3])
"""
# KEYS: stream, tries, lease. ARGV: consumer. Only for the lease holder (-1 for anyone else: a
# replica that lost its lease while paused reads nothing more). The oldest pending entry (any
# consumer's: reclaim), else the next unread one; false when none (an empty stream is deleted
# with its group and tries).
_HEAD = """
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return -1 end
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.pcall('XGROUP', 'CREATE', KEYS[1], 'd', '0')
local entry
for _ = 1, 16 do
  local claimed = redis.call('XAUTOCLAIM', KEYS[1], 'd', ARGV[1], 0, '0-0', 'COUNT', 1)
  if #claimed[2] > 0 then entry = claimed[2][1] break end
  if #claimed[3] == 0 then break end  -- a deleted entry left the pending list: look again
end
if not entry then
  local read = redis.call('XREADGROUP', 'GROUP', 'd', ARGV[1], 'COUNT', 1, 'STREAMS', KEYS[1], '>')
  if read then entry = read[1][2][1] end
end
if not entry then
  if redis.call('XLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[1], KEYS[2]) end
  return false
end
return {entry[1], entry[2], redis.call('HGET', KEYS[2], entry[1]) or ''}
"""
# KEYS: stream, tries. ARGV: id. Returns 1 when this call removed the entry.
_DONE = """
redis.call('XACK', KEYS[1], 'd', ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('XDEL', KEYS[1], ARGV[1])
"""
# KEYS: stream, tries. ARGV: id, "attempts next_at error". Only an entry still there.
_POSTPONE = """
if #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
"""
# KEYS: stream, tries, dead. ARGV: id, number, record. 1 when the entry is (now) a dead letter.
_BURY = """
redis.call('XACK', KEYS[1], 'd', ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('XDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
  return 1
end
return redis.call('HEXISTS', KEYS[3], ARGV[2])
"""
# KEYS: stream, dead. ARGV: number. The dead letter goes back at the end of its account's stream.
_RETRY = """
local raw = redis.call('HGET', KEYS[2], ARGV[1])
if not raw then return 0 end
local d = cjson.decode(raw)
redis.pcall('XGROUP', 'CREATE', KEYS[1], 'd', '0', 'MKSTREAM')
redis.call('XADD', KEYS[1], '*', 'o', d.o, 'a', d.a, 'p', d.p)
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
"""


def spool_keys(account: str) -> tuple[str, str, str, str]:
    """Stream, tries, lease and dead-letter keys of one account."""
    base = f"{account_tag(account)}:spool"
    return base, f"{base}:try", f"{base}:lease", f"{base}:dead"


def consumer_name() -> str:
    """This process as a consumer and lease owner: host, pid and a random part (a restart is new)."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisSpool:
    """``Spool`` on Redis. ``max_entries`` bounds pending plus dead entries of all replicas."""

    def __init__(
        self,
        url: str,
        *,
        max_entries: int,
        lease: float = LEASE_SECONDS,
        timeout: float = 1.0,
        consumer: str | None = None,
    ) -> None:
        # One immediate retry on a broken connection (a pooled socket from before a Redis
        # restart); none on a timeout, which would only double the wait.
        retry = Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))
        self.client: aioredis.Redis = aioredis.from_url(  # type: ignore[no-untyped-call]
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=retry
        )
        self.max_entries = max_entries
        self.lease_ms = max(1, round(lease * 1000))
        self.consumer = consumer or consumer_name()
        self._down_until = 0.0
        self.availability = Availability(
            down_event="spool.backend_down",
            down_effect="spoolable writes are sent directly; if that fails they answer the legacy failure",
            up_event="spool.backend_up",
            up_effect="writes are spooled in Redis again",
        )
        self._sizes = Counts(0, 0)
        self._recounted = self._counted = float("-inf")
        register = self.client.register_script
        self._put, self._head, self._done = register(_PUT), register(_HEAD), register(_DONE)
        self._postpone, self._bury, self._retry = register(_POSTPONE), register(_BURY), register(_RETRY)
        self._renew, self._release = register(_RENEW), register(_RELEASE)

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisSpool:
        return cls(settings.state_url, max_entries=settings.spool_max_entries, timeout=settings.state_timeout)

    # ------------------------------------------------------------------ Redis, or "down"

    async def _run(self, command: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One Redis command or script; a failure marks Redis down for ``RETRY_SECONDS``."""
        if not self.availability.up and time.monotonic() < self._down_until:
            raise SpoolUnavailable("the shared spool (Redis) is down")
        try:
            result = await cast(Awaitable[Any], command(*args, **kwargs))
        except _ERRORS as exc:
            self._down_until = time.monotonic() + RETRY_SECONDS
            self.availability.mark(False, f"{type(exc).__name__}: {exc}")
            raise SpoolUnavailable(f"{type(exc).__name__}: {exc}") from exc
        self.availability.mark(True)
        return result

    # ------------------------------------------------------------------ writes

    async def put(self, account: str, operation: str, payload: bytes, accepted: float) -> str:
        size = await self._run(self.client.incr, SIZE)
        if int(size) > self.max_entries:
            with contextlib.suppress(SpoolUnavailable):
                await self._run(self.client.decr, SIZE)
            raise SpoolFull(f"the spool holds {self.max_entries} entries (spool_max_entries)")
        stream = spool_keys(account)[0]
        try:
            await self._run(self.client.zadd, DUE, {account: accepted}, nx=True)
            entry_id = await self._run(self._put, keys=[stream], args=[operation, repr(accepted), payload])
        except SpoolUnavailable:
            with contextlib.suppress(SpoolUnavailable):
                await self._run(self.client.decr, SIZE)
            raise
        return _text(entry_id)

    async def waiting(self, account: str) -> int:
        stream = spool_keys(account)[0]
        return int(await self._run(self.client.xlen, stream))

    # ------------------------------------------------------------------ delivery

    async def due(self, now: float, limit: int) -> list[str]:
        if time.monotonic() - self._counted > COUNT_SECONDS:  # sizes for the metrics scrape
            await self.counts()
        found = await self._run(self.client.zrangebyscore, DUE, "-inf", now, start=0, num=limit)
        return [_text(account) for account in found]

    def lease(self, account: str) -> AbstractAsyncContextManager[Lease]:
        return self._lease(spool_keys(account)[2])

    @contextlib.asynccontextmanager
    async def _lease(self, key: str) -> AsyncIterator[Lease]:
        won = await self._run(self.client.set, key, self.consumer, nx=True, px=self.lease_ms)
        if not won:
            yield Lease(held=False)
            return
        lease = Lease(held=True)
        keeper = asyncio.create_task(self._keep(key, lease))
        try:
            yield lease
        finally:
            keeper.cancel()
            with contextlib.suppress(SpoolUnavailable):  # else it expires by itself
                await self._run(self._release, keys=[key], args=[self.consumer])

    async def _keep(self, key: str, lease: Lease) -> None:
        """Renew the lease every third of its length; a lease found lost stops the delivery."""
        while lease.held:
            await asyncio.sleep(self.lease_ms / 3000)
            with contextlib.suppress(SpoolUnavailable):
                renewed = await self._run(self._renew, keys=[key], args=[self.consumer, self.lease_ms])
                if not int(renewed):
                    lease.held = False
                    log.warning("spool.lease_lost", effect="another replica delivers this account now")

    async def head(self, account: str, now: float) -> Entry | None:
        stream, tries, lease, _ = spool_keys(account)
        raw = await self._run(self._head, keys=[stream, tries, lease], args=[self.consumer])
        if raw == -1:
            return None  # not (or no longer) this process's account
        if raw is None:
            await self._unindex(account, stream, now)
            return None
        entry = _entry(account, raw)
        if entry.next_at > now:
            await self._run(self.client.zadd, DUE, {account: entry.next_at})
            return None
        return entry

    async def _unindex(self, account: str, stream: str, now: float) -> None:
        """An empty stream leaves the index; an entry put meanwhile puts the account back."""
        await self._run(self.client.zrem, DUE, account)
        if await self._run(self.client.exists, stream):
            await self._run(self.client.zadd, DUE, {account: now}, nx=True)

    async def delivered(self, entry: Entry) -> None:
        stream, tries, _, _ = spool_keys(entry.account)
        removed = await self._run(self._done, keys=[stream, tries], args=[entry.id])
        if int(removed):
            await self._run(self.client.decr, SIZE)

    async def postpone(self, entry: Entry, next_at: float, error: str, *, attempt: bool = True) -> None:
        stream, tries, _, _ = spool_keys(entry.account)
        state = f"{entry.attempts + (1 if attempt else 0)} {next_at!r} {error[:200]}"
        await self._run(self._postpone, keys=[stream, tries], args=[entry.id, state])
        await self._run(self.client.zadd, DUE, {entry.account: next_at})

    async def bury(self, entry: Entry, status: int, reason: str, now: float) -> None:
        stream, tries, _, dead = spool_keys(entry.account)
        number = _text(await self._run(self.client.incr, SEQ))
        record = orjson.dumps(
            {"o": entry.operation, "a": repr(entry.accepted), "p": entry.payload.decode("ascii"),
             "f": now, "n": entry.attempts + 1, "s": status, "r": reason[:200]}
        )  # fmt: skip
        # Indexed first: a dead letter is never invisible to ``spool list`` (a stale number is skipped).
        await self._run(self.client.hset, DEAD_INDEX, number, entry.account)
        buried = await self._run(self._bury, keys=[stream, tries, dead], args=[entry.id, number, record])
        if not int(buried):  # no longer pending (delivered by another replica meanwhile)
            await self._run(self.client.hdel, DEAD_INDEX, number)

    # ------------------------------------------------------------------ operators

    async def counts(self) -> Counts:
        if time.monotonic() - self._recounted > RECOUNT_SECONDS:
            await self._recount()
        pipe = self.client.pipeline(transaction=False)
        pipe.get(SIZE)
        pipe.hlen(DEAD_INDEX)
        size, dead = await self._run(pipe.execute)
        self._sizes = Counts(max(0, int(size or 0) - int(dead)), int(dead))
        self._counted = time.monotonic()
        return self._sizes

    async def _recount(self) -> None:
        """Set the size counter from the streams and dead letters (a killed replica may have left
        it one off); entries put or removed during the recount may leave it off by as many."""
        accounts = [_text(a) for a in await self._run(self.client.zrange, DUE, 0, -1)]
        pipe = self.client.pipeline(transaction=False)
        for account in accounts:
            pipe.xlen(spool_keys(account)[0])
        pending = sum(int(n) for n in await self._run(pipe.execute))
        dead = int(await self._run(self.client.hlen, DEAD_INDEX))
        await self._run(self.client.set, SIZE, pending + dead)
        self._recounted = time.monotonic()

    def sizes(self) -> Counts:
        return self._sizes

    async def _targets(self, ids: Sequence[str] | None) -> list[tuple[str, str]]:
        """(number, account) of the dead letters ``ids`` names (all when None), oldest first."""
        if ids is None:
            found = await self._run(self.client.hgetall, DEAD_INDEX)
            pairs = [(_text(k), _text(v)) for k, v in found.items()]
        else:
            wanted = [i for i in ids if str(i).isdigit()]
            accounts = await self._run(self.client.hmget, DEAD_INDEX, wanted) if wanted else []
            pairs = [(n, _text(a)) for n, a in zip(wanted, accounts, strict=True) if a is not None]
        return sorted(pairs, key=lambda pair: int(pair[0]))

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        letters = []
        for number, account in (await self._targets(None))[:limit]:
            dead = spool_keys(account)[3]
            raw = await self._run(self.client.hget, dead, number)
            if raw is None:
                continue  # buried and then delivered elsewhere: a stale number
            d = orjson.loads(raw)
            letters.append(DeadLetter(number, account, d["o"], float(d["a"]), d["f"], d["n"], d["s"], d["r"]))
        return letters

    async def retry(self, ids: Sequence[str] | None, now: float) -> int:
        done = 0
        for number, account in await self._targets(ids):
            stream, _, _, dead = spool_keys(account)
            await self._run(self.client.zadd, DUE, {account: now}, nx=True)
            back = await self._run(self._retry, keys=[stream, dead], args=[number])
            await self._run(self.client.hdel, DEAD_INDEX, number)
            done += int(back)
        return done

    async def purge(self, ids: Sequence[str] | None) -> int:
        done = 0
        for number, account in await self._targets(ids):
            dead = spool_keys(account)[3]
            gone = int(await self._run(self.client.hdel, dead, number))
            await self._run(self.client.hdel, DEAD_INDEX, number)
            if gone:
                await self._run(self.client.decr, SIZE)
            done += gone
        return done

    async def aclose(self) -> None:
        with contextlib.suppress(*_ERRORS):
            await self.client.aclose()


def _entry(account: str, raw: list[Any]) -> Entry:
    """An entry from the head script's answer: id, fields, "attempts next_at error" or ''."""
    entry_id, flat, tried = _text(raw[0]), raw[1], _text(raw[2])
    fields = {_text(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}
    accepted = float(fields["a"])
    attempts, next_at = 0, accepted
    if tried:
        count, when, *_ = tried.split(" ", 2)
        attempts, next_at = int(count), float(when)
    return Entry(entry_id, account, _text(fields["o"]), accepted, next_at, attempts, bytes(fields["p"]))
