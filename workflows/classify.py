"""The reasoner's view of workflow parameter restrictions.

Each parameter with limits or allowed values defines an OWL class (`restriction_turtle`):
its base type intersected with a data range on `oda:value`. HermiT classifies all classes of
a registration batch in one run; the definitions and the subclass links it infers (the class
under its base type, and ontology classes under the class: oda:ISGRIEnergy, 15-800 keV, falls
within a 10-1000 keV restriction) are what the `classified` graph receives. A restriction
that admits no value makes the class unsatisfiable: `UnsatisfiableRestriction`.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from mmoda.kg import bootstrap
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


def _subclass_links(definitions: bytes) -> list[tuple[str, str]]:
    """HermiT's inferred subclass links for the ontology plus `definitions`, an equivalence
    counting as a link each way (HermiT reports one representative of equivalent classes, e.g.
    two parameters with the same limits); cached per content, so the same classes (the bundled
    examples at every fresh start) are classified once."""
    from mmoda.ontology.reasoner import classify

    key = hashlib.sha256(bootstrap.ontology_digest().encode() + definitions).hexdigest()[:32]
    cached = bootstrap.cache_dir() / f"restrictions-{key}.json"
    if cached.is_file():
        return [(child, parent) for child, parent in json.loads(cached.read_text("utf-8"))]
    inference = classify(definitions)
    links = [*inference.subclass_links, *inference.equivalent_links,
             *((b, a) for a, b in inference.equivalent_links)]
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(links), "utf-8")
    except OSError:  # a read-only cache only costs a re-run next time
        pass
    return links


def classify_restrictions(items: Sequence[tuple[str, WorkflowSpec]]) -> Classified:
    """Classify the restriction classes of the workflows (IRI, spec) with HermiT."""
    definitions = b"".join(restriction_turtle(spec, iri) for iri, spec in items)
    if not definitions:
        return Classified()
    try:
        subclass_links = _subclass_links(definitions)
    except OntologyInconsistent as exc:
        names = [c.rsplit("-type-", 1)[-1] for c in exc.unsatisfiable] or ["(unknown)"]
        raise UnsatisfiableRestriction(names, "their limits or allowed values exclude "
                                       "every value of their type") from exc
    except OntologyError as exc:
        raise UnsatisfiableRestriction(["(all)"], str(exc)) from exc
    workflows = [iri for iri, _ in items]
    links = [(child, parent) for child, parent in subclass_links
             if _owner(child, workflows) or _owner(parent, workflows)]
    quads = [ox.Quad(t.subject, t.predicate, t.object)
             for t in ox.parse(definitions, format=ox.RdfFormat.TURTLE)]
    quads += [ox.Quad(ox.NamedNode(c), _SUBCLASS, ox.NamedNode(p)) for c, p in links]
    counts = Counter(_owner(c, workflows) or _owner(p, workflows) for c, p in links)
    return Classified(quads, {w: n for w, n in counts.items() if w is not None})
