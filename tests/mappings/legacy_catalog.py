"""The legacy operation catalog, vendored as data for the coverage check.

Source: ``tests/vendor/legacy-endpoints.md``, section "## Operation index (N operations)"
(the table with columns ID, Method, Legacy path, Generated-SDK name, Hand-written SDK names).
One row per table row, in table order, normalised exactly as
``tests.mappings.test_coverage.parse_operation_index`` reads that table:

* ``path`` is the catalog's legacy path under the legacy base ``/api`` (``/v1/campaigns`` is
  ``/api/v1/campaigns``) without its query string (``/track?data=<b64>`` is ``/api/track``);
  parameter names are kept as the catalog writes them (``{id}``, ``{metric_id}``).
* ``sdk_name`` is the generated SDK's (``klaviyo-sdk`` 1.0.9) operation name, or None where the
  catalog has none (S1-S4: variants of the hand-written SDKs and integrations).

The coverage test checks the registry against this table on every machine, and, where the
reference file is present, that this table still equals the one parsed from it. To refresh
after the reference changes, print ``parse_operation_index`` of the new file and replace
``OPERATIONS``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogRow:
    id: str
    method: str
    path: str  # as proxied: /api/... without query, parameters as written in the catalog
    sdk_name: str | None = None  # the generated SDK's operation name, when it has one


OPERATIONS: tuple[CatalogRow, ...] = (
    CatalogRow("A1", "GET", "/api/track", "track_get"),
    CatalogRow("A2", "POST", "/api/track", "track_post"),
    CatalogRow("A3", "GET", "/api/identify", "identify_get"),
    CatalogRow("A4", "POST", "/api/identify", "identify_post"),
    CatalogRow("B1", "GET", "/api/v1/campaigns", "get_campaigns"),
    CatalogRow("B2", "POST", "/api/v1/campaigns", "create_campaign"),
    CatalogRow("B3", "GET", "/api/v1/campaign/{id}", "get_campaign_info"),
    CatalogRow("B4", "PUT", "/api/v1/campaign/{id}", "update_campaign"),
    CatalogRow("B5", "POST", "/api/v1/campaign/{id}/send", "send_campaign"),
    CatalogRow("B6", "POST", "/api/v1/campaign/{id}/schedule", "schedule_campaign"),
    CatalogRow("B7", "POST", "/api/v1/campaign/{id}/cancel", "cancel_campaign"),
    CatalogRow("B8", "POST", "/api/v1/campaign/{id}/clone", "clone_campaign"),
    CatalogRow("B9", "GET", "/api/v1/campaign/{id}/recipients", "get_campaign_recipients"),
    CatalogRow("C1", "GET", "/api/v1/email-templates", "get_templates"),
    CatalogRow("C2", "POST", "/api/v1/email-templates", "create_template"),
    CatalogRow("C3", "PUT", "/api/v1/email-template/{id}", "update_template"),
    CatalogRow("C4", "DELETE", "/api/v1/email-template/{id}", "delete_template"),
    CatalogRow("C5", "POST", "/api/v1/email-template/{id}/clone", "clone_template"),
    CatalogRow("C6", "POST", "/api/v1/email-template/{id}/render", "render_template"),
    CatalogRow("C7", "POST", "/api/v1/email-template/{id}/send", "send_template"),
    CatalogRow("D1", "GET", "/api/v1/metrics", "get_metrics"),
    CatalogRow("D2", "GET", "/api/v1/metrics/timeline", "metrics_timeline"),
    CatalogRow("D3", "GET", "/api/v1/metric/{id}/timeline", "metric_timeline"),
    CatalogRow("D4", "GET", "/api/v1/metric/{id}/export", "metric_export"),
    CatalogRow("E1", "GET", "/api/v1/person/{id}", "get_profile"),
    CatalogRow("E2", "PUT", "/api/v1/person/{id}", "update_profile"),
    CatalogRow("E3", "GET", "/api/v1/person/{id}/metrics/timeline", "profile_metrics_timeline"),
    CatalogRow("E4", "GET", "/api/v1/person/{id}/metric/{metric_id}/timeline", "profile_metric_timeline"),
    CatalogRow("E5", "GET", "/api/v2/people/search", "get_profile_id"),
    CatalogRow("E6", "POST", "/api/v2/people/exchange", "exchange"),
    CatalogRow("F1", "GET", "/api/v2/lists", "get_lists"),
    CatalogRow("F2", "POST", "/api/v2/lists", "create_list"),
    CatalogRow("F3", "GET", "/api/v2/list/{id}", "get_list_info"),
    CatalogRow("F4", "PUT", "/api/v2/list/{id}", "update_list_name"),
    CatalogRow("F5", "DELETE", "/api/v2/list/{id}", "delete_list"),
    CatalogRow("F6", "POST", "/api/v2/list/{id}/subscribe", "subscribe"),
    CatalogRow("F7", "DELETE", "/api/v2/list/{id}/subscribe", "unsubscribe"),
    CatalogRow("F8", "POST", "/api/v2/list/{id}/get-list-subscriptions", "get_list_subscriptions"),
    CatalogRow("F9", "POST", "/api/v2/list/{id}/members", "add_members"),
    CatalogRow("F10", "DELETE", "/api/v2/list/{id}/members", "remove_members"),
    CatalogRow("F11", "POST", "/api/v2/list/{id}/get-members", "get_list_members"),
    CatalogRow("F12", "GET", "/api/v2/list/{id}/exclusions/all", "get_list_exclusions"),
    CatalogRow("F13", "GET", "/api/v2/group/{id}/members/all", "get_members"),
    CatalogRow("F14", "POST", "/api/v2/segment/{id}/get-members", "get_segment_members"),
    CatalogRow("F15", "GET", "/api/v1/people/exclusions", "get_global_exclusions"),
    CatalogRow("F16", "POST", "/api/v1/people/exclusions", "exclude_globally"),
    CatalogRow("G1", "POST", "/api/v2/data-privacy/deletion-request", "request_deletion"),
    CatalogRow("S1", "GET", "/api/v2/list/{id}/subscribe", None),
    CatalogRow("S2", "GET", "/api/v2/list/{id}/members", None),
    CatalogRow("S3", "GET", "/api/v1/segment/{id}/members", None),
    CatalogRow("S4", "GET", "/api/v1/lists", None),
)
