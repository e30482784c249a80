"""The admin token stays out of URLs: a browser signs in (form or one ``?token=`` link, redirected
away) and gets a short-lived HttpOnly session cookie; every admin answer says no-referrer."""

from __future__ import annotations

from pathlib import Path

import httpx
from starlette.applications import Starlette

from proxy import Overrides, create_app
from proxy.admin.access import COOKIE, SESSION_SECONDS
from tests.proxy.harness import ADMIN, FakeUpstream, serve, traffic_settings


def _app(tmp_path: Path) -> Starlette:
    return create_app(
        traffic_settings(tmp_path / "t.sqlite3"), overrides=Overrides(transport=FakeUpstream().transport())
    )


def test_a_token_link_is_redirected_away_into_a_session_cookie(tmp_path: Path) -> None:
    with serve(_app(tmp_path)) as s, httpx.Client(base_url=s.url) as browser:
        first = browser.get("/_compat/", params={"token": ADMIN, "since": "7d"})
        assert first.status_code == 303 and first.headers["location"] == "/_compat/?since=7d"
        assert first.headers["referrer-policy"] == "no-referrer"
        cookie = first.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=") and ADMIN not in cookie
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and f"Max-Age={SESSION_SECONDS}" in cookie
        page = browser.get("/_compat/?since=7d")  # the cookie, no token anywhere
        assert page.status_code == 200 and ADMIN not in page.text
        assert 'href="report?since=7d"' in page.text
        assert browser.get("/metrics").status_code == 200
        assert browser.get("/_compat/report").status_code == 200


def test_the_login_form_signs_in_and_a_wrong_token_does_not(tmp_path: Path) -> None:
    with serve(_app(tmp_path)) as s, httpx.Client(base_url=s.url) as browser:
        form = browser.get("/_compat/", headers={"Accept": "text/html"})
        assert form.status_code == 401 and 'action="/_compat/login"' in form.text
        assert browser.post("/_compat/login", data={"token": "wrong"}).status_code == 401
        assert COOKIE not in browser.cookies
        signed_in = browser.post("/_compat/login", data={"token": ADMIN})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/_compat/"
        assert browser.get("/_compat/").status_code == 200


def test_a_forged_or_expired_session_is_refused(tmp_path: Path) -> None:
    with serve(_app(tmp_path)) as s:
        forged = httpx.get(s.url + "/_compat/report", cookies={COOKIE: "99999999999.deadbeef"})
        assert forged.status_code == 401
        expired = httpx.get(s.url + "/_compat/report", cookies={COOKIE: "1.00"})
        assert expired.status_code == 401
        signed = httpx.get(s.url + "/_compat/", params={"token": ADMIN}).cookies[COOKIE]
        expiry, mac = signed.split(".")
        stretched = httpx.get(s.url + "/_compat/report", cookies={COOKIE: f"{int(expiry) + 86400}.{mac}"})
        assert stretched.status_code == 401, "the expiry is signed"
        assert httpx.get(s.url + "/_compat/report", cookies={COOKIE: signed}).status_code == 200
