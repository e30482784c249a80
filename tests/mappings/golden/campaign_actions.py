"""Golden cases: B3 read, B5 send, B6 schedule, B7 cancel, B8 clone, B9 recipients of a v1 campaign.

Key as the ``api_key`` query parameter (generated SDK, Python, Node); form fields for B6/B8.
"""

from __future__ import annotations

from typing import Any

from tests.mappings.golden.campaign_writes import CID, error, found, get_call, v1_error
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
from tests.mappings.golden.timelines import TOKEN

CLONE = "01GF0000000000000000000CLN"
DOCS = "https://developers.klaviyo.com/en/reference/"
NOT_FOUND = v1_error(404, "The requested resource does not exist.")
THROTTLED = v1_error(429, "Request was throttled. Expected available in 9 seconds.", {"retry-after": "9"})
THROTTLE_REPLY = error(429, "Throttled.", {"Retry-After": "9"})
AUTH_REPLY = {"status": 401, "json": AUTH_ERROR}
FORBIDDEN = v1_error(403, "Incorrect authentication credentials.")


def request(method: str, suffix: str = "", form: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "method": method,
        "path": f"/api/v1/campaign/{CID}{suffix}",
        "query": [("api_key", KEY)],
    }
    if form is not None:
        out["form"] = form
    return out


def fields_call(fields: str, reply: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": "GET",
        "path": f"/api/campaigns/{CID}",
        "query": {"fields[campaign]": fields},
        "auth": KEY,
        "reply": reply,
    }


def sparse(**attributes: Any) -> dict[str, Any]:
    return {"status": 200, "json": {"data": {"type": "campaign", "id": CID, "attributes": attributes}}}


def strategy_call(strategy: dict[str, Any], reply: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "method": "PATCH",
        "path": f"/api/campaigns/{CID}",
        "json": {"data": {"type": "campaign", "id": CID, "attributes": {"send_strategy": strategy}}},
        "auth": KEY,
        "reply": reply or {"status": 200, "json": {"data": campaign(CID, "Spring", strategy=strategy)}},
    }


def send_job_call(reply: dict[str, Any] | None = None) -> dict[str, Any]:
    job = {"data": {"type": "campaign-send-job", "id": CID, "attributes": {"status": "queued"}}}
    return {
        "method": "POST",
        "path": "/api/campaign-send-jobs",
        "json": {"data": {"type": "campaign-send-job", "id": CID}},
        "auth": KEY,
        "reply": reply or {"status": 202, "json": job},
    }


def cancel_call(reply: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": "PATCH",
        "path": f"/api/campaign-send-jobs/{CID}",
        "json": {"data": {"type": "campaign-send-job", "id": CID, "attributes": {"action": "cancel"}}},
        "auth": KEY,
        "reply": reply,
    }


SENT = campaign(
    CID,
    "10/22 Weekend Promo",
    "Sent",
    included=("UeNm2e",),
    excluded=("TC78ZS",),
    send_time="2022-10-07T14:00:00+00:00",
)
SENT_MESSAGE = message(CID, "A surprise for you, {{ first_name }}!", "RudGfD")
AUDIENCE_CALLS = [
    audience_call("list", '["UeNm2e","TC78ZS"]', [audience("list", "UeNm2e", "Newsletter")]),
    audience_call("segment", '["UeNm2e","TC78ZS"]', [audience("segment", "TC78ZS", "Soft Bounces")]),
]
SENT_LEGACY = legacy(
    CID,
    "10/22 Weekend Promo",
    "A surprise for you, {{ first_name }}!",
    status=("sent", 1, "Sent"),
    lists=[legacy_list("UeNm2e", "Newsletter", "list")],
    excluded=[legacy_list("TC78ZS", "Soft Bounces", "segment")],
    sent_at="2022-10-07 14:00:00",
    send_time="2022-10-07 14:00:00",
    template_id="RudGfD",
)
QUEUED = {"status": 200, "json": {"status": "queued"}}

