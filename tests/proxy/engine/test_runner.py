"""``proxy.engine.runner``: how a plan's steps are executed, on a made-up operation table.

The upstream is a real ``proxy.engine.upstream.Upstream`` whose network is an ``httpx.MockTransport``
(``FakeApi``), so URL building, headers and decoding are the production ones and each test
can assert exactly which requests left the runner.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from mappings.core import (
    Call,
    CollectAll,
    Collected,
    CollectPages,
    Family,
    Fidelity,
    Gather,
    LegacyReply,
    LegacyRequest,
    LoadToken,
    Operation,
    Reply,
    SaveToken,
    UpstreamError,
)
from proxy.engine.pools import build_client
from proxy.engine.runner import Credentials, PlanBug, Runner, RunStats
from proxy.engine.upstream import Upstream
from proxy.settings import Settings
from proxy.state.collection_cache import MemoryCollectionCache
from proxy.state.tokens import MemoryTokenStore

KEY_A = "pk_" + "a1" * 17
KEY_B = "pk_" + "b2" * 17
OPERATIONS: dict[str, dict[str, Any]] = {
    "get_widgets": {"method": "GET", "path": "/api/widgets", "success": (200,), "type": "widget"},
    "get_widget": {"method": "GET", "path": "/api/widgets/{id}", "success": (200,), "type": "widget"},
    "get_widget_parts": {"method": "GET", "path": "/api/widgets/{id}/parts", "success": (200,)},
    "create_widget": {
        "method": "POST",
        "path": "/api/widgets",
        "success": (201,),
        "type": "widget",
        "stamps": ("created",),
    },
    "delete_widget": {"method": "DELETE", "path": "/api/widgets/{id}", "success": (204,)},
}
ALL = tuple(OPERATIONS)
PAGES = {  # cursor -> (ids on the page, next cursor)
    None: (["w1", "w2"], "c2"),
    "c2": (["w3", "w4"], "c3"),
    "c3": (["w5"], None),
}

Plan = Generator[Any, Any, LegacyReply]


class FakeApi:
    """The new API's widgets: three cursor pages, single widgets, creates and deletes."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.override: Callable[[httpx.Request], httpx.Response | None] = lambda request: None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        forced = self.override(request)
        if forced is not None:
            return forced
        path = request.url.path
        if request.method == "GET" and path == "/api/widgets":
            ids, following = PAGES[request.url.params.get("page[cursor]")]
            # links.next names a foreign host on purpose: only its cursor may be used
            nxt = f"https://elsewhere.test/api/widgets?page%5Bcursor%5D={following}" if following else None
            return httpx.Response(
                200,
                json={
                    "data": [{"type": "widget", "id": i} for i in ids],
                    "included": [{"type": "maker", "id": "m1"}, {"type": "maker", "id": f"m-{ids[0]}"}],
                    "links": {"next": nxt},
                },
            )
        if request.method == "GET" and path.startswith("/api/widgets/"):
            ident = path.rsplit("/", 1)[1]
            if ident == "missing":
                return httpx.Response(404, json={"errors": [{"status": "404", "detail": "No widget."}]})
            return httpx.Response(200, json={"data": {"type": "widget", "id": ident}})
        if request.method == "POST":
            return httpx.Response(201, json={"data": {"type": "widget", "id": "w-new"}})
        if request.method == "DELETE":
            return httpx.Response(204)
        return httpx.Response(405)

    def sent(self) -> list[tuple[str, str]]:
        return [(r.method, r.url.path) for r in self.requests]

    def cursors(self) -> list[str | None]:
        return [r.url.params.get("page[cursor]") for r in self.requests]


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def runner(api: FakeApi) -> Runner:
    client = build_client(Settings(upstream="https://upstream.test"), httpx.MockTransport(api))
    return Runner(
        Upstream(client, OPERATIONS),
        MemoryCollectionCache(ttl=60, max_entries=16),
        MemoryTokenStore(ttl=60, max_entries=16),
    )


def operation(plan: Callable[[LegacyRequest], Plan], upstream: tuple[str, ...] = ALL) -> Operation:
    return Operation(
        id="T1",
        name="test_op",
        method="GET",
        path="/api/v1/test",
        family=Family.V1,
        upstream=upstream,
        fidelity=Fidelity.EXACT,
        successor="https://developers.klaviyo.com/en/reference/test",
        doc="A made-up operation for runner tests.",
        plan=plan,
    )


REQUEST = LegacyRequest(method="GET", path="/api/v1/test")


async def run(
    runner: Runner,
    plan: Callable[[LegacyRequest], Plan],
    *,
    key: str | None = KEY_A,
    upstream: tuple[str, ...] = ALL,
    dry_run: bool = False,
    stats: RunStats | None = None,
) -> LegacyReply:
    return await runner.run(
        operation(plan, upstream),
        REQUEST,
        Credentials(key, {"Tok123": KEY_B}),
        stats if stats is not None else RunStats(),
        dry_run=dry_run,
    )


