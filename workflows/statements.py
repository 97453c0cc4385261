"""Workflow metadata stated as Turtle about a notebook, taken out of its statement graph.

A notebook's parameters cell may say, in full-line comments::

    # dct:creator [ schema:name "Jane Doe" ; schema:identifier <https://orcid.org/...> ] .
    # dct:creator "John Roe <john@example.org> (0000-0002-1825-0097)" .
    # mmoda:instrumentName "isgri" ; mmoda:productName "lightcurve" .
    # mmoda:cpus 2 ; mmoda:memory "4 GiB" ; mmoda:walltime "1 h" .
    # mmoda:containerImage "ghcr.io/org/image:1.0" ; dcat:keyword "light curve" .
    # mmoda:resultLifetime "6 h" ; mmoda:reusable true .

The statements read here are removed from the graph; what remains goes on the node as is.
"""

from __future__ import annotations

from dataclasses import dataclass

import rdflib

from mmoda.workflows.metadata import Labels, creator, orcid_iri, runtime_needs
from mmoda.workflows.model import Creator, RuntimeNeeds

__all__ = ["NotebookMetadata", "take_metadata"]

_DCT, _SCHEMA = rdflib.Namespace("http://purl.org/dc/terms/"), rdflib.Namespace("https://schema.org/")
_MMODA = rdflib.Namespace("https://odahub.io/mmoda#")
_DC_CREATOR = rdflib.URIRef("http://purl.org/dc/elements/1.1/creator")
_FOAF_NAME = rdflib.URIRef("http://xmlns.com/foaf/0.1/name")
_CREATORS = (_DCT.creator, _SCHEMA.creator, _SCHEMA.author, _DC_CREATOR)
_KEYWORDS = (rdflib.URIRef("http://www.w3.org/ns/dcat#keyword"), _SCHEMA.keywords)


@dataclass(frozen=True)
class NotebookMetadata:
    """What `take_metadata` read: creators, labels, runtime needs and keywords."""

    creators: tuple[Creator, ...]
    labels: Labels
    runtime: RuntimeNeeds
    keywords: tuple[str, ...]


def _take(graph: rdflib.Graph, subject: rdflib.term.Node,
          predicate: rdflib.URIRef) -> list[rdflib.term.Node]:
    values = sorted(graph.objects(subject, predicate), key=str)
    graph.remove((subject, predicate, None))
    return values


def _first(graph: rdflib.Graph, subject: rdflib.term.Node,
           *predicates: rdflib.URIRef) -> rdflib.term.Node | None:
    values = [v for p in predicates for v in _take(graph, subject, p)]
    return values[0] if values else None


def _python(value: rdflib.term.Node | None) -> object:
    return value.toPython() if isinstance(value, rdflib.Literal) else \
        None if value is None else str(value)


def _label(graph: rdflib.Graph, subject: rdflib.term.Node,
           predicate: rdflib.URIRef) -> str | None:
    value = _first(graph, subject, predicate)
    return str(value).strip() or None if value is not None else None


def _creator(graph: rdflib.Graph, value: rdflib.term.Node) -> Creator:
    if isinstance(value, rdflib.Literal):
        return creator(str(value))
    if isinstance(value, rdflib.URIRef):
        text = str(value)
        return Creator(name=text, orcid=orcid_iri(text) if "orcid.org/" in text else None)
    name = _first(graph, value, _SCHEMA.name, _FOAF_NAME)
    ident = _first(graph, value, _SCHEMA.identifier, _SCHEMA.sameAs)
    email = _first(graph, value, _SCHEMA.email)
    graph.remove((value, None, None))
    return creator({"name": _python(name), "orcid": _python(ident),
                    "email": str(email).removeprefix("mailto:") if email else None})


def take_metadata(graph: rdflib.Graph, subject: rdflib.URIRef) -> NotebookMetadata:
    """Read (and remove) creators, labels, runtime needs and keywords stated about `subject`."""
    creators = tuple(_creator(graph, v) for p in _CREATORS for v in _take(graph, subject, p))
    labels = Labels(instrument=_label(graph, subject, _MMODA.instrumentName),
                    product=_label(graph, subject, _MMODA.productName))
    runtime = runtime_needs(
        cpus=_python(_first(graph, subject, _MMODA.cpus)),
        memory=_python(_first(graph, subject, _MMODA.memory, _MMODA.memoryMiB)),
        walltime=_python(_first(graph, subject, _MMODA.walltime, _MMODA.walltimeSeconds)),
        image=_python(_first(graph, subject, _MMODA.containerImage)),
        result_lifetime=_python(_first(graph, subject, _MMODA.resultLifetime,
                                       _MMODA.resultLifetimeSeconds)),
        reusable=_python(_first(graph, subject, _MMODA.reusable)))
    keywords = tuple(str(v) for p in _KEYWORDS for v in _take(graph, subject, p))
    return NotebookMetadata(creators, labels, runtime, keywords)
