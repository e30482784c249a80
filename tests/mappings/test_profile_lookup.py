"""Unit tests: identifier selection, profile lookups (E5/E6, shared with G1) and filter terms."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mappings.core import LegacyRequest, Reply
from mappings.translate.filter_terms import at, equals, literal, quote
from mappings.translate.profile_lookup import BadIdentifier, find_profile_call, first_id, one_identifier

NAMES = ("email", "phone_number", "external_id")


def _req(**params: Any) -> LegacyRequest:
    return LegacyRequest(method="POST", path="/x", params={k: [v] for k, v in params.items()})


def test_filter_terms() -> None:
    assert quote('a"b\\c') == '"a\\"b\\\\c"'
    assert [literal(True), literal(5), literal(1.5), literal("x")] == ["true", "5", "1.5", '"x"']
    assert equals("_kx", "K.1") == 'equals(_kx,"K.1")'
    moment = datetime(2020, 10, 30, 17, 26, 44, tzinfo=UTC)
    assert at("less-than", "datetime", moment) == "less-than(datetime,2020-10-30T17:26:44+00:00)"


def test_one_identifier() -> None:
    assert one_identifier(_req(email=" a@x.com ", phone_number=None), NAMES) == ("email", "a@x.com")
    assert one_identifier(_req(external_id=42), NAMES) == ("external_id", "42")
    with pytest.raises(BadIdentifier, match="One of email, phone_number or external_id is required"):
        one_identifier(_req(email="", external_id=True), NAMES)
    with pytest.raises(BadIdentifier, match="got email, external_id"):
        one_identifier(_req(email="a@x.com", external_id="7"), NAMES)


def test_find_profile_call_and_first_id() -> None:
    call = find_profile_call("phone_number", "+1", fields="phone_number")
    assert call.query == {
        "filter": 'equals(phone_number,"+1")',
        "fields[profile]": "phone_number",
        "page[size]": "1",
    }
    assert first_id(Reply(200, {"data": [{"id": "P1"}, {"id": "P2"}]})) == "P1"
    assert first_id(Reply(200, {"data": []})) is None
    assert first_id(Reply(200, None)) is None
