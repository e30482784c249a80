from datetime import UTC, datetime
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxy.observe.redact import fingerprint, scrub, scrub_text

KEY = "pk_" + "ab12" * 8 + "cd"


def test_scrubs_keys_emails_phones_and_auth_headers() -> None:
    text = f"api_key={KEY} mail abe@example.com tel +13125550100 Klaviyo-API-Key {KEY}"
    out = scrub_text(text)
    for secret in (KEY, "abe@example.com", "+13125550100"):
        assert secret not in out
    assert fingerprint("abe@example.com", "email") in out  # stable: correlatable


def test_sensitive_keys_redacted_whatever_the_value() -> None:
    out = scrub({"token": "AbC123", "nested": {"email": "x"}, "count": 3, "api_key": None})
    assert "AbC123" not in str(out)
    assert out["count"] == 3
    assert out["api_key"] is None


@given(st.emails())
def test_any_email_is_scrubbed(email: str) -> None:
    assert email not in scrub_text(f"user {email} did something")


PHONES = (
    "+15555550123",
    "+44 7700 900123",
    "+1 (415) 555-0111",
    "+1-415-555-0111",
    "+33 1 23 45 67 89",
    "(415) 555-0111",
    "(415)555-0111",
    "415-555-0111",
    "415.555.0111",
    "415 555 0111",
)
NOT_PHONES = (
    "2026-11-26T23:37:33+00:00",
    "2026-11-26 23:37:33",
    "2026-11-26T23:37:33.123456Z",
    "ts=1719705600.123",
    "duration_ms=1234.56",
    "latency 0.004512s",
    "request_id=6e728c963bf442edb303fb2c56f985d3",
    "123e4567-e89b-12d3-a456-426614174000",
    "01HPROFILE0000000000000001",
    "client 192.168.100.123",
    "chrome/10.0.19045.2006",
    "offset +0000",
    "page 415-555-01112",  # too many digits for a phone
    "sku-415-555-0111",  # part of a dashed token
    "+1234567",  # too few digits
)


@pytest.mark.parametrize("phone", PHONES)
def test_phone_numbers_in_any_common_spelling_are_scrubbed(phone: str) -> None:
    out = scrub_text(f"caller {phone} asked")
    assert phone not in out and "<phone#" in out and out.startswith("caller <") and out.endswith("> asked")
    digits = "".join(c for c in phone if c.isdigit())
    assert digits[-7:] not in out


@pytest.mark.parametrize("text", NOT_PHONES)
def test_timestamps_ids_durations_and_addresses_are_left_alone(text: str) -> None:
    assert scrub_text(text) == text


@given(
    st.datetimes(timezones=st.just(UTC)),
    st.uuids(),
    st.floats(0, 1e6, allow_nan=False),
    st.integers(0, 2**40),
)
def test_log_fields_never_look_like_phones(when: datetime, uid: UUID, seconds: float, number: int) -> None:
    line = (
        f"{when.isoformat()} {when:%Y-%m-%d %H:%M:%S} request_id={uid.hex} id={uid} "
        f"duration_ms={seconds:.2f} took={seconds}s ts={number} ulid=01H{number:023d}"
    )
    assert scrub_text(line) == line


@given(
    st.sampled_from(
        ["+1 ({a}) {b}-{c}", "({a}) {b}-{c}", "{a}-{b}-{c}", "{a}.{b}.{c}", "+1{a}{b}{c}", "+44 {a} {b}{c}"]
    ),
    st.integers(200, 999),
    st.integers(200, 999),
    st.integers(0, 9999),
)
def test_any_formatted_phone_is_scrubbed(template: str, a: int, b: int, c: int) -> None:
    phone = template.format(a=a, b=b, c=f"{c:04d}")
    out = scrub_text(f"note: {phone}, thanks")
    assert phone not in out and out.startswith("note: <phone#") and out.endswith(">, thanks")


_NEAR_MISSES = st.text(
    alphabet=st.sampled_from(list("0123456789 .-+()@_pkPKabBearer/;:#x\u0663\u00e9")), max_size=40
)


@given(st.one_of(_NEAR_MISSES, st.text(max_size=40)))
def test_the_quick_check_never_skips_a_value_a_pattern_would_change(text: str) -> None:
    """``scrub_text`` skips the substitutions only when none of them can match."""
    from proxy.observe.redact import scrub_unbounded

    assert scrub_text(text) == scrub_unbounded(text)


@pytest.mark.parametrize(
    "text",
    [
        "call (415) 555-0111 now",
        "415-555-0111",
        "415.555.0111",
        "415 555 0111",
        "+1 415 555 0111",
        "Bearer abc",
        "klaviyo-api-key pk_abcdef",
        "PK_ABCDEFGH pk_abcdefgh",
        "x@y.z",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0.0.0",
        "2026-12-04T14:51:00.123456Z",
    ],
)
def test_the_quick_check_agrees_on_known_shapes(text: str) -> None:
    from proxy.observe.redact import scrub_unbounded

    assert scrub_text(text) == scrub_unbounded(text)
