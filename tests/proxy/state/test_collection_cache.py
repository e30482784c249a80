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
