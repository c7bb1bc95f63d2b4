"""The API's error model: the published Omniagent error body, one exception type to raise it.

Body: ``{"code", "description", "type", "numericType"}`` (docs: every API-reference page and the
"Limits" page; see docs/omniagent-public-api.md section 0.2), plus ``details`` (field errors) as an
additive extension. The published worked examples carry ``type`` as the same number as
``numericType`` (``"type": 12, "numericType": 12``); we answer that form.

``numericType`` is a kind of error, not a code. The two published values are 3 (a conflict or limit)
and 12 (rate limit); the others follow the same enumeration (failure 0, unexpected 1, validation 2,
conflict 3, not found 4, unauthorized 5, forbidden 6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class ErrorKind(IntEnum):
    FAILURE = 0
    UNEXPECTED = 1
    VALIDATION = 2
    CONFLICT = 3
    NOT_FOUND = 4
    UNAUTHORIZED = 5
    FORBIDDEN = 6
    RATE_LIMITED = 12


@dataclass(frozen=True)
class FieldError:
    """One offending field: a dotted path in the request (``providerSettings.temperature``)."""

    field: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass
class ApiError(Exception):
    status: int
    code: str
    description: str
    kind: ErrorKind
    details: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.description}"

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "description": self.description,
            "type": int(self.kind),
            "numericType": int(self.kind),
        }
        if self.details:
            body["details"] = [d.to_json() for d in self.details]
        return body


def validation_failed(description: str, details: list[FieldError] | None = None) -> ApiError:
    return ApiError(400, "ValidationFailed", description, ErrorKind.VALIDATION, details or [])


def invalid_field(field_path: str, message: str) -> ApiError:
    return validation_failed(f"{field_path}: {message}", [FieldError(field_path, message)])


def not_found(resource: str, resource_id: str) -> ApiError:
    return ApiError(
        404, f"{resource}NotFound", f"{resource} '{resource_id}' was not found.", ErrorKind.NOT_FOUND
    )


def unauthorized(description: str) -> ApiError:
    return ApiError(
        401, "Unauthorized", description, ErrorKind.UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"}
    )


def payment_required(description: str) -> ApiError:
    return ApiError(402, "PaymentRequired", description, ErrorKind.FORBIDDEN)


def forbidden(description: str) -> ApiError:
    return ApiError(403, "Forbidden", description, ErrorKind.FORBIDDEN)


def conflict(code: str, description: str) -> ApiError:
    return ApiError(409, code, description, ErrorKind.CONFLICT)


def precondition_failed(description: str) -> ApiError:
    return ApiError(412, "PreconditionFailed", description, ErrorKind.CONFLICT)


def rate_limited(retry_after_seconds: int) -> ApiError:
    return ApiError(
        429,
        "RequestRateLimitExceeded",
        "Too many requests. Please try again later.",
        ErrorKind.RATE_LIMITED,
        headers={"Retry-After": str(retry_after_seconds)},
    )


def payload_too_large(description: str) -> ApiError:
    return ApiError(413, "PayloadTooLarge", description, ErrorKind.VALIDATION)


def unsupported_media_type(description: str) -> ApiError:
    return ApiError(415, "UnsupportedMediaType", description, ErrorKind.VALIDATION)


def service_unavailable(retry_after_seconds: int = 5) -> ApiError:
    """A service the operation needs (storage) could not be reached: retry, nothing is known written."""
    return ApiError(
        503,
        "ServiceUnavailable",
        "A service this operation needs is unavailable. Please try again later.",
        ErrorKind.FAILURE,
        headers={"Retry-After": str(retry_after_seconds)},
    )


def internal_error() -> ApiError:
    # Never the exception's text: it may hold connection details or data.
    return ApiError(500, "InternalError", "An unexpected error occurred.", ErrorKind.UNEXPECTED)
