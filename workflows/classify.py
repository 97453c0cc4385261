"""The reasoner's view of workflow parameter restrictions.

Each parameter with limits or allowed values defines an OWL class (`restriction_turtle`):
its base type intersected with a data range on `oda:value`. HermiT classifies all classes of
a registration batch in one run; the definitions and the subclass links it infers (the class
under its base type, and ontology classes under the class: oda:ISGRIEnergy, 15-800 keV, falls
within a 10-1000 keV restriction) are what the `classified` graph receives. A restriction
that admits no value makes the class unsatisfiable: `UnsatisfiableRestriction`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from mmoda.ontology.errors import OntologyError, OntologyInconsistent
from mmoda.workflows.errors import UnsatisfiableRestriction
from mmoda.workflows.model import WorkflowSpec
from mmoda.workflows.rdf import restriction_turtle

__all__ = ["Classified", "classify_restrictions"]

_SUBCLASS = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")


@dataclass(frozen=True)
class Classified:
    """Quads for the `classified` graph and, per workflow IRI, the number of inferred links."""

    quads: list[ox.Quad] = field(default_factory=list)
    links: dict[str, int] = field(default_factory=dict)


def _owner(cls: str, workflows: Sequence[str]) -> str | None:
    return next((w for w in workflows if cls.startswith(w + "#")), None)


def classify_restrictions(items: Sequence[tuple[str, WorkflowSpec]]) -> Classified:
    """Classify the restriction classes of the workflows (IRI, spec) with HermiT."""
    from mmoda.ontology.reasoner import classify

    definitions = b"".join(restriction_turtle(spec, iri) for iri, spec in items)
    if not definitions:
        return Classified()
    try:
        inference = classify(definitions)
    except OntologyInconsistent as exc:
        names = [c.rsplit("-type-", 1)[-1] for c in exc.unsatisfiable] or ["(unknown)"]
        raise UnsatisfiableRestriction(names, "their limits or allowed values exclude "
                                       "every value of their type") from exc
    except OntologyError as exc:
        raise UnsatisfiableRestriction(["(all)"], str(exc)) from exc
    workflows = [iri for iri, _ in items]
    links = [(child, parent) for child, parent in inference.subclass_links
             if _owner(child, workflows) or _owner(parent, workflows)]
    quads = [ox.Quad(t.subject, t.predicate, t.object)
             for t in ox.parse(definitions, format=ox.RdfFormat.TURTLE)]
    quads += [ox.Quad(ox.NamedNode(c), _SUBCLASS, ox.NamedNode(p)) for c, p in links]
    counts = Counter(_owner(c, workflows) or _owner(p, workflows) for c, p in links)
    return Classified(quads, {w: n for w, n in counts.items() if w is not None})
