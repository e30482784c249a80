"""A scripted mix of legacy calls from two callers; ``report`` shows exactly that mix, in every format,
and the history survives a restart of the proxy."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from proxy import Overrides, create_app
from proxy.cli import main
from proxy.traffic.sqlite_store import SqliteStore
from tests.proxy.harness import (
    ADMIN,
    KEY_A,
    FakeUpstream,
    caller_a,
    mix,
    rec,
    run_mix,
    serve,
    traffic_settings,
    wait_for,
)


def _report(capsys: pytest.CaptureFixture[str], db: Path, fmt: str, since: str = "7d") -> str:
    capsys.readouterr()  # drop what the servers logged so far
    assert main(["report", "--db", str(db), "--format", fmt, "--since", since]) == 0
    return capsys.readouterr().out


def _mix(rows: list[dict[str, Any]]) -> list[tuple[str, str | None, str | None, int, int]]:
    return [
        (r["operation"], r["caller"], r["label"] or None, int(r["count"]), int(r["errors"])) for r in rows
    ]


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """Run the scripted mix through a real proxy, stop it (queued records are written on shutdown)."""
    db = tmp_path / "state" / "traffic.sqlite3"
    with serve(
        create_app(traffic_settings(db), overrides=Overrides(transport=FakeUpstream().transport()))
    ) as served:
        run_mix(served.url)
    return db


def test_report_in_every_format_shows_exactly_the_mix(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(_report(capsys, recorded, "json"))
    expected = mix()
    assert _mix(data["rows"]) == expected
    e1 = data["rows"][0]
    assert e1["legacy"] == "GET /api/v1/person/{person_id}" and e1["fidelity"] == "exact"
    assert e1["successor"] == "GET /api/profiles/{id}"
    assert e1["doc"] == "https://developers.klaviyo.com/en/reference/get_profile"
    assert e1["error_rate"] == 0.25 and e1["user_agent"] == "billing/1.4" and e1["mode"] == "translate"
    assert data["rows"][1]["user_agent"] == "shop-frontend/2.1"
    assert data["summary"]["calls"] == 11 and data["summary"]["previous_calls"] == 0
    assert data["summary"]["callers"] == 2 and data["summary"]["operations"] == 4
    assert {d["operation"]: d["count"] for d in data["daily"]} == {"E1": 4, "A1": 4, "B1": 2, "A3": 1}

    rows = list(csv.DictReader(io.StringIO(_report(capsys, recorded, "csv"))))
    assert _mix(rows) == expected
    assert rows[0]["successor"] == "GET /api/profiles/{id}" and rows[0]["first_seen"] == e1["first_seen"]

    table = _report(capsys, recorded, "table").splitlines()
    assert table[0].startswith("Legacy calls in the last 7d: 11 (previous 7d: 0);")
    header, body, note = table[2], table[3:-2], table[-1]
    assert len(body) == 4
    assert note.startswith("No sunset date set: legacy answers carry Sunset 2024-06-30"), (
        "no sunset configured"
    )
    assert "USER-AGENT" in header and "billing/1.4" in body[0] and "shop-frontend/2.1" in body[1]
    calls_end = header.index("CALLS") + len("CALLS")  # numeric columns are right-aligned
    for line, (op, caller, label, calls, _) in zip(body, expected, strict=True):
        assert line.startswith(op + " ") and caller in line and (label or "-") in line
        assert line[:calls_end].endswith(f" {calls}")
        assert line.index("https://") == header.index("DOC")


def test_history_survives_a_restart_and_the_summary_compares_windows(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = json.loads(_report(capsys, recorded, "json"))
    expected, known = mix(), caller_a()
    old = SqliteStore(recorded)  # three calls 8 days ago: last week's window
    old.write([rec(time.time() - 8 * 86400, "B1", known) for _ in range(3)])
    old.close()
    with serve(
        create_app(traffic_settings(recorded), overrides=Overrides(transport=FakeUpstream().transport()))
    ) as served:
        with httpx.Client(base_url=served.url, headers={"X-Compat-Caller": "billing-app"}) as a:
            assert a.get("/api/v1/campaigns", params={"api_key": KEY_A}).status_code == 200
        admin = {"Authorization": f"Bearer {ADMIN}"}

        def served_rows() -> list[dict[str, Any]]:
            rows: list[dict[str, Any]] = httpx.get(
                served.url + "/_compat/report", params={"since": "7d"}, headers=admin
            ).json()["rows"]
            return rows

        wait_for(lambda: sum(r["count"] for r in served_rows()) == 12)
        over_http = httpx.get(served.url + "/_compat/report", params={"since": "7d"}, headers=admin).json()
    after = json.loads(_report(capsys, recorded, "json"))
    assert _mix(after["rows"]) == [expected[0], expected[1], ("B1", known, "billing-app", 3, 0), expected[3]]
    assert after["rows"][0]["first_seen"] == before["rows"][0]["first_seen"]  # the old history is kept
    assert after["summary"]["calls"] == 12 and after["summary"]["previous_calls"] == 3
    assert _report(capsys, recorded, "table").startswith(
        "Legacy calls in the last 7d: 12 (previous 7d: 3, +300%); "
        "4 legacy operation(s) still called by 2 caller(s)."
    )
    assert over_http["rows"] == after["rows"]  # GET /_compat/report serves the same JSON
    assert over_http["summary"] == after["summary"]
    # A longer window takes in last week's calls.
    assert json.loads(_report(capsys, recorded, "json", since="14d"))["summary"]["calls"] == 15


def test_report_errors_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--db", str(tmp_path / "missing.sqlite3")]) == 1
    assert "no traffic record at" in capsys.readouterr().err
    assert main(["report", "--db", str(tmp_path / "x"), "--since", "soon"]) == 2
    assert "--since must be" in capsys.readouterr().err
    cfg = tmp_path / "c.toml"
    cfg.write_text('traffic_db = "off"\n')
    assert main(["report", "--config", str(cfg)]) == 1
    assert "recording is off" in capsys.readouterr().err