B3_CASES: list[dict[str, Any]] = [
    {
        "id": "B3-sent-campaign-with-list-and-segment",
        "request": request("GET"),
        "upstream": [get_call(found(SENT, SENT_MESSAGE)), *AUDIENCE_CALLS],
        "response": {"status": 200, "headers": {"content-type": "application/json"}, "json": SENT_LEGACY},
    },
    {
        # Ruby: key in the query string and in a JSON body.
        "id": "B3-ruby-json-body-key",
        "request": {**request("GET"), "json": {"api_key": KEY}},
        "upstream": [get_call(found(campaign(CID, "Draft one"), message(CID, "Hi")))],
        "response": {"status": 200, "json": legacy(CID, "Draft one", "Hi")},
    },
    {
        "id": "B3-unknown-campaign-404",
        "request": request("GET"),
        "upstream": [get_call(error(404, "Not found."))],
        "response": NOT_FOUND,
    },
    {
        "id": "B3-throttled",
        "request": request("GET"),
        "upstream": [get_call(THROTTLE_REPLY)],
        "response": THROTTLED,
    },
    {
        "id": "B3-upstream-401-becomes-403",
        "request": request("GET"),
        "upstream": [get_call({"status": 401, "json": AUTH_ERROR})],
        "response": v1_error(403, "Incorrect authentication credentials."),
    },
]

# The runner's clock is 2026-01-15T12:00:00Z: "the future" in B6 means after that instant.
SCHEDULED_AT = {"method": "static", "datetime": "2026-11-01T09:00:00+00:00", "options": {"is_local": False}}

