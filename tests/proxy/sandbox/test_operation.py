"""The sandbox's operation table: handlers by spec operation id; method, path and limits from the spec."""

from __future__ import annotations

import httpx
import pytest
from starlette.responses import Response

from proxy.sandbox import app, lists
from proxy.sandbox.jsonapi import Ctx
from proxy.sandbox.operation import serves


def _answer(ctx: Ctx) -> Response:
    return Response(status_code=204)


def test_an_operation_takes_method_path_and_limits_from_the_spec() -> None:
    op = serves("get_account", _answer)
    assert (op.method, op.path, op.burst, op.steady) == ("GET", "/api/accounts/{id}", 1, 15)
    assert op.handler is _answer and not op.client
    assert serves("create_client_event", _answer).client


def test_an_operation_id_the_spec_does_not_define_fails() -> None:
    with pytest.raises(LookupError, match="get_listz"):
        serves("get_listz", _answer)


def test_an_operation_served_by_two_modules_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lists, "HANDLERS", {**lists.HANDLERS, "get_profiles": _answer})
    with pytest.raises(ValueError, match="get_profiles"):
        app.operations()


def test_the_sandbox_serves_80_distinct_operations() -> None:
    ids = [op.operation_id for op in app.operations()]
    assert len(ids) == len(set(ids)) == 80  # 79 of the pinned spec, one beta


async def test_rate_limit_headers_echo_the_operations_spec_limits(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/accounts")
    assert response.headers["RateLimit-Limit"] == "1, 1;w=1, 15;w=60"
    missing = await api.get("/api/events/nothing")
    assert missing.status_code == 404
    assert missing.headers["RateLimit-Limit"] == "10, 10;w=1, 150;w=60"
