"""workflow_quads, restriction_turtle: nodes that pass the shapes, classes the reasoner files."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pyoxigraph as ox
import pytest

from mmoda.kg import bootstrap
from mmoda.kg.errors import NodeInvalid
from mmoda.kg.store import KnowledgeGraph
from mmoda.shapes.validate import NodeValidator
from mmoda.workflows.notebook import parse_notebook
from mmoda.workflows.rdf import restriction_turtle, version_iri, workflow_quads

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((Path(__file__).resolve().parent / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "examples" / "workflows").glob("*.ipynb"))
BASE = "https://mmoda.example.org/workflows/"
ODA, MMODA = "http://odahub.io/ontology#", "https://odahub.io/mmoda#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    store = KnowledgeGraph(validator=NodeValidator())
    bootstrap.ensure_ontology(store)
    return store


def _objects(triples: list[ox.Triple], subject: str, predicate: str) -> set[ox.Term]:
    return {t.object for t in triples
            if t.subject == ox.NamedNode(subject) and t.predicate == ox.NamedNode(predicate)}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_notebook_becomes_a_valid_workflow_node(kg: KnowledgeGraph, path: Path) -> None:
    spec = parse_notebook(path)
    iri = BASE + path.stem
    kg.put_node(iri, workflow_quads(spec, iri))
    stored = kg.get_node(iri)
    params = _objects(stored, iri, MMODA + "parameter")
    version = version_iri(spec, iri)
    assert params == {ox.NamedNode(f"{version}-param-{p.name}") for p in spec.parameters}
    assert params == _objects(stored, version, MMODA + "parameter")
    assert _objects(stored, iri, "http://purl.org/dc/terms/license") == {
        ox.NamedNode(spec.license or "")}


def test_the_node_carries_types_defaults_limits_and_the_version(kg: KnowledgeGraph) -> None:
    spec = parse_notebook(Path(__file__).parent / "notebooks" / "unit_limits.ipynb")
    iri = BASE + "unit-limits"
    triples = [q.triple for q in workflow_quads(spec, iri)]
    version = version_iri(spec, iri)
    assert version == f"{iri}#v-{spec.content_hash[:12]}"
    energy = f"{version}-param-energy"
    assert _objects(triples, energy, MMODA + "parameterType") == {
        ox.NamedNode(f"{version}-type-energy")}
    assert _objects(triples, f"{version}-type-energy", RDFS + "subClassOf") == {
        ox.NamedNode(ODA + "Energy_keV")}
    assert _objects(triples, energy, "https://schema.org/defaultValue") == {ox.Literal(35.0)}
    assert _objects(triples, energy, ODA + "lower_limit") == {ox.Literal(15)}
    assert _objects(triples, energy, MMODA + "optional") == {ox.Literal(False)}
    assert _objects(triples, f"{version}-param-radius", MMODA + "parameterType") == {
        ox.NamedNode(ODA + "Angle")}
    assert _objects(triples, iri, "http://www.w3.org/ns/dcat#hasCurrentVersion") == {
        ox.NamedNode(version)}
    assert _objects(triples, version, "https://schema.org/version") == {ox.Literal(spec.version)}
    assert _objects(triples, f"{version}-out-spectrum", MMODA + "productType") == {
        ox.NamedNode(ODA + "Spectrum")}


def test_notebook_statements_land_on_the_workflow(kg: KnowledgeGraph) -> None:
    spec = parse_notebook(Path(__file__).parent / "notebooks" / "multiline_turtle.ipynb")
    iri = BASE + "multiline"
    triples = [q.triple for q in workflow_quads(spec, iri)]
    assert _objects(triples, iri, "http://www.w3.org/ns/dcat#keyword") == {
        ox.Literal("light curve"), ox.Literal("simulated")}
    assert spec.license == "https://spdx.org/licenses/Apache-2.0"


def test_the_shapes_refuse_a_parameter_typed_outside_the_ontology(kg: KnowledgeGraph) -> None:
    spec = parse_notebook(Path(__file__).parent / "notebooks" / "no_comment.ipynb")
    bad = dataclasses.replace(spec.parameters[0], type_iri=ODA + "Image")
    spec = dataclasses.replace(spec, parameters=(bad, *spec.parameters[1:]))
    with pytest.raises(NodeInvalid, match="WorkflowParameter"):
        kg.put_node(BASE + "bad", workflow_quads(spec, BASE + "bad"))


def test_the_reasoner_files_restriction_classes_under_their_base_types() -> None:
    """One HermiT run over the restrictions of two notebooks (limits, allowed values)."""
    from mmoda.ontology.reasoner import classify

    here = Path(__file__).parent / "notebooks"
    units, allowed = BASE + "units", BASE + "allowed"
    unit_spec = parse_notebook(here / "unit_limits.ipynb")
    allowed_spec = parse_notebook(here / "allowed_values.ipynb")
    extra = restriction_turtle(unit_spec, units) + restriction_turtle(allowed_spec, allowed)
    links = set(classify(extra=extra).subclass_links)
    units, allowed = version_iri(unit_spec, units) + "-", version_iri(allowed_spec, allowed) + "-"
    assert {(f"{units}type-energy", ODA + "Energy_keV"), (f"{units}type-npix", ODA + "Integer"),
            (f"{allowed}type-band", ODA + "PhotometricBand"),
            (f"{allowed}type-mode", ODA + "Integer")} <= links
    # oda:ISGRIEnergy is Energy_keV limited to 15-800 keV, hence within `energy`'s range.
    assert (ODA + "ISGRIEnergy", f"{units}type-energy") in links


def test_no_restrictions_no_turtle() -> None:
    spec = parse_notebook(Path(__file__).parent / "notebooks" / "typed_hint.ipynb")
    assert restriction_turtle(spec, BASE + "typed") == b""