B5_B6_CASES: list[dict[str, Any]] = [
    {
        "id": "B5-send-a-campaign-set-to-static-makes-it-immediate",
        "request": request("POST", "/send"),
        "upstream": [
            fields_call("send_strategy", sparse(send_strategy=SCHEDULED_AT)),
            strategy_call({"method": "immediate"}),
            send_job_call(),
        ],
        "response": QUEUED,
    },
    {
        "id": "B5-send-immediate-campaign",
        "request": request("POST", "/send"),
        "upstream": [
            fields_call("send_strategy", sparse(send_strategy={"method": "immediate"})),
            send_job_call(),
        ],
        "response": QUEUED,
    },
    {
        "id": "B5-unknown-campaign-404",
        "request": request("POST", "/send"),
        "upstream": [fields_call("send_strategy", error(404, "Not found."))],
        "response": NOT_FOUND,
    },
    {
        "id": "B5-send-refused-400",
        "request": request("POST", "/send"),
        "upstream": [
            fields_call("send_strategy", sparse(send_strategy={"method": "immediate"})),
            send_job_call(error(400, "Campaign has already been sent.")),
        ],
        "response": v1_error(400, "Campaign has already been sent."),
    },
    {
        "id": "B5-throttled",
        "request": request("POST", "/send"),
        "upstream": [fields_call("send_strategy", THROTTLE_REPLY)],
        "response": THROTTLED,
    },
    {
        "id": "B5-upstream-401-becomes-403",
        "request": request("POST", "/send"),
        "upstream": [fields_call("send_strategy", AUTH_REPLY)],
        "response": FORBIDDEN,
    },
    {
        "id": "B6-schedule-legacy-format",
        "request": request("POST", "/schedule", [("send_time", "2026-11-01 09:00:00")]),
        "upstream": [strategy_call(SCHEDULED_AT), send_job_call()],
        "response": QUEUED,
    },
    {
        "id": "B6-schedule-iso-with-offset-is-converted-to-utc",
        "request": request("POST", "/schedule", [("send_time", "2026-11-01T11:00:00+02:00")]),
        "upstream": [strategy_call(SCHEDULED_AT), send_job_call()],
        "response": QUEUED,
    },
    {
        "id": "B6-send-time-in-the-past",
        "request": request("POST", "/schedule", [("send_time", "2001-01-01 00:00:00")]),
        "upstream": [],
        "response": v1_error(
            400, "Invalid send_time '2001-01-01 00:00:00': the send time must be in the future."
        ),
    },
    {
        "id": "B6-send-time-equal-to-now-is-not-in-the-future",
        "request": request("POST", "/schedule", [("send_time", "2026-01-15 12:00:00")]),
        "upstream": [],
        "response": v1_error(
            400, "Invalid send_time '2026-01-15 12:00:00': the send time must be in the future."
        ),
    },
    {
        "id": "B6-send-time-one-second-after-now",
        "request": request("POST", "/schedule", [("send_time", "2026-01-15 12:00:01")]),
        "upstream": [
            strategy_call(
                {"method": "static", "datetime": "2026-01-15T12:00:01+00:00", "options": {"is_local": False}}
            ),
            send_job_call(),
        ],
        "response": QUEUED,
    },
    {
        # The same send_time is in the past for a request that arrives later.
        "id": "B6-send-time-already-passed-when-the-request-arrives",
        "now": "2026-11-01T09:00:01+00:00",
        "request": request("POST", "/schedule", [("send_time", "2026-11-01 09:00:00")]),
        "upstream": [],
        "response": v1_error(
            400, "Invalid send_time '2026-11-01 09:00:00': the send time must be in the future."
        ),
    },
    {
        "id": "B6-send-time-unreadable",
        "request": request("POST", "/schedule", [("send_time", "next tuesday")]),
        "upstream": [],
        "response": v1_error(
            400, "Invalid send_time 'next tuesday': use 'YYYY-MM-DD HH:MM:SS' in UTC (or ISO 8601)."
        ),
    },
    {
        "id": "B6-send-time-missing",
        "request": request("POST", "/schedule", []),
        "upstream": [],
        "response": v1_error(400, "The 'send_time' parameter is required."),
    },
    {
        "id": "B6-unknown-campaign-404",
        "request": request("POST", "/schedule", [("send_time", "2026-11-01 09:00:00")]),
        "upstream": [strategy_call(SCHEDULED_AT, error(404, "Not found."))],
        "response": NOT_FOUND,
    },
    {
        # Throttled after the send strategy was set: still a draft; a retry repeats both steps.
        "id": "B6-send-job-throttled",
        "request": request("POST", "/schedule", [("send_time", "2026-11-01 09:00:00")]),
        "upstream": [strategy_call(SCHEDULED_AT), send_job_call(THROTTLE_REPLY)],
        "response": THROTTLED,
    },
    {
        "id": "B6-upstream-401-becomes-403",
        "request": request("POST", "/schedule", [("send_time", "2026-11-01 09:00:00")]),
        "upstream": [strategy_call(SCHEDULED_AT, AUTH_REPLY)],
        "response": FORBIDDEN,
    },
]

CANCELLED_STATUS = ("cancelled", None, "Cancelled")
CANCEL_ACCEPTED = {"status": 204, "json": None}

