"""The store facade: node writes replace atomically, rejected writes change nothing."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from mmoda.kg import graphs, rdfio
from mmoda.kg.errors import NodeInvalid, NodeMismatch, NodeNotFound, RdfSyntaxError
from mmoda.kg.store import KnowledgeGraph

EX = "http://example.org/"


class Rejecting:
    """A validator that rejects nodes lacking an rdfs:label."""

    def validate(self, data, *, node=None):  # type: ignore[no-untyped-def]
        import rdflib

        missing = [s for s in set(data.subjects(rdflib.RDF.type, None))
                   if str(s).startswith(EX) and "#" not in str(s)
                   and (s, rdflib.RDFS.label, None) not in data]
        return [type("V", (), {"focus": str(s), "path": str(rdflib.RDFS.label),
                               "constraint": "MinCountConstraintComponent",
                               "message": "label required", "value": None,
                               "severity": "Violation", "shape": None})() for s in missing]


def quads(ttl: str, base: str = EX) -> list[ox.Quad]:
    return rdfio.parse(ttl.encode(), ox.RdfFormat.TURTLE, base_iri=base)


def node_ttl(label: str, extra: str = "") -> str:
    return f"""@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    <a> a <Thing> ; rdfs:label "{label}" ; <p> [ <q> "blank" ] ; <link> <b> {extra} ."""


def test_put_then_replace_keeps_only_the_new_description() -> None:
    kg = KnowledgeGraph(validator=Rejecting())
    assert kg.put_node(EX + "a", quads(node_ttl("one"))) is True
    assert kg.put_node(EX + "a", quads(node_ttl("two"))) is False
    labels = [t.object.value for t in kg.get_node(EX + "a") if t.predicate.value.endswith("label")]
    assert labels == ["two"]
    # the blank node became a fragment of the node, and the old one was removed with it
    subjects = {t.subject.value for t in kg.get_node(EX + "a")}
    assert subjects == {EX + "a", EX + "a#_b0"}
    assert len(kg.raw) == 5


def test_rejected_write_changes_nothing() -> None:
    kg = KnowledgeGraph(validator=Rejecting())
    kg.put_node(EX + "a", quads(node_ttl("one")))
    before = set(kg.raw)
    bad = "<a> a <Thing> ; <p> 1 ."
    with pytest.raises(NodeInvalid) as err:
        kg.put_node(EX + "a", quads(bad))
    assert err.value.violations[0]["focus"] == EX + "a"
    assert err.value.violations[0]["constraint"] == "MinCountConstraintComponent"
    assert set(kg.raw) == before


def test_a_document_must_describe_its_node_alone() -> None:
    kg = KnowledgeGraph()
    with pytest.raises(NodeMismatch, match="does not describe"):
        kg.put_node(EX + "a", quads("<other> <p> 1 ."))
    with pytest.raises(NodeMismatch, match="other nodes"):
        kg.put_node(EX + "a", quads("<a> <p> 1 . <b> <p> 2 ."))
    assert len(kg.raw) == 0


def test_fragments_belong_to_their_node() -> None:
    kg = KnowledgeGraph()
    kg.put_node(EX + "a", quads("<a> <has> <a#part> . <a#part> <v> 1 . <a> <link> <b> ."))
    kg.put_node(EX + "b", quads("<b> <v> 2 ."))
    assert {t.subject.value for t in kg.get_node(EX + "a")} == {EX + "a", EX + "a#part"}
    kg.delete_node(EX + "a")
    with pytest.raises(NodeNotFound):
        kg.get_node(EX + "a")
    assert kg.get_node(EX + "b")


def test_members_are_paged_in_a_stable_order() -> None:
    kg = KnowledgeGraph()
    for i in (3, 1, 2, 5, 4):
        kg.put_node(f"{EX}n{i}", quads(f"<n{i}> a <Thing> ."))
    page1, total = kg.members(EX + "Thing", offset=0, limit=2)
    page3, _ = kg.members(EX + "Thing", offset=4, limit=2)
    assert total == 5
    assert page1 == [EX + "n1", EX + "n2"]
    assert page3 == [EX + "n5"]


def test_members_follow_the_ontology_subclass_links() -> None:
    kg = KnowledgeGraph()
    kg.raw.add(ox.Quad(ox.NamedNode(EX + "Sub"),
                       ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf"),
                       ox.NamedNode(EX + "Thing"), graphs.ONTOLOGY))
    kg.put_node(EX + "x", quads("<x> a <Sub> ."))
    assert kg.members(EX + "Thing")[0] == [EX + "x"]


def test_bound_values_are_terms_not_text() -> None:
    kg = KnowledgeGraph()
    kg.put_node(EX + "x", quads("<x> a <Thing> ."))
    # a value that would break out of a pasted query is just an IRI that matches nothing
    hostile = ox.NamedNode(EX + "Thing%3E%20%7D%20UNION%20%7B")
    assert kg.members(hostile.value) == ([], 0)
    with pytest.raises(ValueError):
        ox.NamedNode(EX + "Thing> } UNION {")


def test_bulk_load_export_and_reopen(tmp_path: Path) -> None:
    kg = KnowledgeGraph(tmp_path / "store")
    kg.bulk_load(b"<http://e/s> <http://e/p> <http://e/o> .", ox.RdfFormat.N_TRIPLES,
                 graph=graphs.CATALOG)
    kg.put_node(EX + "a", quads("<a> <p> 1 ."))
    kg.flush()
    dump = kg.export()
    del kg
    again = KnowledgeGraph(tmp_path / "store")
    assert len(again.raw) == 2
    assert again.export() == dump
    assert b"<http://e/s> <http://e/p> <http://e/o> <" + graphs.CATALOG.value.encode() in dump


def test_malformed_input_is_a_syntax_error_naming_the_format() -> None:
    with pytest.raises(RdfSyntaxError, match=r"(?i)turtle"):
        quads("<a> <p> ")


def test_memos_last_until_a_write_outside_the_runs_graph() -> None:
    kg = KnowledgeGraph()
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    node = ox.NamedNode("http://example.org/n")
    quad = ox.Quad(node, ox.NamedNode("http://example.org/p"), ox.Literal("x"))
    assert kg.memo("k", compute) == 1 and kg.memo("k", compute) == 1
    kg.put_node(node.value, [quad], graph=graphs.RUNS)
    assert kg.memo("k", compute) == 1  # runs are written on every request: memos stay
    kg.put_node(node.value, [quad], graph=graphs.CATALOG)
    assert kg.memo("k", compute) == 2
    kg.update("INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }")
    assert kg.memo("k", compute) == 3
    kg.bulk_extend([quad], graph=graphs.RUNS)
    assert kg.memo("k", compute) == 4
    kg.forget()
    assert kg.memo("k", compute) == 5
