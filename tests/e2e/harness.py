"""Real-socket test harness: uvicorn servers on 127.0.0.1, a recording upstream transport,
TLS for the legacy clients' hard-coded ``https://a.klaviyo.com`` and a loopback-only resolver.

Used by ``tests/e2e`` (session fixtures in its conftest), ``tests/proxy/engine/test_bad_input.py``
and ``tests/proxy/observe/test_log_redaction.py``; the recordings feed ``tests/contract``.

Nothing here opens a socket to anything but 127.0.0.1: servers bind loopback, the proxy's
upstream is the sandbox on loopback, and ``LoopbackNetwork`` makes every other name or
address fail loudly (and records the attempt, so a test can assert there were none).
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import httpx
import uvicorn
from starlette.types import ASGIApp

if TYPE_CHECKING:
    from proxy.engine.exchange import Answer, Body, Exchange, RawHeaders, Streamed

LOOPBACK = "127.0.0.1"
HTTP_TIMEOUT = 10.0  # every HTTP call a test makes
STARTUP_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 10.0
LEGACY_HOST = (
    "a.klaviyo.com"  # hard-coded by klaviyo==3.1.7 (POST track/identify) and klaviyo-sdk (update_profile)
)
SERVER_SIDE_TOKEN = "SrvTk2"  # a second 6-char public token the proxy maps to the demo private key
PROXY_ENV_VARS = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
)


# --------------------------------------------------------------------------- uvicorn in a thread


@dataclass(frozen=True)
class TlsFiles:
    """A server certificate: ``certfile`` holds the key too when ``keyfile`` is None."""

    certfile: Path
    keyfile: Path | None = None


@dataclass
class Served:
    """A running uvicorn server on 127.0.0.1."""

    url: str
    port: int
    server: uvicorn.Server
    thread: threading.Thread


def _bind_loopback() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, 0))  # the kernel picks a free port; no race between "find" and "bind"
    sock.set_inheritable(True)
    return sock


@contextlib.contextmanager
def serve(
    app: ASGIApp,
    *,
    ssl: TlsFiles | None = None,
    lifespan: Literal["auto", "on", "off"] = "on",
    options: Mapping[str, Any] | None = None,
) -> Iterator[Served]:
    """Run ``app`` under uvicorn in a background thread; yield once it accepts connections.

    ``options``: more ``uvicorn.Config`` arguments (e.g. ``proxy.engine.serving.uvicorn_options``).
    """
    sock = _bind_loopback()
    port = sock.getsockname()[1]
    arguments: dict[str, Any] = {
        "log_config": None,
        "access_log": False,
        "lifespan": lifespan,
        "ssl_certfile": str(ssl.certfile) if ssl else None,
        "ssl_keyfile": str(ssl.keyfile) if ssl and ssl.keyfile else None,
        "timeout_graceful_shutdown": 2,
    }
    config = uvicorn.Config(app, host=LOOPBACK, port=port, **{**arguments, **(options or {})})
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # SystemExit on start-up failure, anything else
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if failure or not thread.is_alive():
            sock.close()
            raise RuntimeError(f"uvicorn on port {port} failed to start: {failure!r}")
        if time.monotonic() > deadline:
            server.should_exit = True
            thread.join(SHUTDOWN_TIMEOUT)
            sock.close()
            raise RuntimeError(f"uvicorn on port {port} did not start within {STARTUP_TIMEOUT}s")
        time.sleep(0.01)
    scheme = "https" if ssl else "http"
    try:
        yield Served(url=f"{scheme}://{LOOPBACK}:{port}", port=port, server=server, thread=thread)
    finally:
        server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT)
        if thread.is_alive():
            server.force_exit = True
            thread.join(SHUTDOWN_TIMEOUT)
        sock.close()


# --------------------------------------------------------------------------- upstream recording


@dataclass(frozen=True)
class RecordedRequest:
    """One request the proxy sent upstream, exactly as it left the proxy."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    source: str  # which proxy instance sent it (e.g. "e2e", "e2e-tls", "bad-input")
    test: str  # node id of the test running when it was sent

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def describe(self) -> str:
        return f"{self.method} {self.url} [{self.source}; {self.test}]"


@dataclass
class Recorder:
    """Thread-safe sink for every upstream request of every proxy the harness starts."""

    records: list[RecordedRequest] = field(default_factory=list)
    current_test: str = "<outside a test>"
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, record: RecordedRequest) -> None:
        with self._lock:
            self.records.append(record)

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self.records)

    def since(self, mark: int) -> list[RecordedRequest]:
        with self._lock:
            return list(self.records[mark:])

    def mark(self) -> int:
        with self._lock:
            return len(self.records)


