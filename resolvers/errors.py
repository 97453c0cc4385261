"""Errors of request resolution; parameter failures name the parameter, the value and the reason."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class ResolverError(Exception):
    """Base class of every error raised while resolving a request."""


class ParameterError(ResolverError):
    """One parameter value that cannot be normalised or fails a check.

    `str(error)` reads like ``E1: 5 keV is below the lower limit 15 keV``.
    """

    def __init__(self, name: str, value: Any, reason: str) -> None:
        self.name = name
        self.value = value
        self.reason = reason
        super().__init__(f"{name}: {reason}")

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form: the parameter name, the offending value (as given when JSON
        can carry it, else its repr) and the reason."""
        shown = self.value if self.value is None or isinstance(
            self.value, str | int | float | bool | list | dict) else repr(self.value)
        return {"name": self.name, "value": shown, "reason": self.reason}


class ParameterErrors(ResolverError):
    """Several parameter failures reported together (one per failing parameter)."""

    def __init__(self, errors: Iterable[ParameterError]) -> None:
        self.errors: list[ParameterError] = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))

    @property
    def names(self) -> list[str]:
        """The failing parameter names, in report order."""
        return [e.name for e in self.errors]


class UnknownWorkflow(ResolverError):
    """The request names no workflow of the catalog (or an ambiguous instrument + product).

    `field` names the request field at fault (``workflow``, ``version``, ``instrument``).
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class NoCandidate(ResolverError):
    """No (site, executor) can run the request; `constraint` names the constraint that failed
    (``offer``, ``enabled``, ``data``, ``executor``, ``forwarding``) and `details` what was seen.
    """

    def __init__(self, constraint: str, message: str, details: list[dict[str, object]]) -> None:
        self.constraint = constraint
        self.details = details
        super().__init__(message)
