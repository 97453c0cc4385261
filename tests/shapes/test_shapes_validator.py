"""NodeValidator behaviour: result fields, errors, references, the ontology supplement, speed."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyshacl
import pytest
import rdflib
from rdflib.namespace import SH

from mmoda.shapes.errors import ShaclViolation, ShapesError
from mmoda.shapes.validate import SHAPES_FILES, NodeValidator, Violation

CASES = Path(__file__).resolve().parent / "cases"
PREFIXES = (CASES / "valid-dataset.ttl").read_text(encoding="utf-8").split("\n\n", 1)[0]


@pytest.fixture(scope="module")
def validator() -> NodeValidator:
    return NodeValidator()


def _graph(body: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=PREFIXES + "\n" + body, format="turtle")


def test_violation_fields(validator: NodeValidator) -> None:
    (v,) = validator.validate(_graph('<executors/x> a mmoda:Executor ; dct:title "X" ;'
                                     ' mmoda:executorKind "docker" ; mmoda:enabled true .'))
    assert v == Violation(
        focus="http://example.org/executors/x",
        path="https://odahub.io/mmoda#executorKind",
        constraint="InConstraintComponent",
        message=v.message,
        value="docker",
        severity="Violation",
        shape=None,
    )
    assert "local" in v.message and "kubernetes" in v.message


def test_named_shape_is_reported(validator: NodeValidator) -> None:
    (v,) = validator.validate(_graph('<executors/x> a mmoda:Executor ;'
                                     ' mmoda:executorKind "local" ; mmoda:enabled true .'))
    assert (v.constraint, v.shape) == ("MinCountConstraintComponent",
                                       "https://odahub.io/mmoda/shapes#title-required")


def test_check_raises_readable_error(validator: NodeValidator) -> None:
    data = _graph('<runs/r> a mmoda:Run ; mmoda:state "RUNNING" .')
    with pytest.raises(ShaclViolation) as info:
        validator.check(data)
    err = info.value
    assert {v.constraint for v in err.violations} == {"InConstraintComponent",
                                                      "MinCountConstraintComponent"}
    text = str(err)
    assert text.startswith("2 SHACL violations:")
    assert "<http://example.org/runs/r> https://odahub.io/mmoda#state" in text
    assert "IVOA UWS phase" in text and "(value: RUNNING)" in text
    assert isinstance(err, ShapesError)


def test_warnings_do_not_raise(validator: NodeValidator) -> None:
    data = _graph('<runs/r> a mmoda:Run ; mmoda:state "COMPLETED" ; mmoda:request <requests/q> .\n'
                  '<requests/q> a mmoda:Request .')
    validator.check(data)
    (warning,) = validator.validate(data)
    assert warning.severity == "Warning" and "prov:endedAtTime" in warning.message


def test_references_are_not_validated_but_node_is(validator: NodeValidator) -> None:
    data = _graph("<agents/a> a mmoda:Person .")
    assert validator.validate(data) == []  # a bare type triple is a reference
    (v,) = validator.validate(data, node="http://example.org/agents/a")
    assert (v.constraint, v.path) == ("MinCountConstraintComponent", "https://schema.org/name")


def test_ontology_supplies_the_class_hierarchy() -> None:
    body = ('<workflows/w> a mmoda:Workflow ; dct:title "W" ; mmoda:parameter <workflows/w#p> ;'
            ' dct:license <https://spdx.org/licenses/MIT> .\n'
            '<workflows/w#p> a mmoda:Parameter ; schema:name "ra" ;'
            ' mmoda:parameterType oda:PointOfInterestRA ; oda:unit unit:Degree .')
    assert NodeValidator().validate(_graph(body)) == []
    bare = {(v.constraint, v.path) for v in NodeValidator(ontology=False).validate(_graph(body))}
    assert bare == {("NodeConstraintComponent", "https://odahub.io/mmoda#parameterType"),
                    ("ClassConstraintComponent", "http://odahub.io/ontology#unit")}


def test_complex_paths_are_rendered(tmp_path: Path) -> None:
    shapes = tmp_path / "s.ttl"
    shapes.write_text("""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> .
ex:S a sh:NodeShape ; sh:targetClass ex:C ;
  sh:property [ sh:path ( ex:a [ sh:zeroOrMorePath ex:b ] ) ; sh:minCount 1 ; sh:message "m" ] .
""")
    data = rdflib.Graph().parse(data="<http://ex/x> a <http://ex/C> ; <http://ex/z> 1 .",
                                format="turtle")
    (v,) = NodeValidator([shapes], ontology=False).validate(data)
    assert v.path == "<http://ex/a>/(<http://ex/b>)*"
    assert v.message == "m" and v.shape is None


def test_unreadable_shapes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle")
    with pytest.raises(ShapesError):
        NodeValidator([bad])


def test_shapes_are_valid_shacl() -> None:
    """The shapes graph passes the SHACL-for-SHACL meta-shapes."""
    shapes = rdflib.Graph()
    for path in SHAPES_FILES:
        shapes.parse(path, format="turtle")
    conforms, _, text = pyshacl.validate(rdflib.Graph(), shacl_graph=shapes, meta_shacl=True)
    assert conforms, text


def test_every_constraint_has_a_message(validator: NodeValidator) -> None:
    """Targeted shapes carry an sh:message on each property shape and on node-level checks."""
    g = validator.shapes_graph
    targets = (SH.targetClass, SH.targetObjectsOf)
    shapes = {s for t in targets for s in g.subjects(t, None)}
    assert len(shapes) >= 13
    for shape in shapes:
        if g.value(shape, SH["or"]) is not None:
            assert g.value(shape, SH.message) is not None, shape
        for prop in g.objects(shape, SH.property):
            assert g.value(prop, SH.message) is not None, (shape, g.value(prop, SH.path))


def test_concurrent_use(validator: NodeValidator) -> None:
    data = rdflib.Graph().parse(CASES / "valid-workflow.ttl", format="turtle")
    bad = rdflib.Graph().parse(CASES / "invalid-run-state.ttl", format="turtle")
    expected = (validator.validate(data), validator.validate(bad))
    errors: list[object] = []

    def work() -> None:
        for _ in range(5):
            if (validator.validate(data), validator.validate(bad)) != expected:
                errors.append("mismatch")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.parametrize("case", ["valid-dataset", "valid-workflow-five-parameters"])
def test_speed(validator: NodeValidator, case: str) -> None:
    """A typical node validates well under 20 ms (the figure is printed with -s)."""
    data = rdflib.Graph().parse(CASES / f"{case}.ttl", format="turtle")
    validator.validate(data)
    n, start = 40, time.perf_counter()
    for _ in range(n):
        validator.validate(data)
    per = (time.perf_counter() - start) / n
    print(f"{case}: {per * 1000:.2f} ms per validation, {1 / per:.0f} validations/s")
    assert per < 0.05
