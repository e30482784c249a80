"""Who a campaign goes to, and the "Received" events a send leaves behind.

A campaign's audience is every member of its included lists / segments, minus members of its
excluded ones, reachable on the channel (an email address, or a phone number for SMS). When a
send completes, each recipient gets one ``Received Email`` (``Received SMS``) event attributed to
the campaign the way Klaviyo's message events are: ``$message`` is the campaign id (the legacy
v1 meaning; third-party exporters match ``$message`` against campaign ids of both the short and
the 2023+ ULID form, e.g. estuary/connectors PR 1761), with ``Campaign Name``,
``Subject`` and, for email, ``Email Domain``. A mapping can rebuild an approximate recipient list
from them: ``GET /api/events?filter=equals(metric_id,"<Received Email>"),greater-or-equal(datetime,
<send_time>)`` keeping events whose ``$message`` is the campaign.
"""

from __future__ import annotations

from typing import Any

from proxy.sandbox.ids import iso
from proxy.sandbox.models import Campaign, Event
from proxy.sandbox.store import Store

RECEIVED = {"email": "Received Email", "sms": "Received SMS"}


def _members(store: Store, group_ids: list[str] | None) -> dict[str, None]:
    """Members of the lists / segments, in join order, without repeats."""
    out: dict[str, None] = {}
    for group_id in group_ids or []:
        group = store.lists.get(group_id) or store.segments.get(group_id)
        if group is not None:
            out.update(dict.fromkeys(group.members))
    return out


def recipients(store: Store, campaign: Campaign) -> list[str]:
    """Profile ids the campaign would reach now: included minus excluded, reachable on its channel."""
    field = "phone_number" if campaign.channel == "sms" else "email"
    excluded = _members(store, campaign.audiences.get("excluded"))
    return [
        pid
        for pid in _members(store, campaign.audiences.get("included"))
        if pid not in excluded and pid in store.profiles and store.profiles[pid].get(field)
    ]


def _subject(store: Store, campaign: Campaign) -> str | None:
    for message_id in campaign.message_ids:
        message = store.campaign_messages.get(message_id)
        content = (message.definition.get("content") or {}) if message is not None else {}
        if isinstance(content, dict) and content.get("subject"):
            return str(content["subject"])
    return None


def record_delivery(store: Store, campaign: Campaign) -> int:
    """One "Received" event per recipient, attributed to ``campaign``; how many were recorded."""
    metric = store.metric_named(RECEIVED.get(campaign.channel, "Received Email"))
    moment = store.clock()
    stamp = iso(moment)
    subject = _subject(store, campaign)
    count = 0
    for profile_id in recipients(store, campaign):
        profile = store.profiles[profile_id]
        unique_id = f"{campaign.id}:{profile_id}"
        key = (metric.id, profile_id, unique_id)
        if key in store.event_keys:
            continue
        store.event_keys.add(key)
        properties: dict[str, Any] = {
            "$message": campaign.id,
            "Campaign Name": campaign.name,
            "Subject": subject,
            "$event_id": unique_id,
        }
        email = profile.get("email")
        if campaign.channel == "email" and isinstance(email, str) and "@" in email:
            properties["Email Domain"] = email.rsplit("@", 1)[1].lower()
        event = Event(
            store.ids.ulid(),
            metric.id,
            profile_id,
            int(moment.timestamp()),
            stamp,
            properties,
            store.ids.uuid(),
            unique_id,
        )
        store.events[event.id] = event
        profile.last_event_date = stamp
        count += 1
    return count
