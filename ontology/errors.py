"""Errors raised by :mod:`mmoda.ontology`."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["OntologyError", "OntologyInconsistent"]


class OntologyError(Exception):
    """Base class of the ontology package's errors (bad input, reasoner failures)."""


class OntologyInconsistent(OntologyError):
    """The ontology (with the extra axioms given) is inconsistent or has unsatisfiable classes.

    Attributes:
        message: a readable explanation naming the culprits that could be found.
        unsatisfiable: IRIs of the named classes equivalent to ``owl:Nothing``.
        individuals: IRIs of individuals found to be members of disjoint (or
            unsatisfiable) classes; empty when the ontology is merely incoherent.
    """

    def __init__(
        self,
        message: str,
        unsatisfiable: Iterable[str] = (),
        *,
        individuals: Iterable[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.unsatisfiable: list[str] = sorted(set(unsatisfiable))
        self.individuals: list[str] = sorted(set(individuals))

    @property
    def culprits(self) -> list[str]:
        """All IRIs named as causes: unsatisfiable classes, then individuals."""
        return [*self.unsatisfiable, *self.individuals]
