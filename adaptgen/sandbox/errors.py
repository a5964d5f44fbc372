"""The error type every sandbox layer raises; the HTTP layer renders it as the error envelope."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error with an HTTP status, a stable machine code and optional per-field details."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []


def not_found(object_type: str, raw_id: str) -> ApiError:
    """404 for an unknown (or soft-deleted) record."""
    return ApiError(404, "NOT_FOUND", f"No {object_type} with id {raw_id!r}")


def validation_failed(details: list[dict[str, Any]], message: str = "") -> ApiError:
    """422 with one ``{"field", "issue"}`` entry per problem."""
    return ApiError(422, "VALIDATION_FAILED", message or "Request validation failed", details)
