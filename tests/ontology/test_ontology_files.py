"""The ontology files: the ODA copy matches upstream, mmoda.ttl is complete and DL-declared."""

from __future__ import annotations

import os
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from mmoda import ontology
from mmoda.ontology import MMODA, MMODA_TTL, ODA, ODA_TTL, ONTOLOGY_FILES

REFERENCE = Path(os.environ.get(
    "MMODA_ODA_REFERENCE",
    Path(__file__).resolve().parents[3] / "shared" / "reference" / "oda-ontology.ttl"))
OWL = rdflib.Namespace("http://www.w3.org/2002/07/owl#")
RDFS = rdflib.Namespace("http://www.w3.org/2000/01/rdf-schema#")
RDF_TYPE = rdflib.URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
M = rdflib.Namespace(MMODA)
DECLARED = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
            OWL.NamedIndividual}
PROPERTY_TYPES = {OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}
BUILTIN = ("http://www.w3.org/2002/07/owl#", "http://www.w3.org/2000/01/rdf-schema#",
           "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/2001/XMLSchema#")


def _reference() -> rdflib.Graph:
    if not REFERENCE.is_file():
        message = f"the ODA reference ontology is not at {REFERENCE}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"required in CI: {message}")
        pytest.skip(message)
    return rdflib.Graph().parse(REFERENCE, format="turtle")


@pytest.fixture(scope="module")
def mmoda_graph() -> rdflib.Graph:
    return rdflib.Graph().parse(MMODA_TTL, format="turtle")


@pytest.fixture(scope="module")
def oda_graph() -> rdflib.Graph:
    return rdflib.Graph().parse(ODA_TTL, format="turtle")


def _parents(g: rdflib.Graph, term: rdflib.term.Node) -> set[rdflib.term.Node]:
    return {p for p in g.objects(term, RDFS.subClassOf) if isinstance(p, rdflib.URIRef)}


def test_oda_copy_matches_reference(oda_graph: rdflib.Graph) -> None:
    ref = _reference()
    for kind in DECLARED:
        for term in ref.subjects(RDF_TYPE, kind):
            if isinstance(term, rdflib.URIRef):
                assert (term, RDF_TYPE, kind) in oda_graph, term
                assert _parents(oda_graph, term) == _parents(ref, term), term
                restrictions = {p for p in ref.objects(term, RDFS.subClassOf)} - _parents(ref, term)
                assert len(restrictions) == len(
                    set(oda_graph.objects(term, RDFS.subClassOf)) - _parents(oda_graph, term))
    assert isomorphic(ref, oda_graph)


def test_oda_copy_says_where_it_comes_from() -> None:
    head = ODA_TTL.read_text(encoding="utf-8").split("@prefix", 1)[0]
    assert "oda-hub/ontology" in head and "http://odahub.io/ontology#" in head


def test_oda_terms_exist(oda_graph: rdflib.Graph) -> None:
    oda, unit = rdflib.Namespace(ODA), rdflib.Namespace(ontology.UNIT)
    for cls in ("Energy_keV", "PointOfInterestRA", "LightCurve", "WorkflowParameter",
                "DataProduct"):
        assert (oda[cls], RDF_TYPE, OWL.Class) in oda_graph
    assert (unit.keV, RDF_TYPE, unit.EnergyUnit) in oda_graph


def test_helpers() -> None:
    assert ONTOLOGY_FILES == (MMODA_TTL, ODA_TTL) and all(p.is_file() for p in ONTOLOGY_FILES)
    assert ontology.CONTEXT_URL == "https://odahub.io/mmoda/context.jsonld"
    assert ontology.CONTEXT_PATH.is_file()
    assert (MMODA, ODA) == ("https://odahub.io/mmoda#", "http://odahub.io/ontology#")
    triples = list(ox.parse(ontology.ontology_ntriples(), format=ox.RdfFormat.N_TRIPLES))
    total = sum(len(rdflib.Graph().parse(p, format="turtle")) for p in ONTOLOGY_FILES)
    assert len(triples) == total
    ctx = ontology.load_context()
    ctx["@context"]["Workflow"] = "changed"  # callers may modify their copy without harm
    assert ontology.load_context()["@context"]["Workflow"] == "mmoda:Workflow"


def test_header_imports_oda(mmoda_graph: rdflib.Graph) -> None:
    onto = rdflib.URIRef("https://odahub.io/mmoda")
    assert (onto, RDF_TYPE, OWL.Ontology) in mmoda_graph
    assert (onto, OWL.imports, rdflib.URIRef("http://odahub.io/ontology")) in mmoda_graph


