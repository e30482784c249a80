"""``routes`` and ``report`` tables fit a terminal (long cells cut with "…"); markdown/json keep everything."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from mappings.registry import REGISTRY
from proxy import Overrides, create_app
from proxy.cli import main
from proxy.traffic.text_table import fitted_widths, render
from tests.proxy.harness import ADMIN, FakeUpstream, run_mix, serve, traffic_settings


def _out(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("width", [80, 120])
def test_routes_fits_the_width_and_keeps_ids_and_modes_whole(
    capsys: pytest.CaptureFixture[str], width: int
) -> None:
    lines = _out(capsys, "routes", "--width", str(width)).splitlines()
    assert max(len(line) for line in lines) <= width
    assert any(line.endswith("…") for line in lines), "something had to be cut"
    assert [line.split()[0] for line in lines[1:]] == [op.id for op in REGISTRY]
    assert all(" translate " in line for line in lines[1:])


def test_routes_unlimited_markdown_and_json_keep_every_fidelity_note(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lossy = [op for op in REGISTRY if op.lost]
    full = _out(capsys, "routes", "--width", "0")
    markdown = _out(capsys, "routes", "--format", "markdown")
    rows = {r["id"]: r for r in json.loads(_out(capsys, "routes", "--format", "json"))}
    for op in lossy:
        assert op.lost is not None
        assert op.lost in full and op.lost in markdown and op.lost in rows[op.id]["fidelity"]


def test_report_fits_the_width_markdown_keeps_the_user_agent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "t.sqlite3"
    with serve(
        create_app(traffic_settings(db), overrides=Overrides(transport=FakeUpstream().transport()))
    ) as s:
        run_mix(s.url)
        httpx.get(s.url + "/_compat/report", headers={"Authorization": f"Bearer {ADMIN}"})
    table = _out(capsys, "report", "--db", str(db), "--width", "100").splitlines()
    header = next(line for line in table if line.startswith("OP "))
    body = [line for line in table if line.startswith(("E1 ", "A1 ", "B1 ", "A3 "))]
    assert len(body) == 4 and max(len(line) for line in [header, *body]) <= 100
    assert "LAST SEEN" in header and "FIRST SEEN" not in header, "a low-priority column gives way"
    markdown = _out(capsys, "report", "--db", str(db), "--format", "markdown")
    assert "| USER-AGENT |" in markdown and "billing/1.4" in markdown
    assert "https://developers.klaviyo.com/en/reference/get_profile" in markdown


def test_fitting_narrows_the_widest_shrinkable_column_first() -> None:
    assert fitted_widths([2, 30, 10], shrinkable={1, 2}, width=30) == [2, 14, 10]
    assert fitted_widths([2, 30, 10], shrinkable=(), width=30) == [2, 30, 10], "nothing shrinkable: unchanged"
    assert render([("A", "B"), ("x", "y" * 20)], shrinkable={1}, width=10).splitlines()[1] == "x  yyyyyy…"
