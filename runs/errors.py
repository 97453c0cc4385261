"""Errors of the runs package: requests, runs and results."""

from __future__ import annotations


class RunsError(Exception):
    """Base class of the runs package's errors."""


class NotFound(RunsError):
    """No request, run or result with that id."""


class NotAllowed(RunsError):
    """The caller may not run this workflow, or see or cancel this run (`status` 401 or 403)."""

    def __init__(self, message: str, *, anonymous: bool) -> None:
        self.anonymous = anonymous
        super().__init__(message)


class CannotRun(RunsError):
    """The chosen executor could not start the job (configuration, staging, submission)."""


class NotCancellable(RunsError):
    """The run is already over (or its executor cannot cancel)."""
