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
