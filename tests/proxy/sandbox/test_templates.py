"""Templates: create, read, update, delete, list pages, clone and render."""

from __future__ import annotations

from typing import Any

import httpx

from proxy.sandbox import Store
from tests.proxy.sandbox.conftest import error_of


def template_body(name: str, **attributes: Any) -> dict[str, Any]:
    return {
        "data": {
            "type": "template",
            "attributes": {
                "name": name,
                "editor_type": "CODE",
                "html": "<p>{{ first_name }}</p>",
                **attributes,
            },
        }
    }


async def test_template_crud(api: httpx.AsyncClient) -> None:
    created = await api.post("/api/templates", json=template_body("Welcome", text="Hi"))
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    assert len(data["id"]) == 6
    assert data["attributes"]["editor_type"] == "CODE" and data["attributes"]["text"] == "Hi"
    assert data["attributes"]["amp"] is None and data["attributes"]["created"].endswith("+00:00")
    patch = {"data": {"type": "template", "id": data["id"], "attributes": {"html": "<b>new</b>"}}}
    updated = await api.patch(f"/api/templates/{data['id']}", json=patch)
    assert updated.json()["data"]["attributes"]["html"] == "<b>new</b>"
    assert updated.json()["data"]["attributes"]["name"] == "Welcome"
    assert (await api.get(f"/api/templates/{data['id']}")).status_code == 200
    assert (await api.delete(f"/api/templates/{data['id']}")).status_code == 204
    assert (await api.get(f"/api/templates/{data['id']}")).status_code == 404


async def test_template_validation(api: httpx.AsyncClient) -> None:
    no_editor = template_body("X")
    del no_editor["data"]["attributes"]["editor_type"]
    error = error_of(await api.post("/api/templates", json=no_editor))
    assert error["source"] == {"pointer": "/data/attributes/editor_type"}
    bad_editor = template_body("X", editor_type="WYSIWYG")
    assert (await api.post("/api/templates", json=bad_editor)).status_code == 400


async def test_templates_sorted_and_paged_by_ten(api: httpx.AsyncClient, store: Store) -> None:
    for n in range(11):
        store.add_template(f"T{n:02d}", "<p/>")
    first = (await api.get("/api/templates", params={"sort": "-name"})).json()
    assert len(first["data"]) == 10 and first["data"][0]["attributes"]["name"] == "T10"
    second = (await api.get(first["links"]["next"])).json()
    assert [t["attributes"]["name"] for t in second["data"]] == ["T00"]
    assert (await api.get("/api/templates", params={"page[size]": "11"})).status_code == 400
    named = await api.get("/api/templates", params={"filter": "equals(name,'T03')"})
    assert [t["attributes"]["name"] for t in named.json()["data"]] == ["T03"]


async def test_clone_and_render(api: httpx.AsyncClient, store: Store) -> None:
    source = store.add_template(
        "Base", "<p>Hello {{ first_name }} {{ person.city|default:'' }}</p>", text="Hi"
    )
    clone = await api.post(
        "/api/template-clone",
        json={"data": {"type": "template", "id": source.id, "attributes": {"name": "Copy"}}},
    )
    assert clone.status_code == 201
    assert clone.json()["data"]["id"] != source.id
    assert clone.json()["data"]["attributes"]["name"] == "Copy"
    rendered = await api.post(
        "/api/template-render",
        json={
            "data": {
                "type": "template",
                "id": source.id,
                "attributes": {"context": {"first_name": "Ada", "person": {"city": "X"}}},
            }
        },
    )
    assert rendered.status_code == 201
    assert rendered.json()["data"]["attributes"]["html"] == "<p>Hello Ada X</p>"


def preview_body(template_id: str, recipients: Any, **extra: Any) -> dict[str, Any]:
    return {
        "data": {
            "type": "template-preview-send-job",
            "attributes": {"recipients": recipients, **extra},
            "relationships": {"template": {"data": {"type": "template", "id": template_id}}},
        }
    }


BETA = {"revision": "2026-07-15.pre"}


async def test_a_preview_send_is_recorded_and_answers_a_queued_job(
    api: httpx.AsyncClient, store: Store
) -> None:
    template = store.add_template("Hello", "<p>Hi {{ first_name }}</p>")
    sent = await api.post(
        "/api/template-preview-send-jobs",
        json=preview_body(template.id, ["a@example.com", "b@example.com"], context={"first_name": "Ada"}),
        headers=BETA,
    )
    assert sent.status_code == 202, sent.text
    job = sent.json()["data"]
    assert (job["type"], job["attributes"]["status"]) == ("template-preview-send-job", "queued")
    [record] = store.preview_sends
    assert (record.job_id, record.template_id, record.recipients) == (
        job["id"],
        template.id,
        ("a@example.com", "b@example.com"),
    )
    assert (record.html, record.revision, record.context) == (
        "<p>Hi Ada</p>",
        "2026-07-15.pre",
        {"first_name": "Ada"},
    )
    sparse = await api.post(
        "/api/template-preview-send-jobs",
        params={"fields[template-preview-send-job]": "status"},
        json=preview_body(template.id, ["a@example.com"]),
        headers=BETA,
    )
    assert sparse.json()["data"]["attributes"] == {"status": "queued"}


async def test_a_preview_send_needs_a_beta_revision_and_a_valid_body(
    api: httpx.AsyncClient, store: Store
) -> None:
    template = store.add_template("Hello", "<p>Hi</p>")
    stable = await api.post(
        "/api/template-preview-send-jobs", json=preview_body(template.id, ["a@example.com"])
    )
    assert stable.status_code == 400
    assert error_of(stable)["source"] == {"parameter": "revision"}
    cases = [
        (
            preview_body(template.id, [f"r{n}@example.com" for n in range(6)]),
            400,
            "/data/attributes/recipients",
        ),
        (preview_body(template.id, []), 400, "/data/attributes/recipients"),
        (preview_body(template.id, "a@example.com"), 400, "/data/attributes/recipients"),
        (preview_body(template.id, ["not-an-address"]), 400, "/data/attributes/recipients/0"),
        (preview_body(template.id, ["a@example.com"], context=["x"]), 400, "/data/attributes/context"),
        ({"data": {"type": "template", "attributes": {"recipients": ["a@example.com"]}}}, 400, "/data/type"),
        (
            {"data": {"type": "template-preview-send-job", "attributes": {"recipients": ["a@example.com"]}}},
            400,
            "/data/relationships",
        ),
        (preview_body("NOPE", ["a@example.com"]), 404, None),
    ]
    for document, status, pointer in cases:
        answer = await api.post("/api/template-preview-send-jobs", json=document, headers=BETA)
        assert answer.status_code == status, (document, answer.text)
        if pointer is not None:
            assert error_of(answer)["source"] == {"pointer": pointer}, document
    assert store.preview_sends == []
