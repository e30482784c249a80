"""2,000 tracks through a real ``klaviyo-compat serve`` while the upstream misbehaves and the proxy
is SIGKILLed once: every event reaches the upstream exactly once (issue 8, finding 3).

The upstream (``tests/faults/upstream.py``) cycles healthy, 503, hang, stored-hang (the event
is stored but the answer never comes), 429, down, reset, stored-reset and garbage. Sixteen concurrent legacy clients
post ``/api/track`` and retry only a call that got no answer (the proxy was killed under it);
even events carry a ``$event_id``, odd ones do not (the proxy fixes their ``unique_id``).
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path

import httpx
import orjson

from proxy.sandbox import DEMO_PUBLIC_KEY
from tests.faults.serve import Proxy, free_port, write_config
from tests.faults.upstream import FaultUpstream

TOTAL = 2000
TOKENS = (DEMO_PUBLIC_KEY, "AcctB2", "AcctC3", "AcctD4")  # four accounts, each drained in order
CLIENTS = 16
KILL_AT = 900  # acknowledged calls before the SIGKILL
SCHEDULE = (
    "healthy", "503", "healthy", "hang", "healthy", "stored-hang", "healthy", "429",
    "healthy", "down", "healthy", "reset", "healthy", "stored-reset", "healthy", "garbage",
)  # fmt: skip
PHASE_SECONDS = 0.4


def payload(i: int) -> bytes:
    props: dict[str, object] = {"n": i}
    if i % 2 == 0:
        props["$event_id"] = f"evt-{i}"
    data = {
        "token": TOKENS[i % len(TOKENS)],
        "event": "Fault Test",
        "customer_properties": {"$email": f"buyer{i % 40}@example.com"},
        "properties": props,
    }
    return orjson.dumps(data)


class Run:
    def __init__(self, base: str) -> None:
        self.base = base
        self.acked = 0
        self.answers: Counter[str] = Counter()
        self.latencies: list[float] = []  # seconds, answered calls
        self.ambiguous: set[int] = set()  # no answer after the request may have been sent
        self.killed = asyncio.Event()
        self.back = asyncio.Event()

    async def client(self, queue: asyncio.Queue[int]) -> None:
        async with httpx.AsyncClient(base_url=self.base, timeout=10) as http:
            while not queue.empty():
                i = queue.get_nowait()
                await self.track(http, i)

    async def track(self, http: httpx.AsyncClient, i: int) -> None:
        while True:
            started = time.monotonic()
            try:
                resp = await http.post(
                    "/api/track", content=payload(i), headers={"content-type": "application/json"}
                )
            except httpx.ConnectError:
                await asyncio.sleep(0.05)  # nothing was sent: the proxy is down, retry
                continue
            except httpx.HTTPError:
                self.ambiguous.add(i)  # killed under the call: a legacy client would retry it
                await asyncio.sleep(0.05)
                continue
            self.latencies.append(time.monotonic() - started)
            self.answers[f"{resp.status_code} {resp.text}"] += 1
            if resp.text == "1":
                self.acked += 1
            return


async def drive(run: Run, proxy: Proxy, upstream: FaultUpstream) -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(TOTAL):
        queue.put_nowait(i)
    clients = [asyncio.create_task(run.client(queue)) for _ in range(CLIENTS)]
    phase = 0
    killed = False
    # Every fault phase comes at least twice, whether the clients are done or not (the spool then
    # drains through the faults).
    while not all(c.done() for c in clients) or phase < 2 * len(SCHEDULE):
        upstream.set_mode(SCHEDULE[phase % len(SCHEDULE)])
        phase += 1
        await asyncio.sleep(PHASE_SECONDS)
        if not killed and run.acked >= KILL_AT:
            killed = True
            await asyncio.to_thread(proxy.kill)
            await asyncio.to_thread(proxy.start)
    await asyncio.gather(*clients)
    upstream.set_mode("healthy")


def pending(spool_db: Path) -> tuple[int, int]:
    with sqlite3.connect(f"file:{spool_db}?mode=ro", uri=True) as db:
        return (
            db.execute("SELECT count(*) FROM pending").fetchone()[0],
            db.execute("SELECT count(*) FROM dead").fetchone()[0],
        )


def test_2000_tracks_through_faults_and_a_sigkill_arrive_exactly_once(tmp_path: Path) -> None:
    started = time.monotonic()
    with FaultUpstream(retry_after=1) as upstream:
        port = free_port()
        config = write_config(tmp_path, upstream.url, port)
        proxy = Proxy(config, port)
        proxy.start()
        try:
            run = Run(f"http://127.0.0.1:{port}")
            asyncio.run(drive(run, proxy, upstream))
            spool_db = tmp_path / "state" / "spool" / "spool.sqlite3"
            deadline = time.monotonic() + 30
            while pending(spool_db)[0] and time.monotonic() < deadline:
                time.sleep(0.1)
            left, dead = pending(spool_db)
            time.sleep(0.3)
            events = upstream.stored_events()
        finally:
            code = proxy.stop()
    by_n: Counter[int] = Counter(int(e.event_properties.get("n", -1)) for e in events)
    by_unique = Counter(e.unique_id for e in events)
    missing = [i for i in range(TOTAL) if by_n[i] == 0]
    twice = sorted(n for n, k in by_n.items() if k > 1)
    print(
        f"\n2,000-track fault run ({time.monotonic() - started:.1f} s): acknowledged {run.acked}, "
        f"answers {dict(run.answers)}, stored events {len(events)}, distinct unique_ids {len(by_unique)}, "
        f"missing {len(missing)}, duplicated {len(twice)}, spool pending {left}, dead letters {dead}, "
        f"calls retried by clients after the SIGKILL {len(run.ambiguous)}, "
        f"upstream requests by mode {dict(upstream.served)}, proxy exit code {code}; "
        f"answer latency p50 {_pct(run.latencies, 50):.3f} s, p99 {_pct(run.latencies, 99):.3f} s, "
        f"max {max(run.latencies):.3f} s"
    )
    assert run.acked == TOTAL
    assert (left, dead) == (0, 0)
    assert missing == []
    assert all(k == 1 for k in by_unique.values()) and None not in by_unique
    # An odd event (no $event_id) that a client re-sent because the SIGKILL cut its answer is a new
    # legacy call: the only duplicates allowed. Every event carrying an $event_id is there once.
    assert [n for n in twice if n % 2 == 0] == []
    assert set(twice) <= run.ambiguous
    assert code in (0, -signal.SIGTERM)  # uvicorn re-raises SIGTERM once it has shut down cleanly


def _pct(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, len(ordered) * p // 100)]
