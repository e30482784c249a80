"""The dashboard in headless Chromium (Debian's ``chromium``): the rendered tables and SVG chart
show the recorded traffic; a screenshot is saved as ``test-artifacts/dashboard.png``.

Skipped when chromium is absent, unless ``KLAVIYO_COMPAT_REQUIRE_CHROMIUM=1`` (CI sets it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from proxy import Overrides, create_app
from tests.proxy.harness import (
    ADMIN,
    REPO,
    FakeUpstream,
    caller_a,
    caller_b,
    run_mix,
    serve,
    traffic_settings,
    wait_for,
)

ARTIFACTS = REPO / "test-artifacts"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        if os.environ.get("KLAVIYO_COMPAT_REQUIRE_CHROMIUM") == "1":
            pytest.fail("KLAVIYO_COMPAT_REQUIRE_CHROMIUM=1 but chromium is not installed")
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; .ci/run installs it)")
    return path


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [binary, *FLAGS, f"--user-data-dir={profile}", "--window-size=1280,1600", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


class Dom(HTMLParser):
    """Table cells by table id, and the chart's bar segments."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.bars: list[dict[str, str]] = []
        self.text: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self._table = a.get("id")
            self.tables[self._table or ""] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "rect" and a.get("class") == "bar":
            self.bars.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def test_dashboard_renders_the_recorded_traffic_in_chromium(tmp_path: Path) -> None:
    binary = chromium()
    db = tmp_path / "traffic.sqlite3"
    first_day = datetime.now(UTC).date().isoformat()  # before the traffic: a run may cross midnight
    with serve(
        create_app(traffic_settings(db), overrides=Overrides(transport=FakeUpstream().transport()))
    ) as served:
        run_mix(served.url)
        url = f"{served.url}/_compat/?token={ADMIN}&since=7d"  # a sign-in link: redirected, then a cookie
        bearer = {"Authorization": f"Bearer {ADMIN}"}
        page = f"{served.url}/_compat/?since=7d"
        wait_for(lambda: "Legacy calls in the last 7d: 11 " in httpx.get(page, headers=bearer).text)
        raw = httpx.get(page, headers=bearer).text
        dumped = run_chromium(binary, tmp_path / "profile-dom", "--dump-dom", url)
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "dashboard.png"
        shot.unlink(missing_ok=True)
        started = time.time()
        run_chromium(binary, tmp_path / "profile-shot", f"--screenshot={shot}", url)
        plan_url = f"{served.url}/_compat/plan?token={ADMIN}&since=7d"
        plan_dom = run_chromium(binary, tmp_path / "profile-plan", "--dump-dom", plan_url)
    assert ADMIN not in raw and ADMIN not in dumped.stdout, "the token is in no link of the page"
    # Self-contained: no script, no external stylesheet, image or font; works offline.
    assert "<script" not in raw and "<link" not in raw and " src=" not in raw and "@import" not in raw
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    dom = Dom()
    dom.feed(dumped.stdout)
    assert (
        "Legacy calls in the last 7d: 11 (previous 7d: 0); 4 legacy operation(s) still called by 2 caller(s)."
        in (" ".join("".join(dom.text).split()))
    )
    routes = {row[0]: row for row in dom.tables["routes"][1:]}
    assert {op: (row[3], row[4]) for op, row in routes.items()} == {
        "E1": ("4", "1"),
        "A1": ("4", "1"),
        "B1": ("2", "1"),
        "A3": ("1", "1"),
    }
    assert routes["E1"][1] == "GET /api/v1/person/{person_id}" and routes["E1"][5] == "25.0%"
    assert "GET /api/profiles/{id}" in routes["E1"][8] and "reference/get_profile" in routes["E1"][8]
    callers = dom.tables["callers"][1:]
    assert {(row[0], row[1], row[3], row[4]) for row in callers} == {
        (caller_a(), "billing-app", "E1", "4"),
        (caller_b(), "-", "A1", "4"),
        (caller_a(), "billing-app", "B1", "2"),
        (caller_b(), "-", "A3", "1"),
    }
    modes = {row[0]: row[2] for row in dom.tables["modes"][1:]}
    assert modes["E1"] == "translate" and len(modes) > 4
    days = {first_day, datetime.now(UTC).date().isoformat()}  # one day, or two across midnight
    assert {b["data-day"] for b in dom.bars} <= days
    per_operation: dict[str, int] = {}
    for bar in dom.bars:
        per_operation[bar["data-operation"]] = per_operation.get(bar["data-operation"], 0) + int(
            bar["data-count"]
        )
    assert per_operation == {"E1": 4, "A1": 4, "B1": 2, "A3": 1}
    if len(days) == 1:
        assert len(dom.bars) == 4
    assert plan_dom.returncode == 0, plan_dom.stderr[-2000:]
    assert (
        f'data-caller="{caller_a()}"' in plan_dom.stdout and f'data-caller="{caller_b()}"' in plan_dom.stdout
    )
    assert "ProfilesApi.getProfile" in plan_dom.stdout and ADMIN not in plan_dom.stdout
    assert shot.is_file() and shot.stat().st_mtime >= started - 1
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
