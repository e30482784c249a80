"""Pure tests of the track/identify payload decoder (mappings.translate.payload)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mappings.core import LegacyRequest
from mappings.translate.payload import InvalidPayload, decode_data, decode_payload

PAYLOAD = {"token": "AbC123", "event": "E", "properties": {"q": ">>>???~~~ é"}}
RAW = json.dumps(PAYLOAD).encode()


@pytest.mark.parametrize(
    "data",
    [
        base64.b64encode(RAW).decode(),
        base64.b64encode(RAW).decode().rstrip("="),
        base64.urlsafe_b64encode(RAW).decode(),
        base64.urlsafe_b64encode(RAW).decode().rstrip("="),
        base64.b64encode(RAW).decode().replace("+", " "),  # un-encoded '+' read as space
        json.dumps(PAYLOAD),
        PAYLOAD,
    ],
)
def test_decode_data_variants(data: Any) -> None:
    assert decode_data(data) == PAYLOAD


@pytest.mark.parametrize(
    "data",
    ["e30!!", "a", base64.b64encode(b"[1, 2]").decode(), base64.b64encode(b"\xff\xfe").decode(), "{bad", 5],
)
def test_decode_data_invalid(data: Any) -> None:
    with pytest.raises(InvalidPayload):
        decode_data(data)


def test_request_sources() -> None:
    assert decode_payload(LegacyRequest("GET", "/api/track", params={"data": [RAW.decode()]})) == PAYLOAD
    assert decode_payload(LegacyRequest("POST", "/api/track", json=PAYLOAD)) == PAYLOAD
    # A form body arrives as parameters, parsed once by the engine; raw_body is not parsed again.
    b64 = base64.b64encode(RAW)
    form = b"data=" + b64.replace(b"+", b"%2B")
    parsed_form = LegacyRequest("POST", "/api/track", params={"data": [b64.decode()]}, raw_body=form)
    assert decode_payload(parsed_form) == PAYLOAD
    with pytest.raises(InvalidPayload, match="no data field"):
        decode_payload(LegacyRequest("POST", "/api/track", raw_body=form))
    # A JSON object labelled as a form: the engine read it as form fields, so it is parsed here.
    assert decode_payload(LegacyRequest("POST", "/api/track", raw_body=RAW)) == PAYLOAD
    with pytest.raises(InvalidPayload):
        decode_payload(LegacyRequest("POST", "/api/track", json=[PAYLOAD]))
    with pytest.raises(InvalidPayload):
        decode_payload(LegacyRequest("GET", "/api/track"))


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=8), _json, max_size=5), st.booleans(), st.booleans())
def test_any_object_survives_any_base64_spelling(obj: dict[str, Any], urlsafe: bool, pad: bool) -> None:
    raw = json.dumps(obj).encode()
    text = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(raw).decode()
    assert decode_data(text if pad else text.rstrip("=")) == obj
