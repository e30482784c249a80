"""New list resources -> legacy list shapes (F1, F3, S4's order), and list request bodies (F2, F4).

Pure functions on decoded JSON:API dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from mappings.translate.datetimes import legacy_datetime, parse_iso

# The legacy v2 answer for an unknown list ID (or a segment ID): "list not found"
# (python-klaviyo#14); the exact wording was not recorded.
LIST_NOT_FOUND: Final = "List not found."


def _attributes(resource: Any) -> Mapping[str, Any]:
    attrs = resource.get("attributes") if isinstance(resource, Mapping) else None
    return attrs if isinstance(attrs, Mapping) else {}


def legacy_list_names(resources: Iterable[Any]) -> list[dict[str, Any]]:
    """F1: ``[{"list_id", "list_name"}]`` ordered by ID in byte order (legacy order)."""
    rows = [
        {"list_id": r["id"], "list_name": _attributes(r).get("name")}
        for r in resources
        if isinstance(r, Mapping) and isinstance(r.get("id"), str)
    ]
    return sorted(rows, key=lambda row: str(row["list_id"]).encode())


def legacy_list_info(body: Any) -> dict[str, Any]:
    """F3: a get_list reply -> ``{"list_name", "folder_id", "opt_in_process", "created", "updated"}``."""
    data = body.get("data") if isinstance(body, Mapping) else None
    attrs = _attributes(data)
    return {
        "list_name": attrs.get("name"),
        "folder_id": None,
        "opt_in_process": attrs.get("opt_in_process"),
        "created": legacy_datetime(attrs.get("created")),
        "updated": legacy_datetime(attrs.get("updated")),
    }


def list_body(name: str, list_id: str | None = None) -> dict[str, Any]:
    """create_list body, or update_list body when ``list_id`` is given (name only)."""
    data: dict[str, Any] = {"type": "list"}
    if list_id is not None:
        data["id"] = list_id
    data["attributes"] = {"name": name}
    return {"data": data}


def _created(resource: Mapping[str, Any]) -> float:
    raw = _attributes(resource).get("created")
    try:
        return parse_iso(raw).timestamp() if isinstance(raw, str) else 0.0
    except ValueError:
        return 0.0


def newest_first(resources: Iterable[Any]) -> list[Mapping[str, Any]]:
    """S4: lists and segments merged, newest first, then by ID (a stable order for offset pages)."""
    found = [r for r in resources if isinstance(r, Mapping) and isinstance(r.get("id"), str)]
    return sorted(found, key=lambda r: (-_created(r), str(r["id"])))
