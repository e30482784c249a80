"""The upstream wrappers alone: retries (idempotent calls only, Retry-After, deadline) and the breaker."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
import httpx
import pytest

from mappings.core import Reply
from mappings.upstream_ops import SPEC_OPERATIONS
from proxy.engine.pools import build_client
from proxy.engine.resilience import DEADLINE, SPOOLING, Breaker, CircuitOpen, Retrying, backoff
from proxy.engine.upstream import Upstream, UpstreamUnavailable
from proxy.settings import Settings


def unused(request: httpx.Request) -> httpx.Response:
    raise AssertionError("the scripted upstream never sends")


class Scripted(Upstream):
    """Answers from a script: a Reply, or an exception to raise."""

    def __init__(self, *answers: Reply | Exception) -> None:
        super().__init__(build_client(Settings(), httpx.MockTransport(unused)), SPEC_OPERATIONS)
        self.answers = list(answers)
        self.sent: list[str] = []

    async def send(
        self, op: str, *, path_params: Mapping[str, str], query: Mapping[str, str], body: Any, key: str | None
    ) -> Reply:
        self.sent.append(op)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


class Sleeps:
    def __init__(self) -> None:
        self.slept: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)


OK = Reply(200, {"data": []})
EVENT = {"data": {"type": "event", "attributes": {"unique_id": "u-1", "properties": {}}}}


def retrying(inner: Upstream, sleeps: Sleeps, attempts: int = 3) -> Retrying:
    return Retrying(inner, attempts=attempts, base=0.1, cap=1.0, draw=lambda: 0.5, sleep=sleeps)


async def send(up: Upstream, op: str, body: Any = None) -> Reply:
    return await up.send(op, path_params={"id": "x"}, query={}, body=body, key="pk_x")


async def test_a_read_is_retried_with_backoff_and_retry_after() -> None:
    inner = Scripted(Reply(503), Reply(429, headers={"retry-after": "2"}), OK)
    sleeps = Sleeps()
    assert await send(retrying(inner, sleeps), "get_lists") == OK
    assert inner.sent == ["get_lists"] * 3
    assert sleeps.slept == [0.05, 2.0]  # jittered backoff (0.5 * 0.1), then what upstream asked


async def test_a_write_without_idempotency_key_is_never_retried() -> None:
    inner = Scripted(Reply(503), OK)
    assert (await send(retrying(inner, Sleeps()), "create_list", {"data": {"type": "list"}})).status == 503
    assert inner.sent == ["create_list"]


async def test_an_upsert_is_retried() -> None:
    inner = Scripted(Reply(502), Reply(200))
    assert (await send(retrying(inner, Sleeps()), "create_or_update_profile", {"data": {}})).status == 200
    assert inner.sent == ["create_or_update_profile"] * 2


async def test_an_event_with_unique_id_is_retried() -> None:
    inner = Scripted(UpstreamUnavailable("reset"), Reply(202))
    assert (await send(retrying(inner, Sleeps()), "create_event", EVENT)).status == 202
    assert inner.sent == ["create_event"] * 2


async def test_a_spoolable_write_is_not_retried_inline_the_spool_is_its_retry() -> None:
    inner = Scripted(Reply(503), Reply(202))
    token = SPOOLING.set(True)
    try:
        assert (await send(retrying(inner, Sleeps()), "create_event", EVENT)).status == 503
    finally:
        SPOOLING.reset(token)
    assert inner.sent == ["create_event"]


async def test_no_retry_past_the_deadline_and_none_after_the_last_attempt() -> None:
    inner = Scripted(Reply(429, headers={"retry-after": "30"}), OK)
    DEADLINE.set(time.monotonic() + 5)
    try:
        assert (await send(retrying(inner, Sleeps()), "get_lists")).status == 429
    finally:
        DEADLINE.set(None)
    inner = Scripted(UpstreamUnavailable("down"))
    with pytest.raises(UpstreamUnavailable):
        await send(retrying(inner, Sleeps(), attempts=2), "get_lists")
    assert len(inner.sent) == 2


def test_backoff_is_exponential_capped_and_jittered() -> None:
    assert [backoff(n, 0.1, 1.0, lambda: 1.0) for n in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    assert backoff(3, 0.1, 1.0, lambda: 0.0) == 0.0


async def test_the_breaker_opens_fails_fast_and_half_opens_to_probe() -> None:
    now = [0.0]
    inner = Scripted(Reply(500), Reply(500), UpstreamUnavailable("down"), OK)
    opened: list[str] = []
    breaker = Breaker(inner, failures=3, open_seconds=10, clock=lambda: now[0], on_open=opened.append)
    for _ in range(3):
        with contextlib.suppress(UpstreamUnavailable):
            await send(breaker, "get_lists")
    assert breaker.state("get_lists") == "open" and opened == ["get_lists"]
    with pytest.raises(CircuitOpen) as fast:
        await send(breaker, "get_lists")
    assert fast.value.retry_after == 10 and len(inner.sent) == 3  # not sent
    assert breaker.state("get_campaigns") == "closed"  # per upstream operation
    now[0] = 10.5
    assert breaker.state("get_lists") == "half-open"
    assert await send(breaker, "get_lists") == OK  # the probe succeeds: closed again
    assert breaker.state("get_lists") == "closed"


async def test_a_failed_probe_opens_the_breaker_again() -> None:
    now = [0.0]
    inner = Scripted(Reply(503))
    breaker = Breaker(inner, failures=1, open_seconds=5, clock=lambda: now[0])
    await send(breaker, "get_lists")
    now[0] = 6.0
    assert (await send(breaker, "get_lists")).status == 503  # the probe
    assert breaker.state("get_lists") == "open"
    with pytest.raises(CircuitOpen):
        await send(breaker, "get_lists")


async def test_an_aiohttp_error_is_an_unavailable_upstream_and_counts_as_a_failure() -> None:
    inner = Scripted(aiohttp.ClientResponseError(None, (), status=400, message="Bad status line"))  # type: ignore[arg-type]
    breaker = Breaker(inner, failures=1, open_seconds=5, clock=lambda: 0.0)
    with pytest.raises(UpstreamUnavailable):
        await send(breaker, "get_lists")
    assert breaker.state("get_lists") == "open"
