"""Errors of the execution layer; foreign errors are wrapped here (`raise X from exc`)."""

from __future__ import annotations

from collections.abc import Sequence


class ExecutorError(Exception):
    """Base class of every error raised by an executor or the executor registry."""


class ExecutorConfigError(ExecutorError):
    """An unknown executor kind, an executor that fails to load, or invalid executor settings.

    `fields` names the offending settings (empty when the kind itself is the problem).
    """

    def __init__(self, message: str, fields: Sequence[str] = ()) -> None:
        self.fields: list[str] = list(fields)
        super().__init__(message)


class SubmitError(ExecutorError):
    """A job could not be submitted; nothing was started."""


class StagingError(SubmitError):
    """An input could not be staged into the work directory (bad scheme, missing, download)."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"cannot stage {source!r}: {reason}")


class UnknownJob(ExecutorError):
    """A handle this executor instance neither submitted nor recovered."""

    def __init__(self, handle: object, reason: str = "not tracked by this executor") -> None:
        self.handle = handle
        super().__init__(f"{handle}: {reason}")


class UnsupportedOperation(ExecutorError):
    """The executor does not offer this capability (see its `supports_*` flags)."""


class InvalidHandle(ExecutorError, ValueError):
    """A stored job handle string that does not parse as `<kind>:<job id>`."""
