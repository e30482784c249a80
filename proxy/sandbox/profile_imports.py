"""Bulk profile import jobs: create or update many profiles at once, optionally joining lists.

The work is done at once: every profile is checked first (a bad one fails the request with 400
and nothing is imported), then each is upserted as ``create_or_update_profile`` would and added
to the job's lists. The first answer says ``queued``; reads of the job say ``complete``.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from proxy.sandbox import body, profile_data, profile_view
from proxy.sandbox.errors import invalid, not_found, required
from proxy.sandbox.group_view import render_group
from proxy.sandbox.jsonapi import Ctx, collection, page_size, relationship_links, resource, respond, single
from proxy.sandbox.models import IDENTIFIERS, Job, Profile
from proxy.sandbox.operation import Handler
from proxy.sandbox.params import fieldset, includes

IMPORT_JOB = "profile-bulk-import-job"
COLLECTION = "profile-bulk-import-jobs"
MAX_PROFILES = 10_000
PROFILES = "/data/attributes/profiles/data"


def _render(ctx: Ctx, job: Job, status: str | None = None) -> dict[str, Any]:
    done = status is None
    attrs = {
        "status": status or job.status,
        "created_at": job.created_at,
        "total_count": job.total_count,
        "completed_count": job.completed_count if done else 0,
        "failed_count": 0,
        "completed_at": job.completed_at if done else None,
        "expires_at": None,
        "started_at": job.created_at,
    }
    base = f"/api/{COLLECTION}/{job.id}"
    relationships = {
        "lists": {
            "data": [{"type": "list", "id": i} for i in job.list_ids],
            "links": relationship_links(ctx, base, "lists"),
        },
        "profiles": {"links": relationship_links(ctx, base, "profiles")},
        "import-errors": {"links": {"related": ctx.url(f"{base}/import-errors")}},
    }
    fields = fieldset(ctx, IMPORT_JOB, tuple(attrs))
    kept = attrs if fields is None else {k: v for k, v in attrs.items() if k in fields}
    return resource(ctx, IMPORT_JOB, job.id, kept, collection=COLLECTION, relationships=relationships)


def _profiles(attrs: dict[str, Any]) -> list[tuple[dict[str, Any], str | None, Any]]:
    """(attributes, id, meta) of every profile to import, all checked."""
    wrapper = body.obj(attrs, "profiles", "/data/attributes", needed=True)
    assert wrapper is not None
    items = wrapper.get("data")
    if not isinstance(items, list):
        raise required(PROFILES)
    if not items or len(items) > MAX_PROFILES:
        raise invalid(f"Between 1 and {MAX_PROFILES} profiles may be imported per job.", pointer=PROFILES)
    out = []
    for index, item in enumerate(items):
        pointer = f"{PROFILES}/{index}"
        if not isinstance(item, dict):
            raise invalid("Each profile must be an object.", pointer=pointer)
        body.check_type(item, "profile", pointer)
        profile_attrs = body.attributes(item, pointer)
        profile_data.validate(profile_attrs, f"{pointer}/attributes", extra=("_kx",))
        profile_id = body.string(item, "id", pointer)
        if profile_id is None and not any(profile_attrs.get(n) for n in IDENTIFIERS):
            detail = "One of email, phone_number or external_id is required."
            raise invalid(detail, pointer=f"{pointer}/attributes")
        out.append((profile_attrs, profile_id, item.get("meta")))
    return out


def _list_ids(ctx: Ctx, data: dict[str, Any]) -> list[str]:
    relationships = data.get("relationships") or {}
    lists = (relationships.get("lists") or {}).get("data") or [] if isinstance(relationships, dict) else []
    ids: list[str] = []
    for index, item in enumerate(lists if isinstance(lists, list) else []):
        list_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(list_id, str) or list_id not in ctx.store.lists:
            raise invalid(
                f"List {list_id} does not exist.", pointer=f"/data/relationships/lists/data/{index}/id"
            )
        ids.append(list_id)
    return ids


def bulk_import_profiles(ctx: Ctx) -> Response:
    data = body.data_object(ctx.body, IMPORT_JOB)
    incoming = _profiles(body.attributes(data))
    list_ids = _list_ids(ctx, data)
    store = ctx.store
    stamp = store.now()
    job = Job(store.ids.ulid(), IMPORT_JOB, "complete", stamp, completed_at=stamp, list_ids=list_ids)
    for index, (attrs, profile_id, meta) in enumerate(incoming):
        pointer = f"{PROFILES}/{index}/attributes"
        profile, _ = profile_data.upsert(store, attrs, profile_id=profile_id, meta=meta, pointer=pointer)
        if profile.id not in job.profile_ids:
            job.profile_ids.append(profile.id)
    for list_id in list_ids:
        store.join(store.lists[list_id], job.profile_ids)
    job.total_count = job.completed_count = len(incoming)
    store.jobs[(IMPORT_JOB, job.id)] = job
    return respond(single(ctx, _render(ctx, job, "queued")), 202)


def _job(ctx: Ctx) -> Job:
    params = ctx.request.path_params  # get_bulk_import_profiles_job names it job_id, the others id
    job_id = str(params.get("job_id") or params.get("id"))
    job = ctx.store.jobs.get((IMPORT_JOB, job_id))
    if job is None:
        raise not_found(IMPORT_JOB, job_id)
    return job


def get_bulk_import_profiles_job(ctx: Ctx) -> Response:
    job = _job(ctx)
    included = []
    if "lists" in includes(ctx, ("lists",)):
        included = [render_group(ctx, ctx.store.lists[i]) for i in job.list_ids if i in ctx.store.lists]
    return respond(single(ctx, _render(ctx, job), included))


def _imported(ctx: Ctx, job: Job) -> list[Profile]:
    return [ctx.store.profiles[pid] for pid in job.profile_ids if pid in ctx.store.profiles]


def get_profiles_for_bulk_import_profiles_job(ctx: Ctx) -> Response:
    job = _job(ctx)
    size = page_size(ctx, 20, 100)
    fields = fieldset(ctx, "profile", profile_view.FIELDS)
    found = _imported(ctx, job)
    return respond(collection(ctx, found, size, lambda p: profile_view.render(ctx, p, fields=fields)))


def get_profile_ids_for_bulk_import_profiles_job(ctx: Ctx) -> Response:
    job = _job(ctx)
    size = page_size(ctx, 20, 100)
    return respond(collection(ctx, _imported(ctx, job), size, lambda p: {"type": "profile", "id": p.id}))


# Spec operation id -> handler; method, path and rate limits come from the spec table.
HANDLERS: dict[str, Handler] = {
    "bulk_import_profiles": bulk_import_profiles,
    "get_bulk_import_profiles_job": get_bulk_import_profiles_job,
    "get_profiles_for_bulk_import_profiles_job": get_profiles_for_bulk_import_profiles_job,
    "get_profile_ids_for_bulk_import_profiles_job": get_profile_ids_for_bulk_import_profiles_job,
}
