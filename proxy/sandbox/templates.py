"""Template operations: CRUD, clone, a minimal render and the (beta) preview send."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from proxy.sandbox import body
from proxy.sandbox.errors import invalid, not_found, required
from proxy.sandbox.filters import compile_filter, rule, select
from proxy.sandbox.jsonapi import Ctx, collection, empty, page_size, resource, respond, single, sparse
from proxy.sandbox.models import PreviewSend, Template
from proxy.sandbox.operation import Handler
from proxy.sandbox.params import additional_fields, apply_sort, fieldset, sort_spec

EDITOR_TYPES = ("CODE", "USER_DRAGGABLE", "SYSTEM_DRAGGABLE")
_RANGE = "equals greater-or-equal greater-than less-or-equal less-than"
FILTERS = {
    "id": rule("string", many="any equals"),
    "name": rule("string", single="contains equals", many="any equals"),
    "created": rule("datetime", single=_RANGE),
    "updated": rule("datetime", single=_RANGE),
}
SORTS = ("created", "id", "name", "updated")
FIELDS = ("amp", "created", "definition", "editor_type", "html", "id", "name", "text", "updated")
MAX_TEMPLATES = 1000


def template_attributes(
    template: Template, additional: set[str] | frozenset[str] = frozenset()
) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "name": template.name,
        "editor_type": template.editor_type,
        "html": template.html,
        "text": template.text,
        "amp": template.amp,
        "created": template.created,
        "updated": template.updated,
    }
    if "definition" in additional:
        attrs["definition"] = None  # only drag-and-drop templates have one; the sandbox keeps HTML
    return attrs


def render_template(
    ctx: Ctx,
    template: Template,
    *,
    fields: set[str] | None = None,
    additional: set[str] | frozenset[str] = frozenset(),
) -> dict[str, Any]:
    return resource(
        ctx,
        "template",
        template.id,
        sparse(template_attributes(template, additional), fields),
        collection="templates",
    )


def find_template(ctx: Ctx, template_id: str) -> Template:
    template = ctx.store.templates.get(template_id)
    if template is None:
        raise not_found("template", template_id)
    return template


def _one(ctx: Ctx, template: Template, status: int = 200) -> Response:
    fields = fieldset(ctx, "template", FIELDS)
    additional = additional_fields(ctx, "template", ("definition",))
    return respond(single(ctx, render_template(ctx, template, fields=fields, additional=additional)), status)


def _value(template: Template, name: str) -> Any:
    return getattr(template, name, None)


def get_templates(ctx: Ctx) -> Response:
    nodes = compile_filter(ctx.param("filter"), FILTERS)
    spec = sort_spec(ctx, SORTS)
    size = page_size(ctx, 10, 10)
    fields = fieldset(ctx, "template", FIELDS)
    additional = additional_fields(ctx, "template", ("definition",))
    found = select((t for t in ctx.store.templates.values() if t.reusable), nodes, _value)
    ordered = apply_sort(found, spec, _value)
    return respond(
        collection(
            ctx, ordered, size, lambda t: render_template(ctx, t, fields=fields, additional=additional)
        )
    )


def get_template(ctx: Ctx) -> Response:
    return _one(ctx, find_template(ctx, ctx.path("id")))


def _check_capacity(ctx: Ctx) -> None:
    if sum(t.reusable for t in ctx.store.templates.values()) >= MAX_TEMPLATES:
        raise invalid(f"The account already has the maximum of {MAX_TEMPLATES} templates.", pointer="/data")


def create_template(ctx: Ctx) -> Response:
    data = body.data_object(ctx.body, "template")
    attrs = body.attributes(data)
    pointer = "/data/attributes"
    name = body.string(attrs, "name", pointer, needed=True)
    editor_type = body.choice(attrs, "editor_type", pointer, EDITOR_TYPES, needed=True)
    html = body.string(attrs, "html", pointer)
    if html is None and attrs.get("definition") is None:
        raise invalid("Either 'html' or 'definition' is required.", pointer=f"{pointer}/html")
    text = body.string(attrs, "text", pointer)
    amp = body.string(attrs, "amp", pointer)
    _check_capacity(ctx)
    assert name is not None and editor_type is not None
    template = ctx.store.add_template(name, html or "", editor_type=editor_type, text=text)
    template.amp = amp
    return _one(ctx, template, 201)


def update_template(ctx: Ctx) -> Response:
    template = find_template(ctx, ctx.path("id"))
    data = body.data_object(ctx.body, "template", need_id=True, path_id=template.id)
    attrs = body.attributes(data)
    pointer = "/data/attributes"
    for name in ("name", "html", "text", "amp"):
        value = body.string(attrs, name, pointer)
        if name in attrs and name in ("name", "html") and value is None:
            raise invalid(f"'{name}' may not be null.", pointer=f"{pointer}/{name}")
        if name in attrs:
            setattr(template, name, value)
    template.updated = ctx.store.now()
    return _one(ctx, template)


def delete_template(ctx: Ctx) -> Response:
    template = find_template(ctx, ctx.path("id"))
    del ctx.store.templates[template.id]
    return empty(204)


def clone_template(ctx: Ctx) -> Response:
    data = body.data_object(ctx.body, "template", need_id=True)
    source = find_template(ctx, str(data["id"]))
    attrs = body.attributes(data)
    name = body.string(attrs, "name", "/data/attributes") or f"Clone of {source.name}"
    _check_capacity(ctx)
    copy = ctx.store.add_template(name, source.html, editor_type=source.editor_type, text=source.text)
    copy.amp = source.amp
    return _one(ctx, copy, 201)


_VARIABLE = re.compile(r"\{\{\s*([\w.$]+)(?:\s*\|[^}]*)?\s*\}\}")


def _substitute(text: str | None, context: dict[str, Any]) -> str | None:
    """Django-style ``{{ a.b }}`` substitution; unknown variables render empty, like Klaviyo."""
    if text is None:
        return None

    def lookup(match: re.Match[str]) -> str:
        value: Any = context
        for part in match.group(1).split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return "" if value is None else str(value)

    return _VARIABLE.sub(lookup, text)


def render_template_op(ctx: Ctx) -> Response:
    data = body.data_object(ctx.body, "template", need_id=True)
    template = find_template(ctx, str(data["id"]))
    attrs = body.attributes(data)
    context = body.obj(attrs, "context", "/data/attributes", needed=True) or {}
    rendered = {
        "name": template.name,
        "editor_type": template.editor_type,
        "html": _substitute(template.html, context) or "",
        "text": _substitute(template.text, context),
        "amp": _substitute(template.amp, context),
        "created": template.created,
        "updated": template.updated,
    }
    document = single(ctx, resource(ctx, "template", template.id, rendered, collection="templates"))
    return respond(document, 201)


PREVIEW_SEND_JOB = "template-preview-send-job"
PREVIEW_SEND_FIELDS = ("created_at", "id", "status")
MAX_PREVIEW_RECIPIENTS = 5  # the beta schema's limit per request
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _related_id(relationships: dict[str, Any], name: str, type_: str, *, needed: bool) -> str | None:
    """``relationships.<name>.data.id`` of a to-one relationship, its type checked."""
    pointer = f"/data/relationships/{name}"
    related = body.obj(relationships, name, "/data/relationships", needed=needed)
    if related is None:
        return None
    data = body.obj(related, "data", pointer, needed=True) or {}
    body.check_type(data, type_, f"{pointer}/data")
    return body.string(data, "id", f"{pointer}/data", needed=True)


def create_template_preview_send_job(ctx: Ctx) -> Response:
    """Beta: "send" a test email of a template (TemplatePreviewSendJobCreateQuery): recorded in
    ``store.preview_sends`` with the rendered html, answered 202 with a queued job."""
    data = body.data_object(ctx.body, PREVIEW_SEND_JOB)
    attrs = body.attributes(data)
    recipients = body.string_list(attrs, "recipients", "/data/attributes")
    if recipients is None:
        raise required("/data/attributes/recipients")
    if not recipients:
        raise invalid("At least one recipient is required.", pointer="/data/attributes/recipients")
    if len(recipients) > MAX_PREVIEW_RECIPIENTS:
        raise invalid(
            f"At most {MAX_PREVIEW_RECIPIENTS} recipients are allowed per request.",
            pointer="/data/attributes/recipients",
        )
    for index, email in enumerate(recipients):
        if not _EMAIL.match(email):
            raise invalid(
                f"'{email}' is not a valid email address.", pointer=f"/data/attributes/recipients/{index}"
            )
    context = body.obj(attrs, "context", "/data/attributes") or {}
    relationships = body.obj(data, "relationships", "/data", needed=True) or {}
    template = find_template(ctx, str(_related_id(relationships, "template", "template", needed=True)))
    profile_id = _related_id(relationships, "profile", "profile", needed=False)
    if profile_id is not None and profile_id not in ctx.store.profiles:
        raise not_found("profile", profile_id)
    fields = fieldset(ctx, PREVIEW_SEND_JOB, PREVIEW_SEND_FIELDS)
    stamp = ctx.store.now()
    send = PreviewSend(
        job_id=ctx.store.ids.ulid(),
        template_id=template.id,
        recipients=tuple(recipients),
        context=context,
        revision=ctx.request.headers.get("revision", ""),
        created_at=stamp,
        html=_substitute(template.html, context) or "",
        profile_id=profile_id,
    )
    ctx.store.preview_sends.append(send)
    attributes = sparse({"status": "queued", "created_at": stamp}, fields)
    job = resource(ctx, PREVIEW_SEND_JOB, send.job_id, attributes, collection="template-preview-send-jobs")
    return respond(single(ctx, job), 202)


# Spec operation id -> handler; method, path and rate limits come from the spec table.
HANDLERS: dict[str, Handler] = {
    "get_templates": get_templates,
    "create_template": create_template,
    "get_template": get_template,
    "update_template": update_template,
    "delete_template": delete_template,
    "clone_template": clone_template,
    "render_template": render_template_op,
    "create_template_preview_send_job_beta": create_template_preview_send_job,  # beta (BETA_OPERATIONS)
}
