"""Upstream steps every campaign mapping shares: read a campaign, resolve its audiences, roll back.

These are sub-plans (``yield from`` them inside a plan): they yield steps like a plan and
return a value instead of a ``LegacyReply``. Upstream errors propagate to the caller.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Generator, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final, TypeAlias, TypeVar

from mappings.core import Call, Gather, Reply, Step, UpstreamError
from mappings.translate.campaign_objects import (
    audience_ids,
    campaign_message,
    index_resources,
    legacy_campaign,
    legacy_list,
)
from mappings.translate.counts import (
    AUDIENCE_COUNT_UPSTREAM,
    CAMPAIGN_COUNT_UPSTREAM,
    recipient_counts,
    with_person_counts,
)

T = TypeVar("T")
SubPlan: TypeAlias = Generator[Step, Any, T]

# One campaign with its message(s). No sparse fieldsets: they would drop the relationships
# that link the campaign to its message and the message to its template (see B1).
CAMPAIGN_QUERY: Final[Mapping[str, str]] = MappingProxyType({"include": "campaign-messages"})

# get_lists / get_segments: page[size] max 10, so one any(id,[...]) filter per 10 IDs
# always fits one page.
AUDIENCE_BATCH: Final = 10
AUDIENCE_OPS: Final = (("get_lists", "list"), ("get_segments", "segment"))
# Audience lookups plus the count lookups of every legacy campaign answer (person_count of its
# lists, its num_recipients).
AUDIENCE_UPSTREAM: Final = ("get_lists", "get_segments", *AUDIENCE_COUNT_UPSTREAM, *CAMPAIGN_COUNT_UPSTREAM)


def resource(reply: Reply) -> Mapping[str, Any]:
    """``data`` of a single-resource reply ({} when absent)."""
    body = reply.body if isinstance(reply.body, Mapping) else {}
    data = body.get("data")
    return data if isinstance(data, Mapping) else {}


def merged(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> Mapping[str, Any]:
    """A resource after a write: ``after`` over ``before``, nested objects merged.

    Real PATCH answers carry the whole resource (the merge changes nothing); a dry-run's
    simulated answer echoes only the fields sent, which keeps the rest of ``before``.
    """
    if not after:
        return before or {}
    out = dict(before or {})
    for key, value in after.items():
        old = out.get(key)
        both = isinstance(old, Mapping) and isinstance(value, Mapping)
        out[key] = merged(old, value) if both else value
    return out


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


def audience_objects(replies: Sequence[Reply]) -> dict[str, dict[str, Any]]:
    """Legacy list objects by ID from the get_lists / get_segments replies."""
    out: dict[str, dict[str, Any]] = {}
    for reply in replies:
        body = reply.body if isinstance(reply.body, Mapping) else {}
        data = body.get("data")
        for res in data if isinstance(data, list) else []:
            if isinstance(res, Mapping) and isinstance(res.get("id"), str):
                out.setdefault(res["id"], legacy_list(res))
    return out


def fetch_audiences(ids: Sequence[str]) -> SubPlan[dict[str, Mapping[str, Any]]]:
    """Legacy list objects, person_count included, for list/segment IDs (no call when there are none)."""
    if not ids:
        return {}
    replies: list[Reply] = yield Gather(audience_calls(ids))
    audiences = audience_objects(replies)
    yield from with_person_counts(audiences.values())
    return dict(audiences)


def read_campaign(campaign_id: str) -> SubPlan[tuple[Mapping[str, Any], Mapping[str, Any] | None]]:
    """GET /api/campaigns/{id}?include=campaign-messages -> (campaign, its message or None)."""
    reply: Reply = yield Call("get_campaign", path_params={"id": campaign_id}, query=CAMPAIGN_QUERY)
    body = reply.body if isinstance(reply.body, Mapping) else {}
    included = body.get("included")
    campaign = resource(reply)
    return campaign, campaign_message(
        campaign, index_resources(included if isinstance(included, list) else [])
    )


def campaign_answer(
    campaign: Mapping[str, Any],
    message: Mapping[str, Any] | None,
    *,
    now: datetime,
    template_id: str | None = None,
) -> SubPlan[dict[str, Any]]:
    """The legacy campaign object, with its included and excluded lists/segments and counts looked up."""
    included, excluded = audience_ids(campaign)
    audiences = yield from fetch_audiences(list(dict.fromkeys((*included, *excluded))))
    recipients = yield from recipient_counts([campaign], now)
    count = recipients.get(str(campaign.get("id")), 0)
    return legacy_campaign(campaign, message, audiences, template_id=template_id, num_recipients=count)


def rollback(campaign_id: str) -> SubPlan[None]:
    """Best-effort DELETE of a campaign this request created, after a later step failed."""
    with contextlib.suppress(UpstreamError):  # the caller reports the original failure
        yield Call("delete_campaign", path_params={"id": campaign_id})
