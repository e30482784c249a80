"""E2E harness fixtures: sandbox + proxy on real loopback sockets, legacy clients pointed at it.

Session-scoped: one sandbox (its ``Store`` kept for assertions), one proxy instance over plain
HTTP and a second over TLS with a test-CA certificate for ``a.klaviyo.com`` (the host the
legacy clients hard-code for some calls), both recording every upstream request.
``a.klaviyo.com:443`` resolves to the TLS port as a hosts-file entry would; every other
non-loopback name or address is refused, and each test asserts none was attempted.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.e2e.harness import (
    HTTP_TIMEOUT,
    PROXY_ENV_VARS,
    LoopbackNetwork,
    Recorder,
    Stack,
    TlsFiles,
    bound_http_timeouts,
    build_stack,
    make_tls_files,
)

T = TypeVar("T")


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> tuple[TlsFiles, Path]:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def stack(upstream_recorder: Recorder, tls_material: tuple[TlsFiles, Path]) -> Iterator[Stack]:
    with build_stack(upstream_recorder, source="e2e", tls=tls_material[0]) as running:
        yield running


@pytest.fixture(scope="session")
def loopback_network(stack: Stack, tls_material: tuple[TlsFiles, Path]) -> Iterator[LoopbackNetwork]:
    """Hosts-file override + firewall + CA trust + default timeouts, for the whole e2e session."""
    assert stack.tls_port is not None
    net = LoopbackNetwork(tls_port=stack.tls_port)
    mp = pytest.MonkeyPatch()
    try:
        net.install(mp)
        bound_http_timeouts(mp)
        for name in PROXY_ENV_VARS:
            mp.delenv(name, raising=False)
        mp.setenv("REQUESTS_CA_BUNDLE", str(tls_material[1]))
        yield net
    finally:
        mp.undo()


@pytest.fixture(autouse=True)
def _loopback_only(loopback_network: LoopbackNetwork, stack: Stack) -> Iterator[LoopbackNetwork]:
    """Every e2e test: no non-loopback resolution/connection attempted, no upstream off loopback."""
    blocked_mark = len(loopback_network.blocked)
    upstream_mark = stack.recorder.mark()
    yield loopback_network
    blocked = loopback_network.blocked[blocked_mark:]
    assert not blocked, f"non-loopback network access attempted: {blocked}"
    foreign = [
        r.describe() for r in stack.recorder.since(upstream_mark) if httpx.URL(r.url).host != "127.0.0.1"
    ]
    assert not foreign, f"proxy sent upstream requests off loopback: {foreign}"


@pytest.fixture(autouse=True)
def _quiet_legacy_deprecations() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


# --------------------------------------------------------------------------- clients


@pytest.fixture
def target_stack(stack: Stack) -> Stack:
    """The stack the client fixtures below talk to: the session stack, unless a package with a
    private stack (``tests/e2e/sdk``, ``tests/e2e/klaviyo3``) overrides this fixture."""
    return stack


@pytest.fixture
def new_api(target_stack: Stack) -> Iterator[httpx.Client]:
    """httpx client for the proxy's new-API pass-through (private key, revision header)."""
    with target_stack.new_api() as client:
        yield client


@pytest.fixture
def k3(target_stack: Stack) -> Callable[..., Any]:
    """Build a ``klaviyo==3.1.7`` API class pointed at the proxy: ``k3(Profiles)``."""

    def make(cls: Callable[..., T], public_token: str | None = None) -> T:
        return cls(
            public_token=public_token or target_stack.public_token,
            private_token=target_stack.private_key,
            api_server=target_stack.legacy_api,
        )

    return make


@pytest.fixture
def sdk(target_stack: Stack) -> Any:
    """``klaviyo-sdk==1.0.9.20220329`` client pointed at the proxy (no retries: failures show)."""
    from klaviyo_sdk import Client

    return Client(
        target_stack.private_key, max_delay=HTTP_TIMEOUT, max_retries=1, test_host=target_stack.legacy_api
    )


@pytest.fixture
def k3_responses(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Raw ``requests.Response`` objects the ``klaviyo`` 3.1.7 client received, in order."""
    from klaviyo.api_helper import KlaviyoAPI

    seen: list[Any] = []
    original = KlaviyoAPI._handle_response

    def recording(self: Any, response: Any) -> Any:
        seen.append(response)
        return original(self, response)

    monkeypatch.setattr(KlaviyoAPI, "_handle_response", recording)
    return seen
