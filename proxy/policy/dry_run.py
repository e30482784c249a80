"""Dry-run of a write: the upstream write is logged, not sent, and answered with a simulated success.

The simulation works at the JSON:API level, from the pinned spec's table (each operation's
success statuses, the resource type it answers and that type's creation/update timestamp
attributes), never from knowledge of a particular resource:

* A write whose documented success is ``201 Created`` answers a **new resource**: it gets a
  fresh id ``dry-run-N``, the request's attributes, and its timestamps the request's arrival time
  (``LegacyRequest.now``, from the engine's clock). An attribute
  holding whole resources (``{"data": {...}}`` or ``{"data": [...]}``, typed) is created with
  it: it becomes a relationship, each item with a fresh id, and the items are ``included``.
* A new resource whose request names an existing one (``data.id``: a copy) is that resource,
  read (dry-run sends reads), under the fresh id with the request's attributes over it
  (``new_<name>`` sets ``<name>``).
* A write whose success is ``200`` answers **the resource it names**, read by type and id,
  with the change applied and its ``updated*`` timestamps the request's arrival time.
* Other writes (``202`` jobs, ``204``) echo the request document (a fresh id if it has none).
* What only the server decides (a new draft's status) no spec says: a plan's ``Call`` may name
  it in ``dry_run_attributes``, which the simulated resource takes.

Resources a call invents are remembered for the rest of that legacy call only: a later read
of one is answered from memory (a copy's read goes to its source and comes back under the
new id), a later write to one changes it, a read under one (a sub-collection) is empty.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import structlog

from mappings.core import Call, Reply
from proxy.policy.dry_run_documents import build, overlay, renamed, server_set, stamped

log = structlog.get_logger("klaviyo_compat.dry_run")

DRY_RUN_HEADER = "x-compat-dry-run"
ID_PREFIX = "dry-run-"
_HEADERS = {DRY_RUN_HEADER: "1"}
_MAX_FIELDS = 60
_BY_ID = re.compile(r"^[^{}]*/\{(\w+)\}/?$")  # a path naming one resource by its id

Send = Callable[[Call], Awaitable[Reply]]


def field_paths(value: Any, prefix: str = "") -> list[str]:
    """Dotted key paths of a JSON body (``data.attributes.email``): the shape, not the values."""
    if isinstance(value, dict):
        paths: list[str] = []
        for key, item in value.items():
            paths.extend(field_paths(item, f"{prefix}.{key}" if prefix else str(key)))
        return paths[:_MAX_FIELDS]
    if isinstance(value, list):
        seen: list[str] = []
        for item in value:
            seen.extend(p for p in field_paths(item, prefix + "[]") if p not in seen)
        return seen[:_MAX_FIELDS]
    return [prefix] if prefix else []


def log_not_sent(operation: str, step: Call, method: str, path: str) -> None:
    """Log the write that would have been sent: its operation, path and field names (never values)."""
    log.info(
        "dry_run.not_sent",
        operation=operation,
        upstream=step.op,
        method=method,
        path=path,
        fields=field_paths(step.body),
    )


def _data(body: Any) -> Mapping[str, Any] | None:
    data = body.get("data") if isinstance(body, Mapping) else None
    return data if isinstance(data, Mapping) else None


@dataclass
class Invented:
    """A resource this call pretended to create: its simulated state, and its source if a copy."""

    resource: dict[str, Any]
    included: list[dict[str, Any]] = field(default_factory=list)
    source: str | None = None  # id of the upstream resource it copies


class DryRun:
    """The simulation state of one legacy call in dry-run mode."""

    def __init__(self, table: Mapping[str, Mapping[str, Any]], now: datetime) -> None:
        """``now`` is the legacy request's arrival time (the engine's clock), stamped on writes."""
        self.table = table
        self.now = now.astimezone(UTC).isoformat(timespec="seconds")
        self.issued = 0
        self.invented: dict[str, Invented] = {}
        self._readers: dict[str, tuple[str, str] | None] = {}

    def fresh(self) -> str:
        self.issued += 1
        return f"{ID_PREFIX}{self.issued}"

    def _row(self, op: str) -> Mapping[str, Any]:
        return self.table.get(op) or {}

    def reader(self, kind: str) -> tuple[str, str] | None:
        """(operation, path parameter) of the spec's GET of one ``kind`` resource by id."""
        if kind not in self._readers:
            found = sorted(
                (len(str(row["path"])), name, m.group(1))
                for name, row in self.table.items()
                if row.get("method") == "GET"
                and row.get("type") == kind
                and (m := _BY_ID.match(str(row.get("path", "")))) is not None
            )
            self._readers[kind] = (found[0][1], found[0][2]) if found else None
        return self._readers[kind]

    def _read_call(self, kind: str, ident: str, query: Mapping[str, str]) -> Call | None:
        found = self.reader(kind)
        if found is None:
            return None
        op, param = found
        accepted = set(self._row(op).get("query") or ())
        kept = {k: v for k, v in query.items() if k in accepted}
        return Call(op, path_params={param: ident}, query=kept, expect=(200,))

    async def _read(self, call: Call | None, send: Send) -> Mapping[str, Any] | None:
        if call is None:
            return None
        reply = await send(call)
        return _data(reply.body) if reply.status == 200 else None

    def invents(self, path_params: Mapping[str, str]) -> str | None:
        """The invented id among a step's path parameters, if any."""
        return next((str(v) for v in path_params.values() if str(v) in self.invented), None)

    # ------------------------------------------------------------------ writes

    async def write(self, step: Call, method: str, send: Send) -> Reply:
        """The simulated answer to a write that is not sent; ``send`` performs reads it needs."""
        row = self._row(step.op)
        success: tuple[int, ...] = tuple(row.get("success") or ())
        status = next((s for s in step.expect if 200 <= s < 300), 200)
        data = _data(step.body)
        if data is None:
            return Reply(status=status, body=None, headers=_HEADERS)
        new = 201 in success if success else method == "POST" and not step.path_params
        named = str(data.get("id") or next(iter(step.path_params.values()), "") or "")
        if new:
            resource, included = await self._create(step, data, row, send)
        elif 200 in success or (not success and named):
            resource, included = await self._update(step, data, named, row, send), []
        else:  # a job or an answer without a resource: the request, echoed
            return Reply(
                status=status, body={"data": {**data, "id": named or self.fresh()}}, headers=_HEADERS
            )
        body: dict[str, Any] = {"data": resource}
        if included:
            body["included"] = included
        return Reply(status=status, body=body, headers=_HEADERS)

    async def _create(
        self, step: Call, data: Mapping[str, Any], row: Mapping[str, Any], send: Send
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        ident = self.fresh()
        kind = str(data.get("type") or row.get("type") or "")
        resource, included = build({**data, "type": kind or None}, ident, self.fresh)
        source: str | None = None
        copied = str(data.get("id") or "")
        if copied:  # a copy: the source's state under the new id, the request's changes over it
            base: Mapping[str, Any] | None = None
            if copied in self.invented:
                base, source = self.invented[copied].resource, self.invented[copied].source
            else:
                base = await self._read(self._read_call(kind, copied, step.query), send)
                source = copied if base is not None else None
            if base is not None:
                existing = base.get("attributes")
                attrs = renamed(resource["attributes"], existing if isinstance(existing, Mapping) else {})
                resource = overlay(base, {**resource, "attributes": attrs}, ident)
        resource = stamped(resource, row.get("stamps") or (), self.now, created=True)
        resource = server_set(resource, step.dry_run_attributes)
        included = [self._embed(item) for item in included]
        self.invented[ident] = Invented(resource, included, source)
        return resource, included

    def _embed(self, item: dict[str, Any]) -> dict[str, Any]:
        """An embedded resource created with its parent: stamped as its type reads, remembered."""
        found = self.reader(str(item.get("type") or ""))
        stamps = self._row(found[0]).get("stamps") or () if found else ()
        item = stamped(item, stamps, self.now, created=True)
        if str(item.get("id") or "").startswith(ID_PREFIX):
            self.invented[str(item["id"])] = Invented(item)
        return item

    async def _update(
        self, step: Call, data: Mapping[str, Any], named: str, row: Mapping[str, Any], send: Send
    ) -> dict[str, Any]:
        kind = str(data.get("type") or row.get("type") or "")
        change, included = build({**data, "type": kind or None}, named, self.fresh)
        base: Mapping[str, Any] | None
        if named in self.invented:
            base = self.invented[named].resource
        else:
            base = await self._read(self._read_call(kind, named, step.query), send) if named else None
        resource = overlay(base, change, named) if base is not None else change
        resource = stamped(resource, row.get("stamps") or (), self.now, created=False)
        resource = server_set(resource, step.dry_run_attributes)
        if named in self.invented:
            self.invented[named].resource = resource
            self.invented[named].included.extend(included)
        return resource

    # ------------------------------------------------------------------ reads

    async def read(self, step: Call, send: Send) -> Reply | None:
        """The answer to a read that names a resource this call invented; None: send it as usual."""
        ident = self.invents(step.path_params)
        if ident is None:
            return None
        made = self.invented[ident]
        row = self._row(step.op)
        itself = row.get("type") == made.resource.get("type") and _BY_ID.match(str(row.get("path", "")))
        if made.source is not None:  # a copy reads as its source, under its own id
            swapped = {k: made.source if str(v) == ident else v for k, v in step.path_params.items()}
            reply = await send(replace(step, path_params=swapped))
            body = reply.body if isinstance(reply.body, Mapping) else None
            data = _data(body)
            if not itself or reply.status != 200 or body is None or data is None:
                return reply
            copy = overlay(data, made.resource, ident)
            return Reply(status=200, body={**body, "data": copy}, headers=reply.headers)
        if itself:
            body = {"data": made.resource, "included": list(made.included)}
        else:  # a collection under a resource that does not exist upstream
            body = {"data": [], "links": {"next": None}}
        return Reply(status=200, body=body, headers=_HEADERS)
