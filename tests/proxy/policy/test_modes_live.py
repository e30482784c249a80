"""Each mode over a real socket; hot reload during traffic; a bad config refused, old modes kept."""

from __future__ import annotations

import contextlib
import json
import random
import threading
from calendar import timegm
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from proxy import Overrides, create_app
from proxy.cli import main
from proxy.settings import Settings, load
from tests.proxy.harness import (
    EMAIL,
    KEY_A,
    PROFILE_ID,
    FakeUpstream,
    serve,
    track_query,
    wait_for,
    write_atomically,
)

E1 = f"/api/v1/person/{PROFILE_ID}"
SUCCESSOR_DOC = "https://developers.klaviyo.com/en/reference/get_profile"


@pytest.fixture
def upstream() -> FakeUpstream:
    return FakeUpstream()


def _settings(tmp_path: Path, config: str) -> tuple[Settings, Path]:
    path = tmp_path / "compat.toml"
    path.write_text(config)
    return replace(load(config=path, environ={}), traffic_db="off", access_log=False), path


Start = Callable[..., tuple[str, Path]]


@pytest.fixture
def proxy_for(tmp_path: Path, upstream: FakeUpstream) -> Iterator[Start]:
    """``proxy_for(config_text, **overrides)`` -> (base URL, config path); polls every 50 ms."""
    with contextlib.ExitStack() as stack:

        def start(config: str, **kwargs: Any) -> tuple[str, Path]:
            settings, path = _settings(tmp_path, config)
            settings = replace(settings, config_poll_seconds=0.05)
            app = create_app(
                settings, overrides=Overrides(transport=upstream.transport(), config_path=path, **kwargs)
            )
            return stack.enter_context(serve(app)).url, path

        yield start


def test_translate_answers_with_deprecation_sunset_and_successor_link(
    proxy_for: Start, upstream: FakeUpstream
) -> None:
    url, _ = proxy_for('sunset = "2027-01-31"\n[modes]\ndefault = "translate"\n')
    r = httpx.get(url + E1, params={"api_key": KEY_A})
    assert r.status_code == 200 and r.json()["$email"] == EMAIL
    assert r.headers["Deprecation"] == "@1719705600"  # 2024-06-30T00:00:00Z, RFC 9745
    assert timegm((2024, 6, 30, 0, 0, 0)) == 1719705600
    assert r.headers["Sunset"] == "Sun, 31 Jan 2027 00:00:00 GMT"
    assert r.headers["Link"] == f'<{SUCCESSOR_DOC}>; rel="successor-version"'
    assert upstream.seen() == [("GET", f"/api/profiles/{PROFILE_ID}")]
    # Error answers are legacy answers too.
    r = httpx.get(url + E1)
    assert r.status_code == 403 and r.headers["Deprecation"] == "@1719705600"


def test_sunset_defaults_to_the_retirement_date(proxy_for: Start) -> None:
    url, _ = proxy_for("")
    r = httpx.get(url + E1, params={"api_key": KEY_A})
    assert r.headers["Sunset"] == "Sun, 30 Jun 2024 00:00:00 GMT"


def test_reject_is_a_legacy_410_naming_the_successor_without_calling_upstream(
    proxy_for: Start, upstream: FakeUpstream
) -> None:
    url, _ = proxy_for('[modes]\nE1 = "reject"\nsubscribe = "reject"\ntrack_get = "reject"\n')
    r = httpx.get(url + E1, params={"api_key": KEY_A})
    assert r.status_code == 410
    body = r.json()
    assert body["status"] == 410  # v1 shape {"status", "message"}
    assert "GET /api/profiles/{id}" in body["message"] and SUCCESSOR_DOC in body["message"]
    assert r.headers["Link"] == f'<{SUCCESSOR_DOC}>; rel="successor-version"'
    # v2 shape {"detail"}; keyed by the generated-SDK name.
    r = httpx.post(
        url + "/api/v2/list/Ab12Cd/subscribe", json={"api_key": KEY_A, "profiles": [{"email": EMAIL}]}
    )
    assert r.status_code == 410 and "bulk_subscribe_profiles" in r.json()["detail"]
    # track/identify legacy answers are 1/0: a retirement is a real 410 with the message as text.
    r = httpx.get(url + "/api/track", params=track_query())
    assert r.status_code == 410 and "POST /api/events" in r.text
    assert r.headers["access-control-allow-origin"] == "*"
    # Reject needs no valid key and no parseable request.
    assert httpx.get(url + E1).status_code == 410
    assert upstream.seen() == []
    # Other routes still translate.
    assert httpx.get(url + "/api/v1/campaigns", params={"api_key": KEY_A}).status_code == 200


