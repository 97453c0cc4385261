"""Start-up: the ontology graph is loaded once per ontology version, the catalog on first start."""

from __future__ import annotations

import pyoxigraph as ox

from mmoda.kg import bootstrap, graphs
from mmoda.kg.store import KnowledgeGraph
from mmoda.shapes.validate import NodeValidator

ODA = "http://odahub.io/ontology#"
ASK_ANGLE = """ASK { GRAPH <https://odahub.io/mmoda/graph/ontology> {
  <http://odahub.io/ontology#PointOfInterestRA>
    <http://www.w3.org/2000/01/rdf-schema#subClassOf>+ <http://odahub.io/ontology#Angle> } }"""


def test_ontology_is_loaded_once_per_version() -> None:
    kg = KnowledgeGraph()
    assert bootstrap.ensure_ontology(kg) is True
    size = len(kg.raw)
    assert bootstrap.ensure_ontology(kg) is False
    assert len(kg.raw) == size
    assert bool(kg.query(ASK_ANGLE))
    digest = ox.Literal(bootstrap.ontology_digest())
    assert ox.Quad(graphs.ONTOLOGY, bootstrap.DIGEST, digest, graphs.ONTOLOGY) in kg.raw


def test_a_stale_ontology_graph_is_replaced() -> None:
    kg = KnowledgeGraph()
    stale = ox.Quad(ox.NamedNode(ODA + "Gone"), ox.NamedNode(ODA + "p"), ox.Literal("x"),
                    graphs.ONTOLOGY)
    kg.raw.add(stale)
    assert bootstrap.ensure_ontology(kg) is True
    assert stale not in kg.raw


def test_catalog_nodes_are_validated_and_typed() -> None:
    kg = KnowledgeGraph(validator=NodeValidator())
    bootstrap.ensure_ontology(kg)
    written = bootstrap.load_catalog(kg, base_url="https://mmoda.example.org")
    datasets, total = kg.members("http://www.w3.org/ns/dcat#Dataset")
    assert total >= 2 and written >= total + 2
    assert all(d.startswith("https://mmoda.example.org/datasets/") for d in datasets)
    assert kg.ask("exists", bindings={"node": ox.NamedNode(
        "https://mmoda.example.org/sites/local")})
