"""``serve --sandbox`` seeds a demo account its printed "try" calls answer from, and records demo
traffic apart from the production record; ``--empty`` starts bare."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.proxy.harness import free_port


@contextmanager
def _serve(state: Path, *extra: str) -> Iterator[tuple[str, list[str]]]:
    """A real ``serve --sandbox`` subprocess; yields its banner's base URL and try commands."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLAVIYO_COMPAT_")}
    env.update(XDG_STATE_HOME=str(state), KLAVIYO_COMPAT_ACCESS_LOG="false")
    port = free_port()
    cmd = [sys.executable, "-m", "proxy.cli", "serve", "--sandbox", "--port", str(port), *extra]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        # The banner ends with its try lines: one for an empty account, six for the demo account.
        banner: list[str] = []
        tries = 1 if "--empty" in extra else 6
        while sum(line.startswith("  try:") for line in banner) < tries:
            line = proc.stdout.readline()
            assert line, "serve exited before printing its banner"
            banner.append(line)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/_compat/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield "".join(banner), re.findall(r"try: curl '([^']+)'", "".join(banner))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_every_try_call_of_the_banner_answers_with_demo_data(tmp_path: Path) -> None:
    with _serve(tmp_path) as (banner, urls):
        assert "demo account" in banner
        assert len(urls) >= 5
        answers = {url.split("?")[0].split("/api/", 1)[1]: httpx.get(url, timeout=10) for url in urls}
    for path, answer in answers.items():
        assert answer.status_code == 200, (path, answer.text)
    body = {path: answer.json() for path, answer in answers.items()}
    assert [row["list_name"] for row in body["v2/lists"]] == ["Newsletter"]
    members = next(v for k, v in body.items() if k.startswith("v2/group/"))
    assert sorted(m["email"] for m in members["records"]) == [
        "ada@example.com",
        "alan@example.com",
        "grace@example.com",
    ]
    person = next(v for k, v in body.items() if k.startswith("v1/person/"))
    assert person["$email"] == "ada@example.com" and person["$first_name"] == "Ada"
    assert [m["name"] for m in body["v1/metrics"]["data"]] == ["Placed Order"]
    assert [c["name"] for c in body["v1/campaigns"]["data"]] == ["Spring sale"]
    assert [t["name"] for t in body["v1/email-templates"]["data"]] == ["Spring newsletter"]


def test_demo_traffic_goes_to_its_own_record(tmp_path: Path) -> None:
    with _serve(tmp_path) as (banner, urls):
        httpx.get(urls[0], timeout=10)
    record = tmp_path / "klaviyo-compat" / "sandbox-traffic.sqlite3"
    assert f"traffic record:   {record}" in banner
    assert record.is_file()
    assert not (tmp_path / "klaviyo-compat" / "traffic.sqlite3").exists(), (
        "the production default stays untouched"
    )


def test_empty_starts_bare(tmp_path: Path) -> None:
    with _serve(tmp_path, "--empty") as (banner, urls):
        assert "empty account" in banner
        assert len(urls) == 1
        answer = httpx.get(urls[0], timeout=10)
    assert answer.status_code == 200
    assert answer.json() == [], "no demo list in an empty account"
