"""JSON:API error documents, shaped like the spec's ClientError schema.

Handlers raise :class:`ApiError`; the app turns it into
``{"errors": [{"id", "status", "code", "title", "detail", "source", ...}]}``.
"""

from __future__ import annotations

import uuid
from typing import Any

TITLES = {
    400: "Invalid input.",
    401: "Authentication credentials were not provided.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    405: "Method not allowed.",
    409: "Conflict.",
    415: "Unsupported media type.",
    500: "A server error occurred.",
}


class ApiError(Exception):
    """An error answer. ``pointer`` names a body member, ``parameter`` a query parameter."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        pointer: str | None = None,
        parameter: str | None = None,
        title: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.pointer = pointer
        self.parameter = parameter
        self.title = title or TITLES.get(status, "Error.")
        self.meta = meta

    def document(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "status": self.status,
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
            "source": {"parameter": self.parameter}
            if self.parameter
            else {"pointer": self.pointer or "/data/"},
        }
        if self.meta:
            error["meta"] = self.meta
        return {"errors": [error]}


def invalid(detail: str, *, pointer: str | None = None, parameter: str | None = None) -> ApiError:
    return ApiError(400, "invalid", detail, pointer=pointer, parameter=parameter)


def required(pointer: str) -> ApiError:
    return ApiError(400, "required", "This field is required.", pointer=pointer, title="Missing field.")


def not_found(kind: str, ident: str) -> ApiError:
    return ApiError(404, "not_found", f"A {kind} with id {ident} does not exist.")
