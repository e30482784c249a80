"""Rate budgets: spec tiers, all-or-nothing reservations, refunds and 429 cooldowns."""

from __future__ import annotations

import pytest

from mappings.upstream_ops import SPEC_OPERATIONS
from proxy.state.budgets import BudgetSpent, MemoryRateBudget, Window, parse_window, windows_from_spec


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def budget(windows: dict[str, tuple[Window, ...]]) -> tuple[MemoryRateBudget, Clock]:
    clock = Clock()
    return MemoryRateBudget(windows, clock=clock, sleep=clock.sleep), clock


def test_tiers_come_from_the_spec() -> None:
    assert parse_window("350/s") == Window(350, 1.0)
    assert parse_window("3500/m") == Window(3500, 60.0)
    assert parse_window("") is None
    windows = windows_from_spec(SPEC_OPERATIONS)
    assert windows["get_accounts"] == (Window(1, 1.0), Window(15, 60.0))
    assert all(len(w) == 2 for w in windows.values())
    assert (
        windows_from_spec(SPEC_OPERATIONS, 0.5)["create_event"][0].limit * 2
        == windows["create_event"][0].limit
    )


async def test_a_reservation_takes_every_bucket_or_none() -> None:
    b, _ = budget({"a": (Window(3, 1.0), Window(10, 60.0)), "b": (Window(2, 1.0),)})
    await b.reserve("acct", {"a": 2, "b": 2}, wait=0)
    with pytest.raises(BudgetSpent) as spent:
        await b.reserve("acct", {"a": 1, "b": 1}, wait=0)  # b is spent: a is not touched
    assert spent.value.retry_after == pytest.approx(0.5)
    await b.reserve("acct", {"a": 1}, wait=0)  # a still had its one token
    await b.reserve("other", {"a": 3, "b": 2}, wait=0)  # accounts are separate


async def test_a_short_wait_is_taken_and_unused_calls_are_refunded() -> None:
    b, clock = budget({"a": (Window(2, 1.0),)})
    r = await b.reserve("acct", {"a": 2}, wait=0)
    await b.reserve("acct", {"a": 1}, wait=0.6)  # waited 0.5 s for one token
    assert clock.now == pytest.approx(1000.5)
    b.refund(r, {"a": 1})  # the first call used one of its two
    await b.reserve("acct", {"a": 1}, wait=0)


async def test_a_cost_beyond_the_burst_reserves_a_full_burst() -> None:
    b, _ = budget({"a": (Window(5, 1.0), Window(50, 60.0))})
    r = await b.reserve("acct", {"a": 1002}, wait=0)
    assert r.costs == {"a": 5}
    with pytest.raises(BudgetSpent):
        await b.reserve("acct", {"a": 1}, wait=0)


async def test_an_upstream_429_cools_the_account_and_operation() -> None:
    b, clock = budget({"a": (Window(100, 1.0),)})
    b.cool("acct", "a", 30)
    with pytest.raises(BudgetSpent) as spent:
        await b.reserve("acct", {"a": 1}, wait=1)
    assert spent.value.retry_after == pytest.approx(30)
    await b.reserve("other", {"a": 1}, wait=0)
    clock.now += 30
    await b.reserve("acct", {"a": 1}, wait=0)
