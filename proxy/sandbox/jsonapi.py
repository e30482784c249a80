"""JSON:API documents: resource objects, sparse fieldsets, links and cursor pagination."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response

from proxy.sandbox.errors import invalid

if TYPE_CHECKING:
    from proxy.sandbox.store import Store

MEDIA_TYPE = "application/vnd.api+json"
T = TypeVar("T")


@dataclass
class Ctx:
    """One request as a handler sees it: the Starlette request, the store and the parsed body."""

    request: Request
    store: Store
    body: Any = None

    @property
    def base(self) -> str:
        """Scheme, host and mount point, without a trailing slash: prefix for absolute links."""
        return str(self.request.base_url).rstrip("/")

    def path(self, name: str) -> str:
        return str(self.request.path_params[name])

    def param(self, name: str) -> str | None:
        return self.request.query_params.get(name)

    def url(self, path: str) -> str:
        """Absolute URL of an API path, in Klaviyo's trailing-slash style."""
        return f"{self.base}{path.rstrip('/')}/"


def respond(document: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(document), status_code=status, media_type=MEDIA_TYPE)


def empty(status: int) -> Response:
    """202 / 204 answers carry no body (and so no content type)."""
    return Response(b"", status_code=status)


def sparse(attributes: dict[str, Any], fields: set[str] | None) -> dict[str, Any]:
    """Keep only the requested attributes; ``a.b`` keeps member ``b`` of object ``a``."""
    if fields is None:
        return attributes
    out: dict[str, Any] = {}
    for name in sorted(fields):
        head, _, rest = name.partition(".")
        if head not in attributes:
            continue
        value = attributes[head]
        if not rest:
            out[head] = value
        elif isinstance(value, dict):
            picked = sparse(value, {rest})
            if isinstance(out.get(head), dict):
                _deep_merge(out[head], picked)
            elif head not in out:
                out[head] = picked
    return out


def _deep_merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value


def relationship_links(ctx: Ctx, base_path: str, name: str) -> dict[str, str]:
    return {
        "self": ctx.url(f"{base_path}/relationships/{name}"),
        "related": ctx.url(f"{base_path}/{name}"),
    }


def resource(
    ctx: Ctx,
    type_: str,
    id_: str,
    attributes: dict[str, Any],
    *,
    collection: str,
    relationships: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A resource object; ``collection`` is its URL segment (``profiles``, ``lists``, ...)."""
    obj: dict[str, Any] = {"type": type_, "id": id_, "attributes": attributes}
    if relationships is not None:
        obj["relationships"] = relationships
    obj["links"] = {"self": ctx.url(f"/api/{collection}/{id_}")}
    return obj


def single(ctx: Ctx, data: dict[str, Any] | None, included: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    document: dict[str, Any] = {"data": data, "links": {"self": str(ctx.request.url)}}
    extra = _dedupe(included)
    if extra:
        document["included"] = extra
    return document


def _dedupe(objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[str, str]] = set()
    out: list[dict[str, Any]] = []
    for obj in objects:
        key = (obj["type"], obj["id"])
        if key not in seen:
            seen.add(key)
            out.append(obj)
    return out


# ---- pagination -----------------------------------------------------------------------------


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"next::offset::{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = raw.rpartition("::")
        if prefix != "next::offset" or not number.isdigit():
            raise ValueError(raw)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid("Invalid page cursor.", parameter="page[cursor]") from None


def page_size(ctx: Ctx, default: int, maximum: int, *, allowed: bool = True) -> int:
    raw = ctx.param("page[size]")
    if raw is None:
        return default
    if not allowed:
        raise invalid("'page[size]' is not a valid parameter for this endpoint.", parameter="page[size]")
    if not raw.strip().isdigit() or not 1 <= int(raw) <= maximum:
        raise invalid(f"Page size must be an integer between 1 and {maximum}.", parameter="page[size]")
    return int(raw)


def _page_link(ctx: Ctx, offset: int | None) -> str | None:
    if offset is None:
        return None
    pairs = [(k, v) for k, v in ctx.request.query_params.multi_items() if k != "page[cursor]"]
    if offset > 0:
        pairs.append(("page[cursor]", encode_cursor(offset)))
    return str(ctx.request.url.replace(query=urlencode(pairs)))


def paginate(ctx: Ctx, items: Sequence[T], size: int) -> tuple[Sequence[T], dict[str, Any]]:
    """Slice ``items`` at ``page[cursor]``; return the page and its ``links`` (absolute URLs)."""
    cursor = ctx.param("page[cursor]")
    start = decode_cursor(cursor) if cursor else 0
    page = items[start : start + size]
    next_offset = start + size if start + size < len(items) else None
    prev_offset = max(start - size, 0) if start > 0 else None
    links = {
        "self": str(ctx.request.url),
        "next": _page_link(ctx, next_offset),
        "prev": _page_link(ctx, prev_offset),
    }
    return page, links


def collection(
    ctx: Ctx,
    items: Sequence[T],
    size: int,
    render: Callable[[T], dict[str, Any]],
    included: Callable[[Sequence[T]], Iterable[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    page, links = paginate(ctx, items, size)
    document: dict[str, Any] = {"data": [render(item) for item in page], "links": links}
    if included is not None:
        document["included"] = _dedupe(included(page))
    return document
