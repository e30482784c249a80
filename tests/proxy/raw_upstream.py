"""A scripted HTTP/1.1 upstream on a loopback port, in the test's own event loop (asyncio streams).

``RawUpstream(script)`` records every request as received (request line, header bytes, body,
chunked bodies de-chunked) and answers with the bytes ``script(heard)`` returns: ``HANG`` never
answers (``Reply(data, hang=True)`` stops after ``data``), ``RESET`` closes with a TCP RST, ``CLOSE`` closes after sending the bytes. Used where a
test needs byte-level control of what the proxy's network client sees.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from tests.e2e.harness import LOOPBACK


@dataclass(frozen=True)
class Heard:
    target: bytes  # the request line's target, as sent
    method: bytes
    headers: tuple[tuple[bytes, bytes], ...]  # names lower-cased, values as sent, repeats kept
    body: bytes

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.headers if k == name), None)

    @property
    def names(self) -> set[bytes]:
        return {k for k, _ in self.headers}


@dataclass(frozen=True)
class Reply:
    data: bytes = b""
    hang: bool = False
    reset: bool = False
    close: bool = False


HANG = Reply(hang=True)
RESET = Reply(reset=True)


def answer(status: int = 200, body: bytes = b"{}", *headers: tuple[str, str], length: bool = True) -> Reply:
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return Reply(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


@dataclass
class RawUpstream:
    script: Callable[[Heard], Reply] = field(default=lambda heard: answer())
    heard: list[Heard] = field(default_factory=list)
    connections: int = 0
    closed_by_peer: int = 0  # connections the client closed (end of stream between requests)
    url: str = ""
    tls: ssl.SSLContext | None = None  # serve HTTPS with this context
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[RawUpstream]:
        server = await asyncio.start_server(self._serve, LOOPBACK, 0, ssl=self.tls)
        scheme = "https" if self.tls else "http"
        self.url = f"{scheme}://{LOOPBACK}:{server.sockets[0].getsockname()[1]}"
        try:
            yield self
        finally:
            self._stop.set()
            server.close()
            await asyncio.sleep(0)  # connection handlers see the stop before the server waits on them

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while (heard := await _read(reader)) is not None:
                self.heard.append(heard)
                reply = self.script(heard)
                if reply.hang:  # after the bytes given, if any (an answer that stops mid-body)
                    if reply.data:
                        writer.write(reply.data)
                        await writer.drain()
                    await self._stop.wait()
                    return
                if reply.reset:
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
                writer.write(reply.data)
                await writer.drain()
                if reply.close:
                    return
            self.closed_by_peer += 1
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()


async def _read(reader: asyncio.StreamReader) -> Heard | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    line, *rest = head[:-4].split(b"\r\n")
    method, target, _ = line.split(b" ", 2)
    headers = tuple((k.strip().lower(), v.strip()) for k, _, v in (h.partition(b":") for h in rest))
    found = dict(headers)
    if found.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = b""
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            body += (await reader.readexactly(size + 2))[:-2]
        await reader.readuntil(b"\r\n")
    else:
        body = await reader.readexactly(int(found.get(b"content-length", b"0")))
    return Heard(target, method, headers, body)