def answer(body: Any) -> LegacyReply:
    return LegacyReply.json_body(body)


# --------------------------------------------------------------------------- the declaration


@pytest.mark.parametrize(
    "step",
    [
        Call("delete_widget", path_params={"id": "w1"}),
        CollectAll("get_widgets"),
        CollectPages("get_widgets"),
        Gather(
            (Call("get_widget", path_params={"id": "w1"}), Call("delete_widget", path_params={"id": "w1"}))
        ),
    ],
    ids=["call", "collect-all", "collect-pages", "gather"],
)
async def test_an_undeclared_upstream_operation_is_a_plan_bug_and_nothing_is_sent(
    runner: Runner, api: FakeApi, step: Any
) -> None:
    def plan(req: LegacyRequest) -> Plan:
        yield step
        return answer(None)

    with pytest.raises(PlanBug, match=r"undeclared upstream operation (delete_widget|get_widgets)"):
        await run(runner, plan, upstream=("get_widget",))
    assert ("DELETE", "/api/widgets/w1") not in api.sent()
    assert ("GET", "/api/widgets") not in api.sent()


async def test_a_plan_yielding_a_non_step_or_returning_a_non_reply_is_a_plan_bug(runner: Runner) -> None:
    def yields_junk(req: LegacyRequest) -> Plan:
        yield "GET /api/widgets"
        return answer(None)

    def returns_junk(req: LegacyRequest) -> Plan:
        yield from ()
        return {"status": 200}  # type: ignore[return-value]

    with pytest.raises(PlanBug, match="yielded str, not a step"):
        await run(runner, yields_junk)
    with pytest.raises(PlanBug, match="returned dict, not LegacyReply"):
        await run(runner, returns_junk)


# --------------------------------------------------------------------------- calls


async def test_a_call_answer_is_sent_back_into_the_plan(runner: Runner, api: FakeApi) -> None:
    got: list[Reply] = []

    def plan(req: LegacyRequest) -> Plan:
        got.append((yield Call("get_widget", path_params={"id": "w9"})))
        return answer({"id": got[0].body["data"]["id"]})

    stats = RunStats()
    reply = await run(runner, plan, stats=stats)
    assert reply == answer({"id": "w9"})
    assert api.sent() == [("GET", "/api/widgets/w9")]
    assert api.requests[0].headers["authorization"] == f"Klaviyo-API-Key {KEY_A}"
    assert (stats.upstream_calls, stats.upstream_ops) == (1, ["get_widget"])


async def test_an_unexpected_status_is_thrown_into_the_plan(runner: Runner) -> None:
    caught: list[UpstreamError] = []

    def catching(req: LegacyRequest) -> Plan:
        try:
            yield Call("get_widget", path_params={"id": "missing"})
        except UpstreamError as err:
            caught.append(err)
        return answer("handled")

    assert await run(runner, catching) == answer("handled")
    [err] = caught
    assert (err.op, err.reply.status) == ("get_widget", 404)

    def allowing(req: LegacyRequest) -> Plan:
        reply = yield Call("get_widget", path_params={"id": "missing"}, expect=(200, 404))
        return answer(reply.status)

    assert await run(runner, allowing) == answer(404)


async def test_an_uncaught_upstream_error_gets_the_familys_legacy_translation(runner: Runner) -> None:
    def plan(req: LegacyRequest) -> Plan:
        yield Call("get_widget", path_params={"id": "missing"})
        return answer("unreachable")

    reply = await run(runner, plan)
    assert (reply.status, reply.body) == (
        404,
        {"status": 404, "message": "The requested resource does not exist."},
    )


async def test_a_private_call_without_a_key_is_a_401_that_is_never_sent(runner: Runner, api: FakeApi) -> None:
    def plan(req: LegacyRequest) -> Plan:
        reply = yield Call("get_widget", path_params={"id": "w1"}, expect=(200, 401))
        return answer(reply.status)

    assert await run(runner, plan, key=None) == answer(401)
    assert api.requests == []


async def test_keys_per_step_public_none_token_the_operators_key(runner: Runner, api: FakeApi) -> None:
    def plan(req: LegacyRequest) -> Plan:
        yield Call("get_widget", path_params={"id": "1"}, auth="public")
        yield Call("get_widget", path_params={"id": "2"}, token="Tok123")
        yield Call("get_widget", path_params={"id": "3"})
        return answer(None)

    await run(runner, plan, key=KEY_A)
    assert [r.headers.get("authorization") for r in api.requests] == [
        None,
        f"Klaviyo-API-Key {KEY_B}",
        f"Klaviyo-API-Key {KEY_A}",
    ]


