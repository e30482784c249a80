"""A real ``klaviyo-compat serve`` subprocess against the fault upstream, with short timeouts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SHORT: dict[str, object] = {
    "read_timeout": 0.4,
    "connect_timeout": 0.3,
    "request_deadline": 3.0,
    "retry_attempts": 2,
    "retry_backoff": 0.02,
    "spool_backoff": 0.05,
    "spool_backoff_max": 0.4,
    "spool_poll_seconds": 0.05,
    "breaker_failures": 5,
    "breaker_open_seconds": 0.3,
    "budget_wait": 0.05,
    "shutdown_timeout": 1.0,
    "log_level": "warning",
    "access_log": False,
}


def write_config(tmp: Path, upstream: str, port: int, **overrides: object) -> Path:
    """A TOML file: the upstream, the port, state under ``tmp`` and ``SHORT`` timeouts."""
    values: dict[str, object] = {
        "upstream": upstream,
        "port": port,
        "traffic_db": str(tmp / "state" / "traffic.sqlite3"),
        "spool_db": str(tmp / "state" / "spool" / "spool.sqlite3"),
        **SHORT,
        **overrides,
    }
    lines = [f"{k} = {_toml(v)}" for k, v in values.items()]
    config = tmp / "compat.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


class Proxy:
    def __init__(self, config: Path, port: int) -> None:
        self.config, self.port = config, port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        exe = Path(sys.executable).with_name("klaviyo-compat")
        self.proc = subprocess.Popen(
            [str(exe), "serve", "--config", str(self.config)],
            stdout=(self.config.parent / "proxy.log").open("ab"),  # JSON log lines, for post-mortems
            stderr=subprocess.STDOUT,
            env={**os.environ, "KLAVIYO_COMPAT_HASH_SECRET": "test-secret-for-faults"},
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/_compat/health", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise AssertionError("the proxy did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(5)

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            return self.proc.wait(15)
        return self.proc.returncode
