"""Builds the reliability parts the engine runs: upstream wrappers, rate budget, spool, deliverer.

``open_reliability`` stacks ``Retrying(Breaker(Upstream))`` for legacy calls (the deliverer
uses the breaker alone: it has its own backoff), builds the rate budget from the spec's tiers,
opens the write spool and starts its deliverer; the closes are registered on the engine's exit
stack (the deliverer stops first, releasing its delivery leases, then the spool closes: an entry
being delivered at that moment stays pending and is sent again after the restart, or at once by
another replica). The spool is SQLite (``spool_db``) per process, or Redis shared by every
replica when ``state_url`` is set; then its payloads are sealed under a key derived from
``hash_secret`` (the same on every replica, so any of them can deliver any entry).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from proxy.engine.deliverer import Deliverer
from proxy.engine.exchange import Exchange
from proxy.engine.resilience import Breaker, Retrying
from proxy.engine.spooling import Spooler
from proxy.engine.upstream import Upstream, UpstreamObserver
from proxy.observe.reliability import ReliabilityMetrics
from proxy.settings import BUDGETS_OFF, BUDGETS_SPEC, Settings, budget_mode
from proxy.state.budgets import Engagement, MemoryRateBudget, RateBudget, windows_from_spec
from proxy.state.seal import Sealer
from proxy.state.spool import Spool
from proxy.state.sqlite_spool import SqliteSpool

log = structlog.get_logger("klaviyo_compat.app")


@dataclass(frozen=True)
class Reliability:
    upstream: Upstream  # what legacy calls send through
    budget: RateBudget | None
    spooler: Spooler | None


@dataclass(frozen=True)
class Parts:
    """What the engine may inject (``Overrides``) instead of the defaults."""

    budget: RateBudget | None = None
    spool: Spool | None = None
    clock: Callable[[], float] = time.time


def build_budget(
    settings: Settings, spec: Mapping[str, Mapping[str, Any]], metrics: ReliabilityMetrics
) -> RateBudget | None:
    """The budget ``rate_budgets`` asks for: none (``off``), every pair on the spec's tiers from the
    first call (``spec``), or each pair once the upstream declared its limits (``upstream``)."""
    mode = budget_mode(settings.rate_budgets)  # also normalises a Settings built with a bool
    if mode == BUDGETS_OFF:
        return None
    windows = windows_from_spec(spec, settings.rate_budget_scale)
    engagement = Engagement(windows, always=mode == BUDGETS_SPEC, scale=settings.rate_budget_scale)
    if settings.state_url:  # shared by every replica: one account's limits, split by nobody
        from proxy.state.redis_budget import RedisRateBudget

        return RedisRateBudget(
            settings.state_url,
            windows,
            timeout=settings.state_timeout,
            on_spent=metrics.spent,
            engagement=engagement,
        )
    return MemoryRateBudget(windows, on_spent=metrics.spent, engagement=engagement)


async def open_reliability(
    settings: Settings,
    client: Exchange,
    spec: Mapping[str, Mapping[str, Any]],
    observer: UpstreamObserver,
    metrics: ReliabilityMetrics,
    parts: Parts,
    stack: contextlib.AsyncExitStack,
    beta: Mapping[str, Mapping[str, Any]] | None = None,
) -> Reliability:
    """``beta`` operations (``BETA_OPERATIONS``) can be sent, with ``settings.beta_revision``, but
    have no rate budget: their own limits are small (e.g. 1/s) and a legacy call that ends before
    any upstream call (a 501 or 400) must not spend them; Klaviyo's 429 passes on as a legacy 429."""
    plain = Upstream(
        client, {**spec, **(beta or {})}, observer=observer, beta_revision=settings.beta_revision
    )
    breaker = Breaker(
        plain,
        failures=settings.breaker_failures,
        open_seconds=settings.breaker_open_seconds,
        on_open=metrics.opened,
    )
    retrying = Retrying(
        breaker, attempts=settings.retry_attempts, base=settings.retry_backoff, cap=settings.retry_backoff_max
    )
    budget = parts.budget or build_budget(settings, spec, metrics)
    close = getattr(budget, "aclose", None)
    if parts.budget is None and close is not None:  # a shared budget's connections
        stack.push_async_callback(close)
    spooler = await _open_spool(settings, budget, breaker, metrics, parts, stack)
    return Reliability(retrying, budget, spooler)


async def _open_spool(
    settings: Settings,
    budget: RateBudget | None,
    upstream: Upstream,
    metrics: ReliabilityMetrics,
    parts: Parts,
    stack: contextlib.AsyncExitStack,
) -> Spooler | None:
    spool = parts.spool
    if spool is None and settings.spools:
        spool = build_spool(settings)
        stack.push_async_callback(spool.aclose)
    if spool is None:
        return None
    spooler = Spooler(
        spool,
        spool_sealer(settings),
        budget,
        budget_wait=settings.budget_wait,
        send_timeout=min(settings.spool_after, settings.request_deadline / 2),
        clock=parts.clock,
        metrics=metrics,
    )
    pending = await spooler.load()
    metrics.track_sizes(lambda: _sizes(spool))
    deliverer = Deliverer(
        spooler,
        upstream,
        settings.token_keys,
        poll=settings.spool_poll_seconds,
        base=settings.spool_backoff,
        cap=settings.spool_backoff_max,
        clock=parts.clock,
    )
    task = asyncio.create_task(deliverer.run(), name="klaviyo-compat spool deliverer")
    stack.push_async_callback(_stop, task)
    log.info("spool.open", shared=bool(settings.state_url), pending=pending)
    return spooler


def build_spool(settings: Settings) -> Spool:
    """The spool the settings name: Redis when ``state_url`` is set, else the SQLite file."""
    if settings.state_url:
        from proxy.state.redis_spool import RedisSpool

        return RedisSpool.from_settings(settings)
    return SqliteSpool(settings.spool_db, max_entries=settings.spool_max_entries)


def spool_sealer(settings: Settings) -> Sealer:
    """Payloads are sealed per installation: a key file beside ``spool_db``, or with ``state_url``
    a key derived from ``hash_secret`` (every replica opens every entry); a random key when the
    spool is an injected one (tests)."""
    if settings.state_url and settings.hash_secret:
        return Sealer.from_secret(settings.hash_secret)
    if settings.spools:
        return Sealer.for_spool(settings.spool_db)
    return Sealer(secrets.token_bytes(32))


def _sizes(spool: Spool) -> tuple[int, int]:
    counts = spool.sizes()
    return counts.pending, counts.dead


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
