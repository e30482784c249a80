"""Who may read the admin paths on one listener.

On the public port admin paths exist only when ``admin_token`` is set and no ``admin_port``
is: then ``Authorization: Bearer <token>`` (or ``?token=`` for a browser) is required. On the
admin port they are always served, behind the token too when one is configured. No cookies.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response


class AdminAccess:
    def __init__(self, *, enabled: bool, token: str) -> None:
        self.enabled = enabled
        self.token = token

    def presented(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return request.query_params.get("token")

    def denied(self, request: Request) -> Response | None:
        """None when the request may proceed, else the answer to send."""
        if not self.enabled:
            return PlainTextResponse("Not Found", status_code=404)
        if not self.token:
            return None
        given = self.presented(request)
        if given is not None and hmac.compare_digest(given.encode(), self.token.encode()):
            return None
        return JSONResponse(
            {"detail": "An admin token is required (Authorization: Bearer <admin_token>)."},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="klaviyo-compat admin"'},
        )
