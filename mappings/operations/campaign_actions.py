"""B5-B9: the actions on one v1 campaign, send, schedule, cancel, clone, recipients (new-api-mapping.md §2 B).

Sending is asynchronous in the new API (a campaign-send-job, 202); legacy answered
``{"status": "queued"}`` too, so nothing is lost there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from mappings import protocol
from mappings.core import (
    Call,
    CollectAll,
    Collected,
    CollectPages,
    Family,
    Fidelity,
    LegacyReply,
    LegacyRequest,
    LoadToken,
    Plan,
    Reply,
    SaveToken,
    UpstreamBound,
    UpstreamError,
)
from mappings.core.declarer import Declarer
from mappings.translate import form_values
from mappings.translate.campaign_objects import CANCELLED, SENT_STATUSES
from mappings.translate.campaign_recipients import (
    APPROXIMATE_HEADER,
    FROM_ESTIMATE,
    FROM_EVENTS,
    MAX_EVENT_PAGES,
    BadRecipientsQuery,
    event_pages,
    events_query,
    parse_count,
    parse_sort,
    received_metric_id,
    recipient_rows,
)
from mappings.translate.campaign_steps import (
    AUDIENCE_UPSTREAM,
    SubPlan,
    campaign_answer,
    read_campaign,
    resource,
    rollback,
)
from mappings.translate.counts import count_of
from mappings.translate.datetimes import parse_iso
from mappings.translate.form_values import BadInput

ops = Declarer(Family.V1)
QUEUED: Final = {"status": "queued"}


def _attributes(reply: Reply) -> Mapping[str, Any]:
    attributes = resource(reply).get("attributes")
    return attributes if isinstance(attributes, Mapping) else {}


def strategy_call(campaign_id: str, strategy: Mapping[str, Any]) -> Call:
    body = {"data": {"type": "campaign", "id": campaign_id, "attributes": {"send_strategy": dict(strategy)}}}
    return Call("update_campaign", path_params={"id": campaign_id}, body=body, expect=(200,))


def send_job_call(campaign_id: str) -> Call:
    body = {"data": {"type": "campaign-send-job", "id": campaign_id}}
    return Call("send_campaign", body=body, expect=(200, 201, 202))


def queue_send(campaign_id: str, strategy: Mapping[str, Any] | None) -> Plan:
    """B5/B6's last steps: set ``strategy`` (unless None), start the send job, answer "queued"."""
    if strategy is not None:
        yield strategy_call(campaign_id, strategy)
    yield send_job_call(campaign_id)
    return LegacyReply.json_body(dict(QUEUED))


def parse_send_time(raw: Any, now: datetime) -> str:
    """Legacy ``YYYY-MM-DD HH:MM:SS`` (UTC) or ISO 8601 -> ISO UTC; must be in the future."""
    if raw is None or raw == "":
        raise BadInput("The 'send_time' parameter is required.")
    try:
        moment = parse_iso(str(raw))
    except ValueError:
        raise BadInput(
            f"Invalid send_time {raw!r}: use 'YYYY-MM-DD HH:MM:SS' in UTC (or ISO 8601)."
        ) from None
    if moment <= now:
        raise BadInput(f"Invalid send_time {raw!r}: the send time must be in the future.")
    return moment.isoformat(timespec="seconds")


@ops.declare(
    "B5",
    "send_campaign",
    "POST",
    "/api/v1/campaign/{campaign_id}/send",
    upstream=("get_campaign", "update_campaign", "send_campaign"),
    fidelity=Fidelity.EXACT,
    successor="send_campaign",
    max_upstream_calls=UpstreamBound(
        3, text="3: read the send strategy, make it immediate if needed, start the send job"
    ),
)
def send_campaign(req: LegacyRequest) -> Plan:
    """Queue a campaign for immediate delivery and answer {"status": "queued"}.

    Reads the campaign's send strategy (GET /api/campaigns/{id}?fields[campaign]=send_strategy),
    sets it to immediate with PATCH /api/campaigns/{id} when it was anything else, then starts
    POST /api/campaign-send-jobs. Delivery runs asynchronously, as it did in legacy.
    """
    campaign_id = req.path_params["campaign_id"]
    found: Reply = yield Call(
        "get_campaign", path_params={"id": campaign_id}, query={"fields[campaign]": "send_strategy"}
    )
    strategy = _attributes(found).get("send_strategy")
    method = strategy.get("method") if isinstance(strategy, Mapping) else None
    immediate = None if method == "immediate" else {"method": "immediate"}
    return (yield from queue_send(campaign_id, immediate))


