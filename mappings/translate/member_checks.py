"""The shared plan of every "are these profiles members?" check (F8, F11, F14, S1-S3)."""

from __future__ import annotations

from collections.abc import Sequence

from mappings import protocol
from mappings.core import Family, LegacyReply, LegacyRequest, Plan, UpstreamBound, UpstreamError
from mappings.translate.member_lookup import (
    CHECK_LIMIT,
    KINDS,
    BadIdentifiers,
    Kind,
    is_subscribed,
    lookups,
    membership_row,
    parse_identifiers,
    run_lookups,
)

CHECK_CALLS = UpstreamBound(
    0,
    2 + CHECK_LIMIT,  # one lookup per batch of emails and of phone numbers, one per push token
    "one per identifier kind given (emails, phone_numbers: at most 100 each) plus one per push "
    "token (at most 100)",
)


def check_members(
    req: LegacyRequest,
    *,
    op: str,
    group_id: str,
    family: Family,
    not_found: str | None,
    kinds: Sequence[Kind] = KINDS,
    subscribed_only: bool = False,
) -> Plan:
    """Members of the list/segment among the identifiers: ``[{"id", <identifier>, "created"}]``.

    ``subscribed_only`` keeps only profiles not suppressed for the channel they were found by
    (reads ``additional-fields[profile]=subscriptions``).
    """
    try:
        identifiers = parse_identifiers(req.params, kinds, CHECK_LIMIT)
    except BadIdentifiers as exc:
        return protocol.bad_request(family, str(exc))
    planned = lookups(op, group_id, identifiers, subscriptions=subscribed_only, per_push_token=True)
    try:
        found = yield from run_lookups(planned)
    except UpstreamError as err:
        return protocol.translate_error(family, err.reply, not_found=not_found)
    if subscribed_only:
        found = [m for m in found if is_subscribed(m, group_id)]
    return LegacyReply.json_body([membership_row(m) for m in found])
