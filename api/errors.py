"""HTTP-level errors of the API; other packages' errors are mapped in `api.problems`."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error with an HTTP status, rendered as `application/problem+json`."""

    status = 400
    title = "Bad Request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}


class BadRequest(ApiError):
    """Malformed input (400)."""


class Unauthorized(ApiError):
    """Missing or invalid credentials (401)."""

    status = 401
    title = "Unauthorized"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="mmoda"'})


class Forbidden(ApiError):
    """Valid credentials without the needed role (403)."""

    status = 403
    title = "Forbidden"


class NotFound(ApiError):
    """No such resource (404)."""

    status = 404
    title = "Not Found"


class NotAcceptable(ApiError):
    """No representation fits the Accept header (406)."""

    status = 406
    title = "Not Acceptable"


class PayloadTooLarge(ApiError):
    """Request body over the configured limit (413)."""

    status = 413
    title = "Content Too Large"


class UnsupportedMediaType(ApiError):
    """Request body in a media type the endpoint does not take (415)."""

    status = 415
    title = "Unsupported Media Type"


class Unprocessable(ApiError):
    """Well-formed input that breaks a rule (422)."""

    status = 422
    title = "Unprocessable Content"


class ServiceUnavailable(ApiError):
    """The service cannot answer now (503)."""

    status = 503
    title = "Service Unavailable"
