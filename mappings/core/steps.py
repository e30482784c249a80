"""Upstream steps a plan yields, the answers it gets back, and the plan type itself.

A mapping is *sans-IO*: its ``plan`` is a generator that receives the parsed legacy
request, ``yield``s the upstream steps it needs (``Call``, ``CollectAll``, ``Gather``)
and gets each step's answer back from the engine, then ``return``s a ``LegacyReply``.
Nothing here touches the network, so every mapping can be run on plain dicts: the
golden-table tests and the engine drive the very same generator.

When an upstream reply's status is not in the step's ``expect`` set, the engine throws
``UpstreamError`` into the generator. A mapping that does not catch it gets the default
legacy error translation of its family (see ``mappings.protocol``).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from mappings.core.reply import LegacyReply
from mappings.core.request import JSON, LegacyRequest

Auth = Literal["private", "public"]


@dataclass(frozen=True)
class Call:
    """One upstream request, named by the spec's operation id.

    ``auth="private"`` sends ``Authorization: Klaviyo-API-Key <key>``; the key is the
    caller's private key, or, when ``token`` is set, the private key the operator mapped
    to that public token. ``auth="public"`` sends no Authorization header (client
    endpoints carry ``company_id`` in ``query`` instead).
    """

    op: str
    path_params: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    body: JSON = None
    auth: Auth = "private"
    token: str | None = None
    expect: tuple[int, ...] = (200, 201, 202, 204)
    # Never sent. Attributes the new API sets by itself on the resource this write answers
    # (e.g. a new draft's status): dry-run mode, which answers writes without sending them,
    # adds them to its simulated answer (see ``proxy.policy.dry_run``).
    dry_run_attributes: Mapping[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True)
class CollectAll:
    """Enumerate every page of a cursor-paged collection (following ``links.next``).

    The engine may serve the result from a short-lived per-account cache keyed by the
    operation and query, so an offset page N does not re-walk the cursor chain.
    ``max_pages`` bounds the upstream call count.
    """

    op: str
    path_params: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    max_pages: int = 100
    cache: bool = True
    auth: Auth = "private"


@dataclass(frozen=True)
class CollectPages:
    """Read forward from ``cursor`` (None = first page) for at most ``max_pages`` pages.

    For legacy pages bigger than the new API's page ceiling (v2 ``marker`` pages of 1000,
    timelines): the answer's ``next_cursor`` resumes exactly after the last row returned.
    Never cached.
    """

    op: str
    path_params: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    cursor: str | None = None
    max_pages: int = 10
    auth: Auth = "private"


@dataclass(frozen=True)
class SaveToken:
    """Mint a legacy continuation token (v2 integer ``marker``, timeline ``next``) for ``value``.

    The engine's token store keeps ``value`` (e.g. an upstream cursor) for a bounded time,
    scoped to the caller's account; the answer is the token (``int`` when ``numeric``,
    a 32-bit positive integer, so every client keeps it exact).
    """

    value: JSON
    numeric: bool = False


@dataclass(frozen=True)
class LoadToken:
    """Resolve a token minted by ``SaveToken``; the answer is the value, or None if unknown/expired."""

    token: str | int


@dataclass(frozen=True)
class Gather:
    """Several independent calls the engine may run concurrently; answers keep order."""

    calls: tuple[Call, ...]


@dataclass(frozen=True)
class Budget:
    """A per-account allowance of optional upstream reads (``Lookup``), named so lookups share it.

    The engine never spends more than ``per_second`` / ``per_minute`` (/ ``per_day``) calls of
    one budget for one account; the figures are the mapping's (Klaviyo knowledge: an
    operation's documented rate limit, minus headroom for the application's own calls).
    """

    name: str
    per_second: int
    per_minute: int
    per_day: int | None = None


@dataclass(frozen=True)
class Lookup:
    """One optional upstream read that answers cached values (counts) for ``keys``.

    ``read`` (pure) takes the reply body and returns the values it carries, by key.
    """

    keys: tuple[str, ...]
    call: Call
    read: Callable[[JSON], Mapping[str, JSON]]
    budget: Budget


@dataclass(frozen=True)
class CachedLookups:
    """Values the engine keeps per account (list sizes, campaign recipient counts).

    The answer maps every key of every lookup to its last known value, or None when it was
    never known. A lookup runs only when one of its keys is unknown or older than the
    engine's ``count_max_age`` **and** its budget allows it now; otherwise the last known
    values are answered as they are. A failed lookup is not an error (nothing is thrown into
    the plan): the last known values stay. Lookup calls are counted like any upstream call.
    """

    lookups: tuple[Lookup, ...]


Step: TypeAlias = Call | CollectAll | CollectPages | Gather | SaveToken | LoadToken | CachedLookups


@dataclass(frozen=True)
class Reply:
    """An upstream answer. ``headers`` keys are lower-case; ``body`` is decoded JSON or None."""

    status: int
    body: JSON = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class Collected:
    """All pages of a collection: concatenated ``data`` and ``included``."""

    data: list[JSON]
    included: list[JSON] = field(default_factory=list)
    pages: int = 1
    next_cursor: str | None = None  # set by CollectPages when more rows remain


class UpstreamError(Exception):
    """Thrown into a plan when a step's reply status is not expected."""

    def __init__(self, op: str, reply: Reply) -> None:
        super().__init__(f"{op} answered {reply.status}")
        self.op = op
        self.reply = reply


Plan: TypeAlias = Generator[Step, Any, LegacyReply]
PlanFn: TypeAlias = Callable[[LegacyRequest], Plan]
