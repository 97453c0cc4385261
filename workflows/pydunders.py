"""Workflow metadata from a module's dunder variables, read statically.

`__license__` (SPDX id or IRI), `__author__` / `__authors__` ("Name <email> (ORCID)", a dict,
or a list of them), `__instrument__` and `__product__` (labels), `__keywords__` (list of str),
`__runtime__` (dict of cpus, memory, walltime, image, result_lifetime, reusable) and
`__version__` (the tag). Values are checked by `mmoda.workflows.metadata`; errors name the
field and where it is assigned.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from mmoda.workflows.errors import InvalidMetadata, MissingLicense, MissingModuleLicense
from mmoda.workflows.metadata import Labels, creator, license_iri, runtime_needs
from mmoda.workflows.model import Creator, RuntimeNeeds
from mmoda.workflows.pysource import ModuleSource

__all__ = ["ModuleMetadata", "read_dunders"]

_RUNTIME_KEYS = ("cpus", "memory", "walltime", "image", "result_lifetime", "reusable")
T = TypeVar("T")


@dataclass(frozen=True)
class ModuleMetadata:
    """What the dunders of a module say about its workflow."""

    license: str | None = None
    creators: tuple[Creator, ...] = ()
    labels: Labels = field(default_factory=Labels)
    keywords: tuple[str, ...] = ()
    runtime: RuntimeNeeds = field(default_factory=RuntimeNeeds)
    version: str | None = None


def _text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidMetadata(name, value, "must be a non-empty string")
    return value.strip()


def _creators(name: str, value: object) -> tuple[Creator, ...]:
    items = value if isinstance(value, list | tuple) else [value]
    if not items or not all(isinstance(i, str | Mapping) for i in items):
        raise InvalidMetadata(name, value, 'expected "Name <email> (ORCID iD)", a dict with '
                              "name, email, orcid, or a list of them")
    return tuple(creator(i) for i in items if isinstance(i, str | Mapping))


def _keywords(name: str, value: object) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise InvalidMetadata(name, value, "expected a list of strings")
    return tuple(_text(name, k) for k in items)


def _runtime(name: str, value: object) -> RuntimeNeeds:
    if not isinstance(value, Mapping):
        raise InvalidMetadata(name, value, f"expected a dict of {', '.join(_RUNTIME_KEYS)}")
    unknown = sorted(str(k) for k in value if k not in _RUNTIME_KEYS)
    if unknown:
        raise InvalidMetadata(name, value, f"unknown need {', '.join(unknown)}; use "
                              f"{', '.join(_RUNTIME_KEYS)}")
    return runtime_needs(**{str(k): v for k, v in value.items()})


def _license(module: ModuleSource, required: bool) -> str | None:
    node = module.names.get("__license__")
    if not isinstance(node, ast.expr):
        if required:
            raise MissingModuleLicense("the module declares no __license__")
        return None
    value = module.value(node)
    try:
        return license_iri(value)
    except MissingLicense as exc:
        line, column = module.where(node)
        raise MissingModuleLicense(f"{exc.detail or 'the __license__ is empty'} "
                                   f"(line {line}, column {column})") from exc


def _dunder(module: ModuleSource, name: str, read: Callable[[str, object], T]) -> T | None:
    """`read(name, value)` of the module-level `name`; None when the module does not set it."""
    node = module.names.get(name)
    if not isinstance(node, ast.expr):
        return None
    with module.located(module.where(node)):
        return read(name, module.value(node))


def read_dunders(module: ModuleSource, require_license: bool = True) -> ModuleMetadata:
    """The metadata the dunders of `module` declare; see the module docstring."""
    authors = (*(_dunder(module, "__author__", _creators) or ()),
               *(_dunder(module, "__authors__", _creators) or ()))
    return ModuleMetadata(
        license=_license(module, require_license),
        creators=tuple(dict.fromkeys(authors)),  # each creator once, in order
        labels=Labels(_dunder(module, "__instrument__", _text),
                      _dunder(module, "__product__", _text)),
        keywords=_dunder(module, "__keywords__", _keywords) or (),
        runtime=_dunder(module, "__runtime__", _runtime) or RuntimeNeeds(),
        version=_dunder(module, "__version__", _text))
