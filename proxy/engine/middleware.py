"""Pure ASGI middleware: request id in contextvars, one redacted access line per request.

It opens the request's ``CallSlot`` (``proxy.engine.call``); the access line reports the
``CallOutcome`` whoever served the call left in it.

Starlette's BaseHTTPMiddleware runs the app in another task, which loses contextvars
(structlog's request binding); a plain ASGI wrapper keeps one context end to end.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from proxy.engine.call import SLOT_KEY, CallSlot
from proxy.observe.hot_line import HotLine
from proxy.observe.redact import fingerprint, truncate

_SAFE_ID = re.compile(r"\A[A-Za-z0-9._-]{8,64}\Z")
MAX_LOGGED_PATH = 512  # characters of the path an access line keeps
# Access-line fields the proxy itself produced: enums, operation ids, reason codes, HMAC hashes.
_TRUSTED = frozenset({"kind", "operation", "mode", "caller", "reason", "client"})


class _RequestIds:
    """Fresh request ids shaped like ``uuid4().hex`` (32 hex digits) at a fraction of the cost.

    A random 64-bit prefix per process (drawn again in a forked child) and a 64-bit counter:
    unique within the process, and across processes and restarts but for a 2**-64 chance.
    """

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self.prefix = secrets.token_hex(8)
        self.counter = itertools.count(secrets.randbits(32))

    def next(self) -> str:
        return f"{self.prefix}{next(self.counter) & 0xFFFFFFFFFFFFFFFF:016x}"


new_request_id = _RequestIds().next


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log
        self.log = HotLine("klaviyo_compat.access", "access", trusted=_TRUSTED)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _SAFE_ID.match(incoming) else new_request_id()
        slot = scope[SLOT_KEY] = CallSlot(request_id)
        # Bound, then reset to what it was: each request of a server runs in a task of its own
        # context, and a request served in the caller's context (in-process tests) restores it.
        bound = structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                slot.status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if self.access_log:
                client = scope.get("client")
                outcome = slot.outcome
                self.log.info(
                    request_id,
                    {
                        "method": scope["method"],
                        # Never the query string: it carries keys and payloads. Cut before the scrub.
                        "path": slot.hide(truncate(scope["path"], MAX_LOGGED_PATH)),
                        "status": 500 if slot.status is None else slot.status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "kind": outcome.kind,
                        "operation": outcome.operation,
                        "mode": outcome.mode,
                        "upstream_calls": outcome.upstream_calls,
                        "caller": outcome.caller,
                        "reason": outcome.reason,
                        "client": fingerprint(client[0], "ip") if client else None,
                        "user_agent": _header(scope, b"user-agent"),
                    },
                )
            structlog.contextvars.reset_contextvars(**bound)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value[:200].decode("latin-1"))
    return None
