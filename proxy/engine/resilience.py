"""Upstream wrappers, each testable alone: retries (``Retrying``) and a circuit breaker (``Breaker``).

Both wrap an ``Upstream`` and are one themselves (same ``send``/``call``), so the engine stacks
them: ``Retrying(Breaker(Upstream(...)))``, each attempt passing the breaker.

* ``Retrying`` retries only what may be sent twice: reads (GET) and idempotent writes (upserts,
  membership and consent changes, PATCH, or a write carrying an idempotency key such as an
  event's ``unique_id``: ``mappings.translate.idempotency``), on 408, 429, 5xx or no answer, with exponential
  backoff and full jitter, honouring ``Retry-After``, and never past the legacy call's deadline
  (``DEADLINE``, set by the runner): when the next attempt would not fit, the last answer stands.
* ``Breaker`` counts consecutive failures (5xx or no answer) per upstream operation; at
  ``failures`` it opens: calls fail fast with ``CircuitOpen`` (a legacy 503 with Retry-After)
  for ``open_seconds``, then one probe is let through (half-open): success closes it, failure
  opens it again.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import aiohttp

from mappings.core import Reply
from mappings.translate.idempotency import idempotent_write
from proxy.engine.upstream import Upstream, UpstreamUnavailable

# loop.time() by which the current legacy call must have answered (None: no deadline known).
# time.monotonic() by which the legacy call must end (set by the runner).
DEADLINE: ContextVar[float | None] = ContextVar("klaviyo_compat_deadline", default=None)
# Set while a spoolable write makes its one direct try: a transient failure spools it at once
# (acknowledged in milliseconds) instead of retrying inline.
SPOOLING: ContextVar[bool] = ContextVar("klaviyo_compat_spooling", default=False)
TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})


def transient(status: int) -> bool:
    return status in TRANSIENT or status >= 500


def retry_after(reply: Reply | None) -> float | None:
    """The reply's ``Retry-After`` in seconds (the delta form), if it has a usable one."""
    if reply is None:
        return None
    raw = reply.headers.get("retry-after", "")
    try:
        value = float(str(raw))
    except ValueError:
        return None
    return value if 0 <= value < 86400 else None


def backoff(attempt: int, base: float, cap: float, draw: Callable[[], float] = random.random) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    return draw() * min(cap, base * 2.0**attempt)


class CircuitOpen(UpstreamUnavailable):
    """The breaker of an upstream operation is open: failing fast for ``retry_after`` seconds."""

    def __init__(self, operation: str, retry_after: float) -> None:
        super().__init__(f"{operation}: circuit open")
        self.operation = operation
        self.retry_after = retry_after


class _Wrapper(Upstream):
    def __init__(self, inner: Upstream) -> None:
        super().__init__(inner.client, inner.operations, inner.observer)
        self.inner = inner


class Retrying(_Wrapper):
    def __init__(
        self,
        inner: Upstream,
        *,
        attempts: int,
        base: float,
        cap: float,
        draw: Callable[[], float] = random.random,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        super().__init__(inner)
        self.attempts, self.base, self.cap = attempts, base, cap
        self.draw, self.sleep = draw, sleep

    def retryable(self, op: str, body: Any) -> bool:
        method = self.method_of(op)
        return method == "GET" or idempotent_write(op, method, body)

    async def send(
        self, op: str, *, path_params: Mapping[str, str], query: Mapping[str, str], body: Any, key: str | None
    ) -> Reply:
        retryable = self.retryable(op, body) and not SPOOLING.get()
        attempt = 0
        while True:
            failure: UpstreamUnavailable | None = None
            reply: Reply | None = None
            try:
                reply = await self.inner.send(op, path_params=path_params, query=query, body=body, key=key)
            except CircuitOpen:
                raise  # failing fast is the point
            except UpstreamUnavailable as exc:
                failure = exc
            if reply is not None and not transient(reply.status):
                return reply
            delay = self._delay(attempt, reply)
            if not retryable or attempt + 1 >= self.attempts or delay is None:
                if failure is not None:
                    raise failure
                assert reply is not None
                return reply
            await self.sleep(delay)
            attempt += 1

    def _delay(self, attempt: int, reply: Reply | None) -> float | None:
        """Seconds before the next attempt, or None when it would not fit in the deadline."""
        asked = retry_after(reply)
        delay = asked if asked is not None else backoff(attempt, self.base, self.cap, self.draw)
        deadline = DEADLINE.get()
        if deadline is not None and time.monotonic() + delay >= deadline:
            return None
        return delay


@dataclass
class _State:
    failures: int = 0
    open_until: float = 0.0
    probing: bool = False


class Breaker(_Wrapper):
    def __init__(
        self,
        inner: Upstream,
        *,
        failures: int,
        open_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        on_open: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(inner)
        self.threshold, self.open_seconds, self.clock = failures, open_seconds, clock
        self.on_open = on_open
        self._states: dict[str, _State] = {}

    def state(self, op: str) -> str:
        st = self._states.get(op)
        if st is None or st.failures < self.threshold:
            return "closed"
        return "open" if self.clock() < st.open_until else "half-open"

    def _admit(self, op: str) -> _State:
        st = self._states.setdefault(op, _State())
        if st.failures < self.threshold:
            return st
        now = self.clock()
        if now < st.open_until:
            raise CircuitOpen(op, st.open_until - now)
        if st.probing:  # half-open: one probe at a time, the others fail fast
            raise CircuitOpen(op, min(1.0, self.open_seconds))
        st.probing = True
        return st

    def _failed(self, op: str, st: _State) -> None:
        st.failures += 1
        if st.failures >= self.threshold:
            st.open_until = self.clock() + self.open_seconds
            if self.on_open is not None:
                self.on_open(op)

    async def send(
        self, op: str, *, path_params: Mapping[str, str], query: Mapping[str, str], body: Any, key: str | None
    ) -> Reply:
        st = self._admit(op)
        try:
            reply = await self.inner.send(op, path_params=path_params, query=query, body=body, key=key)
        except UpstreamUnavailable:
            self._failed(op, st)
            raise
        except aiohttp.ClientError as exc:  # a safety net: the aiohttp pool names its errors itself
            self._failed(op, st)
            raise UpstreamUnavailable(f"{op}: {type(exc).__name__}") from exc
        finally:
            st.probing = False
        if reply.status >= 500:
            self._failed(op, st)
        else:
            st.failures = 0
        return reply
