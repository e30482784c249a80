"""Caller, client and log hashes are HMAC-SHA256 under a per-installation secret: not recoverable
by hashing every IPv4 address or phone number, stable across restarts of one installation."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from proxy import Overrides, create_app
from proxy.observe import redact
from proxy.observe.hash_secret import resolve, secret_path
from proxy.observe.redact import configure_secret, fingerprint
from proxy.settings import Settings, load
from tests.proxy.harness import KEY_A, PROFILE_ID, FakeUpstream, serve

OLD_SALT = b"klaviyo-compat:v1:"  # the constant salt fingerprints used to have


@pytest.fixture(autouse=True)
def _process_secret_afterwards() -> Iterator[None]:
    yield
    configure_secret(None)


def _settings(db: Path, **kw: Any) -> Settings:
    return Settings(
        upstream="https://upstream.test", traffic_db=str(db), traffic_flush_ms=10, access_log=False, **kw
    )


def _call_and_read(db: Path, **kw: object) -> list[tuple[str, str]]:
    """One legacy call through a proxy on ``db``; the (caller, client) hashes the store holds."""
    with serve(
        create_app(_settings(db, **kw), overrides=Overrides(transport=FakeUpstream().transport()))
    ) as s:
        assert httpx.get(s.url + f"/api/v1/person/{PROFILE_ID}", params={"api_key": KEY_A}).status_code == 200
    with sqlite3.connect(db) as conn:
        return [
            (str(c), str(ip)) for c, ip in conn.execute("SELECT caller, client FROM legacy_calls ORDER BY ts")
        ]


def test_hashes_differ_across_secrets_and_are_hmacs() -> None:
    configure_secret(b"one")
    first = fingerprint("127.0.0.1", "ip")
    configure_secret(b"two")
    assert fingerprint("127.0.0.1", "ip") != first
    expected = hmac.new(b"two", b"127.0.0.1", hashlib.sha256).hexdigest()[:12]
    assert fingerprint("127.0.0.1", "ip") == f"ip#{expected}"
    configure_secret(None)  # no installation secret: the process's own random one
    assert fingerprint("x") == hmac.new(redact._PROCESS_SECRET, b"x", hashlib.sha256).hexdigest()[:12]


def test_the_secret_is_generated_once_kept_0600_and_hashes_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "state" / "traffic.sqlite3"
    first = _call_and_read(db)
    path = secret_path(db)
    assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = bytes.fromhex(path.read_text().strip())
    assert len(secret) == 32
    second = _call_and_read(db)  # a restart: same directory, same secret, same hashes
    assert len(second) == 2 and second[0] == second[1] == first[0]
    caller, client = first[0]
    assert caller == "key#" + hmac.new(secret, KEY_A.encode(), hashlib.sha256).hexdigest()[:12]
    assert client == "ip#" + hmac.new(secret, b"127.0.0.1", hashlib.sha256).hexdigest()[:12]
    # Not the old salted SHA-256 (which anyone could recompute for every IPv4 address).
    assert client != "ip#" + hashlib.sha256(OLD_SALT + b"127.0.0.1").hexdigest()[:12]
    assert client != "ip#" + hashlib.sha256(b"127.0.0.1").hexdigest()[:12]


def test_another_installation_hashes_differently(tmp_path: Path) -> None:
    a = _call_and_read(tmp_path / "a" / "traffic.sqlite3")
    b = _call_and_read(tmp_path / "b" / "traffic.sqlite3")
    assert a[0][0] != b[0][0] and a[0][1] != b[0][1]


def test_a_configured_hash_secret_wins_and_is_never_shown(tmp_path: Path) -> None:
    shared = "replicas-share-this-" + "s" * 20
    a = _call_and_read(tmp_path / "a" / "t.sqlite3", hash_secret=shared)
    b = _call_and_read(tmp_path / "b" / "t.sqlite3", hash_secret=shared)
    assert a == b
    assert not secret_path(tmp_path / "a" / "t.sqlite3").exists()  # nothing generated
    settings = load(environ={"KLAVIYO_COMPAT_HASH_SECRET": shared, "KLAVIYO_COMPAT_TRAFFIC_DB": "off"})
    assert resolve(settings) == shared.encode() and shared not in repr(settings)


def test_recording_off_without_a_secret_uses_a_per_process_one(tmp_path: Path) -> None:
    assert resolve(Settings(traffic_db="off")) is None
    assert not list(tmp_path.iterdir())


def test_an_unusable_secret_file_falls_back_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "t.sqlite3"
    secret_path(db).write_text("short\n")
    with capture_logs() as logs:
        assert resolve(_settings(db)) is None
    assert [e["event"] for e in logs] == ["hash_secret.unavailable"]
