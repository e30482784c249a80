"""Every answer the sandbox gave during this session, validated against the pinned spec.

The answers come from the real-socket stacks of ``tests/e2e`` and ``tests/proxy`` (the legacy
clients, through the proxy, against the sandbox) and from the in-process clients of
``tests/proxy/sandbox`` (their 4xx probes included); ``tests/conftest.py`` runs contract tests last.
A non-conforming answer (status the operation does not document, wrong content type, a body that
does not validate against the operation's response schema) fails the run.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import traffic_tests_collected
from tests.contract.sandbox_answers import (
    ANSWERS,
    Answer,
    answer_problems,
    beta_openapis,
    problems_of,
    spec_openapi,
)
from tests.contract.validator import ContractChecker

pytestmark = pytest.mark.contract


def _routed(contract: ContractChecker, answer: Answer) -> bool:
    """The spec defines the operation (the proxy's probes of unknown paths have nothing to check)."""
    return contract.route(answer.method, answer.path) is not None


def test_every_sandbox_answer_matches_the_spec(
    contract: ContractChecker, beta_contracts: list[ContractChecker], request: pytest.FixtureRequest
) -> None:
    answers = ANSWERS.snapshot()
    if not answers:
        if traffic_tests_collected(request.config):
            pytest.fail("real-proxy tests ran in this session but the sandbox recorded no answer")
        pytest.skip("no sandbox traffic recorded: run together with tests/e2e and/or tests/proxy")
    openapi = spec_openapi()
    checked = [a for a in answers if _routed(contract, a)]
    bad = {a.describe(): found for a in checked if (found := problems_of(openapi, a))}
    for beta, beta_openapi in zip(beta_contracts, beta_openapis(), strict=True):  # beta operations
        mine = [a for a in answers if not _routed(contract, a) and _routed(beta, a)]
        checked += mine
        bad.update({a.describe(): found for a in mine if (found := problems_of(beta_openapi, a))})
    statuses = Counter(a.status for a in checked)
    print(f"\nvalidated {len(checked)} of {len(answers)} sandbox answers; statuses {dict(statuses)}")
    assert not bad, f"{len(bad)} of {len(checked)} sandbox answers violate the spec:\n" + "\n".join(
        "\n    ".join(found) for found in bad.values()
    )


# --------------------------------------------------------------------------- the check itself


def test_the_check_rejects_a_bad_profile_resource() -> None:
    """An included profile missing ``links`` (the issue-12 bug) is reported."""
    bad = (
        b'{"data": [], "links": {"self": "https://a.klaviyo.com/api/events"},'
        b' "included": [{"type": "profile", "id": "P1", "attributes": {}}]}'
    )
    found = answer_problems(
        spec_openapi(),
        "GET",
        "/api/events",
        [("include", "profile")],
        [("revision", "2026-07-15")],
        None,
        200,
        bad,
        "application/vnd.api+json",
        "probe",
    )
    assert found and "included/0" in found[0]


def test_the_check_accepts_a_sparse_fieldset() -> None:
    sparse = (
        b'{"data": [{"type": "list", "id": "L1", "attributes": {"name": "n"},'
        b' "links": {"self": "https://a.klaviyo.com/api/lists/L1"}}],'
        b' "links": {"self": "https://a.klaviyo.com/api/lists", "next": null, "prev": null}}'
    )
    found = answer_problems(
        spec_openapi(),
        "GET",
        "/api/lists",
        [("fields[list]", "name")],
        [("revision", "2026-07-15")],
        None,
        200,
        sparse,
        "application/vnd.api+json",
        "probe",
    )
    assert found == []


def test_the_check_rejects_a_null_coordinate() -> None:
    """``latitude: null`` (nullable next to oneOf) is what made get_events' included profiles fail."""
    profile = (
        b'{"data": {"type": "profile", "id": "P1", "links": {"self": "https://a.klaviyo.com/api/profiles/P1"},'
        b' "attributes": {"location": {"city": null, "latitude": null}}}}'
    )
    found = answer_problems(
        spec_openapi(),
        "GET",
        "/api/profiles/P1",
        [],
        [("revision", "2026-07-15")],
        None,
        200,
        profile,
        "application/vnd.api+json",
        "probe",
    )
    assert found and "latitude" in found[0]
