"""Errors of the dispatcher protocol, each with the HTTP status the oda-api client expects:
400 (`RequestNotUnderstood`), 403 (`Unauthorized`, showing `exit_status.message`)."""

from __future__ import annotations

__all__ = ["DispatcherError", "Forbidden", "NotUnderstood"]


class DispatcherError(Exception):
    """A request the dispatcher protocol refuses; `field` names the parameter at fault."""

    status = 400
    title = "Request not understood"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


class NotUnderstood(DispatcherError):
    """Unknown instrument or product, unknown or invalid parameters (HTTP 400)."""


class Forbidden(DispatcherError):
    """The token (or its absence) does not allow this instrument (HTTP 403)."""

    status = 403
    title = "Forbidden"