async def test_a_refused_operator_key_is_logged_loudly(runner: Runner, api: FakeApi) -> None:
    api.override = lambda request: httpx.Response(403, json={"errors": [{"detail": "Bad key."}]})

    def plan(req: LegacyRequest) -> Plan:
        reply = yield Call("get_widget", path_params={"id": "1"}, token="Tok123", expect=(200, 403))
        return answer(reply.status)

    with capture_logs() as logs:
        assert await run(runner, plan) == answer(403)
    [warning] = [e for e in logs if e["event"] == "upstream.configured_key_refused"]
    assert (warning["operation"], warning["upstream"], warning["status"]) == ("T1", "get_widget", 403)


async def test_a_200_read_without_a_json_api_document_becomes_a_502(runner: Runner, api: FakeApi) -> None:
    api.override = lambda request: httpx.Response(200, content=b"<html>maintenance</html>")

    def plan(req: LegacyRequest) -> Plan:
        reply = yield Call("get_widget", path_params={"id": "1"}, expect=(200, 502))
        return answer(reply.status)

    assert await run(runner, plan) == answer(502)


# --------------------------------------------------------------------------- gather


async def test_gather_answers_in_order_and_applies_each_calls_expect(runner: Runner, api: FakeApi) -> None:
    def plan(req: LegacyRequest) -> Plan:
        replies = yield Gather(
            (
                Call("get_widget", path_params={"id": "w2"}),
                Call("get_widget", path_params={"id": "missing"}, expect=(200, 404)),
                Call("get_widget", path_params={"id": "w1"}),
            )
        )
        return answer([(r.status, (r.body.get("data") or {}).get("id")) for r in replies])

    stats = RunStats()
    reply = await run(runner, plan, stats=stats)
    assert reply == answer([(200, "w2"), (404, None), (200, "w1")])
    assert stats.upstream_calls == 3


async def test_gather_throws_when_one_answer_is_not_expected(runner: Runner, api: FakeApi) -> None:
    caught: list[UpstreamError] = []

    def plan(req: LegacyRequest) -> Plan:
        try:
            yield Gather(
                (
                    Call("get_widget", path_params={"id": "w1"}),
                    Call("get_widget_parts", path_params={"id": "missing"}),
                )
            )
        except UpstreamError as err:
            caught.append(err)
        return answer(None)

    api.override = lambda request: (
        httpx.Response(404, json={"errors": []}) if request.url.path.endswith("/parts") else None
    )
    await run(runner, plan)
    [err] = caught
    assert (err.op, err.reply.status) == ("get_widget_parts", 404)
    assert len(api.requests) == 2, "every call of the gather was sent"


# --------------------------------------------------------------------------- collections


def collect_all(step: CollectAll, seen: list[Collected]) -> Callable[[LegacyRequest], Plan]:
    def plan(req: LegacyRequest) -> Plan:
        seen.append((yield step))
        return answer(None)

    return plan


async def test_collect_all_follows_next_cursors_never_the_links_host(runner: Runner, api: FakeApi) -> None:
    seen: list[Collected] = []
    stats = RunStats()
    await run(runner, collect_all(CollectAll("get_widgets", query={"page[size]": "2"}), seen), stats=stats)
    [got] = seen
    assert [w["id"] for w in got.data] == ["w1", "w2", "w3", "w4", "w5"]
    assert got.included == [
        {"type": "maker", "id": "m1"},
        {"type": "maker", "id": "m-w1"},
        {"type": "maker", "id": "m-w3"},
        {"type": "maker", "id": "m-w5"},
    ], "included is de-duplicated by (type, id)"
    assert (got.pages, got.next_cursor) == (3, None)
    assert api.cursors() == [None, "c2", "c3"]
    assert {r.url.host for r in api.requests} == {"upstream.test"}
    assert all(r.url.params["page[size]"] == "2" for r in api.requests)
    assert (stats.upstream_calls, stats.upstream_ops) == (3, ["get_widgets"] * 3)


async def test_collect_all_stops_at_max_pages(runner: Runner, api: FakeApi) -> None:
    seen: list[Collected] = []
    await run(runner, collect_all(CollectAll("get_widgets", max_pages=2, cache=False), seen))
    assert [w["id"] for w in seen[0].data] == ["w1", "w2", "w3", "w4"]
    assert (seen[0].pages, seen[0].next_cursor) == (2, "c3")
    assert len(api.requests) == 2


