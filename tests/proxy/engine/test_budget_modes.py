"""``rate_budgets`` end to end: legacy calls through the whole app to a fake new API
(``httpx.MockTransport``, the network boundary) that declares limits, or not.

Mode ``upstream`` (the default) budgets an account's operation only once a reply declared its
limits (``RateLimit-Limit``) or answered 429; mode ``spec`` budgets every call from the first on
the spec's tiers, whatever the upstream says.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from pathlib import Path

import httpx
from starlette.testclient import TestClient

from proxy.engine.app import create_app
from proxy.engine.engine import Overrides
from proxy.settings import Settings
from tests.proxy.harness import KEY_A, PROFILE_ID, TOKEN, FakeUpstream, track_query

ADMIN = "admin-" + "m" * 24
CALLS = 20
# get_profile is 75/s and 750/min in the spec, create_client_event 350/s and 3500/min: at this
# scale their bursts are 3 and 14 a second, far below CALLS.
SCALE = 0.04


class Declaring(FakeUpstream):
    """``FakeUpstream`` that adds ``headers`` to each answer, and answers the first ``fail``
    requests 429 with ``Retry-After: 30``."""

    def __init__(self, headers: Mapping[str, str], fail: int = 0) -> None:
        super().__init__()
        self.headers, self.fail = dict(headers), fail

    def __call__(self, request: httpx.Request) -> httpx.Response:
        answer = super().__call__(request)
        if self.fail > 0:
            self.fail -= 1
            return httpx.Response(
                429, headers={"Retry-After": "30"}, json={"errors": [{"code": "throttled"}]}
            )
        answer.headers.update(self.headers)
        return answer


def _settings(tmp: Path, mode: str) -> Settings:
    return Settings(
        upstream="https://upstream.test",
        rate_budgets=mode,
        rate_budget_scale=SCALE,
        budget_wait=0.0,
        retry_attempts=1,
        spool_db=str(tmp / "spool.sqlite3"),
        spool_poll_seconds=0.05,
        token_keys={TOKEN: KEY_A},
        admin_token=ADMIN,
        access_log=False,
        traffic_db="off",
    )


def _run(tmp: Path, mode: str, upstream: FakeUpstream) -> tuple[list[int], list[str], str]:
    """CALLS reads, then CALLS fire-and-forget writes; their statuses, their bodies, /metrics."""
    with TestClient(
        create_app(_settings(tmp, mode), overrides=Overrides(transport=upstream.transport()))
    ) as c:
        reads = [
            c.get(f"/api/v1/person/{PROFILE_ID}", params={"api_key": KEY_A}).status_code for _ in range(CALLS)
        ]
        writes = [c.get("/api/track", params=track_query()).text for _ in range(CALLS)]
        metrics = c.get("/metrics", headers={"authorization": f"Bearer {ADMIN}"}).text
    return reads, writes, metrics


def _spooled(metrics: str) -> float:
    found = re.search(
        r'klaviyo_compat_spool_writes_total\{operation="[a-z_]+",outcome="spooled"\} (\S+)', metrics
    )
    return float(found.group(1)) if found else 0.0


def test_an_upstream_that_declares_no_limits_is_not_throttled_here(tmp_path: Path) -> None:
    upstream = FakeUpstream()  # no RateLimit-Limit (RateLimit-Remaining alone declares no limit)
    reads, writes, metrics = _run(tmp_path, "upstream", upstream)
    assert reads == [200] * CALLS
    assert writes == ["1"] * CALLS and _spooled(metrics) == 0
    assert len(upstream.seen("GET")) == len(upstream.seen("POST")) == CALLS, "all sent at once"


def test_mode_spec_budgets_from_the_first_call_whatever_the_upstream_says(tmp_path: Path) -> None:
    upstream = FakeUpstream()
    reads, writes, metrics = _run(tmp_path, "spec", upstream)
    assert 0 < reads.count(200) <= 6 and reads.count(429) >= CALLS - 6, reads  # a burst of 3
    assert writes == ["1"] * CALLS and _spooled(metrics) >= CALLS - 14 - 2, metrics  # a burst of 14


def test_a_declared_limit_engages_the_budget_after_the_first_reply(tmp_path: Path) -> None:
    # 50 a minute declared, 25 left: at SCALE 2 a minute, 1 left; nothing refills within the test.
    upstream = Declaring({"RateLimit-Limit": "50, 50;w=60", "RateLimit-Remaining": "25"})
    reads, writes, metrics = _run(tmp_path, "upstream", upstream)
    # The first read went out un-budgeted; its reply engaged the budget with one call left.
    assert reads[:2] == [200, 200] and reads[2:] == [429] * (CALLS - 2), reads
    assert len(upstream.seen("GET")) == 2, "the throttled reads stayed on this side"
    assert writes == ["1"] * CALLS and _spooled(metrics) == CALLS - 2
    time.sleep(0.2)  # the deliverer finds the budget spent: nothing more goes out
    assert len(upstream.seen("POST")) == 2


def test_a_429_engages_the_budget_and_its_cooldown_holds(tmp_path: Path) -> None:
    upstream = Declaring({}, fail=1)  # one 429 (Retry-After: 30), then answers without headers
    with TestClient(
        create_app(_settings(tmp_path, "upstream"), overrides=Overrides(transport=upstream.transport()))
    ) as c:
        first = c.get(f"/api/v1/person/{PROFILE_ID}", params={"api_key": KEY_A})
        assert first.status_code == 429
        for _ in range(5):
            again = c.get(f"/api/v1/person/{PROFILE_ID}", params={"api_key": KEY_A})
            assert again.status_code == 429 and 25 <= int(again.headers["retry-after"]) <= 30
        assert len(upstream.seen("GET")) == 1, "the cooldown kept them on this side"
        assert all(c.get("/api/track", params=track_query()).text == "1" for _ in range(3))
        assert len(upstream.seen("POST")) == 3, "the 429 engaged its own account and operation only"
