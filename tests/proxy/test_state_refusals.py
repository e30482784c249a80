"""``state_url`` at start-up: the refusals (one line, exit 2) and the secret kept out of sight."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from proxy.settings import Settings, SettingsError, load
from tests.proxy.harness import free_port
from tests.redis_server import RedisServer

CLI = [sys.executable, "-m", "proxy.cli"]
PASSWORD = "hunter2-" + "q" * 12
SECRET = "s" * 40


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLAVIYO_COMPAT_")}
    return {**env, "XDG_STATE_HOME": str(tmp), "KLAVIYO_COMPAT_TRAFFIC_DB": "off", **extra}


def _serve(tmp: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    cmd = [*CLI, "serve", "--upstream", "https://a.klaviyo.com", "--port", str(free_port()), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=_env(tmp, **env))


def _one_line(out: subprocess.CompletedProcess[str]) -> str:
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_state_url_needs_an_explicit_hash_secret() -> None:
    with pytest.raises(SettingsError, match="hash_secret"):
        load(environ={"KLAVIYO_COMPAT_STATE_URL": "redis://127.0.0.1:6379/0"})
    with pytest.raises(SettingsError, match="state_url must start with") as err:
        load(
            environ={"KLAVIYO_COMPAT_STATE_URL": f"http://:{PASSWORD}@h/0", "KLAVIYO_COMPAT_HASH_SECRET": "x"}
        )
    assert PASSWORD not in str(err.value)
    for url in ("redis://h:6379/0", "rediss://h:6380/0", "unix:///run/redis.sock"):
        assert (
            load(environ={"KLAVIYO_COMPAT_STATE_URL": url, "KLAVIYO_COMPAT_HASH_SECRET": "x"}).state_url
            == url
        )


def test_serve_refuses_state_url_without_hash_secret_in_one_line(tmp_path: Path) -> None:
    out = _serve(tmp_path, KLAVIYO_COMPAT_STATE_URL=f"redis://:{PASSWORD}@127.0.0.1:1/0")
    line = _one_line(out)
    assert "hash_secret" in line and PASSWORD not in out.stderr + out.stdout


def test_serve_refuses_workers_without_state_url(tmp_path: Path) -> None:
    line = _one_line(_serve(tmp_path, "--workers", "2"))
    assert "--workers 2 needs state_url" in line


def test_the_state_url_is_masked_in_reprs_and_check(tmp_path: Path) -> None:
    url = f"redis://user:{PASSWORD}@redis.internal:6379/0"
    settings = Settings(state_url=url, hash_secret=SECRET)
    assert PASSWORD not in repr(settings) and "redis.internal" not in repr(settings)
    assert "'state_url': 'redis://***'" in repr(settings)
    env = _env(tmp_path, KLAVIYO_COMPAT_STATE_URL=url, KLAVIYO_COMPAT_HASH_SECRET=SECRET)
    out = subprocess.run(
        [*CLI, "check", "--upstream", "https://a.klaviyo.com"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert out.returncode == 2, out.stderr  # check asks that Redis: it does not answer
    assert "the Redis of state_url does not answer" in out.stderr
    assert PASSWORD not in out.stdout + out.stderr and "redis.internal" not in out.stdout + out.stderr
    line = next(line for line in out.stdout.splitlines() if line.startswith("state_url "))
    assert "*** (set)" in line and "[environment]" in line


def test_a_redis_that_may_lose_entries_is_refused_unless_accepted(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis", appendonly=False).start()
    try:
        env = {"KLAVIYO_COMPAT_STATE_URL": server.url, "KLAVIYO_COMPAT_HASH_SECRET": SECRET}
        line = _one_line(_serve(tmp_path, **env))
        assert "appendonly is off" in line and "state_accept_volatile" in line
        assert server.command("CONFIG", "SET", "appendonly", "yes").startswith(b"+OK")
        assert server.command("CONFIG", "SET", "maxmemory-policy", "allkeys-lru").startswith(b"+OK")
        line = _one_line(_serve(tmp_path, **env))
        assert "allkeys-lru" in line and "appendonly is off" not in line
        # Accepted explicitly: serve starts and answers.
        port = free_port()
        cmd = [*CLI, "serve", "--upstream", "https://a.klaviyo.com", "--port", str(port)]
        accepted = _env(tmp_path, **env, KLAVIYO_COMPAT_STATE_ACCEPT_VOLATILE="true")
        proc = subprocess.Popen(
            cmd, env=accepted, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        try:
            deadline, status = time.monotonic() + 30, None
            while time.monotonic() < deadline and status is None and proc.poll() is None:
                try:
                    status = httpx.get(f"http://127.0.0.1:{port}/_compat/health", timeout=1).status_code
                except httpx.TransportError:
                    time.sleep(0.05)
            assert status == 200, proc.stderr.read() if proc.poll() is not None and proc.stderr else status
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        server.stop()
