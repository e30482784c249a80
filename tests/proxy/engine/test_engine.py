"""``Engine``, the composition root: what it builds, what it opens and closes, and in which order.

Also the two small pieces it hands calls through: the per-call slot (``proxy.engine.call``) and
the table from exception type to legacy reply (``proxy.engine.failures``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request
from structlog.testing import capture_logs

from mappings import protocol
from mappings.core import Family
from mappings.registry import REGISTRY, RegistryError
from proxy.engine.call import CallOutcome, CallSlot, call_slot
from proxy.engine.engine import Engine, Overrides
from proxy.engine.failures import FAILURES, Failure, reply_for
from proxy.engine.upstream import UnencodableRequest, UpstreamUnavailable
from proxy.settings import Settings
from proxy.traffic.sqlite_store import SqliteStore
from tests.proxy.harness import FakeUpstream, StuckStore, traffic_settings


def _request(path: str = "/api/v1/person/x") -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": []})


def _engine(settings: Settings, **overrides: object) -> Engine:
    return Engine(settings, REGISTRY, Overrides(transport=FakeUpstream().transport(), **overrides))  # type: ignore[arg-type]


def test_a_broken_registry_fails_at_construction_not_at_start_up() -> None:
    broken = replace(REGISTRY[0], id="Z6", path="/api/v9/y", upstream=("nope",))
    with pytest.raises(RegistryError):
        Engine(Settings(upstream="https://x.test"), (*REGISTRY, broken))


async def test_requests_before_start_up_get_503_and_after_shutdown_too(tmp_path: Path) -> None:
    engine = _engine(traffic_settings(tmp_path / "t.sqlite3"))
    assert (await engine.dispatch(_request())).status_code == 503
    async with engine:
        assert engine.running is not None and isinstance(engine.store, SqliteStore)
    assert engine.running is None and engine.store is None
    assert (await engine.dispatch(_request())).status_code == 503


async def test_an_injected_traffic_store_stays_open_an_own_one_is_closed(tmp_path: Path) -> None:
    injected = StuckStore()
    async with _engine(traffic_settings(tmp_path / "a.sqlite3"), traffic_store=injected) as engine:
        assert engine.store is injected
    assert not injected.closed
    async with _engine(traffic_settings(tmp_path / "b.sqlite3")) as engine:
        own = engine.store
        assert isinstance(own, SqliteStore)
    assert own._db is None  # closed


async def test_one_engine_runs_once_at_a_time(tmp_path: Path) -> None:
    engine = _engine(Settings(upstream="https://x.test"))
    async with engine:
        with pytest.raises(RuntimeError, match="already running"):
            await engine.__aenter__()
    async with engine:  # and again after a clean shutdown
        assert engine.running is not None


async def test_a_failed_start_up_closes_what_it_had_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[str] = []
    real = httpx.AsyncClient.aclose

    async def aclose(self: httpx.AsyncClient) -> None:
        closed.append("client")
        await real(self)

    async def refuse(self: object) -> None:
        raise OSError("admin port taken")

    monkeypatch.setattr(httpx.AsyncClient, "aclose", aclose)
    monkeypatch.setattr("proxy.admin.server.AdminServer.start", refuse)
    engine = _engine(Settings(upstream="https://x.test", admin_port=1))
    with pytest.raises(OSError, match="admin port taken"):
        await engine.__aenter__()
    assert closed == ["client"] and engine.running is None


def test_the_call_slot_is_created_once_per_scope() -> None:
    scope: dict[str, object] = {}
    slot = call_slot(scope)
    assert call_slot(scope) is slot and slot.request_id is None and slot.outcome == CallOutcome()
    assert CallSlot("req-1").outcome.kind == "other"


def test_failures_end_with_the_catch_all() -> None:
    assert [kind for kind, _ in FAILURES][-1] is Exception
    kinds = [kind for kind, _ in FAILURES]
    for i, kind in enumerate(kinds):  # no entry is shadowed by an earlier, broader one
        assert not any(issubclass(kind, earlier) for earlier in kinds[:i]), kind


@pytest.mark.parametrize(
    ("exc", "event", "status"),
    [
        (TimeoutError(), "legacy.deadline_exceeded", 503),
        (UpstreamUnavailable("get_profile: ConnectError"), "upstream.unavailable", None),
        (UnencodableRequest("int too big"), "legacy.bad_request", None),
        (KeyError("bug"), "legacy.internal_error", 500),
    ],
)
def test_each_failure_logs_one_line_and_answers_in_the_family_shape(
    exc: Exception, event: str, status: int | None
) -> None:
    failure = Failure("E1", 2.5, 3, "req-00000001")
    with capture_logs() as logs:
        try:
            raise exc
        except Exception as caught:
            reply = reply_for(caught, Family.V1, failure)
    assert [line["event"] for line in logs] == [event]
    assert logs[0]["operation"] == "E1"
    if status is not None:
        assert reply.status == status
    if isinstance(exc, UpstreamUnavailable):
        assert reply == protocol.upstream_unavailable(Family.V1, retry_after=1)
    if isinstance(exc, KeyError):
        assert "request id req-00000001" in str(reply.body)