class RecordingExchange:
    """Wraps an upstream pool (``Overrides.tap``); records method, URL, headers and body, then sends.

    The headers are the pool's own plus the call's; what the network client adds itself (Host,
    Content-Length, its User-Agent) is not recorded.
    """

    def __init__(self, inner: Exchange, recorder: Recorder, source: str) -> None:
        self.inner = inner
        self.recorder = recorder
        self.source = source
        self.base = inner.base
        self.headers = inner.headers

    @property
    def closed(self) -> bool:
        return self.inner.closed

    async def send(self, method: str, target: str, headers: Mapping[str, str], body: bytes | None) -> Answer:
        self._record(method, target, list({**self.headers, **headers}.items()), body or b"")
        return await self.inner.send(method, target, headers, body)

    async def open(self, method: str, target: str, headers: RawHeaders, body: Body) -> Streamed:
        if body is not None and not isinstance(body, bytes):  # a streamed body, re-sent as read
            body = b"".join([chunk async for chunk in body])
        sent = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]
        self._record(method, target, sent, body or b"")
        return await self.inner.open(method, target, headers, body)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def _record(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.recorder.add(
            RecordedRequest(
                method=method,
                url=self.base + target,
                headers=tuple(headers),
                body=body,
                source=self.source,
                test=self.recorder.current_test,
            )
        )


# --------------------------------------------------------------------------- network guard


def _is_loopback_host(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@dataclass
class LoopbackNetwork:
    """A hosts-file-like override plus a firewall, for this process.

    ``a.klaviyo.com`` on 443 resolves to the proxy's TLS port on 127.0.0.1; loopback names
    resolve normally; every other name fails to resolve and every non-loopback connect is
    refused. Attempts are recorded in ``blocked`` so tests can assert none happened.
    """

    tls_port: int
    blocked: list[str] = field(default_factory=list)
    redirected: list[str] = field(default_factory=list)
    _real_getaddrinfo: Callable[..., Any] = field(default=socket.getaddrinfo, repr=False)
    _real_connect: Callable[..., Any] = field(default=socket.socket.connect, repr=False)
    _real_connect_ex: Callable[..., Any] = field(default=socket.socket.connect_ex, repr=False)

    def getaddrinfo(
        self, host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
    ) -> list[tuple[Any, ...]]:
        name = host.decode("idna") if isinstance(host, bytes) else host
        if name is None or _is_loopback_host(str(name)):
            return list(self._real_getaddrinfo(host, port, family, type, proto, flags))
        if str(name).lower().rstrip(".") == LEGACY_HOST and str(port) in ("443", "https"):
            self.redirected.append(f"{name}:{port}")
            sock_type = type or socket.SOCK_STREAM
            return [(socket.AF_INET, sock_type, socket.IPPROTO_TCP, "", (LOOPBACK, self.tls_port))]
        self.blocked.append(f"resolve {name}:{port}")
        raise socket.gaierror(socket.EAI_NONAME, f"test resolver: {name!r} is not a loopback name")

    def _check(self, sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
            host = str(address[0])
            if not _is_loopback_host(host):
                self.blocked.append(f"connect {host}:{address[1]}")
                raise OSError(errno.ENETUNREACH, f"test firewall: connection to {host} refused")

    def install(self, mp: Any) -> None:
        """Apply via a ``pytest.MonkeyPatch`` (undone by it)."""
        net = self

        def connect(sock: socket.socket, address: Any) -> Any:
            net._check(sock, address)
            return net._real_connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> Any:
            net._check(sock, address)
            return net._real_connect_ex(sock, address)

        mp.setattr(socket, "getaddrinfo", self.getaddrinfo)
        mp.setattr(socket.socket, "connect", connect)
        mp.setattr(socket.socket, "connect_ex", connect_ex)


# --------------------------------------------------------------------------- the whole stack


@dataclass
class Stack:
    """Sandbox (new-API emulator) behind the proxy, both on real loopback sockets."""

    store: Any  # proxy.sandbox.Store
    sandbox_url: str
    proxy_url: str  # plain HTTP
    proxy_tls_url: str | None  # https://127.0.0.1:<port>, certificate for a.klaviyo.com
    tls_port: int | None
    recorder: Recorder
    private_key: str
    public_token: str  # key-less: the proxy uses /client/... endpoints
    server_side_token: str  # mapped to private_key in Settings.token_keys
    settings: Any  # proxy.settings.Settings

    @property
    def legacy_api(self) -> str:
        """What a legacy app sets as its API base (``https://a.klaviyo.com/api`` before)."""
        return f"{self.proxy_url}/api"

    def new_api(self, **kw: Any) -> httpx.Client:
        """An httpx client for the proxy's new-API pass-through, as a migrating app would use."""
        headers = {
            "Authorization": f"Klaviyo-API-Key {self.private_key}",
            "revision": str(self.settings.revision),
            "accept": "application/vnd.api+json",
        }
        headers.update(kw.pop("headers", {}))
        return httpx.Client(
            base_url=self.proxy_url, headers=headers, timeout=HTTP_TIMEOUT, trust_env=False, **kw
        )


@contextlib.contextmanager
def build_stack(
    recorder: Recorder,
    *,
    source: str,
    tls: TlsFiles | None = None,
    settings_overrides: Mapping[str, Any] | None = None,
) -> Iterator[Stack]:
    """Start the sandbox and the proxy (plus, with ``tls``, a second proxy instance over TLS).

    Two proxy app instances share the settings and the recorder but not a pool: a connection
    pool belongs to one event loop, and each uvicorn thread has its own.
    """
    from proxy.engine.app import create_app
    from proxy.engine.engine import Overrides
    from proxy.sandbox import DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY, Store, create_sandbox_app
    from proxy.settings import Settings
    from tests.contract.sandbox_answers import record_answers

    store = Store()
    # Every sandbox answer is kept for the spec check of tests/contract/test_sandbox_answers.py.
    with serve(record_answers(create_sandbox_app(store), recorder)) as sandbox:
        settings = Settings(
            upstream=sandbox.url,
            token_keys={SERVER_SIDE_TOKEN: DEMO_PRIVATE_KEY},
            transport=os.environ.get("KLAVIYO_COMPAT_TRANSPORT", "h1"),
            **dict(settings_overrides or {}),
        )

        def proxy_app(tag: str) -> ASGIApp:
            # The production pools (h1 by default; KLAVIYO_COMPAT_TRANSPORT=aiohttp or httpx),
            # wrapped so every upstream request is recorded for the contract check.
            def tap(pool: Exchange) -> Exchange:
                return RecordingExchange(pool, recorder, tag)

            return create_app(settings, overrides=Overrides(tap=tap))

        with contextlib.ExitStack() as stack:
            proxy = stack.enter_context(serve(proxy_app(source)))
            proxy_tls = stack.enter_context(serve(proxy_app(f"{source}-tls"), ssl=tls)) if tls else None
            yield Stack(
                store=store,
                sandbox_url=sandbox.url,
                proxy_url=proxy.url,
                proxy_tls_url=proxy_tls.url if proxy_tls else None,
                tls_port=proxy_tls.port if proxy_tls else None,
                recorder=recorder,
                private_key=DEMO_PRIVATE_KEY,
                public_token=DEMO_PUBLIC_KEY,
                server_side_token=SERVER_SIDE_TOKEN,
                settings=settings,
            )


def make_tls_files(directory: Path) -> tuple[TlsFiles, Path]:
    """A test CA and a server certificate for ``a.klaviyo.com``; returns (server files, CA bundle)."""
    import trustme

    ca = trustme.CA()
    leaf = ca.issue_cert(LEGACY_HOST)
    directory.mkdir(parents=True, exist_ok=True)
    server_pem = directory / "a.klaviyo.com.pem"
    ca_pem = directory / "test-ca.pem"
    leaf.private_key_and_cert_chain_pem.write_to_path(str(server_pem))
    ca.cert_pem.write_to_path(str(ca_pem))
    return TlsFiles(certfile=server_pem), ca_pem


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, interval: float = 0.02) -> bool:
    """Poll ``predicate`` until true or ``timeout``; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def bound_http_timeouts(mp: Any, seconds: float = HTTP_TIMEOUT) -> None:
    """Give every urllib3 request (requests, the generated SDK) a timeout when it has none.

    The legacy clients call ``requests.get(...)`` / urllib3 without a timeout; a hung proxy
    must fail the test, not stall the session.
    """
    from urllib3.connectionpool import HTTPConnectionPool
    from urllib3.util.timeout import Timeout

    real_urlopen = HTTPConnectionPool.urlopen

    def number(value: Any) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool)

    def unbounded(timeout: Any) -> bool:
        if isinstance(timeout, Timeout):
            return not (
                number(timeout.total) or number(timeout.connect_timeout) or number(timeout.read_timeout)
            )
        return not number(timeout)  # None or urllib3's "socket default" sentinel

    def urlopen(self: HTTPConnectionPool, method: str, url: str, *args: Any, **kw: Any) -> Any:
        if len(args) < 6 and unbounded(kw.get("timeout", self.timeout)):  # 6th extra positional = timeout
            kw["timeout"] = Timeout(total=seconds)
        return real_urlopen(self, method, url, *args, **kw)

    mp.setattr(HTTPConnectionPool, "urlopen", urlopen)
