"""The deliverer alone: per-account order, Retry-After, backoff, budget and breaker postponements,
dead letters, and keys resolved at delivery (never stored for token-mapped calls); over the
SQLite spool and the Redis one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from mappings.core import Call, Reply
from mappings.upstream_ops import SPEC_OPERATIONS
from proxy.engine.deliverer import Deliverer
from proxy.engine.pools import build_client
from proxy.engine.resilience import CircuitOpen
from proxy.engine.spooling import Spooler, sealed_payload, stamp
from proxy.engine.upstream import Upstream, UpstreamUnavailable
from proxy.settings import Settings
from proxy.state.budgets import Engagement, MemoryRateBudget, Window
from proxy.state.redis_spool import RedisSpool
from proxy.state.seal import Sealer
from proxy.state.spool import Spool
from proxy.state.sqlite_spool import SqliteSpool

KEY = "pk_" + "d4" * 17
TOKEN = "SrvTk9"


def unused(request: httpx.Request) -> httpx.Response:
    raise AssertionError("the scripted upstream never sends")


class Recorder(Upstream):
    def __init__(self, *answers: Reply | Exception) -> None:
        super().__init__(build_client(Settings(), httpx.MockTransport(unused)), SPEC_OPERATIONS)
        self.answers = list(answers)
        self.sent: list[tuple[str, str | None, Any]] = []

    async def send(
        self, op: str, *, path_params: Mapping[str, str], query: Mapping[str, str], body: Any, key: str | None
    ) -> Reply:
        self.sent.append((op, key, body))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def event(n: int) -> Call:
    body = {"data": {"type": "event", "attributes": {"properties": {"n": n}}}}
    return stamp(Call("create_event", body=body, auth="private", token=TOKEN))


@pytest.fixture(params=["sqlite", "redis"])
async def parts(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[Spooler, Clock]]:
    """A spooler over each spool: the local SQLite file and the Redis one replicas share."""
    clock = Clock()
    spool: Spool
    if request.param == "sqlite":
        spool = SqliteSpool(tmp_path / "spool.sqlite3", max_entries=100)
    else:
        spool = RedisSpool(request.getfixturevalue("redis_url"), max_entries=100)
    try:
        yield Spooler(spool, Sealer(b"k" * 32), None, budget_wait=0, clock=clock), clock
    finally:
        await spool.aclose()


def deliverer(spooler: Spooler, upstream: Upstream, clock: Clock) -> Deliverer:
    return Deliverer(
        spooler, upstream, {TOKEN: KEY}, poll=0.01, base=1.0, cap=8.0, clock=clock, draw=lambda: 1.0
    )


async def test_entries_go_in_order_with_the_key_resolved_at_delivery(parts: tuple[Spooler, Clock]) -> None:
    spooler, clock = parts
    for n in range(3):
        await spooler.put("acct", event(n), None, "test")
    assert KEY not in str(sealed_payload(event(0), KEY))  # a token-mapped call never stores the key
    up = Recorder(Reply(202))
    assert await deliverer(spooler, up, clock).drain() == 3
    assert [(op, key, body["data"]["attributes"]["properties"]["n"]) for op, key, body in up.sent] == [
        ("create_event", KEY, 0), ("create_event", KEY, 1), ("create_event", KEY, 2)
    ]  # fmt: skip
    assert (await spooler.spool.counts()).pending == 0 and await spooler.spool.waiting("acct") == 0


async def test_retry_after_and_backoff_hold_the_account(parts: tuple[Spooler, Clock]) -> None:
    spooler, clock = parts
    await spooler.put("acct", event(0), None, "test")
    await spooler.put("acct", event(1), None, "test")
    up = Recorder(
        Reply(429, headers={"retry-after": "30"}), Reply(503), UpstreamUnavailable("reset"), Reply(202)
    )
    d = deliverer(spooler, up, clock)
    assert await d.drain() == 0
    assert len(up.sent) == 1  # entry 1 waits behind entry 0
    clock.now += 29
    assert await d.drain() == 0 and len(up.sent) == 1  # Retry-After: 30 honoured
    clock.now += 1
    assert await d.drain() == 0  # 503: backoff 2 s (attempt 1, no Retry-After)
    clock.now += 1.9
    assert await d.drain() == 0 and len(up.sent) == 2
    clock.now += 0.1
    assert await d.drain() == 0  # reset: backoff 4 s
    clock.now += 4
    assert await d.drain() == 2
    sent = [body["data"]["attributes"]["unique_id"] for _, _, body in up.sent]
    assert len(set(sent[:4])) == 1  # the same unique_id every time


async def test_a_permanent_refusal_is_buried_and_the_next_entry_goes(parts: tuple[Spooler, Clock]) -> None:
    spooler, clock = parts
    await spooler.put("acct", event(0), None, "test")
    await spooler.put("acct", event(1), None, "test")
    up = Recorder(Reply(400, {"errors": [{"code": "invalid", "detail": "x@example.com is bad"}]}), Reply(202))
    assert await deliverer(spooler, up, clock).drain() == 2
    [dead] = await spooler.spool.dead_letters()
    assert (dead.status, dead.reason) == (400, "upstream answered 400: invalid")  # never the detail text


async def test_spent_budget_or_open_circuit_postpone_without_an_attempt(parts: tuple[Spooler, Clock]) -> None:
    spooler, clock = parts
    spooler.budget = MemoryRateBudget({"create_event": (Window(1, 1.0),)}, clock=clock)
    await spooler.put("acct", event(0), None, "test")
    await spooler.put("acct2", event(1), None, "test")
    spooler.budget.cool("acct", "create_event", 5)
    up = Recorder(CircuitOpen("create_event", 3))
    d = deliverer(spooler, up, clock)
    assert await d.drain() == 0
    assert len(up.sent) == 1  # acct was not even tried (cooling down); acct2 met the open circuit
    heads = []
    for account in ("acct", "acct2"):
        async with spooler.spool.lease(account):
            heads.append(await spooler.spool.head(account, clock.now + 10))
    assert [e.attempts for e in heads if e is not None] == [0, 0]
    assert sorted(e.next_at - clock.now for e in heads if e is not None) == [3, 5]


async def test_a_token_no_longer_mapped_is_a_dead_letter(parts: tuple[Spooler, Clock]) -> None:
    spooler, clock = parts
    await spooler.put("acct", event(0), None, "test")
    d = Deliverer(spooler, Recorder(Reply(202)), {}, poll=0.01, base=1, cap=1, clock=clock)
    assert await d.drain() == 1
    assert (await spooler.spool.dead_letters())[0].status == 401


async def test_a_delivery_reply_declaring_limits_engages_the_budget(parts: tuple[Spooler, Clock]) -> None:
    spooler, clock = parts
    spec = {"create_event": (Window(100, 1.0),)}
    spooler.budget = MemoryRateBudget(spec, clock=clock, engagement=Engagement(spec, always=False))
    for n in range(3):
        await spooler.put("acct", event(n), None, "test")
    declared = {"ratelimit-limit": "1, 1;w=60", "ratelimit-remaining": "0"}
    up = Recorder(Reply(202, headers=declared))
    assert await deliverer(spooler, up, clock).drain() == 1, "the first went out un-budgeted"
    assert len(up.sent) == 1 and (await spooler.spool.counts()).pending == 2  # then 1/min, none left
