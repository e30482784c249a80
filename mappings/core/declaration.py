"""What a legacy operation is: its family, its fidelity, its upstream bound and its declaration.

An ``Operation`` is data. Modules under ``mappings.operations`` never build one by hand: they
declare through their family's ``Declarer`` (``mappings.core.declarer``), which validates
each declaration once, at import, and the registry collects them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from mappings.core.request import LegacyRequest
from mappings.core.steps import PlanFn


class Family(StrEnum):
    """Legacy API family: decides the error shape and where the key arrives."""

    PUBLIC = "public"  # /api/track, /api/identify: 200 text/html "1"/"0"
    V1 = "v1"  # {"status": n, "message": "..."}
    V2 = "v2"  # {"detail": "..."}


class Fidelity(StrEnum):
    EXACT = "exact"
    LOSSY = "lossy"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class UpstreamBound:
    """The most upstream calls one legacy request may cost, as data.

    ``fixed`` calls, plus at most ``extra`` calls that depend on the data (cursor pages of a
    collection, one call per batch or per member, ...); ``extra=None`` when nothing caps them
    (e.g. one lookup per 10 of a campaign's audiences). ``limit`` is the checked number: the
    golden tests fail when a case makes more calls. ``text`` explains the bound to people
    (``klaviyo-compat routes``, the README catalog); without it the bound reads as its number.
    """

    fixed: int
    extra: int | None = 0
    text: str = ""

    def __post_init__(self) -> None:
        if self.fixed < 0 or (self.extra or 0) < 0:
            raise ValueError(f"upstream bound {self!r}: counts cannot be negative")
        if self.extra != 0 and not self.text:
            raise ValueError(f"upstream bound {self!r}: a data-dependent bound needs its text")

    @property
    def limit(self) -> int | None:
        """At most this many calls; None when the data-dependent part has no ceiling."""
        return None if self.extra is None else self.fixed + self.extra

    def __str__(self) -> str:
        return self.text or str(self.fixed)


@dataclass(frozen=True)
class Operation:
    """Declaration of one legacy operation and how it is served.

    ``doc`` is the user-facing catalog text (shown by ``klaviyo-compat routes`` and the
    README). ``upstream`` lists every operation id the plan may use; the registry checks
    them against the pinned spec at start-up, and the engine refuses a step outside it.
    ``lost`` says, for a lossy mapping, what differs from legacy; ``max_upstream_calls``
    bounds the fan-out (the golden tests check every case against it).
    """

    id: str  # catalog id, e.g. "E1"
    name: str  # generated-SDK operation name, e.g. "get_profile"
    method: str
    path: str  # legacy path template under the API root, e.g. "/api/v1/person/{person_id}"
    family: Family
    upstream: tuple[str, ...]
    fidelity: Fidelity
    successor: str  # successor documentation URL
    doc: str
    plan: PlanFn
    lost: str = ""
    max_upstream_calls: UpstreamBound = UpstreamBound(1)
    # For PUBLIC family: the key does not come from the caller (token-based).
    requires_private_key: bool = True
    # Changes upstream state (dry-run mode does not send it). None: any method but GET.
    writes: bool | None = None
    # The caller's public identity when no private key is sent (e.g. the payload's public
    # token); the engine only ever stores a hash of it.
    caller: Callable[[LegacyRequest], str | None] | None = None
    # Fire-and-forget: the legacy answer needs nothing back from upstream (one write, a constant
    # success answer), so the engine may acknowledge it once the write is durably spooled and
    # deliver it later (``proxy.state.spool``). Only single-call writes may be spoolable.
    spoolable: bool = False

    @property
    def is_write(self) -> bool:
        return self.writes if self.writes is not None else self.method != "GET"
