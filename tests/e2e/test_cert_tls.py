"""Clients that hard-code ``https://a.klaviyo.com`` reach the proxy through ``klaviyo-compat cert``
and ``serve --tls-cert``: both legacy Python clients, unmodified, in a real ``serve`` subprocess.

``a.klaviyo.com:443`` resolves to that subprocess's port (the loopback resolver of this suite,
as a hosts-file line would); the clients trust only the CA ``cert`` made (``REQUESTS_CA_BUNDLE``).
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from klaviyo.public import Public

from tests.e2e import newapi
from tests.e2e.harness import HTTP_TIMEOUT, LoopbackNetwork, Stack
from tests.e2e.klaviyo3.support import ok
from tests.e2e.shapes import unique_email, wait_for, wait_for_profile
from tests.proxy.harness import free_port

CLI = [sys.executable, "-m", "proxy.cli"]


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cert")
    made = subprocess.run([*CLI, "cert", "--out", str(out)], capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    assert "REQUESTS_CA_BUNDLE" in made.stdout and "NODE_EXTRA_CA_CERTS" in made.stdout
    return out


@pytest.fixture
def tls_proxy(
    certs: Path, stack: Stack, loopback_network: LoopbackNetwork, monkeypatch: pytest.MonkeyPatch
) -> Iterator[int]:
    """``serve --tls-cert`` in front of the session sandbox; a.klaviyo.com points at it meanwhile."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLAVIYO_COMPAT_")}
    env.update(KLAVIYO_COMPAT_TRAFFIC_DB="off", KLAVIYO_COMPAT_SHUTDOWN_TIMEOUT="2")
    cmd = [*CLI, "serve", "--upstream", stack.sandbox_url, "--port", str(port)]
    cmd += ["--tls-cert", str(certs / "server.pem"), "--tls-key", str(certs / "server.key")]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    previous = loopback_network.tls_port
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else "serve exited"
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "serve --tls-cert did not listen within 30 s"
            time.sleep(0.05)
        loopback_network.tls_port = port
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certs / "ca.pem"))  # only the CA `cert` made
        yield port
    finally:
        loopback_network.tls_port = previous
        proc.terminate()
        proc.wait(timeout=30)


def test_cert_writes_private_keys_0600(certs: Path) -> None:
    for name in ("ca.key", "server.key"):
        assert stat.S_IMODE((certs / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE((certs / "ca.pem").stat().st_mode) == 0o644


def test_the_certificate_is_trusted_for_the_hard_coded_host(tls_proxy: int, certs: Path) -> None:
    with httpx.Client(verify=str(certs / "ca.pem"), timeout=HTTP_TIMEOUT) as client:
        assert client.get("https://a.klaviyo.com/_compat/health").json()["status"] == "ok"
    with httpx.Client(timeout=HTTP_TIMEOUT) as default_trust, pytest.raises(httpx.ConnectError):
        default_trust.get("https://a.klaviyo.com/_compat/health")  # a real CA never signed it


def test_klaviyo_3_posts_track_to_the_hard_coded_host(
    tls_proxy: int,
    stack: Stack,
    new_api: httpx.Client,
    loopback_network: LoopbackNetwork,
    k3_responses: list[Any],
) -> None:
    email = unique_email("cert.k3")
    redirected = len(loopback_network.redirected)
    public = Public(
        public_token=stack.public_token, private_token=stack.private_key, api_server=stack.legacy_api
    )
    assert ok(public.track("Cert Checked", email=email, properties={"via": "tls"}, method="post")) == 1
    assert k3_responses[-1].url == "https://a.klaviyo.com/api/track"
    assert loopback_network.redirected[redirected:], "the POST did not go to a.klaviyo.com"
    profile = wait_for_profile(new_api, email)
    wait_for(lambda: len(newapi.profile_events(new_api, profile["id"])) == 1, "the event")


def test_klaviyo_sdk_update_profile_over_the_hard_coded_host(
    tls_proxy: int, stack: Stack, new_api: httpx.Client, loopback_network: LoopbackNetwork
) -> None:
    from klaviyo_sdk import Client

    person_id = newapi.create_profile(new_api, email=unique_email("cert.sdk"))
    sdk = Client(stack.private_key, max_delay=HTTP_TIMEOUT, max_retries=1, test_host=stack.legacy_api)
    redirected = len(loopback_network.redirected)
    updated = sdk.Profiles.update_profile(person_id=person_id, params={"$last_name": "Lovelace"})
    assert any("a.klaviyo.com" in r for r in loopback_network.redirected[redirected:])
    assert updated["last_name"] == "Lovelace"
    stored = newapi.get(new_api, f"/api/profiles/{person_id}")["data"]["attributes"]
    assert stored["last_name"] == "Lovelace"


def test_the_container_probe_speaks_https_when_tls_is_on(tls_proxy: int, certs: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLAVIYO_COMPAT_")}
    env.update(
        KLAVIYO_COMPAT_PORT=str(tls_proxy),
        KLAVIYO_COMPAT_TLS_CERT=str(certs / "server.pem"),
        KLAVIYO_COMPAT_TLS_KEY=str(certs / "server.key"),
    )
    probe = subprocess.run([*CLI, "probe"], capture_output=True, text=True, timeout=60, env=env)
    assert probe.returncode == 0, probe.stderr
