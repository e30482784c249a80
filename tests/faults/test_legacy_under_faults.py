"""Legacy calls against the fault-injecting upstream, in process (issue 8, finding 3).

Reads during an outage answer legacy-shaped 503/429 with Retry-After within their deadline;
fire-and-forget writes are acknowledged, spooled and delivered once the upstream is back; a
permanent refusal becomes a dead letter the CLI lists, retries and purges; a fan-out under a
nearly spent budget sends nothing; the spool, its dead letters and /metrics hold no secret.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from starlette.testclient import TestClient

from mappings.upstream_ops import SPEC_OPERATIONS
from proxy.cli import main
from proxy.engine.app import create_app
from proxy.engine.engine import Overrides
from proxy.sandbox import DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY
from proxy.settings import Settings
from proxy.state.budgets import MemoryRateBudget, windows_from_spec
from tests.faults.upstream import FaultUpstream

ADMIN = "admin-" + "q" * 24
EMAIL = "dora.secret@example.com"
PHONE = "+15555550142"
DEADLINE = 1.5


@pytest.fixture
def upstream() -> Iterator[FaultUpstream]:
    with FaultUpstream(retry_after=30) as fault:
        yield fault


def settings(fault: FaultUpstream, tmp: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "upstream": fault.url,
        "read_timeout": 0.3,
        "connect_timeout": 0.3,
        "request_deadline": DEADLINE,
        "retry_backoff": 0.02,
        "spool_db": str(tmp / "spool" / "spool.sqlite3"),
        "spool_backoff": 0.02,
        "spool_backoff_max": 0.1,
        "spool_poll_seconds": 0.05,
        "breaker_failures": 3,
        "breaker_open_seconds": 5,
        "admin_token": ADMIN,
        "access_log": False,
        "transport": "httpx",
    }
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


def track(client: TestClient, props: dict[str, object], token: str = DEMO_PUBLIC_KEY) -> httpx.Response:
    data = {"token": token, "event": "Faulty", "customer_properties": {"$email": EMAIL, "$phone_number": PHONE},
            "properties": props}  # fmt: skip
    resp: httpx.Response = client.get(
        "/api/track", params={"data": base64.b64encode(orjson.dumps(data)).decode()}
    )
    return resp


def wait_for(predicate: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached")


@pytest.mark.parametrize(("mode", "status"), [("down", 503), ("hang", 503), ("503", 503), ("429", 429)])
def test_reads_during_an_outage_answer_legacy_503_or_429_with_retry_after_in_time(
    upstream: FaultUpstream, tmp_path: Path, mode: str, status: int
) -> None:
    with TestClient(create_app(settings(upstream, tmp_path))) as client:
        upstream.set_mode(mode)
        for path in ("/api/v2/lists", "/api/v1/lists"):
            started = time.monotonic()
            resp = client.get(path, params={"api_key": DEMO_PRIVATE_KEY})
            assert time.monotonic() - started < DEADLINE + 0.5
            assert resp.status_code == status, resp.text
            assert int(resp.headers["retry-after"]) >= 1
            body = resp.json()
            assert ("detail" in body) if path.startswith("/api/v2") else (body["status"] == status)


def test_an_open_circuit_fails_fast_with_retry_after(upstream: FaultUpstream, tmp_path: Path) -> None:
    with TestClient(create_app(settings(upstream, tmp_path, retry_attempts=1))) as client:
        upstream.set_mode("503")
        for _ in range(3):
            client.get("/api/v2/lists", params={"api_key": DEMO_PRIVATE_KEY})
        served = upstream.served["503"]
        started = time.monotonic()
        resp = client.get("/api/v2/lists", params={"api_key": DEMO_PRIVATE_KEY})
        assert time.monotonic() - started < 0.2
        assert (resp.status_code, resp.headers["retry-after"]) == (503, "5")
        assert upstream.served["503"] == served  # not sent


def test_tracks_are_spooled_during_an_outage_and_delivered_once_after(
    upstream: FaultUpstream, tmp_path: Path
) -> None:
    with TestClient(create_app(settings(upstream, tmp_path, breaker_open_seconds=0.2))) as client:
        upstream.set_mode("stored-hang")  # stored upstream, but the proxy never hears back
        assert track(client, {"n": 1}).text == "1"
        upstream.set_mode("down")
        assert [track(client, {"n": n}).text for n in (2, 3)] == ["1", "1"]
        upstream.set_mode("healthy")
        wait_for(lambda: len({e.event_properties["n"] for e in upstream.stored_events()}) == 3)
        time.sleep(0.2)
        assert sorted(e.event_properties["n"] for e in upstream.stored_events()) == [1, 2, 3]
        metrics = client.get("/metrics", headers={"authorization": f"Bearer {ADMIN}"}).text
    assert (
        'klaviyo_compat_spool_writes_total{operation="create_client_event",outcome="spooled"} 3.0' in metrics
    )
    assert "klaviyo_compat_spool_pending 0.0" in metrics


def test_a_permanent_refusal_is_a_dead_letter_the_cli_manages(
    upstream: FaultUpstream, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = settings(upstream, tmp_path, breaker_open_seconds=0.2)
    with TestClient(create_app(config)) as client:
        upstream.set_mode("down")
        assert track(client, {"n": 1}, token="bad_token!").text == "1"  # accepted while down
        upstream.set_mode("healthy")  # ... and refused (400: not a company id) once delivered
        wait_for(lambda: "klaviyo_compat_spool_dead_letters 1.0" in client.get(
            "/metrics", headers={"authorization": f"Bearer {ADMIN}"}).text)  # fmt: skip
        metrics = client.get("/metrics", headers={"authorization": f"Bearer {ADMIN}"}).text
    db = config.spool_db
    capsys.readouterr()  # the app's log lines
    assert main(["spool", "list", "--db", db, "--format", "json"]) == 0
    listing = orjson.loads(capsys.readouterr().out)
    assert listing["dead"] == 1 and listing["dead_letters"][0]["status"] == 400
    assert main(["spool", "retry", "--db", db]) == 2  # ids or --all
    assert main(["spool", "retry", "--all", "--db", db]) == 0
    capsys.readouterr()
    assert main(["spool", "list", "--db", db]) == 0
    assert "pending: 1  dead letters: 0" in capsys.readouterr().out
    with TestClient(create_app(config)):  # a restart delivers what is pending: refused again
        wait_for(
            lambda: main(["spool", "list", "--db", db]) == 0 and "dead letters: 1" in capsys.readouterr().out
        )
    capsys.readouterr()
    assert main(["spool", "purge", "--all", "--db", db]) == 0
    assert "1 dead letter(s) deleted" in capsys.readouterr().out
    raw = b"".join(p.read_bytes() for p in Path(db).parent.iterdir())
    for secret in (EMAIL, PHONE, "bad_token!", DEMO_PUBLIC_KEY, DEMO_PRIVATE_KEY, ADMIN):
        assert secret.encode() not in raw
        assert secret not in metrics
        assert secret not in listing.__repr__()


def test_a_fan_out_under_a_nearly_spent_budget_sends_nothing(upstream: FaultUpstream, tmp_path: Path) -> None:
    budget = MemoryRateBudget(windows_from_spec(SPEC_OPERATIONS))
    config = settings(upstream, tmp_path, budget_wait=0.0)
    with TestClient(create_app(config, overrides=Overrides(rate_budget=budget))) as client:
        made = client.post("/api/v2/lists", params={"api_key": DEMO_PRIVATE_KEY}, json={"list_name": "Fans"})
        list_id = made.json()["list_id"]
        account = next(iter(budget._buckets))[0]  # the caller's hash: the only account so far
        burst = budget.windows["create_or_update_profile"][0].limit
        budget._take(account, {"create_or_update_profile": burst - 1}, 1)  # one call left
        served = sum(upstream.served.values())
        members = {"profiles": [{"email": f"fan{i}@example.com"} for i in range(3)]}
        resp = client.post(
            f"/api/v2/list/{list_id}/members", params={"api_key": DEMO_PRIVATE_KEY}, json=members
        )
        assert resp.status_code == 429 and int(resp.headers["retry-after"]) >= 1, resp.text
        assert sum(upstream.served.values()) == served  # not even the list check went out
        assert not any(
            str(p.attributes.get("email") or "").startswith("fan") for p in upstream.store.profiles.values()
        )


def test_an_upstream_429_slows_the_next_calls_for_its_retry_after(
    upstream: FaultUpstream, tmp_path: Path
) -> None:
    with TestClient(create_app(settings(upstream, tmp_path, breaker_open_seconds=0.2))) as client:
        upstream.set_mode("429")  # Retry-After: 30
        first = client.get("/api/v2/lists", params={"api_key": DEMO_PRIVATE_KEY})
        assert (first.status_code, first.headers["retry-after"]) == (429, "30")
        assert track(client, {"n": 1}).text == "1"  # 429: spooled
        upstream.set_mode("healthy")
        served = sum(upstream.served.values())
        for n in range(2, 12):  # the next calls respect the cooldown: none reaches upstream
            read = client.get("/api/v2/lists", params={"api_key": DEMO_PRIVATE_KEY})
            assert read.status_code == 429 and 25 <= int(read.headers["retry-after"]) <= 30
            assert track(client, {"n": n}).text == "1"
        time.sleep(0.3)
        assert sum(upstream.served.values()) == served
        assert upstream.stored_events() == []


def test_a_full_spool_answers_the_legacy_failure(upstream: FaultUpstream, tmp_path: Path) -> None:
    with TestClient(create_app(settings(upstream, tmp_path, spool_max_entries=2))) as client:
        upstream.set_mode("down")
        assert [track(client, {"n": n}).text for n in range(3)] == ["1", "1", "0"]  # never a silent drop
        metrics = client.get("/metrics", headers={"authorization": f"Bearer {ADMIN}"}).text
        assert "klaviyo_compat_spool_pending 2.0" in metrics


def test_identify_is_spooled_and_the_profile_written_once_back(
    upstream: FaultUpstream, tmp_path: Path
) -> None:
    data = {"token": DEMO_PUBLIC_KEY, "properties": {"$email": EMAIL, "$first_name": "Dora"}}
    encoded = base64.b64encode(orjson.dumps(data)).decode()
    with TestClient(create_app(settings(upstream, tmp_path, breaker_open_seconds=0.2))) as client:
        upstream.set_mode("500")  # (a 503 here says Retry-After: 30, which redelivery would honour)
        assert client.get("/api/identify", params={"data": encoded}).text == "1"
        assert client.post("/api/identify", data={"data": encoded}).text == "1"
        upstream.set_mode("healthy")

        def written() -> bool:
            return any(p.attributes.get("email") == EMAIL for p in upstream.store.profiles.values())

        wait_for(written)
        assert sum(p.attributes.get("email") == EMAIL for p in upstream.store.profiles.values()) == 1


def test_a_v2_subscribe_whose_last_step_fails_once_is_completed_not_half_done(
    upstream: FaultUpstream, tmp_path: Path
) -> None:
    with TestClient(create_app(settings(upstream, tmp_path, request_deadline=5.0))) as client:
        made = client.post("/api/v2/lists", params={"api_key": DEMO_PRIVATE_KEY}, json={"list_name": "Subs"})
        list_id = made.json()["list_id"]
        upstream.fail_next("/api/profile-subscription-bulk-create-jobs", "500")
        body = {"profiles": [{"email": "sub1@example.com"}, {"email": "sub2@example.com"}]}
        resp = client.post(
            f"/api/v2/list/{list_id}/subscribe", params={"api_key": DEMO_PRIVATE_KEY}, json=body
        )
        assert resp.status_code == 200, resp.text
        assert upstream.served["500"] == 1  # the failed attempt; the retry went through
        emails = [str(p.attributes.get("email")) for p in upstream.store.profiles.values()]
        assert sorted(e for e in emails if e.startswith("sub")) == [
            "sub1@example.com",
            "sub2@example.com",
        ]
        # Subscribed (the sandbox's lists are double opt-in: a confirmation is pending for each).
        assert all(upstream.store.pending_for(f"sub{n}@example.com") for n in (1, 2))
