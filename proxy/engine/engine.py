"""The composition root: every part of the proxy, built from settings, a registry and overrides.

``Engine(settings, registry, overrides)`` validates the registry and the mode table at
construction (a broken mapping fails at start-up, not at the first request) and builds what
lives as long as the app: router, mode holder, metrics and the admin context. Entered as an
async context manager (the app's lifespan), it opens in order the upstream clients, the traffic
store and its batch writer, retention pruning, the mode reloader (file poll and SIGHUP) and the
optional admin listener; leaving it closes them in reverse: the admin listener stops,
background tasks end, queued traffic is written, the store and the upstream pool close.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx
import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope

from mappings import protocol
from mappings.core import Operation
from mappings.registry import validate
from mappings.upstream_ops import BETA_OPERATIONS, SPEC_BODY_TYPES, SPEC_OPERATIONS, SPEC_TAGS
from proxy.admin.routes import AdminContext
from proxy.admin.server import AdminServer
from proxy.engine.call import CallOutcome, call_slot
from proxy.engine.exchange import Exchange
from proxy.engine.handler import LegacyHandler
from proxy.engine.legacy_http import LegacyHttp
from proxy.engine.lookups import LookupPolicy, Lookups, refresh_forever
from proxy.engine.passthrough import forward, public_keys_in
from proxy.engine.paths import routing_path, url_path
from proxy.engine.pools import build_pool
from proxy.engine.readiness import Readiness, Verdict, store_check
from proxy.engine.reliability import Parts, Reliability, open_reliability
from proxy.engine.router import LegacyRouter
from proxy.engine.runner import Runner, account_of
from proxy.engine.web import admin_app
from proxy.observe.hash_secret import resolve as resolve_secret
from proxy.observe.metrics import Metrics
from proxy.observe.redact import configure_secret, fingerprint
from proxy.observe.reliability import ReliabilityMetrics
from proxy.policy.modes import from_settings
from proxy.policy.reload import ModeHolder, ModeReloader
from proxy.settings import Settings
from proxy.state import backend as state
from proxy.state.backend import StateBackend
from proxy.state.budgets import RateBudget
from proxy.state.collection_cache import CollectionCache
from proxy.state.concurrency import AccountLimiter
from proxy.state.spool import Spool
from proxy.state.tokens import TokenStore
from proxy.traffic.plan import SpecFacts
from proxy.traffic.retention import prune_forever
from proxy.traffic.sqlite_store import SqliteStore
from proxy.traffic.store import TrafficStore
from proxy.traffic.writer import BatchWriter, Sink

log = structlog.get_logger("klaviyo_compat.app")
STATE_WATCH_SECONDS = 1.0  # how often a shared state backend is pinged (a down one comes back)
STREAMED = (
    "This replica sends its traffic record to the shared stream of state_url: the report and the "
    "dashboard are served by `klaviyo-compat recorder`."
)


@dataclass(frozen=True)
class Overrides:
    """What replaces a production default; every field left out keeps the default.

    ``transport`` replaces the upstream network (tests, the embedded sandbox). ``state_backend``
    replaces the one ``state_url`` names (in-process, or Redis shared by replicas) and stays open:
    it belongs to whoever made it; ``token_store`` and ``collection_cache`` replace one part of
    it each; ``traffic_store`` replaces the SQLite traffic record
    (``traffic_db``) the same way and stays open: it belongs to whoever made it. ``clock`` is the
    arrival time of every call; ``draw`` (uniform [0, 1)) decides brownout fractions (tests pass
    a seeded generator). ``config_path`` (the TOML file the settings came from) enables hot
    reload of the modes. ``rate_budget`` and ``spool`` replace the rate budget and the write spool
    (SQLite ``spool_db``, or Redis with ``state_url``) and stay open, as the state backend does.
    ``tap`` wraps each upstream pool as built (the end-to-end tests record every request that
    leaves the proxy).
    """

    transport: httpx.AsyncBaseTransport | None = None
    state_backend: StateBackend | None = None
    token_store: TokenStore | None = None
    collection_cache: CollectionCache | None = None
    traffic_store: TrafficStore | None = None
    clock: Callable[[], float] = field(default=time.time)
    draw: Callable[[], float] = field(default=random.random)
    config_path: Path | None = None
    rate_budget: RateBudget | None = None
    spool: Spool | None = None
    tap: Callable[[Exchange], Exchange] | None = None


DEFAULTS = Overrides()  # production: nothing replaced


@dataclass(frozen=True)
class Running:
    """What exists only between start-up and shutdown."""

    legacy: LegacyHandler
    passthrough_client: Exchange
    store: TrafficStore | None
    writer: BatchWriter | None
    reloader: ModeReloader | None
    admin: AdminServer | None


class Engine:
    """Builds the proxy's parts once; ``async with engine:`` runs them (the app's lifespan)."""

    def __init__(
        self, settings: Settings, registry: Sequence[Operation], overrides: Overrides = DEFAULTS
    ) -> None:
        # Fail fast on a broken mapping or mode table: at construction, not at the first request.
        validate(registry, SPEC_OPERATIONS)
        self.settings = settings
        self.registry = tuple(registry)
        self.overrides = overrides
        self.router = LegacyRouter(self.registry)
        self.modes = ModeHolder(from_settings(settings, self.registry))
        self.metrics = Metrics()
        self.passthrough_limiter = AccountLimiter(settings.account_concurrency)
        self.reliability_metrics = ReliabilityMetrics(self.metrics.registry)
        self.readiness = Readiness(self.metrics)  # tells the metrics, remembers upstream answers
        self.admin_context = AdminContext(
            self.modes,
            self.metrics,
            self.registry,
            SPEC_OPERATIONS,
            store=lambda: self.store,
            clock=overrides.clock,
            max_callers=settings.report_max_callers,
            facts=SpecFacts(SPEC_TAGS, SPEC_BODY_TYPES, settings.revision),
        )
        if self._streams_traffic:
            self.admin_context.no_store = STREAMED
        self.running: Running | None = None
        self._stack: contextlib.AsyncExitStack | None = None

    @property
    def _streams_traffic(self) -> bool:
        """The record goes to the shared stream of ``state_url`` (kept by ``klaviyo-compat recorder``)."""
        settings = self.settings
        return bool(settings.state_url) and settings.records_traffic and self.overrides.traffic_store is None

    @property
    def draining(self) -> bool:
        """True once shutdown began (or the shutdown path set it): ``/_compat/ready`` answers 503."""
        return self.readiness.draining

    @draining.setter
    def draining(self, value: bool) -> None:
        self.readiness.draining = value

    async def ready(self) -> Verdict:
        """What ``/_compat/ready`` answers (see ``proxy.engine.readiness``)."""
        running = self.running
        if self.overrides.traffic_store is not None:
            store: str | None = "ok"  # injected: not the file traffic_db names; whoever made it owns it
        elif self._streams_traffic:
            store = None  # to the shared stream: readiness never depends on Redis
        else:
            is_open = running is not None and running.store is not None
            store = store_check(self.settings.records_traffic, self.settings.traffic_db, is_open)
        return await self.readiness.check(running.passthrough_client if running else None, store)

    @property
    def store(self) -> TrafficStore | None:
        """The open traffic store, or None (not running, recording off or unavailable)."""
        return self.running.store if self.running is not None else None

    async def __aenter__(self) -> Engine:
        if self._stack is not None:
            raise RuntimeError("this Engine is already running; build one per app")
        stack = contextlib.AsyncExitStack()
        try:
            self.running = await self._open(stack)
        except BaseException:
            await stack.aclose()  # whatever opened before the failure closes again
            raise
        self._stack = stack
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.draining = True  # /_compat/ready says 503 from now on
        self.running = None  # first: no request is dispatched to parts being closed
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.__aexit__(exc_type, exc, tb)

    async def dispatch(self, request: Request) -> Response:
        """Any request no health or admin route took: a legacy call, else a new-API pass-through."""
        return await self.serve(request.scope, request.receive)

    async def serve(self, scope: Scope, receive: Receive) -> Response:
        """``dispatch`` straight from the ASGI scope: a legacy call never builds a ``Request``."""
        running = self.running
        if running is None:
            return JSONResponse({"detail": "klaviyo-compat is starting up"}, status_code=503)
        path = routing_path(scope)
        family = protocol.legacy_family(path)
        if family is not None:
            return await running.legacy.serve(LegacyHttp(scope, receive, path), family)
        return await self._pass(running, Request(scope, receive))

    async def _pass(self, running: Running, request: Request) -> Response:
        """A new-API call, passed through untouched."""
        slot = call_slot(request.scope)
        slot.outcome, slot.hidden = CallOutcome(kind="passthrough"), public_keys_in(request)
        auth = request.headers.get("authorization", "")
        async with self.passthrough_limiter.slot(_passthrough_account(auth, slot.hidden, request)):
            response = await forward(request, running.passthrough_client, self.settings.request_deadline)
        key = _api_key(auth)
        if key and protocol.invalidates_enumerations(request.method, url_path(request), response.status_code):
            # Read after write: the account's cached enumerations (legacy offset pages) go stale.
            await running.legacy.runner.cache.invalidate(account_of(key))
        return response

    async def _open(self, stack: contextlib.AsyncExitStack) -> Running:
        """Open every part, registering its close on ``stack`` (which closes in reverse)."""
        configure_secret(resolve_secret(self.settings))  # before the first fingerprint of this app
        client, plain = self._open_upstream(stack)
        tasks: list[asyncio.Task[None]] = []
        store, writer = self._open_traffic(stack, tasks)
        reloader = self._open_reloader(stack, tasks)
        stack.push_async_callback(_cancel, tasks)
        parts = Parts(self.overrides.rate_budget, self.overrides.spool, self.overrides.clock)
        reliability = await open_reliability(
            self.settings,
            client,
            SPEC_OPERATIONS,
            self.readiness,
            self.reliability_metrics,
            parts,
            stack,
            beta=BETA_OPERATIONS,
        )
        admin = await self._open_admin(stack)
        backend = self._open_state(stack, tasks)
        handler = self._handler(reliability, writer, backend)
        if self.settings.count_lookups:  # the count cache's background refresh (cancelled with the rest)
            tasks.append(asyncio.create_task(refresh_forever(handler.runner.counts)))
        return Running(handler, plain, store, writer, reloader, admin)

    def _open_state(self, stack: contextlib.AsyncExitStack, tasks: list[asyncio.Task[None]]) -> StateBackend:
        """The state backend (``state_url``), watched so a shared one that went down comes back."""
        backend = self.overrides.state_backend
        if backend is None:
            backend = state.build(self.settings, on_change=self.metrics.state_backend)
            stack.push_async_callback(backend.aclose)
        tasks.append(asyncio.create_task(backend.watch(STATE_WATCH_SECONDS)))
        return backend

    def _open_upstream(self, stack: contextlib.AsyncExitStack) -> tuple[Exchange, Exchange]:
        """The translating pool and the pass-through pool: a flood on one never takes the other's
        connections. An injected transport is shared by both and closed once."""
        settings, transport = self.settings, self.overrides.transport
        client = build_pool(settings, transport=transport)
        stack.push_async_callback(client.aclose)
        plain = build_pool(settings, passthrough=True, transport=transport)
        if transport is None:
            stack.push_async_callback(plain.aclose)
        tap = self.overrides.tap
        return (tap(client), tap(plain)) if tap is not None else (client, plain)

    def _open_traffic(
        self, stack: contextlib.AsyncExitStack, tasks: list[asyncio.Task[None]]
    ) -> tuple[TrafficStore | None, BatchWriter | None]:
        """The traffic store, its batch writer and retention pruning (None, None: not recording)."""
        settings, injected = self.settings, self.overrides.traffic_store
        if self._streams_traffic:
            from proxy.traffic.stream_sink import StreamSink  # the redis extra: only with state_url

            sink = StreamSink.from_settings(settings)
            stack.callback(sink.close)  # after the writer's close (the stack closes in reverse)
            return None, self._open_writer(stack, sink)
        store = injected or self._open_store()
        if store is None:
            return None, None
        if injected is None:  # an injected store belongs to whoever made it
            stack.callback(store.close)
        writer = self._open_writer(stack, store)
        pruning = prune_forever(store, settings.traffic_retention_days, clock=self.overrides.clock)
        tasks.append(asyncio.create_task(pruning))
        return store, writer

    def _open_writer(self, stack: contextlib.AsyncExitStack, sink: Sink) -> BatchWriter:
        """The batch writer into ``sink``; it closes (writing what is queued) before the sink does."""
        settings = self.settings
        writer = BatchWriter(
            sink,
            batch_size=settings.traffic_batch_size,
            flush_seconds=settings.traffic_flush_ms / 1000,
            queue_size=settings.traffic_queue_size,
            on_drop=self.metrics.dropped,
        )
        writer.start()
        stack.push_async_callback(writer.close)
        return writer

    def _open_store(self) -> TrafficStore | None:
        """The SQLite store, or None (recording off, or the file cannot be opened: logged, not fatal)."""
        settings = self.settings
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

    def _open_reloader(
        self, stack: contextlib.AsyncExitStack, tasks: list[asyncio.Task[None]]
    ) -> ModeReloader | None:
        """Hot reload of the modes (file poll and SIGHUP), when the settings came from a file."""
        config_path = self.overrides.config_path
        if config_path is None:
            return None
        reloader = ModeReloader(self.modes, config_path, self.registry, observe=self.metrics.reload)
        if self.settings.config_poll_seconds > 0:
            tasks.append(asyncio.create_task(reloader.watch(self.settings.config_poll_seconds)))
        uninstall = reloader.install_sighup()
        if uninstall is not None:
            stack.callback(uninstall)
        return reloader

    async def _open_admin(self, stack: contextlib.AsyncExitStack) -> AdminServer | None:
        """The separate admin listener, when ``admin_port`` is set."""
        settings = self.settings
        if settings.admin_port <= 0:
            return None
        app = admin_app(settings, self.admin_context, len(self.registry), self.ready)
        admin = AdminServer(app, settings.admin_host, settings.admin_port)
        await admin.start()
        stack.push_async_callback(admin.stop)
        return admin

    def _handler(
        self, reliability: Reliability, writer: BatchWriter | None, backend: StateBackend
    ) -> LegacyHandler:
        settings, overrides = self.settings, self.overrides
        cache = overrides.collection_cache or backend.cache
        tokens = overrides.token_store or backend.tokens
        upstream = reliability.upstream
        policy = LookupPolicy(settings.count_lookups, settings.count_max_age)
        counts = Lookups(upstream, policy=policy, clock=overrides.clock)
        runner = Runner(
            upstream,
            cache,
            tokens,
            counts=counts,
            budget=reliability.budget,
            budget_wait=settings.budget_wait,
            spooler=reliability.spooler,
            deadline=settings.request_deadline,
        )
        return LegacyHandler(
            settings,
            self.router,
            runner,
            self.modes,
            metrics=self.metrics,
            record=writer.submit if writer is not None else None,
            draw=overrides.draw,
            clock=overrides.clock,
        )


def _api_key(authorization: str) -> str | None:
    """The private key of a new-API ``Authorization: Klaviyo-API-Key <key>`` header."""
    scheme, _, key = authorization.strip().partition(" ")
    return key.strip() or None if scheme.lower() == "klaviyo-api-key" else None


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _passthrough_account(auth: str, public_keys: tuple[str, ...], request: Request) -> str:
    """Whose pass-through call this is, for the per-account bound: its key, else the public key
    it names (``/client/`` calls from browsers), else its client address; always a hash."""
    if auth:
        return fingerprint(auth, "key")
    if public_keys:
        return fingerprint(public_keys[0], "token")
    return fingerprint(request.client.host, "ip") if request.client else "anonymous"
