from hypothesis import given
from hypothesis import strategies as st

from proxy.redact import fingerprint, scrub, scrub_text

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
