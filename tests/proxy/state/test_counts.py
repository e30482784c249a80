"""The count cache and the per-account budgets of ``CachedLookups``."""

from __future__ import annotations

from mappings.core import Budget
from proxy.state.counts import Budgets, MemoryLookupCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_lookup_cache_keeps_value_and_time_per_account_bounded() -> None:
    cache = MemoryLookupCache(max_entries=2)
    await cache.put("a", "list:L:profile_count", 5, 10.0)
    assert await cache.get("a", "list:L:profile_count") == (5, 10.0)
    assert await cache.get("b", "list:L:profile_count") is None
    await cache.put("a", "k2", 1, 11.0)
    await cache.put("a", "k3", 1, 12.0)  # evicts the least recently used
    assert await cache.get("a", "list:L:profile_count") is None


def test_budget_windows_per_second_minute_and_day() -> None:
    clock = Clock()
    budgets = Budgets(clock=clock)
    budget = Budget("profile_count", per_second=1, per_minute=3, per_day=4)
    assert budgets.take("a", budget)
    assert not budgets.take("a", budget), "1/s"
    assert budgets.take("b", budget), "per account"
    clock.now += 1.5
    assert budgets.take("a", budget)
    clock.now += 1.5
    assert budgets.take("a", budget)
    clock.now += 1.5
    assert not budgets.take("a", budget), "3/min"
    clock.now += 61
    assert budgets.take("a", budget)
    clock.now += 61
    assert not budgets.take("a", budget), "4/day"
    clock.now += 86400
    assert budgets.take("a", budget)


def test_exhaust_closes_a_budget_for_a_while() -> None:
    clock = Clock()
    budgets = Budgets(clock=clock)
    budget = Budget("campaign_values", per_second=1, per_minute=1)
    budgets.exhaust("a", budget, 30)
    assert not budgets.take("a", budget)
    clock.now += 31
    assert budgets.take("a", budget)
