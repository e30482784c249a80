"""Two ``serve`` replicas sharing ``state_url`` behind a round-robin balancer (real processes).

One private Redis, one ``klaviyo-compat sandbox`` process as the new API, two replicas with the
same ``state_url`` and ``hash_secret``, and ``tests.replicas.harness.Balancer`` in front, which
gives every connection to the next replica. A control replica without shared state shows what
the shared store changes (its marker pages break), so these tests can fail.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.redis_server import RedisServer
from tests.replicas.harness import (
    ADMIN,
    KEY,
    Balancer,
    Process,
    fresh,
    new_api,
    replica,
    sandbox,
    shared,
    upstream_calls,
)

MEMBERS = 1003  # two legacy marker pages: 1000 + 3
LISTS = 25  # v1 lists read get_lists 10 a page: an enumeration is 3 upstream pages
PAGES = 3
EVENTS = 5
CACHE_TTL = 3.0


@dataclass
class Cluster:
    upstream: Process
    a: Process
    b: Process
    list_id: str
    emails: list[str]


def _seed(base: str) -> tuple[str, list[str]]:
    doc = new_api(base, "POST", "/api/lists", {"data": {"type": "list", "attributes": {"name": "Replicas"}}})
    list_id = str(doc["data"]["id"])
    for n in range(LISTS - 1):
        new_api(base, "POST", "/api/lists", {"data": {"type": "list", "attributes": {"name": f"More {n}"}}})
    emails = [f"member{n:05d}@example.com" for n in range(MEMBERS)]
    profiles = [{"type": "profile", "attributes": {"email": e}} for e in emails]
    job = {
        "type": "profile-bulk-import-job",
        "attributes": {"profiles": {"data": profiles}},
        "relationships": {"lists": {"data": [{"type": "list", "id": list_id}]}},
    }
    new_api(base, "POST", "/api/profile-bulk-import-jobs", {"data": job})
    for n in range(EVENTS):
        event = {
            "properties": {"n": n},
            "time": f"2026-11-0{n + 1}T10:00:00+00:00",
            "metric": {"data": {"type": "metric", "attributes": {"name": "Placed Order"}}},
            "profile": {"data": {"type": "profile", "attributes": {"email": emails[n]}}},
        }
        new_api(base, "POST", "/api/events", {"data": {"type": "event", "attributes": event}})
    return list_id, emails


@pytest.fixture(scope="module")
def cluster(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    assert redis_server.command("FLUSHALL").startswith(b"+OK")
    tmp = tmp_path_factory.mktemp("replicas")
    upstream = sandbox(tmp)
    started = [upstream]
    try:
        list_id, emails = _seed(upstream.url)
        env = shared(redis_server.url, KLAVIYO_COMPAT_COLLECTION_CACHE_TTL=str(CACHE_TTL))
        a = replica(tmp, upstream.url, **env)
        started.append(a)
        b = replica(tmp, upstream.url, **env)
        started.append(b)
        yield Cluster(upstream, a, b, list_id, emails)
    finally:
        for proc in reversed(started):
            proc.stop()


def _members(base: str, list_id: str, marker: int | None = None) -> Any:
    params: dict[str, Any] = {"api_key": KEY}
    if marker is not None:
        params["marker"] = marker
    with fresh() as client:
        return client.get(f"{base}/api/v2/group/{list_id}/members/all", params=params)


def _marker_walk(base: str, list_id: str) -> list[str]:
    first = _members(base, list_id)
    assert first.status_code == 200, first.text
    page = first.json()
    assert len(page["records"]) == 1000 and isinstance(page["marker"], int)
    second = _members(base, list_id, page["marker"])
    assert second.status_code == 200, second.text
    assert "marker" not in second.json()
    return [r["email"] for r in page["records"] + second.json()["records"]]


def test_a_marker_minted_on_one_replica_resumes_on_the_other(cluster: Cluster, tmp_path: Path) -> None:
    single = _marker_walk(cluster.a.url, cluster.list_id)  # one process: the reference
    assert sorted(single) == cluster.emails
    with Balancer([cluster.a.port, cluster.b.port]) as lb:
        through_both = _marker_walk(lb.url, cluster.list_id)
        assert lb.routes == [cluster.a.port, cluster.b.port], "page 1 through A, page 2 through B"
    assert through_both == single
    # Control: a replica that keeps its state in-process does not know A's marker.
    alone = replica(tmp_path, cluster.upstream.url)
    try:
        page = _members(cluster.a.url, cluster.list_id).json()
        refused = _members(alone.url, cluster.list_id, page["marker"])
        assert refused.status_code == 400 and "unknown or has expired" in refused.text
    finally:
        alone.stop()


def test_a_timeline_next_minted_on_one_replica_resumes_on_the_other(cluster: Cluster) -> None:
    def walk(first: str, second: str) -> list[Any]:
        with fresh() as client:
            query = {"api_key": KEY, "count": "2"}
            one = client.get(f"{first}/api/v1/metrics/timeline", params=query).json()
            assert one["next"], one
            two = client.get(f"{second}/api/v1/metrics/timeline", params={**query, "since": one["next"]})
            assert two.status_code == 200, two.text
            return [e["uuid"] for e in one["data"] + two.json()["data"]]

    single = walk(cluster.a.url, cluster.a.url)
    assert len(single) == 4
    with Balancer([cluster.a.port, cluster.b.port]) as lb:
        assert walk(lb.url, lb.url) == single
        assert lb.routes == [cluster.a.port, cluster.b.port]
    assert walk(cluster.b.url, cluster.a.url) == single


def test_offset_pages_through_both_replicas_cost_one_enumeration_per_ttl(cluster: Cluster) -> None:
    def walks() -> int:
        return upstream_calls(cluster.a.url, "get_lists") + upstream_calls(cluster.b.url, "get_lists")

    time.sleep(CACHE_TTL + 0.5)  # whatever an earlier test cached has expired
    before = walks()
    with Balancer([cluster.a.port, cluster.b.port]) as lb, fresh() as client:
        for round_ in range(2):
            answers = [
                client.get(
                    f"{lb.url}/api/v1/lists", params={"api_key": KEY, "page": str(n % 2), "count": "1"}
                )
                for n in range(6)
            ]
            assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
            assert {a.json()["total"] for a in answers} == {LISTS}
            # One enumeration (PAGES pages) per TTL cluster-wide; in the first round the replica
            # that served the other's snapshot also rechecks the key once (one page: issue 8's
            # key rechecks, at most one per account and replica every 10 s). Without the shared
            # cache the first round alone would cost 2 * PAGES.
            expected = PAGES + 1 if round_ == 0 else 2 * PAGES + 1
            assert walks() - before == expected, "one enumeration per TTL across both replicas"
            if round_ == 0:
                time.sleep(CACHE_TTL + 0.5)
        assert set(lb.routes) == {cluster.a.port, cluster.b.port} and len(lb.routes) == 12


def _children(pid: int, marker: str) -> list[int]:
    """Child processes of ``pid`` whose command line contains ``marker`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and marker in cmdline:
            found.append(int(entry.name))
    return found


def test_serve_workers_2_shares_markers_between_its_workers(cluster: Cluster, tmp_path: Path) -> None:
    workers = replica(tmp_path, cluster.upstream.url, "--workers", "2", **shared(_redis_url(cluster)))
    try:
        assert len(_children(workers.proc.pid, "spawn_main")) == 2, "two worker processes"
        reference = sorted(cluster.emails)
        for _ in range(8):  # new connections each time: the kernel spreads them over both workers
            assert sorted(_marker_walk(workers.url, cluster.list_id)) == reference
    finally:
        workers.stop()


def _redis_url(cluster: Cluster) -> str:
    env = cluster.a.env
    return env["KLAVIYO_COMPAT_STATE_URL"]


def test_redis_down_tokens_answer_503_reads_walk_and_ready_stays_200(
    tmp_path: Path, cluster: Cluster
) -> None:
    redis = RedisServer(tmp_path / "redis").start()
    alone = replica(tmp_path, cluster.upstream.url, **shared(redis.url))
    try:
        page = _members(alone.url, cluster.list_id).json()
        redis.kill()
        with fresh() as client:
            refused = _members(alone.url, cluster.list_id, page["marker"])
            assert refused.status_code == 503, refused.text
            assert "shared state" in refused.json()["detail"], "the v2 error shape"
            lists = client.get(f"{alone.url}/api/v1/lists", params={"api_key": KEY})
            assert lists.status_code == 200 and lists.json()["total"] == LISTS, "offset pages walk directly"
            assert client.get(f"{alone.url}/_compat/ready").status_code == 200, "readiness ignores Redis"
            metrics = client.get(f"{alone.url}/metrics", headers={"Authorization": f"Bearer {ADMIN}"}).text
            assert "klaviyo_compat_state_backend_up 0.0" in metrics
        assert "state.backend_down" in alone.log.read_text()
        redis = RedisServer(tmp_path / "redis", port=redis.port).start()  # its AOF kept the marker
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            resumed = _members(alone.url, cluster.list_id, page["marker"])
            if resumed.status_code == 200:
                break
            time.sleep(0.2)
        assert resumed.status_code == 200 and len(resumed.json()["records"]) == MEMBERS - 1000
        assert "state.backend_up" in alone.log.read_text()
    finally:
        alone.stop()
        redis.stop()


def test_a_1_per_second_limit_holds_across_both_replicas(cluster: Cluster, tmp_path: Path) -> None:
    """get_profile scaled to 1/s and 10/min (75/s, 750/m x 1/75): both replicas draw on one budget."""
    doc = new_api(
        cluster.upstream.url,
        "POST",
        "/api/profiles",
        {"data": {"type": "profile", "attributes": {"email": "budget@example.com"}}},
    )
    profile_id = doc["data"]["id"]
    env = shared(
        _redis_url(cluster),
        KLAVIYO_COMPAT_RATE_BUDGETS="spec",  # from the first call (not once each replica saw a reply)
        KLAVIYO_COMPAT_RATE_BUDGET_SCALE=str(1 / 75),
        KLAVIYO_COMPAT_BUDGET_WAIT="0",
        KLAVIYO_COMPAT_RETRY_ATTEMPTS="1",
    )
    a = replica(tmp_path, cluster.upstream.url, **env)
    b = replica(tmp_path, cluster.upstream.url, **env)
    try:
        with Balancer([a.port, b.port]) as lb, fresh() as client:
            started = time.monotonic()
            answers = [
                client.get(f"{lb.url}/api/v1/person/{profile_id}", params={"api_key": KEY}) for _ in range(16)
            ]
            elapsed = time.monotonic() - started
            assert set(lb.routes) == {a.port, b.port}
        ok = [r for r in answers if r.status_code == 200]
        throttled = [r for r in answers if r.status_code == 429]
        assert len(ok) + len(throttled) == len(answers), [r.status_code for r in answers]
        assert ok and throttled
        assert len(ok) <= 1 + int(elapsed), (
            f"{len(ok)} calls in {elapsed:.2f} s: the burst is 1/s for both together"
        )
        assert all(int(r.headers["Retry-After"]) >= 1 for r in throttled)
        assert all(r.json()["status"] == 429 for r in throttled), "the v1 error shape"
        sent = upstream_calls(a.url, "get_profile") + upstream_calls(b.url, "get_profile")
        assert sent == len(ok), "every refused call stayed on this side"
    finally:
        a.stop()
        b.stop()