def test_dry_run_serves_reads_and_logs_writes_without_sending_them(
    proxy_for: Start, upstream: FakeUpstream
) -> None:
    url, _ = proxy_for('[modes]\ndefault = "dry-run"\n')
    with capture_logs() as logs:
        r = httpx.put(url + E1, params={"api_key": KEY_A, "$first_name": "Bob", "plan": "gold"})
        assert r.status_code == 200
        person = r.json()
        assert person["id"] == PROFILE_ID and person["$first_name"] == "Bob" and person["plan"] == "gold"
        assert person["$email"] == EMAIL  # what the PATCH did not change, as the profile has it
        assert httpx.get(url + "/api/track", params=track_query()).text == "1"  # GET track is a write
        read = httpx.get(url + E1, params={"api_key": KEY_A})
        assert read.status_code == 200 and read.json()["$email"] == EMAIL
    # Reads only: E2's simulated PATCH answer is the profile as read now, with the change applied.
    assert upstream.seen() == [("GET", f"/api/profiles/{PROFILE_ID}")] * 2
    not_sent = [e for e in logs if e["event"] == "dry_run.not_sent"]
    assert [(e["operation"], e["upstream"], e["method"]) for e in not_sent] == [
        ("E2", "update_profile", "PATCH"),
        ("A1", "create_client_event", "POST"),
    ]
    assert not_sent[0]["path"] == f"/api/profiles/{PROFILE_ID}"
    assert "data.attributes.first_name" in not_sent[0]["fields"]
    plans = [e for e in logs if e["event"] == "dry_run.plan"]
    assert [(e["operation"], e["sent"], e["not_sent"]) for e in plans] == [
        ("E2", ["get_profile"], ["update_profile"]),
        ("A1", [], ["create_client_event"]),
        ("E1", ["get_profile"], []),
    ]


def test_brownout_fraction_rejects_exactly_the_seeded_draws(proxy_for: Start) -> None:
    url, _ = proxy_for('[modes.E1]\nmode = "brownout"\nfraction = 0.3\n', draw=random.Random(7).random)
    expected_draws = random.Random(7)
    expected = [410 if expected_draws.random() < 0.3 else 200 for _ in range(40)]
    got = [httpx.get(url + E1, params={"api_key": KEY_A}).status_code for _ in range(40)]
    assert got == expected and 410 in got and 200 in got


@pytest.mark.parametrize(
    ("now", "status"),
    [
        ("2026-12-01T14:05:00+00:00", 410),  # inside the daily window
        ("2026-12-01T14:15:00+00:00", 200),  # the end is exclusive
        ("2026-12-02T10:30:00+00:00", 410),  # inside the one-off interval
        ("2026-12-02T12:00:00+00:00", 200),
    ],
)
def test_brownout_windows_reject_every_call_inside(proxy_for: Start, now: str, status: int) -> None:
    instant = datetime.fromisoformat(now).timestamp()
    config = (
        '[modes.get_profile]\nmode = "brownout"\n'
        'windows = ["daily 14:00-14:15 UTC", "2026-12-02T10:00/2026-12-02T11:00"]\n'
    )
    url, _ = proxy_for(config, clock=lambda: instant, draw=lambda: 0.99)
    assert httpx.get(url + E1, params={"api_key": KEY_A}).status_code == status


