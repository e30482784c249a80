"""Counts and approximate recipients on a stack of its own (``approximate_recipients`` on).

A list of three subscribers, one campaign sent to it and one draft, made through the new-API
pass-through. Then, through the legacy API: ``person_count`` of the list (profile_count),
``num_recipients`` of the draft (recipient estimation) and of the sent campaign (campaign values
report), and B9's approximate recipient list (Received Email events) paged with ``next_offset``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.e2e import newapi
from tests.e2e.harness import HTTP_TIMEOUT, Recorder, Stack, build_stack

APPROXIMATE = "x-compat-approximate"


@dataclass(frozen=True)
class Sent:
    stack: Stack
    list_id: str
    sent_id: str
    draft_id: str
    emails: frozenset[str]


@pytest.fixture(scope="module")
def sent(upstream_recorder: Recorder) -> Iterator[Sent]:
    with build_stack(
        upstream_recorder, source="counts", settings_overrides={"approximate_recipients": True}
    ) as stack:
        with stack.new_api() as api:
            list_id = newapi.create_list(api, "Counted", "single_opt_in")
            emails = [f"count{n}.{uuid.uuid4().hex[:6]}@example.com" for n in range(3)]
            ids = [newapi.create_profile(api, email=email) for email in emails]
            members = {"data": [{"type": "profile", "id": pid} for pid in ids]}
            assert api.post(
                f"/api/lists/{list_id}/relationships/profiles",
                json=members,
                headers={"content-type": "application/vnd.api+json"},
            ).status_code in (200, 204)
            template_id = newapi.create_template(api, "Counted", "<html><body>Hi</body></html>")
            sent_id, sent_message = newapi.create_campaign(
                api, "Sent", list_id, "Subject", "news@example.com", "Example Store"
            )
            newapi.assign_template(api, sent_message, template_id)
            draft_id, draft_message = newapi.create_campaign(
                api, "Draft", list_id, "Subject", "news@example.com", "Example Store"
            )
            newapi.assign_template(api, draft_message, template_id)
            job = {"data": {"type": "campaign-send-job", "id": sent_id}}
            newapi.post(api, "/api/campaign-send-jobs", job, 202)
            for _ in range(100):
                campaign, _message = newapi.get_campaign(api, sent_id)
                if campaign["status"] == "Sent":
                    break
                time.sleep(0.05)
            assert campaign["status"] == "Sent"
        yield Sent(stack, list_id, sent_id, draft_id, frozenset(emails))


def legacy(sent: Sent, path: str, **params: str) -> httpx.Response:
    with httpx.Client(base_url=sent.stack.proxy_url, timeout=HTTP_TIMEOUT, trust_env=False) as client:
        return client.get(path, params={"api_key": sent.stack.private_key, **params})


def test_person_count_and_num_recipients_are_real_numbers(sent: Sent) -> None:
    lists = legacy(sent, "/api/v1/lists").json()
    [counted] = [row for row in lists["data"] if row["id"] == sent.list_id]
    assert counted["person_count"] == 3
    time.sleep(1.1)  # profile_count's budget: one read a second
    draft = legacy(sent, f"/api/v1/campaign/{sent.draft_id}").json()
    assert draft["num_recipients"] == 3, "draft: the recipient estimation"
    time.sleep(1.1)
    done = legacy(sent, f"/api/v1/campaign/{sent.sent_id}").json()
    assert done["num_recipients"] == 3, "sent: recipients in the campaign values report"
    assert [audience["person_count"] for audience in done["lists"]] == [3]


def test_sent_campaign_recipients_from_received_email_events(sent: Sent) -> None:
    rows: list[dict[str, Any]] = []
    offset: str | None = None
    for _ in range(10):
        params = {"count": "1", **({"offset": offset} if offset else {})}
        response = legacy(sent, f"/api/v1/campaign/{sent.sent_id}/recipients", **params)
        assert response.status_code == 200, response.text
        assert response.headers[APPROXIMATE].startswith("recipients rebuilt from")
        page = response.json()
        assert page["object"] == "$list" and page["count"] == len(page["data"]) <= 1
        rows.extend(page["data"])
        offset = page.get("next_offset")
        if not offset:
            break
    assert {row["email"] for row in rows} == sent.emails
    assert all(row["status"] == "Sent" and row["customer_id"] for row in rows)
    assert page["total"] == 3


def test_draft_recipients_are_the_estimate_with_an_empty_page(sent: Sent) -> None:
    response = legacy(sent, f"/api/v1/campaign/{sent.draft_id}/recipients")
    assert response.status_code == 200, response.text
    assert response.headers[APPROXIMATE].startswith("not sent")
    assert response.json() == {"object": "$list", "data": [], "count": 0, "total": 3}
