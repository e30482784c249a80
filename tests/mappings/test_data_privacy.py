"""Unit tests: G1 resolves one profile, then deletes exactly that profile by ID."""

from __future__ import annotations

from typing import Any

import pytest

from mappings.core import Call, LegacyReply, LegacyRequest, Reply
from mappings.operations.data_privacy import NOT_FOUND, deletion_body, request_deletion


def _req(**params: Any) -> LegacyRequest:
    return LegacyRequest(method="POST", path="/x", params={k: [v] for k, v in params.items()})


def test_deletion_body_targets_one_profile_by_id() -> None:
    profile = deletion_body("P1")["data"]["attributes"]["profile"]["data"]
    assert profile == {"type": "profile", "id": "P1", "attributes": {}}


def _finish(plan: Any, answer: Any) -> LegacyReply:
    with pytest.raises(StopIteration) as stop:
        plan.send(answer)
    reply = stop.value.value
    assert isinstance(reply, LegacyReply)
    return reply


def test_deletion_plan_by_email() -> None:
    plan = request_deletion.plan(_req(email="a@x.com"))
    lookup = plan.send(None)
    assert isinstance(lookup, Call) and lookup.op == "get_profiles"
    job = plan.send(Reply(200, {"data": [{"type": "profile", "id": "P1"}]}))
    assert job == Call("request_profile_deletion", body=deletion_body("P1"))
    reply = _finish(plan, Reply(202))
    assert (reply.status, reply.body) == (202, {"results": "Submitted new deletion task for customer."})


def test_deletion_plan_unknown_email_never_deletes() -> None:
    plan = request_deletion.plan(_req(email="a@x.com"))
    plan.send(None)
    reply = _finish(plan, Reply(200, {"data": []}))
    assert (reply.status, reply.body) == (404, {"detail": NOT_FOUND})


def test_deletion_plan_by_person_id_checks_the_profile_first() -> None:
    plan = request_deletion.plan(_req(person_id="P9"))
    check = plan.send(None)
    assert check == Call(
        "get_profile", path_params={"id": "P9"}, query={"fields[profile]": "email"}, expect=(200,)
    )
    assert plan.send(Reply(200, {"data": {"id": "P9"}})) == Call(
        "request_profile_deletion", body=deletion_body("P9")
    )
