"""The migration plan per caller, rendered for recorded traffic: the CLI (markdown, json,
--caller) and the dashboard's Plan view, generated from the mapping declarations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from mappings.registry import REGISTRY
from mappings.upstream_ops import SPEC_OPERATIONS, SPEC_TAGS
from proxy import Overrides, create_app
from proxy.cli import main
from proxy.traffic.plan import camel, next_mode, sdk_names
from tests.proxy.harness import ADMIN, FakeUpstream, caller_a, caller_b, run_mix, serve, traffic_settings

BEARER = {"Authorization": f"Bearer {ADMIN}"}


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    db = tmp_path / "traffic.sqlite3"
    with serve(
        create_app(traffic_settings(db), overrides=Overrides(transport=FakeUpstream().transport()))
    ) as s:
        run_mix(s.url)
    return db


def _plan(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["plan", *argv])
    return code, capsys.readouterr().out


def test_the_plan_lists_each_callers_operations_with_their_way_out(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _plan(capsys, "--db", str(recorded), "--format", "json")
    assert code == 0
    plan = json.loads(out)
    callers = {c["caller"]: c for c in plan["callers"]}
    assert set(callers) == {caller_a(), caller_b()}
    a, b = callers[caller_a()], callers[caller_b()]
    assert (a["label"], a["user_agent"], a["calls"]) == ("billing-app", "billing/1.4", 6)
    assert [(s["operation"], s["calls"]) for s in a["steps"]] == [("E1", 4), ("B1", 2)]
    e1 = a["steps"][0]
    assert e1["successor"] == "GET /api/profiles/{id}" and e1["successor_id"] == "get_profile"
    assert (e1["python_sdk"], e1["node_sdk"]) == ("klaviyo.Profiles.get_profile", "ProfilesApi.getProfile")
    assert e1["curl"].startswith("curl -X GET 'https://a.klaviyo.com/api/profiles/<id>'")
    assert "Klaviyo-API-Key <private key>" in e1["curl"] and "revision: 2026-07-15" in e1["curl"]
    assert (e1["mode"], e1["next_mode"], e1["fidelity"]) == ("translate", "brownout", "exact"), (
        "a read skips dry-run"
    )
    assert [(s["operation"], s["calls"]) for s in b["steps"]] == [("A1", 4), ("A3", 1)]
    track = b["steps"][0]
    assert (track["python_sdk"], track["node_sdk"]) == (
        "klaviyo.Events.create_event",
        "EventsApi.createEvent",
    )
    assert track["next_mode"] == "dry-run", "a write goes through dry-run first"
    track_op = next(op for op in REGISTRY if op.id == "A1")
    assert track["fidelity"] == "lossy" and track["lost"] == track_op.lost
    assert track["curl"].startswith("curl -X POST 'https://a.klaviyo.com/api/events'")
    assert '--data \'{"data": {"type": "event", "attributes": {}}}\'' in track["curl"]


def test_markdown_and_the_caller_filter(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _plan(capsys, "--db", str(recorded), "--caller", "billing-app")
    assert code == 0
    assert f"## Caller `{caller_a()}` (billing-app)" in out and caller_b() not in out
    assert "### E1 `GET /api/v1/person/{person_id}`: 4 call(s)" in out
    assert 'switch to **brownout** (`[modes] E1 = "brownout"`)' in out
    assert "```sh\ncurl -X GET 'https://a.klaviyo.com/api/profiles/<id>'" in out
    code, out = _plan(capsys, "--db", str(recorded), "--caller", caller_b(), "--format", "json")
    assert code == 0 and [c["caller"] for c in json.loads(out)["callers"]] == [caller_b()]
    code, _ = _plan(capsys, "--db", str(recorded), "--caller", "nobody")
    assert code == 1


def test_the_next_mode_follows_the_configured_mode(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'traffic_db = "{recorded}"\n[modes]\nE1 = {{ mode = "brownout", fraction = 0.1 }}\nA1 = "dry-run"\nB1 = "reject"\n'
    )
    code, out = _plan(capsys, "--config", str(cfg), "--format", "json")
    assert code == 0
    steps = {s["operation"]: s for c in json.loads(out)["callers"] for s in c["steps"]}
    assert steps["E1"]["next_mode"] == "reject" and steps["A1"]["next_mode"] == "brownout"
    assert steps["B1"]["next_mode"] == "" and "remove the call" in steps["B1"]["next_mode_why"]


def test_every_mapping_gets_its_plan_entry_from_its_declaration() -> None:
    for op in REGISTRY:
        successor = op.successor.rsplit("/", 1)[-1]
        python, node = sdk_names(successor, SPEC_TAGS)
        if successor in SPEC_OPERATIONS:
            assert python.endswith("." + successor) and node.endswith("." + camel(successor)), op.id
        else:
            assert (python, node) == ("", ""), op.id
        assert next_mode("translate", op) == ("dry-run" if op.is_write else "brownout")
    assert sdk_names("request_profile_deletion", SPEC_TAGS) == (
        "klaviyo.Data_Privacy.request_profile_deletion",
        "DataPrivacyApi.requestProfileDeletion",
    )


def test_the_dashboard_plan_view(tmp_path: Path) -> None:
    db = tmp_path / "traffic.sqlite3"
    with serve(
        create_app(traffic_settings(db), overrides=Overrides(transport=FakeUpstream().transport()))
    ) as s:
        run_mix(s.url)

        def plan() -> dict[str, Any]:
            got: dict[str, Any] = httpx.get(
                s.url + "/_compat/plan", params={"format": "json"}, headers=BEARER
            ).json()
            return got

        from tests.proxy.harness import wait_for

        wait_for(lambda: len(plan()["callers"]) == 2)
        page = httpx.get(s.url + "/_compat/plan", headers=BEARER)
        dashboard = httpx.get(s.url + "/_compat/", headers=BEARER).text
        only_b = httpx.get(s.url + "/_compat/plan", params={"caller": caller_b()}, headers=BEARER).text
    assert page.status_code == 200 and page.headers["referrer-policy"] == "no-referrer"
    assert f'data-caller="{caller_a()}"' in page.text and f'data-caller="{caller_b()}"' in page.text
    assert 'data-operation="E1"' in page.text and "ProfilesApi.getProfile" in page.text
    assert "<script" not in page.text
    assert 'id="plan-link" href="plan?since=7d"' in dashboard
    assert f'data-caller="{caller_a()}"' not in only_b
