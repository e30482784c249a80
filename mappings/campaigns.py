"""Legacy v1 campaigns (legacy-endpoints.md §B) on the new campaigns API (new-api-mapping.md §2 B)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

from mappings import protocol
from mappings.base import (
    Call,
    CollectAll,
    Collected,
    Family,
    Fidelity,
    Gather,
    LegacyReply,
    LegacyRequest,
    Operation,
    Plan,
    Reply,
    declare,
)
from mappings.campaign_objects import (
    campaign_message,
    distinct_audience_ids,
    index_resources,
    legacy_campaign,
    legacy_list,
)
from mappings.offset_pages import BadPaging, parse_offset_page

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

# get_lists / get_segments: page[size] max 10, so one any(id,[...]) filter per 10 IDs
# always fits one page.
AUDIENCE_BATCH: Final = 10
AUDIENCE_OPS: Final = (("get_lists", "list"), ("get_segments", "segment"))


def audience_calls(ids: Sequence[str]) -> tuple[Call, ...]:
    """One get_lists and one get_segments call per batch of 10 IDs (an ID is one or the other)."""
    calls: list[Call] = []
    for op, kind in AUDIENCE_OPS:
        for at in range(0, len(ids), AUDIENCE_BATCH):
            batch = list(ids[at : at + AUDIENCE_BATCH])
            query = {
                "filter": f"any(id,{json.dumps(batch, separators=(',', ':'))})",
                "page[size]": str(AUDIENCE_BATCH),
                f"fields[{kind}]": "name,created,updated",
            }
            calls.append(Call(op, query=query, expect=(200,)))
    return tuple(calls)


def audience_objects(replies: Sequence[Reply]) -> dict[str, Mapping[str, Any]]:
    """Legacy list objects by ID from the get_lists / get_segments replies."""
    out: dict[str, Mapping[str, Any]] = {}
    for reply in replies:
        body = reply.body if isinstance(reply.body, Mapping) else {}
        data = body.get("data")
        for resource in data if isinstance(data, list) else []:
            if isinstance(resource, Mapping) and isinstance(resource.get("id"), str):
                out.setdefault(resource["id"], legacy_list(resource))
    return out


@declare(
    id="B1",
    name="get_campaigns",
    method="GET",
    path="/api/v1/campaigns",
    family=Family.V1,
    upstream=("get_campaigns", "get_lists", "get_segments"),
    fidelity=Fidelity.LOSSY,
    successor="https://developers.klaviyo.com/en/reference/get_campaigns",
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
    ids = distinct_audience_ids(window)
    audiences: dict[str, Mapping[str, Any]] = {}
    if ids:
        replies: list[Reply] = yield Gather(audience_calls(ids))
        audiences = audience_objects(replies)
    included = index_resources(collected.included)
    data = [legacy_campaign(c, campaign_message(c, included), audiences) for c in window]
    return LegacyReply.json_body(paging.envelope(len(campaigns), data))


OPERATIONS: tuple[Operation, ...] = (get_campaigns,)
