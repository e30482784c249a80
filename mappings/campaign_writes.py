"""B2 create and B4 update of a v1 campaign (new-api-mapping.md §2 B).

A legacy campaign is one new-API campaign with one email message: campaign fields go to
``/api/campaigns``, subject and sender to the message, and the template is assigned to the
message (the new API links a non-reusable copy, so answers report the caller's template ID).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from mappings import form_values, protocol
from mappings.base import (
    Call,
    Family,
    Fidelity,
    LegacyReply,
    LegacyRequest,
    Operation,
    Plan,
    Reply,
    UpstreamError,
    declare,
)
from mappings.campaign_steps import (
    AUDIENCE_UPSTREAM,
    SubPlan,
    campaign_answer,
    merged,
    read_campaign,
    resource,
    rollback,
)
from mappings.form_values import BadInput

DOCS = protocol.DOCS
# Legacy v1 campaigns always tracked opens and clicks (the new API's defaults too): a create
# that sets add_tracking_params says so explicitly; an update keeps the campaign's settings.
EMAIL_TRACKING_KEYS: Final = (
    "add_tracking_params",
    "custom_tracking_params",
    "is_tracking_clicks",
    "is_tracking_opens",
)
REQUIRED: Final = ("list_id", "template_id", "from_email", "from_name", "subject")  # on create
SHARED_LOST: Final = (
    "template_id is the template the caller assigned; the campaign really uses a private copy of it "
    "(B1/B3 report the copy's ID). Otherwise as B3: num_recipients and person_count null, status_id only "
    "for sent/draft, campaign_type a guess, is_segmented false."
)


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


def _assigned(reply: Reply, fallback: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The message after a template assignment (its answer), else what was known before."""
    message = resource(reply)
    return message if message.get("attributes") else fallback


@declare(
    id="B2",
    name="create_campaign",
    method="POST",
    path="/api/v1/campaigns",
    family=Family.V1,
    upstream=(
        "create_campaign",
        "assign_template_to_campaign_message",
        "delete_campaign",
        *AUDIENCE_UPSTREAM,
    ),
    fidelity=Fidelity.LOSSY,
    successor=DOCS + "create_campaign",
    lost=SHARED_LOST + " The list of campaigns (B1) may show the new draft only after the cache TTL.",
    max_upstream_calls="4: create, template assignment, one get_lists and one get_segments for the list",
)
def create_campaign(req: LegacyRequest) -> Plan:
    """Create a draft email campaign from form fields list_id, template_id, from_email, from_name,
    subject (required), name (defaults to the subject), use_smart_sending and add_google_analytics
    (booleans). POST /api/campaigns creates the campaign with one email message (add_google_analytics
    sets tracking_options.add_tracking_params, with open and click tracking on as in legacy), then
    POST /api/campaign-message-assign-template assigns the template; if that fails the new draft is
    deleted again (DELETE /api/campaigns/{id}) and the error is answered. The list is looked up as
    a list or segment for the answer. A missing required field or a malformed boolean answers 400
    before any upstream call."""
    try:
        fields = CampaignFields.parse(req, create=True)
    except BadInput as exc:
        return protocol.bad_request(Family.V1, str(exc))
    template_id = str(fields.template_id)  # required on create
    body = create_body(fields)
    try:
        created: Reply = yield Call(
            "create_campaign", body=body, expect=(200, 201), dry_run_attributes={"status": "Draft"}
        )
    except UpstreamError as err:
        return protocol.translate_error(Family.V1, err.reply)
    campaign = resource(created)
    campaign_id = str(campaign.get("id") or "")
    message_id = first_message_id(campaign)
    if message_id is None:
        if campaign_id:
            yield from rollback(campaign_id)
        return protocol.error(Family.V1, 502, "The new campaign came back without an email message.")
    try:
        assigned: Reply = yield assign_call(message_id, template_id)
    except UpstreamError as err:
        yield from rollback(campaign_id)
        return protocol.translate_error(Family.V1, err.reply)
    sent = {"attributes": body["data"]["attributes"]["campaign-messages"]["data"][0]["attributes"]}
    answer = yield from campaign_answer(campaign, _assigned(assigned, sent), template_id=template_id)
    return LegacyReply.json_body(answer)


def _apply_updates(
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
        message = _assigned(assigned, message)
    return campaign, message


@declare(
    id="B4",
    name="update_campaign",
    method="PUT",
    path="/api/v1/campaign/{campaign_id}",
    family=Family.V1,
    upstream=(
        "get_campaign",
        "update_campaign",
        "update_campaign_message",
        "assign_template_to_campaign_message",
        *AUDIENCE_UPSTREAM,
    ),
    fidelity=Fidelity.LOSSY,
    successor=DOCS + "update_campaign",
    lost=SHARED_LOST + " The steps are not atomic: if one fails, the earlier ones stay applied.",
    max_upstream_calls="4 + 2*ceil(A/10): read, up to three writes, A = the campaign's lists/segments",
)
def update_campaign(req: LegacyRequest) -> Plan:
    """Update a draft campaign from the optional form fields of B2 and answer the campaign object.

    Reads GET /api/campaigns/{id} (messages included), then only as needed: PATCH /api/campaigns/{id}
    (name; list_id replaces the included audiences; use_smart_sending; add_google_analytics keeps the
    other tracking settings), PATCH /api/campaign-messages/{id} (subject, from_email, from_name) and
    POST /api/campaign-message-assign-template (template_id). Lists/segments are looked up for the
    answer. The new API refuses changes to a campaign that is not a draft (answered 400, like legacy).
    """
    campaign_id = req.path_params["campaign_id"]
    try:
        fields = CampaignFields.parse(req, create=False)
    except BadInput as exc:
        return protocol.bad_request(Family.V1, str(exc))
    try:
        campaign, message = yield from read_campaign(campaign_id)
        campaign, message = yield from _apply_updates(campaign_id, fields, campaign, message)
        answer = yield from campaign_answer(campaign, message, template_id=fields.template_id)
    except BadInput as exc:
        return protocol.bad_request(Family.V1, str(exc))
    except UpstreamError as err:
        return protocol.translate_error(Family.V1, err.reply)
    return LegacyReply.json_body(answer)


OPERATIONS: tuple[Operation, ...] = (create_campaign, update_campaign)
