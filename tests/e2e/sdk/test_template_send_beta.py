"""C7 with the operator's opt-in: ``Templates.send_template`` through the beta preview-send job.

A second private stack for this module only, with ``template_send_beta`` and ``beta_revision``
set: the SDK's send goes through the proxy to the sandbox's ``POST /api/template-preview-send-jobs``
(sent with the beta revision; ``tests/contract`` checks it against the vendored beta document) and
answers the legacy send shape. The package's own stack keeps the default (the 501 of
``test_templates``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from swagger_client.rest import ApiException

from tests.e2e import newapi
from tests.e2e.harness import Recorder, Stack, build_stack
from tests.e2e.sdk.support import api_error
from tests.e2e.shapes import unique

BETA_REVISION = "2026-07-15.pre"


@pytest.fixture(scope="module")
def opted_in(upstream_recorder: Recorder) -> Iterator[Stack]:
    settings = {"template_send_beta": True, "beta_revision": BETA_REVISION}
    with build_stack(upstream_recorder, source="e2e-sdk-beta", settings_overrides=settings) as running:
        yield running


@pytest.fixture
def target_stack(opted_in: Stack) -> Stack:
    return opted_in


def test_send_template_through_the_preview_send_job(sdk: Any, opted_in: Stack) -> None:
    name = unique("Preview")
    with opted_in.new_api() as client:
        template_id = newapi.create_template(client, name, "<html><body>Hi {{ first_name }}</body></html>")
    mark = opted_in.recorder.mark()
    sent = dict(
        sdk.Templates.send_template(
            template_id,
            from_email="news@example.com",
            from_name="Example Store",
            subject="Test send",
            to=json.dumps([{"email": "ann@example.com", "name": "Ann"}, {"email": "bob@example.com"}]),
            context=json.dumps({"first_name": "Ann"}),
        )
    )
    assert sent == {"object": "email-template", "id": template_id, "name": name, "data": {"status": "queued"}}
    [record] = opted_in.store.preview_sends
    assert (record.template_id, record.recipients, record.revision) == (
        template_id,
        ("ann@example.com", "bob@example.com"),
        BETA_REVISION,
    )
    assert record.html == "<html><body>Hi Ann</body></html>"
    beta_calls = [r for r in opted_in.recorder.since(mark) if "/api/template-preview-send-jobs" in r.url]
    assert [r.header("revision") for r in beta_calls] == [BETA_REVISION]


def test_send_template_to_more_than_five_is_refused_before_any_send(sdk: Any, opted_in: Stack) -> None:
    with opted_in.new_api() as client:
        template_id = newapi.create_template(client, unique("Preview"), "<html>x</html>")
    before = len(opted_in.store.preview_sends)
    with pytest.raises(ApiException) as caught:
        sdk.Templates.send_template(
            template_id,
            from_email="news@example.com",
            from_name="Example Store",
            subject="Test send",
            to=json.dumps([{"email": f"r{n}@example.com"} for n in range(6)]),
        )
    status, body = api_error(caught)
    assert status == 400 and "at most 5 recipients" in body["message"]
    assert len(opted_in.store.preview_sends) == before
