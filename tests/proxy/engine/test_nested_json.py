"""JSON nested absurdly deep inside legacy parameters never becomes a 500 (fuzz finding)."""

import httpx
import pytest
from starlette.testclient import TestClient

from proxy import Overrides, Settings, create_app

KEY = "pk_" + "ab" * 17
DEEP_OBJECT = "{" + '"a":{' * 1500 + "}" * 1501
DEEP_ARRAY = "[" * 3000 + "]" * 3000


def _client() -> TestClient:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"no upstream call expected, got {request.method} {request.url.path}")

    settings = Settings(upstream="https://upstream.test", access_log=False)
    return TestClient(
        create_app(settings, overrides=Overrides(transport=httpx.MockTransport(handler))),
        base_url="http://proxy.test",
    )


@pytest.mark.parametrize("path", ["/api/track", "/api/identify"])
def test_deep_track_identify_payload_answers_zero(path: str) -> None:
    with _client() as client:
        get = client.get(path, params={"data": DEEP_OBJECT})
        post = client.post(path, data={"data": DEEP_OBJECT})
    for resp in (get, post):
        assert resp.status_code == 200 and resp.text == "0"


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("GET", "/api/v1/metric/AbC123/export", {"where": DEEP_ARRAY}),
        ("POST", "/api/v1/email-template/AbC123/render", {"context": DEEP_OBJECT}),
    ],
)
def test_deep_json_parameters_are_legacy_400s(method: str, path: str, params: dict[str, str]) -> None:
    with _client() as client:
        resp = client.request(method, path, params={"api_key": KEY, **params})
    assert resp.status_code == 400, resp.text
    assert set(resp.json()) == {"status", "message"}
