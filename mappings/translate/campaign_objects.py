"""New campaign / list / segment resources -> legacy v1 objects (new-api-mapping.md §5.1, §5.2).

Pure functions on decoded JSON:API dicts. Every legacy campaign answer (B1-B4, B7, B8) is
built by ``legacy_campaign``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

from mappings.translate.datetimes import legacy_datetime

JSON = Any

# New ``attributes.status`` -> legacy (status, status_id, status_label). Only the IDs of
# ``sent`` (1) and ``draft`` (2) were ever recorded; the others are null (§5.1).
STATUSES: Final[Mapping[str, tuple[str, int | None, str]]] = MappingProxyType(
    {
        "Draft": ("draft", 2, "Draft"),
        "Sent": ("sent", 1, "Sent"),
        "Variations Sent": ("sent", 1, "Sent"),
        "Scheduled": ("scheduled", None, "Scheduled"),
        "Preparing to schedule": ("scheduled", None, "Scheduled"),
        "Sending": ("sending", None, "Sending"),
        "Preparing to send": ("sending", None, "Sending"),
        "Adding Recipients": ("sending", None, "Sending"),
        "Sending Segments": ("sending", None, "Sending"),
        "Queued without Recipients": ("sending", None, "Sending"),
    }
)
CANCELLED: Final = ("cancelled", None, "Cancelled")
SENT_STATUSES: Final = frozenset(k for k, v in STATUSES.items() if v[0] == "sent")
MESSAGE_TYPE: Final = "campaign-message"


def legacy_status(status: str | None) -> tuple[str, int | None, str]:
    """``attributes.status`` -> (status, status_id, status_label); unknown ones lower-cased."""
    text = status or "Unknown"
    known = STATUSES.get(text)
    if known is not None:
        return known
    if text.startswith("Cancelled"):
        return CANCELLED
    return (text.lower(), None, text)


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _ids(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def audience_ids(campaign: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(included, excluded) list/segment IDs of a campaign resource."""
    audiences = _dict(_dict(campaign.get("attributes")).get("audiences"))
    return _ids(audiences.get("included")), _ids(audiences.get("excluded"))


