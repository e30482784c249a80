"""``DataPrivacy``: profile deletion requests (1 operation)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from swagger_client.rest import ApiException

from tests.e2e import newapi
from tests.e2e.sdk.support import api_error, raw
from tests.e2e.shapes import (
    unique_email,
    wait_for,
)


class TestDataPrivacy:
    def test_request_deletion(self, sdk: Any, new_api: httpx.Client) -> None:
        email = unique_email("forget.me")
        person_id = newapi.create_profile(new_api, email=email)
        sdk.DataPrivacy.request_deletion(body={"email": email})
        assert raw(sdk, "DataPrivacy") == (202, {"results": "Submitted new deletion task for customer."})
        wait_for(lambda: newapi.status_of(new_api, f"/api/profiles/{person_id}") == 404, "profile deleted")
        with pytest.raises(ApiException) as caught:
            sdk.DataPrivacy.request_deletion(body={"person_id": person_id})
        status, body = api_error(caught)
        assert status == 404 and "No Customer corresponding" in body["detail"]
