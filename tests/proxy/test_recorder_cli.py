"""``klaviyo-compat recorder`` as a process: its refusals (one line, exit 2), and a SIGTERM that
stores and acknowledges what it read before it exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from proxy.traffic.stream import GROUP, STREAM_KEY
from proxy.traffic.stream_sink import StreamSink
from tests.proxy.harness import REPO, T0, free_port, rec

CLI = [sys.executable, "-m", "proxy.cli", "recorder"]
SECRET = "h" * 40
ADMIN = "admin-" + "c" * 24


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLAVIYO_COMPAT_")}
    return {**env, "XDG_STATE_HOME": str(tmp), "KLAVIYO_COMPAT_ACCESS_LOG": "false", **extra}


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, "recorder needs state_url"),
        (
            {"KLAVIYO_COMPAT_STATE_URL": "redis://127.0.0.1:1/0", "KLAVIYO_COMPAT_TRAFFIC_DB": "off"},
            "needs traffic_db",
        ),
        (
            {"KLAVIYO_COMPAT_STATE_URL": "redis://127.0.0.1:1/0", "KLAVIYO_COMPAT_HOST": "0.0.0.0"},
            "needs admin_token",
        ),
    ],
)
def test_the_recorder_refuses_in_one_line(tmp_path: Path, settings: dict[str, str], expected: str) -> None:
    if "KLAVIYO_COMPAT_STATE_URL" in settings:
        settings = {**settings, "KLAVIYO_COMPAT_HASH_SECRET": SECRET}
    out = subprocess.run(CLI, capture_output=True, text=True, timeout=60, env=_env(tmp_path, **settings))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    [line] = out.stderr.strip().splitlines()
    assert expected in line


def test_sigterm_stores_and_acknowledges_before_exit(redis_url: str, tmp_path: Path) -> None:
    db, port = tmp_path / "recorder.sqlite3", free_port()
    env = _env(
        tmp_path,
        KLAVIYO_COMPAT_STATE_URL=redis_url,
        KLAVIYO_COMPAT_HASH_SECRET=SECRET,
        KLAVIYO_COMPAT_ADMIN_TOKEN=ADMIN,
        KLAVIYO_COMPAT_TRAFFIC_DB=str(db),
    )
    proc = subprocess.Popen(
        [*CLI, "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url, bearer = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {ADMIN}"}
    try:
        deadline = time.monotonic() + 30
        while True:
            assert time.monotonic() < deadline and proc.poll() is None, "the recorder did not start"
            try:
                if httpx.get(f"{url}/_compat/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        sink = StreamSink(redis_url, max_entries=1000, timeout=2)
        for n in range(20):
            sink.write([rec(ts=T0 + n * 10 + i) for i in range(10)])
        sink.close()
        while (
            httpx.get(f"{url}/_compat/report", params={"since": "3650d"}, headers=bearer, timeout=5).json()[
                "summary"
            ]["calls"]
            < 200
        ):
            assert time.monotonic() < deadline, "not recorded in time"
            time.sleep(0.05)
        assert (
            "klaviyo_compat_recorder_records_total 200.0" in httpx.get(f"{url}/metrics", headers=bearer).text
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises it once shut down
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    client = redis.Redis.from_url(redis_url)
    pending: Any = client.xpending(STREAM_KEY, GROUP)
    client.close()
    assert pending["pending"] == 0
    log = proc.stdout.read() if proc.stdout else ""
    assert "Application shutdown complete" in log and "Traceback" not in log
