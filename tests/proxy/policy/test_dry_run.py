"""Dry-run's simulated answers, at the JSON:API level, on a made-up operation table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mappings.core import Call, Reply
from proxy.policy.dry_run import DRY_RUN_HEADER, DryRun

NOW = "2030-01-02T03:04:05+00:00"
TABLE: dict[str, dict[str, Any]] = {
    "create_widget": {
        "method": "POST",
        "path": "/api/widgets",
        "success": (201,),
        "type": "widget",
        "stamps": ("created", "updated"),
    },
    "copy_widget": {
        "method": "POST",
        "path": "/api/widget-copy",
        "success": (201,),
        "type": "widget",
        "stamps": ("created", "updated"),
    },
    "get_widget": {
        "method": "GET",
        "path": "/api/widgets/{id}",
        "query": ("fields[widget]",),
        "success": (200,),
        "type": "widget",
        "stamps": ("created", "updated"),
    },
    "get_widget_parts": {
        "method": "GET",
        "path": "/api/widgets/{id}/parts",
        "success": (200,),
        "type": "part",
        "stamps": (),
    },
    "get_part": {
        "method": "GET",
        "path": "/api/parts/{id}",
        "success": (200,),
        "type": "part",
        "stamps": ("created_at",),
    },
    "update_widget": {
        "method": "PATCH",
        "path": "/api/widgets/{id}",
        "success": (200,),
        "type": "widget",
        "stamps": ("created", "updated"),
    },
    "start_job": {
        "method": "POST",
        "path": "/api/widget-jobs",
        "success": (202,),
        "type": None,
        "stamps": (),
    },
}
WIDGET = {
    "type": "widget",
    "id": "W1",
    "attributes": {"name": "Old", "color": "red", "created": "2020", "updated": "2020"},
}


class Upstream:
    def __init__(self) -> None:
        self.sent: list[Call] = []

    async def send(self, call: Call) -> Reply:
        self.sent.append(call)
        if call.op == "get_widget" and call.path_params == {"id": "W1"}:
            return Reply(200, {"data": WIDGET, "included": [{"type": "part", "id": "P1"}]})
        return Reply(404, {"errors": []})


def dry() -> DryRun:
    return DryRun(TABLE, now=datetime.fromisoformat(NOW))


async def test_a_create_gets_a_fresh_id_its_attributes_timestamps_and_embedded_resources() -> None:
    run, up = dry(), Upstream()
    parts = {"data": [{"type": "part", "attributes": {"size": 1}}, {"type": "part", "id": "P9"}]}
    body = {"data": {"type": "widget", "attributes": {"name": "New", "parts": parts}}}
    reply = await run.write(Call("create_widget", body=body, expect=(201,)), "POST", up.send)
    assert reply.status == 201 and reply.headers[DRY_RUN_HEADER] == "1" and not up.sent
    data = reply.body["data"]
    assert data["id"] == "dry-run-1"
    assert data["attributes"] == {"name": "New", "created": NOW, "updated": NOW}
    assert data["relationships"] == {
        "parts": {"data": [{"type": "part", "id": "dry-run-2"}, {"type": "part", "id": "P9"}]}
    }
    first = reply.body["included"][0]
    assert first["id"] == "dry-run-2" and first["attributes"] == {"size": 1, "created_at": NOW}
    # Later reads in the same call see what was invented, without asking upstream.
    got = await run.read(Call("get_widget", path_params={"id": "dry-run-1"}), up.send)
    assert got is not None and got.body["data"] == data and got.body["included"][0]["id"] == "dry-run-2"
    part = await run.read(Call("get_part", path_params={"id": "dry-run-2"}), up.send)
    assert part is not None and part.body["data"]["attributes"]["size"] == 1
    under = await run.read(Call("get_widget_parts", path_params={"id": "dry-run-1"}), up.send)
    assert under is not None and under.body["data"] == []
    assert await run.read(Call("get_widget", path_params={"id": "W1"}), up.send) is None  # sent as usual
    assert not up.sent


async def test_a_copy_reads_its_source_and_answers_it_under_a_fresh_id() -> None:
    run, up = dry(), Upstream()
    body = {"data": {"type": "widget", "id": "W1", "attributes": {"new_name": "Copy"}}}
    call = Call("copy_widget", query={"fields[widget]": "name", "other": "x"}, body=body)
    reply = await run.write(call, "POST", up.send)
    assert [(c.op, dict(c.path_params), dict(c.query)) for c in up.sent] == [
        ("get_widget", {"id": "W1"}, {"fields[widget]": "name"})  # only the query the read accepts
    ]
    data = reply.body["data"]
    assert data["id"] == "dry-run-1" and data["attributes"]["name"] == "Copy"
    assert data["attributes"]["color"] == "red" and data["attributes"]["created"] == NOW
    # Reading the copy reads the source (with its includes), answered under the copy's id.
    got = await run.read(
        Call("get_widget", path_params={"id": "dry-run-1"}, query={"include": "parts"}), up.send
    )
    assert (
        got is not None
        and got.body["data"]["id"] == "dry-run-1"
        and got.body["data"]["attributes"]["name"] == "Copy"
    )
    assert got.body["included"] == [{"type": "part", "id": "P1"}]
    assert up.sent[-1].path_params == {"id": "W1"}


async def test_an_update_answers_the_resource_as_read_with_the_change_applied() -> None:
    run, up = dry(), Upstream()
    body = {"data": {"type": "widget", "id": "W1", "attributes": {"color": "blue"}}}
    reply = await run.write(
        Call("update_widget", path_params={"id": "W1"}, body=body, expect=(200,)), "PATCH", up.send
    )
    attributes = reply.body["data"]["attributes"]
    assert attributes == {"name": "Old", "color": "blue", "created": "2020", "updated": NOW}
    unknown = {"data": {"type": "widget", "id": "W404", "attributes": {"color": "blue"}}}
    reply = await run.write(Call("update_widget", path_params={"id": "W404"}, body=unknown), "PATCH", up.send)
    assert reply.status == 200 and reply.body["data"]["attributes"] == {"color": "blue", "updated": NOW}


async def test_jobs_echo_the_request_and_server_set_attributes_are_applied() -> None:
    run, up = dry(), Upstream()
    reply = await run.write(
        Call("start_job", body={"data": {"type": "widget-job", "attributes": {}}}, expect=(202,)),
        "POST",
        up.send,
    )
    assert reply.status == 202 and reply.body["data"]["id"] == "dry-run-1"
    body = {"data": {"type": "widget", "attributes": {"name": "N"}}}
    call = Call("create_widget", body=body, dry_run_attributes={"state": "draft", "name": "ignored"})
    data = (await run.write(call, "POST", up.send)).body["data"]
    assert data["attributes"]["state"] == "draft" and data["attributes"]["name"] == "N"
    assert (await run.write(Call("start_job"), "POST", up.send)).body is None  # no document, no answer body
