"""The provenance of a result: its PROV-O subgraph (queries/provenance.rq) in PROV-O (Turtle,
JSON-LD) and, converted by the `prov` package, in PROV-N, PROV-JSON and PROV-XML."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from importlib.util import find_spec

import pyoxigraph as ox
import rdflib
from prov.model import ProvDocument
from prov.serializers.provrdf import ProvRDFSerializer
from pyld import jsonld as pyld

from mmoda.kg import jsonld, rdfio
from mmoda.kg.errors import NodeNotFound
from mmoda.kg.store import KnowledgeGraph
from mmoda.ontology import CONTEXT_URL
from mmoda.runs.vocab import DCAT, DCT, MMODA, PROV, RDF, RDFS, SCHEMA, SPDX, TYPE, XSD

__all__ = ["FORMATS", "PREFIXES", "prov_document", "provenance_triples", "serialize_provenance"]

FORMATS: dict[str, str] = {"turtle": "text/turtle", "jsonld": "application/ld+json",
                           "provn": "text/provenance-notation", "provjson": "application/json"}
"""Provenance formats by name, with their media types."""
if find_spec("lxml") is not None:  # prov writes PROV-XML with lxml (here a need of pyld's)
    FORMATS["provxml"] = "application/xml"
PREFIXES = {"mmoda": MMODA, "prov": PROV, "dcat": DCAT, "dct": DCT, "schema": SCHEMA,
            "spdx": SPDX, "oda": "http://odahub.io/ontology#", "xsd": XSD, "rdf": RDF,
            "rdfs": RDFS}
_PROV_FORMATS = {"provn": "provn", "provjson": "json", "provxml": "xml"}
# Relations whose binary triple prov's PROV-O decoder folds into a qualified node of the
# subject: relation -> (qualifying property, influencer property, qualified class).
_FOLDED = {
    PROV + "wasAssociatedWith": ("qualifiedAssociation", "agent", "Association"),
    PROV + "wasAttributedTo": ("qualifiedAttribution", "agent", "Attribution"),
    PROV + "actedOnBehalfOf": ("qualifiedDelegation", "agent", "Delegation"),
    PROV + "wasInformedBy": ("qualifiedCommunication", "activity", "Communication"),
    PROV + "wasInfluencedBy": ("qualifiedInfluence", "influencer", "Influence"),
}


def provenance_triples(kg: KnowledgeGraph, result_iri: str) -> list[ox.Triple]:
    """The provenance subgraph of the result, sorted; `NodeNotFound` when nothing is stored."""
    found = kg.construct("runs/provenance", bindings={"result": ox.NamedNode(result_iri)})
    if not found:
        raise NodeNotFound(f"no result <{result_iri}>")
    return sorted(set(found), key=str)


def serialize_provenance(triples: Iterable[ox.Triple], fmt: str, *,
                         context_url: str = CONTEXT_URL) -> bytes:
    """The triples in format `fmt` (a key of `FORMATS`); `ValueError` for an unknown format.

    JSON-LD is compacted with the project context, referenced as `context_url`.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown provenance format {fmt!r}; known: {', '.join(FORMATS)}")
    triples = list(triples)
    if fmt == "turtle":
        return rdfio.serialize(triples, ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    if fmt == "jsonld":
        nquads = rdfio.serialize(triples, ox.RdfFormat.N_TRIPLES).decode()
        expanded = pyld.from_rdf(nquads, {"format": "application/n-quads"})
        resolver = jsonld.ContextResolver([context_url])
        doc = jsonld.compact(expanded, context_url=context_url, resolver=resolver)
        return json.dumps(doc, indent=2, ensure_ascii=False).encode()
    return str(prov_document(triples).serialize(format=_PROV_FORMATS[fmt])).encode()


def prov_document(triples: Iterable[ox.Triple]) -> ProvDocument:
    """The PROV records of the triples, decoded by the prov package's PROV-O reader."""
    prepared = _prov_ready(list(triples))
    graph = rdflib.Graph(bind_namespaces="none")  # else all of rdflib's prefixes get declared
    for prefix, namespace in {**_local_prefixes(prepared), **PREFIXES}.items():
        graph.bind(prefix, namespace)
    for t in prepared:
        graph.add((rdfio.to_rdflib(t.subject), rdfio.to_rdflib(t.predicate),
                   rdfio.to_rdflib(t.object)))
    document = ProvDocument()
    ProvRDFSerializer(document).decode_document(graph, document)  # type: ignore[arg-type]
    return document


def _prov_ready(triples: list[ox.Triple]) -> list[ox.Triple]:
    """The triples reshaped where the prov decoder would lose or garble statements.

    Statements about nodes without a PROV type (distributions, checksums, progress reports,
    parameters) go: the decoder drops them anyway, with a warning per node.
    """
    records = {t.subject for t in triples
               if t.predicate.value == TYPE and rdfio.value(t.object).startswith(PROV)}
    kept = [t for t in triples if t.subject in records]
    return _timed_generation(_qualify_folded(_without_restated_usages(kept)))


def _without_restated_usages(triples: list[ox.Triple]) -> list[ox.Triple]:
    # The decoder makes two `used` records of a usage stated both ways; prov's own PROV-O
    # encoder writes only the qualified form.
    entity = {str(t.subject): str(t.object) for t in triples
              if t.predicate.value == PROV + "entity"}
    restated = {(str(t.subject), entity.get(str(t.object))) for t in triples
                if t.predicate.value == PROV + "qualifiedUsage"}
    return [t for t in triples if not (t.predicate.value == PROV + "used"
                                       and (str(t.subject), str(t.object)) in restated)]


def _qualify_folded(triples: list[ox.Triple]) -> list[ox.Triple]:
    # The decoder folds every binary triple of a `_FOLDED` relation into one of its subject's
    # qualified nodes, falling back to any of them: a run associated with its site (qualified,
    # with the plan) and with the workflow's creators (binary) would lose the creators or
    # credit the plan to one of them. Each such binary triple gets a qualified node of its own.
    stated = {(str(t.subject), t.predicate.value, str(t.object)) for t in triples}
    out = list(triples)
    for t in triples:
        if t.predicate.value not in _FOLDED:
            continue
        via, influencer, kind = (ox.NamedNode(PROV + n) for n in _FOLDED[t.predicate.value])
        nodes = [str(q.object) for q in triples if q.subject == t.subject and q.predicate == via]
        if nodes and not any((n, influencer.value, str(t.object)) in stated for n in nodes):
            node = ox.BlankNode()
            out += [ox.Triple(t.subject, via, node), ox.Triple(node, ox.NamedNode(TYPE), kind),
                    ox.Triple(node, influencer, t.object)]
    return out


def _timed_generation(triples: list[ox.Triple]) -> list[ox.Triple]:
    # The decoder keeps prov:generatedAtTime as a plain attribute, which PROV-XML reads back as
    # a string; in PROV-DM it is the time of the generation, so the generation gets qualified.
    # (PROV allows an entity one generation, so a second wasGeneratedBy just stays binary.)
    by = {str(t.subject): t for t in triples if t.predicate.value == PROV + "wasGeneratedBy"}
    at = {str(t.subject): t for t in triples if t.predicate.value == PROV + "generatedAtTime"}
    timed = by.keys() & at.keys()
    moved = {by[e] for e in timed} | {at[e] for e in timed}
    out = [t for t in triples if t not in moved]
    for e in sorted(timed):
        node = ox.BlankNode()
        out += [ox.Triple(by[e].subject, ox.NamedNode(PROV + "qualifiedGeneration"), node),
                ox.Triple(node, ox.NamedNode(TYPE), ox.NamedNode(PROV + "Generation")),
                ox.Triple(node, ox.NamedNode(PROV + "activity"), by[e].object),
                ox.Triple(node, ox.NamedNode(PROV + "atTime"), at[e].object)]
    return out


def _local_prefixes(triples: list[ox.Triple]) -> dict[str, str]:
    """Prefixes for the other namespaces, where the decoder would mint `ns1`, `ns2`…: each
    path (`{base}/runs/`) named after its last segment (`runs:U1`, `runs:U1#association`)."""
    known = tuple(PREFIXES.values())
    paths = {n.value[: n.value.rfind("/") + 1] for t in triples
             for n in (t.subject, t.predicate, t.object)
             if isinstance(n, ox.NamedNode) and not n.value.startswith(known)}
    out: dict[str, str] = {}
    # A bare host (a service's endpoint `http://host:port`) would give the prefix `http://`.
    for path in sorted(p for p in paths if p and not p.endswith("://")):
        name = re.sub(r"[^A-Za-z0-9_-]", "_", path.rstrip("/").rsplit("/", 1)[-1])
        name = name if name[:1].isalpha() else f"n{name}"
        while name in out or name in PREFIXES:
            name += "_"
        out[name] = path
    return out
