"""Campaign side operations: send jobs (send, poll, cancel/revert), clone, recipient estimation.

Sending is instantaneous here: an immediate send marks the campaign ``Sent`` and records a
"Received" event per recipient (``campaign_delivery``); any other send strategy marks it
``Scheduled`` (cancel -> ``Cancelled``, revert -> ``Draft``).
"""

from __future__ import annotations

import copy
from typing import Any

from starlette.responses import Response

from proxy.sandbox import body
from proxy.sandbox.campaign_delivery import recipients, record_delivery
from proxy.sandbox.campaign_view import CAMPAIGN_FIELDS, render_campaign
from proxy.sandbox.campaigns import find_campaign
from proxy.sandbox.errors import invalid, not_found
from proxy.sandbox.jsonapi import Ctx, empty, resource, respond, single
from proxy.sandbox.models import Campaign, CampaignMessage, Job
from proxy.sandbox.operation import Handler
from proxy.sandbox.params import fieldset

SEND_JOB = "campaign-send-job"
ESTIMATION_JOB = "campaign-recipient-estimation-job"


def _job_document(ctx: Ctx, job: Job, collection: str, status: str | None = None) -> dict[str, Any]:
    attrs = {"status": status or job.status}
    return single(ctx, resource(ctx, job.kind, job.id, attrs, collection=collection))


def send_campaign(ctx: Ctx) -> Response:
    data = body.data_object(ctx.body, SEND_JOB, need_id=True)
    campaign = find_campaign(ctx, str(data["id"]))
    if campaign.status != "Draft":
        raise invalid(
            f"Campaign {campaign.id} is '{campaign.status}' and cannot be sent.", pointer="/data/id"
        )
    stamp = ctx.store.now()
    strategy = campaign.send_strategy
    if strategy.get("method") == "immediate":
        campaign.status, campaign.send_time, final = "Sent", stamp, "complete"
        record_delivery(ctx.store, campaign)
    else:
        campaign.status, campaign.scheduled_at, final = "Scheduled", stamp, "queued"
        campaign.send_time = strategy.get("datetime") or strategy.get("date")
    campaign.updated_at = stamp
    job = Job(campaign.id, SEND_JOB, final, stamp)
    ctx.store.jobs[(SEND_JOB, job.id)] = job
    return respond(_job_document(ctx, job, "campaign-send-jobs", "queued"), 202)


def _job(ctx: Ctx, kind: str, job_id: str) -> Job:
    job = ctx.store.jobs.get((kind, job_id))
    if job is None:
        raise not_found(kind, job_id)
    return job


def get_campaign_send_job(ctx: Ctx) -> Response:
    return respond(_job_document(ctx, _job(ctx, SEND_JOB, ctx.path("id")), "campaign-send-jobs"))


def cancel_campaign_send(ctx: Ctx) -> Response:
    job = _job(ctx, SEND_JOB, ctx.path("id"))
    data = body.data_object(ctx.body, SEND_JOB, need_id=True, path_id=job.id)
    action = body.choice(
        body.attributes(data), "action", "/data/attributes", ("cancel", "revert"), needed=True
    )
    campaign = find_campaign(ctx, job.id)
    if campaign.status not in ("Scheduled", "Sending", "Preparing to send", "Preparing to schedule"):
        raise invalid(
            f"Campaign {campaign.id} is '{campaign.status}'; only scheduled sends can be cancelled.",
            pointer="/data/attributes/action",
        )
    campaign.status = "Cancelled" if action == "cancel" else "Draft"
    campaign.scheduled_at = None
    campaign.updated_at = ctx.store.now()
    job.status = "cancelled"
    return empty(204)


def create_campaign_clone(ctx: Ctx) -> Response:
    data = body.data_object(ctx.body, "campaign", need_id=True)
    source = find_campaign(ctx, str(data["id"]))
    attrs = body.attributes(data)
    name = body.string(attrs, "new_name", "/data/attributes") or f"{source.name} (Clone)"
    store = ctx.store
    stamp = store.now()
    clone = Campaign(
        id=store.ids.ulid(),
        name=name,
        channel=source.channel,
        audiences=copy.deepcopy(source.audiences),
        send_options=dict(source.send_options),
        tracking_options=copy.deepcopy(source.tracking_options),
        send_strategy=copy.deepcopy(source.send_strategy),
        created_at=stamp,
        updated_at=stamp,
    )
    for message_id in source.message_ids:
        original = store.campaign_messages[message_id]
        message = CampaignMessage(
            store.ids.ulid(), clone.id, copy.deepcopy(original.definition), stamp, stamp
        )
        template = store.templates.get(original.template_id or "")
        if template is not None:
            twin = store.add_template(
                template.name,
                template.html,
                editor_type=template.editor_type,
                text=template.text,
                reusable=False,
            )
            message.template_id = twin.id
        store.campaign_messages[message.id] = message
        clone.message_ids.append(message.id)
    store.campaigns[clone.id] = clone
    document = single(ctx, render_campaign(ctx, clone, fieldset(ctx, "campaign", CAMPAIGN_FIELDS)))
    return respond(document, 201)


def _estimate(ctx: Ctx, campaign: Campaign) -> int:
    """Distinct members of the included lists/segments, minus excluded ones, reachable on the channel."""
    return len(recipients(ctx.store, campaign))


def refresh_campaign_recipient_estimation(ctx: Ctx) -> Response:
    data = body.data_object(ctx.body, ESTIMATION_JOB, need_id=True)
    campaign = find_campaign(ctx, str(data["id"]))
    job = Job(campaign.id, ESTIMATION_JOB, "complete", ctx.store.now(), total_count=_estimate(ctx, campaign))
    ctx.store.jobs[(ESTIMATION_JOB, job.id)] = job
    return respond(_job_document(ctx, job, "campaign-recipient-estimation-jobs", "queued"), 202)


def get_campaign_recipient_estimation_job(ctx: Ctx) -> Response:
    job = _job(ctx, ESTIMATION_JOB, ctx.path("id"))
    return respond(_job_document(ctx, job, "campaign-recipient-estimation-jobs"))


def get_campaign_recipient_estimation(ctx: Ctx) -> Response:
    campaign = find_campaign(ctx, ctx.path("id"))
    job = ctx.store.jobs.get((ESTIMATION_JOB, campaign.id))
    count = job.total_count if job is not None else _estimate(ctx, campaign)
    obj = resource(
        ctx,
        "campaign-recipient-estimation",
        campaign.id,
        {"estimated_recipient_count": count},
        collection="campaign-recipient-estimations",
    )
    return respond(single(ctx, obj))


# Spec operation id -> handler; method, path and rate limits come from the spec table.
HANDLERS: dict[str, Handler] = {
    "send_campaign": send_campaign,
    "get_campaign_send_job": get_campaign_send_job,
    "cancel_campaign_send": cancel_campaign_send,
    "create_campaign_clone": create_campaign_clone,
    "refresh_campaign_recipient_estimation": refresh_campaign_recipient_estimation,
    "get_campaign_recipient_estimation_job": get_campaign_recipient_estimation_job,
    "get_campaign_recipient_estimation": get_campaign_recipient_estimation,
}