B7_CASES: list[dict[str, Any]] = [
    {
        "id": "B7-cancel-scheduled-campaign",
        "request": request("POST", "/cancel"),
        "upstream": [
            cancel_call(CANCEL_ACCEPTED),
            get_call(found(campaign(CID, "Spring", "Cancelled"), message(CID, "Hi"))),
        ],
        "response": {"status": 200, "json": legacy(CID, "Spring", "Hi", status=CANCELLED_STATUS)},
    },
    {
        # The cancel runs asynchronously: a campaign still read as sending answers cancelled.
        "id": "B7-cancel-accepted-status-not-yet-updated",
        "request": request("POST", "/cancel"),
        "upstream": [
            cancel_call(CANCEL_ACCEPTED),
            get_call(found(campaign(CID, "Spring", "Sending", included=("UeNm2e",)), message(CID, "Hi"))),
            audience_call("list", '["UeNm2e"]', [audience("list", "UeNm2e", "Newsletter")]),
            audience_call("segment", '["UeNm2e"]', []),
        ],
        "response": {
            "status": 200,
            "json": legacy(
                CID,
                "Spring",
                "Hi",
                status=CANCELLED_STATUS,
                lists=[legacy_list("UeNm2e", "Newsletter", "list")],
            ),
        },
    },
    {
        "id": "B7-draft-has-nothing-to-cancel-400",
        "request": request("POST", "/cancel"),
        "upstream": [
            cancel_call(error(404, "Campaign send job not found.")),
            fields_call("status", sparse(status="Draft")),
        ],
        "response": v1_error(
            400,
            f"Campaign {CID} (Draft) is not scheduled or sending, so there is nothing to cancel: "
            "the new Klaviyo API cancels only a campaign's send job.",
        ),
    },
    {
        "id": "B7-unknown-campaign-404",
        "request": request("POST", "/cancel"),
        "upstream": [
            cancel_call(error(404, "Campaign send job not found.")),
            fields_call("status", error(404, "Campaign not found.")),
        ],
        "response": NOT_FOUND,
    },
    {
        "id": "B7-cancel-refused-400",
        "request": request("POST", "/cancel"),
        "upstream": [cancel_call(error(400, "A sent campaign cannot be cancelled."))],
        "response": v1_error(400, "A sent campaign cannot be cancelled."),
    },
    {
        "id": "B7-throttled",
        "request": request("POST", "/cancel"),
        "upstream": [cancel_call(THROTTLE_REPLY)],
        "response": THROTTLED,
    },
    {
        "id": "B7-upstream-401-becomes-403",
        "request": request("POST", "/cancel"),
        "upstream": [cancel_call(AUTH_REPLY)],
        "response": FORBIDDEN,
    },
]


def clone_call(reply: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": "POST",
        "path": "/api/campaign-clone",
        "json": {"data": {"type": "campaign", "id": CID, "attributes": {"new_name": "Copy"}}},
        "auth": KEY,
        "reply": reply,
    }


def set_list_call(reply: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": "PATCH",
        "path": f"/api/campaigns/{CLONE}",
        "json": {
            "data": {"type": "campaign", "id": CLONE, "attributes": {"audiences": {"included": ["Xy12Ab"]}}}
        },
        "auth": KEY,
        "reply": reply,
    }


CLONED = campaign(CLONE, "Copy", included=("UeNm2e",), excluded=("TC78ZS",))
RETARGETED = campaign(CLONE, "Copy", included=("Xy12Ab",), excluded=("TC78ZS",))
CLONE_FORM = [("name", "Copy"), ("list_id", "Xy12Ab")]

B8_CASES: list[dict[str, Any]] = [
    {
        "id": "B8-clone-to-another-list",
        "request": request("POST", "/clone", CLONE_FORM),
        "upstream": [
            clone_call({"status": 201, "json": {"data": CLONED}}),
            set_list_call({"status": 200, "json": {"data": RETARGETED}}),
            get_call(found(RETARGETED, message(CLONE, "Hi", "TcOpY2")), cid=CLONE),
            audience_call("list", '["Xy12Ab","TC78ZS"]', [audience("list", "Xy12Ab", "VIP")]),
            audience_call("segment", '["Xy12Ab","TC78ZS"]', [audience("segment", "TC78ZS", "Soft Bounces")]),
        ],
        "response": {
            "status": 200,
            "json": legacy(
                CLONE,
                "Copy",
                "Hi",
                lists=[legacy_list("Xy12Ab", "VIP", "list")],
                excluded=[legacy_list("TC78ZS", "Soft Bounces", "segment")],
                template_id="TcOpY2",
            ),
        },
    },
    *[
        {
            "id": f"B8-missing-{name}",
            "request": request("POST", "/clone", [(k, v) for k, v in CLONE_FORM if k != name]),
            "upstream": [],
            "response": v1_error(400, f"The '{name}' parameter is required."),
        }
        for name in ("name", "list_id")
    ],
    {
        "id": "B8-unknown-list-deletes-the-clone",
        "request": request("POST", "/clone", CLONE_FORM),
        "upstream": [
            clone_call({"status": 201, "json": {"data": CLONED}}),
            set_list_call(error(400, "List or segment Xy12Ab does not exist.")),
            {
                "method": "DELETE",
                "path": f"/api/campaigns/{CLONE}",
                "auth": KEY,
                "reply": {"status": 204, "json": None},
            },
        ],
        "response": v1_error(400, "List or segment Xy12Ab does not exist."),
    },
    {
        "id": "B8-unknown-campaign-404",
        "request": request("POST", "/clone", CLONE_FORM),
        "upstream": [clone_call(error(404, "Not found."))],
        "response": NOT_FOUND,
    },
    {
        "id": "B8-clone-throttled",
        "request": request("POST", "/clone", CLONE_FORM),
        "upstream": [clone_call(THROTTLE_REPLY)],
        "response": THROTTLED,
    },
    {
        "id": "B8-upstream-401-becomes-403",
        "request": request("POST", "/clone", CLONE_FORM),
        "upstream": [clone_call(AUTH_REPLY)],
        "response": FORBIDDEN,
    },
]

