"""HEAD on a legacy GET path is served like the GET (same status and headers, no body) and recorded
as that operation, never as ``unmapped``; a HEAD never writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from proxy import Overrides, create_app
from tests.proxy.harness import KEY_A, PROFILE_ID, FakeUpstream, serve, track_query, traffic_settings

E1 = f"/api/v1/person/{PROFILE_ID}"


def test_head_is_the_get_without_its_body_and_is_recorded_as_the_operation(tmp_path: Path) -> None:
    db = tmp_path / "traffic.sqlite3"
    upstream = FakeUpstream()
    with serve(create_app(traffic_settings(db), overrides=Overrides(transport=upstream.transport()))) as s:
        get = httpx.get(s.url + E1, params={"api_key": KEY_A})
        head = httpx.head(s.url + E1, params={"api_key": KEY_A})
        assert head.status_code == get.status_code == 200
        assert head.content == b"" and head.headers["content-length"] == get.headers["content-length"]
        for name in ("content-type", "deprecation", "sunset", "link"):
            assert head.headers[name] == get.headers[name], name
        missing = httpx.head(s.url + "/api/v1/person/01HUNKNOWN", params={"api_key": KEY_A})
        assert missing.status_code == 404 and missing.content == b""
        # GET /api/track writes (a beacon); its HEAD answers the same but writes nothing.
        track = httpx.head(s.url + "/api/track", params=track_query())
        assert track.status_code == 200 and track.headers["content-length"] == "1"
        assert ("POST", "/client/events") not in upstream.seen()
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT operation, calls FROM legacy_calls ORDER BY ts").fetchall()
    ops = [operation for operation, calls in rows for _ in range(calls)]  # alike calls share a row
    assert ops == ["E1", "E1", "E1", "A1"]


async def test_head_over_asgi_sends_no_body(tmp_path: Path) -> None:
    """Not only behind uvicorn: the application itself answers HEAD without a body."""
    app = create_app(
        traffic_settings(tmp_path / "t.sqlite3"), overrides=Overrides(transport=FakeUpstream().transport())
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy") as client:
            get = await client.get(E1, params={"api_key": KEY_A})
            head = await client.head(E1, params={"api_key": KEY_A})
    assert get.content and head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
