"""Templates, campaigns, their messages and jobs: answers validate against the pinned spec."""

from __future__ import annotations

from tests.proxy.sandbox.conformance.conftest import (
    Recorded,
    new_campaign,
    new_list,
    new_profile,
    new_template,
)


async def test_templates(recorded: Recorded) -> None:
    r = recorded
    tid = await new_template(r, "Spec template")
    await r.ok("GET", "/api/templates")
    rename = {"data": {"type": "template", "id": tid, "attributes": {"name": "T2"}}}
    await r.ok("PATCH", f"/api/templates/{tid}", json=rename)
    clone = {"data": {"type": "template", "id": tid, "attributes": {"name": "Clone"}}}
    await r.ok("POST", "/api/template-clone", 201, json=clone)
    render = {"data": {"type": "template", "id": tid, "attributes": {"context": {"first_name": "A"}}}}
    await r.ok("POST", "/api/template-render", 201, json=render)
    await r.ok("DELETE", f"/api/templates/{tid}", 204)
    r.assert_conforms(at_least=6)


async def test_campaigns_and_messages(recorded: Recorded) -> None:
    r = recorded
    lid = await new_list(r, "Spec list")
    tid = await new_template(r, "Spec template")
    cid, mid = await new_campaign(r, "Spec campaign", lid)
    email_only = {"filter": "equals(messages.channel,'email')", "include": "campaign-messages"}
    await r.ok("GET", "/api/campaigns", params=email_only)
    await r.ok("GET", f"/api/campaigns/{cid}", params={"include": "campaign-messages"})
    rename = {"data": {"type": "campaign", "id": cid, "attributes": {"name": "Renamed"}}}
    await r.ok("PATCH", f"/api/campaigns/{cid}", json=rename)
    await r.ok("GET", f"/api/campaigns/{cid}/campaign-messages")
    content = {"definition": {"channel": "email", "content": {"subject": "T"}}}
    message = {"data": {"type": "campaign-message", "id": mid, "attributes": content}}
    await r.ok("PATCH", f"/api/campaign-messages/{mid}", json=message)
    template = {"template": {"data": {"type": "template", "id": tid}}}
    assign = {"data": {"type": "campaign-message", "id": mid, "relationships": template}}
    await r.ok("POST", "/api/campaign-message-assign-template", json=assign)
    await r.ok("GET", f"/api/campaign-messages/{mid}", params={"include": "template"})
    for related in ("relationships/template", "template", "campaign", "relationships/campaign"):
        await r.ok("GET", f"/api/campaign-messages/{mid}/{related}")
    await r.ok("GET", f"/api/campaigns/{cid}/relationships/campaign-messages")
    await r.ok("DELETE", f"/api/campaigns/{cid}", 204)
    r.assert_conforms(at_least=16)


async def test_clone_estimate_send_and_revert(recorded: Recorded) -> None:
    r = recorded
    cid, _ = await new_campaign(r, "Spec campaign", await new_list(r, "Spec list"))
    clone = {"data": {"type": "campaign", "id": cid, "attributes": {"new_name": "Cloned"}}}
    cloned = (await r.ok("POST", "/api/campaign-clone", 201, json=clone))["data"]["id"]
    estimate = {"data": {"type": "campaign-recipient-estimation-job", "id": cid}}
    await r.ok("POST", "/api/campaign-recipient-estimation-jobs", 202, json=estimate)
    await r.ok("GET", f"/api/campaign-recipient-estimation-jobs/{cid}")
    await r.ok("GET", f"/api/campaign-recipient-estimations/{cid}")
    await r.ok(
        "POST", "/api/campaign-send-jobs", 202, json={"data": {"type": "campaign-send-job", "id": cloned}}
    )
    await r.ok("GET", f"/api/campaign-send-jobs/{cloned}")

    later = (
        await r.ok(
            "POST",
            "/api/campaign-clone",
            201,
            json={"data": {"type": "campaign", "id": cid, "attributes": {}}},
        )
    )["data"]["id"]
    static = {"send_strategy": {"method": "static", "datetime": "2030-01-01T00:00:00+00:00"}}
    await r.ok(
        "PATCH",
        f"/api/campaigns/{later}",
        json={"data": {"type": "campaign", "id": later, "attributes": static}},
    )
    await r.ok(
        "POST", "/api/campaign-send-jobs", 202, json={"data": {"type": "campaign-send-job", "id": later}}
    )
    revert = {"data": {"type": "campaign-send-job", "id": later, "attributes": {"action": "revert"}}}
    await r.ok("PATCH", f"/api/campaign-send-jobs/{later}", 204, json=revert)
    r.assert_conforms(at_least=12)


async def test_sent_campaign_events_and_values_report(recorded: Recorded) -> None:
    r = recorded
    lid = await new_list(r, "Spec audience")
    pid = await new_profile(r, "recipient@example.com")
    members = {"data": [{"type": "profile", "id": pid}]}
    await r.ok("POST", f"/api/lists/{lid}/relationships/profiles", 204, json=members)
    cid, _ = await new_campaign(r, "Spec send", lid)
    await r.ok(
        "POST", "/api/campaign-send-jobs", 202, json={"data": {"type": "campaign-send-job", "id": cid}}
    )
    received = r.store.metric_named("Received Email").id
    await r.ok(
        "GET", "/api/events", params={"filter": f'equals(metric_id,"{received}")', "include": "profile"}
    )
    today = r.store.now()[:10]
    report = {
        "data": {
            "type": "campaign-values-report",
            "attributes": {
                "statistics": ["recipients", "delivered", "open_rate"],
                "timeframe": {"start": f"{today}T00:00:00+00:00", "end": f"{today}T23:59:59+00:00"},
                "conversion_metric_id": received,
                "filter": f'equals(campaign_id,"{cid}")',
            },
        }
    }
    found = await r.ok("POST", "/api/campaign-values-reports", json=report)
    assert found["data"]["attributes"]["results"][0]["statistics"]["recipients"] == 1
    r.assert_conforms(at_least=6)
