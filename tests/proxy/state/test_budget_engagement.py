"""Mode ``upstream``: a pair is budgeted once the upstream declared its limits, in memory and in a
real Redis (two clients = two replicas, each learning engagement from its own replies).

Real time for Redis (its clock times the buckets): windows are short, the assertions check what
must hold, not pacing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import pytest

from proxy.state.budgets import UNBUDGETED, BudgetSpent, MemoryRateBudget, RateBudget, Window
from proxy.state.limits import MAX_PAIRS, Engagement, parse_ratelimit
from proxy.state.redis_budget import RedisRateBudget

SPEC = {"a": (Window(100, 1.0), Window(1000, 60.0)), "b": (Window(20, 60.0),)}
ACCT, OTHER = "acct#aaaaaaaaaaaa", "acct#bbbbbbbbbbbb"
NONE: Mapping[str, str] = {}
TWO = {"ratelimit-limit": "2, 2;w=1, 40;w=60", "ratelimit-remaining": "1", "ratelimit-reset": "1"}


def test_ratelimit_limit_policies_are_parsed() -> None:
    declared = parse_ratelimit("10, 10;w=1, 150;w=60")
    assert declared.windows == (Window(10, 1.0), Window(150, 60.0)) and declared.current == 0
    assert parse_ratelimit("150, 150;w=60, 10;w=1").current == 1  # sorted shortest first
    assert parse_ratelimit("100;w=60;burst=10").windows == (Window(100, 60.0),)  # other params skipped
    assert parse_ratelimit("10, 10;w=1", 0.5).windows == (Window(5, 1.0),)  # rate_budget_scale
    for unusable in ("", "10", "lots", "0;w=1", "10;w=0", "10;q=1"):
        assert parse_ratelimit(unusable).windows == (), unusable


async def _spend(budget: RateBudget, account: str, op: str, n: int) -> int:
    """How many of ``n`` single reservations of ``op`` are granted right now."""
    granted = 0
    for _ in range(n):
        try:
            await budget.reserve(account, {op: 1}, wait=0)
            granted += 1
        except BudgetSpent:
            pass
    return granted


@pytest.fixture(params=["memory", "redis"])
async def pair(request: pytest.FixtureRequest) -> AsyncIterator[tuple[RateBudget, RateBudget]]:
    """Two budgets in mode ``upstream``: one process's twice (memory), or two replicas (Redis)."""
    if request.param == "memory":
        one = MemoryRateBudget(SPEC, engagement=Engagement(SPEC, always=False))
        yield one, one
        return
    url = request.getfixturevalue("redis_url")
    a, b = (RedisRateBudget(url, SPEC, engagement=Engagement(SPEC, always=False)) for _ in range(2))
    try:
        yield a, b
    finally:
        await a.aclose()
        await b.aclose()


async def _settle(*budgets: RateBudget) -> None:
    for b in budgets:
        if isinstance(b, RedisRateBudget):
            await b.settle()


async def test_nothing_declared_nothing_budgeted(pair: tuple[RateBudget, RateBudget]) -> None:
    one, _ = pair
    for status in (200, 202, 404, 500):
        one.observe(ACCT, "a", status, NONE)  # replies without RateLimit-* headers
    assert [await one.reserve(ACCT, {"a": 100}, wait=0) for _ in range(5)] == [UNBUDGETED] * 5
    assert await _spend(one, ACCT, "a", 500) == 500, "far beyond the spec's 100/s"


async def test_a_declared_limit_engages_the_pair_on_its_windows(pair: tuple[RateBudget, RateBudget]) -> None:
    one, two = pair
    one.observe(ACCT, "a", 200, TWO)  # 2 per second, 1 left (RateLimit-Remaining)
    await _settle(one)
    assert await _spend(one, ACCT, "a", 5) == 1, "seeded from RateLimit-Remaining"
    assert await _spend(one, ACCT, "b", 300) == 300, "only the operation that declared"
    assert await _spend(one, OTHER, "a", 300) == 300, "only the account that was told"
    if two is not one:  # the other replica has not seen a reply yet: not engaged there
        assert await _spend(two, ACCT, "a", 3) == 3
        two.observe(ACCT, "a", 200, TWO)
        await _settle(two)
        assert await _spend(two, ACCT, "a", 3) == 0, "engaged: the shared bucket is spent"


