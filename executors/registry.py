"""Executor discovery: classes come from the `mmoda.executors` entry-point group.

A backend package declares ``[project.entry-points."mmoda.executors"] kind = "pkg.mod:Class"``;
`create_executor` loads only the kind it is asked for and validates the settings there.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from pydantic import BaseModel

from mmoda.executors.base import Executor
from mmoda.executors.errors import ExecutorConfigError

GROUP = "mmoda.executors"


def _load(entry: EntryPoint) -> type[Executor]:
    try:
        cls = entry.load()
    except Exception as exc:  # any import-time failure of a plugin is a configuration error
        raise ExecutorConfigError(f"executor {entry.name!r} ({entry.value}) fails to load: "
                                  f"{type(exc).__name__}: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Executor)):
        raise ExecutorConfigError(f"executor {entry.name!r} ({entry.value}) is not an Executor")
    return cls


def executor_classes() -> dict[str, type[Executor]]:
    """Every installed executor class by kind (loads all of them)."""
    return {entry.name: _load(entry) for entry in entry_points(group=GROUP)}


def executor_class(kind: str) -> type[Executor]:
    """The installed executor class of `kind`."""
    found = entry_points(group=GROUP, name=kind)
    if not found:
        known = ", ".join(sorted(e.name for e in entry_points(group=GROUP))) or "none"
        raise ExecutorConfigError(f"unknown executor kind {kind!r} (installed: {known})")
    return _load(next(iter(found)))


def create_executor(kind: str, settings: Mapping[str, Any] | BaseModel | None = None) -> Executor:
    """An executor of `kind` with its settings validated (`ExecutorConfigError` names fields)."""
    return executor_class(kind)(settings)
