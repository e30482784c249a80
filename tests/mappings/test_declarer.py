"""The declarer validates each declaration once, when it is made, and says what is wrong."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mappings import protocol
from mappings.core import Call, Family, Fidelity, LegacyRequest, Plan, UpstreamBound
from mappings.core.declarer import Declarer
from mappings.operations import campaign_actions, templates


def _plan(req: LegacyRequest) -> Plan:
    """A plan long enough to be catalogued, that asks the upstream nothing at all."""
    return protocol.bad_request(Family.V1, "no")
    yield  # pragma: no cover


def test_declarations_collect_into_the_declarer_with_its_family() -> None:
    ops = Declarer(Family.V2, docs="https://docs.test/")
    v1 = ops.also(Family.V1)
    a = ops.declare(
        "Z1",
        "z1",
        "get",
        "/api/v2/z",
        upstream=("get_lists",),
        fidelity=Fidelity.EXACT,
        successor="get_lists",
    )(_plan)
    b = v1.declare("Z2", "z2", "POST", "/api/v1/z", upstream=("get_lists",), fidelity=Fidelity.EXACT, successor="get_lists", max_upstream_calls=UpstreamBound(0, 3, "P pages"))(_plan)  # fmt: skip
    assert ops.operations == (a, b) == v1.operations
    assert (a.family, a.method, a.successor, str(a.max_upstream_calls)) == (
        Family.V2, "GET", "https://docs.test/get_lists", "1",
    )  # fmt: skip
    assert (b.family, b.max_upstream_calls.limit, str(b.max_upstream_calls)) == (Family.V1, 3, "P pages")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"successor": "https://x.test/get_lists"}, "must be a new-API operation id"),
        ({"max_upstream_calls": 0}, "0 upstream calls but upstream"),
        ({"fidelity": Fidelity.LOSSY}, "`lost` says what"),
    ],
)
def test_a_broken_declaration_fails_at_import(kwargs: dict[str, object], message: str) -> None:
    ops = Declarer(Family.V1, docs=protocol.DOCS)
    base: dict[str, object] = {
        "upstream": ("get_lists",),
        "fidelity": Fidelity.EXACT,
        "successor": "get_lists",
    }
    with pytest.raises(ValueError, match=message):
        ops.declare("Z1", "z1", "GET", "/api/v1/z", **{**base, **kwargs})(_plan)  # type: ignore[arg-type]


def test_a_plan_without_docstring_or_a_repeated_id_is_refused() -> None:
    ops = Declarer(Family.V1, docs=protocol.DOCS)

    def undocumented(req: LegacyRequest) -> Plan:
        return (yield from _plan(req))

    declare = ops.declare("Z1", "z1", "GET", "/api/v1/z", upstream=("get_lists",), fidelity=Fidelity.EXACT, successor="get_lists")  # fmt: skip
    with pytest.raises(ValueError, match="needs a docstring"):
        declare(undocumented)
    declare(_plan)
    with pytest.raises(ValueError, match="declared twice"):
        declare(_plan)


def test_a_bound_with_a_data_dependent_part_needs_its_text() -> None:
    with pytest.raises(ValueError, match="needs its text"):
        UpstreamBound(1, None)
    assert UpstreamBound(2, None, "2 + A").limit is None
    assert str(UpstreamBound(4)) == "4"


def test_an_unsupported_operation_answers_the_legacy_501_without_upstream_steps() -> None:
    ops = Declarer(Family.V1, docs=protocol.DOCS)
    op = ops.unsupported(
        "Z1",
        "send_widget",
        "POST",
        "/api/v1/widget/{widget_id}/send",
        successor="create_widget_job",
        what="Sending a widget (POST /api/v1/widget/{id}/send)",
        replacement="POST /api/widget-jobs",
        lost="Everything.",
        doc="Not supported: answers 501 naming the successor, POST /api/widget-jobs.",
    )
    plan = op.plan(LegacyRequest("POST", "/api/v1/widget/w1/send", path_params={"widget_id": "w1"}))
    with pytest.raises(StopIteration) as stop:
        next(plan)
    reply = stop.value.value
    assert reply.status == 501
    assert reply.body["status"] == 501
    assert "is not supported by the new Klaviyo API" in reply.body["message"]
    assert reply.body["message"].endswith(f"({protocol.DOCS}create_widget_job).")
    assert (op.fidelity, op.upstream, op.max_upstream_calls.limit) == (Fidelity.UNSUPPORTED, (), 0)


def test_c7_answers_the_501_naming_both_settings_unless_both_are_set() -> None:
    op = templates.send_template
    request = LegacyRequest("POST", "/api/v1/email-template/t1/send", path_params={"template_id": "t1"})
    form = {"from_email": ["a@b.com"], "from_name": ["A"], "subject": ["S"], "to": ["c@d.com"]}
    for opt_ins in ((), (protocol.TEMPLATE_SEND_BETA,), (protocol.BETA_REVISION,)):
        plan = op.plan(replace(request, params=form, opt_ins=frozenset(opt_ins)))
        with pytest.raises(StopIteration) as stop:
            next(plan)
        reply = stop.value.value
        assert reply.status == 501, opt_ins
        message = reply.body["message"]
        assert "template_send_beta = true" in message and 'beta_revision = "2026-07-15.pre"' in message
        assert message.endswith(f"({protocol.DOCS}create_template_preview_send_job).")
    opted = op.plan(
        replace(
            request, params=form, opt_ins=frozenset({protocol.TEMPLATE_SEND_BETA, protocol.BETA_REVISION})
        )
    )
    step = next(opted)
    assert isinstance(step, Call) and step.op == "get_template"
    assert (op.fidelity, op.upstream, op.max_upstream_calls.limit) == (
        Fidelity.LOSSY,
        ("get_template", "create_template_preview_send_job_beta"),
        2,
    )


def test_b9_answers_the_501_unless_the_operator_opts_in() -> None:
    op = campaign_actions.get_campaign_recipients
    plan = op.plan(LegacyRequest("GET", "/api/v1/campaign/c1/recipients", path_params={"campaign_id": "c1"}))
    with pytest.raises(StopIteration) as stop:
        next(plan)
    reply = stop.value.value
    assert reply.status == 501 and "approximate_recipients = true" in reply.body["message"]
    assert reply.body["message"].endswith(f"({protocol.DOCS}get_campaign_recipient_estimation).")
    opted = op.plan(
        LegacyRequest(
            "GET",
            "/api/v1/campaign/c1/recipients",
            path_params={"campaign_id": "c1"},
            opt_ins=frozenset({protocol.APPROXIMATE_RECIPIENTS}),
        )
    )
    step = next(opted)
    assert isinstance(step, Call) and step.op == "get_campaign"
