"""New-API calls a migrating app makes through the proxy's pass-through (plain httpx).

Used to set up what the legacy calls act on (lists, templates, campaigns) and to read back
their effects, always through the proxy, never by poking the sandbox store.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

JSONAPI = "application/vnd.api+json"


def _ok(response: httpx.Response, *expected: int) -> Any:
    allowed = expected or (200,)
    request = response.request
    assert response.status_code in allowed, (
        f"{request.method} {request.url.path} -> {response.status_code}: {response.text[:500]}"
    )
    assert response.headers.get("content-type", "").startswith(JSONAPI) or not response.content, (
        response.headers
    )
    return response.json() if response.content else None


def post(client: httpx.Client, path: str, body: dict[str, Any], *expected: int) -> Any:
    return _ok(client.post(path, json=body, headers={"content-type": JSONAPI}), *(expected or (201,)))


def get(client: httpx.Client, path: str, **params: str) -> Any:
    return _ok(client.get(path, params=params), 200)


def create_list(client: httpx.Client, name: str, opt_in_process: str) -> str:
    body = {"data": {"type": "list", "attributes": {"name": name, "opt_in_process": opt_in_process}}}
    doc = post(client, "/api/lists", body)
    assert doc["data"]["attributes"]["opt_in_process"] == opt_in_process
    return str(doc["data"]["id"])


def create_template(client: httpx.Client, name: str, html: str) -> str:
    body = {"data": {"type": "template", "attributes": {"name": name, "editor_type": "CODE", "html": html}}}
    return str(post(client, "/api/templates", body)["data"]["id"])


def create_campaign(
    client: httpx.Client, name: str, list_id: str, subject: str, from_email: str, from_label: str
) -> tuple[str, str]:
    """An email campaign draft; returns (campaign id, campaign-message id)."""
    body = {
        "data": {
            "type": "campaign",
            "attributes": {
                "name": name,
                "audiences": {"included": [list_id], "excluded": []},
                "campaign-messages": {
                    "data": [
                        {
                            "type": "campaign-message",
                            "attributes": {
                                "definition": {
                                    "channel": "email",
                                    "label": name,
                                    "content": {
                                        "subject": subject,
                                        "from_email": from_email,
                                        "from_label": from_label,
                                    },
                                }
                            },
                        }
                    ]
                },
            },
        }
    }
    doc = post(client, "/api/campaigns", body)
    messages = doc["data"]["relationships"]["campaign-messages"]["data"]
    return str(doc["data"]["id"]), str(messages[0]["id"])


def assign_template(client: httpx.Client, message_id: str, template_id: str) -> None:
    body = {
        "data": {
            "type": "campaign-message",
            "id": message_id,
            "relationships": {"template": {"data": {"type": "template", "id": template_id}}},
        }
    }
    post(client, "/api/campaign-message-assign-template", body, 200, 201)


def find_profile(client: httpx.Client, email: str) -> dict[str, Any] | None:
    doc = get(client, "/api/profiles", filter=f"equals(email,{json.dumps(email)})")
    data = doc["data"]
    assert len(data) <= 1, data
    return data[0] if data else None


def list_member_ids(client: httpx.Client, list_id: str) -> set[str]:
    doc = get(client, f"/api/lists/{list_id}/profiles", **{"page[size]": "100"})
    return {str(p["id"]) for p in doc["data"]}


def profile_events(client: httpx.Client, profile_id: str) -> list[dict[str, Any]]:
    doc = get(client, "/api/events", filter=f"equals(profile_id,{json.dumps(profile_id)})", include="metric")
    names = {m["id"]: m["attributes"]["name"] for m in doc.get("included", []) if m.get("type") == "metric"}
    out = []
    for event in doc["data"]:
        metric = event.get("relationships", {}).get("metric", {}).get("data") or {}
        out.append({**event["attributes"], "metric_name": names.get(metric.get("id"))})
    return out


def status_of(client: httpx.Client, path: str, **params: str) -> int:
    """The status of a GET through the pass-through (e.g. 404 once something is deleted)."""
    return client.get(path, params=params).status_code


def create_profile(client: httpx.Client, **attributes: Any) -> str:
    body = {"data": {"type": "profile", "attributes": attributes}}
    return str(post(client, "/api/profiles", body)["data"]["id"])


def create_event(
    client: httpx.Client,
    metric: str,
    email: str,
    when: str,
    properties: dict[str, Any] | None = None,
    value: float | None = None,
) -> None:
    """POST /api/events (202, no body): the event, its metric and its profile by email."""
    attributes: dict[str, Any] = {
        "properties": properties or {},
        "time": when,
        "metric": {"data": {"type": "metric", "attributes": {"name": metric}}},
        "profile": {"data": {"type": "profile", "attributes": {"email": email}}},
    }
    if value is not None:
        attributes["value"] = value
    post(client, "/api/events", {"data": {"type": "event", "attributes": attributes}}, 202)


def profile_metric_ids(client: httpx.Client, profile_id: str) -> dict[str, str]:
    """Metric name -> metric ID, for the metrics of a profile's events."""
    doc = get(client, "/api/events", filter=f"equals(profile_id,{json.dumps(profile_id)})", include="metric")
    return {m["attributes"]["name"]: m["id"] for m in doc.get("included", []) if m.get("type") == "metric"}


def get_campaign(client: httpx.Client, campaign_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(campaign attributes, its first message's attributes + template id) through the pass-through."""
    doc = get(client, f"/api/campaigns/{campaign_id}", include="campaign-messages")
    messages = [r for r in doc.get("included", []) if r.get("type") == "campaign-message"]
    assert messages, doc
    message = dict(messages[0]["attributes"])
    template = (messages[0].get("relationships", {}).get("template", {}) or {}).get("data") or {}
    message["template_id"] = template.get("id")
    return doc["data"]["attributes"], message
