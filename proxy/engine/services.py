"""Everything that lives between lifespan start-up and shutdown, opened and closed in order.

Upstream clients, the traffic store and its batch writer, retention pruning, the mode
reloader (file poll and SIGHUP) and the optional admin listener. Shutdown runs in reverse:
the admin listener stops, background tasks end, queued traffic is written, the store and
the upstream pool close.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import structlog
from starlette.types import ASGIApp

from mappings.registry import REGISTRY
from mappings.upstream_ops import SPEC_OPERATIONS
from proxy.admin.server import AdminServer
from proxy.engine.handler import LegacyHandler
from proxy.engine.router import LegacyRouter
from proxy.engine.runner import Runner
from proxy.engine.upstream import Upstream, build_client, build_transport
from proxy.observe.hash_secret import resolve as resolve_secret
from proxy.observe.metrics import Metrics
from proxy.observe.redact import configure_secret
from proxy.policy.reload import ModeHolder, ModeReloader
from proxy.settings import Settings
from proxy.state.collection_cache import CollectionCache, MemoryCollectionCache
from proxy.state.tokens import MemoryTokenStore, TokenStore
from proxy.traffic.retention import prune_forever
from proxy.traffic.sqlite_store import SqliteStore
from proxy.traffic.store import TrafficStore
from proxy.traffic.writer import BatchWriter

log = structlog.get_logger("klaviyo_compat.app")


@dataclass
class Services:
    legacy: LegacyHandler
    passthrough_client: httpx.AsyncClient
    store: TrafficStore | None
    writer: BatchWriter | None
    reloader: ModeReloader | None
    admin: AdminServer | None


def open_store(settings: Settings) -> TrafficStore | None:
    """The SQLite store, or None (recording off, or the file cannot be opened: logged, not fatal)."""
    if not settings.records_traffic:
        return None
    try:
        return SqliteStore(settings.traffic_db)
    except Exception as exc:
        log.error(
            "traffic.store_unavailable",
            path=settings.traffic_db,
            reason=f"{type(exc).__name__}: {exc}",
            effect="legacy calls are served but not recorded",
        )
        return None


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def running(
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None,
    *,
    router: LegacyRouter,
    modes: ModeHolder,
    metrics: Metrics,
    config_path: Path | None,
    draw: Callable[[], float],
    clock: Callable[[], float],
    admin_app: ASGIApp | None,
    token_store: TokenStore | None = None,
    collection_cache: CollectionCache | None = None,
    traffic_store: TrafficStore | None = None,
) -> AsyncIterator[Services]:
    async with contextlib.AsyncExitStack() as stack:
        configure_secret(resolve_secret(settings))  # before the first fingerprint of this app
        tx = transport if transport is not None else build_transport(settings)
        client = build_client(settings, tx)
        stack.push_async_callback(client.aclose)  # closes the shared transport too
        # The pass-through client shares the pool but adds no default headers.
        plain = httpx.AsyncClient(
            base_url=client.base_url, transport=tx, timeout=client.timeout, follow_redirects=False
        )
        plain.headers.clear()  # no httpx defaults (User-Agent, Accept, Accept-Encoding) added
        tasks: list[asyncio.Task[None]] = []
        store, writer = traffic_store or open_store(settings), None
        if store is not None:
            if traffic_store is None:  # an injected store belongs to whoever made it
                stack.callback(store.close)
            writer = BatchWriter(
                store,
                batch_size=settings.traffic_batch_size,
                flush_seconds=settings.traffic_flush_ms / 1000,
                queue_size=settings.traffic_queue_size,
                on_drop=metrics.dropped,
            )
            writer.start()
            stack.push_async_callback(writer.close)
            pruning = prune_forever(store, settings.traffic_retention_days, clock=clock)
            tasks.append(asyncio.create_task(pruning))
        reloader = None
        if config_path is not None:
            reloader = ModeReloader(modes, config_path, REGISTRY, observe=metrics.reload)
            if settings.config_poll_seconds > 0:
                tasks.append(asyncio.create_task(reloader.watch(settings.config_poll_seconds)))
            uninstall = reloader.install_sighup()
            if uninstall is not None:
                stack.callback(uninstall)
        stack.push_async_callback(_cancel, tasks)
        admin = None
        if admin_app is not None:
            admin = AdminServer(admin_app, settings.admin_host, settings.admin_port)
            await admin.start()
            stack.push_async_callback(admin.stop)
        cache = collection_cache or MemoryCollectionCache(
            settings.collection_cache_ttl, settings.collection_cache_entries
        )
        tokens = token_store or MemoryTokenStore(settings.token_ttl, settings.token_entries)
        runner = Runner(Upstream(client, SPEC_OPERATIONS, observer=metrics), cache, tokens)
        handler = LegacyHandler(
            settings,
            router,
            runner,
            modes=modes,
            operations=SPEC_OPERATIONS,
            metrics=metrics,
            record=writer.submit if writer is not None else None,
            draw=draw,
            clock=clock,
        )
        yield Services(handler, plain, store, writer, reloader, admin)
