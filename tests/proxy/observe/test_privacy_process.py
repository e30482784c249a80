"""The real command (``klaviyo-compat serve --sandbox``) in its own process: SIGHUP reloads the modes,
and no key, token, e-mail address or phone number reaches the store, the report, the metrics,
the dashboard or the logs, whatever the callers send."""

from __future__ import annotations

import base64
import json
import secrets
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from proxy.cli import main
from tests.proxy.harness import REPO, free_port, wait_for

KEY = "pk_" + secrets.token_hex(17)
TOKEN = "QzW9Xy"  # a 6-character public key; no hexadecimal fingerprint can contain it
ADMIN = "adm-" + secrets.token_hex(16)
EMAILS = ("alice.private@example.com", "bob.private@example.org", "carol.private@example.net")
PHONES = ("+15555550123", "+15555550188")
REVISION = {"revision": "2026-07-15"}


def config(db: Path, modes: str) -> str:
    return (
        f'traffic_db = "{db}"\ntraffic_flush_ms = 20\nadmin_token = "{ADMIN}"\n'
        f'config_poll_seconds = 0\nlog_level = "debug"\nsunset = "2027-01-31"\n[modes]\n{modes}'
    )


@dataclass
class Proc:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    cfg: Path
    db: Path


@pytest.fixture
def proxy_process(tmp_path: Path) -> Iterator[Proc]:
    db, cfg, log = tmp_path / "traffic.sqlite3", tmp_path / "compat.toml", tmp_path / "proxy.log"
    cfg.write_text(config(db, 'default = "translate"\n'))
    port = free_port()
    cmd = [sys.executable, "-m", "proxy.cli", "serve", "--sandbox", "--config", str(cfg), "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError(log.read_text())
        try:
            return httpx.get(url + "/_compat/health").status_code == 200
        except httpx.ConnectError:
            return False

    try:
        wait_for(up, timeout=30)
        yield Proc(url, process, log, cfg, db)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def b64(payload: object) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


def traffic(url: str) -> None:
    """Every way a secret or personal value can arrive: key in query, header and body, token and
    identifiers in payloads, an e-mail in the caller label and in the User-Agent, an unmapped path."""
    ua = {"User-Agent": f"legacy-app/1.0 ({EMAILS[2]}; {KEY})", "X-Compat-Caller": f"ops {EMAILS[2]}"}
    with httpx.Client(base_url=url, headers=ua, timeout=10) as c:
        new_api = {"Authorization": f"Klaviyo-API-Key {KEY}", **REVISION}
        created = c.post(
            "/api/profiles",
            headers=new_api,
            json={"data": {"type": "profile", "attributes": {"email": EMAILS[0], "phone_number": PHONES[0]}}},
        )
        assert created.status_code == 201, created.text
        pid = created.json()["data"]["id"]
        lst = c.post(
            "/api/lists", headers=new_api, json={"data": {"type": "list", "attributes": {"name": "N"}}}
        )
        list_id = lst.json()["data"]["id"]
        assert c.get(f"/api/v1/person/{pid}", params={"api_key": KEY}).json()["$email"] == EMAILS[0]
        assert c.get(f"/api/v1/person/{pid}", headers={"api-key": KEY}).status_code == 200
        r = c.put(
            f"/api/v1/person/{pid}", data={"api_key": KEY, "$email": EMAILS[1], "$phone_number": PHONES[1]}
        )
        assert r.status_code == 200, r.text
        track = {
            "token": TOKEN,
            "event": "Ordered",
            "customer_properties": {"$email": EMAILS[0], "$phone_number": PHONES[0]},
        }
        assert c.get("/api/track", params={"data": b64(track)}).text == "1"
        assert c.post("/api/track", data={"data": json.dumps(track)}).text == "1"
        identify = {"token": TOKEN, "properties": {"$email": EMAILS[1], "$phone_number": PHONES[1]}}
        assert c.get("/api/identify", params={"data": b64(identify)}).text == "1"
        subscribe = {
            "api_key": KEY,
            "profiles": [{"email": EMAILS[2], "phone_number": PHONES[1], "sms_consent": True}],
        }
        assert c.post(f"/api/v2/list/{list_id}/subscribe", json=subscribe).status_code == 200
        c.get(f"/api/v2/people/search?email={EMAILS[0]}&api_key={KEY}")
        c.get(f"/api/v1/unknown/{EMAILS[0]}/{PHONES[0]}", params={"api_key": KEY})
        c.request(
            "GET",
            "/api/v1/person/x",
            params={"api_key": KEY},
            headers={"content-type": "application/json"},
            content=b"{bad",
        )


def test_sighup_reload_and_no_secret_or_personal_data_anywhere(
    proxy_process: Proc, capsys: pytest.CaptureFixture[str]
) -> None:
    p = proxy_process
    traffic(p.url)
    # SIGHUP: E1 rejected, everything else dry-run (polling is off, so only the signal can do it).
    p.cfg.write_text(config(p.db, 'default = "dry-run"\nE1 = "reject"\n'))
    p.process.send_signal(signal.SIGHUP)
    wait_for(lambda: httpx.get(p.url + "/api/v1/person/x", params={"api_key": KEY}).status_code == 410)
    traffic_after_reload = httpx.Client(base_url=p.url, timeout=10)
    with traffic_after_reload as c:  # dry-run writes: logged at debug with their (redacted) bodies
        subscribe = {"api_key": KEY, "profiles": [{"email": EMAILS[0], "phone_number": PHONES[0]}]}
        c.post("/api/v2/list/Xy12Ab/subscribe", json=subscribe)
        track = {"token": TOKEN, "event": "Ordered", "customer_properties": {"$email": EMAILS[1]}}
        assert c.get("/api/track", params={"data": b64(track)}).text == "1"
    admin = {"Authorization": f"Bearer {ADMIN}"}
    wait_for(lambda: httpx.get(p.url + "/_compat/report", headers=admin).json()["summary"]["calls"] >= 13)
    metrics = httpx.get(p.url + "/metrics", headers=admin).text
    report_http = httpx.get(p.url + "/_compat/report", headers=admin).text
    dashboard = httpx.get(p.url + "/_compat/", headers=admin).text
    p.process.send_signal(signal.SIGTERM)
    assert p.process.wait(20) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once shut down
    logs = p.log.read_text()
    assert "Application shutdown complete" in logs
    reports = []
    for fmt in ("table", "csv", "json"):
        capsys.readouterr()
        assert main(["report", "--config", str(p.cfg), "--format", fmt]) == 0
        reports.append(capsys.readouterr().out)
    with sqlite3.connect(p.db) as db:
        store_dump = "\n".join(db.iterdump())
        recorded_calls = db.execute("SELECT SUM(calls) FROM legacy_calls").fetchone()[0]

    # Not vacuous: each artifact carries what it should.
    assert '"trigger":"SIGHUP"' in logs and '"event":"modes.reloaded"' in logs
    assert '"event":"dry_run.not_sent"' in logs and '"event":"access"' in logs
    assert 'INSERT INTO "legacy_calls"' in store_dump and recorded_calls >= 13  # alike calls share a row
    assert "key#" in reports[0] and "token#" in reports[0] and "E1" in reports[1] and "F6" in reports[2]
    assert 'operation="E1"' in metrics and "reject" in report_http and "<svg" in dashboard

    secrets_ = {"private key": KEY, "public token": TOKEN, "admin token": ADMIN}
    secrets_ |= {f"email {e}": e for e in EMAILS} | {f"phone {ph}": ph for ph in PHONES}
    secrets_ |= {f"phone digits {ph}": ph[1:] for ph in PHONES}
    artifacts = {
        "store": store_dump,
        "logs": logs,
        "metrics": metrics,
        "report (HTTP)": report_http,
        "dashboard": dashboard,
        "report table": reports[0],
        "report csv": reports[1],
        "report json": reports[2],
    }
    leaks = [
        f"{what} in {where}"
        for where, text in artifacts.items()
        for what, value in secrets_.items()
        if value.lower() in text.lower()
    ]
    assert not leaks, leaks