B9_CASES: list[dict[str, Any]] = [
    {
        "id": "B9-recipients-unsupported-501",
        "request": {**request("GET", "/recipients"), "query": [("count", "5000"), ("api_key", KEY)]},
        "upstream": [],
        "response": v1_error(
            501,
            "Listing a campaign's recipients (GET /api/v1/campaign/{id}/recipients) is not supported by "
            "the new Klaviyo API, so klaviyo-compat cannot translate it. Successor: the estimated "
            "recipient count, GET /api/campaign-recipient-estimations/{id} (after POST "
            "/api/campaign-recipient-estimation-jobs). An operator can opt in to approximate answers "
            "(setting approximate_recipients = true: sent campaigns from their Received Email events, "
            "drafts as the estimated count with no recipients) "
            f"({DOCS}get_campaign_recipient_estimation).",
        ),
    },
]

APPROXIMATE = {"approximate_recipients": True}
FROM_EVENTS = {
    "x-compat-approximate": 'recipients rebuilt from "Received Email" events; status is always Sent'
}
EVENTS_QUERY = {
    "filter": 'equals(metric_id,"RcvEml"),greater-or-equal(datetime,2022-10-07T13:00:00+00:00)',
    "sort": "datetime",
    "include": "profile",
    "fields[event]": "datetime,event_properties",
    "fields[profile]": "email",
    "page[size]": "2",
}
METRICS_CALL = {
    "method": "GET",
    "path": "/api/metrics",
    "query": {"fields[metric]": "name"},
    "auth": KEY,
    "reply": {
        "status": 200,
        "json": {
            "data": [
                {"type": "metric", "id": "PlcOrd", "attributes": {"name": "Placed Order"}},
                {"type": "metric", "id": "RcvEml", "attributes": {"name": "Received Email"}},
            ]
        },
    },
}


def received(eid: str, pid: str, message: str) -> dict[str, Any]:
    return {
        "type": "event",
        "id": eid,
        "attributes": {"datetime": "2022-10-07T14:00:05+00:00", "event_properties": {"$message": message}},
        "relationships": {"profile": {"data": {"type": "profile", "id": pid}}},
    }


def person(pid: str) -> dict[str, Any]:
    return {"type": "profile", "id": pid, "attributes": {"email": f"{pid.lower()}@example.com"}}


def events_call(data: list[dict[str, Any]], cursor: str | None, next_cursor: str | None) -> dict[str, Any]:
    query = dict(EVENTS_QUERY) if cursor is None else {**EVENTS_QUERY, "page[cursor]": cursor}
    nxt = None if next_cursor is None else f"https://a.klaviyo.com/api/events/?page%5Bcursor%5D={next_cursor}"
    included = [person(e["relationships"]["profile"]["data"]["id"]) for e in data]
    reply = {"status": 200, "json": {"data": data, "included": included, "links": {"self": "x", "next": nxt}}}
    return {"method": "GET", "path": "/api/events", "query": query, "auth": KEY, "reply": reply}


