"""``multipart/form-data`` legacy bodies: read like form-encoded ones, bounded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from proxy.engine.parse import MAX_PARTS, BadLegacyRequest, multipart_fields, parse

B = "xyz"
CT = f"multipart/form-data; boundary={B}"


def body(*fields: tuple[str, str]) -> bytes:
    parts = b"".join(
        f'--{B}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n{v}\r\n'.encode() for n, v in fields
    )
    return parts + f"--{B}--\r\n".encode()


def parsed(content: bytes, content_type: str = CT) -> tuple[dict[str, list[object]], str | None]:
    out = parse(
        method="POST",
        path="/api/v1/email-templates",
        path_params={},
        query_items=[("name", "from query")],
        headers={"content-type": content_type},
        body=content,
        server_side_tokens=frozenset(),
        now=datetime.now(UTC),
    )
    return dict(out.request.params), out.private_key


def test_fields_and_key_like_a_form() -> None:
    params, key = parsed(body(("api_key", "pk_secret"), ("name", "N"), ("html", "<p>é</p>"), ("name", "M")))
    assert key == "pk_secret" and "api_key" not in params
    assert params == {"name": ["from query", "N", "M"], "html": ["<p>é</p>"]}


def test_charset_of_a_part_is_honoured() -> None:
    raw = (
        (
            f'--{B}\r\nContent-Disposition: form-data; name="n"\r\nContent-Type: text/plain; charset=latin-1'
            f"\r\n\r\n"
        ).encode()
        + "é".encode("latin-1")
        + f"\r\n--{B}--\r\n".encode()
    )
    assert multipart_fields(CT, raw) == [("n", "é")]


@pytest.mark.parametrize(
    "raw",
    [
        b"not multipart at all",
        f'--{B}\r\nContent-Disposition: form-data; name="n"\r\n\r\nunterminated'.encode(),
    ],
)
def test_malformed_is_400(raw: bytes) -> None:
    with pytest.raises(BadLegacyRequest) as err:
        parsed(raw)
    assert err.value.status == 400


def test_missing_boundary_is_400() -> None:
    with pytest.raises(BadLegacyRequest):
        parsed(body(("a", "b")), "multipart/form-data")


def test_field_count_is_bounded() -> None:
    with pytest.raises(BadLegacyRequest, match="more than"):
        multipart_fields(CT, body(*[("f", "v")] * (MAX_PARTS + 1)))
    assert len(multipart_fields(CT, body(*[("f", "v")] * MAX_PARTS))) == MAX_PARTS


def test_not_utf8_is_400() -> None:
    raw = (
        f'--{B}\r\nContent-Disposition: form-data; name="n"\r\n\r\n'.encode()
        + b"\xff\xfe"
        + f"\r\n--{B}--\r\n".encode()
    )
    with pytest.raises(BadLegacyRequest, match="UTF-8"):
        multipart_fields(CT, raw)
