"""Unit tests: B2/B4 request bodies, B6 send times, shared campaign sub-plans (plain dicts)."""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, datetime
from typing import Any

import pytest

from mappings.core import CachedLookups, Call, Gather, LegacyRequest, Reply, UpstreamError
from mappings.operations.campaign_actions import parse_send_time
from mappings.translate.campaign_objects import legacy_campaign, message_definition
from mappings.translate.campaign_steps import campaign_answer, merged, read_campaign, rollback
from mappings.translate.campaign_writes import CampaignFields, create_body, first_message_id
from mappings.translate.form_values import BadInput

NOW = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def req(**params: Any) -> LegacyRequest:
    return LegacyRequest(method="POST", path="/api/v1/campaigns", params={k: [v] for k, v in params.items()})


REQUIRED = {
    "list_id": "L1",
    "template_id": "T1",
    "from_email": "a@b.com",
    "from_name": "Shop",
    "subject": "Hi",
}


def test_create_fields_required() -> None:
    for name in REQUIRED:
        partial = {k: v for k, v in REQUIRED.items() if k != name}
        with pytest.raises(BadInput, match=f"'{name}' parameter is required"):
            CampaignFields.parse(req(**partial), create=True)
    CampaignFields.parse(req(), create=False)  # nothing is required on update


def test_create_body_defaults_name_to_subject_and_omits_unset_options() -> None:
    body = create_body(CampaignFields.parse(req(**REQUIRED), create=True))
    attributes = body["data"]["attributes"]
    assert attributes["name"] == "Hi"
    assert "send_options" not in attributes
    assert "tracking_options" not in attributes
    assert attributes["audiences"] == {"included": ["L1"], "excluded": []}
    definition = attributes["campaign-messages"]["data"][0]["attributes"]["definition"]
    assert definition == {
        "channel": "email",
        "label": "Hi",
        "content": {"subject": "Hi", "from_email": "a@b.com", "from_label": "Shop"},
    }


def test_options_from_booleans() -> None:
    fields = CampaignFields.parse(
        req(**REQUIRED, use_smart_sending="False", add_google_analytics="True"), create=True
    )
    attributes = create_body(fields)["data"]["attributes"]
    assert attributes["send_options"] == {"use_smart_sending": False}
    assert attributes["tracking_options"] == {
        "is_tracking_clicks": True,
        "is_tracking_opens": True,
        "add_tracking_params": True,
    }


def test_update_tracking_keeps_current_settings() -> None:
    fields = CampaignFields.parse(req(add_google_analytics="false"), create=False)
    current = {"is_tracking_opens": False, "add_tracking_params": True, "unknown": 1}
    assert fields.tracking(current) == {"is_tracking_opens": False, "add_tracking_params": False}
    assert CampaignFields.parse(req(), create=False).options(current) == {}


def test_content_maps_from_name_to_from_label() -> None:
    fields = CampaignFields.parse(req(from_name="Shop"), create=False)
    assert fields.content() == {"from_label": "Shop"}


