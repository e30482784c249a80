"""Rate budgets keep one contract over memory and a real Redis (two clients = two replicas).

Real time (the Redis budget is timed by the Redis clock), so windows are short and the
assertions leave room for a slow machine: they check what must hold, not pacing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from proxy.state.budgets import BudgetSpent, MemoryRateBudget, RateBudget, Window
from proxy.state.redis_budget import RedisRateBudget
from tests.redis_server import RedisServer

WINDOWS = {"a": (Window(3, 1.0), Window(5, 60.0)), "b": (Window(2, 1.0), Window(4, 60.0))}
ACCT, OTHER = "acct#aaaaaaaaaaaa", "acct#bbbbbbbbbbbb"


async def _settle(*budgets: RateBudget) -> None:
    for b in budgets:
        if isinstance(b, RedisRateBudget):
            await b.settle()


@pytest.fixture(params=["memory", "redis"])
async def pair(request: pytest.FixtureRequest) -> AsyncIterator[tuple[RateBudget, RateBudget]]:
    if request.param == "memory":
        one = MemoryRateBudget(WINDOWS)
        yield one, one
        return
    url = request.getfixturevalue("redis_url")
    a, b = RedisRateBudget(url, WINDOWS), RedisRateBudget(url, WINDOWS)
    try:
        yield a, b
    finally:
        await a.aclose()
        await b.aclose()


async def test_no_partial_reservation_under_a_nearly_spent_budget(
    pair: tuple[RateBudget, RateBudget],
) -> None:
    one, two = pair
    await one.reserve(ACCT, {"a": 2, "b": 1}, wait=0)  # a: 1 left this second, b: 1 left
    with pytest.raises(BudgetSpent) as spent:
        await two.reserve(ACCT, {"a": 1, "b": 2}, wait=0)  # b does not fit: a is not touched
    assert 0 < spent.value.retry_after <= 1.0
    await two.reserve(ACCT, {"a": 1}, wait=0)  # a's last token is still there
    with pytest.raises(BudgetSpent):
        await one.reserve(ACCT, {"a": 1}, wait=0)
    await one.reserve(OTHER, {"a": 3, "b": 2}, wait=0)  # another account has its own


async def test_the_minute_window_holds_across_clients(pair: tuple[RateBudget, RateBudget]) -> None:
    one, two = pair
    taken = 0
    for n in range(12):  # 3/s but 5/min: after 5, only the minute window refuses
        try:
            await (one, two)[n % 2].reserve(ACCT, {"a": 1}, wait=0.4)
            taken += 1
        except BudgetSpent as spent:
            assert spent.retry_after > 1.0, "the minute window, not the second one"
    assert taken == 5


async def test_unused_calls_are_given_back(pair: tuple[RateBudget, RateBudget]) -> None:
    one, two = pair
    reservation = await one.reserve(ACCT, {"b": 2}, wait=0)
    with pytest.raises(BudgetSpent):
        await two.reserve(ACCT, {"b": 1}, wait=0)
    one.refund(reservation, {"b": 1})
    await _settle(one, two)
    await two.reserve(ACCT, {"b": 1}, wait=0)


async def test_a_429_cools_the_account_and_operation_for_every_client(
    pair: tuple[RateBudget, RateBudget],
) -> None:
    one, two = pair
    one.cool(ACCT, "a", 0.5)
    await _settle(one, two)
    with pytest.raises(BudgetSpent) as spent:
        await two.reserve(ACCT, {"a": 1}, wait=0)
    assert 0.2 < spent.value.retry_after <= 0.5
    await two.reserve(OTHER, {"a": 1}, wait=0)
    await two.reserve(ACCT, {"b": 1}, wait=0)
    await two.reserve(ACCT, {"a": 1}, wait=1.0)  # waits the cooldown out


async def test_concurrent_reservations_of_two_clients_never_exceed_the_window(redis_url: str) -> None:
    clients = [RedisRateBudget(redis_url, {"x": (Window(10, 1.0), Window(10, 60.0))}) for _ in range(2)]
    try:

        async def one(n: int) -> bool:
            try:
                await clients[n % 2].reserve(ACCT, {"x": 3}, wait=0)
                return True
            except BudgetSpent:
                return False

        results = await asyncio.gather(*(one(n) for n in range(20)))
        assert sum(results) == 3, "10 tokens hold three reservations of 3, never a fourth"
    finally:
        for c in clients:
            await c.aclose()


async def test_redis_down_falls_back_to_a_local_limit(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "r").start()
    budget = RedisRateBudget(server.url, WINDOWS, timeout=0.5)
    try:
        await budget.reserve(ACCT, {"a": 3}, wait=0)
        server.kill()
        await budget.reserve(ACCT, {"a": 3}, wait=0)  # the local budget is fresh: fails open
        with pytest.raises(BudgetSpent):
            await budget.reserve(ACCT, {"a": 1}, wait=0)  # but it is a limit
        server = RedisServer(tmp_path / "r", port=server.port).start()
        await asyncio.sleep(1.1)  # the local budget serves alone for a second, then Redis is tried
        await budget.reserve(ACCT, {"b": 1}, wait=0)
        assert b"acct#aaaaaaaaaaaa" in server.command("KEYS", "*b:b:0"), "shared again"
    finally:
        await budget.aclose()
        server.stop()
