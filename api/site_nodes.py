"""The site's executors in its catalog: one Executor node per configured executor.

The resolver chooses executors from the graph (`mmoda:executor` links of the Site node), so an
executor added to the settings (a Slurm cluster, a Kubernetes namespace) must have its node.
Only public facts are written — its kind and capacity, never its other settings, which may
name tokens, hosts or key files. Existing nodes are kept as the operator may have edited
them (a disabled executor stays disabled); only the missing ones and links are added.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pyoxigraph as ox

from mmoda.kg import graphs
from mmoda.kg.store import KnowledgeGraph

__all__ = ["sync_executors"]

log = logging.getLogger("mmoda.api")
MMODA, DCT = "https://odahub.io/mmoda#", "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_CAPACITY_KEYS = ("capacity", "max_jobs")


def sync_executors(kg: KnowledgeGraph, executors: Mapping[str, Mapping[str, Any]], *,
                   base: str, site: str) -> list[str]:
    """Write the Executor nodes missing for `executors` (id → settings) and link them from
    the Site node `site`; the IRIs written. Nothing when the site has no node yet."""
    site_triples = kg.describe(site, graph=graphs.CATALOG)
    if not site_triples:
        log.warning("no Site node <%s>: executors are not linked into the catalog", site)
        return []
    batch: dict[str, list[ox.Quad]] = {}
    links = []
    for ident, conf in executors.items():
        iri = f"{base}/executors/{ident}"
        if not kg.describe(iri, graph=graphs.CATALOG):
            batch[iri] = _executor(iri, ident, conf, site)
        links.append(ox.Triple(ox.NamedNode(site), ox.NamedNode(MMODA + "executor"),
                               ox.NamedNode(iri)))
    missing = [t for t in links if t not in site_triples]
    if missing:
        batch[site] = [ox.Quad(t.subject, t.predicate, t.object)
                       for t in dict.fromkeys(site_triples + missing)]
    if batch:
        kg.put_nodes(batch, graph=graphs.CATALOG)
        log.info("executor nodes written: %s", ", ".join(sorted(batch)))
    return sorted(batch)


def _executor(iri: str, ident: str, conf: Mapping[str, Any], site: str) -> list[ox.Quad]:
    node, kind = ox.NamedNode(iri), str(conf.get("kind"))
    capacity = next((conf[k] for k in _CAPACITY_KEYS if isinstance(conf.get(k), int)), 1)
    facts: list[tuple[str, ox.NamedNode | ox.Literal]] = [
        (DCT + "title", ox.Literal(f"{kind} executor {ident!r}")),
        (MMODA + "executorKind", ox.Literal(kind)),
        (MMODA + "enabled", ox.Literal("true", datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#boolean"))),
        (MMODA + "capacity", ox.Literal(str(capacity), datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#integer"))),
        (PROV + "actedOnBehalfOf", ox.NamedNode(site))]
    return [ox.Quad(node, RDF_TYPE, ox.NamedNode(MMODA + "Executor"))] + [
        ox.Quad(node, ox.NamedNode(p), o) for p, o in facts]