@ops.declare(
    "B6",
    "schedule_campaign",
    "POST",
    "/api/v1/campaign/{campaign_id}/schedule",
    upstream=("update_campaign", "send_campaign"),
    fidelity=Fidelity.EXACT,
    successor="send_campaign",
    max_upstream_calls=2,
)
def schedule_campaign(req: LegacyRequest) -> Plan:
    """Schedule a campaign for send_time and answer {"status": "queued"}.

    send_time is 'YYYY-MM-DD HH:MM:SS' in UTC (ISO 8601 with an offset is accepted too) and must be
    in the future, else 400 before any upstream call. Sets a static send strategy with
    PATCH /api/campaigns/{id} (send_strategy method static, the time in UTC, not local), then
    starts POST /api/campaign-send-jobs, which schedules it. The new API changes only drafts: a
    campaign already scheduled answers 400 (cancel it first).
    """
    campaign_id = req.path_params["campaign_id"]
    try:
        when = parse_send_time(form_values.text(req, "send_time"), req.now)
    except BadInput as exc:
        return protocol.bad_request(Family.V1, str(exc))
    strategy = {"method": "static", "datetime": when, "options": {"is_local": False}}
    return (yield from queue_send(campaign_id, strategy))


@ops.declare(
    "B7",
    "cancel_campaign",
    "POST",
    "/api/v1/campaign/{campaign_id}/cancel",
    upstream=("cancel_campaign_send", "get_campaign", *AUDIENCE_UPSTREAM),
    fidelity=Fidelity.LOSSY,
    successor="cancel_campaign_send",
    lost="Only a campaign with a send job (scheduled or sending) can be cancelled; a draft answers 400 "
    "where legacy marked it cancelled. The answer reads status cancelled as soon as the cancel is "
    "accepted (the new API finishes it asynchronously). Otherwise as B3.",
    max_upstream_calls=UpstreamBound(
        2, None, "2 + 2*ceil(A/10): cancel, read, A = the campaign's lists/segments"
    ),
)
def cancel_campaign(req: LegacyRequest) -> Plan:
    """Cancel a scheduled or sending campaign and answer the campaign object with status cancelled.

    PATCH /api/campaign-send-jobs/{id} with action "cancel" (not "revert", which would make it a
    draft again), then builds the answer as B3 (GET /api/campaigns/{id}, lists and segments). When
    the campaign has no send job to cancel, GET /api/campaigns/{id} tells an unknown campaign (404)
    from one that was never scheduled (400).
    """
    campaign_id = req.path_params["campaign_id"]
    body = {"data": {"type": "campaign-send-job", "id": campaign_id, "attributes": {"action": "cancel"}}}
    try:
        yield Call("cancel_campaign_send", path_params={"id": campaign_id}, body=body)
    except UpstreamError as err:
        if err.reply.status != 404:
            return protocol.translate_error(Family.V1, err.reply)
        probe: Reply = yield Call(
            "get_campaign", path_params={"id": campaign_id}, query={"fields[campaign]": "status"}
        )
        status = _attributes(probe).get("status")
        return protocol.bad_request(
            Family.V1,
            f"Campaign {campaign_id} ({status}) is not scheduled or sending, so there is nothing to "
            "cancel: the new Klaviyo API cancels only a campaign's send job.",
        )
    campaign, message = yield from read_campaign(campaign_id)
    answer = yield from campaign_answer(campaign, message, now=req.now)
    answer["status"], answer["status_id"], answer["status_label"] = CANCELLED
    return LegacyReply.json_body(answer)


