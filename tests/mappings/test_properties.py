"""Property-based tests (issue 8): no legacy input raises anything but the project's own errors.

Hypothesis feeds arbitrary query strings, headers, bodies and JSON values to the engine's legacy
parser (``proxy.engine.parse``), the payload decoders (``mappings.translate.payload``), the field
mappings (``mappings.translate.fields``), the parameter readers (paging, markers, timelines) and
the first step of every registered operation's plan. Allowed: ``BadLegacyRequest`` from the
parser, each reader's own ``ValueError`` subclass, and the plain ``ValueError`` that
``track_payload_to_event`` documents. Anything else (a ``TypeError``, a ``KeyError``, an
``int()`` failure...) would be a legacy 500.
"""

from __future__ import annotations

import base64
import contextlib
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mappings.core import LegacyRequest, Step
from mappings.registry import REGISTRY
from mappings.translate.export_params import BadExport
from mappings.translate.fields import (
    legacy_patch_meta,
    legacy_to_profile_attributes,
    profile_to_legacy_person,
    track_payload_to_event,
)
from mappings.translate.form_values import BadInput
from mappings.translate.marker_pages import BadMarker
from mappings.translate.member_lookup import BadIdentifiers
from mappings.translate.numbers import ascii_float, ascii_int
from mappings.translate.offset_pages import BadPaging, parse_offset_page
from mappings.translate.payload import InvalidPayload, decode_base64, decode_data, decode_payload
from mappings.translate.profile_lookup import BadIdentifier
from mappings.translate.subscribers import BadSubscribers
from mappings.translate.timelines import BadTimeline, parse_timeline
from proxy.engine.parse import BadLegacyRequest, parse

NOW = datetime(2026, 9, 1, tzinfo=UTC)
OWN_ERRORS = (
    BadLegacyRequest,
    InvalidPayload,
    BadPaging,
    BadMarker,
    BadTimeline,
    BadExport,
    BadInput,
    BadIdentifiers,
    BadIdentifier,
    BadSubscribers,
)
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=16,
)
# Names the mappings look for, plus anything.
NAMES = [
    "api_key",
    "page",
    "count",
    "marker",
    "since",
    "sort",
    "data",
    "token",
    "event",
    "email",
    "emails",
    "phone_numbers",
    "push_tokens",
    "profiles",
    "properties",
    "customer_properties",
    "$email",
    "$id",
    "$unset",
    "$append",
    "time",
    "list_name",
    "name",
    "start_date",
    "end_date",
    "unit",
    "measurement",
    "where",
    "by",
    "fields",
    "id",
    "timestamp",
    "campaign_id",
    "template_id",
    "subject",
    "from_email",
]
names = st.sampled_from(NAMES) | st.text(max_size=12)
param_values = st.text(max_size=40) | st.sampled_from(
    ["", "0", "-1", "\u0661", "\u00b2", "1_0", "1e309", "nan", "[]", "{}", "null"]
)
params = st.dictionaries(names, st.lists(json_values | param_values, min_size=1, max_size=3), max_size=8)


def b64_json(value: Any) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


bodies = (
    st.binary(max_size=200)
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.lists(st.tuples(names, param_values), max_size=6).map(lambda kv: urlencode(kv).encode())
)
content_types = st.sampled_from(
    [
        "",
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/vnd.api+json; charset=utf-8",
    ]
)


def request(method: str, path: str, values: dict[str, list[Any]], body: Any = None) -> LegacyRequest:
    return LegacyRequest(method=method, path=path, params=values, json=body, now=NOW)


@FAST
@given(
    query=st.lists(st.tuples(names, param_values), max_size=8),
    body=bodies,
    content_type=content_types,
    header_key=st.none() | st.text(max_size=70),
)
def test_the_legacy_parser_raises_only_bad_legacy_request(
    query: list[tuple[str, str]], body: bytes, content_type: str, header_key: str | None
) -> None:
    headers = {"content-type": content_type, **({"api-key": header_key} if header_key else {})}
    with contextlib.suppress(BadLegacyRequest):
        parse(
            method="POST",
            path="/api/v2/lists",
            path_params={},
            query_items=query,
            headers=headers,
            body=body,
            server_side_tokens=frozenset(),
            now=NOW,
        )


@FAST
@given(text=st.text(max_size=80) | json_values.map(b64_json))
def test_base64_and_data_decoding_raise_only_invalid_payload(text: str) -> None:
    for decode in (decode_base64, decode_data):
        with contextlib.suppress(InvalidPayload):
            decode(text)


@FAST
@given(values=params, body=json_values, raw=st.binary(max_size=100), content_type=content_types)
def test_payload_decoding_raises_only_invalid_payload(
    values: dict[str, list[Any]], body: Any, raw: bytes, content_type: str
) -> None:
    req = LegacyRequest(
        method="POST",
        path="/api/track",
        params=values,
        json=body,
        raw_body=raw,
        content_type=content_type,
        now=NOW,
    )
    with contextlib.suppress(InvalidPayload):
        decode_payload(req)


@FAST
@given(props=st.dictionaries(names, json_values, max_size=10), stringify=st.booleans())
def test_profile_field_mapping_never_raises(props: dict[str, Any], stringify: bool) -> None:
    legacy_to_profile_attributes(props, stringify=stringify)
    legacy_patch_meta({k: [v] for k, v in props.items()})


@FAST
@given(resource=st.dictionaries(st.sampled_from(["id", "type", "attributes", "x"]), json_values, max_size=4))
def test_profile_to_legacy_person_never_raises(resource: dict[str, Any]) -> None:
    attributes = resource.get("attributes")
    if not isinstance(attributes, dict):
        resource = {**resource, "attributes": {}}
    profile_to_legacy_person(resource)


@FAST
@given(payload=st.dictionaries(names, json_values, max_size=8))
def test_track_payload_mapping_raises_only_its_documented_value_error(payload: dict[str, Any]) -> None:
    try:
        track_payload_to_event(payload)
    except ValueError as exc:
        assert type(exc) is ValueError or isinstance(exc, OWN_ERRORS)


@FAST
@given(values=params)
def test_parameter_readers_raise_only_their_own_errors(values: dict[str, list[Any]]) -> None:
    req = request("GET", "/api/v1/metrics", values)
    for read in (parse_offset_page, parse_timeline):
        with contextlib.suppress(BadPaging, BadTimeline):
            read(req)


@FAST
@given(text=st.text(max_size=40))
def test_numbers_are_ascii_only(text: str) -> None:
    whole, decimal = ascii_int(text), ascii_float(text)
    if whole is not None or decimal is not None:
        assert text.strip().isascii()


OPERATIONS = sorted(REGISTRY, key=lambda op: op.id)


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.id for op in OPERATIONS])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=params, body=json_values, ident=st.text(max_size=20))
def test_every_plan_starts_without_raising(
    op: Any, values: dict[str, list[Any]], body: Any, ident: str
) -> None:
    """The first step of every operation's plan: a step or a legacy reply, never an exception."""
    path_params = {name: ident or "x" for name in _template_params(op.path)}
    req = LegacyRequest(
        method=op.method, path=op.path, path_params=path_params, params=values, json=body, now=NOW
    )
    plan = op.plan(req)
    try:
        step = next(plan)
    except StopIteration:
        return
    assert isinstance(step, Step)


def _template_params(path: str) -> list[str]:
    import re

    return re.findall(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}", path)
