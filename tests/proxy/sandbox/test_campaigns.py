"""Campaigns: create, channel-filter requirement, includes, cursor pages, messages, templates."""

from __future__ import annotations

from typing import Any

import httpx

from proxy.sandbox import Store
from tests.proxy.sandbox.conftest import error_of

EMAIL_FILTER = "equals(messages.channel,'email')"


def campaign_body(name: str, list_id: str, channel: str = "email", **attributes: Any) -> dict[str, Any]:
    content = {"subject": f"{name}!", "from_email": "news@example.com", "from_label": "Example"}
    definition: dict[str, Any] = {"channel": channel, "label": name, "content": content}
    if channel == "sms":
        definition = {"channel": "sms", "content": {"body": "Hi"}}
    return {
        "data": {
            "type": "campaign",
            "attributes": {
                "name": name,
                "audiences": {"included": [list_id], "excluded": []},
                "campaign-messages": {
                    "data": [{"type": "campaign-message", "attributes": {"definition": definition}}]
                },
                **attributes,
            },
        }
    }


async def make_campaign(
    api: httpx.AsyncClient, store: Store, name: str, channel: str = "email", **attributes: Any
) -> dict[str, Any]:
    list_id = next(iter(store.lists), None) or store.add_list("Audience").id
    response = await api.post("/api/campaigns", json=campaign_body(name, list_id, channel, **attributes))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_create_campaign_shape(api: httpx.AsyncClient, store: Store) -> None:
    data = await make_campaign(
        api,
        store,
        "Spring",
        send_options={"use_smart_sending": False},
        tracking_options={"add_tracking_params": True},
    )
    assert len(data["id"]) == 26
    attrs = data["attributes"]
    assert attrs["status"] == "Draft" and attrs["archived"] is False
    assert attrs["send_options"] == {"use_smart_sending": False}
    assert attrs["tracking_options"] == {"add_tracking_params": True}
    assert attrs["send_strategy"] == {"method": "immediate"}
    assert attrs["created_at"].endswith("+00:00") and attrs["send_time"] is None
    messages = data["relationships"]["campaign-messages"]["data"]
    assert len(messages) == 1 and messages[0]["type"] == "campaign-message" and len(messages[0]["id"]) == 26
    message = (await api.get(f"/api/campaign-messages/{messages[0]['id']}")).json()["data"]
    definition = message["attributes"]["definition"]
    assert definition["channel"] == "email" and definition["label"] == "Spring"
    assert definition["content"]["subject"] == "Spring!" and definition["content"]["preview_text"] is None
    assert message["relationships"]["campaign"]["data"]["id"] == data["id"]
    assert "data" not in message["relationships"]["template"]


async def test_create_campaign_validation(api: httpx.AsyncClient, store: Store) -> None:
    list_id = store.add_list("A").id
    no_messages = campaign_body("X", list_id)
    del no_messages["data"]["attributes"]["campaign-messages"]
    error = error_of(await api.post("/api/campaigns", json=no_messages))
    assert error["source"] == {"pointer": "/data/attributes/campaign-messages"}
    bad_audience = campaign_body("X", "NOPE00")
    assert (await api.post("/api/campaigns", json=bad_audience)).status_code == 400
    bad_content = campaign_body("X", list_id)
    message = bad_content["data"]["attributes"]["campaign-messages"]["data"][0]
    message["attributes"]["definition"]["content"]["from_name"] = "Legacy"
    error = error_of(await api.post("/api/campaigns", json=bad_content))
    assert error["source"]["pointer"].endswith("/definition/content/from_name")
    bad_strategy = campaign_body("X", list_id, send_strategy={"method": "static"})
    assert (await api.post("/api/campaigns", json=bad_strategy)).status_code == 400


async def test_get_campaigns_requires_channel_filter(api: httpx.AsyncClient, store: Store) -> None:
    await make_campaign(api, store, "Email one")
    await make_campaign(api, store, "Text one", channel="sms")
    for params in ({}, {"filter": "equals(status,'Draft')"}):
        response = await api.get("/api/campaigns", params=params)
        assert response.status_code == 400
        assert error_of(response)["source"] == {"parameter": "filter"}
    emails = (await api.get("/api/campaigns", params={"filter": EMAIL_FILTER})).json()["data"]
    assert [c["attributes"]["name"] for c in emails] == ["Email one"]
    sms = (await api.get("/api/campaigns", params={"filter": 'equals(messages.channel,"sms")'})).json()[
        "data"
    ]
    assert [c["attributes"]["name"] for c in sms] == ["Text one"]
    combined = await api.get(
        "/api/campaigns",
        params={"filter": f"and({EMAIL_FILTER},contains(name,'email'),equals(status,'Draft'))"},
    )
    assert len(combined.json()["data"]) == 1
    bad_channel = await api.get("/api/campaigns", params={"filter": "equals(messages.channel,'fax')"})
    assert bad_channel.status_code == 400


