"""Benchmark: RSS of a real ``serve`` process across many calls (prints figures; not a pass/fail test).

Starts ``klaviyo-compat serve`` (production defaults: rate budgets follow the upstream's declared
limits and the stand-in declares none; a temporary traffic record) against ``--upstream`` (e.g. the nginx stand-in of the
side-by-side benchmark), drives it with wrk (Debian's ``wrk``, on loopback) in rounds of
``--seconds`` and prints the process's RSS after a warm-up round and after each round, until
``--requests`` calls were made. Unlike ``bench_inprocess --memory`` it measures the server as
deployed: uvicorn, the collector settings ``serve`` applies, the log output. Usage::

    python -m tests.benchmarks.bench_serve_memory --upstream http://127.0.0.1:18081 [--row person|identify|get]
        [--requests 200000] [--seconds 8]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.benchmarks.bench_inprocess import ROWS
from tests.proxy.harness import REPO, free_port

LOOPBACK = "127.0.0.1"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def drive(url: str, seconds: float) -> int:
    """One wrk round (2 threads, 32 connections); the calls it made."""
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds:g}s", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    return int(next(line.split()[0] for line in out.splitlines() if "requests in" in line))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="the new API stand-in, on loopback")
    parser.add_argument("--row", choices=tuple(ROWS), default="person")
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("needs wrk (apt-get install wrk)")
    port = free_port()
    route, query = ROWS[args.row]
    path = f"{route}?{query}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "KLAVIYO_COMPAT_RATE_BUDGETS": "upstream",  # the default: the stand-in declares no limits
            "KLAVIYO_COMPAT_TRAFFIC_DB": str(Path(tmp) / "traffic.sqlite3"),
        }
        command = [
            sys.executable,
            "-m",
            "proxy.cli",
            "serve",
            "--upstream",
            args.upstream,
            "--port",
            str(port),
        ]
        with subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ) as proc:
            try:
                url = f"http://{LOOPBACK}:{port}"
                for _ in range(100):
                    try:
                        if httpx.get(url + "/_compat/health", timeout=1).status_code == 200:
                            break
                    except httpx.TransportError:
                        time.sleep(0.2)
                done = drive(url + path, 5)
                base = rss_kib(proc.pid)
                print(f"{args.row}: after {done:,} calls (warm-up): RSS {base / 1024:.1f} MiB")
                while done < args.requests:
                    done += drive(url + path, args.seconds)
                    rss = rss_kib(proc.pid)
                    print(
                        f"{args.row}: after {done:,} calls: RSS {rss / 1024:.1f} MiB ({(rss - base) / base * 100:+.1f} %)"
                    )
            finally:
                proc.terminate()
                proc.wait(30)


if __name__ == "__main__":
    main()
