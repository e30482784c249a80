"""Golden cases: legacy bodies sent as ``multipart/form-data`` are read like form-encoded ones.

Some HTTP libraries (PHP's curl with an array body, ``requests`` with ``files=``, browsers'
FormData) send multipart; the private key (``api_key``) and track/identify ``data`` in such a
body count exactly as in a form-encoded body, within the same 5 MB limit.
"""

from __future__ import annotations

import json
from typing import Any

from tests.mappings.golden.campaigns import KEY
from tests.mappings.golden.templates import CREATE_FORM, LIST, NEWSLETTER, NEWSLETTER_LEGACY, create_call, ok
from tests.mappings.golden.track_identify import OK, TRACK, TRACK_EVENT, ZERO, client_event

BOUNDARY = "----klaviyo-compat-7MA4YWxkTrZu0gW"
MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def multipart(*fields: tuple[str, str], filename: str | None = None) -> bytes:
    """A multipart/form-data body; with ``filename`` every field is sent as a file part."""
    out = b""
    for name, value in fields:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"\r\nContent-Type: application/octet-stream'
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        out += value.encode("utf-8") + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def post(path: str, content: bytes) -> dict[str, Any]:
    return {"method": "POST", "path": path, "headers": MULTIPART, "content": content}


KEY_FROM_TEMPLATES = KEY

CASES: list[dict[str, Any]] = [
    {
        "id": "C2-multipart-key-and-fields",  # api_key in the multipart body, like Ruby's form body
        "request": post(LIST, multipart(*CREATE_FORM, ("api_key", KEY_FROM_TEMPLATES))),
        "upstream": [create_call(ok(NEWSLETTER, 201))],
        "response": {"status": 200, "json": NEWSLETTER_LEGACY},
    },
    {
        "id": "C2-multipart-without-key-403",
        "request": post(LIST, multipart(*CREATE_FORM)),
        "upstream": [],
        "response": {
            "status": 403,
            "json": {
                "status": 403,
                "message": "Invalid API Key. A private API key is required (api_key parameter or api-key header).",
            },
        },
    },
    {
        "id": "C2-malformed-multipart-400",
        "request": post(
            LIST, f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\nx'.encode()
        ),
        "upstream": [],
        "response": {
            "status": 400,
            "json": {"status": 400, "message": "Request body is not valid multipart/form-data."},
        },
    },
    {
        "id": "A2-multipart-data-field",
        "request": post("/api/track", multipart(("data", json.dumps(TRACK)))),
        "upstream": [client_event(TRACK_EVENT)],
        "response": OK,
    },
    {
        "id": "A2-multipart-data-as-file-part",
        "request": post("/api/track", multipart(("data", json.dumps(TRACK)), filename="data.json")),
        "upstream": [client_event(TRACK_EVENT)],
        "response": OK,
    },
    {
        "id": "A2-multipart-without-data-answers-0",
        "request": post("/api/track", multipart(("other", "x"))),
        "upstream": [],
        "response": ZERO,
    },
]
