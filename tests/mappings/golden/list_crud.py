"""Golden cases: F1-F5, the v2 list collection and single-list operations."""

from __future__ import annotations

from typing import Any

from tests.mappings.golden._audiences import (
    FORBIDDEN_V2,
    LIST_ID,
    NOT_FOUND,
    SEGMENT_ID,
    THROTTLED,
    THROTTLED_V2,
    UNAUTHORIZED,
    audience,
    collection,
    exchange,
    generated,
    generated_form,
    php_v2,
    python_v2,
    v2_error,
)

LISTS_QUERY = {"sort": "id", "fields[list]": "name", "page[size]": "10"}
LIST_PATH = f"/api/v2/list/{LIST_ID}"
NAME_REQUIRED = "The 'list_name' parameter is required and must be a non-empty string."


def lists_page(
    data: list[dict[str, Any]], cursor: str | None = None, next_cursor: str | None = None
) -> dict[str, Any]:
    query = dict(LISTS_QUERY) if cursor is None else {**LISTS_QUERY, "page[cursor]": cursor}
    return exchange("GET", "/api/lists", query=query, reply=collection(data, "/api/lists", next_cursor))


def named(ident: str, name: str) -> dict[str, Any]:
    return {"type": "list", "id": ident, "attributes": {"name": name}, "links": {"self": "x"}}


