"""Who may read the admin paths on one listener, and how a browser signs in without a token in URLs.

On the public port admin paths exist only when ``admin_token`` is set and no ``admin_port``
is: then the token is required. On the admin port they are always served, behind the token too
when one is configured.

Scripts send ``Authorization: Bearer <token>``. A browser signs in once, through the form the
dashboard shows (``POST /_compat/login``) or by opening a link with ``?token=``, which is
answered with a redirect to the same URL without it: either way it gets a short-lived session
cookie (HttpOnly, SameSite=Lax, an HMAC of its expiry under the token, never the token), so
the token stays out of the address bar, history, links and ``Referer`` headers.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response

COOKIE = "klaviyo_compat_admin"
SESSION_SECONDS = 900
SECURITY_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
LOGIN_FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>klaviyo-compat admin</title></head><body style="font-family:system-ui,sans-serif;margin:24px">
<h1 style="font-size:20px">klaviyo-compat admin</h1>
<form method="post" action="/_compat/login"><label>Admin token
<input type="password" name="token" autocomplete="current-password" autofocus></label>
<input type="hidden" name="next" value="{next}"><button type="submit">Sign in</button></form>
<p style="color:#666;font-size:13px">The token is the proxy's <code>admin_token</code> setting.
Signing in sets a {minutes}-minute session cookie.</p></body></html>"""


class AdminAccess:
    def __init__(self, *, enabled: bool, token: str, clock: Callable[[], float] = time.time) -> None:
        self.enabled = enabled
        self.token = token
        self.clock = clock

    def _valid(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def _sign(self, expiry: int) -> str:
        return hmac.new(self.token.encode(), f"session:{expiry}".encode(), hashlib.sha256).hexdigest()

    def session_cookie(self, request: Request, response: Response) -> Response:
        expiry = int(self.clock()) + SESSION_SECONDS
        response.set_cookie(
            COOKIE,
            f"{expiry}.{self._sign(expiry)}",
            max_age=SESSION_SECONDS,
            path="/",
            httponly=True,
            samesite="lax",  # Strict would drop it on the redirect of a link opened from another site
            secure=request.url.scheme == "https",
        )
        return response

    def _session(self, request: Request) -> bool:
        expiry, _, mac = request.cookies.get(COOKIE, "").partition(".")
        if not expiry.isdigit() or int(expiry) < self.clock():
            return False
        return hmac.compare_digest(mac, self._sign(int(expiry)))

    def _bearer(self, request: Request) -> str | None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        return value.strip() if scheme.lower() == "bearer" and value.strip() else None

    def denied(self, request: Request) -> Response | None:
        """None when the request may proceed, else the answer to send."""
        if not self.enabled:
            return PlainTextResponse("Not Found", status_code=404)
        if not self.token or self._valid(self._bearer(request)) or self._session(request):
            return None
        if "token" in request.query_params and self._valid(request.query_params["token"]):
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
            return self.session_cookie(request, RedirectResponse(target, 303, headers=SECURITY_HEADERS))
        if request.url.path == "/_compat/" and "text/html" in request.headers.get("accept", ""):
            form = LOGIN_FORM.format(next="/_compat/", minutes=SESSION_SECONDS // 60)
            return HTMLResponse(form, status_code=401, headers=SECURITY_HEADERS)
        return JSONResponse(
            {"detail": "An admin token is required (Authorization: Bearer <admin_token>)."},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="klaviyo-compat admin"', **SECURITY_HEADERS},
        )

    async def login(self, request: Request) -> Response:
        """``POST /_compat/login`` (the form): a session cookie and back to the dashboard, or 401."""
        if not self.enabled:
            return PlainTextResponse("Not Found", status_code=404)
        body = await request.body()  # a urlencoded form; no multipart parser needed for one field
        token = parse_qs(body[:4096].decode("utf-8", "replace")).get("token", [None])[0]
        if not self.token or not self._valid(token):
            form_html = LOGIN_FORM.format(next="/_compat/", minutes=SESSION_SECONDS // 60)
            return HTMLResponse(form_html, status_code=401, headers=SECURITY_HEADERS)
        return self.session_cookie(request, RedirectResponse("/_compat/", 303, headers=SECURITY_HEADERS))
