"""First-start work: the ontology graph (with the reasoner's inferences) and the bundled catalog."""

from __future__ import annotations

import hashlib
import logging
import os
from importlib.resources import files
from pathlib import Path

import pyoxigraph as ox

from mmoda.kg import graphs
from mmoda.kg.store import KnowledgeGraph
from mmoda.ontology import ONTOLOGY_FILES, ontology_ntriples

log = logging.getLogger("mmoda.kg")

DIGEST = ox.NamedNode("https://odahub.io/mmoda#sourceDigest")


def ontology_digest() -> str:
    """A hash of the shipped ontology files: the inferred graph is recomputed when it changes."""
    h = hashlib.sha256()
    for path in ONTOLOGY_FILES:
        h.update(Path(path).read_bytes())
    return h.hexdigest()[:32]


def cache_dir() -> Path:
    """Where derived files (the reasoner's inferences) are cached: $XDG_CACHE_HOME/mmoda."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mmoda"


def inferred_ntriples(digest: str) -> bytes:
    """The reasoner's inferred links for the shipped ontology, cached per ontology digest."""
    from mmoda.ontology.reasoner import classify

    cached = cache_dir() / f"inferred-{digest}.nt"
    if cached.is_file():
        return cached.read_bytes()
    log.info("classifying the ontology with HermiT (first start only)")
    data = classify().triples()
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(data)
    except OSError as exc:  # a read-only home only costs a re-run next time
        log.warning("cannot cache inferred ontology links at %s: %s", cached, exc)
    return data


def ensure_ontology(kg: KnowledgeGraph) -> bool:
    """Load the ontology graph unless it is current; True when it was (re)loaded."""
    digest = ontology_digest()
    current = ox.Quad(graphs.ONTOLOGY, DIGEST, ox.Literal(digest), graphs.ONTOLOGY)
    if current in kg.raw:
        return False
    kg.clear_graph(graphs.ONTOLOGY)
    fmt = ox.RdfFormat.N_TRIPLES
    kg.bulk_load(ontology_ntriples(), fmt, graph=graphs.ONTOLOGY)
    kg.bulk_load(inferred_ntriples(digest), fmt, graph=graphs.ONTOLOGY)
    kg.raw.add(current)
    return True


def load_catalog(kg: KnowledgeGraph, *, base_url: str) -> int:
    """Write every node of the bundled example catalog, validated; the number of nodes written."""
    from mmoda.kg import nodes, rdfio

    written = 0
    for entry in sorted(files("mmoda.examples").joinpath("catalog").iterdir(), key=str):
        if not entry.name.endswith(".ttl"):
            continue
        quads = rdfio.parse(entry.read_bytes(), ox.RdfFormat.TURTLE, base_iri=base_url + "/")
        written += len(kg.put_nodes(nodes.split(quads), graph=graphs.CATALOG))
    return written
