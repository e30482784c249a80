"""``klaviyo-compat check`` with ``state_url``: it asks that Redis (PING, persistence and eviction
policy) and says what ``serve`` would make of it, exit 2 when it does not answer or would lose
entries unaccepted; the URL's password and host never appear."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.proxy.harness import free_port
from tests.redis_server import RedisServer

PASSWORD = "s3cret-" + "p" * 16
SECRET = "h" * 40


def _check(tmp: Path, url: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLAVIYO_COMPAT_")}
    env |= {
        "XDG_STATE_HOME": str(tmp),
        "KLAVIYO_COMPAT_TRAFFIC_DB": "off",
        "KLAVIYO_COMPAT_STATE_URL": url,
        "KLAVIYO_COMPAT_HASH_SECRET": SECRET,
        **extra,
    }
    cmd = [sys.executable, "-m", "proxy.cli", "check", "--upstream", "https://a.klaviyo.com"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    assert PASSWORD not in out.stdout + out.stderr and "Traceback" not in out.stderr
    return out


def _probe_line(out: subprocess.CompletedProcess[str]) -> str:
    [line] = [line for line in out.stdout.splitlines() if line.startswith("state_url (")]
    return line


def test_check_pings_a_password_protected_redis_and_gives_its_verdict(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis").start()
    try:
        assert server.command("CONFIG", "SET", "requirepass", PASSWORD).startswith(b"+OK")
        url = f"redis://:{PASSWORD}@127.0.0.1:{server.port}/0"
        out = _check(tmp_path, url)
        assert out.returncode == 0, out.stderr
        assert _probe_line(out) == (
            "state_url (redis://***): answers PING; appendonly on, no allkeys-* eviction: entries are kept"
        )
        wrong = _check(tmp_path, f"redis://:not-{PASSWORD}@127.0.0.1:{server.port}/0")
        assert wrong.returncode == 2 and "does not answer" in wrong.stderr
        assert "127.0.0.1" not in _probe_line(wrong) + wrong.stderr  # the host is masked too
    finally:
        server.stop()


def test_check_fails_on_a_redis_that_may_lose_entries_unless_accepted(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis", appendonly=False).start()
    try:
        out = _check(tmp_path, server.url)
        assert out.returncode == 2
        assert "may lose entries (appendonly is off" in _probe_line(out)
        assert "serve refuses it unless state_accept_volatile" in out.stderr
        accepted = _check(tmp_path, server.url, KLAVIYO_COMPAT_STATE_ACCEPT_VOLATILE="true")
        assert accepted.returncode == 0, accepted.stderr
        assert "accepted (state_accept_volatile)" in _probe_line(accepted)
    finally:
        server.stop()


def test_check_fails_when_redis_does_not_answer(tmp_path: Path) -> None:
    out = _check(tmp_path, f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0")
    assert out.returncode == 2
    assert "does not answer (ConnectionError" in _probe_line(out)
    assert out.stderr.strip().splitlines() == [
        line for line in out.stderr.strip().splitlines() if line.startswith("klaviyo-compat: ")
    ]
