"""The bundled example catalog: relative IRIs, real archives, every node passes the shapes."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from mmoda.ontology import MMODA
from mmoda.shapes.validate import NodeValidator

CATALOG = Path(__file__).resolve().parents[2] / "examples" / "catalog" / "catalog.ttl"
BASE = "http://localhost:8000"
M = rdflib.Namespace(MMODA)
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
RDF_TYPE = rdflib.URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_DATE = rdflib.URIRef("http://www.w3.org/2001/XMLSchema#date")
KIND_CLASS = {"sites": M.Site, "executors": M.Executor, "agents": M.Agent,
              "instruments": M.Instrument, "datasets": M.Dataset, "workflows": M.Workflow,
              "runs": M.Run, "results": M.Result, "requests": M.Request}


@pytest.fixture(scope="module")
def catalog() -> rdflib.Graph:
    return rdflib.Graph().parse(CATALOG, format="turtle", publicID=BASE + "/")


@pytest.fixture(scope="module")
def validator() -> NodeValidator:
    return NodeValidator()


def _nodes(graph: rdflib.Graph) -> list[rdflib.URIRef]:
    subjects = {s for s in graph.subjects() if isinstance(s, rdflib.URIRef)}
    return sorted({rdflib.URIRef(str(s).split("#", 1)[0]) for s in subjects})


def _document(graph: rdflib.Graph, node: rdflib.URIRef) -> rdflib.Graph:
    """What the store validates: the node, its fragments, and the types of what it references."""
    doc = rdflib.Graph()
    for s, p, o in graph:
        if s == node or str(s).startswith(str(node) + "#"):
            doc.add((s, p, o))
    for o in set(doc.objects()):
        if isinstance(o, rdflib.URIRef) and not str(o).startswith(str(node) + "#"):
            for t in graph.objects(o, RDF_TYPE):
                doc.add((o, RDF_TYPE, t))
    return doc


def test_catalog_iris_are_relative() -> None:
    text = CATALOG.read_text(encoding="utf-8")
    assert "localhost:8000" not in text and "@base" not in text
    other = list(ox.parse(path=str(CATALOG), format=ox.RdfFormat.TURTLE,
                          base_iri="https://mmoda.example.org/site/"))
    assert ox.NamedNode("https://mmoda.example.org/site/sites/local") in {t.subject for t in other}


def test_node_iris_follow_the_minting_scheme(catalog: rdflib.Graph) -> None:
    for node in _nodes(catalog):
        kind, _, ident = str(node).removeprefix(BASE + "/").partition("/")
        assert kind in KIND_CLASS and ident and "/" not in ident, node
        types = set(catalog.objects(node, RDF_TYPE))
        cls = KIND_CLASS[kind]
        assert cls in types or (cls == M.Agent and types & {M.Person, M.Organisation}), node


def test_whole_catalog_conforms(catalog: rdflib.Graph, validator: NodeValidator) -> None:
    assert validator.validate(catalog) == []


def test_every_node_conforms_alone(catalog: rdflib.Graph, validator: NodeValidator) -> None:
    for node in _nodes(catalog):
        doc = _document(catalog, node)
        assert validator.validate(doc, node=str(node)) == [], node


def test_site_describes_itself(catalog: rdflib.Graph) -> None:
    site = rdflib.URIRef(BASE + "/sites/local")
    assert str(catalog.value(site, DCTERMS.title)) == "Local MMODA site"
    assert set(catalog.objects(site, DCAT.endpointURL)) == {
        rdflib.URIRef(BASE + "/sparql"), rdflib.URIRef(BASE + "/")}
    assert catalog.value(site, M.enabled).toPython() is True
    executor = catalog.value(site, M.executor)
    assert str(catalog.value(executor, M.executorKind)) == "local"
    assert set(catalog.objects(site, DCAT.servesDataset)) == {
        rdflib.URIRef(BASE + "/datasets/integral-isgri-scw"),
        rdflib.URIRef(BASE + "/datasets/fermi-lat-photons"),
        rdflib.URIRef(BASE + "/datasets/sim-isgri-events")}


@pytest.mark.parametrize(("dataset", "landing", "start"), [
    ("integral-isgri-scw", "https://www.isdc.unige.ch/integral/archive", "2002-10-17"),
    ("fermi-lat-photons", "https://fermi.gsfc.nasa.gov/ssc/data/access/lat/", "2008-08-04"),
])
def test_real_archives(catalog: rdflib.Graph, dataset: str, landing: str, start: str) -> None:
    node = rdflib.URIRef(f"{BASE}/datasets/{dataset}")
    assert catalog.value(node, DCAT.landingPage) == rdflib.URIRef(landing)
    period = catalog.value(node, DCTERMS.temporal)
    begin = catalog.value(period, DCAT.startDate)
    assert begin == rdflib.Literal(start, datatype=XSD_DATE)
    urls = [catalog.value(d, DCAT.accessURL) for d in catalog.objects(node, DCAT.distribution)]
    assert urls and all(str(u).startswith(("https://", "ftp://")) for u in urls)
    assert catalog.value(node, DCTERMS.publisher) is not None
    assert catalog.value(node, M.instrument) is not None