def test_first_message_id() -> None:
    campaign = {"relationships": {"campaign-messages": {"data": [{"type": "campaign-message", "id": "M1"}]}}}
    assert first_message_id(campaign) == "M1"
    assert first_message_id({"relationships": {"campaign-messages": {"data": []}}}) is None
    assert first_message_id({}) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-02-01 09:30:00", "2024-02-01T09:30:00+00:00"),
        ("2024-02-01T09:30:00Z", "2024-02-01T09:30:00+00:00"),
        ("2024-02-01T11:30:00+02:00", "2024-02-01T09:30:00+00:00"),
        ("2024-02-01", "2024-02-01T00:00:00+00:00"),
    ],
)
def test_parse_send_time(raw: str, expected: str) -> None:
    assert parse_send_time(raw, NOW) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "is required"),
        ("", "is required"),
        ("tomorrow", "use 'YYYY-MM-DD HH:MM:SS'"),
        ("2024-01-01 12:00:00", "must be in the future"),
        ("2023-12-31 23:59:59", "must be in the future"),
    ],
)
def test_parse_send_time_rejects(raw: str | None, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        parse_send_time(raw, NOW)


def test_message_definition_reads_both_shapes() -> None:
    nested = {"attributes": {"definition": {"channel": "email", "content": {"subject": "S"}}}}
    flat = {"attributes": {"channel": "email", "label": "L", "content": {"subject": "S"}, "send_times": []}}
    assert message_definition(nested) == {"channel": "email", "content": {"subject": "S"}}
    assert message_definition(flat) == {"channel": "email", "label": "L", "content": {"subject": "S"}}
    assert message_definition(None) == {}


def test_legacy_campaign_template_override() -> None:
    message = {"attributes": {}, "relationships": {"template": {"data": {"type": "template", "id": "COPY"}}}}
    campaign = {"id": "C1", "attributes": {"status": "Draft"}}
    assert legacy_campaign(campaign, message, {})["template_id"] == "COPY"
    assert legacy_campaign(campaign, message, {}, template_id="ORIG")["template_id"] == "ORIG"


# --------------------------------------------------------------------------- sub-plans


def drive(gen: Generator[Any, Any, Any], answers: list[Any]) -> tuple[list[Any], Any]:
    """Run a sub-plan, answering each step in turn (an UpstreamError answer is thrown in)."""
    steps: list[Any] = []
    to_send: Any = None
    pending = list(answers)
    try:
        while True:
            step = gen.send(to_send) if not isinstance(to_send, UpstreamError) else gen.throw(to_send)
            steps.append(step)
            to_send = pending.pop(0)
    except StopIteration as stop:
        return steps, stop.value


def test_read_campaign_finds_its_message() -> None:
    campaign = {
        "type": "campaign",
        "id": "C1",
        "attributes": {},
        "relationships": {"campaign-messages": {"data": [{"type": "campaign-message", "id": "M1"}]}},
    }
    msg = {"type": "campaign-message", "id": "M1", "attributes": {}}
    steps, (got, message) = drive(read_campaign("C1"), [Reply(200, {"data": campaign, "included": [msg]})])
    assert steps == [Call("get_campaign", path_params={"id": "C1"}, query={"include": "campaign-messages"})]
    assert got == campaign
    assert message == msg


def test_campaign_answer_skips_lookup_without_audiences() -> None:
    campaign = {"id": "C1", "attributes": {"audiences": {"included": [], "excluded": None}}}
    steps, answer = drive(campaign_answer(campaign, None, now=NOW), [{}])
    assert [type(s) for s in steps] == [CachedLookups]  # no audience read, one recipient lookup
    assert [lookup.call.op for lookup in steps[0].lookups] == ["get_campaign_recipient_estimation"]
    assert answer["lists"] == [] and answer["num_recipients"] == 0  # never read: 0, not null


def test_campaign_answer_looks_up_each_audience_once() -> None:
    campaign = {"id": "C1", "attributes": {"audiences": {"included": ["A", "B"], "excluded": ["A"]}}}
    found = {"data": [{"type": "list", "id": "A", "attributes": {"name": "List A"}}]}
    steps, answer = drive(
        campaign_answer(campaign, None, now=NOW),
        [
            [Reply(200, found), Reply(200, {"data": []})],
            {"list:A:profile_count": 12},
            {"campaign:C1:recipients": 3},
        ],
    )
    assert answer["num_recipients"] == 3
    assert [lookup.keys for lookup in steps[1].lookups] == [("list:A:profile_count",)]
    assert answer["lists"][0]["person_count"] == 12
    assert isinstance(steps[0], Gather)
    assert [c.query["filter"] for c in steps[0].calls] == ['any(id,["A","B"])'] * 2
    assert [item["id"] for item in answer["lists"]] == ["A"]
    assert [item["id"] for item in answer["excluded_lists"]] == ["A"]


def test_rollback_swallows_its_own_failure() -> None:
    steps, value = drive(rollback("C1"), [UpstreamError("delete_campaign", Reply(429))])
    assert steps == [Call("delete_campaign", path_params={"id": "C1"})]
    assert value is None


def test_merged_keeps_what_a_partial_answer_leaves_out() -> None:
    before = {"id": "C1", "attributes": {"name": "A", "status": "Draft", "send_options": {"x": 1, "y": 2}}}
    after = {
        "id": "C1",
        "attributes": {"name": "B", "send_options": {"x": 3}, "audiences": {"included": ["L"]}},
    }
    assert merged(before, after) == {
        "id": "C1",
        "attributes": {
            "name": "B",
            "status": "Draft",
            "send_options": {"x": 3, "y": 2},
            "audiences": {"included": ["L"]},
        },
    }
    assert merged(before, {}) == before
    assert merged(None, after) == after
