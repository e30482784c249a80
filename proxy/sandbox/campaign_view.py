"""Campaign and campaign-message resources, and validation of message definitions."""

from __future__ import annotations

import copy
from typing import Any

from proxy.sandbox import body
from proxy.sandbox.errors import invalid
from proxy.sandbox.jsonapi import Ctx, relationship_links, resource, sparse
from proxy.sandbox.models import Campaign, CampaignMessage

CHANNELS = ("email", "sms", "mobile_push")
EMAIL_CONTENT = (
    "subject",
    "preview_text",
    "from_email",
    "from_label",
    "reply_to_email",
    "cc_email",
    "bcc_email",
)
SMS_RENDER_OPTIONS = {
    "shorten_links": True,
    "add_org_prefix": True,
    "add_info_link": True,
    "add_opt_out_language": False,
}
CAMPAIGN_FIELDS = (
    "archived",
    "audiences",
    "audiences.excluded",
    "audiences.included",
    "created_at",
    "id",
    "name",
    "scheduled_at",
    "send_options",
    "send_options.use_smart_sending",
    "send_strategy",
    "send_strategy.date",
    "send_strategy.datetime",
    "send_strategy.method",
    "send_strategy.options",
    "send_strategy.options.is_local",
    "send_strategy.options.send_past_recipients_immediately",
    "send_strategy.throttle_percentage",
    "send_time",
    "status",
    "tracking_options",
    "tracking_options.add_tracking_params",
    "tracking_options.custom_tracking_params",
    "tracking_options.is_tracking_clicks",
    "tracking_options.is_tracking_opens",
    "updated_at",
)
MESSAGE_FIELDS = (
    "created_at",
    "definition",
    "definition.channel",
    "definition.content",
    "definition.content.bcc_email",
    "definition.content.body",
    "definition.content.cc_email",
    "definition.content.from_email",
    "definition.content.from_label",
    "definition.content.media_url",
    "definition.content.preview_text",
    "definition.content.reply_to_email",
    "definition.content.subject",
    "definition.content.title",
    "definition.kv_pairs",
    "definition.label",
    "definition.notification_type",
    "definition.options",
    "definition.render_options",
    "id",
    "send_times",
    "updated_at",
)


def campaign_attributes(campaign: Campaign) -> dict[str, Any]:
    return {
        "name": campaign.name,
        "status": campaign.status,
        "archived": campaign.archived,
        "audiences": copy.deepcopy(campaign.audiences),
        "send_options": dict(campaign.send_options),
        "tracking_options": copy.deepcopy(campaign.tracking_options),
        "send_strategy": copy.deepcopy(campaign.send_strategy),
        "created_at": campaign.created_at,
        "scheduled_at": campaign.scheduled_at,
        "updated_at": campaign.updated_at,
        "send_time": campaign.send_time,
    }


def render_campaign(ctx: Ctx, campaign: Campaign, fields: set[str] | None = None) -> dict[str, Any]:
    base = f"/api/campaigns/{campaign.id}"
    relationships = {
        "campaign-messages": {
            "data": [{"type": "campaign-message", "id": mid} for mid in campaign.message_ids],
            "links": relationship_links(ctx, base, "campaign-messages"),
        },
        "tags": {"links": relationship_links(ctx, base, "tags")},
    }
    return resource(
        ctx,
        "campaign",
        campaign.id,
        sparse(campaign_attributes(campaign), fields),
        collection="campaigns",
        relationships=relationships,
    )


def _message_relationships(ctx: Ctx, message: CampaignMessage) -> dict[str, Any]:
    """``data`` only where there is a related object: the spec does not allow ``data: null``."""
    base = f"/api/campaign-messages/{message.id}"
    relationships: dict[str, Any] = {
        "campaign": {
            "data": {"type": "campaign", "id": message.campaign_id},
            "links": relationship_links(ctx, base, "campaign"),
        },
        "template": {"links": relationship_links(ctx, base, "template")},
        "image": {"links": relationship_links(ctx, base, "image")},
    }
    if message.template_id:
        relationships["template"]["data"] = {"type": "template", "id": message.template_id}
    return relationships


def render_message(ctx: Ctx, message: CampaignMessage, fields: set[str] | None = None) -> dict[str, Any]:
    attrs = {
        "definition": copy.deepcopy(message.definition),
        "send_times": copy.deepcopy(message.send_times),
        "created_at": message.created_at,
        "updated_at": message.updated_at,
    }
    return resource(
        ctx,
        "campaign-message",
        message.id,
        sparse(attrs, fields),
        collection="campaign-messages",
        relationships=_message_relationships(ctx, message),
    )


def render_assigned_message(ctx: Ctx, message: CampaignMessage, label: str) -> dict[str, Any]:
    """The flatter shape the spec gives for ``assign_template_to_campaign_message`` answers."""
    definition = message.definition
    attrs: dict[str, Any] = {
        "label": definition.get("label") or label,
        "channel": definition.get("channel"),
        "content": copy.deepcopy(definition.get("content") or {}),
        "send_times": copy.deepcopy(message.send_times),
    }
    if "render_options" in definition:
        attrs["render_options"] = dict(definition["render_options"])
    attrs["created_at"] = message.created_at
    attrs["updated_at"] = message.updated_at
    relationships = _message_relationships(ctx, message)
    del relationships["image"]
    return resource(
        ctx,
        "campaign-message",
        message.id,
        attrs,
        collection="campaign-messages",
        relationships=relationships,
    )


def _content(given: Any, allowed: tuple[str, ...], pointer: str) -> dict[str, Any]:
    if given is None:
        return {}
    if not isinstance(given, dict):
        raise invalid("'content' must be an object.", pointer=pointer)
    for key, value in given.items():
        if key not in allowed:
            raise invalid(f"'{key}' is not a valid content field.", pointer=f"{pointer}/{key}")
        if value is not None and not isinstance(value, str) and key != "action_buttons":
            raise invalid(f"'{key}' must be a string.", pointer=f"{pointer}/{key}")
    return dict(given)


def definition(
    given: Any, pointer: str, *, label: str, current: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Validate a message definition and fill Klaviyo's defaults; with ``current``, merge into it."""
    if not isinstance(given, dict):
        raise invalid("'definition' must be an object.", pointer=pointer)
    channel = body.choice(given, "channel", pointer, CHANNELS, needed=True)
    if current is not None and channel != current.get("channel"):
        raise invalid("A message's channel cannot be changed.", pointer=f"{pointer}/channel")
    base = copy.deepcopy(current) if current is not None else None
    if channel == "email":
        content = _content(given.get("content"), EMAIL_CONTENT, f"{pointer}/content")
        for key in given:
            if key not in ("channel", "label", "content"):
                raise invalid(f"'{key}' is not valid for an email message.", pointer=f"{pointer}/{key}")
        merged = base or {"channel": "email", "label": label, "content": dict.fromkeys(EMAIL_CONTENT)}
        merged["content"].update(content)
        if "label" in given:
            merged["label"] = body.string(given, "label", pointer)
        return merged
    if channel == "sms":
        content = _content(given.get("content"), ("body", "media_url"), f"{pointer}/content")
        merged = base or {
            "channel": "sms",
            "content": {"body": None, "media_url": None},
            "render_options": dict(SMS_RENDER_OPTIONS),
        }
        merged["content"].update(content)
        options = body.obj(given, "render_options", pointer)
        if options:
            merged["render_options"].update(options)
        return merged
    merged = base or {"channel": "mobile_push", "notification_type": "standard"}
    merged.update({k: copy.deepcopy(v) for k, v in given.items()})
    return merged
