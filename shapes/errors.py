"""Errors raised by :mod:`mmoda.shapes`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .validate import Violation

__all__ = ["ShaclViolation", "ShapesError"]


class ShapesError(Exception):
    """Base class of the shapes package's errors (unreadable shapes, validator failures)."""


class ShaclViolation(ShapesError):
    """Data does not conform to the shapes; ``violations`` lists what failed."""

    def __init__(self, violations: Iterable[Violation]) -> None:
        self.violations: list[Violation] = list(violations)
        super().__init__(self._render())

    def _render(self) -> str:
        n = len(self.violations)
        lines = [f"{n} SHACL violation{'s' if n != 1 else ''}:"]
        for v in self.violations:
            where = f"<{v.focus}>" + (f" {v.path}" if v.path else "")
            value = f" (value: {v.value})" if v.value is not None and v.value != v.focus else ""
            lines.append(f"- {where}: {v.message}{value} [{v.constraint}]")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._render()
