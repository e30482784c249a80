"""Issue 8, findings 2, 4, 7 (upstream errors) and 8: the proxy in front of a misbehaving new API.

A real uvicorn server on 127.0.0.1 runs the proxy; its upstream is ``MisbehavingUpstream`` on
another loopback port (the only fake, at the network edge). Both production transports are
exercised where the finding concerned them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from structlog.testing import capture_logs

from proxy import create_app
from proxy.settings import Settings
from tests.proxy.harness import KEY_A, KEY_B, free_port, serve
from tests.proxy.misbehaving import GARBAGE, HANG, RESET, Answer, MisbehavingUpstream, Seen

TRANSPORTS = ("aiohttp", "h1", "httpx")


def settings(url: str, **changes: object) -> Settings:
    return replace(Settings(upstream=url, traffic_db="off", access_log=False), **changes)  # type: ignore[arg-type]


@pytest.fixture
def cookie_upstream() -> Iterator[MisbehavingUpstream]:
    def script(seen: Seen) -> Answer:  # every answer sets a session cookie naming the caller
        who = "A" if KEY_A in seen.key else "B"
        return Answer(headers=(("set-cookie", f"session={who}; Path=/"), ("set-cookie", "x=1")))

    upstream = MisbehavingUpstream(script)
    with upstream.running():
        yield upstream


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_upstream_cookies_are_never_kept_nor_forwarded(
    cookie_upstream: MisbehavingUpstream, transport: str
) -> None:
    app = create_app(settings(cookie_upstream.url, transport=transport))
    with serve(app) as proxy, httpx.Client(base_url=proxy.url, timeout=10) as client:
        for key in (KEY_A, KEY_B, KEY_A, KEY_B):
            legacy = client.get("/api/v1/metrics", params={"api_key": key})
            assert legacy.status_code == 200 and "set-cookie" not in legacy.headers
            passed = client.get(
                "/api/metrics/",
                headers={"authorization": f"Klaviyo-API-Key {key}", "cookie": "mine=secret"},
            )
            assert passed.status_code == 200
            assert "set-cookie" not in passed.headers  # the upstream's cookies stay upstream
    seen = cookie_upstream.requests()
    assert len(seen) >= 6  # the legacy list is cached per account after its first call
    assert [s for s in seen if "cookie" in s.headers] == []  # neither the jar's nor the caller's


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_expect_100_continue_never_hangs_the_pass_through(transport: str) -> None:
    upstream = MisbehavingUpstream()  # never sends 100 Continue: waits for the body
    with (
        upstream.running(),
        serve(create_app(settings(upstream.url, transport=transport, passthrough_pool_size=5))) as proxy,
    ):
        async with httpx.AsyncClient(base_url=proxy.url, timeout=10) as client:

            async def post() -> int:
                response = await client.post(
                    "/api/events/",
                    headers={"expect": "100-continue", "authorization": f"Klaviyo-API-Key {KEY_A}"},
                    content=b'{"data": {}}' * 200,
                )
                return response.status_code

            started = time.monotonic()
            statuses = await asyncio.gather(*(post() for _ in range(12)))  # more than the pool of 5
    assert statuses == [200] * 12
    assert time.monotonic() - started < 5
    seen = upstream.requests()
    assert all("expect" not in s.headers and len(s.body) == 2400 for s in seen)


async def test_pass_through_to_a_hanging_upstream_ends_at_the_deadline() -> None:
    upstream = MisbehavingUpstream(lambda seen: HANG)
    with upstream.running(), serve(create_app(settings(upstream.url, request_deadline=1.0))) as proxy:
        async with httpx.AsyncClient(base_url=proxy.url, timeout=10) as client:
            started = time.monotonic()
            response = await client.get("/api/metrics/")
    assert response.status_code == 502
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("answer", [GARBAGE, RESET], ids=["garbage", "reset"])
def test_upstream_garbage_or_reset_is_a_documented_503_or_502(transport: str, answer: Answer) -> None:
    upstream = MisbehavingUpstream(lambda seen: answer)
    with (
        upstream.running(),
        serve(create_app(settings(upstream.url, transport=transport))) as proxy,
        httpx.Client(base_url=proxy.url, timeout=10) as client,
        capture_logs() as logs,
    ):
        legacy = client.get("/api/v1/metrics", params={"api_key": KEY_A})
        passed = client.get("/api/metrics/")
    assert legacy.status_code == 503 and legacy.json()["status"] == 503  # v1 shape
    assert passed.status_code == 502 and passed.json()["errors"][0]["code"] == "bad_gateway"
    assert not [line for line in logs if line["log_level"] in ("error", "critical")]
    reasons = " ".join(str(line.get("reason")) for line in logs)
    assert "ConnectTimeout" not in reasons  # the real cause is named


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_refused_connection_is_logged_as_refused_not_as_a_timeout(transport: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with (
        serve(create_app(settings(dead, transport=transport))) as proxy,
        httpx.Client(base_url=proxy.url, timeout=10) as client,
        capture_logs() as logs,
    ):
        assert client.get("/api/v1/metrics", params={"api_key": KEY_A}).status_code == 503
    reasons = [str(line["reason"]) for line in logs if line["event"] == "upstream.unavailable"]
    assert reasons and "ConnectError" in reasons[0] and "ConnectTimeout" not in reasons[0]


async def test_one_account_on_a_hanging_upstream_never_stalls_others() -> None:
    """120 calls of account A hang upstream; B's legacy call and a pass-through call answer at once."""

    def script(seen: Seen) -> Answer:
        return HANG if KEY_A in seen.key else Answer()

    upstream = MisbehavingUpstream(script)
    limited = {"pool_size": 10, "passthrough_pool_size": 10, "account_concurrency": 4, "request_deadline": 20}
    with upstream.running(), serve(create_app(settings(upstream.url, **limited))) as proxy:
        limits = httpx.Limits(max_connections=300)
        async with httpx.AsyncClient(base_url=proxy.url, timeout=30, limits=limits) as client:
            flood = [
                # Distinct profiles: no cache or single-flight folds these into one upstream call.
                asyncio.create_task(client.get(f"/api/v1/person/01H{i:05d}", params={"api_key": KEY_A}))
                for i in range(60)
            ] + [
                asyncio.create_task(
                    client.get("/api/metrics/", headers={"authorization": f"Klaviyo-API-Key {KEY_A}"})
                )
                for _ in range(60)
            ]
            await asyncio.sleep(1.0)  # the flood is in: A's slots and connections are taken
            started = time.monotonic()
            legacy = await client.get("/api/v1/metrics", params={"api_key": KEY_B})
            legacy_seconds = time.monotonic() - started
            started = time.monotonic()
            passed = await client.get("/api/metrics/", headers={"authorization": f"Klaviyo-API-Key {KEY_B}"})
            passed_seconds = time.monotonic() - started
            for task in flood:
                task.cancel()
            await asyncio.gather(*flood, return_exceptions=True)
    assert legacy.status_code == 200 and passed.status_code == 200
    print(
        f"\nunder a 120-call flood: legacy {legacy_seconds * 1000:.0f} ms, pass-through {passed_seconds * 1000:.0f} ms"
    )
    assert legacy_seconds < 1.0 and passed_seconds < 1.0
    hanging = [s for s in upstream.requests() if KEY_A in s.key]
    assert len(hanging) <= 8  # at most account_concurrency per route reached upstream
