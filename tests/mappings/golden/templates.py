"""Golden cases: C1-C7 /api/v1/email-templates and /api/v1/email-template/{id}[/clone|render|send].

Generated SDK: form fields, key as the ``api_key`` query parameter. Ruby: key and fields in
the form body for POSTs, query parameters for PUT.
"""

from __future__ import annotations

import json
from typing import Any

from tests.mappings.golden.campaign_writes import error, v1_error
from tests.mappings.golden.campaigns import AUTH_ERROR, KEY, envelope

TID = "UAAkAc"
FIELDS = "name,editor_type,html,created,updated"
FIELDS_QUERY = {"fields[template]": FIELDS}
INDEX_QUERY = {"sort": "name", "page[size]": "10", "fields[template]": "name,editor_type,created,updated"}
NEXT = "https://a.klaviyo.com/api/templates/?sort=name&page%5Bsize%5D=10&page%5Bcursor%5D=dDI%3D"
DOCS = "https://developers.klaviyo.com/en/reference/"
NOT_FOUND = v1_error(404, "The requested resource does not exist.")
FORBIDDEN = v1_error(403, "Incorrect authentication credentials.")
UNAUTHORIZED = {"status": 401, "json": AUTH_ERROR}


def throttled(seconds: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(upstream 429 reply, legacy v1 429 answer) keeping ``Retry-After``."""
    return error(429, "Throttled.", {"Retry-After": seconds}), v1_error(
        429, f"Request was throttled. Expected available in {seconds} seconds.", {"retry-after": seconds}
    )


THROTTLE_REPLY, THROTTLED = throttled("5")
HTML_ONLY = (
    "<html><head><style>p {color: red}</style></head><body><h1>Hello George &amp; co</h1>"
    "<p>Your <b>order</b>&nbsp;shipped.<br>Track it <a href='https://shop.test/t?id=1&amp;x=2'>here</a>."
    "</p><script>track()</script><ul><li>Boots</li><li>Hat</li></ul></body></html>"
)
HTML_ONLY_TEXT = "Hello George & co\n\nYour order shipped.\nTrack it here (https://shop.test/t?id=1&x=2).\n\n- Boots\n- Hat"


def template(tid: str, name: str, *, editor: str = "CODE", html: bool = True) -> dict[str, Any]:
    attributes: dict[str, Any] = {"name": name, "editor_type": editor}
    if html:
        attributes["html"] = f"<html>{name}</html>"
    attributes["created"] = "2022-04-11T15:25:23+00:00"
    attributes["updated"] = "2022-05-25T18:00:35+02:00"
    return {"type": "template", "id": tid, "attributes": attributes, "links": {"self": "x"}}


def legacy(tid: str, name: str, *, writeable: bool = True, html: str | None = "") -> dict[str, Any]:
    return {
        "object": "email-template",
        "id": tid,
        "name": name,
        "html": f"<html>{name}</html>" if html == "" else html,
        "is_writeable": writeable,
        "created": "2022-04-11 15:25:23",
        "updated": "2022-05-25 16:00:35",
    }


def call(method: str, path: str, reply: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"method": method, "path": path, "auth": KEY, "reply": reply, **extra}


def ok(data: Any, status: int = 200) -> dict[str, Any]:
    return {"status": status, "json": {"data": data, "links": {"self": "x"}}}


def index_call(
    rows: list[dict[str, Any]], cursor: str | None = None, next_link: str | None = None
) -> dict[str, Any]:
    query = dict(INDEX_QUERY) if cursor is None else {**INDEX_QUERY, "page[cursor]": cursor}
    light = [{**t, "attributes": {k: v for k, v in t["attributes"].items() if k != "html"}} for t in rows]
    reply = {"status": 200, "json": {"data": light, "links": {"self": "x", "next": next_link}}}
    return call("GET", "/api/templates", reply, query=query)


def html_call(ids: list[str], rows: list[dict[str, Any]]) -> dict[str, Any]:
    query = {
        "filter": f"any(id,{json.dumps(ids, separators=(',', ':'))})",
        "page[size]": "10",
        **FIELDS_QUERY,
    }
    return call("GET", "/api/templates", ok(rows), query=query)


def get_call(reply: dict[str, Any]) -> dict[str, Any]:
    return call("GET", f"/api/templates/{TID}", reply, query=FIELDS_QUERY)


def v1(method: str, path: str, *, query: list[tuple[str, str]] | None = None, **body: Any) -> dict[str, Any]:
    return {"method": method, "path": path, "query": [*(query or []), ("api_key", KEY)], **body}


ALPHA, BETA, GAMMA = (
    template("T1", "Alpha"),
    template("T2", "Beta", editor="USER_DRAGGABLE"),
    template("T3", "Gamma"),
)
TWELVE = [template(f"T{i:02d}", f"Name {i:02d}") for i in range(12)]
LIST = "/api/v1/email-templates"

C1_CASES: list[dict[str, Any]] = [
    {
        # Index over two cursor pages; html of the requested page only.
        "id": "C1-first-page-over-two-cursor-pages",
        "request": v1("GET", LIST, query=[("page", "0"), ("count", "2")]),
        "upstream": [
            index_call([ALPHA, BETA], next_link=NEXT),
            index_call([GAMMA], cursor="dDI="),
            html_call(["T1", "T2"], [BETA, ALPHA]),
        ],
        "response": {
            "status": 200,
            "json": envelope([legacy("T1", "Alpha"), legacy("T2", "Beta", writeable=False)], 0, 0, 1, 3),
        },
    },
    {
        # A template deleted between the index walk and the html read keeps its row, html null.
        "id": "C1-last-page-template-deleted-meanwhile",
        "request": v1("GET", LIST, query=[("page", "1"), ("count", "2")]),
        "upstream": [index_call([ALPHA, BETA, GAMMA]), html_call(["T3"], [])],
        "response": {"status": 200, "json": envelope([legacy("T3", "Gamma", html=None)], 1, 2, 2, 3)},
    },
    {
        "id": "C1-html-read-in-batches-of-ten",
        "request": v1("GET", LIST, query=[("count", "12")]),
        "upstream": [
            index_call(TWELVE[:10], next_link=NEXT),
            index_call(TWELVE[10:], cursor="dDI="),
            html_call([f"T{i:02d}" for i in range(10)], TWELVE[:10]),
            html_call(["T10", "T11"], TWELVE[10:]),
        ],
        "response": {
            "status": 200,
            "json": envelope([legacy(f"T{i:02d}", f"Name {i:02d}") for i in range(12)], 0, 0, 11, 12),
        },
    },
    {
        "id": "C1-past-the-end",
        "request": v1("GET", LIST, query=[("page", "3"), ("count", "2")]),
        "upstream": [index_call([ALPHA, BETA, GAMMA])],
        "response": {"status": 200, "json": envelope([], 3, 6, 6, 3)},
    },
    {
        "id": "C1-empty-account",
        "request": v1("GET", LIST),
        "upstream": [index_call([])],
        "response": {"status": 200, "json": envelope([], 0, 0, 0, 0)},
    },
    {
        "id": "C1-count-over-100",
        "request": v1("GET", LIST, query=[("count", "101")]),
        "upstream": [],
        "response": v1_error(400, "Invalid count '101': count must be an integer between 1 and 100."),
    },
    {
        "id": "C1-throttled",
        "request": v1("GET", LIST),
        "upstream": [
            call("GET", "/api/templates", error(429, "Throttled.", {"Retry-After": "4"}), query=INDEX_QUERY)
        ],
        "response": v1_error(
            429, "Request was throttled. Expected available in 4 seconds.", {"retry-after": "4"}
        ),
    },
    {
        "id": "C1-upstream-401-becomes-403",
        "request": v1("GET", LIST),
        "upstream": [call("GET", "/api/templates", {"status": 401, "json": AUTH_ERROR}, query=INDEX_QUERY)],
        "response": v1_error(403, "Incorrect authentication credentials."),
    },
]

NEWSLETTER = template(TID, "Monthly Newsletter")
NEWSLETTER_LEGACY = legacy(TID, "Monthly Newsletter")
CREATE_BODY = {
    "data": {
        "type": "template",
        "attributes": {
            "name": "Monthly Newsletter",
            "editor_type": "CODE",
            "html": "<html>Monthly Newsletter</html>",
        },
    }
}
CREATE_FORM = [("name", "Monthly Newsletter"), ("html", "<html>Monthly Newsletter</html>")]


def create_call(reply: dict[str, Any]) -> dict[str, Any]:
    return call("POST", "/api/templates", reply, query=FIELDS_QUERY, json=CREATE_BODY)


C2_CASES: list[dict[str, Any]] = [
    {
        "id": "C2-create-generated-sdk",
        "request": v1("POST", LIST, form=CREATE_FORM),
        "upstream": [create_call(ok(NEWSLETTER, 201))],
        "response": {"status": 200, "json": NEWSLETTER_LEGACY},
    },
    {
        "id": "C2-create-ruby-key-in-form-body",
        "request": {"method": "POST", "path": LIST, "form": [*CREATE_FORM, ("api_key", KEY)]},
        "upstream": [create_call(ok(NEWSLETTER, 201))],
        "response": {"status": 200, "json": NEWSLETTER_LEGACY},
    },
    {
        "id": "C2-missing-html",
        "request": v1("POST", LIST, form=[("name", "Monthly Newsletter")]),
        "upstream": [],
        "response": v1_error(400, "The 'html' parameter is required."),
    },
    {
        "id": "C2-template-limit-400",
        "request": v1("POST", LIST, form=CREATE_FORM),
        "upstream": [create_call(error(400, "The account already has the maximum of 1000 templates."))],
        "response": v1_error(400, "The account already has the maximum of 1000 templates."),
    },
    {
        "id": "C2-create-throttled",
        "request": v1("POST", LIST, form=CREATE_FORM),
        "upstream": [create_call(THROTTLE_REPLY)],
        "response": THROTTLED,
    },
    {
        "id": "C2-upstream-401-becomes-403",
        "request": v1("POST", LIST, form=CREATE_FORM),
        "upstream": [create_call(UNAUTHORIZED)],
        "response": FORBIDDEN,
    },
]

ONE = f"/api/v1/email-template/{TID}"
RENAMED = template(TID, "Renamed")


def update_call(attributes: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
    body = {"data": {"type": "template", "id": TID, "attributes": attributes}}
    return call("PATCH", f"/api/templates/{TID}", reply, query=FIELDS_QUERY, json=body)


C3_C4_CASES: list[dict[str, Any]] = [
    {
        "id": "C3-update-name-and-html-form",
        "request": v1("PUT", ONE, form=[("name", "Renamed"), ("html", "<html>Renamed</html>")]),
        "upstream": [update_call({"name": "Renamed", "html": "<html>Renamed</html>"}, ok(RENAMED))],
        "response": {"status": 200, "json": legacy(TID, "Renamed")},
    },
    {
        "id": "C3-update-name-ruby-query",
        "request": v1("PUT", ONE, query=[("name", "Renamed")]),
        "upstream": [update_call({"name": "Renamed"}, ok(RENAMED))],
        "response": {"status": 200, "json": legacy(TID, "Renamed")},
    },
    {
        "id": "C3-nothing-to-change-reads-the-template",
        "request": v1("PUT", ONE),
        "upstream": [get_call(ok(NEWSLETTER))],
        "response": {"status": 200, "json": NEWSLETTER_LEGACY},
    },
    {
        "id": "C3-unknown-template-404",
        "request": v1("PUT", ONE, form=[("name", "Renamed")]),
        "upstream": [update_call({"name": "Renamed"}, error(404, "Not found."))],
        "response": NOT_FOUND,
    },
    {
        "id": "C3-update-throttled",
        "request": v1("PUT", ONE, form=[("name", "Renamed")]),
        "upstream": [update_call({"name": "Renamed"}, THROTTLE_REPLY)],
        "response": THROTTLED,
    },
    {
        "id": "C3-upstream-401-becomes-403",
        "request": v1("PUT", ONE, form=[("html", "<html>Renamed</html>")]),
        "upstream": [update_call({"html": "<html>Renamed</html>"}, UNAUTHORIZED)],
        "response": FORBIDDEN,
    },
    {
        # A JSON body (Node) with a non-string name: 400 before any upstream call.
        "id": "C3-name-not-a-string",
        "request": v1("PUT", ONE, json={"name": ["Renamed"]}),
        "upstream": [],
        "response": v1_error(400, "The 'name' parameter must be a string."),
    },
    {
        "id": "C4-delete-answers-the-deleted-template",
        "request": v1("DELETE", ONE),
        "upstream": [
            get_call(ok(template(TID, "Monthly Newsletter", editor="SYSTEM_DRAGGABLE"))),
            call("DELETE", f"/api/templates/{TID}", {"status": 204, "json": None}),
        ],
        "response": {
            "status": 200,
            "json": {**legacy(TID, "Monthly Newsletter", writeable=False), "is_deleted": True},
        },
    },
    {
        "id": "C4-unknown-template-404",
        "request": v1("DELETE", ONE),
        "upstream": [get_call(error(404, "Not found."))],
        "response": NOT_FOUND,
    },
    {
        "id": "C4-delete-throttled",
        "request": v1("DELETE", ONE),
        "upstream": [
            get_call(ok(NEWSLETTER)),
            call("DELETE", f"/api/templates/{TID}", error(429, "Throttled.", {"Retry-After": "1"})),
        ],
        "response": v1_error(
            429, "Request was throttled. Expected available in 1 seconds.", {"retry-after": "1"}
        ),
    },
    {
        "id": "C4-upstream-401-becomes-403",
        "request": v1("DELETE", ONE),
        "upstream": [get_call(UNAUTHORIZED)],
        "response": FORBIDDEN,
    },
]


def clone_call(reply: dict[str, Any]) -> dict[str, Any]:
    body = {"data": {"type": "template", "id": TID, "attributes": {"name": "Copy"}}}
    return call("POST", "/api/template-clone", reply, query=FIELDS_QUERY, json=body)


def render_call(context: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
    body = {"data": {"type": "template", "id": TID, "attributes": {"context": context}}}
    return call(
        "POST", "/api/template-render", reply, query={"fields[template]": "name,html,text"}, json=body
    )


RENDERED = ok(
    {
        "type": "template",
        "id": TID,
        "attributes": {
            "name": "Monthly Newsletter",
            "html": "<html>Hello George</html>",
            "text": "Hello George",
        },
    },
    201,
)
RENDERED_LEGACY = {
    "object": "email-template",
    "id": TID,
    "name": "Monthly Newsletter",
    "data": {"html": "<html>Hello George</html>", "text": "Hello George"},
}
GEORGE = {"first_name": "George", "order": {"total": 12}}

C5_C7_CASES: list[dict[str, Any]] = [
    {
        "id": "C5-clone",
        "request": v1("POST", f"{ONE}/clone", form=[("name", "Copy")]),
        "upstream": [clone_call(ok(template("NeWiD1", "Copy"), 201))],
        "response": {"status": 200, "json": legacy("NeWiD1", "Copy")},
    },
    {
        "id": "C5-missing-name",
        "request": v1("POST", f"{ONE}/clone", form=[]),
        "upstream": [],
        "response": v1_error(400, "The 'name' parameter is required."),
    },
    {
        "id": "C5-unknown-template-404",
        "request": v1("POST", f"{ONE}/clone", form=[("name", "Copy")]),
        "upstream": [clone_call(error(404, "Not found."))],
        "response": NOT_FOUND,
    },
    {
        "id": "C5-clone-throttled",
        "request": v1("POST", f"{ONE}/clone", form=[("name", "Copy")]),
        "upstream": [clone_call(THROTTLE_REPLY)],
        "response": THROTTLED,
    },
    {
        "id": "C5-upstream-401-becomes-403",
        "request": v1("POST", f"{ONE}/clone", form=[("name", "Copy")]),
        "upstream": [clone_call(UNAUTHORIZED)],
        "response": FORBIDDEN,
    },
    {
        "id": "C6-render-json-string-context",
        "request": v1("POST", f"{ONE}/render", form=[("context", json.dumps(GEORGE))]),
        "upstream": [render_call(GEORGE, RENDERED)],
        "response": {"status": 200, "json": RENDERED_LEGACY},
    },
    {
        # Ruby passes a hash: Faraday form-encodes it with bracketed keys.
        "id": "C6-render-ruby-bracketed-context",
        "request": {
            "method": "POST",
            "path": f"{ONE}/render",
            "form": [("context[first_name]", "George"), ("context[order][total]", "12"), ("api_key", KEY)],
        },
        "upstream": [render_call({"first_name": "George", "order": {"total": "12"}}, RENDERED)],
        "response": {"status": 200, "json": RENDERED_LEGACY},
    },
    {
        "id": "C6-render-json-body-object",
        "request": v1("POST", f"{ONE}/render", json={"context": GEORGE}),
        "upstream": [render_call(GEORGE, RENDERED)],
        "response": {"status": 200, "json": RENDERED_LEGACY},
    },
    {
        "id": "C6-render-without-context",
        "request": v1("POST", f"{ONE}/render"),
        "upstream": [render_call({}, RENDERED)],
        "response": {"status": 200, "json": RENDERED_LEGACY},
    },
    {
        # An HTML-only template has no text part: the text is derived from the rendered html.
        "id": "C6-html-only-template-text-derived",
        "request": v1("POST", f"{ONE}/render", form=[("context", json.dumps(GEORGE))]),
        "upstream": [
            render_call(
                GEORGE,
                ok(
                    {
                        "type": "template",
                        "id": TID,
                        "attributes": {
                            "name": "Monthly Newsletter",
                            "html": HTML_ONLY,
                            "text": None,
                        },
                    },
                    201,
                ),
            )
        ],
        "response": {
            "status": 200,
            "json": {**RENDERED_LEGACY, "data": {"html": HTML_ONLY, "text": HTML_ONLY_TEXT}},
        },
    },
    {
        "id": "C6-context-not-json",
        "request": v1("POST", f"{ONE}/render", form=[("context", "{first_name: George}")]),
        "upstream": [],
        "response": v1_error(400, "The 'context' parameter must be a JSON-encoded object."),
    },
    {
        "id": "C6-context-not-an-object",
        "request": v1("POST", f"{ONE}/render", form=[("context", '["George"]')]),
        "upstream": [],
        "response": v1_error(400, "The 'context' parameter must be a JSON object, not list."),
    },
    {
        "id": "C6-render-throttled-s-tier",
        "request": v1("POST", f"{ONE}/render", form=[("context", "{}")]),
        "upstream": [render_call({}, error(429, "Throttled.", {"Retry-After": "20"}))],
        "response": v1_error(
            429, "Request was throttled. Expected available in 20 seconds.", {"retry-after": "20"}
        ),
    },
    {
        "id": "C6-unknown-template-404",
        "request": v1("POST", f"{ONE}/render", form=[("context", "{}")]),
        "upstream": [render_call({}, error(404, "Not found."))],
        "response": NOT_FOUND,
    },
    {
        "id": "C6-upstream-401-becomes-403",
        "request": v1("POST", f"{ONE}/render", form=[("context", "{}")]),
        "upstream": [render_call({}, UNAUTHORIZED)],
        "response": FORBIDDEN,
    },
]

BETA_REV = "2026-07-15.pre"
SEND_BETA = {"template_send_beta": True, "beta_revision": BETA_REV}
SEND_FORM = [("from_email", "news@shop.test"), ("from_name", "Shop"), ("subject", "Hello")]
TO_TWO = json.dumps(
    [{"email": "ann@example.com", "name": "Ann"}, {"email": "bob@example.com", "name": "Bob"}]
)
JOB = {
    "type": "template-preview-send-job",
    "id": "01J0PREVIEWJOB0000000000001",
    "attributes": {"status": "queued"},
    "links": {"self": "x"},
}
SENT = {
    "status": 200,
    "json": {"object": "email-template", "id": TID, "name": "Alpha", "data": {"status": "queued"}},
}
C7_501 = v1_error(
    501,
    "Sending a template (POST /api/v1/email-template/{id}/send) is not supported by the new Klaviyo "
    "API, so klaviyo-compat cannot translate it. Successor: POST /api/template-preview-send-jobs "
    "(test sends only, at most 5 recipients, 1/s, 15/min and 100/day; a beta endpoint that needs "
    "revision 2026-07-15.pre; cannot set from_email, from_name or subject). An operator can opt in "
    'to sending through it: settings template_send_beta = true and beta_revision = "2026-07-15.pre" '
    f"(both are needed) ({DOCS}create_template_preview_send_job).",
)


def name_call(reply: dict[str, Any]) -> dict[str, Any]:
    return call("GET", f"/api/templates/{TID}", reply, query={"fields[template]": "name"})


def preview_call(recipients: list[str], context: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
    body = {
        "data": {
            "type": "template-preview-send-job",
            "attributes": {"recipients": recipients, "context": context},
            "relationships": {"template": {"data": {"type": "template", "id": TID}}},
        }
    }
    query = {"fields[template-preview-send-job]": "status"}
    return call("POST", "/api/template-preview-send-jobs", reply, query=query, json=body, revision=BETA_REV)


def send(*form: tuple[str, str]) -> dict[str, Any]:
    return v1("POST", f"{ONE}/send", form=[*SEND_FORM, *form])


NAMED = ok(template(TID, "Alpha", html=False))
C7_UNSUPPORTED_CASES: list[dict[str, Any]] = [
    {
        # Default: no opt-in, the 501 names both settings.
        "id": "C7-send-unsupported-501",
        "request": send(("to", "c@d.com")),
        "upstream": [],
        "response": C7_501,
    },
    {
        "id": "C7-opted-in-without-beta-revision-501",
        "settings": {"template_send_beta": True},
        "request": send(("to", "c@d.com")),
        "upstream": [],
        "response": C7_501,
    },
    {
        "id": "C7-beta-revision-without-opt-in-501",
        "settings": {"beta_revision": BETA_REV},
        "request": send(("to", "c@d.com")),
        "upstream": [],
        "response": C7_501,
    },
]

C7_CASES: list[dict[str, Any]] = [
    {
        # Opted in: the template's name, then one preview-send job (beta revision header) for the
        # to list's addresses (names dropped) with the context; from/subject are not sent.
        "id": "C7-send-through-the-preview-job",
        "settings": SEND_BETA,
        "request": send(("to", TO_TWO), ("context", '{"first_name": "Ann"}')),
        "upstream": [
            name_call(NAMED),
            preview_call(["ann@example.com", "bob@example.com"], {"first_name": "Ann"}, ok(JOB, 202)),
        ],
        "response": SENT,
    },
    {
        # A plain address; no context sends {}; a duplicate address (any case) is sent once.
        "id": "C7-send-to-one-address",
        "settings": SEND_BETA,
        "request": send(("to", " ann@example.com ")),
        "upstream": [name_call(NAMED), preview_call(["ann@example.com"], {}, ok(JOB, 202))],
        "response": SENT,
    },
    {
        "id": "C7-send-json-body-list-of-addresses",
        "settings": SEND_BETA,
        "request": v1(
            "POST",
            f"{ONE}/send",
            json={
                **dict(SEND_FORM),
                "to": ["ann@example.com", {"email": "ANN@example.com"}, {"email": "bob@example.com"}],
                "context": {"n": 1},
            },
        ),
        "upstream": [
            name_call(NAMED),
            preview_call(["ann@example.com", "bob@example.com"], {"n": 1}, ok(JOB, 202)),
        ],
        "response": SENT,
    },
    {
        "id": "C7-send-more-than-five-recipients-400",
        "settings": SEND_BETA,
        "request": send(("to", json.dumps([{"email": f"r{n}@example.com"} for n in range(6)]))),
        "upstream": [],
        "response": v1_error(
            400,
            "The new API sends a template to at most 5 recipients at a time (test sends only); 'to' lists 6.",
        ),
    },
    {
        "id": "C7-send-without-subject-400",
        "settings": SEND_BETA,
        "request": v1("POST", f"{ONE}/send", form=[*SEND_FORM[:2], ("to", "ann@example.com")]),
        "upstream": [],
        "response": v1_error(400, "The 'subject' parameter is required."),
    },
    {
        "id": "C7-send-without-to-400",
        "settings": SEND_BETA,
        "request": send(),
        "upstream": [],
        "response": v1_error(400, "The 'to' parameter is required."),
    },
    {
        "id": "C7-send-to-not-json-400",
        "settings": SEND_BETA,
        "request": send(("to", "[ann@example.com]")),
        "upstream": [],
        "response": v1_error(
            400,
            "The 'to' parameter must be an email address or a JSON-encoded list of "
            '{"email": ..., "name": ...} objects.',
        ),
    },
    {
        "id": "C7-send-recipient-without-email-400",
        "settings": SEND_BETA,
        "request": send(("to", json.dumps([{"name": "Ann"}]))),
        "upstream": [],
        "response": v1_error(
            400,
            "The 'to' parameter must be an email address or a JSON-encoded list of "
            '{"email": ..., "name": ...} objects. Each recipient needs an email address.',
        ),
    },
    {
        "id": "C7-send-context-not-json-400",
        "settings": SEND_BETA,
        "request": send(("to", "ann@example.com"), ("context", "{first_name: Ann}")),
        "upstream": [],
        "response": v1_error(400, "The 'context' parameter must be a JSON-encoded object."),
    },
    {
        "id": "C7-send-unknown-template-404",
        "settings": SEND_BETA,
        "request": send(("to", "ann@example.com")),
        "upstream": [name_call(error(404, "Not found."))],
        "response": NOT_FOUND,
    },
    {
        # The job's limits (1/s, 15/min, 100/day): Klaviyo's 429 keeps its Retry-After.
        "id": "C7-send-throttled-429",
        "settings": SEND_BETA,
        "request": send(("to", "ann@example.com")),
        "upstream": [
            name_call(NAMED),
            preview_call(["ann@example.com"], {}, error(429, "Throttled.", {"Retry-After": "3600"})),
        ],
        "response": v1_error(
            429, "Request was throttled. Expected available in 3600 seconds.", {"retry-after": "3600"}
        ),
    },
    {
        "id": "C7-send-refused-recipient-400",
        "settings": SEND_BETA,
        "request": send(("to", "ann@example")),
        "upstream": [
            name_call(NAMED),
            preview_call(["ann@example"], {}, error(400, "'ann@example' is not a valid email address.")),
        ],
        "response": v1_error(400, "'ann@example' is not a valid email address."),
    },
    {
        "id": "C7-send-upstream-401-becomes-403",
        "settings": SEND_BETA,
        "request": send(("to", "ann@example.com")),
        "upstream": [name_call(UNAUTHORIZED)],
        "response": FORBIDDEN,
    },
]

CASES: list[dict[str, Any]] = [
    *C1_CASES,
    *C2_CASES,
    *C3_C4_CASES,
    *C5_C7_CASES,
    *C7_UNSUPPORTED_CASES,
    *C7_CASES,
]
