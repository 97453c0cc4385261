"""OWL 2 DL classification of the platform ontology with HermiT (through owlready2).

:func:`classify` loads ``mmoda.ttl`` + ``oda.ttl`` (plus optional extra axioms, for
example the classes a workflow registration synthesises) into a fresh owlready2
``World``, runs HermiT, and returns the inferred links that were not asserted.
Each call starts a JVM (about half a second to a few seconds).
"""

from __future__ import annotations

import io
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import owlready2 as o2
import pyoxigraph as ox

from . import ontology_triples
from .errors import OntologyError, OntologyInconsistent

__all__ = ["Inference", "classify"]

_OWL = "http://www.w3.org/2002/07/owl#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_NOTHING = _OWL + "Nothing"
_RDF_TYPE = ox.NamedNode(_RDF + "type")
_SUBCLASS = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
_EQUIVALENT = ox.NamedNode(_OWL + "equivalentClass")
_OWL_IMPORTS = ox.NamedNode(_OWL + "imports")
_BUILTIN_NS = (_OWL, _RDF, "http://www.w3.org/2000/01/rdf-schema#")
_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ttl": ox.RdfFormat.TURTLE,
            "ntriples": ox.RdfFormat.N_TRIPLES, "nt": ox.RdfFormat.N_TRIPLES,
            "rdfxml": ox.RdfFormat.RDF_XML, "xml": ox.RdfFormat.RDF_XML}
_LOCK = threading.Lock()  # owlready2 keeps global state; run one reasoner at a time


@dataclass(frozen=True)
class Inference:
    """Links HermiT inferred that were not asserted (direct links between named terms)."""

    subclass_links: list[tuple[str, str]] = field(default_factory=list)  # (child, parent)
    type_links: list[tuple[str, str]] = field(default_factory=list)  # (individual, class)
    equivalent_links: list[tuple[str, str]] = field(default_factory=list)  # (class, class)
    seconds: float = 0.0

    def triples(self) -> bytes:
        """Return the inferred links as N-Triples, ready to add to a store."""
        out = []
        for links, pred in ((self.subclass_links, _SUBCLASS), (self.type_links, _RDF_TYPE),
                            (self.equivalent_links, _EQUIVALENT)):
            out += [ox.Triple(ox.NamedNode(a), pred, ox.NamedNode(b)) for a, b in links]
        return ox.serialize(out, format=ox.RdfFormat.N_TRIPLES) or b""


def _is_named(iri: str | None) -> bool:
    return bool(iri) and not str(iri).startswith(_BUILTIN_NS)


def _hermit(triples: Sequence[ox.Triple]) -> Inference:
    """Run HermiT on ``triples``; owlready2's error propagates if they are inconsistent."""
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    world = o2.World()
    try:
        world.get_ontology("urn:x-mmoda:reasoning").load(fileobj=io.BytesIO(data),
                                                         format="ntriples")
        try:
            o2.sync_reasoner_hermit(world, debug=0, ignore_unsupported_datatypes=True)
        except o2.OwlReadyInconsistentOntologyError:
            raise
        except (o2.OwlReadyError, OSError) as exc:
            raise OntologyError(f"HermiT failed: {exc}") from exc
        links: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for s, p, o in world.get_ontology("http://inferrences/").get_triples():
            if not (isinstance(o, int) and s > 0 and o > 0):
                continue
            a, pred, b = (world._unabbreviate(x) for x in (s, p, o))
            if _is_named(a) and (_is_named(b) or b == _NOTHING):
                links[pred].append((a, b))
        return Inference(sorted(links[_SUBCLASS.value]), sorted(links[_RDF_TYPE.value]),
                         sorted(links[_EQUIVALENT.value]))
    finally:
        world.close()


def _parse_extra(extra: bytes, fmt: str, base: str | None) -> list[ox.Triple]:
    rdf_format = _FORMATS.get(fmt.lower()) or ox.RdfFormat.from_media_type(fmt)
    if rdf_format is None:
        raise OntologyError(f"unknown RDF format {fmt!r} for the extra axioms")
    try:
        return [q.triple for q in ox.parse(extra, format=rdf_format, base_iri=base)]
    except (SyntaxError, ValueError) as exc:
        raise OntologyError(f"cannot parse the extra axioms: {exc}") from exc


def _key(term: object) -> str | None:
    """A node's identity as a string (blank nodes prefixed ``_:``); None for literals."""
    if isinstance(term, ox.NamedNode):
        return term.value
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else None


def _closure(start: Iterable[str], parents: dict[str, set[str]]) -> set[str]:
    seen, todo = set(start), list(start)
    while todo:
        for p in parents.get(todo.pop(), ()):
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return seen