def recipient(pid: str) -> dict[str, Any]:
    return {"email": f"{pid.lower()}@example.com", "status": "Sent", "customer_id": pid, "variation_id": None}


B9_APPROXIMATE_CASES: list[dict[str, Any]] = [
    {
        # Opted in, sent campaign: "Received Email" events of this campaign (other campaigns' are
        # skipped), count=2 -> 2 events per page; the next page resumes with next_offset.
        "id": "B9-approximate-sent-from-received-email-events",
        "settings": APPROXIMATE,
        "request": {**request("GET", "/recipients"), "query": [("count", "2"), ("api_key", KEY)]},
        "upstream": [
            get_call(found(SENT, SENT_MESSAGE)),
            METRICS_CALL,
            events_call([received("E1", "P1", CID), received("E2", "P9", "OTHER")], None, "cur2"),
        ],
        "response": {
            "status": 200,
            "headers": FROM_EVENTS,
            "json": {
                "object": "$list",
                "data": [recipient("P1")],
                "count": 1,
                "total": 1,
                "next_offset": TOKEN,
            },
        },
    },
    {
        "id": "B9-approximate-last-page-no-next-offset",
        "settings": APPROXIMATE,
        "request": {**request("GET", "/recipients"), "query": [("count", "2"), ("api_key", KEY)]},
        "upstream": [
            get_call(found(SENT, SENT_MESSAGE)),
            METRICS_CALL,
            events_call([received("E1", "P1", CID), received("E3", "P2", f"M{CID}")], None, None),
        ],
        "response": {
            "status": 200,
            "headers": FROM_EVENTS,
            "json": {"object": "$list", "data": [recipient("P1"), recipient("P2")], "count": 2, "total": 2},
        },
    },
    {
        # Opted in, a draft: nobody received it yet; total is the recipient estimation.
        "id": "B9-approximate-draft-estimated-count",
        "settings": APPROXIMATE,
        "request": request("GET", "/recipients"),
        "upstream": [
            get_call(found(campaign(CID, "Draft", included=("UeNm2e",)), SENT_MESSAGE)),
            {
                "method": "GET",
                "path": f"/api/campaign-recipient-estimations/{CID}",
                "auth": KEY,
                "reply": {
                    "status": 200,
                    "json": {
                        "data": {
                            "type": "campaign-recipient-estimation",
                            "id": CID,
                            "attributes": {"estimated_recipient_count": 1380},
                        }
                    },
                },
            },
        ],
        "response": {
            "status": 200,
            "headers": {
                "x-compat-approximate": "not sent: no recipients yet, total is the recipient estimation"
            },
            "json": {"object": "$list", "data": [], "count": 0, "total": 1380},
        },
    },
    {
        "id": "B9-approximate-unknown-offset-400",
        "settings": APPROXIMATE,
        "request": {**request("GET", "/recipients"), "query": [("offset", "kxp1.nope"), ("api_key", KEY)]},
        "upstream": [],
        "response": v1_error(400, "Invalid or expired offset 'kxp1.nope'."),
    },
    {
        "id": "B9-approximate-bad-count-400",
        "settings": APPROXIMATE,
        "request": {**request("GET", "/recipients"), "query": [("count", "25001"), ("api_key", KEY)]},
        "upstream": [],
        "response": v1_error(400, "Invalid count '25001': count must be an integer between 1 and 25000."),
    },
    {
        "id": "B9-approximate-unknown-campaign-404",
        "settings": APPROXIMATE,
        "request": request("GET", "/recipients"),
        "upstream": [get_call({"status": 404, "json": {"errors": [{"status": 404, "detail": "Not found"}]}})],
        "response": NOT_FOUND,
    },
]

CASES: list[dict[str, Any]] = [
    *B3_CASES,
    *B5_B6_CASES,
    *B7_CASES,
    *B8_CASES,
    *B9_CASES,
    *B9_APPROXIMATE_CASES,
]
