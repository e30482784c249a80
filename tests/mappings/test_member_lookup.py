"""Unit tests: identifier parsing, lookup batching, check rows and suppression rules."""

from __future__ import annotations

from typing import Any

import pytest

from mappings.core import Call, Gather, Reply
from mappings.translate.member_lookup import (
    EMAILS,
    PHONE_NUMBERS,
    PUSH_TOKENS,
    V1_EMAIL,
    BadIdentifiers,
    Match,
    any_filter,
    is_subscribed,
    lookups,
    member_ids,
    membership_row,
    parse_identifiers,
    relationship_bodies,
    run_lookups,
)


def test_json_lists_query_repeats_php_brackets_and_commas() -> None:
    found = parse_identifiers(
        {
            "emails": [["a@x.com", " b@x.com ", None, ""]],
            "emails[]": ["c@x.com"],
            "phone_numbers": ["+1312555,+1312556", "+1312555"],
            "push_tokens": [[]],
        }
    )
    assert found == (
        (EMAILS, ("a@x.com", "b@x.com", "c@x.com")),
        (PHONE_NUMBERS, ("+1312555", "+1312556")),
    )


def test_v1_comma_joined_email() -> None:
    assert parse_identifiers({"email": ["a@x.com,b@x.com"]}, (V1_EMAIL,)) == (
        (V1_EMAIL, ("a@x.com", "b@x.com")),
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "Provide at least one identifier (emails, phone_numbers, push_tokens)."),
        ({"emails": [[]]}, "Provide at least one identifier"),
        ({"emails": [[1]]}, "'emails' must be a list of strings."),
        ({"push_tokens": [{"a": 1}]}, "'push_tokens' must be a list of strings."),
        ({"emails": [[f"{i}@x.com" for i in range(101)]]}, "At most 100 values can be given in 'emails'."),
    ],
)
def test_bad_identifiers(params: dict[str, list[Any]], message: str) -> None:
    with pytest.raises(BadIdentifiers, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_identifiers(params)


def test_write_limit_is_a_parameter() -> None:
    values = [f"{i}@x.com" for i in range(1000)]
    assert len(parse_identifiers({"emails": [values]}, limit=1000)[0][1]) == 1000


def test_any_filter_quotes_values_and_keeps_unicode() -> None:
    assert any_filter("email", ['a"b@x.com', "ü@x.de"]) == 'any(email,["a\\"b@x.com","ü@x.de"])'


def test_lookups_batch_100_and_one_call_per_push_token_when_asked() -> None:
    idents = ((EMAILS, tuple(f"{i}@x.com" for i in range(150))), (PUSH_TOKENS, ("t1", "t2")))
    planned = lookups("get_profiles_for_list", "L1", idents, per_push_token=True)
    assert [(lk.kind, len(lk.values)) for lk in planned] == [
        (EMAILS, 100),
        (EMAILS, 50),
        (PUSH_TOKENS, 1),
        (PUSH_TOKENS, 1),
    ]
    assert planned[0].call.path_params == {"id": "L1"}
    assert planned[0].call.query["page[size]"] == "100"
    assert "additional-fields[profile]" not in planned[0].call.query
    batched = lookups("get_profiles_for_list", "L1", idents[1:], subscriptions=True)
    assert len(batched) == 1
    assert batched[0].call.query == {
        "filter": 'any(push_token,["t1","t2"])',
        "fields[profile]": "email,phone_number,joined_group_at,subscriptions",
        "additional-fields[profile]": "subscriptions",
        "page[size]": "100",
    }


def _profile(pid: str, **attributes: Any) -> dict[str, Any]:
    return {"type": "profile", "id": pid, "attributes": attributes}


def test_run_lookups_gathers_at_most_25_calls_and_keeps_order() -> None:
    idents = ((PUSH_TOKENS, tuple(f"t{i}" for i in range(30))),)
    planned = lookups("get_profiles_for_segment", "S1", idents, per_push_token=True)
    gen = run_lookups(planned)
    first = next(gen)
    assert isinstance(first, Gather) and len(first.calls) == 25
    replies = [Reply(200, {"data": []}) for _ in range(25)]
    second = gen.send(replies)
    assert isinstance(second, Gather) and len(second.calls) == 5
    last = [Reply(200, {"data": []}) for _ in range(4)] + [Reply(200, {"data": [_profile("P29")]})]
    with pytest.raises(StopIteration) as stop:
        gen.send(last)
    assert [(m.value, m.profile_id) for m in stop.value.value] == [("t29", "P29")]


def test_membership_rows() -> None:
    joined = "2022-01-07T16:53:04.5+00:00"
    email = Match(EMAILS, None, _profile("P1", email="Abe@x.com", joined_group_at=joined))
    phone = Match(PHONE_NUMBERS, None, _profile("P2", phone_number="+1312", joined_group_at=joined))
    token = Match(PUSH_TOKENS, "tok", _profile("P3", joined_group_at=None))
    assert membership_row(email) == {"id": "P1", "email": "Abe@x.com", "created": "2022-01-07T16:53:04Z"}
    assert membership_row(phone) == {"id": "P2", "phone_number": "+1312", "created": "2022-01-07T16:53:04Z"}
    assert membership_row(token) == {"id": "P3", "push_token": "tok", "created": None}


def _subs(**marketing: Any) -> dict[str, Any]:
    return {"subscriptions": {"email": {"marketing": marketing}}}


@pytest.mark.parametrize(
    ("attributes", "subscribed"),
    [
        ({}, True),  # no subscriptions data: not suppressed
        (_subs(suppression=[]), True),
        (_subs(suppression=[{"reason": "UNSUBSCRIBE"}]), False),
        (_subs(suppression={"reason": "HARD_BOUNCE"}), False),  # older single-object shape
        (_subs(list_suppressions=[{"list_id": "L1", "reason": "UNSUBSCRIBE"}]), False),
        (_subs(list_suppressions=[{"list_id": "L2", "reason": "UNSUBSCRIBE"}]), True),
    ],
)
def test_email_subscription(attributes: dict[str, Any], subscribed: bool) -> None:
    assert is_subscribed(Match(EMAILS, None, _profile("P", **attributes)), "L1") is subscribed


def test_sms_and_push_subscription() -> None:
    def sms(ok: bool) -> dict[str, Any]:
        return {"subscriptions": {"sms": {"marketing": {"can_receive_sms_marketing": ok}}}}

    assert is_subscribed(Match(PHONE_NUMBERS, None, _profile("P", **sms(True))), "L1")
    assert not is_subscribed(Match(PHONE_NUMBERS, None, _profile("P", **sms(False))), "L1")
    push = {"subscriptions": {"mobile_push": {"marketing": {"can_receive_push_marketing": False}}}}
    assert not is_subscribed(Match(PUSH_TOKENS, "t", _profile("P", **push)), "L1")
    assert is_subscribed(Match(PUSH_TOKENS, "t", _profile("P")), "L1")


def test_member_ids_and_relationship_bodies() -> None:
    found = [Match(EMAILS, None, _profile(p)) for p in ("A", "B", "A")] + [Match(EMAILS, None, {"id": None})]
    assert member_ids(found) == ["A", "B"]
    bodies = relationship_bodies([str(i) for i in range(1001)])
    assert [len(b["data"]) for b in bodies] == [1000, 1]
    assert bodies[1] == {"data": [{"type": "profile", "id": "1000"}]}
    assert relationship_bodies([]) == []


def test_lookup_calls_expect_only_200() -> None:
    planned = lookups("get_profiles_for_list", "L1", ((EMAILS, ("a@x.com",)),))
    assert isinstance(planned[0].call, Call) and planned[0].call.expect == (200,)
