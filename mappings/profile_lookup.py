"""E5/E6: find a profile ID by identifier or exchange ID (legacy-endpoints.md E5, E6).

Both are one GET /api/profiles with an ``equals`` filter and ``page[size]=1``. The helpers
here are shared with G1 (data privacy), which resolves a profile before deleting it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from mappings import protocol
from mappings.base import (
    Call,
    Family,
    Fidelity,
    LegacyReply,
    LegacyRequest,
    Operation,
    Plan,
    Reply,
    UpstreamError,
    declare,
)
from mappings.filter_terms import equals

# The recorded legacy v2 404 text of people/search (grouparoo fixture).
NO_PROFILE: Final = "There is no profile matching the given parameters"
SEARCH_IDENTIFIERS: Final = ("email", "phone_number", "external_id")
DOCS: Final = "https://developers.klaviyo.com/en/reference/get_profiles"


class BadIdentifier(ValueError):
    """Not exactly one identifier; the message is client-facing."""


def _text(value: Any) -> str | None:
    """A supplied identifier as a string; None / "" / non-scalars mean 'not supplied'."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def one_identifier(req: LegacyRequest, names: Sequence[str]) -> tuple[str, str]:
    """The one (name, value) among ``names`` the request carries; raises ``BadIdentifier``."""
    given = [(name, text) for name in names if (text := _text(req.get(name))) is not None]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" or {names[-1]}"
    if not given:
        raise BadIdentifier(f"One of {listed} is required.")
    if len(given) > 1:
        raise BadIdentifier(f"Only one of {listed} may be given, got {', '.join(n for n, _ in given)}.")
    return given[0]


def find_profile_call(field: str, value: str, fields: str = "email") -> Call:
    """GET /api/profiles?filter=equals(<field>,"<value>")&page[size]=1 (a sparse fieldset keeps it small)."""
    query = {"filter": equals(field, value), "fields[profile]": fields, "page[size]": "1"}
    return Call("get_profiles", query=query, expect=(200,))


def first_id(reply: Reply) -> str | None:
    """The ID of the first profile in a get_profiles answer, or None."""
    data = reply.body.get("data") if isinstance(reply.body, dict) else None
    if isinstance(data, list) and data and isinstance(data[0], dict):
        ident = data[0].get("id")
        return ident if isinstance(ident, str) else None
    return None


def _lookup(field: str, value: str) -> Plan:
    try:
        reply = yield find_profile_call(field, value, fields="email" if field == "_kx" else field)
    except UpstreamError as exc:
        return protocol.translate_error(Family.V2, exc.reply, not_found=NO_PROFILE)
    ident = first_id(reply)
    if ident is None:
        return protocol.error(Family.V2, 404, NO_PROFILE)
    return LegacyReply.json_body({"id": ident})


@declare(
    id="E5",
    name="get_profile_id",
    method="GET",
    path="/api/v2/people/search",
    family=Family.V2,
    upstream=("get_profiles",),
    fidelity=Fidelity.EXACT,
    successor=DOCS,
)
def search_people(req: LegacyRequest) -> Plan:
    """Find a profile ID by exactly one of email, phone_number or external_id (query, JSON or form
    body): GET /api/profiles?filter=equals(<identifier>,"<value>")&page[size]=1. Answers {"id": ...},
    or 404 {"detail": "There is no profile matching the given parameters"}; none or several
    identifiers answer 400 before any upstream call."""
    try:
        field, value = one_identifier(req, SEARCH_IDENTIFIERS)
    except BadIdentifier as exc:
        return protocol.bad_request(Family.V2, str(exc))
    return (yield from _lookup(field, value))


@declare(
    id="E6",
    name="exchange",
    method="POST",
    path="/api/v2/people/exchange",
    family=Family.V2,
    upstream=("get_profiles",),
    fidelity=Fidelity.EXACT,
    successor=DOCS,
)
def exchange(req: LegacyRequest) -> Plan:
    """Exchange the `_kx` identifier of an email link (`exchange_id`, "<IDENTIFIER>.<COMPANY_ID>")
    for a profile ID: GET /api/profiles?filter=equals(_kx,"<exchange_id>")&page[size]=1. Answers
    {"id": ...}, or 404 {"detail": "There is no profile matching the given parameters"}; a missing
    exchange_id answers 400 before any upstream call."""
    try:
        _, value = one_identifier(req, ("exchange_id",))
    except BadIdentifier:
        return protocol.bad_request(Family.V2, "exchange_id is required.")
    return (yield from _lookup("_kx", value))


OPERATIONS: tuple[Operation, ...] = (search_people, exchange)
