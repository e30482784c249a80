"""Unit tests: suppression reasons, exclusion records and the get_profiles queries (F12, F15, F16)."""

from __future__ import annotations

from typing import Any

import pytest

from mappings.operations.exclusions import global_exclusions_query, list_exclusions_query, suppress_body
from mappings.translate.exclusion_objects import REASONS, global_exclusion, legacy_reason, list_exclusion


@pytest.mark.parametrize(
    ("new", "legacy"),
    [
        ("UNSUBSCRIBE", "unsubscribed"),
        ("HARD_BOUNCE", "bounced"),
        ("INVALID_EMAIL", "invalid_email"),
        ("SPAM_COMPLAINT", "reported_spam"),
        ("USER_SUPPRESSED", "manually_excluded"),
        ("SOMETHING_NEW", "something_new"),
        (None, None),
        ("", None),
    ],
)
def test_legacy_reason(new: Any, legacy: str | None) -> None:
    assert legacy_reason(new) == legacy


def test_reason_table_round_trips() -> None:
    assert all(legacy_reason(new) == old for old, new in REASONS.items())


def _profile(marketing: dict[str, Any], email: str = "a@x.com") -> dict[str, Any]:
    return {
        "type": "profile",
        "id": "P1",
        "attributes": {"email": email, "subscriptions": {"email": {"marketing": marketing}}},
    }


def test_list_exclusion_uses_this_lists_suppression() -> None:
    prof = _profile(
        {
            "list_suppressions": [
                {"list_id": "L2", "reason": "USER_SUPPRESSED", "timestamp": "2020-01-01T00:00:00+00:00"},
                {"list_id": "L1", "reason": "UNSUBSCRIBE", "timestamp": "2021-12-21T14:56:39.5+00:00"},
            ]
        }
    )
    assert list_exclusion(prof, "L1") == {
        "id": "P1",
        "email": "a@x.com",
        "reason": "unsubscribed",
        "timestamp": "2021-12-21 14:56:39",
    }
    assert list_exclusion(_profile({}), "L1") == {
        "id": "P1",
        "email": "a@x.com",
        "reason": None,
        "timestamp": None,
    }


def test_global_exclusion_prefers_the_filtered_reason() -> None:
    prof = _profile(
        {
            "suppression": [
                {"reason": "HARD_BOUNCE", "timestamp": "2022-01-02T03:04:05+00:00"},
                {"reason": "UNSUBSCRIBE", "timestamp": "2022-02-02T00:00:00Z"},
            ]
        }
    )
    assert global_exclusion(prof)["reason"] == "bounced"
    assert global_exclusion(prof, "UNSUBSCRIBE") == {
        "object": "exclusion",
        "email": "a@x.com",
        "reason": "unsubscribed",
        "timestamp": "2022-02-02 00:00:00",
    }
    single = _profile({"suppression": {"reason": "SPAM_COMPLAINT", "timestamp": "2022-01-01T00:00:00Z"}})
    assert global_exclusion(single)["reason"] == "reported_spam"


def test_queries() -> None:
    assert list_exclusions_query("Xy12Ab")["filter"] == (
        'equals(subscriptions.email.marketing.list_suppressions.list_id,"Xy12Ab")'
    )
    any_desc = global_exclusions_query(None, descending=True)
    assert any_desc["sort"] == "-subscriptions.email.marketing.suppression.timestamp"
    assert any_desc["filter"].startswith("greater-than(subscriptions.email.marketing.suppression.timestamp,")
    one = global_exclusions_query("HARD_BOUNCE", descending=False)
    assert one["filter"] == 'equals(subscriptions.email.marketing.suppression.reason,"HARD_BOUNCE")'
    assert one["additional-fields[profile]"] == "subscriptions" and one["page[size]"] == "100"


def test_suppress_body() -> None:
    assert suppress_body("a@x.com") == {
        "data": {
            "type": "profile-suppression-bulk-create-job",
            "attributes": {"profiles": {"data": [{"type": "profile", "attributes": {"email": "a@x.com"}}]}},
        }
    }
