"""Write steps of B2 (create) and B4 (update), declared in ``mappings.operations.campaigns``
(new-api-mapping.md §2 B).

A legacy campaign is one new-API campaign with one email message: campaign fields go to
``/api/campaigns``, subject and sender to the message, and the template is assigned to the
message (the new API links a non-reusable copy, so answers report the caller's template ID).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from mappings.core import Call, LegacyRequest, Reply
from mappings.translate import form_values
from mappings.translate.campaign_steps import SubPlan, merged, resource
from mappings.translate.form_values import BadInput

# Legacy v1 campaigns always tracked opens and clicks (the new API's defaults too): a create
# that sets add_tracking_params says so explicitly; an update keeps the campaign's settings.
EMAIL_TRACKING_KEYS: Final = (
    "add_tracking_params",
    "custom_tracking_params",
    "is_tracking_clicks",
    "is_tracking_opens",
)
REQUIRED: Final = ("list_id", "template_id", "from_email", "from_name", "subject")  # on create


@dataclass(frozen=True)
class CampaignFields:
    """The legacy create/update form fields; None = not supplied."""

    list_id: str | None
    template_id: str | None
    from_email: str | None
    from_name: str | None
    subject: str | None
    name: str | None
    use_smart_sending: bool | None
    add_google_analytics: bool | None

    @classmethod
    def parse(cls, req: LegacyRequest, *, create: bool) -> CampaignFields:
        def text(name: str) -> str | None:
            return form_values.text(req, name, required=create and name in REQUIRED)

        return cls(
            list_id=text("list_id"),
            template_id=text("template_id"),
            from_email=text("from_email"),
            from_name=text("from_name"),
            subject=text("subject"),
            name=text("name"),
            use_smart_sending=form_values.boolean(req, "use_smart_sending"),
            add_google_analytics=form_values.boolean(req, "add_google_analytics"),
        )

    def content(self) -> dict[str, str]:
        """Email content fields supplied (``from_name`` is the new ``from_label``)."""
        pairs = (("subject", self.subject), ("from_email", self.from_email), ("from_label", self.from_name))
        return {key: value for key, value in pairs if value is not None}

    def tracking(self, current: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """``tracking_options`` for add_google_analytics, keeping the campaign's other settings."""
        if self.add_google_analytics is None:
            return None
        base = {"is_tracking_clicks": True, "is_tracking_opens": True} if current is None else {}
        kept = {k: v for k, v in (current or {}).items() if k in EMAIL_TRACKING_KEYS}
        return {**base, **kept, "add_tracking_params": self.add_google_analytics}

    def options(self, current: Mapping[str, Any] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.use_smart_sending is not None:
            out["send_options"] = {"use_smart_sending": self.use_smart_sending}
        tracking = self.tracking(current)
        if tracking is not None:
            out["tracking_options"] = tracking
        return out


def create_body(fields: CampaignFields) -> dict[str, Any]:
    """POST /api/campaigns: one email message; the name defaults to the subject."""
    name = fields.name or fields.subject or ""
    message = {
        "type": "campaign-message",
        "attributes": {"definition": {"channel": "email", "label": name, "content": fields.content()}},
    }
    attributes: dict[str, Any] = {
        "name": name,
        "audiences": {"included": [fields.list_id], "excluded": []},
        **fields.options(),
        "campaign-messages": {"data": [message]},
    }
    return {"data": {"type": "campaign", "attributes": attributes}}


def assign_call(message_id: str, template_id: str) -> Call:
    body = {
        "data": {
            "type": "campaign-message",
            "id": message_id,
            "relationships": {"template": {"data": {"type": "template", "id": template_id}}},
        }
    }
    return Call("assign_template_to_campaign_message", body=body, expect=(200, 201))


def first_message_id(campaign: Mapping[str, Any]) -> str | None:
    rel = campaign.get("relationships")
    node = rel.get("campaign-messages") if isinstance(rel, Mapping) else None
    data = node.get("data") if isinstance(node, Mapping) else None
    first = data[0] if isinstance(data, list) and data else None
    ident = first.get("id") if isinstance(first, Mapping) else None
    return ident if isinstance(ident, str) and ident else None


def assigned_message(reply: Reply, fallback: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The message after a template assignment (its answer), else what was known before."""
    message = resource(reply)
    return message if message.get("attributes") else fallback


def apply_updates(
    campaign_id: str, fields: CampaignFields, campaign: Mapping[str, Any], message: Mapping[str, Any] | None
) -> SubPlan[tuple[Mapping[str, Any], Mapping[str, Any] | None]]:
    """PATCH the campaign and its message, assign the template: only what was supplied."""
    content = fields.content()
    found_id = message.get("id") if message is not None else None
    message_id = found_id if isinstance(found_id, str) else ""
    if (content or fields.template_id is not None) and not message_id:
        raise BadInput(f"Campaign {campaign_id} has no email message to update.")
    current = campaign.get("attributes")
    tracking = current.get("tracking_options") if isinstance(current, Mapping) else None
    attributes = fields.options(tracking if isinstance(tracking, Mapping) else {})
    if fields.name is not None:
        attributes["name"] = fields.name
    if fields.list_id is not None:
        attributes["audiences"] = {"included": [fields.list_id]}
    body: dict[str, Any]
    if attributes:
        body = {"data": {"type": "campaign", "id": campaign_id, "attributes": attributes}}
        patched: Reply = yield Call(
            "update_campaign", path_params={"id": campaign_id}, body=body, expect=(200,)
        )
        campaign = merged(campaign, resource(patched))
    if content:
        body = {
            "data": {
                "type": "campaign-message",
                "id": message_id,
                "attributes": {"definition": {"channel": "email", "content": content}},
            }
        }
        updated: Reply = yield Call(
            "update_campaign_message", path_params={"id": message_id}, body=body, expect=(200,)
        )
        message = merged(message, resource(updated))
    if fields.template_id is not None:
        assigned: Reply = yield assign_call(message_id, fields.template_id)
        message = assigned_message(assigned, message)
    return campaign, message
