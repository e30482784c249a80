"""Admin paths (dashboard, report, metrics): only with the admin token, or on the admin port."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from proxy import Overrides, create_app
from proxy.settings import Settings
from tests.proxy.harness import (
    KEY_A,
    PROFILE_ID,
    RATE_REMAINING,
    FakeUpstream,
    free_port,
    serve,
)

ADMIN = "tok-" + "q" * 28
ADMIN_PATHS = ("/_compat/", "/_compat/report", "/metrics")


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(
        upstream="https://upstream.test", traffic_db=str(tmp_path / "t.sqlite3"), access_log=False, **kw
    )


def test_without_token_or_port_admin_paths_do_not_exist(tmp_path: Path) -> None:
    with serve(
        create_app(_settings(tmp_path), overrides=Overrides(transport=FakeUpstream().transport()))
    ) as s:
        for path in ADMIN_PATHS:
            r = httpx.get(s.url + path, headers={"Authorization": "Bearer anything"})
            assert r.status_code == 404, path
        assert httpx.get(s.url + "/_compat/health").status_code == 200


def test_admin_token_on_the_public_port(tmp_path: Path) -> None:
    with serve(
        create_app(
            _settings(tmp_path, admin_token=ADMIN), overrides=Overrides(transport=FakeUpstream().transport())
        )
    ) as s:
        for path in ADMIN_PATHS:
            assert httpx.get(s.url + path).status_code == 401, path
            assert httpx.get(s.url + path, headers={"Authorization": "Bearer wrong"}).status_code == 401
            assert (
                httpx.get(s.url + path, params={"api_key": KEY_A}).status_code == 401
            )  # a legacy key is no token
            ok = httpx.get(s.url + path, headers={"Authorization": f"Bearer {ADMIN}"})
            assert ok.status_code == 200 and ok.headers["cache-control"] == "no-store", path
            assert "set-cookie" not in ok.headers
            assert ok.headers["referrer-policy"] == "no-referrer", path
        r = httpx.get(
            s.url + "/_compat/", params={"since": "soon"}, headers={"Authorization": f"Bearer {ADMIN}"}
        )
        assert r.status_code == 400 and r.json()["detail"].startswith("since must be a positive duration")
        r = httpx.get(
            s.url + "/_compat", headers={"Authorization": f"Bearer {ADMIN}"}, follow_redirects=False
        )
        assert r.status_code == 308 and r.headers["location"] == "/_compat/"


def test_admin_port_serves_admin_paths_and_the_public_port_does_not(tmp_path: Path) -> None:
    port = free_port()
    settings = _settings(tmp_path, admin_port=port, admin_token=ADMIN)
    with serve(create_app(settings, overrides=Overrides(transport=FakeUpstream().transport()))) as s:
        admin = f"http://127.0.0.1:{port}"
        for path in ADMIN_PATHS:
            assert httpx.get(s.url + path, headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 404
            assert httpx.get(admin + path).status_code == 401  # the token still applies when set
            assert httpx.get(admin + path, headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200
        assert httpx.get(admin + "/_compat/health").status_code == 200
        # Legacy traffic is never served on the admin port.
        assert httpx.get(admin + f"/api/v1/person/{PROFILE_ID}", params={"api_key": KEY_A}).status_code == 404
    with pytest.raises(httpx.ConnectError):  # stopped with the proxy
        httpx.get(f"http://127.0.0.1:{port}/_compat/health")


def test_admin_port_without_token_is_open_to_whoever_reaches_it(tmp_path: Path) -> None:
    port = free_port()
    with serve(
        create_app(
            _settings(tmp_path, admin_port=port), overrides=Overrides(transport=FakeUpstream().transport())
        )
    ):
        assert httpx.get(f"http://127.0.0.1:{port}/metrics").status_code == 200


def test_metrics_count_legacy_and_upstream_calls_with_bounded_labels(tmp_path: Path) -> None:
    settings = _settings(tmp_path, admin_token=ADMIN, modes={"E2": "reject"})
    with serve(create_app(settings, overrides=Overrides(transport=FakeUpstream().transport()))) as s:
        for _ in range(3):
            httpx.get(s.url + f"/api/v1/person/{PROFILE_ID}", params={"api_key": KEY_A})
        httpx.get(s.url + "/api/v1/person/01HUNKNOWN", params={"api_key": KEY_A})
        httpx.put(s.url + f"/api/v1/person/{PROFILE_ID}", params={"api_key": KEY_A})
        for i in range(5):  # unmapped legacy paths: one label, never the path
            httpx.get(s.url + f"/api/v1/nothing-{i}/x@example.com", params={"api_key": KEY_A})
        text = httpx.get(s.url + "/metrics", headers={"Authorization": f"Bearer {ADMIN}"}).text

    def value(pattern: str) -> float:
        m = re.search("^" + re.escape(pattern) + r" ([0-9.e+]+)$", text, re.MULTILINE)
        assert m, f"{pattern} not in metrics"
        return float(m.group(1))

    legacy = "klaviyo_compat_legacy_requests_total"
    assert value(f'{legacy}{{mode="translate",operation="E1",status_class="2xx"}}') == 3
    assert value(f'{legacy}{{mode="translate",operation="E1",status_class="4xx"}}') == 1
    assert value(f'{legacy}{{mode="reject",operation="E2",status_class="4xx"}}') == 1
    assert value(f'{legacy}{{mode="translate",operation="unmapped",status_class="5xx"}}') == 5
    upstream = "klaviyo_compat_upstream_requests_total"
    assert value(f'{upstream}{{operation="get_profile",status="200"}}') == 3
    assert value(f'{upstream}{{operation="get_profile",status="404"}}') == 1
    assert value('klaviyo_compat_legacy_request_duration_seconds_count{operation="E1"}') == 4
    assert value('klaviyo_compat_upstream_request_duration_seconds_count{operation="get_profile"}') == 4
    assert value('klaviyo_compat_upstream_ratelimit_remaining{operation="get_profile"}') == float(
        RATE_REMAINING
    )
    assert value("klaviyo_compat_traffic_records_dropped_total") == 0
    assert "nothing-" not in text and "example.com" not in text and KEY_A not in text
    labels = set(re.findall(r'operation="([^"]+)"', text))
    assert labels <= {"E1", "E2", "unmapped", "get_profile"}
