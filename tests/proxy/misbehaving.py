"""A misbehaving new API on a loopback port: the network edge the hardening tests fake.

``MisbehavingUpstream(script)`` is a real HTTP/1.1 server on 127.0.0.1 (raw sockets, one thread
per connection) whose every answer is decided by ``script(request)``: a normal answer (which may
set cookies), a hang (headers read, no answer until the server stops), garbage bytes, a reset.
An ``Expect: 100-continue`` request is never sent ``100 Continue``: the server waits for the body
as a server that ignores Expect does. Every request is recorded with its headers.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from tests.e2e.harness import LOOPBACK

MAX_HEAD = 65536
HANG_LIMIT = 30.0  # a hanging answer never outlives this (nor the server)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names; a repeated name keeps the last value
    body: bytes

    @property
    def key(self) -> str:
        return self.headers.get("authorization", "").removeprefix("Klaviyo-API-Key ")


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b'{"data": []}'
    headers: tuple[tuple[str, str], ...] = ()
    hang: bool = False
    garbage: bytes | None = None
    reset: bool = False


HANG = Answer(hang=True)
GARBAGE = Answer(garbage=b"SURPRISE\x00\xff not http at all\r\n\r\n")
RESET = Answer(reset=True)


@dataclass
class MisbehavingUpstream:
    script: Callable[[Seen], Answer] = field(default=lambda seen: Answer())
    seen: list[Seen] = field(default_factory=list)
    port: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _sock: socket.socket | None = None
    _conns: list[socket.socket] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def requests(self) -> list[Seen]:
        with self._lock:
            return list(self.seen)

    @contextlib.contextmanager
    def running(self) -> Iterator[MisbehavingUpstream]:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, 0))
        sock.listen(256)
        sock.settimeout(0.2)
        self._sock, self.port = sock, sock.getsockname()[1]
        acceptor = threading.Thread(target=self._accept, daemon=True)
        acceptor.start()
        try:
            yield self
        finally:
            self._stop.set()
            acceptor.join(5)
            with self._lock:
                for conn in self._conns:
                    with contextlib.suppress(OSError):
                        conn.close()
            sock.close()

    def _accept(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.5)
        buffer = b""
        with contextlib.suppress(OSError):
            while not self._stop.is_set():
                request, buffer = self._read_request(conn, buffer)
                if request is None:
                    return
                with self._lock:
                    self.seen.append(request)
                if not self._answer(conn, self.script(request)):
                    return

    def _read_request(self, conn: socket.socket, buffer: bytes) -> tuple[Seen | None, bytes]:
        while b"\r\n\r\n" not in buffer:
            chunk = self._recv(conn)
            if not chunk or len(buffer) > MAX_HEAD:
                return None, b""
            buffer += chunk
        head, _, rest = buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = [*lines[0].split(" "), "", ""][:3]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        while len(rest) < length:  # an Expect: 100-continue client never sends it: we wait
            chunk = self._recv(conn)
            if not chunk:
                return None, b""
            rest += chunk
        return Seen(method, path, headers, rest[:length]), rest[length:]

    def _recv(self, conn: socket.socket) -> bytes:
        while not self._stop.is_set():
            try:
                return conn.recv(65536)
            except TimeoutError:
                continue
        return b""

    def _answer(self, conn: socket.socket, answer: Answer) -> bool:
        """Send ``answer``; False when the connection is done."""
        if answer.hang:
            self._stop.wait(HANG_LIMIT)
            return False
        if answer.reset:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
            return False
        if answer.garbage is not None:
            conn.sendall(answer.garbage)
            conn.close()
            return False
        head = [f"HTTP/1.1 {answer.status} X", f"content-length: {len(answer.body)}"]
        head += ["content-type: application/vnd.api+json"]
        head += [f"{k}: {v}" for k, v in answer.headers]
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + answer.body)
        return True
