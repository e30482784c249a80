"""Campaign operations: CRUD, listing (channel filter required), messages and template assignment."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from proxy.sandbox import body, campaign_view
from proxy.sandbox.campaign_view import CAMPAIGN_FIELDS, MESSAGE_FIELDS, render_campaign, render_message
from proxy.sandbox.errors import invalid, not_found, required
from proxy.sandbox.filters import compile_filter, conditions, rule, select
from proxy.sandbox.jsonapi import Ctx, collection, empty, page_size, respond, single
from proxy.sandbox.models import Campaign, CampaignMessage
from proxy.sandbox.operation import Handler
from proxy.sandbox.params import apply_sort, fieldset, includes, sort_spec
from proxy.sandbox.templates import FIELDS as TEMPLATE_FIELDS
from proxy.sandbox.templates import find_template, render_template

_RANGE = "greater-or-equal greater-than less-or-equal less-than"
STATUSES = (
    "Scheduled,Sent,Draft,Cancelled,Adding Recipients,Sending,Variations Sent,Sending Segments,"
    "Cancelled: Smart Sending,Preparing to send,Cancelled: Account Disabled,Cancelled: No Recipients,"
    "Preparing to schedule,Cancelled: Internal Error,Queued without Recipients,Cancelled: Billing Limit,"
    "Cancelled: Misconfigured,Unknown"
)
FILTERS = {
    "id": rule("string", many="any"),
    "messages.channel": rule("string", single="equals", choices="email,sms,mobile_push"),
    "name": rule("string", single="contains"),
    "status": rule("string", single="equals", many="any equals", choices=STATUSES),
    "archived": rule("boolean", single="equals"),
    "created_at": rule("datetime", single=_RANGE),
    "scheduled_at": rule("datetime", single=_RANGE),
    "updated_at": rule("datetime", single=_RANGE),
}
SORTS = ("created_at", "id", "name", "scheduled_at", "updated_at")
SEND_METHODS = ("static", "throttled", "immediate", "smart_send_time")


def find_campaign(ctx: Ctx, campaign_id: str) -> Campaign:
    campaign = ctx.store.campaigns.get(campaign_id)
    if campaign is None:
        raise not_found("campaign", campaign_id)
    return campaign


def find_message(ctx: Ctx, message_id: str) -> CampaignMessage:
    message = ctx.store.campaign_messages.get(message_id)
    if message is None:
        raise not_found("campaign-message", message_id)
    return message


def _campaign_value(campaign: Campaign, name: str) -> Any:
    return campaign.channel if name == "messages.channel" else getattr(campaign, name, None)


def _included_messages(ctx: Ctx, campaigns: list[Campaign], wanted: set[str]) -> list[dict[str, Any]]:
    if "campaign-messages" not in wanted:
        return []
    fields = fieldset(ctx, "campaign-message", MESSAGE_FIELDS)
    return [
        render_message(ctx, ctx.store.campaign_messages[mid], fields)
        for campaign in campaigns
        for mid in campaign.message_ids
        if mid in ctx.store.campaign_messages
    ]


def _one(ctx: Ctx, campaign: Campaign, status: int = 200) -> Response:
    wanted = includes(ctx, ("campaign-messages", "tags")) if ctx.request.method == "GET" else set()
    data = render_campaign(ctx, campaign, fieldset(ctx, "campaign", CAMPAIGN_FIELDS))
    return respond(single(ctx, data, _included_messages(ctx, [campaign], wanted)), status)


def get_campaigns(ctx: Ctx) -> Response:
    nodes = compile_filter(ctx.param("filter"), FILTERS)
    if not any(c.field == "messages.channel" and c.op == "equals" for c in conditions(nodes)):
        raise invalid(
            "A channel filter is required to list campaigns. Please try again with either of the "
            "following filters: equals(messages.channel,'email'), equals(messages.channel,'sms'), "
            "equals(messages.channel,'mobile_push')",
            parameter="filter",
        )
    spec = sort_spec(ctx, SORTS)
    size = page_size(ctx, 100, 100)
    fields = fieldset(ctx, "campaign", CAMPAIGN_FIELDS)
    wanted = includes(ctx, ("campaign-messages", "tags"))
    found = select(ctx.store.campaigns.values(), nodes, _campaign_value)
    ordered = apply_sort(found, spec, _campaign_value)
    return respond(
        collection(
            ctx,
            ordered,
            size,
            lambda c: render_campaign(ctx, c, fields),
            lambda page: _included_messages(ctx, list(page), wanted),
        )
    )


def get_campaign(ctx: Ctx) -> Response:
    return _one(ctx, find_campaign(ctx, ctx.path("id")))


def _audiences(ctx: Ctx, given: Any, pointer: str, *, needed: bool) -> dict[str, Any] | None:
    if given is None:
        if needed:
            raise required(pointer)
        return None
    if not isinstance(given, dict):
        raise invalid("'audiences' must be an object.", pointer=pointer)
    out: dict[str, Any] = {}
    for key in ("included", "excluded"):
        ids = body.string_list(given, key, pointer)
        if ids is None:
            if key == "included" and needed:
                raise required(f"{pointer}/included")
            continue
        for index, audience_id in enumerate(ids):
            if audience_id not in ctx.store.lists and audience_id not in ctx.store.segments:
                raise invalid(
                    f"List or segment {audience_id} does not exist.", pointer=f"{pointer}/{key}/{index}"
                )
        out[key] = ids
    return out


def _send_strategy(given: Any, pointer: str) -> dict[str, Any]:
    if not isinstance(given, dict):
        raise invalid("'send_strategy' must be an object.", pointer=pointer)
    method = body.choice(given, "method", pointer, SEND_METHODS, needed=True)
    if method in ("static", "throttled"):
        body.datetime_text(given, "datetime", pointer, needed=True)
    if method == "throttled" and not isinstance(given.get("throttle_percentage"), int):
        raise required(f"{pointer}/throttle_percentage")
    if method == "smart_send_time":
        body.string(given, "date", pointer, needed=True)
    return dict(given)


def _options(attrs: dict[str, Any], pointer: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("send_options", "tracking_options"):
        value = body.obj(attrs, name, pointer)
        if value is not None:
            out[name] = dict(value)
    if "send_strategy" in attrs:
        out["send_strategy"] = _send_strategy(attrs["send_strategy"], f"{pointer}/send_strategy")
    return out


def _default_tracking(channel: str) -> dict[str, Any] | None:
    if channel == "email":
        return {
            "add_tracking_params": False,
            "custom_tracking_params": None,
            "is_tracking_clicks": True,
            "is_tracking_opens": True,
        }
    if channel == "sms":
        return {"add_tracking_params": False, "custom_tracking_params": None}
    return None


def create_campaign(ctx: Ctx) -> Response:
    data = body.data_object(ctx.body, "campaign")
    attrs = body.attributes(data)
    pointer = "/data/attributes"
    name = body.string(attrs, "name", pointer, needed=True)
    assert name is not None
    audiences = _audiences(ctx, attrs.get("audiences"), f"{pointer}/audiences", needed=True)
    options = _options(attrs, pointer)
    wrapper = body.obj(attrs, "campaign-messages", pointer, needed=True)
    assert wrapper is not None and audiences is not None
    items = wrapper.get("data")
    where = f"{pointer}/campaign-messages/data"
    if not isinstance(items, list) or len(items) != 1:
        raise invalid("Exactly one campaign message is required.", pointer=where)
    item = items[0]
    if not isinstance(item, dict):
        raise invalid("A campaign message must be an object.", pointer=f"{where}/0")
    body.check_type(item, "campaign-message", f"{where}/0")
    message_attrs = body.attributes(item, f"{where}/0")
    if "definition" not in message_attrs:
        raise required(f"{where}/0/attributes/definition")
    definition = campaign_view.definition(
        message_attrs["definition"], f"{where}/0/attributes/definition", label=name
    )
    store = ctx.store
    stamp = store.now()
    channel = str(definition["channel"])
    campaign = Campaign(
        id=store.ids.ulid(),
        name=name,
        channel=channel,
        audiences={"included": audiences.get("included", []), "excluded": audiences.get("excluded", [])},
        send_options=options.get("send_options", {"use_smart_sending": True}),
        tracking_options=options.get("tracking_options", _default_tracking(channel)),
        send_strategy=options.get("send_strategy", {"method": "immediate"}),
        created_at=stamp,
        updated_at=stamp,
    )
    message = CampaignMessage(store.ids.ulid(), campaign.id, definition, stamp, stamp)
    campaign.message_ids.append(message.id)
    store.campaigns[campaign.id] = campaign
    store.campaign_messages[message.id] = message
    return _one(ctx, campaign, 201)


def _require_draft(campaign: Campaign) -> None:
    if campaign.status != "Draft":
        raise invalid(
            f"Campaign {campaign.id} is '{campaign.status}'; only draft campaigns can be changed.",
            pointer="/data",
        )


def update_campaign(ctx: Ctx) -> Response:
    campaign = find_campaign(ctx, ctx.path("id"))
    data = body.data_object(ctx.body, "campaign", need_id=True, path_id=campaign.id)
    attrs = body.attributes(data)
    pointer = "/data/attributes"
    _require_draft(campaign)
    name = body.string(attrs, "name", pointer)
    audiences = _audiences(ctx, attrs.get("audiences"), f"{pointer}/audiences", needed=False)
    options = _options(attrs, pointer)
    if name is not None:
        campaign.name = name
    if audiences:
        campaign.audiences.update(audiences)
    for key, value in options.items():
        setattr(campaign, key, value)
    campaign.updated_at = ctx.store.now()
    return _one(ctx, campaign)


def delete_campaign(ctx: Ctx) -> Response:
    campaign = find_campaign(ctx, ctx.path("id"))
    for message_id in campaign.message_ids:
        message = ctx.store.campaign_messages.pop(message_id, None)
        if message is not None and message.template_id:
            ctx.store.templates.pop(message.template_id, None)
    del ctx.store.campaigns[campaign.id]
    return empty(204)


def get_messages_for_campaign(ctx: Ctx) -> Response:
    campaign = find_campaign(ctx, ctx.path("id"))
    fields = fieldset(ctx, "campaign-message", MESSAGE_FIELDS)
    includes(ctx, ("campaign", "image", "template"))
    messages = [ctx.store.campaign_messages[mid] for mid in campaign.message_ids]
    return respond(collection(ctx, messages, len(messages) or 1, lambda m: render_message(ctx, m, fields)))


def get_message_ids_for_campaign(ctx: Ctx) -> Response:
    campaign = find_campaign(ctx, ctx.path("id"))
    data = [{"type": "campaign-message", "id": mid} for mid in campaign.message_ids]
    return respond({"data": data, "links": {"self": str(ctx.request.url)}})


def get_campaign_message(ctx: Ctx) -> Response:
    message = find_message(ctx, ctx.path("id"))
    wanted = includes(ctx, ("campaign", "image", "template"))
    included: list[dict[str, Any]] = []
    if "campaign" in wanted and message.campaign_id in ctx.store.campaigns:
        included.append(
            render_campaign(
                ctx, ctx.store.campaigns[message.campaign_id], fieldset(ctx, "campaign", CAMPAIGN_FIELDS)
            )
        )
    if "template" in wanted and message.template_id in ctx.store.templates:
        template = ctx.store.templates[str(message.template_id)]
        included.append(render_template(ctx, template, fields=fieldset(ctx, "template", TEMPLATE_FIELDS)))
    data = render_message(ctx, message, fieldset(ctx, "campaign-message", MESSAGE_FIELDS))
    return respond(single(ctx, data, included))


def update_campaign_message(ctx: Ctx) -> Response:
    message = find_message(ctx, ctx.path("id"))
    data = body.data_object(ctx.body, "campaign-message", need_id=True, path_id=message.id)
    attrs = body.attributes(data)
    _require_draft(ctx.store.campaigns[message.campaign_id])
    if "definition" in attrs:
        message.definition = campaign_view.definition(
            attrs["definition"], "/data/attributes/definition", label="", current=message.definition
        )
    message.updated_at = ctx.store.now()
    return respond(
        single(ctx, render_message(ctx, message, fieldset(ctx, "campaign-message", MESSAGE_FIELDS)))
    )


def assign_template_to_campaign_message(ctx: Ctx) -> Response:
    """Link a private, non-reusable copy of the template (new id) to the message."""
    data = body.data_object(ctx.body, "campaign-message", need_id=True)
    message = find_message(ctx, str(data["id"]))
    relationships = data.get("relationships")
    link = relationships.get("template") if isinstance(relationships, dict) else None
    target = link.get("data") if isinstance(link, dict) else None
    pointer = "/data/relationships/template/data"
    if not isinstance(target, dict):
        raise required(pointer)
    body.check_type(target, "template", pointer)
    source = find_template(ctx, str(target.get("id")))
    if message.template_id:
        ctx.store.templates.pop(message.template_id, None)
    clone = ctx.store.add_template(
        source.name, source.html, editor_type=source.editor_type, text=source.text, reusable=False
    )
    clone.amp = source.amp
    message.template_id = clone.id
    message.updated_at = ctx.store.now()
    return respond(
        single(
            ctx,
            campaign_view.render_assigned_message(
                ctx, message, ctx.store.campaigns[message.campaign_id].name
            ),
        )
    )


def get_template_for_campaign_message(ctx: Ctx) -> Response:
    message = find_message(ctx, ctx.path("id"))
    if not message.template_id or message.template_id not in ctx.store.templates:
        raise not_found("template for campaign-message", message.id)
    template = ctx.store.templates[message.template_id]
    return respond(
        single(ctx, render_template(ctx, template, fields=fieldset(ctx, "template", TEMPLATE_FIELDS)))
    )


def get_template_id_for_campaign_message(ctx: Ctx) -> Response:
    message = find_message(ctx, ctx.path("id"))
    data = {"type": "template", "id": message.template_id} if message.template_id else None
    return respond({"data": data, "links": {"self": str(ctx.request.url)}})


def get_campaign_for_campaign_message(ctx: Ctx) -> Response:
    message = find_message(ctx, ctx.path("id"))
    campaign = find_campaign(ctx, message.campaign_id)
    return respond(single(ctx, render_campaign(ctx, campaign, fieldset(ctx, "campaign", CAMPAIGN_FIELDS))))


def get_campaign_id_for_campaign_message(ctx: Ctx) -> Response:
    message = find_message(ctx, ctx.path("id"))
    return respond(
        {"data": {"type": "campaign", "id": message.campaign_id}, "links": {"self": str(ctx.request.url)}}
    )


# Spec operation id -> handler; method, path and rate limits come from the spec table.
HANDLERS: dict[str, Handler] = {
    "get_campaigns": get_campaigns,
    "create_campaign": create_campaign,
    "get_campaign": get_campaign,
    "update_campaign": update_campaign,
    "delete_campaign": delete_campaign,
    "get_messages_for_campaign": get_messages_for_campaign,
    "get_message_ids_for_campaign": get_message_ids_for_campaign,
    "get_campaign_message": get_campaign_message,
    "update_campaign_message": update_campaign_message,
    "assign_template_to_campaign_message": assign_template_to_campaign_message,
    "get_template_for_campaign_message": get_template_for_campaign_message,
    "get_template_id_for_campaign_message": get_template_id_for_campaign_message,
    "get_campaign_for_campaign_message": get_campaign_for_campaign_message,
    "get_campaign_id_for_campaign_message": get_campaign_id_for_campaign_message,
}
