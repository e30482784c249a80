"""Legacy v1 email templates (legacy-endpoints.md §C) on the new templates API (new-api-mapping.md §2 C)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

from mappings import protocol
from mappings.core import (
    Call,
    CollectAll,
    Collected,
    Family,
    Fidelity,
    Gather,
    LegacyReply,
    LegacyRequest,
    Plan,
    Reply,
    UpstreamBound,
)
from mappings.core.declarer import Declarer
from mappings.translate import form_values, json_text
from mappings.translate.form_values import BadInput
from mappings.translate.offset_pages import MAX_COUNT, BadPaging, parse_offset_page
from mappings.translate.template_objects import (
    TEMPLATE_FIELDS,
    WRITABLE_EDITOR,
    by_id,
    legacy_rendered,
    legacy_template,
    template_body,
)
from mappings.upstream_ops import BETA_OPERATIONS

ops = Declarer(Family.V1)
FIELDS_QUERY: Final[Mapping[str, str]] = MappingProxyType({"fields[template]": TEMPLATE_FIELDS})
# C1 enumerates a light index (no html) sorted by name, 10 per page (the spec's maximum),
# and fetches the html of the requested page's templates only.
INDEX_QUERY: Final[Mapping[str, str]] = MappingProxyType(
    {"sort": "name", "page[size]": "10", "fields[template]": "name,editor_type,created,updated"}
)
MAX_TEMPLATE_PAGES: Final = 100  # 1,000 templates: the API's creation limit
BATCH: Final = 10


def _resource(reply: Reply) -> Mapping[str, Any]:
    body = reply.body if isinstance(reply.body, Mapping) else {}
    data = body.get("data")
    return data if isinstance(data, Mapping) else {}


def _attribute(reply: Reply, name: str) -> Any:
    attributes = _resource(reply).get("attributes")
    return attributes.get(name) if isinstance(attributes, Mapping) else None


def html_calls(ids: Sequence[str]) -> tuple[Call, ...]:
    """get_templates filtered by any(id,[...]) for each batch of 10 IDs, with the html."""
    return tuple(
        Call(
            "get_templates",
            query={
                "filter": f"any(id,{json.dumps(list(ids[at : at + BATCH]), separators=(',', ':'))})",
                "page[size]": str(BATCH),
                "fields[template]": TEMPLATE_FIELDS,
            },
            expect=(200,),
        )
        for at in range(0, len(ids), BATCH)
    )


def _rows(replies: Sequence[Reply]) -> list[Any]:
    rows: list[Any] = []
    for reply in replies:
        data = reply.body.get("data") if isinstance(reply.body, Mapping) else None
        rows.extend(data if isinstance(data, list) else [])
    return rows


@ops.declare(
    "C1",
    "get_templates",
    "GET",
    "/api/v1/email-templates",
    upstream=("get_templates",),
    fidelity=Fidelity.LOSSY,
    successor="get_templates",
    lost="At most the first 1,000 templates by name; pages may be up to the collection-cache TTL "
    "stale for changes not made through klaviyo-compat; "
    "is_writeable is true for CODE (HTML) templates only.",
    max_upstream_calls=UpstreamBound(
        0,
        MAX_TEMPLATE_PAGES + MAX_COUNT // BATCH,
        "P + ceil(N/10): P = cursor pages of 10 templates (0 while the enumeration is cached, at most 100), "
        "N = templates on the requested page",
    ),
)
def get_templates(req: LegacyRequest) -> Plan:
    """List email templates sorted by name, in legacy v1 page/count pages with totals.

    Walks every page of GET /api/templates?sort=name (10 per page, the maximum; names and dates
    only, cached briefly so later pages do not walk it again), slices the requested page, then
    reads the html of that page's templates with GET /api/templates?filter=any(id,[...]) (10 IDs
    per call). Bad page/count answer 400 before any upstream call.
    """
    try:
        paging = parse_offset_page(req)
    except BadPaging as exc:
        return protocol.bad_request(Family.V1, str(exc))
    index = CollectAll("get_templates", query=INDEX_QUERY, max_pages=MAX_TEMPLATE_PAGES)
    collected: Collected = yield index
    rows = [t for t in collected.data if isinstance(t, Mapping) and isinstance(t.get("id"), str)]
    window = paging.slice(rows)
    fresh: dict[str, Mapping[str, Any]] = {}
    if window:
        replies: list[Reply] = yield Gather(html_calls([t["id"] for t in window]))
        fresh = by_id(_rows(replies))
    data = [legacy_template(fresh.get(t["id"], t)) for t in window]
    return LegacyReply.json_body(paging.envelope(len(rows), data))


@ops.declare(
    "C2",
    "create_template",
    "POST",
    "/api/v1/email-templates",
    upstream=("create_template",),
    fidelity=Fidelity.EXACT,
    successor="create_template",
)
def create_template(req: LegacyRequest) -> Plan:
    """Create an HTML email template from form fields name and html (both required, else 400) and
    answer the template object: POST /api/templates with editor_type CODE. The new API refuses
    creation once an account has 1,000 templates (answered 400)."""
    try:
        name = form_values.text(req, "name", required=True)
        html = form_values.text(req, "html", required=True)
    except BadInput as exc:
        return protocol.bad_request(Family.V1, str(exc))
    body = template_body({"name": name, "editor_type": WRITABLE_EDITOR, "html": html})
    reply: Reply = yield Call("create_template", query=FIELDS_QUERY, body=body, expect=(200, 201))
    return LegacyReply.json_body(legacy_template(_resource(reply)))


@ops.declare(
    "C3",
    "update_template",
    "PUT",
    "/api/v1/email-template/{template_id}",
    upstream=("update_template", "get_template"),
    fidelity=Fidelity.EXACT,
    successor="update_template",
)
def update_template(req: LegacyRequest) -> Plan:
    """Update a template's name and/or html (form or query parameters, both optional) and answer the
    template object: PATCH /api/templates/{id}. With neither, the template is read unchanged
    (GET /api/templates/{id}). An unknown ID answers 404. Legacy refused to change drag-and-drop
    templates; whether the new API accepts html for one is its own decision (its answer is passed on)."""
    template_id = req.path_params["template_id"]
    try:
        changes = {k: v for k in ("name", "html") if (v := form_values.text(req, k)) is not None}
    except BadInput as exc:
        return protocol.bad_request(Family.V1, str(exc))
    if changes:
        reply: Reply = yield Call(
            "update_template",
            path_params={"id": template_id},
            query=FIELDS_QUERY,
            body=template_body(changes, template_id),
            expect=(200,),
        )
    else:
        reply = yield Call("get_template", path_params={"id": template_id}, query=FIELDS_QUERY)
    return LegacyReply.json_body(legacy_template(_resource(reply)))


@ops.declare(
    "C4",
    "delete_template",
    "DELETE",
    "/api/v1/email-template/{template_id}",
    upstream=("get_template", "delete_template"),
    fidelity=Fidelity.EXACT,
    successor="delete_template",
    max_upstream_calls=2,
)
def delete_template(req: LegacyRequest) -> Plan:
    """Delete a template and answer the deleted template object with "is_deleted": true.

    Reads it first (GET /api/templates/{id}) to build the answer, then DELETE /api/templates/{id}.
    An unknown ID answers 404.
    """
    template_id = req.path_params["template_id"]
    found: Reply = yield Call("get_template", path_params={"id": template_id}, query=FIELDS_QUERY)
    yield Call("delete_template", path_params={"id": template_id})
    return LegacyReply.json_body({**legacy_template(_resource(found)), "is_deleted": True})


@ops.declare(
    "C5",
    "clone_template",
    "POST",
    "/api/v1/email-template/{template_id}/clone",
    upstream=("clone_template",),
    fidelity=Fidelity.EXACT,
    successor="clone_template",
)
def clone_template(req: LegacyRequest) -> Plan:
    """Copy a template under a new name (form field name, required, else 400) and answer the new
    template object: POST /api/template-clone. The new API refuses the copy once an account has
    1,000 templates (answered 400)."""
    template_id = req.path_params["template_id"]
    try:
        name = form_values.text(req, "name", required=True)
    except BadInput as exc:
        return protocol.bad_request(Family.V1, str(exc))
    body = template_body({"name": name}, template_id)
    reply: Reply = yield Call("clone_template", query=FIELDS_QUERY, body=body, expect=(200, 201))
    return LegacyReply.json_body(legacy_template(_resource(reply)))


@ops.declare(
    "C6",
    "render_template",
    "POST",
    "/api/v1/email-template/{template_id}/render",
    upstream=("render_template",),
    fidelity=Fidelity.LOSSY,
    successor="render_template",
    lost="For a template without a plain-text part (e.g. an HTML-only CODE template) the new render "
    "answers text null; data.text is then derived by klaviyo-compat from the rendered html (block "
    "elements become line breaks, links keep their URL, entities decoded, scripts and styles "
    "dropped), which may differ in layout from the text legacy generated.",
    writes=False,
)
def render_template(req: LegacyRequest) -> Plan:
    """Render a template with a context and answer {"object": "email-template", "id", "name",
    "data": {"html", "text"}}: POST /api/template-render. context is a JSON-encoded object (form
    field), a JSON object (JSON body) or bracketed form keys (context[first_name]=George, as Ruby
    sends a hash); missing means {}. When the render has no text part, the text is derived from the
    rendered html. Anything else answers 400 before any upstream call. The new
    endpoint allows 3 renders per second, 60 per minute (429 with Retry-After beyond)."""
    template_id = req.path_params["template_id"]
    try:
        context = form_values.json_object(req, "context")
    except BadInput as exc:
        return protocol.bad_request(Family.V1, str(exc))
    body = template_body({"context": context}, template_id)
    reply: Reply = yield Call(
        "render_template", query={"fields[template]": "name,html,text"}, body=body, expect=(200, 201)
    )
    return LegacyReply.json_body(legacy_rendered(template_id, _resource(reply)))


PREVIEW_SEND: Final = "create_template_preview_send_job_beta"  # a beta operation (BETA_OPERATIONS)
PREVIEW_SEND_REVISION: Final = str(BETA_OPERATIONS[PREVIEW_SEND]["revision"])
PREVIEW_SEND_TYPE: Final = "template-preview-send-job"
MAX_RECIPIENTS: Final = 5  # the beta schema: "Limited to 5 recipients per request"
C7_WHAT: Final = "Sending a template (POST /api/v1/email-template/{id}/send)"
C7_UNSUPPORTED: Final = protocol.unsupported(
    Family.V1,
    C7_WHAT,
    "POST /api/template-preview-send-jobs (test sends only, at most 5 recipients, 1/s, 15/min and "
    f"100/day; a beta endpoint that needs revision {PREVIEW_SEND_REVISION}; cannot set from_email, "
    "from_name or subject). An operator can opt in to sending through it: settings "
    f'template_send_beta = true and beta_revision = "{PREVIEW_SEND_REVISION}" (both are needed)',
    protocol.DOCS + "create_template_preview_send_job",
)
TO_FORMAT: Final = (
    "The 'to' parameter must be an email address or a JSON-encoded list of "
    '{"email": ..., "name": ...} objects.'
)


def preview_recipients(req: LegacyRequest) -> list[str]:
    """Legacy ``to`` (an email address, or a JSON list of {"email", "name"} objects or of addresses)
    -> the job's ``recipients``: distinct addresses in order (case-insensitively), names dropped."""
    raw = req.get("to")
    if raw is None or raw == "":
        raise BadInput("The 'to' parameter is required.")
    if isinstance(raw, str):
        stripped = raw.strip()
        if stripped[:1] in ("[", "{"):
            try:
                raw = json_text.loads(stripped)
            except ValueError:
                raise BadInput(TO_FORMAT) from None
        else:
            raw = [stripped]
    items = [raw] if isinstance(raw, Mapping) else raw
    if not isinstance(items, list) or not items:
        raise BadInput(TO_FORMAT)
    emails: list[str] = []
    seen: set[str] = set()
    for item in items:
        email = item.get("email") if isinstance(item, Mapping) else item
        if not isinstance(email, str) or "@" not in email.strip():
            raise BadInput(f"{TO_FORMAT} Each recipient needs an email address.")
        if email.strip().lower() not in seen:
            seen.add(email.strip().lower())
            emails.append(email.strip())
    if len(emails) > MAX_RECIPIENTS:
        raise BadInput(
            f"The new API sends a template to at most {MAX_RECIPIENTS} recipients at a time "
            f"(test sends only); 'to' lists {len(emails)}."
        )
    return emails