async def test_a_later_reply_without_headers_keeps_the_pair_engaged(
    pair: tuple[RateBudget, RateBudget],
) -> None:
    one, _ = pair
    one.observe(ACCT, "a", 200, {"ratelimit-limit": "2, 2;w=1, 40;w=60"})
    one.observe(ACCT, "a", 200, NONE)
    assert await _spend(one, ACCT, "a", 5) == 2


async def test_an_unparsable_header_falls_back_to_the_spec_tiers(pair: tuple[RateBudget, RateBudget]) -> None:
    one, _ = pair
    one.observe(ACCT, "b", 200, {"ratelimit-limit": "lots"})
    assert await _spend(one, ACCT, "b", 40) == 20, "the spec's 20/min"


async def test_a_429_engages_on_the_spec_tiers_and_holds_its_cooldown(
    pair: tuple[RateBudget, RateBudget],
) -> None:
    one, two = pair
    one.observe(ACCT, "b", 429, {"retry-after": "30"})
    one.cool(ACCT, "b", 30)  # what the runner does with the 429's Retry-After
    await _settle(one)
    with pytest.raises(BudgetSpent) as spent:
        await one.reserve(ACCT, {"b": 1}, wait=0)
    assert 25 < spent.value.retry_after <= 30
    await one.reserve(ACCT, {"a": 1}, wait=0)
    one.cool(OTHER, "a", 30)  # a cooldown alone (no reply observed) engages too
    await _settle(one)
    with pytest.raises(BudgetSpent):
        await one.reserve(OTHER, {"a": 1}, wait=0)
    if two is not one:  # the cooldown is shared once the other replica is engaged too
        two.observe(ACCT, "b", 200, {"ratelimit-limit": "100, 100;w=1"})
        with pytest.raises(BudgetSpent):
            await two.reserve(ACCT, {"b": 1}, wait=0)


async def test_a_reservation_takes_only_what_is_engaged_and_refunds_it(
    pair: tuple[RateBudget, RateBudget],
) -> None:
    one, _ = pair
    one.observe(ACCT, "a", 200, {"ratelimit-limit": "2, 2;w=1"})
    reservation = await one.reserve(ACCT, {"a": 2, "b": 5}, wait=0)
    assert reservation.costs == {"a": 2}, "b declared nothing: not budgeted"
    with pytest.raises(BudgetSpent):
        await one.reserve(ACCT, {"a": 1}, wait=0)
    one.refund(reservation, {"a": 1})
    await _settle(one)
    assert await _spend(one, ACCT, "a", 3) == 1


def test_spec_mode_and_unknown_operations_ignore_what_the_upstream_declares() -> None:
    spec_mode = Engagement(SPEC)
    assert spec_mode.budgeted(ACCT, {"a": 1}) == {"a": 1}, "every pair from the first call"
    assert spec_mode.observe(ACCT, "a", 200, TWO) is None and not spec_mode.pairs
    upstream = Engagement(SPEC, always=False)
    upstream.observe(ACCT, "beta_op", 200, TWO)  # not in the spec table (a beta operation)
    upstream.engage(ACCT, "beta_op")
    assert upstream.budgeted(ACCT, {"beta_op": 1}) is None and not upstream.pairs


def test_engaged_pairs_are_bounded() -> None:
    engagement = Engagement({"a": ()}, always=False)
    for n in range(MAX_PAIRS + 1):
        engagement.engage(f"acct{n}", "a")
    assert engagement.count == len(engagement.pairs) <= MAX_PAIRS
    assert engagement.budgeted(f"acct{MAX_PAIRS}", {"a": 1}) == {"a": 1}, "the newest stays engaged"
