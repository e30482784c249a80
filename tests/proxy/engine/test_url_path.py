"""``url_path``: the same path Starlette's ``request.url.path`` gives, without building the URL."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request

from proxy.engine.paths import url_path


def _request(path: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": path,
            "query_string": b"a=1",
            "headers": [(b"host", b"proxy.example:8080")],
            "server": ("127.0.0.1", 8080),
            "scheme": "http",
        }
    )


@given(st.text(alphabet=st.sampled_from(list("/aZ09-._~%?#\\ \t\n\x7f\u00e9:@;=")), max_size=30))
def test_url_path_is_what_starlette_reads(tail: str) -> None:
    path = "/" + tail
    assert url_path(_request(path)) == _request(path).url.path


def test_a_plain_path_is_the_scope_path() -> None:
    assert url_path(_request("/api/v1/person/01GD")) == "/api/v1/person/01GD"
