"""Golden cases: B2 POST /api/v1/campaigns (create) and B4 PUT /api/v1/campaign/{id} (update).

The generated SDK sends the fields form-encoded with the key as the ``api_key`` query
parameter (booleans as Python's ``True``/``False``); Ruby puts the key in the form body
(create) or sends everything as query parameters (update).
"""

from __future__ import annotations

from typing import Any

from tests.mappings.golden.campaigns import (
    AUTH_ERROR,
    KEY,
    audience,
    audience_call,
    campaign,
    legacy,
    legacy_list,
    message,
)

CID = "01GEPN4N5YQXWFSXA0MGMV4BM7"
MID = f"M{CID}"
COPY = "TcOpY1"  # the private template copy the new API links to the message
TRACKING_ON = {"is_tracking_clicks": True, "is_tracking_opens": True}


def error(status: int, detail: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    body = {"errors": [{"id": "e", "status": status, "code": "x", "title": detail, "detail": detail}]}
    return {"status": status, "json": body, "headers": headers or {}}


def v1_error(status: int, message_text: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"status": status, "json": {"status": status, "message": message_text}}
    if headers:
        out["headers"] = headers
    return out


# --------------------------------------------------------------------------- B2 fixtures


def create_body(
    name: str,
    subject: str,
    list_id: str,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    content = {"subject": subject, "from_email": "news@example.com", "from_label": "Example Store"}
    return {
        "data": {
            "type": "campaign",
            "attributes": {
                "name": name,
                "audiences": {"included": [list_id], "excluded": []},
                **(options or {}),
                "campaign-messages": {
                    "data": [
                        {
                            "type": "campaign-message",
                            "attributes": {
                                "definition": {"channel": "email", "label": name, "content": content}
                            },
                        }
                    ]
                },
            },
        }
    }


def create_call(body: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
    return {"method": "POST", "path": "/api/campaigns", "json": body, "auth": KEY, "reply": reply}


def created(name: str, list_id: str) -> dict[str, Any]:
    res = campaign(CID, name, included=(list_id,), created="2022-10-07T14:00:22+00:00")
    return {"status": 201, "json": {"data": res, "links": {"self": "x"}}}


def assign_call(template_id: str, reply: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": "POST",
        "path": "/api/campaign-message-assign-template",
        "json": {
            "data": {
                "type": "campaign-message",
                "id": MID,
                "relationships": {"template": {"data": {"type": "template", "id": template_id}}},
            }
        },
        "auth": KEY,
        "reply": reply,
    }


def assigned(subject: str, from_label: str = "Example Store") -> dict[str, Any]:
    """The flatter message shape the spec gives for assign_template_to_campaign_message."""
    definition = message(CID, subject)["attributes"]["definition"]
    definition["content"]["from_label"] = from_label
    return {
        "status": 200,
        "json": {
            "data": {
                "type": "campaign-message",
                "id": MID,
                "attributes": {
                    "label": definition["label"],
                    "channel": "email",
                    "content": definition["content"],
                    "send_times": [],
                    "created_at": "2022-10-07T14:00:22+00:00",
                    "updated_at": "2022-10-07T14:00:22+00:00",
                },
                "relationships": {
                    "campaign": {"data": {"type": "campaign", "id": CID}},
                    "template": {"data": {"type": "template", "id": COPY}},
                },
            }
        },
    }


def delete_call(status: int = 204) -> dict[str, Any]:
    return {
        "method": "DELETE",
        "path": f"/api/campaigns/{CID}",
        "auth": KEY,
        "reply": {"status": status, "json": None},
    }


FORM = [
    ("list_id", "UeNm2e"),
    ("template_id", "RudGfD"),
    ("from_email", "news@example.com"),
    ("from_name", "Example Store"),
    ("subject", "Hello"),
    ("name", "Spring"),
    ("use_smart_sending", "True"),
    ("add_google_analytics", "False"),
]
SPRING_BODY = create_body(
    "Spring",
    "Hello",
    "UeNm2e",
    {
        "send_options": {"use_smart_sending": True},
        "tracking_options": {**TRACKING_ON, "add_tracking_params": False},
    },
)


def create_request(form: list[tuple[str, str]], *, key_in_query: bool = True) -> dict[str, Any]:
    query = [("api_key", KEY)] if key_in_query else []
    body = form if key_in_query else [*form, ("api_key", KEY)]
    return {"method": "POST", "path": "/api/v1/campaigns", "query": query, "form": body}


def without(name: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in FORM if k != name]


SPRING = legacy(
    CID,
    "Spring",
    "Hello",
    lists=[legacy_list("UeNm2e", "Newsletter", "list")],
    created="2022-10-07 14:00:22",
    template_id="RudGfD",
)

B2_CASES: list[dict[str, Any]] = [
    {
        "id": "B2-create-generated-sdk-form",
        "request": create_request(FORM),
        "upstream": [
            create_call(SPRING_BODY, created("Spring", "UeNm2e")),
            assign_call("RudGfD", assigned("Hello")),
            audience_call("list", '["UeNm2e"]', [audience("list", "UeNm2e", "Newsletter")]),
            audience_call("segment", '["UeNm2e"]', []),
        ],
        "response": {"status": 200, "json": SPRING},
    },
    {
        # Ruby: key only in the form body; no name (defaults to the subject), no booleans; a segment.
        "id": "B2-create-ruby-name-defaults-to-subject",
        "request": create_request(
            [(k, v) for k, v in without("name") if k not in ("use_smart_sending", "add_google_analytics")]
            + [("list_id", "TC78ZS")],
            key_in_query=False,
        ),
        "upstream": [
            create_call(create_body("Hello", "Hello", "TC78ZS"), created("Hello", "TC78ZS")),
            assign_call("RudGfD", assigned("Hello")),
            audience_call("list", '["TC78ZS"]', []),
            audience_call("segment", '["TC78ZS"]', [audience("segment", "TC78ZS", "Soft Bounces")]),
        ],
        "response": {
            "status": 200,
            "json": legacy(
                CID,
                "Hello",
                "Hello",
                lists=[legacy_list("TC78ZS", "Soft Bounces", "segment")],
                created="2022-10-07 14:00:22",
                template_id="RudGfD",
            ),
        },
    },
    {
        "id": "B2-json-booleans-and-lowercase-true",
        "request": {
            "method": "POST",
            "path": "/api/v1/campaigns",
            "query": [("api_key", KEY), ("add_google_analytics", "true")],
            "json": {
                **{k: v for k, v in FORM if k not in ("use_smart_sending", "add_google_analytics")},
                "use_smart_sending": False,
            },
        },
        "upstream": [
            create_call(
                create_body(
                    "Spring",
                    "Hello",
                    "UeNm2e",
                    {
                        "send_options": {"use_smart_sending": False},
                        "tracking_options": {**TRACKING_ON, "add_tracking_params": True},
                    },
                ),
                created("Spring", "UeNm2e"),
            ),
            assign_call("RudGfD", assigned("Hello")),
            audience_call("list", '["UeNm2e"]', [audience("list", "UeNm2e", "Newsletter")]),
            audience_call("segment", '["UeNm2e"]', []),
        ],
        "response": {"status": 200, "json": SPRING},
    },
    *[
        {
            "id": f"B2-missing-{name}",
            "request": create_request(without(name)),
            "upstream": [],
            "response": v1_error(400, f"The '{name}' parameter is required."),
        }
        for name in ("list_id", "template_id", "subject")
    ],
    {
        "id": "B2-empty-required-field",
        "request": create_request([*without("from_email"), ("from_email", "")]),
        "upstream": [],
        "response": v1_error(400, "The 'from_email' parameter is required."),
    },
    {
        "id": "B2-bad-boolean",
        "request": create_request([*without("use_smart_sending"), ("use_smart_sending", "maybe")]),
        "upstream": [],
        "response": v1_error(400, "The 'use_smart_sending' parameter must be true or false, not 'maybe'."),
    },
    {
        # The template does not exist: the new draft is deleted again, the 404 answered.
        "id": "B2-unknown-template-rolls-back",
        "request": create_request(FORM),
        "upstream": [
            create_call(SPRING_BODY, created("Spring", "UeNm2e")),
            assign_call("RudGfD", error(404, "Template RudGfD not found.")),
            delete_call(),
        ],
        "response": v1_error(404, "The requested resource does not exist."),
    },
    {
        # Rollback failing too still answers the original error.
        "id": "B2-assign-throttled-rollback-fails",
        "request": create_request(FORM),
        "upstream": [
            create_call(SPRING_BODY, created("Spring", "UeNm2e")),
            assign_call("RudGfD", error(429, "Throttled.", {"Retry-After": "7"})),
            delete_call(status=429),
        ],
        "response": v1_error(
            429, "Request was throttled. Expected available in 7 seconds.", {"retry-after": "7"}
        ),
    },
    {
        "id": "B2-unknown-list-400",
        "request": create_request(FORM),
        "upstream": [create_call(SPRING_BODY, error(400, "List or segment UeNm2e does not exist."))],
        "response": v1_error(400, "List or segment UeNm2e does not exist."),
    },
    {
        "id": "B2-create-throttled",
        "request": create_request(FORM),
        "upstream": [create_call(SPRING_BODY, error(429, "Throttled.", {"Retry-After": "3"}))],
        "response": v1_error(
            429, "Request was throttled. Expected available in 3 seconds.", {"retry-after": "3"}
        ),
    },
    {
        "id": "B2-upstream-401-becomes-403",
        "request": create_request(FORM),
        "upstream": [create_call(SPRING_BODY, {"status": 401, "json": AUTH_ERROR})],
        "response": v1_error(403, "Incorrect authentication credentials."),
    },
]


# --------------------------------------------------------------------------- B4 fixtures


def get_call(reply: dict[str, Any], cid: str = CID) -> dict[str, Any]:
    return {
        "method": "GET",
        "path": f"/api/campaigns/{cid}",
        "query": {"include": "campaign-messages"},
        "auth": KEY,
        "reply": reply,
    }


def found(res: dict[str, Any], msg: dict[str, Any] | None) -> dict[str, Any]:
    return {"status": 200, "json": {"data": res, "included": [msg] if msg else [], "links": {"self": "x"}}}


def patch_campaign_call(attributes: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": "PATCH",
        "path": f"/api/campaigns/{CID}",
        "json": {"data": {"type": "campaign", "id": CID, "attributes": attributes}},
        "auth": KEY,
        "reply": reply,
    }


def patch_message_call(content: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": "PATCH",
        "path": f"/api/campaign-messages/{MID}",
        "json": {
            "data": {
                "type": "campaign-message",
                "id": MID,
                "attributes": {"definition": {"channel": "email", "content": content}},
            }
        },
        "auth": KEY,
        "reply": reply,
    }


def update_request(*pairs: tuple[str, str], form: bool = True) -> dict[str, Any]:
    path = f"/api/v1/campaign/{CID}"
    if form:
        return {"method": "PUT", "path": path, "query": [("api_key", KEY)], "form": list(pairs)}
    return {"method": "PUT", "path": path, "query": [*pairs, ("api_key", KEY)]}


DRAFT = campaign(CID, "Spring", included=("UeNm2e",))
DRAFT_MESSAGE = message(CID, "Hello", "TOLD01")
RENAMED = campaign(CID, "Summer", included=("Xy12Ab",))
NEW_MESSAGE = message(CID, "Hot days", "TOLD01")
NEW_MESSAGE["attributes"]["definition"]["content"]["from_label"] = "Summer Store"


def summer(subject: str, from_name: str, template_id: str | None) -> dict[str, Any]:
    out = legacy(
        CID,
        "Summer",
        subject,
        lists=[legacy_list("Xy12Ab", "VIP", "list")],
        template_id=template_id,
    )
    out["from_name"] = from_name
    return out


B4_CASES: list[dict[str, Any]] = [
    {
        "id": "B4-update-everything",
        "request": update_request(
            ("name", "Summer"),
            ("list_id", "Xy12Ab"),
            ("subject", "Hot days"),
            ("from_name", "Summer Store"),
            ("template_id", "RudGfD"),
            ("use_smart_sending", "False"),
            ("add_google_analytics", "True"),
        ),
        "upstream": [
            get_call(found(DRAFT, DRAFT_MESSAGE)),
            patch_campaign_call(
                {
                    "send_options": {"use_smart_sending": False},
                    # The campaign's other tracking settings are sent back unchanged.
                    "tracking_options": {**TRACKING_ON, "add_tracking_params": True},
                    "name": "Summer",
                    "audiences": {"included": ["Xy12Ab"]},
                },
                {"status": 200, "json": {"data": RENAMED}},
            ),
            patch_message_call(
                {"subject": "Hot days", "from_label": "Summer Store"},
                {"status": 200, "json": {"data": NEW_MESSAGE}},
            ),
            assign_call("RudGfD", assigned("Hot days", "Summer Store")),
            audience_call("list", '["Xy12Ab"]', [audience("list", "Xy12Ab", "VIP")]),
            audience_call("segment", '["Xy12Ab"]', []),
        ],
        "response": {"status": 200, "json": summer("Hot days", "Summer Store", "RudGfD")},
    },
    {
        # Ruby sends update fields as query parameters; only the message changes.
        "id": "B4-subject-only-as-query-parameters",
        "request": update_request(("subject", "Hot days"), ("from_name", "Summer Store"), form=False),
        "upstream": [
            get_call(found(RENAMED, DRAFT_MESSAGE)),
            patch_message_call(
                {"subject": "Hot days", "from_label": "Summer Store"},
                {"status": 200, "json": {"data": NEW_MESSAGE}},
            ),
            audience_call("list", '["Xy12Ab"]', [audience("list", "Xy12Ab", "VIP")]),
            audience_call("segment", '["Xy12Ab"]', []),
        ],
        "response": {"status": 200, "json": summer("Hot days", "Summer Store", "TOLD01")},
    },
    {
        "id": "B4-nothing-to-change-reads-the-campaign",
        "request": update_request(),
        "upstream": [
            get_call(found(campaign(CID, "Summer"), DRAFT_MESSAGE)),
        ],
        "response": {"status": 200, "json": legacy(CID, "Summer", "Hello", template_id="TOLD01")},
    },
    {
        "id": "B4-unknown-campaign-404",
        "request": update_request(("name", "Summer")),
        "upstream": [get_call(error(404, "Campaign not found."))],
        "response": v1_error(404, "The requested resource does not exist."),
    },
    {
        "id": "B4-not-a-draft-400",
        "request": update_request(("name", "Summer")),
        "upstream": [
            get_call(found(campaign(CID, "Spring", "Sent"), DRAFT_MESSAGE)),
            patch_campaign_call(
                {"name": "Summer"},
                error(400, f"Campaign {CID} is 'Sent'; only draft campaigns can be changed."),
            ),
        ],
        "response": v1_error(400, f"Campaign {CID} is 'Sent'; only draft campaigns can be changed."),
    },
    {
        "id": "B4-no-email-message-400",
        "request": update_request(("subject", "Hot days")),
        "upstream": [get_call(found(campaign(CID, "Spring"), None))],
        "response": v1_error(400, f"Campaign {CID} has no email message to update."),
    },
    {
        "id": "B4-bad-boolean",
        "request": update_request(("add_google_analytics", "yes please")),
        "upstream": [],
        "response": v1_error(
            400, "The 'add_google_analytics' parameter must be true or false, not 'yes please'."
        ),
    },
    {
        "id": "B4-throttled",
        "request": update_request(("name", "Summer")),
        "upstream": [get_call(error(429, "Throttled.", {"Retry-After": "2"}))],
        "response": v1_error(
            429, "Request was throttled. Expected available in 2 seconds.", {"retry-after": "2"}
        ),
    },
    {
        "id": "B4-upstream-401-becomes-403",
        "request": update_request(("name", "Summer")),
        "upstream": [get_call({"status": 401, "json": AUTH_ERROR})],
        "response": v1_error(403, "Incorrect authentication credentials."),
    },
]

CASES: list[dict[str, Any]] = [*B2_CASES, *B4_CASES]
