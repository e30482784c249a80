"""Operator mistakes on the command line: one clear line and exit 2, never a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from proxy import Overrides, create_app
from proxy.cli import main
from tests.proxy.harness import KEY_A, TOKEN, FakeUpstream, run_mix, serve, traffic_settings

CLI = [sys.executable, "-m", "proxy.cli"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLAVIYO_COMPAT_")}
    return {**env, "KLAVIYO_COMPAT_TRAFFIC_DB": "off", **extra}


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("KLAVIYO_COMPAT_")}


def test_a_busy_main_port_is_one_clear_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = subprocess.run(
            [*CLI, "serve", "--sandbox", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            env=_env(),
        )
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"klaviyo-compat: port {port} on 127.0.0.1 is not available (Address already in use)."
    ]
    assert "legacy base URL" not in out.stdout, "no banner advertises a URL that is not served"


def test_an_unknown_log_level_is_refused_by_the_parser_and_listed_in_help() -> None:
    out = subprocess.run(
        [*CLI, "serve", "--sandbox", "--log-level", "verbose"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "invalid choice: 'verbose'" in out.stderr
    help_text = subprocess.run([*CLI, "serve", "--help"], capture_output=True, text=True, timeout=60).stdout
    assert "{debug,info,warning,error,critical}" in help_text


def test_a_misspelled_variable_stops_serve_naming_the_setting_meant() -> None:
    out = subprocess.run(
        [*CLI, "serve", "--sandbox"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(KLAVIYO_COMPAT_SANDBOKS="1"),
    )
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "klaviyo-compat: environment: KLAVIYO_COMPAT_SANDBOKS is not a setting "
        "(did you mean KLAVIYO_COMPAT_SANDBOX?)"
    )


def test_version() -> None:
    out = subprocess.run([*CLI, "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("klaviyo-compat 0.")


def test_a_reader_that_goes_away_is_not_a_traceback() -> None:
    proc = subprocess.Popen([*CLI, "routes"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head` exiting before the command writes
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_whois_prints_the_hash_the_report_shows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "traffic.sqlite3"
    with serve(
        create_app(traffic_settings(db), overrides=Overrides(transport=FakeUpstream().transport()))
    ) as s:
        run_mix(s.url)
    capsys.readouterr()
    assert main(["report", "--db", str(db), "--format", "json"]) == 0
    callers = {row["caller"] for row in json.loads(capsys.readouterr().out)["rows"]}
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'traffic_db = "{db}"\n')
    for key in (KEY_A, TOKEN):
        out = subprocess.run(
            [*CLI, "whois", "--config", str(cfg), key],
            capture_output=True,
            text=True,
            timeout=60,
            env=_clean_env(),
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.split()[0] in callers
    from_stdin = subprocess.run(
        [*CLI, "whois", "--config", str(cfg), "-"],
        input=KEY_A + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=_clean_env(),
    )
    assert from_stdin.returncode == 0 and from_stdin.stdout.split()[0] in callers, "the key kept out of argv"
    by_label = subprocess.run(
        [*CLI, "whois", "--config", str(cfg), "billing-app"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_clean_env(),
    )
    assert by_label.returncode == 0, by_label.stderr
    assert (
        by_label.stdout.split()[0]
        == subprocess.run(
            [*CLI, "whois", "--config", str(cfg), KEY_A],
            capture_output=True,
            text=True,
            timeout=60,
            env=_clean_env(),
        ).stdout.split()[0]
    )
    unknown = subprocess.run(
        [*CLI, "whois", "--config", str(cfg), "nope nope"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_clean_env(),
    )
    assert unknown.returncode == 1 and "no caller recorded with label 'nope nope'" in unknown.stderr


def test_a_certificate_and_a_key_that_do_not_match_are_one_line(tmp_path: Path) -> None:
    assert (
        subprocess.run([*CLI, "cert", "--out", str(tmp_path)], capture_output=True, timeout=60).returncode
        == 0
    )
    cmd = [
        *CLI,
        "serve",
        "--sandbox",
        "--tls-cert",
        str(tmp_path / "server.pem"),
        "--tls-key",
        str(tmp_path / "ca.key"),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=_env())
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.startswith("klaviyo-compat: --tls-cert/--tls-key cannot be used together")
    alone = subprocess.run(
        [*CLI, "serve", "--sandbox", "--tls-cert", str(tmp_path / "server.pem")],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
    )
    assert alone.returncode == 2 and "tls_cert and tls_key go together" in alone.stderr


def test_empty_without_sandbox_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--upstream", "https://a.klaviyo.com", "--empty"]) == 2
    assert "--empty empties the demo account of --sandbox" in capsys.readouterr().err


def test_report_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    import time

    from proxy.traffic.sqlite_store import SqliteStore
    from tests.proxy.harness import rec

    db = tmp_path / "t.sqlite3"
    store = SqliteStore(db)
    now = time.time()
    store.write([rec(now - i, "E1", f"key#{i:012d}", user_agent="x" * 150) for i in range(3000)])
    store.close()
    proc = subprocess.Popen(
        [*CLI, "report", "--db", str(db), "--max-callers", "3000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_clean_env(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"Legacy calls in the last 7d: 3,000")  # `| head -1`
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141 and err == ""
