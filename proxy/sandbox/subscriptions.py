"""Consent operations: bulk subscribe / unsubscribe jobs and the client subscription endpoint.

Subscribing to a ``single_opt_in`` list (or to no list) takes effect at once. For a
``double_opt_in`` list nothing changes until the profile confirms: the sandbox records a
:class:`~proxy.sandbox.models.PendingConfirmation`, and ``Store.confirm(address)`` plays the
profile clicking the link.

Unsubscribing with a list (``profile-subscription-bulk-delete-jobs`` with a ``list``
relationship) is list-scoped for that list's members: they leave the list and their email gets
a ``list_suppressions`` entry (reason ``UNSUBSCRIBE``), account-level consent untouched.
Anybody else is unsubscribed globally, as the spec warns. Subscribing to the list again lifts
its suppression.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from proxy.sandbox import body, profile_data
from proxy.sandbox.errors import invalid, required
from proxy.sandbox.jsonapi import Ctx, empty
from proxy.sandbox.models import Consent, ListRecord, PendingConfirmation, Profile
from proxy.sandbox.operation import Handler
from proxy.sandbox.store import Store

CHANNELS = {"email": "email", "sms": "phone_number"}


def _list_relationship(ctx: Ctx, data: dict[str, Any], *, needed: bool) -> ListRecord | None:
    pointer = "/data/relationships/list/data"
    relationships = data.get("relationships") or {}
    link = relationships.get("list") if isinstance(relationships, dict) else None
    target = link.get("data") if isinstance(link, dict) else None
    if target is None:
        if needed:
            raise required(pointer)
        return None
    if not isinstance(target, dict):
        raise invalid("'data' must be a resource identifier.", pointer=pointer)
    body.check_type(target, "list", pointer)
    list_id = target.get("id")
    record = ctx.store.lists.get(list_id) if isinstance(list_id, str) else None
    if record is None:
        raise invalid(f"List {list_id} does not exist.", pointer=f"{pointer}/id")
    return record


def _channels(attrs: dict[str, Any], pointer: str, consent_value: str) -> dict[str, dict[str, Any]]:
    """The requested channels, e.g. {"email": {"marketing": {"consent": "SUBSCRIBED"}}}, checked."""
    subs = body.obj(attrs, "subscriptions", pointer, needed=True)
    assert subs is not None
    out: dict[str, dict[str, Any]] = {}
    for channel, settings in subs.items():
        where = f"{pointer}/subscriptions/{channel}"
        if not isinstance(settings, dict):
            raise invalid(f"'{channel}' must be an object.", pointer=where)
        for kind, consent in settings.items():
            if not isinstance(consent, dict) or consent.get("consent") != consent_value:
                raise invalid(f"consent must be '{consent_value}'.", pointer=f"{where}/{kind}/consent")
        identifier = CHANNELS.get(channel)
        if identifier is not None:
            if not attrs.get(identifier):
                raise invalid(
                    f"{identifier} is required to change {channel} consent.",
                    pointer=f"{pointer}/{identifier}",
                )
            out[channel] = settings
    return out


def _set_consent(store: Store, consent: Consent, value: str, source: str | None, double: bool | None) -> None:
    stamp = store.now()
    consent.consent, consent.consent_timestamp, consent.last_updated = value, stamp, stamp
    consent.method, consent.custom_method_detail, consent.double_optin = "API", source, double


def subscribe(
    store: Store,
    profile: Profile,
    channels: dict[str, dict[str, Any]],
    record: ListRecord | None,
    source: str | None,
    *,
    skip_double_opt_in: bool = False,
) -> None:
    """Apply SUBSCRIBED consent now, or queue a confirmation for a double opt-in list."""
    for channel, settings in channels.items():
        address = profile.attributes.get(CHANNELS[channel]) or ""
        if "marketing" not in settings:
            if channel == "sms" and "transactional" in settings:
                _set_consent(store, profile.sms_transactional, "SUBSCRIBED", source, None)
            continue
        if record is not None and record.opt_in_process == "double_opt_in" and not skip_double_opt_in:
            if profile.id in record.members:
                continue
            already = any(
                p.profile_id == profile.id and p.list_id == record.id and p.channel == channel
                for p in store.pending_confirmations
            )
            if not already:
                store.pending_confirmations.append(
                    PendingConfirmation(record.id, profile.id, channel, address, store.now(), source)
                )
            continue
        target = profile.email_marketing if channel == "email" else profile.sms_marketing
        _set_consent(store, target, "SUBSCRIBED", source, False)
        if channel == "email":
            profile.suppressions.clear()
            if record is not None:  # subscribing again lifts this list's suppression
                profile.list_suppressions[:] = [
                    s for s in profile.list_suppressions if s.get("list_id") != record.id
                ]
        if record is not None:
            store.join(record, [profile.id])


def _job_profiles(data: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    attrs = body.attributes(data)
    profiles = body.obj(attrs, "profiles", "/data/attributes", needed=True)
    assert profiles is not None
    items = profiles.get("data")
    if not isinstance(items, list) or not items:
        raise invalid("'profiles.data' must be a non-empty list.", pointer="/data/attributes/profiles/data")
    if len(items) > limit:
        raise invalid(
            f"At most {limit} profiles may be sent per job.", pointer="/data/attributes/profiles/data"
        )
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise invalid(
                "Each profile must be an object.", pointer=f"/data/attributes/profiles/data/{index}"
            )
        body.check_type(item, "profile", f"/data/attributes/profiles/data/{index}")
    return items


def _identify(
    store: Store, item: dict[str, Any], pointer: str, allowed: tuple[str, ...]
) -> tuple[Profile, dict[str, Any]]:
    attrs = body.attributes(item, pointer)
    identity = {k: v for k, v in attrs.items() if k in ("email", "phone_number")}
    profile_data.validate(identity, f"{pointer}/attributes")
    for key in attrs:
        if key not in allowed:
            raise invalid(f"'{key}' is not a valid field here.", pointer=f"{pointer}/attributes/{key}")
    profile_id = item.get("id") if isinstance(item.get("id"), str) else None
    profile, _ = profile_data.upsert(
        store, identity, profile_id=profile_id, strict=False, pointer=f"{pointer}/attributes"
    )
    return profile, attrs


def bulk_subscribe_profiles(ctx: Ctx) -> Response:
    data = body.data_object(ctx.body, "profile-subscription-bulk-create-job")
    items = _job_profiles(data, 1000)
    attrs = body.attributes(data)
    source = body.string(attrs, "custom_source", "/data/attributes")
    historical = body.boolean(attrs, "historical_import", "/data/attributes") or False
    record = _list_relationship(ctx, data, needed=False)
    allowed = ("email", "phone_number", "subscriptions", "age_gated_date_of_birth")
    planned = []
    for index, item in enumerate(items):  # validate everything before changing anything
        pointer = f"/data/attributes/profiles/data/{index}"
        item_attrs = body.attributes(item, pointer)
        planned.append((item, _channels(item_attrs, f"{pointer}/attributes", "SUBSCRIBED")))
    for index, (item, channels) in enumerate(planned):
        profile, _ = _identify(ctx.store, item, f"/data/attributes/profiles/data/{index}", allowed)
        subscribe(ctx.store, profile, channels, record, source, skip_double_opt_in=historical)
    return empty(202)


def unsubscribe_from_list(
    store: Store, profile: Profile, record: ListRecord, channels: dict[str, Any]
) -> None:
    """A member unsubscribed from one list: it leaves the list, its email a list suppression.

    Account-level consent is left alone: the profile still receives other lists' marketing.
    """
    record.members.pop(profile.id, None)
    if "email" in channels and not any(s.get("list_id") == record.id for s in profile.list_suppressions):
        profile.list_suppressions.append(
            {"list_id": record.id, "reason": "UNSUBSCRIBE", "timestamp": store.now()}
        )


def bulk_unsubscribe_profiles(ctx: Ctx) -> Response:
    """Unsubscribe profiles. With a list, its members are unsubscribed from that list only (they
    leave it; email gets a list suppression); anybody else, or everybody without a list, is
    unsubscribed globally, as the spec warns ("Profiles not in the specified list will be
    globally unsubscribed")."""
    data = body.data_object(ctx.body, "profile-subscription-bulk-delete-job")
    items = _job_profiles(data, 100)
    record = _list_relationship(ctx, data, needed=False)
    planned = []
    for index, item in enumerate(items):
        pointer = f"/data/attributes/profiles/data/{index}"
        planned.append(
            (item, _channels(body.attributes(item, pointer), f"{pointer}/attributes", "UNSUBSCRIBED"))
        )
    for index, (item, channels) in enumerate(planned):
        profile, _ = _identify(
            ctx.store,
            item,
            f"/data/attributes/profiles/data/{index}",
            ("email", "phone_number", "subscriptions"),
        )
        requested = channels
        if record is not None and profile.id in record.members:
            unsubscribe_from_list(ctx.store, profile, record, channels)
            channels = {}
        for channel in channels:
            consent = profile.email_marketing if channel == "email" else profile.sms_marketing
            _set_consent(ctx.store, consent, "UNSUBSCRIBED", None, None)
            if channel == "email" and not any(s["reason"] == "UNSUBSCRIBE" for s in profile.suppressions):
                profile.suppressions.append({"reason": "UNSUBSCRIBE", "timestamp": ctx.store.now()})
        ctx.store.pending_confirmations[:] = [
            p
            for p in ctx.store.pending_confirmations
            if p.profile_id != profile.id or p.channel not in requested
        ]
    return empty(202)


def create_client_subscription(ctx: Ctx) -> Response:
    data = body.data_object(ctx.body, "subscription")
    attrs = body.attributes(data)
    source = body.string(attrs, "custom_source", "/data/attributes")
    wrapper = body.obj(attrs, "profile", "/data/attributes", needed=True)
    assert wrapper is not None
    pointer = "/data/attributes/profile/data"
    item = wrapper.get("data")
    if not isinstance(item, dict):
        raise required(pointer)
    body.check_type(item, "profile", pointer)
    record = _list_relationship(ctx, data, needed=True)
    profile_attrs = dict(body.attributes(item, pointer))
    subs = profile_attrs.pop("subscriptions", None)
    meta = profile_attrs.pop("meta", None)
    profile_data.validate(profile_attrs, f"{pointer}/attributes", extra=("_kx",))
    channels = (
        _channels(
            {**profile_attrs, "subscriptions": subs} if subs is not None else profile_attrs,
            f"{pointer}/attributes",
            "SUBSCRIBED",
        )
        if subs is not None
        else {}
    )
    profile_id = item.get("id") if isinstance(item.get("id"), str) else None
    profile, _ = profile_data.upsert(
        ctx.store,
        profile_attrs,
        profile_id=profile_id,
        meta=meta,
        strict=False,
        pointer=f"{pointer}/attributes",
    )
    if not channels:  # no explicit channels: subscribe whatever identifiers were given
        channels = {
            c: {"marketing": {"consent": "SUBSCRIBED"}} for c, f in CHANNELS.items() if profile_attrs.get(f)
        }
    subscribe(ctx.store, profile, channels, record, source)
    return empty(202)


# Spec operation id -> handler; method, path and rate limits come from the spec table.
HANDLERS: dict[str, Handler] = {
    "bulk_subscribe_profiles": bulk_subscribe_profiles,
    "bulk_unsubscribe_profiles": bulk_unsubscribe_profiles,
    "create_client_subscription": create_client_subscription,
}
