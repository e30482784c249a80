"""Every upstream request the proxy sent during this session, validated against the spec.

The recordings come from the real-socket proxies of ``tests/e2e`` and ``tests/proxy``
(``tests/conftest.py`` runs contract tests last). The checker's own tests below make sure it
actually rejects what it should, so an empty problem list means something.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from urllib.parse import urlsplit

import httpx
import pytest

from mappings.upstream_ops import REVISION
from tests.conftest import traffic_tests_collected
from tests.contract.validator import ContractChecker, Verdict
from tests.e2e.harness import RecordedRequest, Recorder

pytestmark = pytest.mark.contract

KEY = "pk_" + "0" * 34
AUTH = ("authorization", f"Klaviyo-API-Key {KEY}")
JSONAPI = ("content-type", "application/vnd.api+json")


def _check_record(
    contract: ContractChecker, record: RecordedRequest, betas: Sequence[ContractChecker] = ()
) -> Verdict:
    """Against the pinned spec, or the beta document that defines the request's operation."""
    url = httpx.URL(record.url)
    contract = next((beta for beta in betas if beta.route(record.method, url.path)), contract)
    return contract.check(
        record.method,
        url.path,
        list(url.params.multi_items()),
        list(record.headers),
        record.body,
        label=record.describe(),
    )


def test_every_recorded_upstream_request_matches_the_spec(
    contract: ContractChecker,
    beta_contracts: list[ContractChecker],
    upstream_recorder: Recorder,
    request: pytest.FixtureRequest,
) -> None:
    records = upstream_recorder.snapshot()
    if not records:
        if traffic_tests_collected(request.config):
            pytest.fail("real-proxy tests ran in this session but no upstream request was recorded")
        pytest.skip("no upstream traffic recorded: run together with tests/e2e and/or tests/proxy")
    verdicts = [_check_record(contract, r, beta_contracts) for r in records]
    bad = [v for v in verdicts if v.problems]
    ops = Counter(v.operation_id for v in verdicts)
    summary = ", ".join(f"{op}x{n}" for op, n in sorted(ops.items(), key=lambda kv: str(kv[0])))
    tolerated = sum(1 for v in verdicts if v.tolerated)
    print(
        f"\nvalidated {len(records)} upstream requests ({tolerated} with an ambiguous oneOf accepted): {summary}"
    )
    assert not bad, f"{len(bad)} of {len(records)} upstream requests violate the spec:\n" + "\n".join(
        f"- {v.request}\n    " + "\n    ".join(v.problems) for v in bad
    )


def test_recorded_upstream_requests_stay_on_loopback(upstream_recorder: Recorder) -> None:
    hosts = {urlsplit(r.url).hostname for r in upstream_recorder.snapshot()}
    assert hosts <= {"127.0.0.1"}, hosts


# --------------------------------------------------------------------------- the checker itself


def _event_body() -> bytes:
    return json.dumps(
        {
            "data": {
                "type": "event",
                "attributes": {
                    "properties": {},
                    "metric": {"data": {"type": "metric", "attributes": {"name": "Viewed"}}},
                    "profile": {"data": {"type": "profile", "attributes": {"email": "a@example.com"}}},
                },
            }
        }
    ).encode()


def test_checker_accepts_a_valid_request(contract: ContractChecker) -> None:
    verdict = contract.check(
        "POST", "/api/events", [], [("revision", REVISION), AUTH, JSONAPI], _event_body()
    )
    assert verdict.problems == []
    assert verdict.operation_id == "create_event"


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "body", "expected"),
    [
        ("POST", "/api/events", [], [AUTH, JSONAPI], _event_body(), "required header 'revision' missing"),
        (
            "POST",
            "/api/events",
            [],
            [("revision", "2023-01-24"), AUTH, JSONAPI],
            _event_body(),
            "revision header",
        ),
        ("POST", "/api/events", [], [("revision", REVISION), JSONAPI], _event_body(), "Security"),
        (
            "POST",
            "/api/events",
            [],
            [("revision", REVISION), AUTH, JSONAPI],
            b'{"data": {"type": "event"}}',
            "attributes",
        ),
        (
            "POST",
            "/api/events",
            [],
            [("revision", REVISION), AUTH, ("content-type", "text/plain")],
            _event_body(),
            "content-type",
        ),
        ("DELETE", "/api/events", [], [("revision", REVISION), AUTH], None, "no such operation"),
        ("GET", "/api/v1/person/abc", [], [("revision", REVISION), AUTH], None, "no such operation"),
        ("GET", "/api/profiles", [("page[size]", "500")], [("revision", REVISION), AUTH], None, "page[size]"),
        (
            "GET",
            "/api/profiles",
            [("bogus", "1")],
            [("revision", REVISION), AUTH],
            None,
            "'bogus' is not declared",
        ),
        (
            "GET",
            "/api/profiles",
            [("filter", 'equals(first_name,"A")')],
            [("revision", REVISION), AUTH],
            None,
            "first_name",
        ),
        (
            "GET",
            "/api/profiles",
            [("filter", 'greater-than(email,"A")')],
            [("revision", REVISION), AUTH],
            None,
            "greater-than",
        ),
        ("POST", "/client/events", [], [("revision", REVISION), JSONAPI], _event_body(), "company_id"),
        (
            "POST",
            "/client/events",
            [("company_id", "AbC123")],
            [("revision", REVISION), AUTH, JSONAPI],
            _event_body(),
            "/client/",
        ),
        (
            "GET",
            "/api/profiles/01ABC",
            [],
            [("revision", REVISION), AUTH],
            b'{"data": {}}',
            "takes no request body",
        ),
    ],
    ids=[
        "no-revision",
        "wrong-revision",
        "no-key",
        "bad-body",
        "not-jsonapi",
        "bad-method",
        "legacy-path",
        "page-size-too-big",
        "unknown-query",
        "unfilterable-field",
        "bad-operator",
        "client-no-company",
        "client-with-private-key",
        "body-on-get",
    ],
)
def test_checker_rejects(
    contract: ContractChecker,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: list[tuple[str, str]],
    body: bytes | None,
    expected: str,
) -> None:
    verdict = contract.check(method, path, query, headers, body)
    assert verdict.problems, "checker accepted an invalid request"
    assert any(expected in p for p in verdict.problems), verdict.problems