def distinct_audience_ids(campaigns: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every audience ID of the campaigns, first appearance first, each once."""
    seen: dict[str, None] = {}
    for campaign in campaigns:
        included, excluded = audience_ids(campaign)
        for ident in (*included, *excluded):
            seen.setdefault(ident, None)
    return list(seen)


def newest_first(campaigns: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Campaigns as sorted upstream by ``-created_at``, with ties put newest first (B1).

    ``created_at`` has whole seconds, so campaigns created within one second tie; the new API
    returns a tie in creation order (the order it stored them in), which is oldest first.
    Each run of equal ``created_at`` is reversed, so the legacy order is newest first
    throughout, ties broken by creation order.
    """
    out: list[Mapping[str, Any]] = []
    run: list[Mapping[str, Any]] = []
    for campaign in campaigns:
        if run and _dict(run[0].get("attributes")).get("created_at") != _dict(campaign.get("attributes")).get(
            "created_at"
        ):
            out.extend(reversed(run))
            run = []
        run.append(campaign)
    out.extend(reversed(run))
    return out


def index_resources(resources: Iterable[JSON]) -> dict[tuple[str, str], Mapping[str, Any]]:
    """``included`` (or any resource list) keyed by (type, id)."""
    out: dict[tuple[str, str], Mapping[str, Any]] = {}
    for res in resources:
        if isinstance(res, Mapping) and isinstance(res.get("type"), str) and isinstance(res.get("id"), str):
            out[(res["type"], res["id"])] = res
    return out


def _relationship_ids(resource: Mapping[str, Any], name: str) -> list[str]:
    data = _dict(_dict(resource.get("relationships")).get(name)).get("data")
    items = data if isinstance(data, list) else [data]
    return [d["id"] for d in items if isinstance(d, Mapping) and isinstance(d.get("id"), str)]


def campaign_message(
    campaign: Mapping[str, Any], included: Mapping[tuple[str, str], Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """The campaign's (first) message among the included resources."""
    for mid in _relationship_ids(campaign, "campaign-messages"):
        found = included.get((MESSAGE_TYPE, mid))
        if found is not None:
            return found
    cid = campaign.get("id")
    for (kind, _), res in included.items():
        if kind == MESSAGE_TYPE and cid in _relationship_ids(res, "campaign"):
            return res
    return None


def legacy_list(resource: Mapping[str, Any]) -> dict[str, Any]:
    """A list or segment resource -> legacy v1 list object (§5.2).

    ``person_count`` is 0 here: plans fill it from the count cache (``mappings.translate.counts``).
    """
    attributes = _dict(resource.get("attributes"))
    return {
        "object": "list",
        "id": resource.get("id"),
        "name": attributes.get("name"),
        "list_type": "segment" if resource.get("type") == "segment" else "list",
        "folder": None,
        "created": legacy_datetime(attributes.get("created")),
        "updated": legacy_datetime(attributes.get("updated")),
        "person_count": 0,
    }


def _send_time(attributes: Mapping[str, Any]) -> str | None:
    raw = attributes.get("send_time") or _dict(attributes.get("send_strategy")).get("datetime")
    return legacy_datetime(raw) if isinstance(raw, str) else None


def message_definition(message: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A campaign message's ``definition`` (channel, label, content).

    ``POST /api/campaign-message-assign-template`` answers a flatter message whose
    ``channel``/``label``/``content`` sit directly in ``attributes``; both shapes are read.
    """
    attributes = _dict((message or {}).get("attributes"))
    definition = attributes.get("definition")
    if isinstance(definition, Mapping):
        return definition
    return {k: attributes[k] for k in ("channel", "label", "content") if k in attributes}


def legacy_campaign(
    campaign: Mapping[str, Any],
    message: Mapping[str, Any] | None,
    audiences: Mapping[str, Mapping[str, Any]],
    *,
    template_id: str | None = None,
    num_recipients: int = 0,
) -> dict[str, Any]:
    """A campaign resource (+ its message, + resolved audiences by ID) -> legacy campaign object.

    ``audiences`` maps list/segment IDs to already-built legacy list objects; IDs missing
    from it (deleted audiences) are left out of ``lists`` / ``excluded_lists``.
    ``template_id``, when given, is reported instead of the message's template: the ID a
    caller assigned (B2/B4), since the new API links the message to a copy.
    """
    attributes = _dict(campaign.get("attributes"))
    definition = message_definition(message)
    content = _dict(definition.get("content"))
    status, status_id, status_label = legacy_status(attributes.get("status"))
    included, excluded = audience_ids(campaign)
    send_time = _send_time(attributes)
    method = _dict(attributes.get("send_strategy")).get("method")
    template_ids = _relationship_ids(message, "template") if message is not None else []
    if template_id is not None:
        template_ids = [template_id]
    return {
        "object": "campaign",
        "id": campaign.get("id"),
        "name": attributes.get("name"),
        "subject": content.get("subject"),
        "from_email": content.get("from_email"),
        "from_name": content.get("from_label"),
        "lists": [dict(audiences[i]) for i in included if i in audiences],
        "excluded_lists": [dict(audiences[i]) for i in excluded if i in audiences],
        "status": status,
        "status_id": status_id,
        "status_label": status_label,
        "sent_at": send_time if attributes.get("status") in SENT_STATUSES else None,
        "send_time": send_time,
        "created": legacy_datetime(attributes.get("created_at")),
        "updated": legacy_datetime(attributes.get("updated_at")),
        "num_recipients": num_recipients,
        "campaign_type": "Batch" if method == "throttled" else "Regular",
        "is_segmented": False,
        "message_type": definition.get("channel") or "email",
        "template_id": template_ids[0] if template_ids else None,
    }
