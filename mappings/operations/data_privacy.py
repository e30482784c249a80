"""G1: legacy v2 deletion request on POST /api/data-privacy-deletion-jobs (new-api-mapping.md §2 G).

Legacy deleted **one** profile even when several matched; the new API deletes every
profile matching an email or phone number. The proxy resolves the identifier to one profile
first (which also reproduces the legacy 404) and deletes that profile by ID, so the
legacy semantics hold exactly.
"""

from __future__ import annotations

from typing import Any, Final

from mappings import protocol
from mappings.core import (
    Call,
    Family,
    Fidelity,
    LegacyReply,
    LegacyRequest,
    Plan,
    UpstreamBound,
    UpstreamError,
)
from mappings.core.declarer import Declarer
from mappings.translate.profile_lookup import BadIdentifier, find_profile_call, first_id, one_identifier

IDENTIFIERS: Final = ("email", "phone_number", "person_id")
# Recorded legacy texts (grouparoo fixture).
NOT_FOUND: Final = (
    "No Customer corresponding to the provided profile identifier found. "
    "It could be the case that the Customer has already been deleted."
)
SUBMITTED: Final = "Submitted new deletion task for customer."

ops = Declarer(Family.V2)


def deletion_body(profile_id: str) -> dict[str, Any]:
    """A data-privacy-deletion-job for exactly one profile, by ID."""
    profile = {"type": "profile", "id": profile_id, "attributes": {}}
    return {"data": {"type": "data-privacy-deletion-job", "attributes": {"profile": {"data": profile}}}}


@ops.declare(
    "G1",
    "request_deletion",
    "POST",
    "/api/v2/data-privacy/deletion-request",
    upstream=("get_profiles", "get_profile", "request_profile_deletion"),
    fidelity=Fidelity.EXACT,
    successor="request_profile_deletion",
    max_upstream_calls=UpstreamBound(2, text="2: one profile lookup, one deletion job"),
)
def request_deletion(req: LegacyRequest) -> Plan:
    """Request the privacy deletion of one profile given exactly one of email, phone_number or
    person_id. Resolves the profile (GET /api/profiles?filter=equals(email|phone_number,...)
    &page[size]=1, or GET /api/profiles/{person_id}), then starts POST
    /api/data-privacy-deletion-jobs for that profile ID, so, as in legacy, one profile is deleted
    even if several share the email or phone number. The deletion runs asynchronously. Answers
    202 {"results": "Submitted new deletion task for customer."}; an unknown profile answers the
    legacy 404; none or several identifiers answer 400 before any upstream call."""
    try:
        field, value = one_identifier(req, IDENTIFIERS)
    except BadIdentifier as exc:
        return protocol.bad_request(Family.V2, str(exc))
    try:
        if field == "person_id":
            yield Call(
                "get_profile", path_params={"id": value}, query={"fields[profile]": "email"}, expect=(200,)
            )
            profile_id: str | None = value
        else:
            profile_id = first_id((yield find_profile_call(field, value, fields=field)))
        if profile_id is None:
            return protocol.error(Family.V2, 404, NOT_FOUND)
        yield Call("request_profile_deletion", body=deletion_body(profile_id))
    except UpstreamError as exc:
        return protocol.translate_error(Family.V2, exc.reply, not_found=NOT_FOUND)
    return LegacyReply.json_body({"results": SUBMITTED}, status=202)
