"""Drives a mapping's sans-IO plan: executes each yielded step, sends the answer back in.

The runner enforces the declaration (a plan may only use the upstream operations it
declared), resolves credentials per step, follows cursors for ``CollectAll`` and counts
upstream calls for the access log. Read after write: every write it sends that may change an
enumerated collection (``mappings.protocol.invalidates_enumerations``: not refused with a 4xx,
not event/profile ingestion, not a POST read) drops the cached enumerations of the account
whose key sent it, so a legacy client sees its own campaign, list or template at once.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import Counter
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import structlog

from mappings import protocol
from mappings.core import (
    CachedLookups,
    Call,
    CollectAll,
    Collected,
    CollectPages,
    Gather,
    LegacyReply,
    LegacyRequest,
    LoadToken,
    Operation,
    Reply,
    SaveToken,
    Step,
    UpstreamError,
)
from proxy.engine.lookups import Lookups
from proxy.engine.resilience import DEADLINE, retry_after
from proxy.engine.spooling import Spooler, stamp
from proxy.engine.upstream import Upstream, cursor_of
from proxy.observe.redact import fingerprint
from proxy.policy.dry_run import DryRun, log_not_sent
from proxy.state.budgets import RateBudget, Reservation
from proxy.state.collection_cache import CollectionCache
from proxy.state.key_checks import KeyChecks
from proxy.state.tokens import TokenStore

log = structlog.get_logger("klaviyo_compat.runner")
# The current call's budget account (a hash), for what every step's reply tells the budget.
_ACCOUNT: ContextVar[str | None] = ContextVar("klaviyo_compat_budget_account", default=None)


class PlanBug(Exception):
    """The plan broke its own declaration; answered as a legacy 500, logged for developers."""


@dataclass
class Credentials:
    """The caller's private key (if any) and the operator's token -> private key map."""

    private_key: str | None
    token_keys: Mapping[str, str] = field(default_factory=dict)
    caller: str | None = None  # the caller's hash (private key or public token): rate budgets, spool

    def key_for(self, step_auth: str, token: str | None) -> str | None:
        if step_auth == "public":
            return None
        if token is not None:
            return self.token_keys.get(token)
        return self.private_key

    def account(self) -> str:
        """Cache partition: a hash of the key, never the key."""
        return account_of(self.private_key)

    def budget_account(self) -> str:
        """Whose rate budget and spool order a call uses: the caller's hash."""
        return self.caller or self.account()


def account_of(private_key: str | None) -> str:
    """The account partition of the token store and collection cache for a private key (a hash)."""
    return fingerprint(private_key or "", "acct")


@dataclass
class RunStats:
    upstream_calls: int = 0
    upstream_ops: list[str] = field(default_factory=list)
    not_sent: list[str] = field(default_factory=list)  # dry-run: writes logged instead of sent


