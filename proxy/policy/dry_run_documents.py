"""JSON:API document surgery for dry-run's simulated answers: pure functions on decoded dicts.

Nothing here knows a Klaviyo resource: it speaks of resources, attributes, relationships,
linkage and ``included``, plus the creation/update timestamp attributes the pinned spec
lists per operation (``stamps``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

Fresh = Callable[[], str]

# A clone-like request names the copy's new value ``new_<attribute>`` (e.g. ``new_name``).
_NEW_PREFIX = "new_"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def is_document(value: Any) -> bool:
    """``{"data": {...}}`` or ``{"data": [...]}`` whose items are typed resources."""
    if not isinstance(value, Mapping) or set(value) != {"data"}:
        return False
    data = value["data"]
    items = data if isinstance(data, list) else [data]
    return bool(items) and all(isinstance(i, Mapping) and isinstance(i.get("type"), str) for i in items)


def merge(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """``after`` over ``before``, nested objects merged (lists and scalars replaced)."""
    out = dict(before)
    for key, value in after.items():
        old = out.get(key)
        both = isinstance(old, Mapping) and isinstance(value, Mapping)
        out[key] = merge(old, value) if both else value  # type: ignore[arg-type]
    return out


def embedded(
    attributes: Mapping[str, Any], fresh: Fresh
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """Split attributes that hold whole resources created with the parent (``{"data": [...]}``).

    Returns (plain attributes, relationships with linkage, the embedded resources to include).
    Embedded resources without an id get a fresh one; their own embedded ones are split too.
    """
    plain: dict[str, Any] = {}
    relationships: dict[str, Any] = {}
    included: list[dict[str, Any]] = []
    for name, value in attributes.items():
        if not is_document(value):
            plain[name] = value
            continue
        data = value["data"]
        linkage = []
        for item in data if isinstance(data, list) else [data]:
            resource, nested = build(item, str(item.get("id") or fresh()), fresh)
            included.extend([resource, *nested])
            linkage.append({"type": resource["type"], "id": resource["id"]})
        relationships[name] = {"data": linkage if isinstance(data, list) else linkage[0]}
    return plain, relationships, included


def build(data: Mapping[str, Any], ident: str, fresh: Fresh) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The resource a request's ``data`` describes, under ``ident``, and what it embeds."""
    attributes, relationships, included = embedded(_mapping(data.get("attributes")), fresh)
    resource: dict[str, Any] = {"type": data.get("type"), "id": ident}
    resource["attributes"] = attributes
    linked = merge(_mapping(data.get("relationships")), relationships)
    if linked:
        resource["relationships"] = linked
    for key, value in data.items():
        if key not in ("type", "id", "attributes", "relationships"):
            resource[key] = value
    return resource, included


def renamed(attributes: Mapping[str, Any], existing: Mapping[str, Any]) -> dict[str, Any]:
    """A copy's ``new_<name>`` sets ``<name>`` when the source has ``<name>`` (and no ``new_<name>``)."""
    out: dict[str, Any] = {}
    for key, value in attributes.items():
        target = key[len(_NEW_PREFIX) :]
        if key.startswith(_NEW_PREFIX) and target in existing and key not in existing:
            out[target] = value
        else:
            out[key] = value
    return out


def stamped(resource: Mapping[str, Any], stamps: Iterable[str], now: str, *, created: bool) -> dict[str, Any]:
    """Set the spec's timestamp attributes: all of them on a new resource, ``updated*`` otherwise."""
    wanted = [s for s in stamps if created or s.startswith("updated")]
    if not wanted:
        return dict(resource)
    attributes = dict(_mapping(resource.get("attributes")))
    for name in wanted:
        attributes[name] = now
    return {**resource, "attributes": attributes}


def overlay(base: Mapping[str, Any], change: Mapping[str, Any], ident: str) -> dict[str, Any]:
    """``change`` (attributes, relationships, meta...) applied over ``base``, under ``ident``."""
    out = merge(base, {k: v for k, v in change.items() if k != "id"})
    out["id"] = ident
    if base.get("type") and not change.get("type"):
        out["type"] = base["type"]
    return out


def server_set(resource: Mapping[str, Any], attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes the server sets itself (a plan's ``Call.dry_run_attributes``), where not already set."""
    if not attributes:
        return dict(resource)
    return {**resource, "attributes": {**attributes, **_mapping(resource.get("attributes"))}}
