import asyncio
from collections.abc import Awaitable, Callable

from mappings.core import Collected
from proxy.state.collection_cache import MemoryCollectionCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_reuses_within_ttl_and_refills_after() -> None:
    clock = Clock()
    cache = MemoryCollectionCache(ttl=10, max_entries=8, clock=clock)
    fills = 0

    async def fill() -> Collected:
        nonlocal fills
        fills += 1
        return Collected(data=[fills])

    assert (await cache.get_or_fill("k", fill)).data == [1]
    clock.now = 9.9
    assert (await cache.get_or_fill("k", fill)).data == [1]
    clock.now = 10.1
    assert (await cache.get_or_fill("k", fill)).data == [2]


async def test_single_flight_one_walk_for_concurrent_requests() -> None:
    cache = MemoryCollectionCache(ttl=10, max_entries=8)
    fills = 0

    async def fill() -> Collected:
        nonlocal fills
        fills += 1
        await asyncio.sleep(0.01)
        return Collected(data=[])

    await asyncio.gather(*(cache.get_or_fill("k", fill) for _ in range(20)))
    assert fills == 1


async def test_bounded_size_evicts_least_recently_used() -> None:
    cache = MemoryCollectionCache(ttl=100, max_entries=2)
    calls: list[str] = []

    def filler(name: str) -> Callable[[], Awaitable[Collected]]:
        async def fill() -> Collected:
            calls.append(name)
            return Collected(data=[name])

        return fill

    await cache.get_or_fill("a", filler("a"))
    await cache.get_or_fill("b", filler("b"))
    await cache.get_or_fill("a", filler("a"))  # a is now most recent
    await cache.get_or_fill("c", filler("c"))  # evicts b
    await cache.get_or_fill("a", filler("a"))
    await cache.get_or_fill("b", filler("b"))
    assert calls == ["a", "b", "c", "b"]


async def test_zero_ttl_disables_caching() -> None:
    cache = MemoryCollectionCache(ttl=0, max_entries=2)
    n = 0

    async def fill() -> Collected:
        nonlocal n
        n += 1
        return Collected(data=[])

    await cache.get_or_fill("k", fill)
    await cache.get_or_fill("k", fill)
    assert n == 2


async def test_invalidate_drops_only_that_accounts_enumerations() -> None:
    cache = MemoryCollectionCache(ttl=100, max_entries=8)
    fills: list[str] = []

    def filler(name: str) -> Callable[[], Awaitable[Collected]]:
        async def fill() -> Collected:
            fills.append(name)
            return Collected(data=[name])

        return fill

    await cache.get_or_fill(("acct-a", "get_campaigns"), filler("a1"))
    await cache.get_or_fill(("acct-a", "get_lists"), filler("a2"))
    await cache.get_or_fill(("acct-b", "get_campaigns"), filler("b1"))
    await cache.invalidate("acct-a")
    await cache.get_or_fill(("acct-a", "get_campaigns"), filler("a1"))
    await cache.get_or_fill(("acct-a", "get_lists"), filler("a2"))
    await cache.get_or_fill(("acct-b", "get_campaigns"), filler("b1"))
    assert fills == ["a1", "a2", "b1", "a1", "a2"]


async def test_a_walk_in_flight_during_a_write_is_not_kept() -> None:
    cache = MemoryCollectionCache(ttl=100, max_entries=8)
    started, release = asyncio.Event(), asyncio.Event()
    fills = 0

    async def slow() -> Collected:
        nonlocal fills
        fills += 1
        started.set()
        await release.wait()
        return Collected(data=["before the write"])

    walk = asyncio.create_task(cache.get_or_fill(("acct", "get_campaigns"), slow))
    await started.wait()
    await cache.invalidate("acct")  # a write lands while the walk is under way
    release.set()
    assert (await walk).data == ["before the write"]  # its caller started before the write

    async def fresh() -> Collected:
        return Collected(data=["after the write"])

    assert (await cache.get_or_fill(("acct", "get_campaigns"), fresh)).data == ["after the write"]
    assert fills == 1