async def test_get_campaigns_include_sort_and_pages(api: httpx.AsyncClient, store: Store) -> None:
    for name in ("b", "a", "c"):
        await make_campaign(api, store, name)
    params = {"filter": EMAIL_FILTER, "sort": "name", "include": "campaign-messages", "page[size]": "2"}
    first = (await api.get("/api/campaigns", params=params)).json()
    assert [c["attributes"]["name"] for c in first["data"]] == ["a", "b"]
    message_ids = {c["relationships"]["campaign-messages"]["data"][0]["id"] for c in first["data"]}
    assert {m["id"] for m in first["included"]} == message_ids
    assert all(m["type"] == "campaign-message" for m in first["included"])
    second = (await api.get(first["links"]["next"])).json()
    assert [c["attributes"]["name"] for c in second["data"]] == ["c"]
    assert second["links"]["next"] is None and len(second["included"]) == 1
    newest = (await api.get("/api/campaigns", params={"filter": EMAIL_FILTER, "sort": "-created_at"})).json()
    assert len(newest["data"]) == 3
    assert (
        await api.get("/api/campaigns", params={"filter": EMAIL_FILTER, "page[size]": "101"})
    ).status_code == 400


async def test_update_and_delete_campaign(api: httpx.AsyncClient, store: Store) -> None:
    data = await make_campaign(api, store, "Old")
    other = store.add_list("Other").id
    body = {
        "data": {
            "type": "campaign",
            "id": data["id"],
            "attributes": {
                "name": "New",
                "audiences": {"included": [other]},
                "send_strategy": {
                    "method": "static",
                    "datetime": "2030-01-01T10:00:00+00:00",
                    "options": {"is_local": False},
                },
            },
        }
    }
    response = await api.patch(f"/api/campaigns/{data['id']}", json=body)
    assert response.status_code == 200, response.text
    attrs = response.json()["data"]["attributes"]
    assert attrs["name"] == "New" and attrs["audiences"]["included"] == [other]
    assert attrs["send_strategy"]["method"] == "static"
    got = await api.get(f"/api/campaigns/{data['id']}", params={"include": "campaign-messages"})
    assert got.json()["included"][0]["type"] == "campaign-message"
    assert (await api.delete(f"/api/campaigns/{data['id']}")).status_code == 204
    assert (await api.get(f"/api/campaigns/{data['id']}")).status_code == 404
    assert store.campaign_messages == {}


async def test_update_campaign_message_merges_content(api: httpx.AsyncClient, store: Store) -> None:
    data = await make_campaign(api, store, "Msg")
    message_id = data["relationships"]["campaign-messages"]["data"][0]["id"]
    body = {
        "data": {
            "type": "campaign-message",
            "id": message_id,
            "attributes": {"definition": {"channel": "email", "content": {"subject": "Changed"}}},
        }
    }
    response = await api.patch(f"/api/campaign-messages/{message_id}", json=body)
    assert response.status_code == 200, response.text
    content = response.json()["data"]["attributes"]["definition"]["content"]
    assert content["subject"] == "Changed" and content["from_email"] == "news@example.com"
    switch = {
        "data": {
            "type": "campaign-message",
            "id": message_id,
            "attributes": {"definition": {"channel": "sms"}},
        }
    }
    assert (await api.patch(f"/api/campaign-messages/{message_id}", json=switch)).status_code == 400


async def test_messages_for_campaign(api: httpx.AsyncClient, store: Store) -> None:
    data = await make_campaign(api, store, "Listing")
    message_id = data["relationships"]["campaign-messages"]["data"][0]["id"]
    listed = await api.get(f"/api/campaigns/{data['id']}/campaign-messages")
    assert [m["id"] for m in listed.json()["data"]] == [message_id]
    ids = await api.get(f"/api/campaigns/{data['id']}/relationships/campaign-messages")
    assert ids.json()["data"] == [{"type": "campaign-message", "id": message_id}]


async def test_assign_template_creates_private_copy(api: httpx.AsyncClient, store: Store) -> None:
    data = await make_campaign(api, store, "Templated")
    message_id = data["relationships"]["campaign-messages"]["data"][0]["id"]
    template = store.add_template("Welcome", "<p>Hello {{ first_name }}</p>")
    body = {
        "data": {
            "type": "campaign-message",
            "id": message_id,
            "relationships": {"template": {"data": {"type": "template", "id": template.id}}},
        }
    }
    response = await api.post("/api/campaign-message-assign-template", json=body)
    assert response.status_code == 200, response.text
    assigned = response.json()["data"]
    copy_id = assigned["relationships"]["template"]["data"]["id"]
    assert copy_id != template.id
    assert assigned["attributes"]["channel"] == "email"
    assert assigned["attributes"]["content"]["subject"] == "Templated!"
    copy = store.templates[copy_id]
    assert copy.html == template.html and copy.reusable is False
    message = await api.get(f"/api/campaign-messages/{message_id}", params={"include": "template"})
    assert message.json()["included"][0]["id"] == copy_id
    assert message.json()["included"][0]["attributes"]["html"] == template.html
    relationship = await api.get(f"/api/campaign-messages/{message_id}/relationships/template")
    assert relationship.json()["data"] == {"type": "template", "id": copy_id}
    related = await api.get(f"/api/campaign-messages/{message_id}/template")
    assert related.json()["data"]["id"] == copy_id
    listed = (await api.get("/api/templates")).json()["data"]
    assert [t["id"] for t in listed] == [template.id]  # the private copy is not in the library
    missing = {
        "data": {
            "type": "campaign-message",
            "id": message_id,
            "relationships": {"template": {"data": {"type": "template", "id": "NOPE00"}}},
        }
    }
    assert (await api.post("/api/campaign-message-assign-template", json=missing)).status_code == 404
