"""RDF formats by media type and extension, parsing with errors wrapped, term conversion."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from mmoda.kg.errors import RdfSyntaxError

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
JSON_LD = "application/ld+json"
TURTLE = "text/turtle"
N_TRIPLES = "application/n-triples"

GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    JSON_LD: ox.RdfFormat.JSON_LD,
    TURTLE: ox.RdfFormat.TURTLE,
    N_TRIPLES: ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "text/n3": ox.RdfFormat.N3,
}
DATASET_FORMATS: dict[str, ox.RdfFormat] = {
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}
EXTENSIONS: dict[str, str] = {
    "jsonld": JSON_LD, "json": JSON_LD, "ttl": TURTLE, "nt": N_TRIPLES,
    "rdf": "application/rdf+xml", "xml": "application/rdf+xml", "owl": "application/rdf+xml",
    "n3": "text/n3", "nq": "application/n-quads", "trig": "application/trig",
}


def format_for(media_type: str) -> ox.RdfFormat:
    """The RDF format of a media type (parameters ignored); ValueError when unknown."""
    key = media_type.split(";")[0].strip().lower()
    fmt = GRAPH_FORMATS.get(key) or DATASET_FORMATS.get(key)
    if fmt is None:
        raise ValueError(f"unsupported RDF media type {key!r}")
    return fmt


def format_for_path(name: str) -> ox.RdfFormat:
    """The RDF format of a file name by its extension; ValueError when unknown."""
    ext = name.rsplit(".", 1)[-1].lower()
    if ext not in EXTENSIONS:
        raise ValueError(f"cannot tell the RDF format of {name!r} (extension .{ext})")
    return format_for(EXTENSIONS[ext])


def parse(data: bytes, fmt: ox.RdfFormat, *, base_iri: str | None = None) -> list[ox.Quad]:
    """All quads of `data`; a syntax error becomes `RdfSyntaxError` naming the format."""
    try:
        return list(ox.parse(data, format=fmt, base_iri=base_iri))
    except (SyntaxError, ValueError) as exc:
        raise RdfSyntaxError(fmt.name, str(exc)) from exc


def serialize(triples: Iterable[ox.Triple] | Iterable[ox.Quad], fmt: ox.RdfFormat, *,
              prefixes: dict[str, str] | None = None) -> bytes:
    """Triples or quads in an RDF syntax, as bytes."""
    return ox.serialize(triples, format=fmt, prefixes=prefixes) or b""


def value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | ox.DefaultGraph) -> str:
    """The lexical value of a term (an RDF-star triple term as its N-Triples text)."""
    return term.value if isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal) else str(term)


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Node:
    """The rdflib equivalent of a pyoxigraph term."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        if term.datatype.value == XSD_STRING:  # RDF 1.1: the same literal; rdflib tells them apart
            return rdflib.Literal(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    raise TypeError(f"RDF-star triple terms are not supported here: {term}")


def to_rdflib_graph(triples: Iterable[ox.Triple | ox.Quad]) -> rdflib.Graph:
    """An rdflib graph of the given triples (graph names dropped)."""
    graph = rdflib.Graph()
    for t in triples:
        graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return graph
