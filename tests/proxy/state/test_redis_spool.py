"""What only the Redis spool has: its key layout (one hash tag per account), Redis going down
(nothing acknowledged without Redis holding it; writes are sent directly meanwhile), sealed
payloads on Redis's disk, and the size counter's recount."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from mappings.core import Call, Reply
from proxy.engine.spooling import SPOOLED, Spooler, stamp
from proxy.state import redis_spool
from proxy.state.redis_spool import SIZE, RedisSpool
from proxy.state.seal import Sealer
from proxy.state.spool import Counts, SpoolUnavailable
from tests.redis_server import RedisServer

ACCT = "acct#cccccccccccc"
OP = "create_client_event"
EMAIL = "dora.redis.secret@example.com"
TOKEN = "PuBrd7"


def event(n: int) -> Call:
    body = {"data": {"type": "event", "attributes": {"properties": {"n": n}, "email": EMAIL}}}
    return stamp(Call(OP, query={"company_id": TOKEN}, body=body, auth="public"))


async def test_every_key_of_an_account_carries_its_hash_tag(
    redis_url: str, redis_server: RedisServer
) -> None:
    spool = RedisSpool(redis_url, max_entries=10)
    try:
        await spool.put(ACCT, OP, b"one", 1.0)
        await spool.put(ACCT, OP, b"two", 2.0)
        async with spool.lease(ACCT):
            entry = await spool.head(ACCT, 10.0)
            assert entry is not None
            await spool.bury(entry, 400, "invalid", 11.0)
            entry = await spool.head(ACCT, 10.0)
            assert entry is not None
            await spool.postpone(entry, 20.0, "503")
            keys = {k.decode() for k in await spool.client.keys("*")}
    finally:
        await spool.aclose()
    tag = re.escape("kc:{" + ACCT + "}:spool")
    own = {k for k in keys if re.fullmatch(tag + r"(:try|:lease|:dead)?", k)}
    assert own == {f"kc:{{{ACCT}}}:spool{s}" for s in ("", ":try", ":lease", ":dead")}
    assert keys - own == {"kc:{spool}:due", "kc:{spool}:dead", "kc:{spool}:seq", "kc:{spool}:size"}


async def test_only_the_lease_holder_reads_an_accounts_head(redis_url: str) -> None:
    one, two = RedisSpool(redis_url, max_entries=10), RedisSpool(redis_url, max_entries=10)
    try:
        await one.put(ACCT, OP, b"only", 1.0)
        assert await two.head(ACCT, 10.0) is None, "no lease: nothing (a paused replica reads no more)"
        async with one.lease(ACCT) as held:
            assert held.held and await two.head(ACCT, 10.0) is None
            async with two.lease(ACCT) as other:
                assert not other.held
            entry = await one.head(ACCT, 10.0)
            assert entry is not None and entry.payload == b"only"
        async with two.lease(ACCT) as held:  # released: the other replica takes the account over
            again = await two.head(ACCT, 10.0)
            assert held.held and again is not None and again.id == entry.id
    finally:
        await one.aclose()
        await two.aclose()


async def test_payloads_are_sealed_on_redis_disk(redis_url: str, redis_server: RedisServer) -> None:
    spool = RedisSpool(redis_url, max_entries=10)
    spooler = Spooler(spool, Sealer.from_secret("shared-" + "s" * 30), None, budget_wait=0, clock=time.time)
    try:
        await spooler.put(ACCT, event(1), None, "test")
        await spooler.put(ACCT, event(2), None, "test")
        async with spool.lease(ACCT):
            entry = await spool.head(ACCT, time.time())
            assert entry is not None
            await spool.bury(entry, 400, "invalid", time.time())
        assert await spool.counts() == Counts(1, 1)
    finally:
        await spool.aclose()
    files = [p for p in redis_server.directory.rglob("*") if p.is_file()]
    disk = b"".join(p.read_bytes() for p in files)
    assert b"kc:{spool}:due" in disk, "the append-only file holds the spool"
    assert EMAIL.encode() not in disk and TOKEN.encode() not in disk


async def test_redis_down_refuses_to_acknowledge_and_writes_go_direct(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path / "redis").start()
    spool = RedisSpool(redis.url, max_entries=10, timeout=0.5)
    spooler = Spooler(spool, Sealer(b"k" * 32), None, budget_wait=0, clock=time.time)
    sent: list[int] = []

    def answering(status: int) -> Callable[[], Awaitable[Reply]]:
        async def send() -> Reply:
            sent.append(status)
            return Reply(status)

        return send

    try:
        assert await spooler.send(ACCT, event(0), None, answering(503)) is SPOOLED
        redis.kill()
        with pytest.raises(SpoolUnavailable):
            await spool.put(ACCT, OP, b"x", 1.0)
        # The account has a write waiting, but the spool cannot say so: the write goes direct.
        assert (await spooler.send(ACCT, event(1), None, answering(202))).status == 202
        with pytest.raises(SpoolUnavailable):  # the legacy failure answer, never a false "1"
            await spooler.send(ACCT, event(2), None, answering(503))
        assert sent == [503, 202, 503]
        redis = RedisServer(tmp_path / "redis", port=redis.port).start()  # AOF: the entry is back
        await asyncio.sleep(redis_spool.RETRY_SECONDS)
        assert await spool.waiting(ACCT) == 1
        assert await spooler.send(ACCT, event(3), None, answering(202)) is SPOOLED  # behind it
        assert await spool.counts() == Counts(2, 0)
    finally:
        await spool.aclose()
        redis.stop()


async def test_the_size_counter_is_recounted(redis_url: str) -> None:
    spool = RedisSpool(redis_url, max_entries=10)
    try:
        await spool.put(ACCT, OP, b"one", 1.0)
        await spool.client.set(SIZE, 7)  # as a replica killed between two commands may leave it
        assert await spool.counts() == Counts(1, 0), "the first count recounts"
        await spool.client.set(SIZE, 7)
        assert await spool.counts() == Counts(7, 0), "then the counter is trusted"
        spool._recounted = float("-inf")  # the recount period has passed
        assert await spool.counts() == Counts(1, 0)
    finally:
        await spool.aclose()
