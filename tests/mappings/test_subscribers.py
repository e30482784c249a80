"""Unit tests: legacy subscribe profiles -> upserts and the subscription job; F6 plan fan-out."""

from __future__ import annotations

from typing import Any

import pytest

from mappings.core import Call, Gather, LegacyReply, LegacyRequest, Reply
from mappings.operations.lists import subscribe
from mappings.translate.subscribers import (
    UPSERT_GROUP,
    BadSubscribers,
    parse_subscriber,
    parse_subscribers,
    subscribe_job,
    upsert_body,
)

EMAIL = {"email": {"marketing": {"consent": "SUBSCRIBED"}}}
SMS = {"sms": {"marketing": {"consent": "SUBSCRIBED"}}}


def test_email_profile_with_properties() -> None:
    sub = parse_subscriber({"email": "a@x.com", "$first_name": "A", "Plan": "Gold", "id": "7"}, 0)
    assert sub.email == "a@x.com" and sub.phone_number is None and not sub.sms
    assert upsert_body(sub) == {
        "data": {
            "type": "profile",
            "attributes": {"email": "a@x.com", "first_name": "A", "properties": {"Plan": "Gold", "id": "7"}},
        }
    }
    assert sub.subscribes
    assert sub.needs_upsert(want_id=False)  # carries properties


def test_identifiers_only_upserted_only_when_id_needed() -> None:
    sub = parse_subscriber({"$email": "a@x.com", "sms_consent": True}, 0)
    assert dict(sub.attributes) == {"email": "a@x.com"}  # sms_consent is not a property
    assert not sub.needs_upsert(want_id=False)
    assert sub.needs_upsert(want_id=True)


@pytest.mark.parametrize(
    ("extra", "sms"),
    [
        ({"sms_consent": True}, True),
        ({"sms_consent": "true"}, True),
        ({"sms_consent": False}, False),
        ({"sms_consent": None}, False),
        ({"$consent": ["email", "SMS"]}, True),
        ({"$consent": "email,sms"}, True),
        ({"$consent": ["email"]}, False),
        ({}, False),
    ],
)
def test_sms_consent(extra: dict[str, Any], sms: bool) -> None:
    sub = parse_subscriber({"phone_number": "+13125550100", **extra}, 0)
    assert sub.sms is sms
    assert sub.subscribes is sms
    if not sms:
        assert sub.needs_upsert(want_id=False)  # not in the job: saved by profile-import


def test_php_nulls_and_empty_identifiers() -> None:
    sub = parse_subscriber({"email": "a@x.com", "$email": None, "$phone_number": "", "$city": None}, 0)
    assert dict(sub.attributes) == {"email": "a@x.com"}
    assert sub.phone_number is None


@pytest.mark.parametrize(
    ("profiles", "message"),
    [
        (None, "'profiles' parameter is required"),
        ({"email": "a@x.com"}, "'profiles' parameter is required"),
        (["a@x.com"], "index 0 must be an object"),
        ([{"email": "a@x.com"}, {"$first_name": "X"}], "index 1 needs an email or a phone_number"),
        ([{"email": ""}], "index 0 needs"),
        ([{"email": f"{i}@x.com"} for i in range(1001)], "At most 1000"),
    ],
)
def test_rejected_bodies(profiles: Any, message: str) -> None:
    with pytest.raises(BadSubscribers, match=message):
        parse_subscribers(profiles)


def test_job_body_dedupes_and_skips_unconsented_phones() -> None:
    subs = parse_subscribers(
        [
            {"email": "a@x.com"},
            {"email": "a@x.com", "Plan": "Gold"},
            {"phone_number": "+1"},
            {"email": "b@x.com", "phone_number": "+2", "sms_consent": True},
            {"email": "c@x.com", "phone_number": "+3"},
        ]
    )
    job = subscribe_job("L1", subs)
    assert job is not None
    assert job["data"]["relationships"] == {"list": {"data": {"type": "list", "id": "L1"}}}
    assert job["data"]["attributes"]["historical_import"] is False
    assert job["data"]["attributes"]["profiles"]["data"] == [
        {"type": "profile", "attributes": {"email": "a@x.com", "subscriptions": EMAIL}},
        {
            "type": "profile",
            "attributes": {"email": "b@x.com", "phone_number": "+2", "subscriptions": EMAIL | SMS},
        },
        {"type": "profile", "attributes": {"email": "c@x.com", "subscriptions": EMAIL}},
    ]
    assert subscribe_job("L1", parse_subscribers([{"phone_number": "+1"}])) is None


def test_legacy_echo() -> None:
    sub = parse_subscriber({"email": "a@x.com", "phone_number": "+1"}, 0)
    assert sub.legacy_echo("01X") == {"id": "01X", "email": "a@x.com", "phone_number": "+1"}


# --------------------------------------------------------------------------- the plan, sans IO


def _drive(req: LegacyRequest, answers: list[Any]) -> tuple[list[Any], LegacyReply]:
    """Run the plan, answering each step with the next canned answer; return steps and reply."""
    plan = subscribe.plan(req)
    steps: list[Any] = []
    to_send: Any = None
    try:
        while True:
            steps.append(plan.send(to_send))
            to_send = answers.pop(0)
    except StopIteration as stop:
        return steps, stop.value


def test_upserts_run_in_bounded_groups() -> None:
    n = UPSERT_GROUP + 5
    profiles = [{"email": f"p{i}@x.com"} for i in range(n)]
    req = LegacyRequest("POST", "/api/v2/list/L1/subscribe", {"list_id": "L1"}, {"profiles": [profiles]})
    single = Reply(
        200, {"data": {"type": "list", "id": "L1", "attributes": {"opt_in_process": "single_opt_in"}}}
    )
    first = [Reply(201, {"data": {"id": f"ID{i}"}}) for i in range(UPSERT_GROUP)]
    second = [Reply(200, {"data": {"id": f"ID{i}"}}) for i in range(UPSERT_GROUP, n)]
    steps, reply = _drive(req, [single, first, second, Reply(202)])
    assert isinstance(steps[0], Call) and steps[0].op == "get_list"
    assert [len(s.calls) for s in steps[1:3] if isinstance(s, Gather)] == [UPSERT_GROUP, 5]
    assert isinstance(steps[3], Call) and steps[3].op == "bulk_subscribe_profiles"
    assert len(steps[3].body["data"]["attributes"]["profiles"]["data"]) == n
    assert reply.body == [{"id": f"ID{i}", "email": f"p{i}@x.com"} for i in range(n)]


def test_unknown_opt_in_is_treated_as_double() -> None:
    req = LegacyRequest("POST", "/x", {"list_id": "L1"}, {"profiles": [[{"email": "a@x.com"}]]})
    steps, reply = _drive(req, [Reply(200, {"data": {"attributes": {}}}), Reply(202)])
    assert [s.op for s in steps if isinstance(s, Call)] == ["get_list", "bulk_subscribe_profiles"]
    assert reply.body == []
