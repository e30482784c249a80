"""``Templates``: list, create, update, clone, render, delete; the unsupported send (7 operations)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from swagger_client.rest import ApiException

from tests.e2e import newapi
from tests.e2e.harness import Stack
from tests.e2e.sdk.support import api_error
from tests.e2e.shapes import (
    assert_offset_page,
    assert_template,
    assert_unsupported,
    unique,
)


@pytest.fixture(scope="module")
def seed_templates(own: Stack) -> dict[str, str]:
    with own.new_api() as client:
        return {
            name: newapi.create_template(client, name, f"<html><body>{name}</body></html>")
            for name in ("Alpha letter", "Omega letter", "Beta letter")
        }


class TestTemplates:
    def test_get_templates(self, sdk: Any, seed_templates: dict[str, str]) -> None:
        envelope = dict(sdk.Templates.get_templates(page=0, count=100))
        assert_offset_page(envelope, 0, 100)
        for template in envelope["data"]:
            assert_template(template)
        names = [t["name"] for t in envelope["data"]]
        assert names == sorted(names), "legacy order is by name"
        mine = {t["id"]: t for t in envelope["data"] if t["id"] in seed_templates.values()}
        assert {t["name"] for t in mine.values()} == set(seed_templates)
        alpha = mine[seed_templates["Alpha letter"]]
        assert alpha["html"] == "<html><body>Alpha letter</body></html>" and alpha["is_writeable"] is True

        second = dict(sdk.Templates.get_templates(page=1, count=2))
        assert_offset_page(second, 1, 2)
        assert [t["name"] for t in second["data"]] == names[2:4]

    def test_create_template(self, sdk: Any, new_api: httpx.Client) -> None:
        name = unique("Welcome")
        created = dict(sdk.Templates.create_template(name=name, html="<html><body>Welcome!</body></html>"))
        assert_template(created)
        assert (created["name"], created["html"], created["is_writeable"]) == (
            name,
            "<html><body>Welcome!</body></html>",
            True,
        )
        stored = newapi.get(new_api, f"/api/templates/{created['id']}")["data"]["attributes"]
        assert (stored["name"], stored["html"], stored["editor_type"]) == (
            name,
            "<html><body>Welcome!</body></html>",
            "CODE",
        )

    def test_update_template(self, sdk: Any, new_api: httpx.Client) -> None:
        template_id = newapi.create_template(new_api, unique("Draft"), "<html>old</html>")
        updated = dict(sdk.Templates.update_template(template_id, name="Final", html="<html>new</html>"))
        assert_template(updated)
        assert (updated["id"], updated["name"], updated["html"]) == (template_id, "Final", "<html>new</html>")
        stored = newapi.get(new_api, f"/api/templates/{template_id}")["data"]["attributes"]
        assert (stored["name"], stored["html"]) == ("Final", "<html>new</html>")

    def test_clone_template(self, sdk: Any, new_api: httpx.Client, seed_templates: dict[str, str]) -> None:
        source = seed_templates["Beta letter"]
        clone = dict(sdk.Templates.clone_template(source, name="Beta copy"))
        assert_template(clone)
        assert clone["id"] != source
        assert (clone["name"], clone["html"]) == ("Beta copy", "<html><body>Beta letter</body></html>")
        stored = newapi.get(new_api, f"/api/templates/{clone['id']}")["data"]["attributes"]
        assert (stored["name"], stored["html"]) == ("Beta copy", "<html><body>Beta letter</body></html>")

    def test_render_template(self, sdk: Any, new_api: httpx.Client) -> None:
        template_id = newapi.create_template(
            new_api, "Greeting", "<html><body>Hello {{ first_name }}</body></html>"
        )
        rendered = dict(
            sdk.Templates.render_template(template_id, context=json.dumps({"first_name": "George"}))
        )
        assert set(rendered) == {"object", "id", "name", "data"}
        assert (rendered["object"], rendered["id"], rendered["name"]) == (
            "email-template",
            template_id,
            "Greeting",
        )
        assert set(rendered["data"]) == {"html", "text"}
        assert "Hello George" in rendered["data"]["html"]

    def test_send_template_is_unsupported(self, sdk: Any, seed_templates: dict[str, str]) -> None:
        with pytest.raises(ApiException) as caught:
            sdk.Templates.send_template(
                seed_templates["Alpha letter"],
                from_email="news@example.com",
                from_name="Example Store",
                subject="Test send",
                to=json.dumps([{"email": "someone@example.com", "name": "Someone"}]),
                context=json.dumps({"first_name": "Some"}),
            )
        status, body = api_error(caught)
        assert_unsupported(status, body, names="template-preview-send-jobs")

    def test_delete_template(self, sdk: Any, new_api: httpx.Client) -> None:
        name = unique("Old")
        template_id = newapi.create_template(new_api, name, "<html>bye</html>")
        deleted = dict(sdk.Templates.delete_template(template_id))
        assert deleted.pop("is_deleted") is True
        assert_template(deleted)
        assert (deleted["id"], deleted["name"], deleted["html"]) == (template_id, name, "<html>bye</html>")
        assert newapi.status_of(new_api, f"/api/templates/{template_id}") == 404
