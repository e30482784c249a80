"""``DataPrivacy``: deletion requests by e-mail, phone number and person id (1 method)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from klaviyo.data_privacy import DataPrivacy
from klaviyo.exceptions import KlaviyoAPIException

from tests.e2e import newapi
from tests.e2e.klaviyo3.support import assert_json, ok
from tests.e2e.shapes import (
    unique_email,
    unique_phone,
    wait_for,
)


class TestDataPrivacy:
    def test_request_profile_deletion(
        self, k3: Callable[..., Any], k3_responses: list[Any], new_api: httpx.Client
    ) -> None:
        by_email, by_phone, by_id = unique_email("k3.del1"), unique_phone(), unique_email("k3.del3")
        email_id = newapi.create_profile(new_api, email=by_email)
        phone_id = newapi.create_profile(new_api, phone_number=by_phone)
        person_id = newapi.create_profile(new_api, email=by_id)
        privacy = k3(DataPrivacy)
        for identifier, id_type in (
            (by_email, "email"),
            (by_phone, "phone_number"),
            (person_id, "person_id"),
        ):
            answer = ok(privacy.request_profile_deletion(identifier, id_type=id_type), 202)
            assert answer == {"results": "Submitted new deletion task for customer."}
            assert_json(k3_responses[-1])
        gone = [f"/api/profiles/{profile_id}" for profile_id in (email_id, phone_id, person_id)]
        wait_for(lambda: all(newapi.status_of(new_api, path) == 404 for path in gone), "deletions")
        with pytest.raises(KlaviyoAPIException) as caught:
            privacy.request_profile_deletion(by_email)
        assert (
            caught.value.status_code == 404 and "No Customer corresponding" in caught.value.message["detail"]
        )