def test_reload_during_traffic_never_fails_a_request(proxy_for: Start) -> None:
    url, path = proxy_for('[modes]\nE1 = "translate"\n')
    statuses: list[int] = []
    failures: list[str] = []
    stop = threading.Event()

    def traffic() -> None:
        with httpx.Client(base_url=url, timeout=5) as client:
            while not stop.is_set():
                try:
                    r = client.get(E1, params={"api_key": KEY_A})
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                    continue
                statuses.append(r.status_code)
                ok = (r.status_code == 200 and r.json()["id"] == PROFILE_ID) or (
                    r.status_code == 410 and "retired" in r.json()["message"]
                )
                if not ok:
                    failures.append(f"{r.status_code} {r.text[:200]}")

    workers = [threading.Thread(target=traffic) for _ in range(4)]
    for w in workers:
        w.start()
    try:
        for i in range(12):
            mode = "reject" if i % 2 == 0 else "translate"
            text = f'[modes]\nE1 = "{mode}"\n# revision {i}\n'
            if i % 3 == 0:
                path.write_text(text)  # in place: a reader may catch it half-written (refused, harmless)
            else:
                write_atomically(path, text)

            def applied(m: str = mode) -> bool:
                return _mode_now(url) == m

            wait_for(applied)
    finally:
        stop.set()
        for w in workers:
            w.join(10)
    assert not failures, failures[:5]
    assert statuses.count(200) > 10 and statuses.count(410) > 10


def _mode_now(url: str) -> str:
    r = httpx.get(url + E1, params={"api_key": KEY_A})
    return "reject" if r.status_code == 410 else "translate"


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ('[modes]\nE1 = "reject"\nE2 = \n', "compat.toml"),  # not TOML
        ('[modes]\nE1 = "reject"\nZ9 = "reject"\n', "modes.Z9"),  # unknown operation
        ('[modes]\nE1 = "retire"\n', "modes.E1"),  # unknown mode
        ('[modes.E1]\nmode = "brownout"\nwindows = ["daily 25:00-26:00"]\n', "not a time of day"),
        ('sunset = "soon"\n[modes]\nE1 = "reject"\n', "sunset"),
    ],
)
def test_bad_config_is_refused_and_the_old_modes_stay(proxy_for: Start, bad: str, reason: str) -> None:
    url, path = proxy_for('[modes]\nE1 = "reject"\n')
    assert httpx.get(url + E1, params={"api_key": KEY_A}).status_code == 410
    with capture_logs() as logs:
        write_atomically(path, bad)
        wait_for(lambda: any(e["event"] == "modes.reload_refused" for e in logs))
    refused = [e for e in logs if e["event"] == "modes.reload_refused"]
    assert len(refused) == 1 and reason in refused[0]["reason"], refused
    assert refused[0]["log_level"] == "error"
    for _ in range(5):  # the old table is still in force
        assert httpx.get(url + E1, params={"api_key": KEY_A}).status_code == 410
    write_atomically(path, '[modes]\nE1 = "translate"\n')
    wait_for(lambda: _mode_now(url) == "translate")


def test_bad_modes_at_start_up_are_a_clear_error(tmp_path: Path) -> None:
    from proxy.policy.modes import ModesError

    with pytest.raises(ModesError, match=r"modes\.E1"):
        create_app(Settings(upstream="https://x.test", modes={"E1": "bogus"}))


def test_routes_shows_each_operations_current_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[modes]\ndefault = "dry-run"\nE1 = "reject"\n[modes.A1]\nmode = "brownout"\nfraction = 0.1\n'
    )
    assert main(["routes", "--config", str(cfg)]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "MODE" in lines["ID"]
    assert " reject " in lines["E1"]
    assert " brownout (10% of calls) " in lines["A1"]
    assert " dry-run " in lines["B1"]
    assert main(["routes", "--config", str(cfg), "--format", "json"]) == 0
    modes = {row["id"]: row["mode"] for row in json.loads(capsys.readouterr().out)}
    assert modes["E1"] == "reject" and modes["E2"] == "dry-run"