async def test_collect_all_is_cached_per_account_operation_and_query(runner: Runner, api: FakeApi) -> None:
    seen: list[Collected] = []
    step = CollectAll("get_widgets", query={"filter": "x"})
    await run(runner, collect_all(step, seen))
    assert len(api.requests) == 3
    stats = RunStats()
    await run(runner, collect_all(step, seen), stats=stats)
    assert len(api.requests) == 3 and stats.upstream_calls == 0, "served from the cache"
    assert seen[1] == seen[0]
    await run(runner, collect_all(step, seen), key=KEY_B)
    assert len(api.requests) == 6, "another account never shares a cached collection"
    await run(runner, collect_all(CollectAll("get_widgets", query={"filter": "y"}), seen))
    assert len(api.requests) == 9, "another query is another collection"
    await run(runner, collect_all(CollectAll("get_widgets", query={"filter": "x"}, cache=False), seen))
    assert len(api.requests) == 12, "cache=False always walks"


async def test_a_failing_page_is_thrown_into_the_plan(runner: Runner, api: FakeApi) -> None:
    api.override = lambda request: (
        httpx.Response(500, json={"errors": []}) if request.url.params.get("page[cursor]") == "c2" else None
    )
    caught: list[UpstreamError] = []

    def plan(req: LegacyRequest) -> Plan:
        try:
            yield CollectAll("get_widgets")
        except UpstreamError as err:
            caught.append(err)
        return answer(None)

    await run(runner, plan)
    assert [(e.op, e.reply.status) for e in caught] == [("get_widgets", 500)]


async def test_collect_pages_reads_forward_from_a_cursor_and_is_never_cached(
    runner: Runner, api: FakeApi
) -> None:
    seen: list[Collected] = []

    def plan(req: LegacyRequest) -> Plan:
        first = yield CollectPages("get_widgets", max_pages=1)
        seen.append(first)
        seen.append((yield CollectPages("get_widgets", cursor=first.next_cursor, max_pages=5)))
        return answer(None)

    await run(runner, plan)
    first, rest = seen
    assert ([w["id"] for w in first.data], first.pages, first.next_cursor) == (["w1", "w2"], 1, "c2")
    assert ([w["id"] for w in rest.data], rest.pages, rest.next_cursor) == (["w3", "w4", "w5"], 2, None)
    assert api.cursors() == [None, "c2", "c3"]
    await run(runner, plan)
    assert len(api.requests) == 6, "pages are read again: CollectPages is never cached"


# --------------------------------------------------------------------------- tokens


async def test_tokens_resolve_only_for_the_account_that_saved_them(runner: Runner) -> None:
    saved: list[Any] = []

    def save(req: LegacyRequest) -> Plan:
        saved.append((yield SaveToken({"cursor": "c2"}, numeric=True)))
        saved.append((yield SaveToken("c3")))
        return answer(None)

    await run(runner, save, key=KEY_A)
    marker, token = saved
    assert isinstance(marker, int) and isinstance(token, str)

    def load(req: LegacyRequest) -> Plan:
        return answer([(yield LoadToken(marker)), (yield LoadToken(str(marker))), (yield LoadToken(token))])

    assert await run(runner, load, key=KEY_A) == answer([{"cursor": "c2"}, {"cursor": "c2"}, "c3"])
    assert await run(runner, load, key=KEY_B) == answer([None, None, None])


# --------------------------------------------------------------------------- dry-run


async def test_dry_run_sends_reads_and_logs_writes_instead_of_sending_them(
    runner: Runner, api: FakeApi
) -> None:
    def plan(req: LegacyRequest) -> Plan:
        read = yield Call("get_widget", path_params={"id": "w1"})
        made = yield Call(
            "create_widget", body={"data": {"type": "widget", "attributes": {"name": "N"}}}, expect=(201,)
        )
        gone = yield Call("delete_widget", path_params={"id": "w1"}, expect=(204,))
        parts = yield CollectAll("get_widget_parts", path_params={"id": made.body["data"]["id"]})
        return answer([read.status, made.status, made.body["data"]["id"], gone.status, parts.data])

    stats = RunStats()
    with capture_logs() as logs:
        reply = await run(runner, plan, dry_run=True, stats=stats)
    assert reply == answer([200, 201, "dry-run-1", 204, []])
    assert api.sent() == [("GET", "/api/widgets/w1")], "only the read reached upstream"
    assert stats.not_sent == ["create_widget", "delete_widget"]
    assert stats.upstream_ops == ["get_widget"]
    not_sent = [(e["upstream"], e["method"]) for e in logs if e["event"] == "dry_run.not_sent"]
    assert not_sent == [("create_widget", "POST"), ("delete_widget", "DELETE")]


async def test_without_dry_run_writes_are_sent(runner: Runner, api: FakeApi) -> None:
    def plan(req: LegacyRequest) -> Plan:
        made = yield Call("create_widget", body={"data": {"type": "widget", "attributes": {}}})
        return answer(made.body["data"]["id"])

    stats = RunStats()
    assert await run(runner, plan, stats=stats) == answer("w-new")
    assert api.sent() == [("POST", "/api/widgets")] and stats.not_sent == []