ALIGNMENT = {
    "Workflow": {"http://odahub.io/ontology#Workflow", "http://www.w3.org/ns/prov#Plan",
                 "https://schema.org/SoftwareSourceCode",
                 "https://bioschemas.org/ComputationalWorkflow"},
    "WorkflowVersion": {"http://www.w3.org/ns/prov#Plan"},
    "Parameter": {"https://bioschemas.org/FormalParameter"},
    "Output": {"https://bioschemas.org/FormalParameter"},
    "Dataset": {"http://www.w3.org/ns/dcat#Dataset"},
    "Instrument": {"http://odahub.io/ontology#Instrument"},
    "Site": {"http://www.w3.org/ns/dcat#DataService", "http://www.w3.org/ns/prov#SoftwareAgent"},
    "Executor": {"http://www.w3.org/ns/prov#SoftwareAgent"},
    "Request": {"http://www.w3.org/ns/prov#Entity"},
    "Run": {"http://www.w3.org/ns/prov#Activity"},
    "Result": {"http://www.w3.org/ns/prov#Entity", "http://www.w3.org/ns/dcat#Dataset"},
    "Agent": {"http://www.w3.org/ns/prov#Agent"},
    "Person": {"http://www.w3.org/ns/prov#Person", "http://xmlns.com/foaf/0.1/Person",
               "https://schema.org/Person", MMODA + "Agent"},
    "Organisation": {"http://www.w3.org/ns/prov#Organization",
                     "http://xmlns.com/foaf/0.1/Organization",
                     "https://schema.org/Organization", MMODA + "Agent"},
}


@pytest.mark.parametrize("name", sorted(ALIGNMENT))
def test_class_alignment(mmoda_graph: rdflib.Graph, name: str) -> None:
    cls = M[name]
    assert (cls, RDF_TYPE, OWL.Class) in mmoda_graph
    assert mmoda_graph.value(cls, RDFS.label) is not None
    assert {str(p) for p in _parents(mmoda_graph, cls)} >= ALIGNMENT[name]


def test_every_mmoda_term_is_documented(mmoda_graph: rdflib.Graph) -> None:
    terms = {s for s in mmoda_graph.subjects() if str(s).startswith(MMODA)}
    assert len(terms) > 30
    for term in terms:
        assert mmoda_graph.value(term, RDFS.label) is not None, term
        assert len(set(mmoda_graph.objects(term, RDF_TYPE)) & DECLARED) == 1, term
        if term not in (M.Person, M.Organisation):
            assert mmoda_graph.value(term, RDFS.comment) is not None, term


def test_everything_used_is_declared(mmoda_graph: rdflib.Graph) -> None:
    """OWL 2 DL hygiene: every non-builtin term used is declared, with one kind only."""
    union = rdflib.Graph()
    for path in ONTOLOGY_FILES:
        union.parse(path, format="turtle")
    kinds: dict[rdflib.URIRef, set[rdflib.URIRef]] = {}
    for s, o in union.subject_objects(RDF_TYPE):
        if o in DECLARED and isinstance(s, rdflib.URIRef):
            kinds.setdefault(s, set()).add(o)
    for term, found in kinds.items():
        assert len(found & PROPERTY_TYPES) <= 1 and not (OWL.Class in found and
                                                          found & PROPERTY_TYPES), term
    for s, p, o in mmoda_graph:
        if not str(p).startswith(BUILTIN):
            assert kinds.get(p, set()) & PROPERTY_TYPES, f"undeclared property {p}"
        ranged = p == RDFS.range and not str(o).startswith(BUILTIN)
        class_position = ranged or p in (RDFS.subClassOf, RDFS.domain, OWL.someValuesFrom,
                                         OWL.disjointWith)
        if class_position and isinstance(o, rdflib.URIRef):
            assert OWL.Class in kinds.get(o, set()), f"undeclared class {o}"
        if p == RDFS.subPropertyOf:
            assert kinds.get(o, set()) == kinds.get(s, set()), (s, o)


def test_node_kinds_have_path_segments(mmoda_graph: rdflib.Graph) -> None:
    segments = {str(cls): str(seg) for cls, seg in mmoda_graph.subject_objects(M.pathSegment)}
    assert segments == {MMODA + k: v for k, v in {
        "Workflow": "workflows", "Dataset": "datasets", "Instrument": "instruments",
        "Site": "sites", "Executor": "executors", "Request": "requests", "Run": "runs",
        "Result": "results", "Agent": "agents"}.items()}
