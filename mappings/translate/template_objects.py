"""New template resources -> legacy v1 email-template objects (new-api-mapping.md §5.5, §2 C).

Pure functions on decoded JSON:API dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from mappings.translate.datetimes import legacy_datetime
from mappings.translate.html_text import html_to_text

OBJECT: Final = "email-template"
# Legacy could update only imported HTML templates ("is_writeable"); in the new API those
# are the CODE templates, drag-and-drop ones are USER_DRAGGABLE / SYSTEM_DRAGGABLE.
WRITABLE_EDITOR: Final = "CODE"
# Sparse fieldset for every template read: the legacy object needs no text/amp/definition.
TEMPLATE_FIELDS: Final = "name,editor_type,html,created,updated"


def _attributes(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    attributes = resource.get("attributes")
    return attributes if isinstance(attributes, Mapping) else {}


def legacy_template(resource: Mapping[str, Any]) -> dict[str, Any]:
    """A template resource -> ``{"object": "email-template", "id", "name", "html", "is_writeable", ...}``."""
    attributes = _attributes(resource)
    return {
        "object": OBJECT,
        "id": resource.get("id"),
        "name": attributes.get("name"),
        "html": attributes.get("html"),
        "is_writeable": attributes.get("editor_type") == WRITABLE_EDITOR,
        "created": legacy_datetime(attributes.get("created")),
        "updated": legacy_datetime(attributes.get("updated")),
    }


def legacy_rendered(template_id: str, resource: Mapping[str, Any]) -> dict[str, Any]:
    """A template-render answer -> ``{"object", "id", "name", "data": {"html", "text"}}``.

    Legacy always answered a text body; when the new answer's ``text`` is null (an HTML-only
    template) it is derived from the rendered html (``mappings.translate.html_text``).
    """
    attributes = _attributes(resource)
    html, text = attributes.get("html"), attributes.get("text")
    if text is None and isinstance(html, str):
        text = html_to_text(html)
    return {
        "object": OBJECT,
        "id": resource.get("id") or template_id,
        "name": attributes.get("name"),
        "data": {"html": html, "text": text},
    }


def by_id(resources: Iterable[Any]) -> dict[str, Mapping[str, Any]]:
    """Template resources keyed by ID (first wins)."""
    out: dict[str, Mapping[str, Any]] = {}
    for res in resources:
        if isinstance(res, Mapping) and isinstance(res.get("id"), str):
            out.setdefault(res["id"], res)
    return out


def template_body(attributes: Mapping[str, Any], template_id: str | None = None) -> dict[str, Any]:
    """A JSON:API ``template`` request document."""
    data: dict[str, Any] = {"type": "template"}
    if template_id is not None:
        data["id"] = template_id
    data["attributes"] = dict(attributes)
    return {"data": data}
