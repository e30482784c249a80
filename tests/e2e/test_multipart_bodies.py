"""Legacy bodies sent as ``multipart/form-data`` (``requests`` with ``files=``, PHP curl arrays):
``api_key`` and track ``data`` are read like form fields, end to end through the real server."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import requests

from tests.e2e import newapi
from tests.e2e.harness import HTTP_TIMEOUT, Recorder, Stack, build_stack
from tests.e2e.shapes import wait_for, wait_for_profile


@pytest.fixture(scope="module")
def fresh(upstream_recorder: Recorder) -> Iterator[Stack]:
    with build_stack(upstream_recorder, source="multipart") as running:
        yield running


def test_track_data_and_v1_api_key_as_multipart(fresh: Stack) -> None:
    email = f"multipart.{uuid.uuid4().hex[:8]}@example.com"
    payload = {"token": fresh.public_token, "event": "Uploaded", "customer_properties": {"$email": email}}
    tracked = requests.post(
        f"{fresh.legacy_api}/track", files={"data": (None, json.dumps(payload))}, timeout=HTTP_TIMEOUT
    )
    assert str(tracked.request.headers["content-type"]).startswith("multipart/form-data")
    assert (tracked.status_code, tracked.text) == (200, "1")
    with fresh.new_api() as api:
        profile = wait_for_profile(api, email)
        wait_for(lambda: bool(newapi.profile_events(api, profile["id"])), "the event")

    created = requests.post(
        f"{fresh.legacy_api}/v1/email-templates",
        files={
            "api_key": (None, fresh.private_key),
            "name": (None, "Multipart"),
            "html": (None, "<html><body>é</body></html>"),
        },
        timeout=HTTP_TIMEOUT,
    )
    assert created.status_code == 200, created.text
    assert created.json()["name"] == "Multipart" and created.json()["html"] == "<html><body>é</body></html>"
