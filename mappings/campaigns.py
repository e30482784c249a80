"""Legacy v1 campaigns (legacy-endpoints.md §B) on the new campaigns API (new-api-mapping.md §2 B).

B1 (list) and B3 (read) live here; B2/B4 in ``campaign_writes``, B5-B9 in ``campaign_actions``.
``OPERATIONS`` declares all nine for the registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from mappings import protocol
from mappings.base import (
    CollectAll,
    Collected,
    Family,
    Fidelity,
    LegacyReply,
    LegacyRequest,
    Operation,
    Plan,
    UpstreamError,
    declare,
)
from mappings.campaign_actions import (
    cancel_campaign,
    clone_campaign,
    get_campaign_recipients,
    schedule_campaign,
    send_campaign,
)
from mappings.campaign_objects import (
    campaign_message,
    distinct_audience_ids,
    index_resources,
    legacy_campaign,
)
from mappings.campaign_steps import (
    AUDIENCE_UPSTREAM,
    audience_calls,
    audience_objects,
    campaign_answer,
    fetch_audiences,
    read_campaign,
)
from mappings.campaign_writes import create_campaign, update_campaign
from mappings.offset_pages import BadPaging, parse_offset_page

__all__ = ["OPERATIONS", "audience_calls", "audience_objects"]

DOCS = protocol.DOCS

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


@declare(
    id="B1",
    name="get_campaigns",
    method="GET",
    path="/api/v1/campaigns",
    family=Family.V1,
    upstream=("get_campaigns", *AUDIENCE_UPSTREAM),
    fidelity=Fidelity.LOSSY,
    successor=DOCS + "get_campaigns",
    lost=(
        "num_recipients is null (the new API has no cheap recipient count); person_count of "
        "lists/segments is null (profile_count is limited to 1 request/s); status_id is known only for "
        "sent (1) and draft (2), null otherwise; send_time/sent_at come from the campaign's send time "
        "(approximate); campaign_type is Regular unless the send is throttled (Batch); is_segmented is "
        "always false; template_id is the campaign's own copy of the template, not the ID originally "
        "assigned; deleted lists/segments are left out of lists/excluded_lists; only email campaigns, "
        "at most the newest 10,000; pages may be up to the collection-cache TTL stale."
    ),
    max_upstream_calls=(
        "P + 2*ceil(A/10): P = cursor pages of 100 email campaigns (0 while the enumeration is "
        "cached, at most 100), A = distinct lists/segments used by the campaigns of the requested page"
    ),
)
def get_campaigns(req: LegacyRequest) -> Plan:
    """List email campaigns, newest first, in legacy v1 page/count pages with totals.

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
    campaigns = [c for c in collected.data if isinstance(c, Mapping)]
    window = paging.slice(campaigns)
    audiences = yield from fetch_audiences(distinct_audience_ids(window))
    included = index_resources(collected.included)
    data = [legacy_campaign(c, campaign_message(c, included), audiences) for c in window]
    return LegacyReply.json_body(paging.envelope(len(campaigns), data))


@declare(
    id="B3",
    name="get_campaign_info",
    method="GET",
    path="/api/v1/campaign/{campaign_id}",
    family=Family.V1,
    upstream=("get_campaign", *AUDIENCE_UPSTREAM),
    fidelity=Fidelity.LOSSY,
    successor=DOCS + "get_campaign",
    lost=(
        "As in B1: num_recipients and person_count are null, status_id is known only for sent and "
        "draft, send_time/sent_at are approximate, campaign_type is a guess, is_segmented is false, "
        "template_id is the campaign's own copy of the template, deleted lists/segments are left out."
    ),
    max_upstream_calls="1 + 2*ceil(A/10): A = the campaign's included and excluded lists/segments",
)
def get_campaign(req: LegacyRequest) -> Plan:
    """Return one campaign as a legacy v1 campaign object.

    Reads GET /api/campaigns/{id} with its message included (subject, sender, message type,
    template), then looks up its included and excluded audiences with GET /api/lists and
    GET /api/segments (filter any(id,[...]), 10 IDs per call). An unknown ID answers 404
    "The requested resource does not exist.".
    """
    try:
        campaign, message = yield from read_campaign(req.path_params["campaign_id"])
        answer = yield from campaign_answer(campaign, message)
    except UpstreamError as err:
        return protocol.translate_error(Family.V1, err.reply)
    return LegacyReply.json_body(answer)


OPERATIONS: tuple[Operation, ...] = (
    get_campaigns,
    create_campaign,
    get_campaign,
    update_campaign,
    send_campaign,
    schedule_campaign,
    cancel_campaign,
    clone_campaign,
    get_campaign_recipients,
)
