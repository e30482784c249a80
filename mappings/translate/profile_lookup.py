"""Find a profile ID by one identifier: the plan of E5/E6 (declared in ``mappings.operations.profiles``).

One GET /api/profiles with an ``equals`` filter and ``page[size]=1``. The helpers are shared
with G1 (data privacy), which resolves a profile before deleting it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from mappings import protocol
from mappings.core import Call, Family, LegacyReply, LegacyRequest, Plan, Reply, UpstreamError
from mappings.translate.filter_terms import equals

# The recorded legacy v2 404 text of people/search (grouparoo fixture).
NO_PROFILE: Final = "There is no profile matching the given parameters"
SEARCH_IDENTIFIERS: Final = ("email", "phone_number", "external_id")


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


def lookup_plan(field: str, value: str) -> Plan:
    """Answer ``{"id": ...}`` for the profile whose ``field`` equals ``value``, else the v2 404."""
    try:
        reply = yield find_profile_call(field, value, fields="email" if field == "_kx" else field)
    except UpstreamError as exc:
        return protocol.translate_error(Family.V2, exc.reply, not_found=NO_PROFILE)
    ident = first_id(reply)
    if ident is None:
        return protocol.error(Family.V2, 404, NO_PROFILE)
    return LegacyReply.json_body({"id": ident})