@ops.declare(
    "B8",
    "clone_campaign",
    "POST",
    "/api/v1/campaign/{campaign_id}/clone",
    upstream=(
        "create_campaign_clone",
        "update_campaign",
        "delete_campaign",
        "get_campaign",
        *AUDIENCE_UPSTREAM,
    ),
    fidelity=Fidelity.LOSSY,
    successor="create_campaign_clone",
    lost="As B3 (the clone's template_id is its own copy of the template).",
    max_upstream_calls=UpstreamBound(
        3, None, "3 + 2*ceil(A/10): clone, set the list, read, A = the clone's lists/segments"
    ),
)
def clone_campaign(req: LegacyRequest) -> Plan:
    """Copy a campaign as a new draft named name, sent to list_id (both required, else 400).

    POST /api/campaign-clone with the new name, PATCH /api/campaigns/{new id} to include list_id
    (excluded lists are kept from the original); if that fails the clone is deleted again
    (DELETE /api/campaigns/{new id}) and the error answered. The answer is the new campaign as
    in B3 (GET /api/campaigns/{new id}, lists and segments).
    """
    campaign_id = req.path_params["campaign_id"]
    try:
        name = form_values.text(req, "name", required=True)
        list_id = form_values.text(req, "list_id", required=True)
    except BadInput as exc:
        return protocol.bad_request(Family.V1, str(exc))
    body = {"data": {"type": "campaign", "id": campaign_id, "attributes": {"new_name": name}}}
    cloned: Reply = yield Call("create_campaign_clone", body=body, expect=(200, 201))
    new_id = str(resource(cloned).get("id") or "")
    if not new_id:
        return protocol.error(Family.V1, 502, "The campaign clone came back without an ID.")
    patch = {"data": {"type": "campaign", "id": new_id, "attributes": {"audiences": {"included": [list_id]}}}}
    try:
        yield Call("update_campaign", path_params={"id": new_id}, body=patch, expect=(200,))
    except UpstreamError as err:
        yield from rollback(new_id)
        return protocol.translate_error(Family.V1, err.reply)
    campaign, message = yield from read_campaign(new_id)
    answer = yield from campaign_answer(campaign, message, now=req.now)
    return LegacyReply.json_body(answer)


B9_UNSUPPORTED: Final = protocol.unsupported(
    Family.V1,
    "Listing a campaign's recipients (GET /api/v1/campaign/{id}/recipients)",
    "the estimated recipient count, GET /api/campaign-recipient-estimations/{id} (after POST "
    "/api/campaign-recipient-estimation-jobs). An operator can opt in to approximate answers "
    "(setting approximate_recipients = true: sent campaigns from their Received Email events, "
    "drafts as the estimated count with no recipients)",
    protocol.DOCS + "get_campaign_recipient_estimation",
)
B9_PAGES: Final = 10  # get_metrics pages read to find "Received Email" (100 metrics)


def _approximate(body: dict[str, Any], how: str) -> LegacyReply:
    return LegacyReply(status=200, body=body, headers={APPROXIMATE_HEADER: how})


