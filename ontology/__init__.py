"""The MMODA platform ontology, the vendored ODA ontology and the JSON-LD context.

Files shipped in this package:

- ``mmoda.ttl``: the platform ontology (``https://odahub.io/mmoda``, namespace
  ``https://odahub.io/mmoda#``), which ``owl:imports`` the ODA ontology;
- ``oda.ttl``: a copy of the upstream ODA ontology (``http://odahub.io/ontology``);
- ``context.jsonld``: the JSON-LD context published at :data:`CONTEXT_URL`.

The reasoner lives in :mod:`mmoda.ontology.reasoner`; it is not imported here
because it pulls in owlready2.
"""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox

__all__ = [
    "CONTEXT_PATH",
    "CONTEXT_URL",
    "MMODA",
    "MMODA_ONTOLOGY_IRI",
    "MMODA_TTL",
    "ODA",
    "ODA_ONTOLOGY_IRI",
    "ODA_TTL",
    "ONTOLOGY_DIR",
    "ONTOLOGY_FILES",
    "UNIT",
    "class_index",
    "load_context",
    "ontology_ntriples",
    "ontology_triples",
]

ONTOLOGY_DIR: Path = Path(__file__).resolve().parent
MMODA_TTL: Path = ONTOLOGY_DIR / "mmoda.ttl"
ODA_TTL: Path = ONTOLOGY_DIR / "oda.ttl"
ONTOLOGY_FILES: tuple[Path, ...] = (MMODA_TTL, ODA_TTL)
CONTEXT_PATH: Path = ONTOLOGY_DIR / "context.jsonld"
CONTEXT_URL = "https://odahub.io/mmoda/context.jsonld"

MMODA = "https://odahub.io/mmoda#"
ODA = "http://odahub.io/ontology#"
UNIT = "http://odahub.io/ontology/unit#"
MMODA_ONTOLOGY_IRI = "https://odahub.io/mmoda"
ODA_ONTOLOGY_IRI = "http://odahub.io/ontology"


@cache
def _context() -> dict[str, Any]:
    with CONTEXT_PATH.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def load_context() -> dict[str, Any]:
    """Return the parsed ``context.jsonld`` document (``{"@context": {...}}``).

    The file is read once; each call returns a deep copy, which callers may modify.
    """
    return copy.deepcopy(_context())


@cache
def ontology_triples() -> tuple[ox.Triple, ...]:
    """Return the triples of both ontology files (mmoda.ttl then oda.ttl), parsed once."""
    triples: list[ox.Triple] = []
    for path in ONTOLOGY_FILES:
        triples.extend(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    return tuple(triples)


def ontology_ntriples() -> bytes:
    """Return the union of ``mmoda.ttl`` and ``oda.ttl`` serialised as N-Triples."""
    out = ox.serialize(ontology_triples(), format=ox.RdfFormat.N_TRIPLES)
    assert out is not None
    return out


_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
_BUILTIN = ("http://www.w3.org/2002/07/owl#", "http://www.w3.org/2000/01/rdf-schema#",
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#")


@cache
def class_index() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Index the asserted hierarchy of both ontology files.

    Returns ``(superclasses, types)``: for every named class, all its named
    superclasses (transitive ``rdfs:subClassOf``, the class itself excluded); for
    every named individual (such as ``unit:keV``), its asserted non-OWL types.
    """
    parents: dict[str, set[str]] = defaultdict(set)
    types: dict[str, set[str]] = defaultdict(set)
    for t in ontology_triples():
        if isinstance(t.subject, ox.NamedNode) and isinstance(t.object, ox.NamedNode):
            if t.predicate.value == _SUBCLASS:
                parents[t.subject.value].add(t.object.value)
            elif t.predicate.value == _RDF_TYPE and not t.object.value.startswith(_BUILTIN):
                types[t.subject.value].add(t.object.value)
    closure: dict[str, frozenset[str]] = {}
    for cls in parents:
        seen: set[str] = set()
        todo = list(parents[cls])
        while todo:
            if (c := todo.pop()) not in seen:
                seen.add(c)
                todo.extend(parents.get(c, ()))
        closure[cls] = frozenset(c for c in seen if not c.startswith(_BUILTIN) and c != cls)
    return closure, {i: frozenset(cs) for i, cs in types.items()}
