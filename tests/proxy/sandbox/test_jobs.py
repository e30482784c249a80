"""Campaign send/cancel/clone/estimation, suppressions, deletions, accounts, profile relations."""

from __future__ import annotations

import httpx

from proxy.sandbox import DEMO_PUBLIC_KEY, Store
from tests.proxy.sandbox.conftest import error_of, make_profile
from tests.proxy.sandbox.test_campaigns import make_campaign


async def test_immediate_send_marks_sent(api: httpx.AsyncClient, store: Store) -> None:
    campaign = await make_campaign(api, store, "Now")
    body = {"data": {"type": "campaign-send-job", "id": campaign["id"]}}
    sent = await api.post("/api/campaign-send-jobs", json=body)
    assert sent.status_code == 202
    assert sent.json()["data"]["attributes"]["status"] == "queued"
    job = await api.get(f"/api/campaign-send-jobs/{campaign['id']}")
    assert job.json()["data"]["attributes"]["status"] == "complete"
    attrs = (await api.get(f"/api/campaigns/{campaign['id']}")).json()["data"]["attributes"]
    assert attrs["status"] == "Sent" and attrs["send_time"] is not None
    again = await api.post("/api/campaign-send-jobs", json=body)
    assert again.status_code == 400
    rename = {"data": {"type": "campaign", "id": campaign["id"], "attributes": {"name": "Too late"}}}
    assert (await api.patch(f"/api/campaigns/{campaign['id']}", json=rename)).status_code == 400


async def test_scheduled_send_cancel_and_revert(api: httpx.AsyncClient, store: Store) -> None:
    strategy = {"method": "static", "datetime": "2030-01-01T10:00:00+00:00", "options": {"is_local": False}}
    for action, expected in (("cancel", "Cancelled"), ("revert", "Draft")):
        campaign = await make_campaign(api, store, f"Later {action}", send_strategy=strategy)
        await api.post(
            "/api/campaign-send-jobs", json={"data": {"type": "campaign-send-job", "id": campaign["id"]}}
        )
        attrs = (await api.get(f"/api/campaigns/{campaign['id']}")).json()["data"]["attributes"]
        assert attrs["status"] == "Scheduled" and attrs["send_time"] == "2030-01-01T10:00:00+00:00"
        body = {"data": {"type": "campaign-send-job", "id": campaign["id"], "attributes": {"action": action}}}
        response = await api.patch(f"/api/campaign-send-jobs/{campaign['id']}", json=body)
        assert response.status_code == 204
        attrs = (await api.get(f"/api/campaigns/{campaign['id']}")).json()["data"]["attributes"]
        assert attrs["status"] == expected


async def test_clone_copies_messages_and_template(api: httpx.AsyncClient, store: Store) -> None:
    campaign = await make_campaign(api, store, "Original")
    message_id = campaign["relationships"]["campaign-messages"]["data"][0]["id"]
    template = store.add_template("T", "<p>x</p>")
    await api.post(
        "/api/campaign-message-assign-template",
        json={
            "data": {
                "type": "campaign-message",
                "id": message_id,
                "relationships": {"template": {"data": {"type": "template", "id": template.id}}},
            }
        },
    )
    response = await api.post(
        "/api/campaign-clone",
        json={"data": {"type": "campaign", "id": campaign["id"], "attributes": {"new_name": "Copy"}}},
    )
    assert response.status_code == 201
    clone = response.json()["data"]
    assert clone["id"] != campaign["id"] and clone["attributes"]["name"] == "Copy"
    assert clone["attributes"]["status"] == "Draft"
    [clone_message] = clone["relationships"]["campaign-messages"]["data"]
    assert clone_message["id"] != message_id
    assert store.campaign_messages[clone_message["id"]].template_id not in (None, template.id)


