"""The shared traffic record with real processes: two ``serve`` replicas append to one Redis
stream, one ``klaviyo-compat recorder`` keeps it in SQLite and serves the report.

The recorder's totals equal the calls made through the replicas, also when the recorder is
SIGKILLed mid-run and started again (nothing lost, nothing counted twice), and ``report`` reads
the recorder's file. A replica whose Redis is down answers at once and keeps its records in the
bounded queue (beyond it: dropped and counted), sending them once Redis is back.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis

from proxy.traffic.stream import GROUP, STREAM_KEY, decode
from tests.proxy.harness import REPO, free_port
from tests.redis_server import RedisServer
from tests.replicas.harness import (
    ADMIN,
    KEY,
    Balancer,
    Process,
    child_env,
    fresh,
    replica,
    sandbox,
    shared,
)

PHASE = 150  # calls per phase: recorder up, recorder killed, recorder back
BEARER = {"Authorization": f"Bearer {ADMIN}"}


def _recorder(tmp: Path, redis_url: str, db: Path, port: int | None = None) -> Process:
    port = port or free_port()
    env = child_env(**shared(redis_url), KLAVIYO_COMPAT_TRAFFIC_DB=str(db), KLAVIYO_COMPAT_ADMIN_TOKEN=ADMIN)
    proc = Process(["recorder", "--port", str(port)], env, port, tmp / f"recorder-{port}-{time.time()}.log")
    return proc.wait_ready("/_compat/health")


def _replica(tmp: Path, upstream: str, redis_url: str, name: str, **more: str) -> Process:
    env = shared(
        redis_url,
        KLAVIYO_COMPAT_TRAFFIC_DB=str(tmp / f"{name}.sqlite3"),  # never written: the record is streamed
        KLAVIYO_COMPAT_TRAFFIC_FLUSH_MS="50",
        **more,
    )
    return replica(tmp, upstream, **env)


def _call(base: str, n: int) -> int:
    """One legacy call: mostly a path no operation maps (answered locally), every third a v2 read."""
    path = "/api/v2/lists" if n % 3 == 0 else f"/api/v1/not-a-legacy-operation/{n}"
    with fresh() as client:
        return client.get(base + path, params={"api_key": KEY}).status_code


def _recorded(recorder: Process) -> int:
    answer = httpx.get(f"{recorder.url}/_compat/report", params={"since": "1d"}, headers=BEARER, timeout=10)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["summary"]["calls"])


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.2)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()  # the first test never stops it itself: it would outlive the run


def test_the_recorder_counts_every_call_once_across_a_sigkill_and_restart(
    own_redis: RedisServer, tmp_path: Path
) -> None:
    upstream = sandbox(tmp_path)
    db = tmp_path / "recorder.sqlite3"
    started = [upstream]
    try:
        a = _replica(tmp_path, upstream.url, own_redis.url, "a")
        started.append(a)
        b = _replica(tmp_path, upstream.url, own_redis.url, "b")
        started.append(b)
        recorder = _recorder(tmp_path, own_redis.url, db)
        started.append(recorder)
        made: list[int] = []
        with Balancer([a.port, b.port]) as lb:

            def traffic(count: int) -> None:
                for _ in range(count):
                    made.append(_call(lb.url, len(made)))

            traffic(PHASE)
            # Mid-run: calls keep coming while the recorder is killed and while it is down.
            background = threading.Thread(target=traffic, args=(PHASE,))
            background.start()
            _wait(lambda: len(made) >= PHASE + 20, 60, "calls during the kill")
            recorder.proc.kill()  # SIGKILL: no shutdown path runs
            recorder.stop()
            background.join(120)
            recorder = _recorder(tmp_path, own_redis.url, db, port=recorder.port)
            started.append(recorder)
            traffic(PHASE)
            assert {lb.routes.count(a.port), lb.routes.count(b.port)} == {
                len(made) // 2,
                len(made) - len(made) // 2,
            }
        total = 3 * PHASE
        assert len(made) == total and set(made) <= {200, 429, 501}, set(made)
        _wait(lambda: _recorded(recorder) >= total, 60, "the recorder's totals")
        time.sleep(1.5)  # nothing arrives twice later either
        assert _recorded(recorder) == total
        client = redis.Redis.from_url(own_redis.url)
        pending: Any = client.xpending(STREAM_KEY, GROUP)
        assert pending["pending"] == 0
        client.close()
        # A replica's own report says where the record is.
        refused = httpx.get(f"{a.url}/_compat/report", headers=BEARER, timeout=10)
        assert refused.status_code == 503 and "klaviyo-compat recorder" in refused.text
    finally:
        for proc in reversed(started):
            proc.stop()
    # `report` reads the recorder's file (here after it stopped; it also does while it runs).
    out = subprocess.run(
        [sys.executable, "-m", "proxy.cli", "report", "--db", str(db), "--since", "1d", "--format", "json"],
        capture_output=True, text=True, timeout=60, cwd=REPO, env=child_env(),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert orjson.loads(out.stdout)["summary"]["calls"] == total


def _streamed(url: str) -> int:
    """Records in the stream, every entry decoded."""
    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        entries: Any = client.xrange(STREAM_KEY)
        return sum(len(decode(entry_id.decode(), fields).records) for entry_id, fields in entries)
    finally:
        client.close()


def _dropped(replica_url: str) -> int:
    text = httpx.get(f"{replica_url}/metrics", headers=BEARER, timeout=10).text
    match = re.search(r"^klaviyo_compat_traffic_records_dropped_total ([0-9.e+]+)$", text, re.M)
    return int(float(match.group(1))) if match else 0


def test_a_replica_whose_redis_is_down_answers_at_once_and_keeps_or_counts_its_records(
    own_redis: RedisServer, tmp_path: Path
) -> None:
    upstream = sandbox(tmp_path)
    queue, batch = 40, 10
    proxy = _replica(
        tmp_path,
        upstream.url,
        own_redis.url,
        "a",
        KLAVIYO_COMPAT_TRAFFIC_QUEUE_SIZE=str(queue),
        KLAVIYO_COMPAT_TRAFFIC_BATCH_SIZE=str(batch),
    )
    server = own_redis
    try:

        def calls(n: int) -> None:
            for i in range(n):
                started = time.monotonic()
                assert _call(proxy.url, 3 * i + 1) == 501  # a local answer: no upstream, no Redis
                assert time.monotonic() - started < 3, "a request waited for Redis"

        calls(10)
        _wait(lambda: _streamed(server.url) == 10, 30, "records while Redis is up")
        server.kill()
        calls(30)  # within the queue: kept
        ready = httpx.get(f"{proxy.url}/_compat/ready", timeout=10)
        assert ready.status_code == 200 and "traffic_store" not in ready.json()["checks"], ready.text
        server = RedisServer(tmp_path / "redis", port=server.port).start()  # its AOF kept the stream
        _wait(lambda: _streamed(server.url) == 40, 30, "records kept while Redis was down")
        assert _dropped(proxy.url) == 0
        server.kill()
        calls(200)  # beyond the queue: dropped and counted, never waited for
        server = RedisServer(tmp_path / "redis", port=server.port).start()
        _wait(lambda: _streamed(server.url) > 40, 30, "the kept records after Redis came back")
        time.sleep(1.0)  # whatever was kept has arrived
        kept, dropped = _streamed(server.url) - 40, _dropped(proxy.url)
        assert kept + dropped == 200, (kept, dropped)
        assert queue <= kept <= queue + batch, "the queue plus the batch in hand"
    finally:
        proxy.stop()
        upstream.stop()
        server.stop()
