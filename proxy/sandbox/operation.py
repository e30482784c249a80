"""An emulated API operation: spec operation id, method, path template and handler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.responses import Response

from proxy.sandbox.jsonapi import Ctx

Handler = Callable[[Ctx], Response]


@dataclass(frozen=True)
class Op:
    operation_id: str
    method: str
    path: str  # as in the spec, e.g. "/api/profiles/{id}"
    handler: Handler
    burst: int = 75  # per-second and per-minute limits echoed in RateLimit-* headers
    steady: int = 750

    @property
    def client(self) -> bool:
        """Browser endpoints authenticate with ``company_id`` instead of a private key."""
        return self.path.startswith("/client/")
