"""``CachedLookups`` in the runner: cached counts, budgets, failures, dry-runs, the background refresh."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mappings.core import Budget, CachedLookups, Call, LegacyRequest, Lookup
from proxy.engine.lookups import LookupPolicy, Lookups
from proxy.engine.pools import build_client
from proxy.engine.runner import Runner, RunStats
from proxy.engine.upstream import Upstream
from proxy.settings import Settings
from proxy.state.collection_cache import MemoryCollectionCache
from proxy.state.counts import Budgets
from proxy.state.tokens import MemoryTokenStore
from tests.proxy.engine.test_runner import OPERATIONS, FakeApi, Plan, answer, run


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def size_of(ident: str) -> Lookup:
    def read(body: Any) -> dict[str, Any]:
        return {f"size:{ident}": len(body["data"]["id"])}

    return Lookup((f"size:{ident}",), Call("get_widget", path_params={"id": ident}), read, ONE_A_SECOND)


ONE_A_SECOND = Budget("widget_size", per_second=1, per_minute=10)


def counting(*idents: str) -> Any:
    def plan(req: LegacyRequest) -> Plan:
        found = yield CachedLookups(tuple(size_of(i) for i in idents))
        return answer(found)

    return plan


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


def make(api: FakeApi, clock: Clock, **policy: Any) -> Runner:
    client = build_client(Settings(upstream="https://upstream.test"), httpx.MockTransport(api))
    upstream = Upstream(client, OPERATIONS)
    counts = Lookups(upstream, budgets=Budgets(clock=clock), policy=LookupPolicy(**policy), clock=clock)
    return Runner(
        upstream,
        MemoryCollectionCache(ttl=60, max_entries=16),
        MemoryTokenStore(ttl=60, max_entries=16),
        counts=counts,
    )


async def test_reads_within_budget_then_answers_the_cache(api: FakeApi, clock: Clock) -> None:
    runner = make(api, clock, max_age=300)
    stats = RunStats()
    reply = await run(runner, counting("abc", "defgh"), stats=stats)
    # One read a second: "defgh" is unknown (None) and left to the background refresh.
    assert reply.body == {"size:abc": 3, "size:defgh": None}
    assert stats.upstream_calls == 1 and len(runner.counts.pending) == 1
    clock.now += 2
    assert (await run(runner, counting("abc"))).body == {"size:abc": 3}
    assert api.sent() == [("GET", "/api/widgets/abc")], "fresh: answered from the cache"
    assert await runner.counts.refresh_pending() == 1
    assert api.sent()[-1] == ("GET", "/api/widgets/defgh") and len(runner.counts.pending) == 0
    clock.now += 2
    assert (await run(runner, counting("defgh"))).body == {"size:defgh": 5}
    assert len(api.sent()) == 2


async def test_stale_values_are_reread_and_failures_keep_the_last(api: FakeApi, clock: Clock) -> None:
    runner = make(api, clock, max_age=60)
    assert (await run(runner, counting("abc"))).body == {"size:abc": 3}
    clock.now += 61
    api.override = lambda request: httpx.Response(429, headers={"Retry-After": "30"}, json={"errors": []})
    assert (await run(runner, counting("abc"))).body == {"size:abc": 3}, "throttled: the last value"
    clock.now += 2
    assert (await run(runner, counting("abc"))).body == {"size:abc": 3}
    assert len(api.sent()) == 2, "a 429 pauses the budget for its Retry-After"


async def test_disabled_or_dry_run_never_reads(api: FakeApi, clock: Clock) -> None:
    off = make(api, clock, enabled=False)
    assert (await run(off, counting("abc"))).body == {"size:abc": None}
    on = make(api, clock)
    assert (await run(on, counting("abc"), dry_run=True)).body == {"size:abc": None}
    assert api.sent() == []


async def test_a_lookup_never_invalidates_the_collection_cache(api: FakeApi, clock: Clock) -> None:
    runner = make(api, clock)
    invalidated: list[str] = []

    async def invalidate(account: str) -> None:
        invalidated.append(account)

    runner.cache.invalidate = invalidate  # type: ignore[method-assign]
    await run(runner, counting("abc"))
    assert invalidated == []
