"""The vocabulary every mapping speaks: declarations, requests, upstream steps, replies.

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

from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal, TypeAlias

JSON: TypeAlias = Any


class Family(StrEnum):
    """Legacy API family: decides the error shape and where the key arrives."""

    PUBLIC = "public"  # /api/track, /api/identify: 200 text/html "1"/"0"
    V1 = "v1"  # {"status": n, "message": "..."}
    V2 = "v2"  # {"detail": "..."}


class Fidelity(StrEnum):
    EXACT = "exact"
    LOSSY = "lossy"
    UNSUPPORTED = "unsupported"


# --------------------------------------------------------------------------- requests


def _wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class LegacyRequest:
    """A legacy request after transport parsing, with the private key already removed.

    ``params`` merges query string, JSON body (top-level object keys) and form body, in
    that order; every value list keeps arrival order. JSON values keep their types;
    query and form values are strings. ``json`` is the raw decoded JSON body (any type)
    and ``raw_body`` the bytes, for mappings that need them (track/identify).

    ``now`` is when the request arrived (UTC, timezone-aware). The engine always sets it
    from its injected clock; a mapping that needs the time (a "must be in the future" check,
    a default date window) reads ``now`` and never the wall clock, so every plan is
    reproducible. The default exists only for requests built directly in unit tests.
    """

    method: str
    path: str
    path_params: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, list[JSON]] = field(default_factory=dict)
    json: JSON = None
    raw_body: bytes = b""
    content_type: str = ""
    # Public keys (legacy `token`) for which the operator configured a private key.
    server_side_tokens: frozenset[str] = frozenset()
    now: datetime = field(default_factory=_wall_clock)

    def get(self, name: str, default: JSON = None) -> JSON:
        """The last non-null value of a parameter (PHP sends nulls meaning 'not supplied')."""
        for value in reversed(self.params.get(name, [])):
            if value is not None:
                return value
        return default

    def get_all(self, name: str) -> list[JSON]:
        return [v for v in self.params.get(name, []) if v is not None]

    def names(self) -> list[str]:
        return list(self.params)


# --------------------------------------------------------------------------- upstream steps

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
    always below 2**53 so JavaScript clients keep it exact).
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


Step: TypeAlias = Call | CollectAll | CollectPages | Gather | SaveToken | LoadToken


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


# --------------------------------------------------------------------------- replies

HTML = "text/html; charset=utf-8"
JSON_TYPE = "application/json"


@dataclass(frozen=True)
class LegacyReply:
    """What the legacy client receives. ``body`` is JSON-encoded unless ``text`` is set."""

    status: int = 200
    body: JSON = None
    text: str | None = None
    media_type: str = JSON_TYPE
    headers: Mapping[str, str] = field(default_factory=dict)

    @staticmethod
    def json_body(body: JSON, status: int = 200) -> LegacyReply:
        return LegacyReply(status=status, body=body)

    @staticmethod
    def empty(status: int = 200) -> LegacyReply:
        """Legacy 'HTTP 200 with an empty body' (several v2 writes)."""
        return LegacyReply(status=status, text="", media_type=JSON_TYPE)

    @staticmethod
    def html(text: str) -> LegacyReply:
        return LegacyReply(status=200, text=text, media_type=HTML)


Plan: TypeAlias = Generator[Step, Any, LegacyReply]
PlanFn: TypeAlias = Callable[[LegacyRequest], Plan]


# --------------------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Operation:
    """Declaration of one legacy operation and how it is served.

    ``doc`` is the user-facing catalog text (shown by ``klaviyo-compat routes`` and the
    README). ``upstream`` lists every operation id the plan may use; the registry checks
    them against the pinned spec at start-up, and the engine refuses a step outside it.
    ``lost`` says, for a lossy mapping, what differs from legacy; ``max_upstream_calls``
    documents the fan-out bound.
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
    max_upstream_calls: str = "1"
    # For PUBLIC family: the key does not come from the caller (token-based).
    requires_private_key: bool = True
    # Changes upstream state (dry-run mode does not send it). None: any method but GET.
    writes: bool | None = None
    # The caller's public identity when no private key is sent (e.g. the payload's public
    # token); the engine only ever stores a hash of it.
    caller: Callable[[LegacyRequest], str | None] | None = None

    @property
    def is_write(self) -> bool:
        return self.writes if self.writes is not None else self.method != "GET"


def declare(
    *,
    id: str,
    name: str,
    method: str,
    path: str,
    family: Family,
    upstream: Iterable[str],
    fidelity: Fidelity,
    successor: str,
    lost: str = "",
    max_upstream_calls: str = "1",
    requires_private_key: bool = True,
    writes: bool | None = None,
    caller: Callable[[LegacyRequest], str | None] | None = None,
) -> Callable[[PlanFn], Operation]:
    """Decorator turning a plan function into a declared mapping; its docstring is the doc."""

    def wrap(fn: PlanFn) -> Operation:
        doc = " ".join((fn.__doc__ or "").split())
        if not doc:
            raise ValueError(f"mapping {id} needs a docstring: it is the user-facing catalog entry")
        return Operation(
            id=id,
            name=name,
            method=method.upper(),
            path=path,
            family=family,
            upstream=tuple(upstream),
            fidelity=fidelity,
            successor=successor,
            doc=doc,
            plan=fn,
            lost=lost,
            max_upstream_calls=max_upstream_calls,
            requires_private_key=requires_private_key,
            writes=writes,
            caller=caller,
        )

    return wrap
