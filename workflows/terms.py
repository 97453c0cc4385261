"""Ontology namespaces for typing workflow functions: `oda.Energy_keV` is the IRI string.

    from typing import Annotated
    from mmoda.workflows.terms import oda, unit

    def spectrum(E1: Annotated[float, oda.Energy_keV, {"unit": unit.keV}] = 20.0): ...

Attribute access gives a plain `str`, so a module typed this way keeps working without MMODA
once the IRIs are written out. `mmoda.workflows.function` reads these names statically.
"""

from __future__ import annotations

__all__ = ["ODA", "UNIT", "Terms", "oda", "unit"]

ODA = "http://odahub.io/ontology#"
UNIT = "http://odahub.io/ontology/unit#"


class Terms:
    """A namespace whose attributes (and items) are the IRIs of its terms."""

    __slots__ = ("_base",)

    def __init__(self, base: str) -> None:
        """Terms under the namespace IRI `base` (ending in `#` or `/`)."""
        self._base = base

    def __getattr__(self, name: str) -> str:
        # Dunder look-ups (copy, pickle, IPython) must not turn into IRIs.
        if name.startswith("__"):
            raise AttributeError(name)
        return self._base + name

    def __getitem__(self, name: str) -> str:
        """The IRI of `name`, for local names that are not Python identifiers."""
        return self._base + name

    def __repr__(self) -> str:
        return f"Terms({self._base!r})"


oda = Terms(ODA)
unit = Terms(UNIT)
