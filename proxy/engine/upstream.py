"""Calls to the new API: URL building from the operation table, auth headers, decoding.

The network is an ``Exchange`` (``proxy.engine.exchange``): aiohttp in production, any injected
httpx transport in tests and the embedded sandbox. The hot path builds the target by string
concatenation (quoted path, url-encoded query) and one small header dict per call; the pool adds
the revision and accept headers it was built with.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import parse_qs, quote, quote_plus, urlsplit

import orjson

from mappings.core import Call, Reply
from proxy.engine.exchange import Exchange, ShuttingDown, Unreachable

JSONAPI = "application/vnd.api+json"


class UpstreamObserver(Protocol):
    """Told about every upstream call (metrics). ``status`` is the HTTP code, or ``unavailable``."""

    def upstream(self, operation: str, status: str, seconds: float, headers: Mapping[str, str]) -> None: ...


class UpstreamUnavailable(Exception):
    """The upstream could not be reached or did not answer in time."""


class UnencodableRequest(Exception):
    """A translated body JSON cannot carry (e.g. an integer beyond 64 bits): the caller's input."""


class UnknownOperation(Exception):
    """A plan asked for an operation the pinned spec does not have (a mapping bug)."""


def cursor_of(next_link: str | None) -> str | None:
    """The ``page[cursor]`` value of a ``links.next`` URL (we never follow foreign hosts)."""
    if not next_link:
        return None
    values = parse_qs(urlsplit(next_link).query).get("page[cursor]")
    return values[0] if values else None


@functools.lru_cache(maxsize=4096)
def _plus(text: str) -> str:
    return quote_plus(text, safe="")


def encode_query(query: Mapping[str, Any]) -> str:
    """``urlencode(query)``: the same text, with each short name and value encoded once per process
    (the same operation names, tokens and filters come back on every call)."""
    parts = []
    for name, value in query.items():
        name, value = str(name), str(value)
        parts.append(
            (_plus(name) if len(name) <= 64 else quote_plus(name, safe=""))
            + "="
            + (_plus(value) if len(value) <= 64 else quote_plus(value, safe=""))
        )
    return "&".join(parts)


def decode(content: bytes) -> Any:
    if not content:
        return None
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return None


class Upstream:
    """Sends plan steps; knows paths and methods only through the operation table.

    A beta operation (its row names a ``revision``, ``mappings.upstream_ops.BETA_OPERATIONS``) is
    sent with the operator's ``beta_revision`` instead of the client's revision header, and not at
    all without one.
    """

    def __init__(
        self,
        client: Exchange,
        operations: Mapping[str, Mapping[str, Any]],
        observer: UpstreamObserver | None = None,
        beta_revision: str = "",
    ) -> None:
        self.client = client
        self.operations = operations
        self.observer = observer
        self.beta_revision = beta_revision

    def method_of(self, op: str) -> str:
        row = self.operations.get(op)
        return str(row["method"]) if row is not None else ""

    def url_for(self, op: str, path_params: Mapping[str, str]) -> tuple[str, str]:
        row = self.operations.get(op)
        if row is None:
            raise UnknownOperation(op)
        path: str = row["path"]
        for name, value in path_params.items():
            text = str(value)
            if text in ("", ".", ".."):  # a dot segment would be normalised away: /x/.. is /
                raise UnencodableRequest(f"path parameter {name} cannot be {text!r}")
            path = path.replace("{" + name + "}", quote(text, safe=""))
        return str(row["method"]), path

    async def send(
        self,
        op: str,
        *,
        path_params: Mapping[str, str],
        query: Mapping[str, str],
        body: Any,
        key: str | None,
    ) -> Reply:
        method, path = self.url_for(op, path_params)
        headers: dict[str, str] = {}
        if "revision" in self.operations[op]:  # a beta operation
            if not self.beta_revision:
                raise UnknownOperation(f"{op} is a beta operation and no beta_revision is configured")
            headers["revision"] = self.beta_revision
        content: bytes | None = None
        if key is not None:
            headers["authorization"] = "Klaviyo-API-Key " + key
        if body is not None:
            headers["content-type"] = JSONAPI
            try:
                content = orjson.dumps(body)
            except (TypeError, orjson.JSONEncodeError) as exc:
                raise UnencodableRequest(str(exc)) from None
        target = path + "?" + encode_query(query) if query else path
        started = time.perf_counter()
        try:
            answer = await self.client.send(method, target, headers, content)
        except ShuttingDown as exc:  # the pool closed under the call: shutdown after its grace period
            raise UpstreamUnavailable(f"{op}: the proxy is shutting down") from exc
        except Unreachable as exc:
            if self.observer is not None:
                self.observer.upstream(op, "unavailable", time.perf_counter() - started, {})
            raise UpstreamUnavailable(f"{op}: {exc}") from exc
        reply = Reply(status=answer.status, body=decode(answer.body), headers=answer.headers)
        if self.observer is not None:
            self.observer.upstream(op, str(answer.status), time.perf_counter() - started, reply.headers)
        return reply

    async def call(self, step: Call, key: str | None) -> Reply:
        return await self.send(
            step.op, path_params=step.path_params, query=step.query, body=step.body, key=key
        )
