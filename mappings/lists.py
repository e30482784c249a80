"""Legacy v2 lists (legacy-endpoints.md §F) on the new lists / subscriptions API (§2 F)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from mappings import protocol
from mappings.base import (
    Call,
    Family,
    Fidelity,
    Gather,
    LegacyReply,
    LegacyRequest,
    Operation,
    Plan,
    Reply,
    UpstreamError,
    declare,
)
from mappings.subscribers import BadSubscribers, parse_subscribers, subscribe_job, upsert_body

# The legacy v2 answer for an unknown list ID (or a segment ID): "list not found"
# (python-klaviyo#14); the exact wording was not recorded.
LIST_NOT_FOUND: Final = "List not found."
# Profile upserts run concurrently in groups of this size (profile-import allows 75/s).
UPSERT_GROUP: Final = 25


def _list_call(list_id: str, fields: str) -> Call:
    return Call("get_list", path_params={"id": list_id}, query={"fields[list]": fields}, expect=(200,))


def _opt_in_process(reply: Reply) -> str:
    """``single_opt_in`` / ``double_opt_in`` of a get_list reply; unknown means double (legacy default)."""
    node: Any = reply.body
    for key in ("data", "attributes", "opt_in_process"):
        node = node.get(key) if isinstance(node, Mapping) else None
    return "single_opt_in" if node == "single_opt_in" else "double_opt_in"


def _profile_id(reply: Reply) -> str | None:
    body: Any = reply.body
    if isinstance(body, Mapping) and isinstance(body.get("data"), Mapping):
        ident = body["data"].get("id")
        return ident if isinstance(ident, str) else None
    return None


@declare(
    id="F6",
    name="subscribe",
    method="POST",
    path="/api/v2/list/{list_id}/subscribe",
    family=Family.V2,
    upstream=("get_list", "create_or_update_profile", "bulk_subscribe_profiles"),
    fidelity=Fidelity.LOSSY,
    successor="https://developers.klaviyo.com/en/reference/bulk_subscribe_profiles",
    lost=(
        "The subscription runs as an asynchronous job: double opt-in confirmations, and list "
        "membership on single opt-in lists, may appear shortly after the answer. A phone number "
        "without sms_consent (or $consent containing 'sms') is saved on the profile but neither "
        "subscribed nor added to the list, and is left out of the single opt-in answer. Every "
        "profile gets a confirmation message, not only the first 10. 'id' in a profile is a custom "
        "property; other profile properties are written as by identify."
    ),
    max_upstream_calls=(
        "2 + N: get_list, one profile-import per profile (N <= 1000, 25 at a time; on double opt-in "
        "lists skipped for profiles that carry only identifiers), one subscription job"
    ),
)
def subscribe(req: LegacyRequest) -> Plan:
    """Subscribe profiles to a list, following the list's single or double opt-in setting.

    Reads the list's opt-in process (GET /api/lists/{id}), writes each profile's properties
    with POST /api/profile-import (which also yields its ID), then starts one
    POST /api/profile-subscription-bulk-create-jobs for the list: email marketing consent
    for every email, SMS marketing consent for phone numbers sent with sms_consent true or
    "sms" in $consent. Answers [] for double opt-in lists (nobody is added until they
    confirm) and [{"id", "email"|"phone_number"}] for single opt-in lists. Rejects with 400,
    before any upstream call, a body without a profiles list, more than 1000 profiles, or a
    profile with neither email nor phone_number.
    """
    list_id = req.path_params["list_id"]
    try:
        subscribers = parse_subscribers(req.get("profiles"))
    except BadSubscribers as exc:
        return protocol.bad_request(Family.V2, str(exc))
    try:
        found: Reply = yield _list_call(list_id, "opt_in_process")
    except UpstreamError as err:
        return protocol.translate_error(Family.V2, err.reply, not_found=LIST_NOT_FOUND)
    single = _opt_in_process(found) == "single_opt_in"

    upserted = [i for i, s in enumerate(subscribers) if s.needs_upsert(want_id=single)]
    ids: dict[int, str | None] = {}
    for at in range(0, len(upserted), UPSERT_GROUP):
        group = upserted[at : at + UPSERT_GROUP]
        calls = tuple(
            Call("create_or_update_profile", body=upsert_body(subscribers[i]), expect=(200, 201))
            for i in group
        )
        replies: list[Reply] = yield Gather(calls)
        ids.update((i, _profile_id(r)) for i, r in zip(group, replies, strict=True))

    job = subscribe_job(list_id, subscribers)
    if job is not None:
        yield Call("bulk_subscribe_profiles", body=job)

    if not single:
        return LegacyReply.json_body([])
    return LegacyReply.json_body(
        [s.legacy_echo(ids.get(i)) for i, s in enumerate(subscribers) if s.subscribes]
    )


OPERATIONS: tuple[Operation, ...] = (subscribe,)
