"""Readiness (``GET /_compat/ready``): can this proxy serve right now?

``/_compat/health`` stays liveness (the process answers). Ready means: not draining (the
shutdown path sets :attr:`Readiness.draining`), the upstream answered recently (any HTTP status
counts: it is reachable; with no recent traffic a light ``GET /`` is sent, at most every few
seconds), and the traffic store, when recording is on, is open and its file writable.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from proxy.engine.exchange import Exchange, Unreachable
from proxy.engine.upstream import UpstreamObserver

RECENT_SECONDS = 30.0  # an upstream answer this recent proves reachability
PROBE_EVERY = 5.0  # at most one active probe per this many seconds
PROBE_TIMEOUT = 2.0


@dataclass
class Verdict:
    ready: bool
    checks: dict[str, str] = field(default_factory=dict)


class Readiness:
    """An upstream observer (it forwards to ``inner``) that remembers when upstream last answered."""

    def __init__(self, inner: UpstreamObserver, clock: Callable[[], float] = time.monotonic) -> None:
        self.inner = inner
        self.clock = clock
        self.draining = False
        self.last_answer: float | None = None  # any HTTP status
        self.last_unreachable: float | None = None
        self._probed_at: float | None = None

    def upstream(self, operation: str, status: str, seconds: float, headers: Mapping[str, str]) -> None:
        self.inner.upstream(operation, status, seconds, headers)
        if status == "unavailable":
            self.last_unreachable = self.clock()
        else:
            self.last_answer = self.clock()

    def _recently_answered(self) -> bool:
        now, answered, failed = self.clock(), self.last_answer, self.last_unreachable
        if answered is None or now - answered > RECENT_SECONDS:
            return False
        return failed is None or failed <= answered

    async def _probe(self, client: Exchange) -> None:
        now = self.clock()
        if self._probed_at is not None and now - self._probed_at < PROBE_EVERY:
            return
        self._probed_at = now
        try:
            async with asyncio.timeout(PROBE_TIMEOUT):
                await client.send("GET", "/", {}, None)
        except (Unreachable, TimeoutError):
            self.last_unreachable = self.clock()
        else:
            self.last_answer = self.clock()

    async def check(self, client: Exchange | None, store_ok: str | None) -> Verdict:
        """``client``: the pass-through client (None before start-up); ``store_ok``: the store check."""
        if self.draining:
            return Verdict(False, {"draining": "shutting down: new work should go elsewhere"})
        if client is None:
            return Verdict(False, {"started": "not started (or already stopped)"})
        if not self._recently_answered():
            await self._probe(client)
        upstream = "ok" if self._recently_answered() else "unreachable (no answer in the last 30 s)"
        checks = {"upstream": upstream}
        if store_ok is not None:
            checks["traffic_store"] = store_ok
        return Verdict(all(v == "ok" for v in checks.values()), checks)


def store_check(records: bool, path: str, is_open: bool) -> str | None:
    """None when recording is off; else "ok" or why the record cannot be written."""
    if not records:
        return None
    if not is_open:
        return "unavailable (could not be opened at start-up; see the traffic.store_unavailable log)"
    if os.path.exists(path) and not os.access(path, os.W_OK):
        return f"not writable: {path}"
    if not os.access(Path(path).parent, os.W_OK):
        return f"directory not writable: {Path(path).parent}"
    return "ok"
