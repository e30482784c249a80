"""Unit tests: v2 list shapes (F1, F3), list bodies (F2, F4) and the v1 merge of S4."""

from __future__ import annotations

from typing import Any

from mappings.operations.segments import member_record
from mappings.translate.list_objects import legacy_list_info, legacy_list_names, list_body, newest_first


def _res(kind: str, ident: str, name: str = "n", created: str | None = None) -> dict[str, Any]:
    return {"type": kind, "id": ident, "attributes": {"name": name, "created": created}}


def test_list_names_in_byte_order() -> None:
    rows = legacy_list_names(
        [_res("list", "b1"), _res("list", "Ba"), _res("list", "BA"), {"id": None}, "junk"]
    )
    assert [r["list_id"] for r in rows] == ["BA", "Ba", "b1"]
    assert rows[0] == {"list_id": "BA", "list_name": "n"}


def test_list_info() -> None:
    body = {
        "data": {
            "type": "list",
            "id": "L1",
            "attributes": {
                "name": "News",
                "opt_in_process": "single_opt_in",
                "created": "2019-05-16T17:25:04.123+00:00",
                "updated": "2019-05-16T19:25:04+02:00",
            },
        }
    }
    assert legacy_list_info(body) == {
        "list_name": "News",
        "folder_id": None,
        "opt_in_process": "single_opt_in",
        "created": "2019-05-16 17:25:04",
        "updated": "2019-05-16 17:25:04",
    }
    assert legacy_list_info(None)["list_name"] is None


def test_list_bodies() -> None:
    assert list_body("News") == {"data": {"type": "list", "attributes": {"name": "News"}}}
    assert list_body("News", "L1") == {"data": {"type": "list", "id": "L1", "attributes": {"name": "News"}}}


def test_newest_first_then_by_id() -> None:
    merged = newest_first(
        [
            _res("list", "B", created="2021-01-01T00:00:00+00:00"),
            _res("segment", "A", created="2021-01-01T00:00:00+00:00"),
            _res("list", "C", created="2022-01-01T00:00:00Z"),
            _res("segment", "D", created=None),
            _res("segment", "E", created="not a date"),
        ]
    )
    assert [r["id"] for r in merged] == ["C", "A", "B", "D", "E"]


def test_member_record_keys_only_when_set() -> None:
    assert member_record({"id": "P", "attributes": {"email": "a@x.com", "phone_number": None}}) == {
        "id": "P",
        "email": "a@x.com",
    }
    assert member_record({"id": "P", "attributes": {"email": None, "phone_number": "+1"}}) == {
        "id": "P",
        "phone_number": "+1",
    }
    assert member_record({"id": "P"}) == {"id": "P"}
