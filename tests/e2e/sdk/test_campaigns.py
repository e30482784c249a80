"""``Campaigns``: list, create (and its rollback), read, update, clone, schedule, cancel, send; the
unsupported recipient list (9 operations)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from swagger_client.rest import ApiException

from tests.e2e import newapi
from tests.e2e.harness import Stack
from tests.e2e.sdk.support import api_error, legacy_time, raw
from tests.e2e.shapes import (
    V1_DATETIME,
    assert_campaign,
    assert_offset_page,
    assert_unsupported,
    unique,
    wait_for,
)


@pytest.fixture(scope="module")
def audience(own: Stack) -> dict[str, str]:
    """Two lists and a template made through the pass-through, plus three campaign drafts."""
    with own.new_api() as client:
        out = {
            "list": newapi.create_list(client, unique("Audience A"), "single_opt_in"),
            "list2": newapi.create_list(client, unique("Audience B"), "single_opt_in"),
            "template": newapi.create_template(
                client, "Base", "<html><body>Hi {{ first_name }}</body></html>"
            ),
        }
        for n in range(3):
            campaign_id, message_id = newapi.create_campaign(
                client, f"Seed {n}", out["list"], f"Seed subject {n}", "seed@example.com", "Seed Store"
            )
            newapi.assign_template(client, message_id, out["template"])
            out[f"seed{n}"] = campaign_id
    return out


def sdk_draft(sdk: Any, audience: dict[str, str], name: str) -> dict[str, Any]:
    return dict(
        sdk.Campaigns.create_campaign(
            list_id=audience["list"],
            template_id=audience["template"],
            from_email="news@example.com",
            from_name="Example Store",
            subject=f"Subject of {name}",
            name=name,
        )
    )


class TestCampaigns:
    def test_get_campaigns(self, sdk: Any, audience: dict[str, str]) -> None:
        seeds = {audience[f"seed{n}"] for n in range(3)}
        pages, page = [], 0
        while True:
            envelope = dict(sdk.Campaigns.get_campaigns(page=page, count=2))
            assert_offset_page(envelope, page, 2)
            pages.append(envelope)
            if not envelope["data"] or envelope["end"] >= envelope["total"] - 1:
                break
            page += 1
            assert page < 20
        rows = [c for envelope in pages for c in envelope["data"]]
        assert len(rows) == len({c["id"] for c in rows}) == pages[0]["total"], (
            "pages partition the collection"
        )
        assert seeds <= {c["id"] for c in rows}
        created = [c["created"] for c in rows]
        assert created == sorted(created, reverse=True), "newest first"
        for campaign in rows:
            assert_campaign(campaign)
        seed = next(c for c in rows if c["id"] == audience["seed1"])
        assert (seed["name"], seed["subject"], seed["from_email"], seed["from_name"]) == (
            "Seed 1",
            "Seed subject 1",
            "seed@example.com",
            "Seed Store",
        )
        assert (seed["status"], seed["status_id"], seed["status_label"]) == ("draft", 2, "Draft")
        assert [a["id"] for a in seed["lists"]] == [audience["list"]]

    def test_create_campaign(self, sdk: Any, new_api: httpx.Client, audience: dict[str, str]) -> None:
        created = dict(
            sdk.Campaigns.create_campaign(
                list_id=audience["list"],
                template_id=audience["template"],
                from_email="news@example.com",
                from_name="Example Store",
                subject="Spring sale",
                name="Spring",
                use_smart_sending=False,
                add_google_analytics=True,
            )
        )
        assert_campaign(created)
        assert (created["name"], created["subject"], created["from_email"], created["from_name"]) == (
            "Spring",
            "Spring sale",
            "news@example.com",
            "Example Store",
        )
        assert (created["status"], created["status_id"], created["sent_at"]) == ("draft", 2, None)
        assert created["template_id"] == audience["template"]
        assert [(a["id"], a["list_type"]) for a in created["lists"]] == [(audience["list"], "list")]

        attributes, message = newapi.get_campaign(new_api, created["id"])
        assert attributes["name"] == "Spring" and attributes["status"] == "Draft"
        assert attributes["audiences"]["included"] == [audience["list"]]
        assert attributes["send_options"]["use_smart_sending"] is False
        assert attributes["tracking_options"]["add_tracking_params"] is True
        content = message["definition"]["content"]
        assert (content["subject"], content["from_email"], content["from_label"]) == (
            "Spring sale",
            "news@example.com",
            "Example Store",
        )
        assert message["template_id"], "a template copy is assigned to the message"

    def test_create_campaign_with_unknown_template_rolls_back(
        self, own: Stack, sdk: Any, new_api: httpx.Client, audience: dict[str, str]
    ) -> None:
        """B2's rollback path: the draft is created, the template assignment fails, the draft is
        deleted again (delete_campaign, exercised end to end) and the legacy 404 is answered."""
        name = unique("Rolled back")
        mark = own.recorder.mark()
        with pytest.raises(ApiException) as caught:
            sdk.Campaigns.create_campaign(
                list_id=audience["list"],
                template_id="NoSuchTemplate",
                from_email="news@example.com",
                from_name="Example Store",
                subject="Never sent",
                name=name,
            )
        assert api_error(caught) == (
            404,
            {"status": 404, "message": "The requested resource does not exist."},
        )

        sent = [(r.method, httpx.URL(r.url).path) for r in own.recorder.since(mark) if r.source == "e2e-sdk"]
        deletes = [path for method, path in sent if method == "DELETE"]
        assert [method for method, _ in sent] == ["POST", "POST", "DELETE"], sent
        assert sent[:2] == [("POST", "/api/campaigns"), ("POST", "/api/campaign-message-assign-template")]
        assert len(deletes) == 1 and deletes[0].startswith("/api/campaigns/"), sent
        campaign_id = deletes[0].removeprefix("/api/campaigns/")
        assert newapi.status_of(new_api, f"/api/campaigns/{campaign_id}") == 404

        def named(text: str) -> list[str]:
            query = f"equals(messages.channel,'email'),contains(name,{json.dumps(text)})"
            return [c["id"] for c in newapi.get(new_api, "/api/campaigns", filter=query)["data"]]

        assert audience["seed0"] in named("Seed 0"), "the name filter finds a campaign that exists"
        assert named(name) == [], "no campaign was left behind"

    def test_get_campaign_info(self, sdk: Any, audience: dict[str, str]) -> None:
        campaign = dict(sdk.Campaigns.get_campaign_info(audience["seed0"]))
        assert_campaign(campaign)
        assert (campaign["id"], campaign["name"], campaign["subject"]) == (
            audience["seed0"],
            "Seed 0",
            "Seed subject 0",
        )
        assert [a["id"] for a in campaign["lists"]] == [audience["list"]] and campaign["excluded_lists"] == []
        assert campaign["template_id"]
        with pytest.raises(ApiException) as caught:
            sdk.Campaigns.get_campaign_info("01ZZZZZZZZZZZZZZZZZZZZZZZZ")
        assert api_error(caught) == (
            404,
            {"status": 404, "message": "The requested resource does not exist."},
        )

    def test_update_campaign(self, sdk: Any, new_api: httpx.Client, audience: dict[str, str]) -> None:
        draft = sdk_draft(sdk, audience, "To update")
        updated = dict(
            sdk.Campaigns.update_campaign(
                draft["id"], subject="Updated subject", from_name="New Sender", list_id=audience["list2"]
            )
        )
        assert_campaign(updated)
        assert (updated["id"], updated["name"], updated["subject"], updated["from_name"]) == (
            draft["id"],
            "To update",
            "Updated subject",
            "New Sender",
        )
        assert [a["id"] for a in updated["lists"]] == [audience["list2"]]
        attributes, message = newapi.get_campaign(new_api, draft["id"])
        assert attributes["audiences"]["included"] == [audience["list2"]]
        content = message["definition"]["content"]
        assert (content["subject"], content["from_label"], content["from_email"]) == (
            "Updated subject",
            "New Sender",
            "news@example.com",
        )

    def test_clone_campaign(self, sdk: Any, new_api: httpx.Client, audience: dict[str, str]) -> None:
        clone = dict(
            sdk.Campaigns.clone_campaign(audience["seed2"], name="Seed 2 again", list_id=audience["list2"])
        )
        assert_campaign(clone)
        assert clone["id"] != audience["seed2"]
        assert (clone["name"], clone["subject"], clone["status"]) == (
            "Seed 2 again",
            "Seed subject 2",
            "draft",
        )
        assert [a["id"] for a in clone["lists"]] == [audience["list2"]]
        attributes, message = newapi.get_campaign(new_api, clone["id"])
        assert attributes["name"] == "Seed 2 again" and attributes["status"] == "Draft"
        assert attributes["audiences"]["included"] == [audience["list2"]]
        assert message["definition"]["content"]["subject"] == "Seed subject 2"

    def test_schedule_campaign_then_cancel_campaign(
        self, sdk: Any, new_api: httpx.Client, audience: dict[str, str]
    ) -> None:
        draft = sdk_draft(sdk, audience, "To schedule")
        when = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
        answer = sdk.Campaigns.schedule_campaign(draft["id"], send_time=legacy_time(when))
        assert dict(answer) == {"status": "queued"}
        attributes, _ = newapi.get_campaign(new_api, draft["id"])
        assert attributes["status"] == "Scheduled"
        assert attributes["send_strategy"]["method"] == "static"
        assert datetime.fromisoformat(attributes["send_strategy"]["datetime"]) == when

        cancelled = dict(sdk.Campaigns.cancel_campaign(draft["id"]))
        assert_campaign(cancelled)
        assert (cancelled["id"], cancelled["status"], cancelled["status_label"]) == (
            draft["id"],
            "cancelled",
            "Cancelled",
        )
        assert newapi.get_campaign(new_api, draft["id"])[0]["status"] == "Cancelled"

    def test_send_campaign(self, sdk: Any, new_api: httpx.Client, audience: dict[str, str]) -> None:
        draft = sdk_draft(sdk, audience, "To send")
        assert dict(sdk.Campaigns.send_campaign(draft["id"])) == {"status": "queued"}
        assert raw(sdk, "Campaigns")[0] == 200
        wait_for(lambda: newapi.get_campaign(new_api, draft["id"])[0]["status"] == "Sent", "campaign sent")
        sent = dict(sdk.Campaigns.get_campaign_info(draft["id"]))
        assert (sent["status"], sent["status_id"], sent["status_label"]) == ("sent", 1, "Sent")
        assert V1_DATETIME.match(sent["sent_at"] or ""), sent

    def test_get_campaign_recipients_is_unsupported(self, sdk: Any, audience: dict[str, str]) -> None:
        with pytest.raises(ApiException) as caught:
            sdk.Campaigns.get_campaign_recipients(audience["seed0"], count=100, sort="asc")
        status, body = api_error(caught)
        assert_unsupported(status, body, names="campaign-recipient-estimation")
