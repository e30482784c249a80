"""The access line's fast path writes what structlog would, in order, batched within 50 ms."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator

import pytest
import structlog

from proxy.observe import hot_line
from proxy.observe.hot_line import FLUSH_SECONDS, HotLine
from proxy.observe.log_stream import MAX_HELD, LineBuffer
from proxy.observe.logs import configure

FIELDS = {
    "method": "GET",
    "path": "/api/v1/person/x",
    "status": 200,
    "duration_ms": 1.5,
    "caller": "key#0123456789ab",
    "reason": None,
    "user_agent": "shop/1.0 (ops@example.com)",  # scrubbed either way
}


@pytest.fixture
def out() -> Iterator[io.StringIO]:
    inner = io.StringIO()
    configure(stream=LineBuffer(inner))
    yield inner
    configure(stream=io.StringIO())


def lines(inner: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in inner.getvalue().splitlines()]


def test_the_fast_line_is_the_line_structlog_writes(out: io.StringIO) -> None:
    bound = structlog.contextvars.bind_contextvars(request_id="req-0001")
    try:
        HotLine("klaviyo_compat.access", "access", trusted=frozenset({"caller", "method"})).info(
            "req-0001", dict(FIELDS)
        )
        structlog.get_logger("klaviyo_compat.access").info("access", **FIELDS)
    finally:
        structlog.contextvars.reset_contextvars(**bound)
    fast, slow = lines(out)
    assert list(fast) == list(slow)  # the same keys in the same order
    assert {**fast, "timestamp": 0} == {**slow, "timestamp": 0}
    assert "ops@example.com" not in out.getvalue()


def test_an_ordinary_line_writes_the_held_access_lines_first(out: io.StringIO) -> None:
    async def scenario() -> None:
        HotLine("klaviyo_compat.access", "access").info("req-0002", dict(FIELDS))
        assert out.getvalue() == ""  # held, not yet written
        structlog.get_logger("klaviyo_compat.app").warning("something.else")
        assert [line["event"] for line in lines(out)] == ["access", "something.else"]

    asyncio.run(scenario())


def test_a_held_line_is_written_within_the_flush_interval(out: io.StringIO) -> None:
    async def scenario() -> None:
        HotLine("klaviyo_compat.access", "access").info("req-0003", dict(FIELDS))
        for _ in range(100):
            if out.getvalue():
                break
            await asyncio.sleep(FLUSH_SECONDS / 5)
        assert [line["event"] for line in lines(out)] == ["access"]

    asyncio.run(scenario())
    asyncio.run(scenario())  # a new loop after the first one closed: still flushed


def test_the_buffer_never_holds_more_than_its_bound() -> None:
    inner = io.StringIO()
    buffer = LineBuffer(inner)
    for i in range(MAX_HELD * 2 + 3):
        buffer.write(f"{i}\n")
    assert inner.getvalue().count("\n") == MAX_HELD * 2
    buffer.flush()
    assert inner.getvalue().splitlines() == [str(i) for i in range(MAX_HELD * 2 + 3)]
    assert hot_line.FLUSH_SECONDS <= 0.05
