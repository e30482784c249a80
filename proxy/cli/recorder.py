"""``klaviyo-compat recorder``: the replicas' shared traffic stream into one SQLite record, served.

With ``state_url`` set, ``serve`` replicas append their traffic batches to a capped Redis stream
instead of their own file (``proxy.traffic.stream_sink``). One recorder process consumes that
stream into ``traffic_db`` exactly once (``proxy.traffic.stream_consumer``) and serves, on
``host:port``, what the admin listener serves: the dashboard (``/_compat/``), the plan, the
JSON report (``/_compat/report``), ``/metrics``, ``/_compat/health`` and ``/_compat/ready``
(ready while its store is open and writable and it is not shutting down; Redis being down does
not make it unready: what is stored is still served). ``klaviyo-compat report`` reads the same
file (run it where the recorder runs, or ``--db`` a copy). Run exactly one recorder per stream.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proxy.settings import LOG_LEVELS, Settings, load

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.types import ASGIApp

    from proxy.engine.readiness import Verdict
    from proxy.traffic.sqlite_store import SqliteStore
    from proxy.traffic.stream_consumer import StreamConsumer

LOOPBACK = ("127.0.0.1", "::1", "localhost")
PRUNE_EVERY_SECONDS = 3600.0
STOP_SECONDS = 10.0  # how long the consumer gets to store and acknowledge the read in progress


def register(sub: Any) -> None:
    recorder = sub.add_parser(
        "recorder",
        help="with state_url: keep the replicas' traffic record in traffic_db and serve its dashboard",
    )
    recorder.add_argument("--config", help="TOML settings file (else KLAVIYO_COMPAT_CONFIG)")
    recorder.add_argument("--host", help="listen address (default 127.0.0.1)")
    recorder.add_argument("--port", type=int, help="listen port (default 8080)")
    recorder.add_argument("--log-level", dest="log_level", choices=LOG_LEVELS, help="default info")
    recorder.add_argument("--log-format", dest="log_format", choices=["json", "console"])
    recorder.set_defaults(func=cmd_recorder)


def refusal(settings: Settings) -> str | None:
    """Why the recorder must not start with these settings (one line), or None."""
    from proxy.cli.startup import busy_port, state_refusal

    problem = settings_refusal(settings)
    if problem:
        return problem
    busy = busy_port(settings.host, settings.port)
    if busy:
        return f"klaviyo-compat: port {settings.port} on {settings.host} is not available ({busy})."
    return state_refusal(settings)


def settings_refusal(settings: Settings) -> str | None:
    """What in the settings alone forbids a recorder (also checked on the deployment manifests)."""
    if not settings.state_url:
        return (
            "klaviyo-compat: recorder needs state_url: it keeps the traffic record that serve replicas "
            "send to that Redis (without state_url each replica keeps its own traffic_db)."
        )
    if not settings.records_traffic:
        return 'klaviyo-compat: recorder needs traffic_db (a file, not "off"): the record is kept there.'
    if not settings.admin_token and settings.host not in LOOPBACK:
        return (
            f"klaviyo-compat: recorder on {settings.host} needs admin_token: the report and dashboard "
            "it serves would be open to anyone who reaches the port."
        )
    return None


def cmd_recorder(args: argparse.Namespace) -> int:
    from proxy.cli.startup import env_config, run
    from proxy.observe.logs import configure

    flags = {"host": args.host, "port": args.port, "log_level": args.log_level, "log_format": args.log_format}
    config = Path(args.config) if args.config else env_config()
    settings = load(config=config, flags=flags)
    problem = refusal(settings)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    configure(settings.log_level, settings.log_format)
    run(Recorder(settings, config).app(), settings)
    return 0


class Recorder:
    """The recorder's parts, opened and closed by its app's lifespan."""

    def __init__(self, settings: Settings, config: Path | None = None) -> None:
        from mappings.registry import REGISTRY
        from mappings.upstream_ops import SPEC_BODY_TYPES, SPEC_OPERATIONS, SPEC_TAGS
        from proxy.admin.routes import AdminContext
        from proxy.observe.metrics import Metrics
        from proxy.observe.recorder_metrics import RecorderMetrics
        from proxy.policy.modes import from_settings
        from proxy.policy.reload import ModeHolder
        from proxy.traffic.plan import SpecFacts

        self.settings = settings
        self.config = config
        self.registry = REGISTRY
        self.metrics = Metrics()
        self.recorder_metrics = RecorderMetrics(self.metrics.registry)
        self.modes = ModeHolder(from_settings(settings, REGISTRY))
        self.store: SqliteStore | None = None
        self.consumer: StreamConsumer | None = None
        self.draining = False
        self.context = AdminContext(
            self.modes,
            self.metrics,
            REGISTRY,
            SPEC_OPERATIONS,
            store=lambda: self.store,
            max_callers=settings.report_max_callers,
            facts=SpecFacts(SPEC_TAGS, SPEC_BODY_TYPES, settings.revision),
            no_store="The recorder is starting (or stopping): its traffic record is not open.",
        )

    def app(self) -> ASGIApp:
        from proxy.engine.web import admin_app

        return admin_app(self.settings, self.context, len(self.registry), self.ready, self.lifespan)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        import redis.asyncio as aioredis

        from proxy.traffic import stream_ledger
        from proxy.traffic.sqlite_store import SqliteStore
        from proxy.traffic.stream_consumer import StreamConsumer

        settings = self.settings
        store = SqliteStore(settings.traffic_db, durable=True)
        stream_ledger.open_ledger(store)
        consumer = StreamConsumer(
            # A blocking read waits up to block_ms: the socket timeout leaves room for it.
            aioredis.from_url(  # type: ignore[no-untyped-call]
                settings.state_url,
                socket_timeout=settings.state_timeout + 2,
                socket_connect_timeout=settings.state_timeout,
            ),
            store,
            self.recorder_metrics,
        )
        self.store, self.consumer = store, consumer
        tasks = [asyncio.create_task(consumer.run()), asyncio.create_task(self._prune_forever(store))]
        tasks += self._reload_tasks()
        try:
            yield
        finally:
            self.draining = True
            await self._close(consumer, tasks)
            self.store = self.consumer = None
            store.close()

    async def _close(self, consumer: StreamConsumer, tasks: list[asyncio.Task[None]]) -> None:
        """Let the consumer finish its read (stored and acknowledged), then stop everything."""
        consumer.stop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(tasks[0]), STOP_SECONDS)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await consumer.client.aclose()

    def _reload_tasks(self) -> list[asyncio.Task[None]]:
        """The report shows each operation's mode: follow the config file as the replicas do."""
        if self.config is None or self.settings.config_poll_seconds <= 0:
            return []
        from proxy.policy.reload import ModeReloader

        reloader = ModeReloader(self.modes, self.config, self.registry, observe=self.metrics.reload)
        return [asyncio.create_task(reloader.watch(self.settings.config_poll_seconds))]

    async def _prune_forever(self, store: SqliteStore) -> None:
        """Retention as on a replica, plus the ledger's memory of batch ids."""
        import sqlite3

        from proxy.traffic.retention import prune_once
        from proxy.traffic.stream_ledger import BATCH_MEMORY_SECONDS, forget_batches

        while True:
            await prune_once(store, self.settings.traffic_retention_days)
            with contextlib.suppress(sqlite3.Error):  # tried again in an hour
                await asyncio.to_thread(forget_batches, store, time.time() - BATCH_MEMORY_SECONDS)
            await asyncio.sleep(PRUNE_EVERY_SECONDS)

    async def ready(self) -> Verdict:
        from proxy.engine.readiness import Verdict, store_check

        if self.draining:
            return Verdict(False, {"draining": "shutting down"})
        settings = self.settings
        store = store_check(True, settings.traffic_db, self.store is not None) or "ok"
        up = self.consumer is not None and self.consumer.up
        stream = "ok" if up else "Redis of state_url does not answer (retrying; the stored report is served)"
        return Verdict(store == "ok", {"traffic_store": store, "stream": stream})
