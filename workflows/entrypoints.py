"""Finding a workflow module's source file, by module name or entry point, without running it.

`importlib.util.find_spec("a.b.c")` imports the packages `a` and `a.b`, running their
`__init__`; here the import system's finders (`sys.meta_path`, editable installs included) are
asked level by level instead, which runs no code of the packages.
"""

from __future__ import annotations

import importlib.metadata
import sys
from importlib.machinery import ModuleSpec
from pathlib import Path

from mmoda.workflows.errors import WorkflowNotFound

__all__ = ["entry_point", "module_source_file"]


def _ask_finders(name: str, path: list[str] | None) -> ModuleSpec | None:
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        try:
            spec = find(name, path) if find else None
        except (ImportError, ValueError, KeyError):  # KeyError: a namespace package whose
            spec = None                                # parent is not imported; see below
        if spec is not None:
            return spec
    return None


def _namespace(name: str, path: list[str] | None) -> ModuleSpec | None:
    """A PEP 420 namespace package: directories named like it, without `__init__.py`."""
    local = name.rpartition(".")[2]
    found = [str(Path(entry) / local) for entry in (sys.path if path is None else path)
             if (Path(entry or ".") / local).is_dir()]
    if not found:
        return None
    spec = ModuleSpec(name, None, is_package=True)
    spec.submodule_search_locations = found
    return spec


def _find_spec(module: str) -> ModuleSpec | None:
    """The spec of `module`, asked of the import system's finders package by package."""
    spec: ModuleSpec | None = None
    parts = module.split(".")
    for depth in range(1, len(parts) + 1):
        found = spec.submodule_search_locations if spec else None
        if depth > 1 and found is None:
            return None  # the parent is a module, not a package
        name, path = ".".join(parts[:depth]), None if found is None else list(found)
        spec = _ask_finders(name, path)
        if spec is None and depth < len(parts):
            spec = _namespace(name, path)
        if spec is None:
            return None
    return spec


def module_source_file(module: str) -> Path:
    """The `.py` file of `module` on the import path, found without running any code."""
    if not all(part.isidentifier() for part in module.split(".")):
        raise WorkflowNotFound(f"{module!r} is not a module name")
    spec = _find_spec(module)
    origin = Path(spec.origin) if spec and spec.origin else None
    if origin is None or origin.suffix != ".py" or not origin.is_file():
        raise WorkflowNotFound(f"no Python source file for module {module!r} on the path")
    return origin


def entry_point(group: str, name: str) -> importlib.metadata.EntryPoint:
    """The installed entry point `name` of `group`; `WorkflowNotFound` lists the others."""
    found = importlib.metadata.entry_points(group=group)
    matches = {ep.value: ep for ep in found if ep.name == name}
    if len(matches) != 1:
        what = "is declared with different targets" if matches else "is not installed"
        raise WorkflowNotFound(f"entry point {name!r} of group {group} {what}",
                               sorted(matches) if matches else sorted({e.name for e in found}))
    return next(iter(matches.values()))
