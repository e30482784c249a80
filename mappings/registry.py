"""The explicit, ordered registry of legacy operations, validated at start-up.

Order matters only for display (``klaviyo-compat routes``, the README catalog): the
catalog ids (A1..G1, S1..S4 of legacy-endpoints.md) sort the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from mappings import (
    campaigns,
    data_privacy,
    list_members,
    lists,
    metrics,
    profiles,
    segments,
    templates,
    track_identify,
)
from mappings.base import Operation
from mappings.upstream_ops import OPERATIONS

# Explicit and ordered: one module per legacy resource family.
MODULES = (
    track_identify,
    campaigns,
    templates,
    metrics,
    profiles,
    lists,
    list_members,
    segments,
    data_privacy,
)
CATALOG_ORDER = "ABCDEFGS"


class RegistryError(ValueError):
    """A broken mapping declaration: raised at start-up, never at request time."""


def _collect() -> tuple[Operation, ...]:
    ops: list[Operation] = []
    for module in MODULES:
        ops.extend(module.OPERATIONS)
    return tuple(sorted(ops, key=catalog_key))


def catalog_key(op: Operation) -> tuple[int, int]:
    """A1 < A4 < B1 < ... < G1 < S1: the order of legacy-endpoints.md."""
    letter = CATALOG_ORDER.find(op.id[:1])
    try:
        number = int(op.id[1:])
    except ValueError:
        number = 0
    return (letter if letter >= 0 else len(CATALOG_ORDER), number)


_PARAM = re.compile(r"\{[^/]+\}")


def route_shape(op: Operation) -> tuple[str, str]:
    """Method plus path with parameter names erased: two routes clash iff shapes match."""
    return op.method, _PARAM.sub("{}", op.path.rstrip("/"))


def validate(ops: Iterable[Operation], upstream: Mapping[str, Mapping[str, Any]] = OPERATIONS) -> None:
    """Fail fast: unique ids, unique routes, every upstream operation id known to the spec."""
    seen_ids: set[str] = set()
    seen_routes: dict[tuple[str, str], str] = {}
    problems: list[str] = []
    for op in ops:
        if op.id in seen_ids:
            problems.append(f"duplicate operation id {op.id}")
        seen_ids.add(op.id)
        shape = route_shape(op)
        if shape in seen_routes:
            problems.append(f"{op.id} and {seen_routes[shape]} both claim {op.method} {op.path}")
        seen_routes[shape] = op.id
        if not op.path.startswith("/api/"):
            problems.append(f"{op.id}: legacy path {op.path!r} must start with /api/")
        for up in op.upstream:
            if up not in upstream:
                problems.append(f"{op.id}: upstream operation {up!r} is not in the pinned spec")
        if not op.doc:
            problems.append(f"{op.id}: missing docstring")
    if problems:
        raise RegistryError("invalid mapping registry:\n  " + "\n  ".join(problems))


REGISTRY: tuple[Operation, ...] = _collect()
