"""HermiT classification through owlready2 (each classify() starts a JVM: keep calls few)."""

from __future__ import annotations

import shutil

import pyoxigraph as ox
import pytest

from mmoda.ontology.errors import OntologyError, OntologyInconsistent
from mmoda.ontology.reasoner import Inference, classify

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs java")

PREFIXES = b"""
@prefix oda: <http://odahub.io/ontology#> .
@prefix unit: <http://odahub.io/ontology/unit#> .
@prefix mmoda: <https://odahub.io/mmoda#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <http://example.org/wf#> .
"""
ODA = "http://odahub.io/ontology#"
EX = "http://example.org/wf#"
MMODA = "https://odahub.io/mmoda#"

# What an nb2workflow annotation such as `e1 = 35. # oda:Energy_keV ; oda:lower_limit 15 ;
# oda:upper_limit 800` synthesises, plus a defined class HermiT must place in the hierarchy.
RESTRICTION = PREFIXES + b"""
oda:15integer_800integer_Energy_keV_lower_limit_upper_limit a owl:Class ;
    rdfs:subClassOf oda:Energy_keV ; oda:lower_limit 15 ; oda:upper_limit 800 .
ex:KeVValue a owl:Class ;
    owl:equivalentClass [ a owl:Class ; owl:intersectionOf ( oda:Float
        [ a owl:Restriction ; owl:onProperty oda:has_unit ; owl:hasValue unit:keV ] ) ] .
ex:e1 a owl:NamedIndividual , oda:15integer_800integer_Energy_keV_lower_limit_upper_limit .
ex:e2 a owl:NamedIndividual , oda:Float ; oda:has_unit unit:keV .
"""


@pytest.fixture(scope="module")
def shipped() -> Inference:
    return classify()


def test_shipped_ontology_is_consistent(shipped: Inference) -> None:
    assert not [link for link in shipped.equivalent_links if link[1].endswith("#Nothing")]
    assert shipped.seconds > 0
    print(f"classify() of the shipped ontology took {shipped.seconds:.2f} s")
    assert shipped.seconds < 120


def test_restriction_subclass_is_classified() -> None:
    inference = classify(RESTRICTION)
    links = set(inference.subclass_links)
    assert (ODA + "Energy_keV", EX + "KeVValue") in links  # inferred, not asserted
    assert (EX + "KeVValue", ODA + "Float") in links
    synthesised = ODA + "15integer_800integer_Energy_keV_lower_limit_upper_limit"
    assert not [link for link in links if link[0] == synthesised]  # asserted: not reported
    assert (EX + "e2", EX + "KeVValue") in set(inference.type_links)
    triples = {q.triple for q in ox.parse(inference.triples(), format=ox.RdfFormat.N_TRIPLES)}
    assert ox.Triple(ox.NamedNode(ODA + "Energy_keV"),
                     ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf"),
                     ox.NamedNode(EX + "KeVValue")) in triples
    assert len(triples) == len(inference.subclass_links) + len(inference.type_links) + len(
        inference.equivalent_links)


def test_individual_in_disjoint_classes_is_named() -> None:
    extra = PREFIXES + b"ex:run1 a owl:NamedIndividual , mmoda:Run , mmoda:Result .\n"
    with pytest.raises(OntologyInconsistent) as info:
        classify(extra)
    err = info.value
    assert err.individuals == [EX + "run1"] and err.unsatisfiable == []
    assert f"<{EX}run1>" in str(err) and "disjoint" in str(err)
    assert type(err.__cause__).__name__ == "OwlReadyInconsistentOntologyError"


def test_unsatisfiable_class_with_a_member_is_named() -> None:
    extra = PREFIXES + b"""
ex:Odd a owl:Class ; rdfs:subClassOf mmoda:Workflow , mmoda:Dataset .
ex:odd1 a owl:NamedIndividual , ex:Odd .
"""
    with pytest.raises(OntologyInconsistent) as info:
        classify(extra)
    assert info.value.unsatisfiable == [EX + "Odd"]
    assert info.value.individuals == [EX + "odd1"]
    assert info.value.culprits == [EX + "Odd", EX + "odd1"]


def test_unsatisfiable_class_alone_is_named() -> None:
    extra = PREFIXES + b"ex:Odd a owl:Class ; rdfs:subClassOf mmoda:Site , mmoda:Agent .\n"
    with pytest.raises(OntologyInconsistent, match="unsatisfiable classes") as info:
        classify(extra)
    assert info.value.unsatisfiable == [EX + "Odd"]


def test_bad_extra_input() -> None:
    with pytest.raises(OntologyError, match="cannot parse"):
        classify(b"this is not turtle", extra_format="turtle")
    with pytest.raises(OntologyError, match="unknown RDF format"):
        classify(b"<a> <b> <c> .", extra_format="no-such-format")