class Runner:
    def __init__(
        self,
        upstream: Upstream,
        cache: CollectionCache,
        tokens: TokenStore,
        *,
        counts: Lookups | None = None,
        budget: RateBudget | None = None,
        budget_wait: float = 0.0,
        spooler: Spooler | None = None,
        deadline: float | None = None,
        keys: KeyChecks | None = None,
    ) -> None:
        self.upstream = upstream
        self.cache = cache
        self.tokens = tokens
        self.counts = counts if counts is not None else Lookups(upstream)
        self.budget = budget  # rate budgets: a call reserves its declared cost before it starts
        self.budget_wait = budget_wait
        self.spooler = spooler  # fire-and-forget writes: delivered or spooled (proxy.engine.spooling)
        self.deadline = deadline  # seconds: retries (proxy.engine.resilience) stop short of it
        self.keys = keys or KeyChecks()  # when each account's key was last accepted upstream

    async def run(
        self,
        op: Operation,
        req: LegacyRequest,
        creds: Credentials,
        stats: RunStats,
        *,
        dry_run: bool = False,
    ) -> LegacyReply:
        """Run the plan; with ``dry_run`` every non-GET upstream call is logged, not sent.

        Outside dry-run, the whole declared cost is reserved from the rate budget first (raises
        ``BudgetSpent``), so a fan-out never half-happens; what the plan did not use is refunded.
        """
        if self.deadline is not None:
            DEADLINE.set(time.monotonic() + self.deadline)
        _ACCOUNT.set(creds.budget_account())
        reservation = None if dry_run or op.spoolable else await self._reserve(op, creds)
        try:
            return await self._drive(op, req, creds, stats, dry_run=dry_run)
        finally:
            if reservation is not None and reservation.costs and self.budget is not None:
                self.budget.refund(reservation, Counter(stats.upstream_ops))

    async def _reserve(self, op: Operation, creds: Credentials) -> Reservation | None:
        """A write: each upstream operation the plan may use, at the plan's whole bound (the worst
        case), so a fan-out never half-happens. A read: its fixed calls (a read cut short by the
        budget changes nothing upstream; its data-dependent pages are not reserved)."""
        if self.budget is None or not op.upstream:
            return None
        bound = op.max_upstream_calls
        if op.is_write:
            cost = bound.limit if bound.limit is not None else max(bound.fixed, 1)
        else:
            cost = max(bound.fixed, 1)
        costs = {name: cost for name in op.upstream}
        return await self.budget.reserve(creds.budget_account(), costs, self.budget_wait)

    async def _drive(
        self, op: Operation, req: LegacyRequest, creds: Credentials, stats: RunStats, *, dry_run: bool
    ) -> LegacyReply:
        plan = op.plan(req)
        dry = DryRun(self.upstream.operations, now=req.now) if dry_run else None
        to_send: Any = None
        to_throw: UpstreamError | None = None
        while True:
            try:
                step = plan.throw(to_throw) if to_throw is not None else plan.send(to_send)
            except StopIteration as stop:
                reply = stop.value
                if not isinstance(reply, LegacyReply):
                    raise PlanBug(f"{op.id} returned {type(reply).__name__}, not LegacyReply") from None
                return reply
            except UpstreamError as err:
                return protocol.translate_error(op.family, err.reply)
            to_send, to_throw = None, None
            try:
                if type(step) is Call:  # the common step: no dispatch on the step's type
                    to_send = await self._call(op, step, creds, stats, dry=dry)
                else:
                    to_send = await self._execute(op, step, creds, stats, dry)
            except UpstreamError as err:
                to_throw = err

    async def _execute(
        self, op: Operation, step: Step, creds: Credentials, stats: RunStats, dry: DryRun | None
    ) -> Any:
        if isinstance(step, Call):
            return await self._call(op, step, creds, stats, dry=dry)
        if isinstance(step, Gather):
            results = await asyncio.gather(
                *(self._call(op, c, creds, stats, raise_errors=False, dry=dry) for c in step.calls)
            )
            for call, result in zip(step.calls, results, strict=True):
                if result.status not in call.expect:
                    raise UpstreamError(call.op, result)
            return list(results)
        if isinstance(step, CollectAll | CollectPages) and dry is not None and dry.invents(step.path_params):
            return Collected(data=[], pages=0)  # the collection of a resource this dry-run invented
        if isinstance(step, CollectAll):
            return await self._collect(op, step, creds, stats)
        if isinstance(step, CollectPages):
            self._check_declared(op, step.op)
            return await self._walk(
                step.op,
                step.path_params,
                step.query,
                step.cursor,
                step.max_pages,
                creds.key_for(step.auth, None),
                stats,
            )
        if isinstance(step, SaveToken):
            return await self.tokens.save(creds.account(), step.value, step.numeric)
        if isinstance(step, LoadToken):
            return await self.tokens.load(creds.account(), step.token)
        if isinstance(step, CachedLookups):
            for lookup in step.lookups:
                self._check_declared(op, lookup.call.op)
            key = creds.key_for("private", None)
            return await self.counts.serve(op.id, step, creds.account(), key, stats, read=dry is None)
        raise PlanBug(f"{op.id} yielded {type(step).__name__}, not a step")

    def _check_declared(self, op: Operation, name: str) -> None:
        if name not in op.upstream:
            raise PlanBug(f"{op.id} used undeclared upstream operation {name}")

    async def _call(
        self,
        op: Operation,
        step: Call,
        creds: Credentials,
        stats: RunStats,
        raise_errors: bool = True,
        dry: DryRun | None = None,
    ) -> Reply:
        self._check_declared(op, step.op)
        key = creds.key_for(step.auth, step.token)
        if step.auth == "private" and key is None:
            return Reply(status=401, body={"errors": [{"detail": "No private key for this call."}]})

        if dry is None and op.spoolable and self.spooler is not None:
            stamped = stamp(step)  # the same unique_id for the first try and every redelivery
            direct = functools.partial(self._send, op, stamped, key, stats)
            reply = await self.spooler.send(creds.budget_account(), stamped, key, direct)
        elif dry is None:
            reply = await self._send(op, step, key, stats)
        else:

            async def send(call: Call) -> Reply:
                return await self._send(op, call, key, stats)

            method, path = self.upstream.url_for(step.op, step.path_params)
            if method != "GET":
                stats.not_sent.append(step.op)
                log_not_sent(op.id, step, method, path)
                reply = await dry.write(step, method, send)  # may read (sent) what the write would answer
            else:
                reply = await dry.read(step, send) or await send(step)
        if reply.status in (401, 403) and step.auth == "private" and step.token is None:
            # The key was refused: its account's cached pages must not keep answering for it.
            await self.cache.invalidate(creds.account())
        if raise_errors and reply.status not in step.expect:
            raise UpstreamError(step.op, reply)
        return reply

    async def _send(self, op: Operation, step: Call, key: str | None, stats: RunStats) -> Reply:
        """One upstream call, counted."""
        stats.upstream_calls += 1
        stats.upstream_ops.append(step.op)
        reply = await self.upstream.send(
            step.op, path_params=step.path_params, query=step.query, body=step.body, key=key
        )
        self._observe(step.op, reply)
        if key is not None and self.upstream.method_of(step.op) not in ("GET", "HEAD"):  # a write
            method, path = self.upstream.url_for(step.op, step.path_params)
            if protocol.invalidates_enumerations(method, path, reply.status):
                await self.cache.invalidate(account_of(key))  # read after write: see the module doc
        if reply.status in (401, 403) and step.token is not None:
            # The operator's token -> key map holds a key upstream refuses: callers only see
            # the legacy "0", so say it loudly here.
            log.warning(
                "upstream.configured_key_refused", operation=op.id, upstream=step.op, status=reply.status
            )
        if reply.status == 200 and self.upstream.method_of(step.op) == "GET" and not _is_document(reply.body):
            # A 200 read without a JSON:API document is an upstream fault, not an empty result.
            reply = Reply(status=502, body=None, headers=reply.headers)
        return reply

    def _observe(self, name: str, reply: Reply) -> None:
        """Tell the budget what the upstream declared (``RateLimit-*``: engages the account's
        budget for ``name``); on a 429 its next calls to ``name`` wait out the Retry-After."""
        account = _ACCOUNT.get()
        if self.budget is None or account is None:
            return
        self.budget.observe(account, name, reply.status, reply.headers)
        if reply.status == 429:
            self.budget.cool(account, name, retry_after(reply) or 1.0)

    async def _walk(
        self,
        name: str,
        path_params: Mapping[str, str],
        base_query: Mapping[str, str],
        cursor: str | None,
        max_pages: int,
        key: str | None,
        stats: RunStats,
    ) -> Collected:
        """Follow ``links.next`` cursors (never the link's host) for at most ``max_pages`` pages."""
        data: list[Any] = []
        included: list[Any] = []
        pages = 0
        while pages < max_pages:
            query = dict(base_query) if cursor is None else {**dict(base_query), "page[cursor]": cursor}
            stats.upstream_calls += 1
            stats.upstream_ops.append(name)
            reply = await self.upstream.send(name, path_params=path_params, query=query, body=None, key=key)
            self._observe(name, reply)
            pages += 1
            if reply.status in (401, 403) and key is not None:
                self.keys.refused(account_of(key))
                await self.cache.invalidate(account_of(key))
            if reply.status != 200 or not isinstance(reply.body, dict):
                raise UpstreamError(name, reply)
            page = reply.body.get("data") or []
            data.extend(page if isinstance(page, list) else [page])
            included.extend(reply.body.get("included") or [])
            links = reply.body.get("links") or {}
            cursor = cursor_of(links.get("next") if isinstance(links, dict) else None)
            if cursor is None:
                break
        return Collected(data=data, included=_dedupe(included), pages=pages, next_cursor=cursor)

    async def _collect(
        self, op: Operation, step: CollectAll, creds: Credentials, stats: RunStats
    ) -> Collected:
        self._check_declared(op, step.op)
        key = creds.key_for(step.auth, None)

        account = creds.account()
        walked = False

        async def walk() -> Collected:
            nonlocal walked
            walked = True
            collected = await self._walk(
                step.op, step.path_params, step.query, None, step.max_pages, key, stats
            )
            self.keys.accepted(account)
            return collected

        if not step.cache:
            return await walk()
        cache_key = (
            account,
            step.op,
            tuple(sorted(step.path_params.items())),
            tuple(sorted(step.query.items())),
        )
        collected = await self.cache.get_or_fill(cache_key, walk)
        if not walked and key is not None and self.keys.due(account):
            # A cached answer for a key not seen accepted lately: one page upstream rechecks it.
            await self._walk(step.op, step.path_params, step.query, None, 1, key, stats)
            self.keys.accepted(account)
        return collected


def _is_document(body: Any) -> bool:
    return isinstance(body, dict) and "data" in body


def _dedupe(included: list[Any]) -> list[Any]:
    seen: set[tuple[Any, Any]] = set()
    out: list[Any] = []
    for item in included:
        ident = (item.get("type"), item.get("id")) if isinstance(item, dict) else (None, id(item))
        if ident not in seen:
            seen.add(ident)
            out.append(item)
    return out
