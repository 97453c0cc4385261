"""What a node is: its IRI, its fragment IRIs (`{iri}#…`) and the triples about them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

from mmoda.kg.errors import NodeMismatch

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

Subject = ox.NamedNode | ox.BlankNode


def owns(iri: str, term: object) -> bool:
    """True when `term` is the node `iri` itself or one of its fragment IRIs."""
    return isinstance(term, ox.NamedNode) and (
        term.value == iri or term.value.startswith(iri + "#")
    )


def skolemise(quads: Iterable[ox.Quad], iri: str) -> list[ox.Triple]:
    """The triples of `quads` with blank nodes renamed to fragments `{iri}#_b<n>`.

    Giving sub-resources IRIs under the node makes a node's description exactly the
    triples whose subject it owns, so replacing it is a plain DELETE DATA / INSERT DATA.
    """
    names: dict[str, ox.NamedNode] = {}

    def rename(term: Any) -> Any:
        if isinstance(term, ox.BlankNode):
            if term.value not in names:
                names[term.value] = ox.NamedNode(f"{iri}#_b{len(names)}")
            return names[term.value]
        return term

    return [ox.Triple(rename(q.subject), q.predicate, rename(q.object)) for q in quads]


def check_scope(triples: list[ox.Triple], iri: str) -> None:
    """Refuse a document that says nothing about `iri` or describes nodes it does not own."""
    subjects = {t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)}
    if iri not in subjects:
        raise NodeMismatch(f"the document does not describe <{iri}> (its subjects: "
                           f"{', '.join(sorted(subjects)[:5]) or 'none'})")
    foreign = sorted(s for s in subjects if s != iri and not s.startswith(iri + "#"))
    if foreign:
        raise NodeMismatch(
            f"the document describes other nodes than <{iri}>: {', '.join(foreign[:5])}; "
            "write each node on its own or use bulk load"
        )


def types(triples: Iterable[ox.Triple], subject: str) -> set[str]:
    """The rdf:type IRIs asserted for `subject` in `triples`."""
    return {
        t.object.value for t in triples
        if t.predicate == RDF_TYPE and isinstance(t.object, ox.NamedNode)
        and isinstance(t.subject, ox.NamedNode) and t.subject.value == subject
    }


def references(triples: Iterable[ox.Triple], iri: str) -> set[str]:
    """IRIs the node links to that it does not own (other nodes), types and predicates aside."""
    return {
        t.object.value for t in triples
        if isinstance(t.object, ox.NamedNode) and t.predicate != RDF_TYPE
        and not owns(iri, t.object)
    }


def split(quads: Iterable[ox.Quad]) -> dict[str, list[ox.Quad]]:
    """Group a multi-node document by node: each fragment and blank node joins its owner.

    A node is an IRI subject without a fragment; blank nodes join the node that links to them.
    """
    quads = list(quads)
    owner: dict[Any, str] = {}
    for q in quads:
        if isinstance(q.subject, ox.NamedNode) and "#" not in q.subject.value:
            owner[q.subject] = q.subject.value
    changed = True
    while changed:
        changed = False
        for q in quads:
            if q.subject in owner and isinstance(q.object, ox.BlankNode) and q.object not in owner:
                owner[q.object] = owner[q.subject]
                changed = True
    groups: dict[str, list[ox.Quad]] = {iri: [] for iri in owner.values()}
    for q in quads:
        if q.subject in owner:
            groups[owner[q.subject]].append(q)
        elif isinstance(q.subject, ox.NamedNode):
            groups.setdefault(q.subject.value.split("#", 1)[0], []).append(q)
    return groups