async def test_recipient_estimation(api: httpx.AsyncClient, store: Store) -> None:
    audience = store.add_list("Audience")
    excluded = store.add_list("Excluded")
    people = [await make_profile(api, email=f"r{n}@example.com") for n in range(3)]
    phone_only = await make_profile(api, phone_number="+13125550199")
    store.join(audience, [p["id"] for p in people] + [phone_only["id"]])
    store.join(excluded, [people[0]["id"]])
    campaign = await make_campaign(api, store, "Estimate")
    update = {
        "data": {
            "type": "campaign",
            "id": campaign["id"],
            "attributes": {"audiences": {"included": [audience.id], "excluded": [excluded.id]}},
        }
    }
    assert (await api.patch(f"/api/campaigns/{campaign['id']}", json=update)).status_code == 200
    job = {"data": {"type": "campaign-recipient-estimation-job", "id": campaign["id"]}}
    assert (await api.post("/api/campaign-recipient-estimation-jobs", json=job)).status_code == 202
    status = await api.get(f"/api/campaign-recipient-estimation-jobs/{campaign['id']}")
    assert status.json()["data"]["attributes"]["status"] == "complete"
    estimate = await api.get(f"/api/campaign-recipient-estimations/{campaign['id']}")
    assert estimate.json()["data"]["attributes"]["estimated_recipient_count"] == 2


async def test_suppression_job(api: httpx.AsyncClient, store: Store) -> None:
    body = {
        "data": {
            "type": "profile-suppression-bulk-create-job",
            "attributes": {
                "profiles": {"data": [{"type": "profile", "attributes": {"email": "sup@example.com"}}]}
            },
        }
    }
    response = await api.post("/api/profile-suppression-bulk-create-jobs", json=body)
    assert response.status_code == 202
    job = response.json()["data"]
    assert job["attributes"]["status"] == "queued" and job["attributes"]["total_count"] == 1
    polled = await api.get(f"/api/profile-suppression-bulk-create-jobs/{job['id']}")
    assert polled.json()["data"]["attributes"]["status"] == "complete"
    assert polled.json()["data"]["attributes"]["completed_count"] == 1
    profile = store.find_by_email("sup@example.com")
    assert profile is not None and profile.suppressions[0]["reason"] == "USER_SUPPRESSED"
    filtered = await api.get(
        "/api/profiles",
        params={
            "filter": 'equals(subscriptions.email.marketing.suppression.reason,"USER_SUPPRESSED")',
            "additional-fields[profile]": "subscriptions",
        },
    )
    assert [p["id"] for p in filtered.json()["data"]] == [profile.id]
    marketing = filtered.json()["data"][0]["attributes"]["subscriptions"]["email"]["marketing"]
    assert marketing["can_receive_email_marketing"] is False


async def test_profile_deletion(api: httpx.AsyncClient, store: Store) -> None:
    doomed = await make_profile(api, email="gone@example.com")
    record = store.add_list("L")
    store.join(record, [doomed["id"]])
    body = {
        "data": {
            "type": "data-privacy-deletion-job",
            "attributes": {
                "profile": {"data": {"type": "profile", "attributes": {"email": "gone@example.com"}}}
            },
        }
    }
    response = await api.post("/api/data-privacy-deletion-jobs", json=body)
    assert response.status_code == 202 and response.content == b""
    assert (await api.get(f"/api/profiles/{doomed['id']}")).status_code == 404
    assert record.members == {} and store.find_by_email("gone@example.com") is None
    recreated = await make_profile(api, email="gone@example.com")
    assert recreated["id"] != doomed["id"]
    both = {
        "data": {
            "type": "data-privacy-deletion-job",
            "attributes": {
                "profile": {
                    "data": {
                        "type": "profile",
                        "attributes": {"email": "a@example.com", "phone_number": "+13125550100"},
                    }
                }
            },
        }
    }
    assert error_of(await api.post("/api/data-privacy-deletion-jobs", json=both))["status"] == 400


async def test_accounts(api: httpx.AsyncClient) -> None:
    accounts = (await api.get("/api/accounts")).json()["data"]
    assert [a["attributes"]["public_api_key"] for a in accounts] == [DEMO_PUBLIC_KEY]
    assert (await api.get(f"/api/accounts/{DEMO_PUBLIC_KEY}")).status_code == 200


async def test_profile_lists_and_segments(api: httpx.AsyncClient, store: Store) -> None:
    person = await make_profile(api, email="member@example.com")
    record = store.add_list("Mine")
    store.add_list("Not mine")
    store.join(record, [person["id"]])
    segment_id = store.add_segment("Seg", [person["id"]])
    lists = await api.get(f"/api/profiles/{person['id']}/lists")
    assert [g["id"] for g in lists.json()["data"]] == [record.id]
    ids = await api.get(f"/api/profiles/{person['id']}/relationships/segments")
    assert ids.json()["data"] == [{"type": "segment", "id": segment_id}]
