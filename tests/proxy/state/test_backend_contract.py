"""The state backends keep one contract: the same cases over memory and a real Redis.

"Two clients" are two callers of one in-process backend for memory, and two ``RedisBackend``s
(two connection pools, as two replicas have) on one real ``redis-server`` for Redis.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from mappings.core import Collected
from proxy.state.backend import MemoryBackend, StateBackend, StateUnavailable
from proxy.state.collection_cache import MemoryCollectionCache
from proxy.state.redis_backend import RedisBackend, RedisCollectionCache
from proxy.state.tokens import MAX_MARKER, MIN_MARKER, MemoryTokenStore
from tests.redis_server import RedisServer

TTL = 1.0  # seconds: tokens and snapshots of these tests expire in real time (room for a busy machine)
ACCT_A, ACCT_B = "acct#aaaaaaaaaaaa", "acct#bbbbbbbbbbbb"
PER_ACCOUNT = 20
Live = Callable[[str | None], Awaitable[int]]


def _redis(url: str, **kw: float) -> RedisBackend:
    params: dict[str, float] = {
        "token_ttl": TTL,
        "cache_ttl": TTL,
        "lease": 5.0,
        "timeout": 1.0,
        "token_per_account": PER_ACCOUNT,
        **kw,
    }
    return RedisBackend(url, **params)  # type: ignore[arg-type]


@pytest.fixture(params=["memory", "redis"])
async def pair(request: pytest.FixtureRequest) -> AsyncIterator[tuple[StateBackend, StateBackend]]:
    """Two clients of one backend."""
    if request.param == "memory":
        one = MemoryBackend(
            MemoryTokenStore(TTL, 1000, per_account=PER_ACCOUNT), MemoryCollectionCache(TTL, 100)
        )
        yield one, one
        return
    url = request.getfixturevalue("redis_url")
    a, b = _redis(url), _redis(url)
    try:
        yield a, b
    finally:
        await a.aclose()
        await b.aclose()


def _rows(tag: str) -> Collected:
    return Collected(data=[{"type": "profile", "id": f"{tag}-{i}"} for i in range(3)], pages=2)


class Walks:
    """A fill that counts its walks and takes a while (so concurrent callers overlap)."""

    def __init__(self, seconds: float = 0.2) -> None:
        self.count = 0
        self.seconds = seconds

    async def __call__(self) -> Collected:
        self.count += 1
        await asyncio.sleep(self.seconds)
        return _rows(f"walk{self.count}")


async def test_a_token_minted_by_one_client_resolves_on_the_other(
    pair: tuple[StateBackend, StateBackend],
) -> None:
    a, b = pair
    marker = await a.tokens.save(ACCT_A, {"cursor": "c1", "n": [1, 2]}, numeric=True)
    assert isinstance(marker, int) and MIN_MARKER <= marker <= MAX_MARKER
    assert await b.tokens.load(ACCT_A, marker) == {"cursor": "c1", "n": [1, 2]}
    assert await b.tokens.load(ACCT_A, str(marker)) == {"cursor": "c1", "n": [1, 2]}  # query strings
    nxt = await b.tokens.save(ACCT_A, "cursor-2", numeric=False)
    assert isinstance(nxt, str) and nxt.startswith("kxp1.")
    assert await a.tokens.load(ACCT_A, nxt) == "cursor-2"


async def test_tokens_are_scoped_per_account(pair: tuple[StateBackend, StateBackend]) -> None:
    a, b = pair
    marker = await a.tokens.save(ACCT_A, "mine", numeric=True)
    assert await b.tokens.load(ACCT_B, marker) is None
    assert await a.tokens.load(ACCT_B, marker) is None
    assert await b.tokens.load(ACCT_A, marker) == "mine"


async def test_an_account_minting_in_a_loop_evicts_only_its_own_tokens(
    pair: tuple[StateBackend, StateBackend],
) -> None:
    a, b = pair
    theirs = await b.tokens.save(ACCT_B, "another account's walk", numeric=True)
    mine = [await (a, b)[n % 2].tokens.save(ACCT_A, n, numeric=True) for n in range(PER_ACCOUNT + 5)]
    assert [await a.tokens.load(ACCT_A, t) for t in mine[:5]] == [None] * 5, "its oldest went"
    assert [await b.tokens.load(ACCT_A, t) for t in mine[5:]] == list(range(5, PER_ACCOUNT + 5))
    assert await a.tokens.load(ACCT_B, theirs) == "another account's walk"


GLOBAL = 25  # token_entries of the bounded pair: below PER_ACCOUNT plus a few accounts


@pytest.fixture(params=["memory", "redis"])
async def bounded(request: pytest.FixtureRequest) -> AsyncIterator[tuple[StateBackend, StateBackend, Live]]:
    """Two clients of one backend holding at most GLOBAL tokens, and how many tokens an account
    (or, with None, the whole backend) holds right now."""
    if request.param == "memory":
        tokens = MemoryTokenStore(600, GLOBAL, per_account=PER_ACCOUNT)
        one = MemoryBackend(tokens, MemoryCollectionCache(TTL, 100))

        async def held(account: str | None) -> int:
            return len(tokens) if account is None else tokens.held_by(account)

        yield one, one, held
        return
    url = request.getfixturevalue("redis_url")
    a, b = _redis(url, token_ttl=600, token_entries=GLOBAL), _redis(url, token_ttl=600, token_entries=GLOBAL)

    async def live(account: str | None) -> int:
        pattern = "kc:{" + (account or "*") + "}:t:*"
        return len([key async for key in a.client.scan_iter(match=pattern)])

    try:
        yield a, b, live
    finally:
        await a.aclose()
        await b.aclose()


async def test_the_global_bound_holds_across_many_accounts(
    bounded: tuple[StateBackend, StateBackend, Live],
) -> None:
    a, b, held = bounded
    minted = [await (a, b)[n % 2].tokens.save(f"acct#{n:04d}", n, numeric=True) for n in range(4 * GLOBAL)]
    assert await held(None) == GLOBAL
    # Nobody is over its fair share: the oldest tokens went, the newest are all there.
    newest = [await a.tokens.load(f"acct#{n:04d}", minted[n]) for n in range(3 * GLOBAL, 4 * GLOBAL)]
    assert newest == list(range(3 * GLOBAL, 4 * GLOBAL))
    assert await b.tokens.load("acct#0000", minted[0]) is None


async def test_a_full_store_evicts_from_the_account_over_its_fair_share(
    bounded: tuple[StateBackend, StateBackend, Live],
) -> None:
    a, b, held = bounded
    others = {f"acct#other{n}": await a.tokens.save(f"acct#other{n}", n, numeric=False) for n in range(10)}
    for i in range(3 * PER_ACCOUNT):
        await (a, b)[i % 2].tokens.save("acct#hog", i, numeric=True)
    assert await held(None) == GLOBAL and await held("acct#hog") == GLOBAL - 10
    assert [await b.tokens.load(acct, token) for acct, token in others.items()] == list(range(10))


async def test_tokens_expire(pair: tuple[StateBackend, StateBackend]) -> None:
    a, b = pair
    marker = await a.tokens.save(ACCT_A, "soon gone", numeric=True)
    assert await b.tokens.load(ACCT_A, marker) == "soon gone"
    await asyncio.sleep(TTL + 0.2)
    assert await b.tokens.load(ACCT_A, marker) is None


async def test_unknown_and_absurd_tokens_are_none(pair: tuple[StateBackend, StateBackend]) -> None:
    a, _ = pair
    assert await a.tokens.load(ACCT_A, 12345678) is None
    assert await a.tokens.load(ACCT_A, "x" * 5000) is None


async def test_one_walk_for_concurrent_callers_of_two_clients(
    pair: tuple[StateBackend, StateBackend],
) -> None:
    a, b = pair
    walks = Walks()
    key = (ACCT_A, "get_profiles", (), (("page[size]", "100"),))
    answers = await asyncio.gather(*(client.cache.get_or_fill(key, walks) for client in (a, b, a, b, b)))
    assert walks.count == 1, "one walk for everyone"
    assert all(answer == answers[0] for answer in answers), "every caller gets the same snapshot"
    assert answers[0] == _rows("walk1")
    assert await b.cache.get_or_fill(key, walks) == _rows("walk1") and walks.count == 1
    await asyncio.sleep(TTL + 0.2)
    assert await a.cache.get_or_fill(key, walks) == _rows("walk2"), "a walk per TTL"
    assert walks.count == 2


async def test_keys_and_accounts_do_not_share_snapshots(pair: tuple[StateBackend, StateBackend]) -> None:
    a, b = pair
    walks = Walks(0)
    await a.cache.get_or_fill((ACCT_A, "get_lists", (), ()), walks)
    await b.cache.get_or_fill((ACCT_B, "get_lists", (), ()), walks)
    await b.cache.get_or_fill((ACCT_A, "get_lists", (), (("filter", "x"),)), walks)
    assert walks.count == 3


async def test_a_write_drops_the_accounts_snapshots_and_the_walk_in_flight(
    pair: tuple[StateBackend, StateBackend],
) -> None:
    a, b = pair
    walks = Walks(0.3)
    key, other = (ACCT_A, "get_lists", (), ()), (ACCT_B, "get_lists", (), ())
    await a.cache.get_or_fill(key, walks)
    await a.cache.get_or_fill(other, walks)
    await b.cache.invalidate(ACCT_A)
    assert await a.cache.get_or_fill(key, walks) == _rows("walk3"), "dropped: walked again"
    assert await b.cache.get_or_fill(other, walks) == _rows("walk2"), "another account keeps its own"
    # A walk that began before a write answers its caller but is not kept.
    slow = asyncio.create_task(b.cache.get_or_fill((ACCT_A, "get_campaigns", (), ()), walks))
    await asyncio.sleep(0.1)
    await a.cache.invalidate(ACCT_A)
    assert await slow == _rows("walk4")
    assert await a.cache.get_or_fill((ACCT_A, "get_campaigns", (), ()), walks) == _rows("walk5")


async def test_a_failed_walk_hands_over_to_the_next_caller(pair: tuple[StateBackend, StateBackend]) -> None:
    a, b = pair
    key = (ACCT_A, "get_lists", (), ())

    async def broken() -> Collected:
        await asyncio.sleep(0.1)
        raise RuntimeError("upstream fell over")

    walks = Walks(0)
    failing = asyncio.create_task(a.cache.get_or_fill(key, broken))
    await asyncio.sleep(0.02)
    waiting = asyncio.create_task(b.cache.get_or_fill(key, walks))
    with pytest.raises(RuntimeError):
        await failing
    assert await asyncio.wait_for(waiting, 5) == _rows("walk1")


async def test_every_redis_key_of_an_account_carries_its_hash_tag(
    redis_url: str, redis_server: RedisServer
) -> None:
    backend = _redis(redis_url)
    try:
        await backend.tokens.save(ACCT_A, "v", numeric=True)
        await backend.cache.get_or_fill((ACCT_A, "get_lists", (), ()), Walks(0))
        await backend.cache.invalidate(ACCT_A)
        await backend.cache.get_or_fill((ACCT_A, "get_lists", (), ()), Walks(0))
        keys = [k.decode() for k in await backend.client.keys("*")]
    finally:
        await backend.aclose()
    account = [key for key in keys if not key.startswith("kc:{tokens}:")]
    assert len(account) >= 4, keys  # token, snapshot, index, generation
    assert all(key.startswith("kc:{" + ACCT_A + "}:") for key in account), keys
    # The cluster-wide token bound's index: one slot of its own, apart from every account.
    assert sorted(set(keys) - set(account)) == ["kc:{tokens}:accounts", "kc:{tokens}:all"]


async def test_redis_down_walks_directly_and_tokens_refuse_then_it_comes_back(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "r").start()
    changes: list[bool] = []
    backend = RedisBackend(
        server.url, token_ttl=60, cache_ttl=60, lease=5, timeout=0.5, on_change=changes.append
    )
    try:
        marker = await backend.tokens.save(ACCT_A, "kept", numeric=True)
        walks = Walks(0)
        key = (ACCT_A, "get_lists", (), ())
        await backend.cache.get_or_fill(key, walks)
        server.kill()
        assert await backend.cache.get_or_fill(key, walks) == _rows("walk2"), "walked directly"
        assert changes == [False] and not backend.up
        assert await backend.cache.get_or_fill(key, walks) == _rows("walk3")
        with pytest.raises(StateUnavailable):
            await backend.tokens.load(ACCT_A, marker)
        with pytest.raises(StateUnavailable):
            await backend.tokens.save(ACCT_A, "x", numeric=True)
        assert not await backend.ping()
        server = RedisServer(tmp_path / "r", port=server.port).start()  # same dir: its AOF keeps the token
        assert await backend.ping() and backend.up
        assert changes == [False, True]
        assert await backend.tokens.load(ACCT_A, marker) == "kept"
    finally:
        await backend.aclose()
        server.stop()


async def test_a_walk_longer_than_its_lease_keeps_it(redis_url: str) -> None:
    a, b = _redis(redis_url, lease=0.3), _redis(redis_url, lease=0.3)
    try:
        walks = Walks(1.2)  # four leases long: renewed, never taken over
        key = (ACCT_A, "get_lists", (), ())
        first = asyncio.create_task(a.cache.get_or_fill(key, walks))
        await asyncio.sleep(0.05)
        assert await b.cache.get_or_fill(key, walks) == _rows("walk1")
        assert await first == _rows("walk1") and walks.count == 1
    finally:
        await a.aclose()
        await b.aclose()


async def test_the_lease_of_a_replica_killed_mid_walk_is_taken_over(redis_url: str) -> None:
    survivor = _redis(redis_url, lease=0.5)
    try:
        key = (ACCT_A, "get_lists", (), ())
        lease = RedisCollectionCache.keys(key)[1]
        await survivor.client.set(lease, "a-dead-replica", px=500)  # what a SIGKILLed walker leaves
        walks = Walks(0)
        started = time.monotonic()
        assert await asyncio.wait_for(survivor.cache.get_or_fill(key, walks), 5) == _rows("walk1")
        assert 0.3 < time.monotonic() - started < 3, "waited for the lease to lapse, not for ever"
    finally:
        await survivor.aclose()
