"""The ontology terms an annotation may use: parameter and product classes, units and formats.

Terms are checked against the shipped ontology (`mmoda.ontology.class_index`), optionally
narrowed or extended by the classes a knowledge graph knows (`known_classes`). An unknown term
raises `UnknownTerm` with the closest known terms (difflib over local names) as suggestions.
"""

from __future__ import annotations

import difflib
from functools import cache

import pyoxigraph as ox

from mmoda.ontology import class_index, load_context, ontology_triples
from mmoda.workflows.errors import UnknownTerm

__all__ = ["PREFIXES", "Vocabulary", "compact"]

ODA = "http://odahub.io/ontology#"
UNIT = "http://odahub.io/ontology/unit#"
_OWL_CLASS = "http://www.w3.org/2002/07/owl#Class"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
WORKFLOW_PARAMETER = ODA + "WorkflowParameter"
DATA_PRODUCT = ODA + "DataProduct"
# Python value types of the ODA base classes, most specific first (Integer is no Float).
VALUE_TYPES: tuple[tuple[str, type], ...] = (
    (ODA + "Boolean", bool), (ODA + "Integer", int), (ODA + "Float", float), (ODA + "String", str),
)


def _prefixes() -> dict[str, str]:
    context = load_context()["@context"]
    return {k: v for k, v in context.items()
            if isinstance(v, str) and v.startswith("http") and v[-1] in "#/"}


PREFIXES: dict[str, str] = _prefixes()


def compact(iri: str) -> str:
    """`iri` as a compact IRI (`oda:Energy_keV`) when a known prefix fits, else `<iri>`."""
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns) and iri[len(ns):].replace("_", "a").isalnum():
            return f"{prefix}:{iri[len(ns):]}"
    return f"<{iri}>"


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


@cache
def _shipped_classes() -> frozenset[str]:
    return frozenset(t.subject.value for t in ontology_triples()
                     if isinstance(t.subject, ox.NamedNode) and t.predicate.value == _RDF_TYPE
                     and isinstance(t.object, ox.NamedNode) and t.object.value == _OWL_CLASS)


class Vocabulary:
    """Checks annotation terms against the ontology; see the module docstring."""

    def __init__(self, known_classes: set[str] | None = None) -> None:
        """Use the shipped ontology's classes, or `known_classes` (e.g. from the store)."""
        self.supers, self.types = class_index()
        self.classes = frozenset(known_classes) if known_classes is not None \
            else _shipped_classes()

    def ancestors(self, iri: str) -> frozenset[str]:
        """`iri` and its named superclasses in the shipped ontology."""
        return self.supers.get(iri, frozenset()) | {iri}

    def _under(self, iri: str, root: str) -> bool:
        # A class the caller knows but the shipped ontology does not is taken on trust.
        return root in self.ancestors(iri) or (iri in self.classes and iri not in self.supers
                                               and iri not in _shipped_classes())

    def _candidates(self, root: str) -> list[str]:
        return sorted(c for c in self.classes if root in self.ancestors(c))

    def _fail(self, iri: str, candidates: list[str], reason: str) -> UnknownTerm:
        by_local: dict[str, str] = {}
        for c in candidates:
            by_local.setdefault(_local(c).lower(), c)
        close = difflib.get_close_matches(_local(iri).lower(), list(by_local), n=3, cutoff=0.6)
        return UnknownTerm(compact(iri), [compact(by_local[c]) for c in close], reason=reason)

    def check_class(self, iri: str, root: str) -> None:
        """Raise `UnknownTerm` unless `iri` is a known class under `root`."""
        candidates = self._candidates(root)
        if iri not in self.classes:
            raise self._fail(iri, candidates, "not a class of the ontology")
        if not self._under(iri, root):
            raise self._fail(iri, candidates, f"not a subclass of {compact(root)}")

    def check_parameter_type(self, iri: str) -> None:
        """Raise `UnknownTerm` unless `iri` is a known subclass of oda:WorkflowParameter."""
        self.check_class(iri, WORKFLOW_PARAMETER)

    def check_product_type(self, iri: str) -> None:
        """Raise `UnknownTerm` unless `iri` is a known subclass of oda:DataProduct."""
        self.check_class(iri, DATA_PRODUCT)

    def check_individual(self, iri: str, root: str) -> None:
        """Raise `UnknownTerm` unless `iri` is a known individual of `root` (unit, format)."""
        members = sorted(i for i, ts in self.types.items()
                         if any(root in self.ancestors(t) for t in ts))
        if iri not in members:
            raise self._fail(iri, members, f"not a known {compact(root)}")

    def value_type(self, iri: str) -> type | None:
        """The Python type of the values of class `iri` (bool, int, float, str), if it has one."""
        ancestors = self.ancestors(iri)
        for cls, py in VALUE_TYPES:
            if cls in ancestors:
                return py
        return None
