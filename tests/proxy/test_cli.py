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


def test_routes_lists_every_registered_operation_with_fidelity() -> None:
    out = routes_table()
    for op in REGISTRY:
        assert f"{op.method} {op.path}" in out
        assert op.fidelity.value in out


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
