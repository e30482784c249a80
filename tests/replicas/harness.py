"""Real processes on real sockets: a ``sandbox``, ``serve`` replicas, and a round-robin balancer.

Everything listens on 127.0.0.1 and every wait is bounded. Processes are stopped with SIGTERM
(SIGKILL after a bound); ``Balancer`` is an asyncio TCP relay in a thread that sends each new
connection to the next backend and remembers where each one went, so a test can show that its
requests really alternated.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from proxy.sandbox import DEMO_PRIVATE_KEY
from proxy.settings import DEFAULT_REVISION
from tests.proxy.harness import REPO, free_port

LOOPBACK = "127.0.0.1"
KEY = DEMO_PRIVATE_KEY
HASH_SECRET = "replicas-" + "h" * 40
ADMIN = "admin-" + "r" * 30
JSONAPI = "application/vnd.api+json"


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLAVIYO_COMPAT_")}
    return {**env, "KLAVIYO_COMPAT_ACCESS_LOG": "false", "KLAVIYO_COMPAT_TRAFFIC_DB": "off", **extra}


class Process:
    """One ``klaviyo-compat`` command as a child process, healthy once ``health_path`` answers."""

    def __init__(self, args: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.port = port
        self.env = env
        self.log = log
        self._out = log.open("wb")
        cmd = [sys.executable, "-m", "proxy.cli", *args]
        self.proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=self._out, stderr=subprocess.STDOUT)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def wait_ready(self, path: str, timeout: float = 30.0) -> Process:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + path, timeout=1).status_code < 500:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"not ready within {timeout} s: {self.log.read_text()[-2000:]}")

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._out.close()


def sandbox(tmp: Path) -> Process:
    port = free_port()
    return Process(
        ["sandbox", "--port", str(port)], child_env(), port, tmp / f"sandbox-{port}.log"
    ).wait_ready("/api/lists")


def replica(tmp: Path, upstream: str, *extra: str, **env: str) -> Process:
    port = free_port()
    settings = {"KLAVIYO_COMPAT_ADMIN_TOKEN": ADMIN, **env}
    args = ["serve", "--upstream", upstream, "--port", str(port), *extra]
    proc = Process(args, child_env(**settings), port, tmp / f"serve-{port}.log")
    return proc.wait_ready("/_compat/health")


def shared(redis_url: str, **more: str) -> dict[str, str]:
    """The settings replicas share: one Redis, one hash secret."""
    return {"KLAVIYO_COMPAT_STATE_URL": redis_url, "KLAVIYO_COMPAT_HASH_SECRET": HASH_SECRET, **more}


class Balancer:
    """Round-robin per connection over ``ports``; ``routes`` lists the backend of each connection."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.routes: list[int] = []
        self._turns = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(
            target=self._loop.run_until_complete, args=(self._main(),), daemon=True
        )

    def __enter__(self) -> Balancer:
        self._thread.start()
        assert self._ready.wait(10), "balancer did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._relay, LOOPBACK, 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """To the next backend in turn; one that refuses the connection (a killed replica) is
        skipped for the next one, as nginx's ``proxy_next_upstream error`` does."""
        turn = self._turns
        self._turns += 1
        for k in range(len(self.ports)):
            port = self.ports[(turn + k) % len(self.ports)]
            try:
                up_reader, up_writer = await asyncio.open_connection(LOOPBACK, port)
            except OSError:
                continue
            self.routes.append(port)
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
            return
        writer.close()

    def backends_of_last(self, n: int) -> list[int]:
        return self.routes[-n:]


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


def fresh() -> httpx.Client:
    """A client opening a new connection per request (so the balancer rotates every request)."""
    return httpx.Client(timeout=30, limits=httpx.Limits(max_keepalive_connections=0))


def new_api(base: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    headers = {
        "Authorization": f"Klaviyo-API-Key {KEY}",
        "revision": DEFAULT_REVISION,
        "content-type": JSONAPI,
    }
    answer = httpx.request(method, base + path, json=body, headers=headers, timeout=30)
    assert answer.status_code < 300, (method, path, answer.status_code, answer.text[:300])
    return answer.json() if answer.content else None


def upstream_calls(replica_url: str, operation: str) -> int:
    """How many ``operation`` calls this replica sent upstream (its /metrics)."""
    text = httpx.get(replica_url + "/metrics", headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10).text
    pattern = (
        rf'^klaviyo_compat_upstream_requests_total{{operation="{operation}",status="(\d+)"}} ([0-9.e+]+)$'
    )
    return sum(int(float(m.group(2))) for m in re.finditer(pattern, text, re.M))
