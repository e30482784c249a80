"""Unit tests: template resources -> legacy email-template objects, C1's html batches."""

from __future__ import annotations

from typing import Any

import pytest

from mappings.operations.templates import html_calls
from mappings.translate.template_objects import by_id, legacy_rendered, legacy_template, template_body


def _template(**attributes: Any) -> dict[str, Any]:
    return {"type": "template", "id": "UAAkAc", "attributes": attributes}


def test_legacy_template_full() -> None:
    got = legacy_template(
        _template(
            name="Monthly Newsletter",
            editor_type="CODE",
            html="<html>x</html>",
            text="x",
            created="2022-04-11T17:25:23.123+02:00",
            updated="2022-05-25T16:00:35+00:00",
        )
    )
    assert got == {
        "object": "email-template",
        "id": "UAAkAc",
        "name": "Monthly Newsletter",
        "html": "<html>x</html>",
        "is_writeable": True,
        "created": "2022-04-11 15:25:23",
        "updated": "2022-05-25 16:00:35",
    }


@pytest.mark.parametrize(
    ("editor", "writeable"),
    [("CODE", True), ("USER_DRAGGABLE", False), ("SYSTEM_DRAGGABLE", False), (None, False)],
)
def test_is_writeable_only_for_code_templates(editor: str | None, writeable: bool) -> None:
    assert legacy_template(_template(editor_type=editor))["is_writeable"] is writeable


def test_legacy_template_tolerates_missing_attributes() -> None:
    got = legacy_template({"id": "T1"})
    assert got["id"] == "T1"
    assert got["name"] is None
    assert got["html"] is None
    assert got["created"] is None


def test_legacy_rendered() -> None:
    got = legacy_rendered("T1", {"attributes": {"name": "N", "html": "<b>Hi</b>", "text": "Hi", "amp": "x"}})
    assert got == {
        "object": "email-template",
        "id": "T1",
        "name": "N",
        "data": {"html": "<b>Hi</b>", "text": "Hi"},
    }


def test_by_id_first_wins_and_skips_junk() -> None:
    rows = [{"id": "A", "n": 1}, "junk", {"id": "A", "n": 2}, {"id": 3}, {"id": "B"}]
    assert by_id(rows) == {"A": {"id": "A", "n": 1}, "B": {"id": "B"}}


def test_template_body() -> None:
    assert template_body({"name": "N"}) == {"data": {"type": "template", "attributes": {"name": "N"}}}
    assert template_body({"name": "N"}, "T1") == {
        "data": {"type": "template", "id": "T1", "attributes": {"name": "N"}}
    }


def test_html_calls_batch_ten_ids() -> None:
    ids = [f"T{i:02d}" for i in range(23)]
    calls = html_calls(ids)
    assert [c.op for c in calls] == ["get_templates"] * 3
    assert calls[2].query["filter"] == 'any(id,["T20","T21","T22"])'
    assert all(c.query["page[size]"] == "10" for c in calls)
    assert calls[0].query["fields[template]"] == "name,editor_type,html,created,updated"
    assert html_calls([]) == ()
