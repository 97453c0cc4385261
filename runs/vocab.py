"""IRIs the runs package writes, and a small builder of node descriptions.

`MMODA` is the ontology package's; the others are the W3C and schema.org namespaces.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pyoxigraph as ox

from mmoda.ontology import MMODA as MMODA

PROV = "http://www.w3.org/ns/prov#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
SPDX = "http://spdx.org/rdf/terms#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
TYPE = RDF + "type"
IANA = "https://www.iana.org/assignments/media-types/"


def iri(text: str) -> ox.NamedNode:
    """A named node."""
    return ox.NamedNode(text)


def literal(value: Any, datatype: str | None = None) -> ox.Literal:
    """A typed literal: datetimes as xsd:dateTime, lists and dicts as rdf:JSON."""
    if datatype is not None:
        return ox.Literal(str(value), datatype=iri(datatype))
    if isinstance(value, datetime):
        return ox.Literal(value.isoformat().replace("+00:00", "Z"), datatype=iri(XSD + "dateTime"))
    if isinstance(value, list | dict):
        return ox.Literal(json.dumps(value, sort_keys=True), datatype=iri(RDF + "JSON"))
    return ox.Literal(value)


class Node:
    """Accumulates the triples of one node (and its fragments) as quads for `put_node`."""

    def __init__(self) -> None:
        self.quads: list[ox.Quad] = []

    def add(self, subject: str, predicate: str, obj: Any) -> Node:
        """Add one statement; `obj` None adds nothing, a str starting with http(s) is NOT
        taken as an IRI (wrap IRIs with `iri`)."""
        if obj is None:
            return self
        term = obj if isinstance(obj, ox.NamedNode | ox.Literal) else literal(obj)
        self.quads.append(ox.Quad(iri(subject), iri(predicate), term))
        return self

    def many(self, subject: str, predicate: str, objects: Iterable[Any]) -> Node:
        """Add one statement per object."""
        for obj in objects:
            self.add(subject, predicate, obj)
        return self
