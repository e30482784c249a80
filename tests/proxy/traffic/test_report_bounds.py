"""The report stays bounded and safe whatever callers send: junk keys are one caller, caller rows
are capped (the rest folded per operation, totals exact), CSV cells never run as formulas, the
window is capped, and calls to unmapped paths are counted on a line of their own."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import httpx
import pytest

from mappings.registry import REGISTRY
from mappings.upstream_ops import SPEC_OPERATIONS
from proxy import Overrides, create_app
from proxy.admin.dashboard import render_dashboard
from proxy.cli import main
from proxy.observe.callers import INVALID_KEY, INVALID_TOKEN
from proxy.policy.modes import ModeTable
from proxy.traffic.record import UNMAPPED
from proxy.traffic.report import MAX_WINDOW_DAYS, Report, build_report, parse_since
from proxy.traffic.report_format import as_csv, as_table
from proxy.traffic.sqlite_store import SqliteStore
from tests.proxy.harness import (
    ADMIN,
    DAY,
    KEY_A,
    PROFILE_ID,
    T0,
    FakeUpstream,
    rec,
    serve,
    track_query,
    traffic_settings,
    wait_for,
)


def _report(store: SqliteStore, max_callers: int = 50) -> Report:
    return build_report(
        store,
        window_seconds=7 * DAY,
        window="7d",
        now=T0 + DAY,
        operations=REGISTRY,
        spec=SPEC_OPERATIONS,
        modes=ModeTable(),
        max_callers=max_callers,
    )


def test_csv_cells_that_a_spreadsheet_would_run_are_made_text(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "t.sqlite3")
    evil = ['=HYPERLINK("http://x.test")', "+SUM(1,2)", "-2+3", "@cmd", "\tx", "\rx"]
    store.write([rec(T0 + i, caller=f"key#{i}", user_agent=ua, label=ua) for i, ua in enumerate(evil)])
    store.write([rec(T0 + 10, caller="key#plain", user_agent="app/1.0 (=fine inside)", label="ok")])
    rows = list(csv.DictReader(io.StringIO(as_csv(_report(store)), newline="")))
    by_caller = {r["caller"]: r for r in rows}
    for i, value in enumerate(evil):
        assert by_caller[f"key#{i}"]["user_agent"] == "'" + value
        assert by_caller[f"key#{i}"]["label"] == "'" + value
    assert by_caller["key#plain"]["user_agent"] == "app/1.0 (=fine inside)"
    assert by_caller["key#plain"]["count"] == "1" and by_caller["key#plain"]["error_rate"] == "0.0"


def test_caller_rows_are_capped_and_the_rest_folded_per_operation_with_exact_totals(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "t.sqlite3")
    records = [rec(T0 + i, "E1", f"key#{i:03d}", client=f"ip#{i}") for i in range(80)]
    records += [rec(T0 + 100 + i, "E1", "key#big") for i in range(5)]  # the biggest caller
    records += [rec(T0 + 200 + i, "A1", f"token#{i}", status=400, failed=True) for i in range(30)]
    store.write(records)
    report = _report(store, max_callers=10)
    assert len(report.rows) == 12  # the top 10 callers, then one "other" row per operation
    assert report.rows[0].caller == "key#big" and report.rows[0].count == 5
    other = {r.operation: r for r in report.rows if r.caller == "other"}
    assert set(other) == {"E1", "A1"}
    assert sum(r.count for r in report.rows if r.operation == "E1") == 85
    assert sum(r.count for r in report.rows if r.operation == "A1") == 30
    assert sum(r.callers for r in report.rows if r.operation == "E1") == 81
    assert other["A1"].error_rate == 1.0 and other["A1"].user_agent is None
    assert report.callers == 111 and report.operations == 2  # counted before folding
    assert "other (" in as_table(report)
    html = render_dashboard(report, "report")
    assert "(81 callers)" not in html and " callers)" in html
    assert len(_report(store).rows) == 50 + 1  # the default, 50: the tail is E1 callers only


def test_junk_keys_and_tokens_are_one_caller_each(tmp_path: Path) -> None:
    db = tmp_path / "traffic.sqlite3"
    with serve(
        create_app(traffic_settings(db), overrides=Overrides(transport=FakeUpstream().transport()))
    ) as s:
        for i in range(6):
            httpx.get(s.url + f"/api/v1/person/{PROFILE_ID}", params={"api_key": f"pk_junk{i}"})
            httpx.get(s.url + "/api/track", params=track_query(token=f"not-a-token-{i}"))
            httpx.get(s.url + f"/api/v1/nothing/{i}", params={"api_key": f"pk_junk{i}"})
        assert httpx.get(s.url + f"/api/v1/person/{PROFILE_ID}", params={"api_key": KEY_A}).status_code == 200
        admin = {"Authorization": f"Bearer {ADMIN}"}
        wait_for(lambda: httpx.get(s.url + "/_compat/report", headers=admin).json()["summary"]["calls"] == 19)
        data = httpx.get(s.url + "/_compat/report", headers=admin).json()
    callers = {(r["operation"], r["caller"]): r["count"] for r in data["rows"]}
    assert callers[("E1", INVALID_KEY)] == 6 and callers[("A1", INVALID_TOKEN)] == 6
    assert callers[(UNMAPPED, INVALID_KEY)] == 6
    assert len([c for op, c in callers if op == "E1"]) == 2  # the junk and the real key


def test_unmapped_calls_are_their_own_summary_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "t.sqlite3"
    store = SqliteStore(db)
    store.write([rec(T0, "E1", "key#a"), rec(T0 + 1, UNMAPPED, "key#a"), rec(T0 + 2, UNMAPPED, "key#b")])
    report = _report(store)
    assert report.summary().endswith("1 legacy operation(s) still called by 1 caller(s).")
    assert report.unmapped_summary() == (
        "Unmapped legacy paths: 2 call(s) by 2 caller(s) (no legacy operation matches them; see the migration guide)."
    )
    lines = as_table(report).splitlines()
    assert lines[0].startswith("Legacy calls in the last 7d: 3 ") and lines[1].startswith(
        "Unmapped legacy paths: 2"
    )
    summary = report.to_json()["summary"]
    assert (summary["operations"], summary["unmapped_calls"], summary["unmapped_callers"]) == (1, 2, 2)
    assert 'id="unmapped"' in render_dashboard(report, "report")
    store.write([rec(T0 + 3, "E1", "key#a")])
    assert _report(store).unmapped_calls == 2
    only_mapped = SqliteStore(tmp_path / "m.sqlite3")
    only_mapped.write([rec(T0)])
    assert _report(only_mapped).unmapped_summary() is None


@pytest.mark.parametrize("since", ["700000d", "3651d", "522w", "9" * 400 + "d", "87601h"])
def test_a_window_beyond_ten_years_is_a_clear_error(
    since: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError, match=f"at most {MAX_WINDOW_DAYS}d"):
        parse_since(since)
    db = tmp_path / "t.sqlite3"
    SqliteStore(db).close()
    assert main(["report", "--db", str(db), "--since", since]) == 2
    err = capsys.readouterr().err
    assert "at most 3650d" in err and "Traceback" not in err
    with serve(
        create_app(
            traffic_settings(tmp_path / "a.sqlite3"),
            overrides=Overrides(transport=FakeUpstream().transport()),
        )
    ) as s:
        bearer = {"Authorization": f"Bearer {ADMIN}"}
        for path in ("/_compat/", "/_compat/report"):
            r = httpx.get(s.url + path, params={"since": since}, headers=bearer)
            assert r.status_code == 400 and "at most 3650d" in r.json()["detail"], path
        assert httpx.get(s.url + "/_compat/", params={"since": "3650d"}, headers=bearer).status_code == 200


def test_the_cli_caps_caller_rows_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "t.sqlite3"
    store = SqliteStore(db)
    now = time.time()
    store.write([rec(now - 60 - i, "E1", f"key#{i:02d}") for i in range(20)])
    store.close()
    capsys.readouterr()
    assert main(["report", "--db", str(db), "--format", "json", "--max-callers", "5"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert len(rows) == 6 and rows[-1]["caller"] == "other" and rows[-1]["callers"] == 15
