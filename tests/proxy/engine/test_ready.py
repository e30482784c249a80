"""``/_compat/health`` is liveness; ``/_compat/ready`` says whether the proxy can serve: upstream
reachable recently, traffic store writable, not draining."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx

from proxy import Overrides, create_app
from proxy.engine.engine import Engine
from proxy.settings import Settings
from tests.proxy.harness import FakeUpstream, serve


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again: nothing listens there


def test_ready_when_upstream_answers_and_the_store_is_writable(tmp_path: Path) -> None:
    settings = Settings(upstream="https://upstream.test", traffic_db=str(tmp_path / "t.sqlite3"))
    with serve(create_app(settings, overrides=Overrides(transport=FakeUpstream().transport()))) as s:
        ready = httpx.get(s.url + "/_compat/ready", timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "checks": {"upstream": "ok", "traffic_store": "ok"}}


def test_an_unreachable_upstream_is_live_but_not_ready() -> None:
    settings = Settings(upstream=f"http://127.0.0.1:{_closed_port()}", traffic_db="off", connect_timeout=1)
    with serve(create_app(settings)) as s:
        health = httpx.get(s.url + "/_compat/health", timeout=10)
        ready = httpx.get(s.url + "/_compat/ready", timeout=10)
    assert health.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["checks"]["upstream"].startswith("unreachable")


def test_a_store_that_cannot_be_written_is_not_ready(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    settings = Settings(upstream="https://upstream.test", traffic_db=str(blocked / "t.sqlite3"))
    with serve(create_app(settings, overrides=Overrides(transport=FakeUpstream().transport()))) as s:
        ready = httpx.get(s.url + "/_compat/ready", timeout=10)
    assert ready.status_code == 503
    assert ready.json()["checks"]["traffic_store"].startswith("unavailable")


def test_draining_answers_503_while_legacy_calls_are_still_served() -> None:
    settings = Settings(upstream="https://upstream.test", traffic_db="off")
    app = create_app(settings, overrides=Overrides(transport=FakeUpstream().transport()))
    engine: Engine = app.state.engine
    with serve(app) as s:
        assert httpx.get(s.url + "/_compat/ready", timeout=10).status_code == 200
        engine.draining = True  # what the shutdown path sets
        ready = httpx.get(s.url + "/_compat/ready", timeout=10)
        health = httpx.get(s.url + "/_compat/health", timeout=10)
    assert ready.status_code == 503 and "draining" in ready.json()["checks"]
    assert health.status_code == 200
    assert engine.draining, "leaving the engine keeps it draining"


def test_ready_is_served_on_the_admin_listener_too() -> None:
    from tests.proxy.harness import free_port

    port = free_port()
    settings = Settings(upstream="https://upstream.test", traffic_db="off", admin_port=port)
    with serve(create_app(settings, overrides=Overrides(transport=FakeUpstream().transport()))) as s:
        on_admin = httpx.get(f"http://127.0.0.1:{port}/_compat/ready", timeout=10)
        on_public = httpx.get(s.url + "/_compat/ready", timeout=10)
    assert on_admin.status_code == 200 and on_public.status_code == 200
