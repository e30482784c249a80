"""Pure tests of the profile/event field converters (mappings.translate.fields, mappings.translate.datetimes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mappings.translate.fields import (
    LOCATION_ATTRIBUTES,
    PATCH_PROFILE_ATTRIBUTES,
    PERSON_KEYS,
    PROFILE_ATTRIBUTES,
    has_identifier,
    legacy_datetime,
    legacy_patch_meta,
    legacy_to_profile_attributes,
    profile_to_legacy_person,
    timeline_datetime,
    track_payload_to_event,
    unix_to_iso,
    v2_datetime,
)

# ---------------------------------------------------------------- legacy -> new profile


def test_every_special_maps_to_its_attribute() -> None:
    props = {key: f"v{i}" for i, key in enumerate([*PROFILE_ATTRIBUTES, *LOCATION_ATTRIBUTES])}
    attrs = legacy_to_profile_attributes(props, accepts=set(PROFILE_ATTRIBUTES.values()) | {"location"})
    for key, attribute in PROFILE_ATTRIBUTES.items():
        assert attrs[attribute] == props[key]
    for key, member in LOCATION_ATTRIBUTES.items():
        assert attrs["location"][member] == props[key]
    assert "properties" not in attrs


def test_aliases_and_dollar_spelling_wins() -> None:
    attrs = legacy_to_profile_attributes(
        {"email": "alias@x.com", "id": "ext", "phone_number": "+1555", "$email": "real@x.com"}
    )
    assert attrs == {"email": "real@x.com", "external_id": "ext", "phone_number": "+1555"}


def test_id_alias_only_when_asked() -> None:
    attrs = legacy_to_profile_attributes({"id": "x1", "$id": "ext"}, id_alias=False)
    assert attrs == {"external_id": "ext", "properties": {"id": "x1"}}


def test_nulls_dropped_and_empty_groups_omitted() -> None:
    attrs = legacy_to_profile_attributes({"$email": "a@x.com", "$city": None, "Plan": None, "$source": None})
    assert attrs == {"email": "a@x.com"}


def test_other_dollar_keys_and_custom_go_to_properties() -> None:
    attrs = legacy_to_profile_attributes({"$consent": ["email"], "$source": 3, "Plan": {"tier": 2}})
    assert attrs == {"properties": {"$consent": ["email"], "$source": 3, "Plan": {"tier": 2}}}


def test_numbers_become_strings_for_string_attributes_only() -> None:
    attrs = legacy_to_profile_attributes({"$zip": 62701, "$id": 42, "$latitude": 39.5, "$longitude": "-89"})
    assert attrs == {"external_id": "42", "location": {"zip": "62701", "latitude": 39.5, "longitude": "-89"}}


def test_stringify_custom_values() -> None:
    attrs = legacy_to_profile_attributes(
        {"n": 10.32, "b": True, "l": ["a"], "o": {"k": 1}, "s": "x", "$first_name": "Jo"}, stringify=True
    )
    assert attrs == {
        "first_name": "Jo",
        "properties": {"n": "10.32", "b": "true", "l": '["a"]', "o": '{"k": 1}', "s": "x"},
    }


def test_attribute_the_target_lacks_stays_a_property() -> None:
    attrs = legacy_to_profile_attributes(
        {"$anonymous": "anon", "$exchange_id": "kx"}, accepts=PATCH_PROFILE_ATTRIBUTES
    )
    assert attrs == {"properties": {"$anonymous": "anon", "$exchange_id": "kx"}}


def test_meta_keys_are_not_properties() -> None:
    assert legacy_to_profile_attributes({"$unset": '["a"]', "$append": "{}"}) == {}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"$unset": ['["a", "b"]']}, {"patch_properties": {"unset": ["a", "b"]}}),
        ({"$unset": ["a", "b", "a"]}, {"patch_properties": {"unset": ["a", "b"]}}),
        ({"$unset[]": ["a"], "$unset": [["b"]]}, {"patch_properties": {"unset": ["b", "a"]}}),
        ({"$unset": ["[broken"]}, {"patch_properties": {"unset": ["[broken"]}}),
        ({"$unset": [""]}, {}),
        ({"$append": ['{"skus": "925"}']}, {"patch_properties": {"append": {"skus": "925"}}}),
        ({"$unappend": ["not json"]}, {}),
        ({}, {}),
    ],
)
def test_patch_meta(values: dict[str, list[Any]], expected: dict[str, Any]) -> None:
    assert legacy_patch_meta(values) == expected


def test_has_identifier() -> None:
    assert has_identifier({"email": "a@x.com"})
    assert has_identifier({"external_id": "1"})
    assert not has_identifier({"email": "", "first_name": "A"})


# ---------------------------------------------------------------- new profile -> legacy person

LEGACY_ORDER = [
    "object", "id", "$address1", "$address2", "$city", "$country", "$latitude", "$longitude", "$region",
    "$zip", "$email", "$first_name", "$last_name", "$phone_number", "$title", "$organization", "$timezone",
    "$id", "Plan", "$source", "$consent", "email", "first_name", "last_name", "created", "updated",
]  # fmt: skip


def test_person_matches_legacy_example_key_order() -> None:
    person = profile_to_legacy_person(
        {
            "type": "profile",
            "id": "P1",
            "attributes": {
                "email": "abe@example.com",
                "first_name": "Abraham",
                "last_name": "Lincoln",
                "location": {"city": "Springfield", "ip": "1.2.3.4"},
                "locale": "en-US",
                "properties": {"Plan": "Premium", "$source": "Pop", "$consent": ["email"]},
                "created": "2022-01-07T16:52:45+00:00",
                "updated": "2022-01-07T16:52:56.5+00:00",
            },
        }
    )
    assert list(person) == LEGACY_ORDER
    assert person["$city"] == "Springfield" and person["$zip"] == "" and person["email"] == "abe@example.com"
    assert (person["created"], person["updated"]) == ("2022-01-07 16:52:45", "2022-01-07 16:52:56")


def test_empty_profile_has_every_fixed_key() -> None:
    person = profile_to_legacy_person({"id": "P1"})
    assert all(person[k] == "" for k in PERSON_KEYS)
    assert "$image" not in person and person["created"] == ""


def test_image_and_reserved_custom_keys() -> None:
    person = profile_to_legacy_person(
        {
            "id": "P1",
            "attributes": {
                "email": "real@x.com",
                "image": "https://i/x.png",
                "properties": {"email": "spoof", "$email": "spoof", "object": "x", "created": "x", "ok": 1},
            },
        }
    )
    assert person["$image"] == "https://i/x.png"
    assert person["email"] == person["$email"] == "real@x.com"
    assert person["object"] == "person" and person["ok"] == 1 and person["created"] == ""


# ---------------------------------------------------------------- datetimes


@pytest.mark.parametrize(
    ("iso", "v1", "timeline", "v2"),
    [
        (
            "2022-11-08T00:00:00+00:00",
            "2022-11-08 00:00:00",
            "2022-11-08 00:00:00+00:00",
            "2022-11-08T00:00:00Z",
        ),
        (
            "2022-11-08T01:30:00.999+02:00",
            "2022-11-07 23:30:00",
            "2022-11-07 23:30:00+00:00",
            "2022-11-07T23:30:00Z",
        ),
        ("2022-11-08T00:00:00Z", "2022-11-08 00:00:00", "2022-11-08 00:00:00+00:00", "2022-11-08T00:00:00Z"),
        ("2022-11-08T00:00:00", "2022-11-08 00:00:00", "2022-11-08 00:00:00+00:00", "2022-11-08T00:00:00Z"),
    ],
)
def test_datetime_renderings(iso: str, v1: str, timeline: str, v2: str) -> None:
    assert (legacy_datetime(iso), timeline_datetime(iso), v2_datetime(iso)) == (v1, timeline, v2)


def test_datetime_none_and_garbage() -> None:
    assert legacy_datetime(None) is None and v2_datetime(None) is None
    assert legacy_datetime("not a date") == "not a date"


@pytest.mark.parametrize(
    ("ts", "iso"),
    [
        (1589983886, "2020-05-20T14:11:26+00:00"),
        ("1589983886", "2020-05-20T14:11:26+00:00"),
        (1589983886.9, "2020-05-20T14:11:26+00:00"),
        (" 1589983886 ", "2020-05-20T14:11:26+00:00"),
        ("2020-05-20T16:11:26+02:00", "2020-05-20T14:11:26+00:00"),
    ],
)
def test_unix_to_iso(ts: Any, iso: str) -> None:
    assert unix_to_iso(ts) == iso


@pytest.mark.parametrize("ts", ["yesterday", True, "nan", "inf", 10**20, ""])
def test_unix_to_iso_rejects(ts: Any) -> None:
    with pytest.raises(ValueError):
        unix_to_iso(ts)


# ---------------------------------------------------------------- track payload -> event


def test_track_payload_doc_example() -> None:
    data = track_payload_to_event({
        "token": "AbC123", "event": "Ordered Product",
        "customer_properties": {"$email": "abe@example.com", "$first_name": "Abraham", "Plan": "Premium"},
        "properties": {"item_name": "Boots", "$value": 100, "$event_id": "order-1001"},
        "time": 1589983886})  # fmt: skip
    assert data == {
        "type": "event",
        "attributes": {
            "properties": {"item_name": "Boots"},
            "time": "2020-05-20T14:11:26+00:00",
            "value": 100,
            "unique_id": "order-1001",
            "metric": {"data": {"type": "metric", "attributes": {"name": "Ordered Product"}}},
            "profile": {
                "data": {
                    "type": "profile",
                    "attributes": {
                        "email": "abe@example.com",
                        "first_name": "Abraham",
                        "properties": {"Plan": "Premium"},
                    },
                }
            },
        },
    }


@pytest.mark.parametrize(
    ("props", "top", "rest"),
    [
        ({"$value": "99.95"}, {"value": 99.95}, {}),
        ({"$value": "12"}, {"value": 12}, {}),
        ({"$value": "a lot"}, {}, {"$value": "a lot"}),
        ({"$value": "NaN"}, {}, {"$value": "NaN"}),
        ({"$value": True}, {}, {"$value": True}),
        ({"$event_id": 7, "$value_currency": "EUR"}, {"unique_id": "7", "value_currency": "EUR"}, {}),
        (
            {"__track_once__": True, "$event_id": None, "x": None},
            {"unique_id": "track-once:a9f51566bd6705f7ea6ad54bb9deb449"},
            {"x": None},
        ),
        (
            {"__track_once__": "true", "$event_id": 7},
            {"unique_id": "track-once:a9f51566bd6705f7ea6ad54bb9deb449"},
            {"$event_id": "7"},
        ),
        ({"__track_once__": False, "$event_id": 7}, {"unique_id": "7"}, {}),
    ],
)
def test_track_specials(props: dict[str, Any], top: dict[str, Any], rest: dict[str, Any]) -> None:
    payload = {"event": "E", "customer_properties": {"id": 1}, "properties": props}
    attrs = track_payload_to_event(payload)["attributes"]
    assert attrs["properties"] == rest
    assert {k: attrs[k] for k in ("value", "unique_id", "value_currency") if k in attrs} == top
    assert "time" not in attrs


def test_track_ip_and_missing_properties() -> None:
    attrs = track_payload_to_event(
        {
            "event": "E",
            "customer_properties": {"$anonymous": "a"},
            "ip": "1.2.3.4",
            "time": None,
            "properties": None,
        }
    )["attributes"]
    assert attrs["properties"] == {}
    assert attrs["profile"]["data"]["attributes"] == {"anonymous_id": "a", "location": {"ip": "1.2.3.4"}}


@pytest.mark.parametrize(
    "payload", [{"properties": []}, {"customer_properties": "a@x.com"}, {"time": "soon"}]
)
def test_track_invalid(payload: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        track_payload_to_event({"event": "E", **payload})


# ---------------------------------------------------------------- properties (hypothesis)

_text = st.text(min_size=1, max_size=20).filter(lambda s: s.strip() != "")
_FIXED_SPECIALS = [k for k in PERSON_KEYS]
_custom_key = st.text(min_size=1, max_size=12).filter(
    lambda k: (
        not k.startswith("$")
        and k
        not in {
            "email",
            "phone_number",
            "id",
            "_kx",
            "first_name",
            "last_name",
            "object",
            "created",
            "updated",
        }
    )
)
_scalar = st.one_of(st.none(), st.booleans(), st.integers(), _text)


@given(
    specials=st.dictionaries(st.sampled_from(_FIXED_SPECIALS), _text),
    custom=st.dictionaries(_custom_key, _scalar, max_size=5),
)
def test_legacy_new_legacy_round_trip(specials: dict[str, str], custom: dict[str, Any]) -> None:
    """Every fixed special and every custom property survives legacy -> new -> legacy."""
    props = {**specials, **custom}
    attributes = legacy_to_profile_attributes(props)
    person = profile_to_legacy_person({"type": "profile", "id": "P", "attributes": attributes})
    for key in PERSON_KEYS:
        assert person[key] == specials.get(key, "")
    for key, value in custom.items():
        if value is not None:
            assert person[key] == value
        else:
            assert key not in person
    assert person["email"] == person["$email"] and person["first_name"] == person["$first_name"]


@given(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.just(None)),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_datetime_formats_agree(moment: datetime, offset_minutes: int) -> None:
    """Any offset renders to the same UTC instant in all three legacy formats."""
    aware = moment.replace(microsecond=0, tzinfo=UTC).astimezone(timezone(timedelta(minutes=offset_minutes)))
    iso = aware.isoformat()
    expected = moment.replace(microsecond=0)
    assert legacy_datetime(iso) == expected.strftime("%Y-%m-%d %H:%M:%S")
    assert timeline_datetime(iso) == expected.strftime("%Y-%m-%d %H:%M:%S+00:00")
    assert v2_datetime(iso) == expected.strftime("%Y-%m-%dT%H:%M:%SZ")


@given(st.integers(min_value=0, max_value=32503680000))
def test_unix_round_trip(ts: int) -> None:
    assert int(datetime.fromisoformat(unix_to_iso(ts)).timestamp()) == ts
    assert unix_to_iso(str(ts)) == unix_to_iso(ts)


def test_non_scalar_time_is_rejected_not_crashing() -> None:
    import pytest

    from mappings.translate.datetimes import unix_to_iso

    for bad in ([1], {"t": 1}, None, 10**30):
        with pytest.raises(ValueError):
            unix_to_iso(bad)  # type: ignore[arg-type]