def _disjoint_pairs(spo: list[tuple[str, str, str]]) -> dict[str, set[str]]:
    """owl:disjointWith, owl:AllDisjointClasses and owl:disjointUnionOf, as a symmetric map."""
    index = defaultdict(list)
    for s, p, o in spo:
        index[(s, p)].append(o)

    def members(head: str) -> list[str]:
        out: list[str] = []
        while head != _RDF + "nil" and len(out) < 10_000:
            out += index[(head, _RDF + "first")]
            head = (index[(head, _RDF + "rest")] or [_RDF + "nil"])[0]
        return out

    disjoint: dict[str, set[str]] = defaultdict(set)
    for s, p, o in spo:
        group = ([s, o] if p == _OWL + "disjointWith" else
                 members(o) if p in (_OWL + "members", _OWL + "disjointUnionOf") else [])
        for a in group:
            disjoint[a].update(x for x in group if x != a)
    return disjoint


def _explain(triples: Sequence[ox.Triple]) -> OntologyInconsistent:
    """Find the culprits of an inconsistency: a TBox-only run, then a structural check."""
    spo = [(s, t.predicate.value, o) for t in triples
           if (s := _key(t.subject)) is not None and (o := _key(t.object)) is not None]
    types: dict[str, set[str]] = defaultdict(set)
    for s, p, o in spo:
        if p == _RDF_TYPE.value and not s.startswith("_:") and (
                _is_named(o) or o == _OWL + "NamedIndividual"):
            types[s].add(o)
    try:
        inferred: Inference | None = _hermit([t for t in triples if _key(t.subject) not in types])
    except o2.OwlReadyInconsistentOntologyError:
        inferred = None
    unsat = {a for a, b in inferred.equivalent_links if b == _NOTHING} if inferred else set()
    parents: dict[str, set[str]] = defaultdict(set)
    for s, p, o in spo:
        if p in (_SUBCLASS.value, _EQUIVALENT.value):
            parents[s].add(o)
            if p == _EQUIVALENT.value:
                parents[o].add(s)
    for a, b in (inferred.subclass_links + inferred.equivalent_links) if inferred else []:
        parents[a].add(b)
    disjoint = _disjoint_pairs(spo)
    culprits: dict[str, str] = {}
    for ind, classes in types.items():
        closure = _closure(classes, parents)
        bad = sorted(closure & unsat)
        clash = sorted((a not in classes or b not in classes, a, b)
                       for a in closure for b in disjoint.get(a, ()) if b in closure)
        if bad:
            culprits[ind] = f"<{ind}> is a member of the unsatisfiable class <{bad[0]}>"
        elif clash:
            culprits[ind] = (f"<{ind}> is a member of the disjoint classes <{clash[0][1]}> "
                             f"and <{clash[0][2]}>")
    parts = [*culprits.values()]
    if unsat:
        parts.append("unsatisfiable classes: " + ", ".join(f"<{c}>" for c in sorted(unsat)))
    if not parts:
        parts.append("no single culprit found (the clash involves property assertions)")
    return OntologyInconsistent("ontology is inconsistent: " + "; ".join(parts),
                                unsat, individuals=culprits)


def classify(extra: bytes | None = None, *, extra_format: str = "turtle",
             extra_base: str | None = None) -> Inference:
    """Classify the shipped ontology, plus ``extra`` axioms if given, with HermiT.

    Args:
        extra: an RDF fragment to add (Turtle unless ``extra_format`` says otherwise).
        extra_format: ``turtle``, ``ntriples``, ``rdfxml`` or an RDF media type.
        extra_base: base IRI against which relative IRIs of ``extra`` are resolved.

    Returns:
        The direct subclass, type and equivalence links inferred but not asserted.

    Raises:
        OntologyInconsistent: the ontology is inconsistent or has unsatisfiable classes.
        OntologyError: the extra axioms cannot be parsed or the reasoner failed.
    """
    triples = [t for t in ontology_triples() if t.predicate != _OWL_IMPORTS]
    if extra:
        triples += [t for t in _parse_extra(extra, extra_format, extra_base)
                    if t.predicate != _OWL_IMPORTS]
    start = time.perf_counter()
    with _LOCK:
        try:
            result = _hermit(triples)
        except o2.OwlReadyInconsistentOntologyError as exc:
            raise _explain(triples) from exc
    unsat = [a for a, b in result.equivalent_links if b == _NOTHING]
    if unsat:
        names = ", ".join(f"<{c}>" for c in unsat)
        raise OntologyInconsistent(f"unsatisfiable classes: {names}", unsat)
    return Inference(result.subclass_links, result.type_links, result.equivalent_links,
                     time.perf_counter() - start)