@ops.declare(
    "B9",
    "get_campaign_recipients",
    "GET",
    "/api/v1/campaign/{campaign_id}/recipients",
    upstream=("get_campaign", "get_campaign_recipient_estimation", "get_metrics", "get_events"),
    fidelity=Fidelity.UNSUPPORTED,
    successor="get_campaign_recipient_estimation",
    lost="By default everything (501): the new API has no per-recipient list (email, status, "
    "customer_id, variation_id). With approximate_recipients on: a sent campaign's list is rebuilt "
    "from its Received Email events (recipients whose event was not recorded, or was deleted, are "
    "missing; status is always Sent; variation_id is null; total counts the recipients listed so "
    "far); a draft answers no recipients and its estimated count as total. Each answer carries "
    "the X-Compat-Approximate header saying which.",
    max_upstream_calls=UpstreamBound(
        0,
        1 + B9_PAGES + MAX_EVENT_PAGES,
        "0 by default (501). Opted in: first page: get_campaign, then the recipient estimation "
        "(draft) or up to 10 get_metrics pages and at most count/1000 (max 25) get_events pages "
        "(sent); later pages (offset): the get_events pages only",
    ),
)
def get_campaign_recipients(req: LegacyRequest) -> Plan:
    """Not supported by default: answers 501 naming the successor (the estimated recipient count).
    With the operator's opt-in approximate_recipients = true, answers the legacy {"object": "$list",
    "data": [{"email", "status", "customer_id", "variation_id"}], "count", "total", "next_offset"}
    approximately: for a sent campaign, from its "Received Email" events (GET /api/metrics to find
    that metric, then GET /api/events filtered on it since an hour before the send time with the
    profile's email, keeping events whose $message is the campaign or its message; count default
    5000, max 25000, sort asc/desc by event time, next_offset to resume); for a campaign not sent
    yet, an empty page
    whose total is GET /api/campaign-recipient-estimations/{id}. Every page carries the
    X-Compat-Approximate header. An unknown campaign answers 404, an expired offset 400."""
    if protocol.APPROXIMATE_RECIPIENTS not in req.opt_ins:
        return B9_UNSUPPORTED
    campaign_id = req.path_params["campaign_id"]
    try:
        count = parse_count(req.get("count"))
        sort = parse_sort(req.get("sort"))
    except BadRecipientsQuery as exc:
        return protocol.bad_request(Family.V1, str(exc))
    size, pages = event_pages(count)
    offset = req.get("offset")
    if offset not in (None, ""):
        saved: Any = yield LoadToken(str(offset))
        if not isinstance(saved, Mapping) or saved.get("campaign") != campaign_id:
            return protocol.bad_request(Family.V1, f"Invalid or expired offset '{offset}'.")
        walk = _Walk(
            dict(saved["query"]), list(saved["messages"]), str(saved["cursor"]), int(saved["listed"])
        )
        walk.query["page[size]"] = str(size)
    else:
        start = yield from _first_page(campaign_id, sort, size)
        if isinstance(start, LegacyReply):
            return start
        walk = start
    query, message_ids, cursor, listed = walk.query, walk.messages, walk.cursor, walk.listed
    events: Collected = yield CollectPages("get_events", query=query, cursor=cursor, max_pages=pages)
    rows = recipient_rows(events.data, events.included, message_ids)
    listed += len(rows)
    body: dict[str, Any] = {"object": "$list", "data": rows, "count": len(rows), "total": listed}
    if events.next_cursor is not None:
        state = {
            "campaign": campaign_id,
            "query": query,
            "cursor": events.next_cursor,
            "messages": message_ids,
            "listed": listed,
        }
        body["next_offset"] = yield SaveToken(state)
    return _approximate(body, FROM_EVENTS)


@dataclass
class _Walk:
    """Where a B9 recipients walk stands: the events query, the campaign's message IDs, the cursor."""

    query: dict[str, str]
    messages: list[str]
    cursor: str | None = None
    listed: int = 0


def _first_page(campaign_id: str, sort: str, size: int) -> SubPlan[_Walk | LegacyReply]:
    """Read the campaign: a draft answers its estimate; a sent campaign starts its events walk."""
    campaign, message = yield from read_campaign(campaign_id)
    attributes = campaign.get("attributes")
    attributes = attributes if isinstance(attributes, Mapping) else {}
    if attributes.get("status") not in SENT_STATUSES:
        estimate: Reply = yield Call(
            "get_campaign_recipient_estimation", path_params={"id": campaign_id}, expect=(200, 404)
        )
        total = count_of(_estimated(estimate))
        return _approximate({"object": "$list", "data": [], "count": 0, "total": total}, FROM_ESTIMATE)
    metrics: Collected = yield CollectAll("get_metrics", query={"fields[metric]": "name"}, max_pages=B9_PAGES)
    metric_id = received_metric_id(metrics.data)
    if metric_id is None:
        return _approximate({"object": "$list", "data": [], "count": 0, "total": 0}, FROM_EVENTS)
    since = attributes.get("send_time") or attributes.get("created_at")
    query = events_query(metric_id, since if isinstance(since, str) else None, sort, size)
    return _Walk(query, [campaign_id, *([str(message["id"])] if message and message.get("id") else [])])


def _estimated(reply: Reply) -> Any:
    if reply.status != 200 or not isinstance(reply.body, Mapping):
        return None
    data = reply.body.get("data")
    attributes = data.get("attributes") if isinstance(data, Mapping) else None
    return attributes.get("estimated_recipient_count") if isinstance(attributes, Mapping) else None
