"""Names of the store's named graphs."""

from __future__ import annotations

from urllib.parse import quote

from pyoxigraph import NamedNode

_PREFIX = "https://odahub.io/mmoda/graph/"

ONTOLOGY = NamedNode(_PREFIX + "ontology")
"""The platform and ODA ontologies with the reasoner's inferred links."""
CATALOG = NamedNode(_PREFIX + "catalog")
"""This site's own catalog: workflows, datasets, instruments, sites, executors, agents."""
RUNS = NamedNode(_PREFIX + "runs")
"""Requests, runs and results with their provenance."""
CLASSIFIED = NamedNode(_PREFIX + "classified")
"""The classes workflows define (parameter restrictions) with the reasoner's inferred links."""
LOCAL = (ONTOLOGY, CATALOG, RUNS, CLASSIFIED)


def peer(site_url: str) -> NamedNode:
    """The graph holding what was harvested from the peer site at `site_url`."""
    return NamedNode(_PREFIX + "peer/" + quote(site_url, safe=""))


def is_peer(graph: NamedNode) -> bool:
    """True for a graph created by `peer()`."""
    return graph.value.startswith(_PREFIX + "peer/")