@pytest.mark.parametrize(
    ("path", "expression"),
    [
        ("/api/profiles", 'any(email,["a@example.com","b@example.com"])'),
        ("/api/profiles", 'equals(email,"a@example.com")'),
        ("/api/events", 'and(equals(profile_id,"01ABC"),has(metric))'),
        ("/api/events", 'equals(profile_id,"01ABC"),greater-or-equal(datetime,2024-01-01T00:00:00+00:00)'),
    ],
)
def test_checker_accepts_filters_the_spec_allows(
    contract: ContractChecker, path: str, expression: str
) -> None:
    verdict = contract.check("GET", path, [("filter", expression)], [("revision", REVISION), AUTH], None)
    assert verdict.problems == []


# --------------------------------------------------------------------------- ambiguous oneOf


def _campaign_body(**attributes: object) -> bytes:
    """A create_campaign body as the B2 mapping sends it (send/tracking options included)."""
    attrs: dict[str, object] = {
        "name": "Spring",
        "audiences": {"included": ["Xy12Ab"], "excluded": []},
        "send_options": {"use_smart_sending": False},
        "tracking_options": {
            "is_tracking_clicks": True,
            "is_tracking_opens": True,
            "add_tracking_params": True,
        },
        "campaign-messages": {
            "data": [
                {
                    "type": "campaign-message",
                    "attributes": {
                        "definition": {
                            "channel": "email",
                            "label": "Spring",
                            "content": {"subject": "Hi", "from_email": "a@example.com", "from_label": "A"},
                        }
                    },
                }
            ]
        },
    }
    attrs.update(attributes)
    return json.dumps({"data": {"type": "campaign", "attributes": attrs}}).encode()


CAMPAIGN_HEADERS = [("revision", REVISION), AUTH, JSONAPI]


def test_checker_accepts_a_value_valid_under_several_one_of_alternatives(contract: ContractChecker) -> None:
    """send_options / tracking_options match every (identical) alternative: Klaviyo accepts them."""
    verdict = contract.check("POST", "/api/campaigns", [], CAMPAIGN_HEADERS, _campaign_body())
    assert verdict.problems == []
    assert verdict.operation_id == "create_campaign"
    assert sorted(verdict.tolerated) == [
        "data/attributes/send_options: ambiguous oneOf accepted",
        "data/attributes/tracking_options: ambiguous oneOf accepted",
    ]


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"send_options": "always"}, "send_options: 'always' is not valid under any of the given schemas"),
        (
            {"send_options": {"use_smart_sending": "yes"}},
            "send_options: {'use_smart_sending': 'yes'} is not valid under any of the given schemas",
        ),
        ({"audiences": {"included": "Xy12Ab"}}, "audiences/included: 'Xy12Ab' is not of type 'array'"),
    ],
    ids=["one-of-matches-none", "one-of-bad-member", "other-error-beside-ambiguous-one-of"],
)
def test_checker_stays_strict_beside_an_ambiguous_one_of(
    contract: ContractChecker, attributes: dict[str, object], expected: str
) -> None:
    verdict = contract.check("POST", "/api/campaigns", [], CAMPAIGN_HEADERS, _campaign_body(**attributes))
    assert len(verdict.problems) == 1, verdict.problems
    assert expected in verdict.problems[0], verdict.problems
    assert "valid under each of" not in verdict.problems[0], "the accepted ambiguity is not reported"


def _preview_send(revision: str, recipients: object) -> RecordedRequest:
    body = {
        "data": {
            "type": "template-preview-send-job",
            "attributes": {"recipients": recipients, "context": {}},
            "relationships": {"template": {"data": {"type": "template", "id": "T1"}}},
        }
    }
    return RecordedRequest(
        "POST",
        "https://a.klaviyo.com/api/template-preview-send-jobs",
        (("revision", revision), AUTH, JSONAPI),
        json.dumps(body).encode(),
        "test",
        "test",
    )


def test_a_beta_request_is_checked_against_its_beta_document(
    contract: ContractChecker, beta_contracts: list[ContractChecker]
) -> None:
    good = _check_record(contract, _preview_send("2026-07-15.pre", ["a@example.com"]), beta_contracts)
    assert (good.operation_id, good.problems) == ("create_template_preview_send_job_beta", [])
    stable = _check_record(contract, _preview_send(REVISION, ["a@example.com"]), beta_contracts)
    assert any("revision header" in problem for problem in stable.problems)
    bad_body = _check_record(contract, _preview_send("2026-07-15.pre", "a@example.com"), beta_contracts)
    assert bad_body.problems
    alone = _check_record(contract, _preview_send("2026-07-15.pre", ["a@example.com"]))
    assert any("no such operation" in problem for problem in alone.problems)