def preview_send_body(template_id: str, recipients: list[str], context: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "data": {
            "type": PREVIEW_SEND_TYPE,
            "attributes": {"recipients": recipients, "context": dict(context)},
            "relationships": {"template": {"data": {"type": "template", "id": template_id}}},
        }
    }


@ops.declare(
    "C7",
    "send_template",
    "POST",
    "/api/v1/email-template/{template_id}/send",
    upstream=("get_template", PREVIEW_SEND),
    fidelity=Fidelity.LOSSY,
    successor="create_template_preview_send_job",
    lost="By default everything (501): no stable endpoint sends a template. With template_send_beta "
    "and beta_revision set: a test send through the beta template preview-send job (at most 5 "
    "recipients per send, more answer 400; Klaviyo limits it to 1/s, 15/min and 100/day per account, "
    "429 beyond); from_email, from_name and subject are required as before but not sent (the job "
    "cannot set them), recipient names are dropped, and data.status is the job's status when "
    "created (queued), not the delivery's.",
    max_upstream_calls=UpstreamBound(
        0,
        2,
        "0 by default (501). Opted in: get_template, then one create_template_preview_send_job_beta "
        "(up to 5 recipients)",
    ),
)
def send_template(req: LegacyRequest) -> Plan:
    """Not supported by default: answers 501 naming the successor and the two settings that enable
    it. With the operator's opt-in template_send_beta = true and beta_revision (e.g. 2026-07-15.pre),
    sends a test email: reads the template's name (GET /api/templates/{id}; unknown answers 404),
    then POST /api/template-preview-send-jobs (a beta operation, sent with the beta revision) with
    the to addresses as recipients (an address, or a JSON list of {"email", "name"}; at most 5) and
    context (JSON object) as its merge context, and answers {"object": "email-template", "id",
    "name", "data": {"status": "queued"}}. from_email, from_name and subject are still required
    (400 without, as legacy) but the job cannot set them. Klaviyo allows 1 send per second, 15 per
    minute and 100 per day (429 with Retry-After beyond)."""
    if protocol.TEMPLATE_SEND_BETA not in req.opt_ins or protocol.BETA_REVISION not in req.opt_ins:
        return C7_UNSUPPORTED
    template_id = req.path_params["template_id"]
    try:
        for name in ("from_email", "from_name", "subject"):
            form_values.text(req, name, required=True)
        recipients = preview_recipients(req)
        context = form_values.json_object(req, "context")
    except BadInput as exc:
        return protocol.bad_request(Family.V1, str(exc))
    found: Reply = yield Call(
        "get_template", path_params={"id": template_id}, query={"fields[template]": "name"}
    )
    job: Reply = yield Call(
        PREVIEW_SEND,
        query={"fields[template-preview-send-job]": "status"},
        body=preview_send_body(template_id, recipients, context),
        expect=(202,),
    )
    name = _attribute(found, "name")
    status = _attribute(job, "status")
    return LegacyReply.json_body(
        {
            "object": "email-template",
            "id": template_id,
            "name": name,
            "data": {"status": status if isinstance(status, str) else "queued"},
        }
    )
