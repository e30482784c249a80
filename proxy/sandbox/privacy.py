"""Suppressions and data-privacy deletions."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from proxy.sandbox import body, profile_data
from proxy.sandbox.errors import invalid, not_found, required
from proxy.sandbox.jsonapi import Ctx, empty, relationship_links, resource, respond, single
from proxy.sandbox.models import Job, Profile
from proxy.sandbox.operation import Handler

SUPPRESSION_JOB = "profile-suppression-bulk-create-job"
MAX_SUPPRESSIONS = 100


def _suppress(ctx: Ctx, profile: Profile) -> bool:
    """Add a USER_SUPPRESSED suppression; False when the profile already had one."""
    if any(s["reason"] == "USER_SUPPRESSED" for s in profile.suppressions):
        return False
    profile.suppressions.append({"reason": "USER_SUPPRESSED", "timestamp": ctx.store.now()})
    return True


def _render_job(ctx: Ctx, job: Job, status: str | None = None) -> dict[str, Any]:
    attrs = {
        "status": status or job.status,
        "created_at": job.created_at,
        "total_count": job.total_count,
        "completed_count": job.completed_count if status is None else 0,
        "completed_at": job.completed_at if status is None else None,
        "skipped_count": job.skipped_count if status is None else 0,
    }
    base = f"/api/profile-suppression-bulk-create-jobs/{job.id}"
    relationships = {
        "lists": {
            "data": [{"type": "list", "id": i} for i in job.list_ids],
            "links": relationship_links(ctx, base, "lists"),
        },
        "segments": {
            "data": [{"type": "segment", "id": i} for i in job.segment_ids],
            "links": relationship_links(ctx, base, "segments"),
        },
    }
    return resource(
        ctx,
        SUPPRESSION_JOB,
        job.id,
        attrs,
        collection="profile-suppression-bulk-create-jobs",
        relationships=relationships,
    )


def _group_member_ids(ctx: Ctx, data: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """Profile ids from a list or segment relationship, plus the list / segment ids named."""
    relationships = data.get("relationships") or {}
    profile_ids: list[str] = []
    lists: list[str] = []
    segments: list[str] = []
    for name, groups, found in (("list", ctx.store.lists, lists), ("segment", ctx.store.segments, segments)):
        link = relationships.get(name) if isinstance(relationships, dict) else None
        target = link.get("data") if isinstance(link, dict) else None
        if target is None:
            continue
        pointer = f"/data/relationships/{name}/data"
        if not isinstance(target, dict):
            raise invalid("'data' must be a resource identifier.", pointer=pointer)
        body.check_type(target, name, pointer)
        group = groups.get(str(target.get("id")))
        if group is None:
            raise invalid(f"{name.capitalize()} {target.get('id')} does not exist.", pointer=f"{pointer}/id")
        found.append(group.id)
        profile_ids.extend(group.members)
    return profile_ids, lists, segments


def bulk_suppress_profiles(ctx: Ctx) -> Response:
    data = body.data_object(ctx.body, SUPPRESSION_JOB)
    attrs = body.attributes(data)
    wrapper = body.obj(attrs, "profiles", "/data/attributes")
    items = wrapper.get("data") if wrapper is not None else []
    if not isinstance(items, list):
        raise invalid("'profiles.data' must be a list.", pointer="/data/attributes/profiles/data")
    if len(items) > MAX_SUPPRESSIONS:
        raise invalid(
            f"At most {MAX_SUPPRESSIONS} profiles may be suppressed per job.",
            pointer="/data/attributes/profiles/data",
        )
    emails: list[str] = []
    for index, item in enumerate(items):
        pointer = f"/data/attributes/profiles/data/{index}"
        if not isinstance(item, dict):
            raise invalid("Each profile must be an object.", pointer=pointer)
        body.check_type(item, "profile", pointer)
        email = body.string(body.attributes(item, pointer), "email", f"{pointer}/attributes", needed=True)
        profile_data.validate({"email": email}, f"{pointer}/attributes")
        emails.append(str(email))
    member_ids, list_ids, segment_ids = _group_member_ids(ctx, data)
    if not emails and not member_ids and not (list_ids or segment_ids):
        raise required("/data/attributes/profiles")
    store = ctx.store
    targets = [profile_data.upsert(store, {"email": e}, strict=False)[0] for e in emails]
    targets += [store.profiles[pid] for pid in member_ids if pid in store.profiles]
    stamp = store.now()
    job = Job(
        store.ids.ulid(),
        SUPPRESSION_JOB,
        "complete",
        stamp,
        completed_at=stamp,
        total_count=len(targets),
        list_ids=list_ids,
        segment_ids=segment_ids,
    )
    for profile in targets:
        if _suppress(ctx, profile):
            job.completed_count += 1
        else:
            job.skipped_count += 1
    store.jobs[(SUPPRESSION_JOB, job.id)] = job
    return respond(single(ctx, _render_job(ctx, job, "queued")), 202)


def get_bulk_suppress_profiles_job(ctx: Ctx) -> Response:
    job = ctx.store.jobs.get((SUPPRESSION_JOB, ctx.path("job_id")))
    if job is None:
        raise not_found(SUPPRESSION_JOB, ctx.path("job_id"))
    return respond(single(ctx, _render_job(ctx, job)))


def request_profile_deletion(ctx: Ctx) -> Response:
    """Delete every profile matching the identifier (by id, email or phone number)."""
    data = body.data_object(ctx.body, "data-privacy-deletion-job")
    attrs = body.attributes(data)
    wrapper = body.obj(attrs, "profile", "/data/attributes", needed=True)
    pointer = "/data/attributes/profile/data"
    item = wrapper.get("data") if wrapper is not None else None
    if not isinstance(item, dict):
        raise required(pointer)
    body.check_type(item, "profile", pointer)
    identity = body.attributes(item, pointer)
    email = body.string(identity, "email", f"{pointer}/attributes")
    phone = body.string(identity, "phone_number", f"{pointer}/attributes")
    profile_id = body.string(item, "id", pointer)
    if sum(x is not None for x in (email, phone, profile_id)) != 1:
        raise invalid("Exactly one of id, email or phone_number is required.", pointer=pointer)
    store = ctx.store
    if profile_id is not None:
        doomed = [profile_id] if profile_id in store.profiles else []
    else:
        field, value = ("email", email) if email is not None else ("phone_number", phone)
        owner = store.find_profile(field, str(value))
        doomed = [owner.id] if owner is not None else []
    for pid in doomed:
        store.delete_profile(pid)
    return empty(202)


# Spec operation id -> handler; method, path and rate limits come from the spec table.
HANDLERS: dict[str, Handler] = {
    "bulk_suppress_profiles": bulk_suppress_profiles,
    "get_bulk_suppress_profiles_job": get_bulk_suppress_profiles_job,
    "request_profile_deletion": request_profile_deletion,
}
