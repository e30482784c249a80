"""An emulated API operation: a row of the pinned spec's operation table plus the sandbox's handler.

Method, path template and rate limits come from the spec table (``mappings.upstream_ops``, derived
from Klaviyo's pinned OpenAPI spec); the sandbox only says which operation ids it serves and with
which handler. This is the one sandbox module that imports the spec table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from starlette.responses import Response

from mappings.upstream_ops import BETA_OPERATIONS, REVISION
from mappings.upstream_ops import SPEC_OPERATIONS as SPEC_TABLE
from proxy.sandbox.jsonapi import Ctx

__all__ = ["REVISION", "Handler", "Op", "serves"]

Handler = Callable[[Ctx], Response]


@dataclass(frozen=True)
class Op:
    operation_id: str
    method: str
    path: str  # as in the spec, e.g. "/api/profiles/{id}"
    handler: Handler
    burst: int  # per-second and per-minute limits echoed in RateLimit-* headers
    steady: int
    beta: str | None = None  # a beta operation's revision: requests need a beta (".pre") revision

    @property
    def client(self) -> bool:
        """Browser endpoints authenticate with ``company_id`` instead of a private key."""
        return self.path.startswith("/client/")


def _limit(rate: str, operation_id: str, unit: str) -> int:
    """``"75/s"`` -> 75 (the spec table's ``burst`` is per second, ``steady`` per minute)."""
    count, _, per = rate.partition("/")
    if per != unit or not count.isdigit():
        raise ValueError(f"spec operation {operation_id!r}: rate limit {rate!r} is not '<n>/{unit}'")
    return int(count)


def serves(operation_id: str, handler: Handler) -> Op:
    """The spec's operation ``operation_id``, answered by ``handler``.

    Raises ``LookupError`` when the pinned spec has no such operation (at sandbox startup). A beta
    operation comes from the vendored beta documents (``BETA_OPERATIONS``).
    """
    row: Mapping[str, object] | None = SPEC_TABLE.get(operation_id) or BETA_OPERATIONS.get(operation_id)
    if row is None:
        raise LookupError(
            f"the sandbox serves {operation_id!r}, which spec revision {REVISION} does not define"
        )
    method, path, burst, steady = (str(row[key]) for key in ("method", "path", "burst", "steady"))
    return Op(
        operation_id,
        method,
        path,
        handler,
        burst=_limit(burst, operation_id, "s"),
        steady=_limit(steady, operation_id, "m"),
        beta=str(row["revision"]) if "revision" in row else None,
    )
