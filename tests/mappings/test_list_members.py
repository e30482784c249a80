"""Unit tests: F7 unsubscribe jobs, and the F7 / F9 plans' fan-out bounds."""

from __future__ import annotations

from typing import Any

from mappings.core import Call, Gather, LegacyReply, LegacyRequest, Reply
from mappings.operations.list_members import add_members, unsubscribe, unsubscribe_jobs
from mappings.translate.member_lookup import EMAILS, PHONE_NUMBERS, PUSH_TOKENS, Match


def _profile(pid: str, **attributes: Any) -> dict[str, Any]:
    return {"type": "profile", "id": pid, "attributes": attributes}


def test_jobs_merge_channels_per_profile_and_skip_push_tokens() -> None:
    mary = _profile("M", email="m@x.com", phone_number="+1312")
    found = [
        Match(EMAILS, None, mary),
        Match(PHONE_NUMBERS, None, mary),
        Match(PUSH_TOKENS, "tok", _profile("T", email="t@x.com")),
        Match(PHONE_NUMBERS, None, _profile("P", phone_number="+1999")),
    ]
    (job,) = unsubscribe_jobs("L1", found)
    unsubscribed = {"marketing": {"consent": "UNSUBSCRIBED"}}
    assert job["data"]["relationships"] == {"list": {"data": {"type": "list", "id": "L1"}}}
    assert job["data"]["attributes"]["profiles"]["data"] == [
        {
            "type": "profile",
            "attributes": {
                "subscriptions": {"email": unsubscribed, "sms": unsubscribed},
                "email": "m@x.com",
                "phone_number": "+1312",
            },
        },
        {"type": "profile", "attributes": {"subscriptions": {"sms": unsubscribed}, "phone_number": "+1999"}},
    ]


def test_jobs_hold_at_most_100_profiles() -> None:
    found = [Match(EMAILS, None, _profile(f"P{i}", email=f"{i}@x.com")) for i in range(250)]
    jobs = unsubscribe_jobs("L1", found)
    assert [len(j["data"]["attributes"]["profiles"]["data"]) for j in jobs] == [100, 100, 50]
    assert unsubscribe_jobs("L1", []) == []


def _found(ids: list[str], field: str = "email") -> Reply:
    data = [_profile(i, **{field: f"{i}-value"}) for i in ids]
    return Reply(200, {"data": data, "links": {"next": None}})


def test_unsubscribe_plan_fan_out() -> None:
    """1000 emails, 1000 phones, 1 token: 21 lookups, 200 members -> 2 jobs gathered, no removal race."""
    emails = [f"{i}@x.com" for i in range(1000)]
    req = LegacyRequest(
        method="DELETE",
        path="/api/v2/list/L1/subscribe",
        path_params={"list_id": "L1"},
        params={
            "emails": [emails],
            "phone_numbers": [[f"+1{i}" for i in range(1000)]],
            "push_tokens": [["t"]],
        },
    )
    plan = unsubscribe.plan(req)
    step = next(plan)
    assert isinstance(step, Gather) and len(step.calls) == 21  # 10 + 10 + 1 lookups
    emails_found = [_found([f"E{n}-{i}" for i in range(10)]) for n in range(10)]
    phones_found = [_found([f"P{n}-{i}" for i in range(10)], "phone_number") for n in range(10)]
    step = plan.send([*emails_found, *phones_found, _found([])])
    assert isinstance(step, Gather) and [c.op for c in step.calls] == ["bulk_unsubscribe_profiles"] * 2
    try:
        plan.send([Reply(202), Reply(202)])
    except StopIteration as stop:
        assert stop.value == LegacyReply.empty()
    else:
        raise AssertionError("plan did not finish")


def test_add_members_upserts_25_at_a_time() -> None:
    profiles = [{"email": f"{i}@x.com"} for i in range(30)]
    req = LegacyRequest(
        method="POST",
        path="/api/v2/list/L1/members",
        path_params={"list_id": "L1"},
        params={"profiles": [profiles]},
    )
    plan = add_members.plan(req)
    assert next(plan).op == "get_list"  # type: ignore[union-attr]
    first = plan.send(Reply(200, {"data": {"id": "L1"}}))
    assert isinstance(first, Gather) and len(first.calls) == 25
    second = plan.send([Reply(200, {"data": {"id": f"P{i}"}}) for i in range(25)])
    assert isinstance(second, Gather) and len(second.calls) == 5
    add = plan.send([Reply(201, {"data": {"id": f"P{i}"}}) for i in range(25, 30)])
    assert isinstance(add, Call) and add.op == "add_profiles_to_list"
    assert [d["id"] for d in add.body["data"]] == [f"P{i}" for i in range(30)]
    try:
        plan.send(Reply(204))
    except StopIteration as stop:
        assert stop.value.body[29] == {"id": "P29", "email": "29@x.com"}
    else:
        raise AssertionError("plan did not finish")
