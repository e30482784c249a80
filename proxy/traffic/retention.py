"""Retention: records older than ``traffic_retention_days`` are pruned at start-up and hourly."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import structlog

from proxy.traffic.store import TrafficStore

log = structlog.get_logger("klaviyo_compat.traffic")

PRUNE_EVERY_SECONDS = 3600.0


async def prune_once(store: TrafficStore, days: float, clock: Callable[[], float] = time.time) -> int:
    cutoff = clock() - days * 86400
    try:
        removed = await asyncio.to_thread(store.prune, cutoff)
    except Exception as exc:
        log.warning("traffic.prune_failed", reason=f"{type(exc).__name__}: {exc}")
        return 0
    if removed:
        log.info("traffic.pruned", removed=removed, retention_days=days)
    return removed


async def prune_forever(
    store: TrafficStore,
    days: float,
    every: float = PRUNE_EVERY_SECONDS,
    clock: Callable[[], float] = time.time,
) -> None:
    while True:
        await prune_once(store, days, clock)
        await asyncio.sleep(every)
