"""deploy/: the example configuration passes ``check``, the Dockerfile is pinned and follows the settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from proxy.settings import load

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
CLI = [sys.executable, "-m", "proxy.cli"]


def _env(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("KLAVIYO_COMPAT_")}, **extra}


def test_check_accepts_the_example_configuration() -> None:
    example = DEPLOY / "klaviyo-compat.example.toml"
    out = subprocess.run(
        [*CLI, "check", "--config", str(example)], capture_output=True, text=True, timeout=60, env=_env()
    )
    assert out.returncode == 0, out.stderr
    lines = {line.split()[0]: line for line in out.stdout.splitlines()}
    assert "'https://a.klaviyo.com'" in lines["upstream"] and f"[file {example}]" in lines["upstream"]
    assert "'2027-01-31'" in lines["sunset"], "the example sets the operator's own Sunset date"


def test_check_masks_secrets_and_names_each_source(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    key = "pk_" + "s3cr3t" * 6
    cfg.write_text(f'upstream = "https://a.klaviyo.com"\n[token_keys]\nAbC123 = "{key}"\n')
    env = _env(KLAVIYO_COMPAT_ADMIN_TOKEN="admin-secret-value", KLAVIYO_COMPAT_PORT="9001")
    out = subprocess.run(
        [*CLI, "check", "--config", str(cfg)], capture_output=True, text=True, timeout=60, env=env
    )
    assert out.returncode == 0, out.stderr
    assert key not in out.stdout and "admin-secret-value" not in out.stdout
    lines = {line.split()[0]: line for line in out.stdout.splitlines()}
    assert "AbC123 = pk_***" in lines["token_keys"]
    assert "*** (set)" in lines["admin_token"] and "[environment]" in lines["admin_token"]
    assert lines["port"].split()[1] == "9001" and "[environment]" in lines["port"]
    assert "[default]" in lines["read_timeout"]


def test_check_refuses_a_broken_configuration_with_exit_2(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('upstream = "https://a.klaviyo.com"\nread_timout = 3\n')
    out = subprocess.run(
        [*CLI, "check", "--config", str(cfg)], capture_output=True, text=True, timeout=60, env=_env()
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "did you mean 'read_timeout'" in out.stderr
    bad_mode = tmp_path / "m.toml"
    bad_mode.write_text('upstream = "https://a.klaviyo.com"\n[modes]\nE1 = "rejekt"\n')
    out = subprocess.run(
        [*CLI, "check", "--config", str(bad_mode)], capture_output=True, text=True, timeout=60, env=_env()
    )
    assert out.returncode == 2 and "rejekt" in out.stderr
    out = subprocess.run([*CLI, "check"], capture_output=True, text=True, timeout=60, env=_env())
    assert out.returncode == 2 and "no upstream" in out.stderr


def test_the_dockerfile_pins_its_base_image_by_digest() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    froms = re.findall(r"^FROM (\S+)", text, re.M)
    assert froms and all(f == "${BASE}" or f.startswith("${BASE}") for f in froms)
    assert re.search(r"^ARG BASE=python:3\.11[\w.-]*-slim[\w-]*@sha256:[0-9a-f]{64}$", text, re.M)


def test_the_dockerfile_settings_are_settings_and_its_health_check_follows_them() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    env_block = re.search(r"^ENV (.*?)(?=^\S)", text, re.M | re.S)
    assert env_block is not None
    pairs = dict(re.findall(r"(KLAVIYO_COMPAT_\w+)=(\S+)", env_block.group(1)))
    settings = load(flags={"upstream": "https://a.klaviyo.com"}, environ=pairs)  # an unknown name raises
    assert 0 < settings.shutdown_timeout < 10, "finite, and inside docker stop's default 10 s"
    assert 'HEALTHCHECK --interval=30s --timeout=3s CMD ["klaviyo-compat", "probe"]' in text
    assert "8080/_compat" not in text


def test_probe_follows_the_configured_port() -> None:
    import time

    import httpx

    from tests.proxy.harness import free_port

    port, idle = free_port(), free_port()
    env = _env(KLAVIYO_COMPAT_TRAFFIC_DB="off", KLAVIYO_COMPAT_PORT=str(port))
    proc = subprocess.Popen(
        [*CLI, "serve", "--sandbox", "--empty"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/_compat/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        probe = subprocess.run([*CLI, "probe"], capture_output=True, text=True, timeout=30, env=env)
        assert probe.returncode == 0, probe.stderr
        elsewhere = _env(KLAVIYO_COMPAT_PORT=str(idle))
        probe = subprocess.run([*CLI, "probe"], capture_output=True, text=True, timeout=30, env=elsewhere)
        assert probe.returncode == 1 and "health check failed" in probe.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=30)
