import json
import subprocess
import sys

import pytest

from mappings.registry import REGISTRY
from proxy.cli import main, routes_table


def test_serve_refuses_without_upstream_or_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "--upstream" in err and "--sandbox" in err


def test_serve_refuses_both(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--sandbox", "--upstream", "https://a.klaviyo.com"]) == 2


def test_bad_setting_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--upstream", "not-a-url"]) == 2
    assert "upstream must be" in capsys.readouterr().err


def test_routes_lists_every_registered_operation_with_its_own_fidelity() -> None:
    header, *rows = routes_table().splitlines()
    legacy_col, fidelity_col = header.index("LEGACY OPERATION"), header.index("FIDELITY")
    by_id = {row.split(" ", 1)[0]: row for row in rows}
    assert list(by_id) == [op.id for op in REGISTRY], "one row per operation, in registry order"
    for op in REGISTRY:
        row = by_id[op.id]
        assert row[legacy_col:].startswith(f"{op.method} {op.path} "), row
        expected = op.fidelity.value + (f": {op.lost}" if op.lost else "")
        assert row[fidelity_col:] == expected, row
    fidelities = {op.fidelity for op in REGISTRY}
    assert len(fidelities) == 3, "the catalog shows exact, lossy and unsupported rows alike"


def test_routes_json_names_each_operations_fidelity() -> None:
    rows = {row["id"]: row for row in json.loads(routes_table("json"))}
    assert set(rows) == {op.id for op in REGISTRY}
    for op in REGISTRY:
        assert rows[op.id]["legacy"] == f"{op.method} {op.path}"
        assert rows[op.id]["fidelity"].split(":", 1)[0] == op.fidelity.value, op.id


def test_routes_markdown_matches_readme_catalog() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    catalog = readme.split("<!-- catalog:start -->")[1].split("<!-- catalog:end -->")[0].strip()
    assert catalog == routes_table("markdown"), (
        "README catalog is stale: regenerate with `klaviyo-compat routes --format markdown`"
    )


def test_console_script_entry_point_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "proxy.cli", "routes"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and "FIDELITY" in out.stdout


@pytest.mark.parametrize(
    ("host", "url_host"),
    [("127.0.0.1", "127.0.0.1"), ("::1", "[::1]"), ("0.0.0.0", "127.0.0.1"), ("::", "127.0.0.1")],
)
def test_sandbox_links_use_a_reachable_url_host(host: str, url_host: str) -> None:
    from proxy.cli import _url_host

    assert _url_host(host) == url_host


def test_a_busy_admin_port_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("KLAVIYO_COMPAT_ADMIN_PORT", str(port))
        monkeypatch.setenv("KLAVIYO_COMPAT_TRAFFIC_DB", "off")
        assert main(["serve", "--sandbox", "--port", "18298"]) == 2
    err = capsys.readouterr().err
    assert f"admin port {port} is not available" in err
    assert "Traceback" not in err
