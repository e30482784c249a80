"""Lists, segments, subscription and suppression jobs, privacy deletion: answers validate."""

from __future__ import annotations

from typing import Any

from tests.proxy.sandbox.conformance.conftest import Recorded, new_list, new_profile


def bulk_job(kind: str, email: str, consent: str | None, list_id: str | None = None) -> dict[str, Any]:
    profile: dict[str, Any] = {"type": "profile", "attributes": {"email": email}}
    if consent is not None:
        profile["attributes"]["subscriptions"] = {"email": {"marketing": {"consent": consent}}}
    data: dict[str, Any] = {"type": kind, "attributes": {"profiles": {"data": [profile]}}}
    if list_id is not None:
        data["relationships"] = {"list": {"data": {"type": "list", "id": list_id}}}
    return {"data": data}


async def test_lists_and_memberships(recorded: Recorded) -> None:
    r = recorded
    pid = await new_profile(r, "member@example.com")
    lid = await new_list(r, "Spec list")
    await r.ok("GET", "/api/lists", params={"sort": "name"})
    await r.ok("GET", f"/api/lists/{lid}", params={"additional-fields[list]": "profile_count"})
    rename = {"data": {"type": "list", "id": lid, "attributes": {"name": "L2"}}}
    await r.ok("PATCH", f"/api/lists/{lid}", json=rename)
    members = {"data": [{"type": "profile", "id": pid}]}
    await r.ok("POST", f"/api/lists/{lid}/relationships/profiles", 204, json=members)
    await r.ok("GET", f"/api/lists/{lid}/profiles", params={"additional-fields[profile]": "subscriptions"})
    await r.ok("GET", f"/api/lists/{lid}/relationships/profiles")
    await r.ok("DELETE", f"/api/lists/{lid}/relationships/profiles", 204, json=members)
    await r.ok("DELETE", f"/api/lists/{lid}", 204)
    r.assert_conforms(at_least=10)


async def test_segments(recorded: Recorded) -> None:
    r = recorded
    pid = await new_profile(r, "segment@example.com")
    segment = r.store.add_segment("Spec segment", [pid])
    await r.ok("GET", "/api/segments")
    await r.ok("GET", f"/api/segments/{segment}", params={"additional-fields[segment]": "profile_count"})
    await r.ok("GET", f"/api/segments/{segment}/profiles")
    await r.ok("GET", f"/api/segments/{segment}/relationships/profiles")
    r.assert_conforms(at_least=5)


async def test_defined_segments(recorded: Recorded) -> None:
    r = recorded
    lid = await new_list(r, "Spec list")
    pid = await new_profile(r, "defined@example.com", properties={"Plan": "gold"})
    members = {"data": [{"type": "profile", "id": pid}]}
    await r.ok("POST", f"/api/lists/{lid}/relationships/profiles", 204, json=members)
    definition = {
        "condition_groups": [
            {"conditions": [{"type": "profile-group-membership", "is_member": True, "group_ids": [lid]}]},
            {
                "conditions": [
                    {
                        "type": "profile-property",
                        "property": "properties['Plan']",
                        "filter": {"type": "string", "operator": "equals", "value": "gold"},
                    }
                ]
            },
        ]
    }
    sid = await r.created("/api/segments", "segment", {"name": "Gold readers", "definition": definition})
    await r.ok("GET", f"/api/segments/{sid}", params={"additional-fields[segment]": "profile_count"})
    await r.ok("GET", "/api/segments", params={"filter": 'equals(name,"Gold readers")'})
    await r.ok("GET", f"/api/segments/{sid}/profiles")
    await r.ok("GET", f"/api/segments/{sid}/relationships/profiles")
    change = {"data": {"type": "segment", "id": sid, "attributes": {"name": "Gold", "is_starred": True}}}
    await r.ok("PATCH", f"/api/segments/{sid}", json=change)
    await r.ok("DELETE", f"/api/segments/{sid}", 204)
    r.assert_conforms(at_least=9)


async def test_subscription_suppression_and_deletion_jobs(recorded: Recorded) -> None:
    r = recorded
    lid = await new_list(r, "Spec list")
    email = "spec3@example.com"
    subscribe = bulk_job("profile-subscription-bulk-create-job", email, "SUBSCRIBED", lid)
    await r.ok("POST", "/api/profile-subscription-bulk-create-jobs", 202, json=subscribe)
    unsubscribe = bulk_job("profile-subscription-bulk-delete-job", email, "UNSUBSCRIBED", lid)
    await r.ok("POST", "/api/profile-subscription-bulk-delete-jobs", 202, json=unsubscribe)
    suppress = bulk_job("profile-suppression-bulk-create-job", email, None)
    job = (await r.ok("POST", "/api/profile-suppression-bulk-create-jobs", 202, json=suppress))["data"]
    await r.ok("GET", f"/api/profile-suppression-bulk-create-jobs/{job['id']}")
    await new_profile(r, "forget@example.com")
    profile = {"data": {"type": "profile", "attributes": {"email": "forget@example.com"}}}
    deletion = {"data": {"type": "data-privacy-deletion-job", "attributes": {"profile": profile}}}
    await r.ok("POST", "/api/data-privacy-deletion-jobs", 202, json=deletion)
    r.assert_conforms(at_least=7)


async def test_profile_import_job(recorded: Recorded) -> None:
    r = recorded
    lid = await new_list(r, "Import list")
    profiles = [{"type": "profile", "attributes": {"email": f"imp{n}@example.com"}} for n in range(2)]
    job = {
        "data": {
            "type": "profile-bulk-import-job",
            "attributes": {"profiles": {"data": profiles}},
            "relationships": {"lists": {"data": [{"type": "list", "id": lid}]}},
        }
    }
    job_id = (await r.ok("POST", "/api/profile-bulk-import-jobs", 202, json=job))["data"]["id"]
    await r.ok("GET", f"/api/profile-bulk-import-jobs/{job_id}", params={"include": "lists"})
    await r.ok("GET", f"/api/profile-bulk-import-jobs/{job_id}/profiles")
    await r.ok("GET", f"/api/profile-bulk-import-jobs/{job_id}/relationships/profiles")
    r.assert_conforms(at_least=5)
