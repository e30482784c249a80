"""The explicit, ordered registry of legacy operations, validated at start-up.

``MODULES`` lists every module of ``mappings.operations``, each exactly once: one module per
legacy resource family, whose ``ops`` declarer (``mappings.core.declarer``) holds the operations
it declares itself (a declarer shared by two modules, or an operation whose plan lives in another
module, is refused). Converters and shared plan steps live in ``mappings.translate`` and declare
nothing.

Order matters only for display (``klaviyo-compat routes``, the README catalog): the
catalog ids (A1..G1, S1..S4 of legacy-endpoints.md) sort the table.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any

from mappings.core import Operation
from mappings.core.declarer import Declarer
from mappings.operations import (
    campaign_actions,
    campaigns,
    data_privacy,
    exclusions,
    list_members,
    lists,
    metrics,
    profiles,
    segments,
    templates,
    track_identify,
)
from mappings.upstream_ops import BETA_OPERATIONS, SPEC_OPERATIONS

MODULES: tuple[ModuleType, ...] = (
    track_identify,  # A1-A4: /api/track, /api/identify
    campaigns,  # B1-B4: /api/v1/campaigns, /api/v1/campaign/{id}
    campaign_actions,  # B5-B9: /api/v1/campaign/{id}/send, schedule, cancel, clone, recipients
    templates,  # C1-C7: /api/v1/email-templates, /api/v1/email-template/{id}/...
    metrics,  # D1-D4: /api/v1/metrics, /api/v1/metric/{id}/timeline and export
    profiles,  # E1-E6: /api/v1/person/{id}/..., /api/v2/people/search and exchange
    lists,  # F1-F6, S4: /api/v2/lists, /api/v2/list/{id}, its subscribe POST, /api/v1/lists
    list_members,  # F7-F11, S1, S2: /api/v2/list/{id}/subscribe, members, get-...
    exclusions,  # F12, F15, F16: /api/v2/list/{id}/exclusions/all, /api/v1/people/exclusions
    segments,  # F13, F14, S3: /api/v2/group/{id}/members/all, /api/v2 and /api/v1 segment members
    data_privacy,  # G1: /api/v2/data-privacy/deletion-request
)
CATALOG_ORDER = "ABCDEFGS"


class RegistryError(ValueError):
    """A broken mapping declaration: raised at start-up, never at request time."""


def _collect(modules: Iterable[ModuleType]) -> tuple[Operation, ...]:
    """Every module's own operations, in catalog order; every problem is reported at once."""
    ops: list[Operation] = []
    problems: list[str] = []
    seen: set[str] = set()
    declarers: dict[int, str] = {}
    for module in modules:
        if module.__name__ in seen:
            problems.append(f"{module.__name__} is listed twice")
            continue
        seen.add(module.__name__)
        declarer = getattr(module, "ops", None)
        if not isinstance(declarer, Declarer):
            problems.append(f"{module.__name__} has no `ops` declarer: it declares nothing, do not list it")
            continue
        if id(declarer) in declarers:
            problems.append(f"{module.__name__} re-exports the declarer of {declarers[id(declarer)]}")
            continue
        declarers[id(declarer)] = module.__name__
        for op in declarer.operations:
            declared_in = op.plan.__module__ if inspect.isfunction(op.plan) else module.__name__
            if declared_in != module.__name__:
                problems.append(
                    f"{module.__name__} declares {op.id} with a plan of {declared_in}: declare it there"
                )
            ops.append(op)
    if problems:
        raise RegistryError("invalid mapping registry:\n  " + "\n  ".join(problems))
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


def validate(
    ops: Iterable[Operation],
    upstream: Mapping[str, Mapping[str, Any]] = SPEC_OPERATIONS,
    beta: Mapping[str, Mapping[str, Any]] = BETA_OPERATIONS,
) -> None:
    """Fail fast: unique ids, unique routes, every upstream operation id known to the pinned spec
    or to the vendored beta documents (``BETA_OPERATIONS``, each row naming its beta revision)."""
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
            if up in beta:
                if not beta[up].get("beta") or not str(beta[up].get("revision", "")).endswith(".pre"):
                    problems.append(f"{op.id}: beta operation {up!r} has no beta revision in the spec table")
            elif up not in upstream:
                problems.append(
                    f"{op.id}: upstream operation {up!r} is not in the pinned spec "
                    "or the vendored beta operations"
                )
        if not op.doc:
            problems.append(f"{op.id}: missing docstring")
    if problems:
        raise RegistryError("invalid mapping registry:\n  " + "\n  ".join(problems))


REGISTRY: tuple[Operation, ...] = _collect(MODULES)
