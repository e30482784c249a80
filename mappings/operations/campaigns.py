"""Legacy v1 campaigns (legacy-endpoints.md §B) on the new campaigns API (new-api-mapping.md §2 B).

Declares the campaign resource itself: B1 (list), B2 (create), B3 (read) and B4 (update), whose
write steps are ``mappings.translate.campaign_writes``. The actions on one campaign (B5-B9: send,
schedule, cancel, clone, recipients) are their own family, ``mappings.operations.campaign_actions``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from mappings import protocol
from mappings.core import (
    Call,
    CollectAll,
    Collected,
    Family,
    Fidelity,
    LegacyReply,
    LegacyRequest,
    Plan,
    Reply,
    UpstreamBound,
    UpstreamError,
)
from mappings.core.declarer import Declarer
from mappings.translate.campaign_objects import (
    campaign_message,
    distinct_audience_ids,
    index_resources,
    legacy_campaign,
    newest_first,
)
from mappings.translate.campaign_steps import (
    AUDIENCE_UPSTREAM,
    campaign_answer,
    fetch_audiences,
    read_campaign,
    resource,
    rollback,
)
from mappings.translate.campaign_writes import (
    CampaignFields,
    apply_updates,
    assign_call,
    assigned_message,
    create_body,
    first_message_id,
)
from mappings.translate.counts import MAX_AUDIENCE_LOOKUPS, MAX_CAMPAIGN_LOOKUPS, recipient_counts
from mappings.translate.form_values import BadInput
from mappings.translate.offset_pages import BadPaging, parse_offset_page

ops = Declarer(Family.V1)
MAX_COUNT_LOOKUPS: Final = MAX_AUDIENCE_LOOKUPS + MAX_CAMPAIGN_LOOKUPS

# Every email campaign, newest first, with its message(s). No sparse fieldsets: the spec
# lists only attributes in ``fields[campaign]`` / ``fields[campaign-message]``, and under
# JSON:API rules a fieldset would also drop the relationships that link a campaign to its
# message and the message to its template.
CAMPAIGNS_QUERY: Final[Mapping[str, str]] = MappingProxyType(
    {
        "filter": "equals(messages.channel,'email')",
        "sort": "-created_at",
        "include": "campaign-messages",
        "page[size]": "100",  # the spec's maximum
    }
)
MAX_CAMPAIGN_PAGES: Final = 100  # 10 000 campaigns
WRITE_LOST: Final = (
    "template_id is the template the caller assigned; the campaign really uses a private copy of it "
    "(B1/B3 report the copy's ID). Otherwise as B3: num_recipients and person_count from the count "
    "cache, status_id only for sent/draft, campaign_type a guess, is_segmented false."
)


@ops.declare(
    "B1",
    "get_campaigns",
    "GET",
    "/api/v1/campaigns",
    upstream=("get_campaigns", *AUDIENCE_UPSTREAM),
    fidelity=Fidelity.LOSSY,
    successor="get_campaigns",
    lost="num_recipients and the lists' person_count come from a per-account count cache, re-read "
    "within rate budgets (drafts: the recipient estimation; sent campaigns: recipients in the "
    "campaign values report over the last 12 months; lists: profile_count), so they may be up to "
    "count_max_age old, or older (0 before the first read) while a budget is spent; status_id is "
    "known only for sent (1) and draft (2), null otherwise; send_time/sent_at come from the "
    "campaign's send time (approximate); campaign_type is Regular unless the send is throttled "
    "(Batch); is_segmented is always false; template_id is the campaign's own copy of the "
    "template, not the ID originally assigned; deleted lists/segments are left out of "
    "lists/excluded_lists; only email campaigns, at most the newest 10,000; pages may be up to "
    "the collection-cache TTL stale for changes not made through klaviyo-compat.",
    max_upstream_calls=UpstreamBound(
        0,
        None,
        "P + 2*ceil(A/10) + L: P = cursor pages of 100 email campaigns (0 while the enumeration is "
        "cached, at most 100), A = distinct lists/segments used by the campaigns of the requested "
        "page, L = count lookups for stale counts within their per-account budgets (at most 10 "
        "profile_count, 60 recipient estimations, 5 metric reads and 1 values report a minute)",
    ),
)
def get_campaigns(req: LegacyRequest) -> Plan:
    """List email campaigns, newest first (campaigns created within the same second: the one
    created last first), in legacy v1 page/count pages with totals.

    Walks every page of GET /api/campaigns (email channel, newest first, messages included;
    the enumeration is cached briefly so later pages do not walk it again), slices the
    requested page, then looks up the page's included and excluded audiences with
    GET /api/lists and GET /api/segments (filter any(id,[...]), 10 IDs per call). Subject,
    sender and message type come from each campaign's email message.
    """
    try:
        paging = parse_offset_page(req)
    except BadPaging as exc:
        return protocol.bad_request(Family.V1, str(exc))
    collected: Collected = yield CollectAll(
        "get_campaigns", query=CAMPAIGNS_QUERY, max_pages=MAX_CAMPAIGN_PAGES
    )
    campaigns = newest_first([c for c in collected.data if isinstance(c, Mapping)])
    window = paging.slice(campaigns)
    audiences = yield from fetch_audiences(distinct_audience_ids(window))
    recipients = yield from recipient_counts(window, req.now)
    included = index_resources(collected.included)
    data = [
        legacy_campaign(
            c, campaign_message(c, included), audiences, num_recipients=recipients.get(c["id"], 0)
        )
        for c in window
    ]
    return LegacyReply.json_body(paging.envelope(len(campaigns), data))


@ops.declare(
    "B2",
    "create_campaign",
    "POST",
    "/api/v1/campaigns",
    upstream=(
        "create_campaign",
        "assign_template_to_campaign_message",
        "delete_campaign",
        *AUDIENCE_UPSTREAM,
    ),
    fidelity=Fidelity.LOSSY,
    successor="create_campaign",
    lost=WRITE_LOST,
    max_upstream_calls=UpstreamBound(
        4,
        MAX_COUNT_LOOKUPS,
        "4: create, template assignment, one get_lists and one get_segments for the list; plus the "
        "count lookups of the answer (profile_count of the list, the draft's recipient estimation), "
        "within their budgets",
    ),
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
    created: Reply = yield Call(
        "create_campaign", body=body, expect=(200, 201), dry_run_attributes={"status": "Draft"}
    )
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
    answer = yield from campaign_answer(
        campaign, assigned_message(assigned, sent), now=req.now, template_id=template_id
    )
    return LegacyReply.json_body(answer)


@ops.declare(
    "B3",
    "get_campaign_info",
    "GET",
    "/api/v1/campaign/{campaign_id}",
    upstream=("get_campaign", *AUDIENCE_UPSTREAM),
    fidelity=Fidelity.LOSSY,
    successor="get_campaign",
    lost="As in B1: num_recipients and person_count come from the count cache, status_id is known "
    "only for sent and "
    "draft, send_time/sent_at are approximate, campaign_type is a guess, is_segmented is false, "
    "template_id is the campaign's own copy of the template, deleted lists/segments are left out.",
    max_upstream_calls=UpstreamBound(
        1, None, "1 + 2*ceil(A/10): A = the campaign's included and excluded lists/segments"
    ),
)
def get_campaign(req: LegacyRequest) -> Plan:
    """Return one campaign as a legacy v1 campaign object.

    Reads GET /api/campaigns/{id} with its message included (subject, sender, message type,
    template), then looks up its included and excluded audiences with GET /api/lists and
    GET /api/segments (filter any(id,[...]), 10 IDs per call). An unknown ID answers 404
    "The requested resource does not exist.".
    """
    campaign, message = yield from read_campaign(req.path_params["campaign_id"])
    answer = yield from campaign_answer(campaign, message, now=req.now)
    return LegacyReply.json_body(answer)


@ops.declare(
    "B4",
    "update_campaign",
    "PUT",
    "/api/v1/campaign/{campaign_id}",
    upstream=(
        "get_campaign",
        "update_campaign",
        "update_campaign_message",
        "assign_template_to_campaign_message",
        *AUDIENCE_UPSTREAM,
    ),
    fidelity=Fidelity.LOSSY,
    successor="update_campaign",
    lost=WRITE_LOST + " The steps are not atomic: if one fails, the earlier ones stay applied.",
    max_upstream_calls=UpstreamBound(
        4, None, "4 + 2*ceil(A/10): read, up to three writes, A = the campaign's lists/segments"
    ),
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
        campaign, message = yield from apply_updates(campaign_id, fields, campaign, message)
        answer = yield from campaign_answer(campaign, message, now=req.now, template_id=fields.template_id)
    except BadInput as exc:
        return protocol.bad_request(Family.V1, str(exc))
    return LegacyReply.json_body(answer)