def get_list(
    ident: str = LIST_ID, status: int = 200, reply: Any = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    if reply is None and status == 200:
        reply = {
            "data": audience(
                "list",
                ident,
                "Newsletter",
                "2019-05-16T17:25:04.123456+00:00",
                opt_in_process="double_opt_in",
            )
        }
    query = {"fields[list]": "name,opt_in_process,created,updated"}
    return exchange("GET", f"/api/lists/{ident}", query=query, status=status, reply=reply, headers=headers)


def create(
    name: str, status: int = 201, reply: Any = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    if reply is None and status == 201:
        reply = {"data": audience("list", "XqeC36", name, "2022-01-07T16:52:45+00:00")}
    body = {"data": {"type": "list", "attributes": {"name": name}}}
    return exchange("POST", "/api/lists", body=body, status=status, reply=reply, headers=headers)


def rename(
    name: str, status: int = 200, reply: Any = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    if reply is None and status == 200:
        reply = {"data": audience("list", LIST_ID, name, "2019-05-16T17:25:04+00:00")}
    body = {"data": {"type": "list", "id": LIST_ID, "attributes": {"name": name}}}
    return exchange("PATCH", f"/api/lists/{LIST_ID}", body=body, status=status, reply=reply, headers=headers)


def delete(status: int = 204, reply: Any = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return exchange("DELETE", f"/api/lists/{LIST_ID}", status=status, reply=reply, headers=headers)


EMPTY_200 = {"status": 200, "text": ""}

CASES: list[dict[str, Any]] = [
    # ---------------------------------------------------------------- F1 GET /v2/lists
    {
        # Every page is walked; the answer is sorted by ID in byte order ("SP8ZLd" < "SfTsRH").
        "id": "F1-all-pages-byte-order",
        "request": python_v2("GET", "/api/v2/lists"),
        "upstream": [
            lists_page([named("TYtwpp", "Newsletter"), named("SfTsRH", "VIP")], next_cursor="c2"),
            lists_page([named("SP8ZLd", "Group2")], cursor="c2"),
        ],
        "response": {
            "status": 200,
            "json": [
                {"list_id": "SP8ZLd", "list_name": "Group2"},
                {"list_id": "SfTsRH", "list_name": "VIP"},
                {"list_id": "TYtwpp", "list_name": "Newsletter"},
            ],
        },
    },
    {
        "id": "F1-no-lists",
        "request": generated("GET", "/api/v2/lists"),
        "upstream": [lists_page([])],
        "response": {"status": 200, "json": []},
    },
    {
        "id": "F1-throttled-on-second-page",
        "request": php_v2("GET", "/api/v2/lists"),
        "upstream": [
            lists_page([named("TYtwpp", "Newsletter")], next_cursor="c2"),
            exchange(
                "GET",
                "/api/lists",
                query={**LISTS_QUERY, "page[cursor]": "c2"},
                status=429,
                reply=THROTTLED,
                headers={"Retry-After": "7"},
            ),
        ],
        "response": THROTTLED_V2,
    },
    {
        "id": "F1-upstream-401-becomes-403",
        "request": python_v2("GET", "/api/v2/lists"),
        "upstream": [exchange("GET", "/api/lists", query=LISTS_QUERY, status=401, reply=UNAUTHORIZED)],
        "response": FORBIDDEN_V2,
    },
    # ---------------------------------------------------------------- F2 POST /v2/lists
    {
        "id": "F2-create-json",
        "request": python_v2("POST", "/api/v2/lists", {"list_name": "Newsletter"}),
        "upstream": [create("Newsletter")],
        "response": {"status": 200, "json": {"list_id": "XqeC36"}},
    },
    {
        "id": "F2-create-form",
        "request": generated_form("POST", "/api/v2/lists", [("list_name", "VIP customers")]),
        "upstream": [create("VIP customers")],
        "response": {"status": 200, "json": {"list_id": "XqeC36"}},
    },
    {
        "id": "F2-missing-name",
        "request": php_v2("POST", "/api/v2/lists", {"list_name": None}),
        "upstream": [],
        "response": v2_error(400, NAME_REQUIRED),
    },
    {
        # The new API allows 150 list creations a day: the 429 reaches the client as legacy 429.
        "id": "F2-daily-cap-throttled",
        "request": python_v2("POST", "/api/v2/lists", {"list_name": "One too many"}),
        "upstream": [create("One too many", status=429, reply=THROTTLED, headers={"Retry-After": "7"})],
        "response": THROTTLED_V2,
    },
    {
        "id": "F2-upstream-401-becomes-403",
        "request": generated_form("POST", "/api/v2/lists", [("list_name", "Newsletter")]),
        "upstream": [create("Newsletter", status=401, reply=UNAUTHORIZED)],
        "response": FORBIDDEN_V2,
    },
    # ---------------------------------------------------------------- F3 GET /v2/list/{id}
    {
        "id": "F3-list-info",
        "request": php_v2("GET", LIST_PATH),
        "upstream": [get_list()],
        "response": {
            "status": 200,
            "json": {
                "list_name": "Newsletter",
                "folder_id": None,
                "opt_in_process": "double_opt_in",
                "created": "2019-05-16 17:25:04",
                "updated": "2022-04-13 16:10:47",
            },
        },
    },
    {
        # A segment ID is no list: legacy said "list not found" (python-klaviyo#14).
        "id": "F3-segment-id-not-found",
        "request": python_v2("GET", f"/api/v2/list/{SEGMENT_ID}"),
        "upstream": [get_list(SEGMENT_ID, status=404, reply=NOT_FOUND)],
        "response": v2_error(404, "List not found."),
    },
    {
        "id": "F3-upstream-401-becomes-403",
        "request": generated("GET", LIST_PATH),
        "upstream": [get_list(status=401, reply=UNAUTHORIZED)],
        "response": FORBIDDEN_V2,
    },
    {
        "id": "F3-throttled",
        "request": python_v2("GET", LIST_PATH),
        "upstream": [get_list(status=429, reply=THROTTLED, headers={"Retry-After": "7"})],
        "response": THROTTLED_V2,
    },
    # ---------------------------------------------------------------- F4 PUT /v2/list/{id}
    {
        "id": "F4-rename-json-empty-200",
        "request": python_v2("PUT", LIST_PATH, {"list_name": "Weekly news"}),
        "upstream": [rename("Weekly news")],
        "response": EMPTY_200,
    },
    {
        "id": "F4-rename-form",
        "request": {
            "method": "PUT",
            "path": LIST_PATH,
            "headers": {"api-key": "pk_0123456789abcdef0123456789abcdef01"},
            "form": [("list_name", "Weekly news")],
        },
        "upstream": [rename("Weekly news")],
        "response": EMPTY_200,
    },
    {
        "id": "F4-missing-name",
        "request": generated_form("PUT", LIST_PATH, [("list_name", "  ")]),
        "upstream": [],
        "response": v2_error(400, NAME_REQUIRED),
    },
    {
        "id": "F4-unknown-list",
        "request": python_v2("PUT", LIST_PATH, {"list_name": "Weekly news"}),
        "upstream": [rename("Weekly news", status=404, reply=NOT_FOUND)],
        "response": v2_error(404, "List not found."),
    },
    {
        "id": "F4-throttled",
        "request": php_v2("PUT", LIST_PATH, {"list_name": "Weekly news"}),
        "upstream": [rename("Weekly news", status=429, reply=THROTTLED, headers={"Retry-After": "7"})],
        "response": THROTTLED_V2,
    },
    {
        "id": "F4-upstream-401-becomes-403",
        "request": generated_form("PUT", LIST_PATH, [("list_name", "Weekly news")]),
        "upstream": [rename("Weekly news", status=401, reply=UNAUTHORIZED)],
        "response": FORBIDDEN_V2,
    },
    # ---------------------------------------------------------------- F5 DELETE /v2/list/{id}
    {
        "id": "F5-delete-empty-200",
        "request": python_v2("DELETE", LIST_PATH),
        "upstream": [delete()],
        "response": EMPTY_200,
    },
    {
        "id": "F5-unknown-list",
        "request": generated("DELETE", LIST_PATH),
        "upstream": [delete(status=404, reply=NOT_FOUND)],
        "response": v2_error(404, "List not found."),
    },
    {
        "id": "F5-throttled",
        "request": php_v2("DELETE", LIST_PATH),
        "upstream": [delete(status=429, reply=THROTTLED, headers={"Retry-After": "7"})],
        "response": THROTTLED_V2,
    },
    {
        "id": "F5-upstream-401-becomes-403",
        "request": python_v2("DELETE", LIST_PATH),
        "upstream": [delete(status=401, reply=UNAUTHORIZED)],
        "response": FORBIDDEN_V2,
    },
]
