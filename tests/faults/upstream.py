"""A fault-injecting new-API upstream on a loopback port: the sandbox, behind a raw asyncio server.

``FaultUpstream`` runs its own event loop in a thread (usable from sync and async tests alike)
and answers each request according to its current ``mode``, settable at any time:

* ``healthy``: the request goes to the embedded sandbox (events are really stored);
* ``429`` (with ``Retry-After: retry_after``), ``500``, ``503``: a JSON:API error, nothing stored;
* ``hang``: never answers (until the client gives up); ``stored-hang``: stores, then hangs (the
  write happened but the caller cannot know: a retry must not duplicate it);
* ``reset``: closes the connection with a TCP RST; ``stored-reset``: stores, then resets;
* ``garbage``: answers bytes that are not HTTP;
* ``no-continue``: a request with ``Expect: 100-continue`` never gets its ``100 Continue``
  (others are served healthy);
* ``cookies``: healthy, plus a ``Set-Cookie`` on every answer;
* ``down``: nothing listens on the port (connections are refused) until the mode changes.

``fail_next(path_prefix, mode, times)`` overrides the mode for the next ``times`` requests whose
path starts with ``path_prefix`` (a fault in the middle of a fan-out). ``served`` counts requests
per mode and ``healthy`` the requests served healthy per method and path; ``stored_events()``
lists the sandbox's events.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import orjson

from proxy.sandbox import create_sandbox_app
from proxy.sandbox.models import Event
from proxy.sandbox.store import Store

MODES = (
    "healthy",
    "429",
    "500",
    "503",
    "hang",
    "stored-hang",
    "reset",
    "stored-reset",
    "garbage",
    "no-continue",
    "cookies",
    "down",
)
_STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 429: "Too Many Requests"}
MAX_HEAD = 65536


class FaultUpstream:
    def __init__(self, *, retry_after: int = 1, port: int = 0) -> None:
        self.store = Store()
        self.app = create_sandbox_app(self.store)
        self.retry_after = retry_after
        self.mode = "healthy"
        self.served: Counter[str] = Counter()
        self.healthy: Counter[str] = Counter()  # "METHOD /path" of requests served healthy
        self._port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-upstream", daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._client: httpx.AsyncClient | None = None
        self._rules: list[list[Any]] = []  # [path prefix, mode, remaining]
        self._rules_lock = threading.Lock()

    # ------------------------------------------------------------------ control (any thread)

    def start(self) -> FaultUpstream:
        self._thread.start()
        self._call(self._open())
        return self

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._call(self._close(final=True))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def __enter__(self) -> FaultUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown fault mode {mode!r}")
        previous, self.mode = self.mode, mode
        if mode == "down" and previous != "down":
            self._call(self._close(final=False))
        elif mode != "down" and previous == "down":
            self._call(self._open())

    def fail_next(self, path_prefix: str, mode: str, times: int = 1) -> None:
        if mode not in MODES or mode == "down":
            raise ValueError(f"not a per-request fault: {mode!r}")
        with self._rules_lock:
            self._rules.append([path_prefix, mode, times])

    def _mode_for(self, target: str) -> str:
        with self._rules_lock:
            for rule in self._rules:
                if target.startswith(rule[0]) and rule[2] > 0:
                    rule[2] -= 1
                    return str(rule[1])
        return self.mode

    def stored_events(self) -> list[Event]:
        events: list[Event] = self._call(self._events())
        return events

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    # ------------------------------------------------------------------ the server (its loop)

    async def _events(self) -> list[Event]:
        return list(self.store.events.values())

    async def _open(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=self.url)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._port))
        self._port = sock.getsockname()[1]
        self._server = await asyncio.start_server(self._connection, sock=sock)

    async def _close(self, *, final: bool) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            _reset(writer)
        if final and self._client is not None:
            await self._client.aclose()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; False when the connection is done."""
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > MAX_HEAD:
            return False
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = [tuple(h.split(":", 1)) for h in lines[1:] if ":" in h]
        hmap = {k.strip().lower(): v.strip() for k, v in headers}
        mode = self._mode_for(target)
        self.served[mode] += 1
        if mode == "healthy":
            self.healthy[f"{method} {target.split('?', 1)[0]}"] += 1
        if mode == "no-continue" and hmap.get("expect", "").lower() == "100-continue":
            await _hang(reader)
            return False
        body = await reader.readexactly(int(hmap.get("content-length", "0") or 0))
        if mode in ("hang", "reset", "garbage", "500", "503", "429"):
            return await self._fault(mode, reader, writer)
        status, out_headers, content = await self._sandbox(method, target, hmap, body)
        if mode == "stored-hang":
            await _hang(reader)
            return False
        if mode == "stored-reset":
            _reset(writer)
            return False
        if mode == "cookies":
            out_headers.append(("set-cookie", "upstream_session=tenant-a; Path=/"))
        await _respond(writer, status, out_headers, content)
        return hmap.get("connection", "").lower() != "close"

    async def _fault(self, mode: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        if mode == "hang":
            await _hang(reader)
            return False
        if mode == "reset":
            _reset(writer)
            return False
        if mode == "garbage":
            writer.write(b"\x00\xffNOT HTTP AT ALL\r\n\r\n")
            await writer.drain()
            return False
        status = int(mode)
        errors = {"errors": [{"status": str(status), "code": "fault", "title": "Injected fault."}]}
        extra = [("retry-after", str(self.retry_after))] if status in (429, 503) else []
        await _respond(
            writer, status, [("content-type", "application/vnd.api+json"), *extra], orjson.dumps(errors)
        )
        return True

    async def _sandbox(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        assert self._client is not None
        passed = {
            k: v for k, v in headers.items() if k not in ("host", "content-length", "connection", "expect")
        }
        resp = await self._client.request(method, target, headers=passed, content=body)
        keep = ("content-type", "retry-after", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")
        return resp.status_code, [(k, v) for k, v in resp.headers.items() if k in keep], resp.content


async def _respond(
    writer: asyncio.StreamWriter, status: int, headers: list[tuple[str, str]], body: bytes
) -> None:
    reason = _STATUS_TEXT.get(status, "Status")
    lines = [
        f"HTTP/1.1 {status} {reason}",
        *(f"{k}: {v}" for k, v in headers),
        f"content-length: {len(body)}",
    ]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()


async def _hang(reader: asyncio.StreamReader) -> None:
    """Answer nothing until the client goes away."""
    with contextlib.suppress(Exception):
        while await reader.read(65536):
            pass


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0) instead of FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@contextlib.contextmanager
def fault_upstream(retry_after: int = 1) -> Iterator[FaultUpstream]:
    with FaultUpstream(retry_after=retry_after) as upstream:
        yield upstream
