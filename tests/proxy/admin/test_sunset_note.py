"""Without an operator's own ``sunset`` date the dashboard and the report say so clearly
(the header then carries the legacy API's retirement date, already past)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from proxy import Overrides, create_app
from tests.proxy.harness import ADMIN, FakeUpstream, serve, traffic_settings

BEARER = {"Authorization": f"Bearer {ADMIN}"}


@pytest.mark.parametrize(("sunset", "warned"), [("", True), ("2027-01-31", False)])
def test_the_dashboard_warns_while_no_sunset_is_set(tmp_path: Path, sunset: str, warned: bool) -> None:
    settings = replace(traffic_settings(tmp_path / "t.sqlite3"), sunset=sunset)
    with serve(create_app(settings, overrides=Overrides(transport=FakeUpstream().transport()))) as s:
        page = httpx.get(s.url + "/_compat/", headers=BEARER).text
        report = httpx.get(s.url + "/_compat/report", headers=BEARER).json()
        legacy = httpx.get(s.url + "/api/v1/campaigns", params={"api_key": "pk_" + "a1" * 17})
    assert ('id="sunset-unset"' in page) is warned
    assert report["sunset_set"] is not warned
    assert report["sunset"] == (sunset or "2024-06-30")
    assert legacy.headers["sunset"].endswith("2024 00:00:00 GMT" if warned else "2027 00:00:00 GMT")
