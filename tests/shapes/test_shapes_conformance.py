"""Data-driven SHACL conformance: every file in cases/ is a node document with expectations.

A case file is Turtle whose leading comment lines say what to expect:

    # kind: Dataset                                   (the node kind the case is about)
    # expect: MinCountConstraintComponent dct:title   (a Violation: component and path)
    # expect-warning: OrConstraintComponent -         (a Warning; "-" means no path)

``valid-*.ttl`` files must have no Violation; ``invalid-*.ttl`` files must have exactly
the expected violations (as a set of component/path pairs).  Paths are CURIEs resolved
with the case file's own prefixes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from mmoda.shapes.validate import NodeValidator

CASES = Path(__file__).resolve().parent / "cases"
CASE_FILES = sorted(CASES.glob("*.ttl"))
KINDS = ["Workflow", "WorkflowVersion", "Parameter", "Output", "Dataset", "Distribution",
         "Instrument", "Site", "Executor", "Request", "Run", "Result", "Agent"]


def _header(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"kind": [], "expect": [], "expect-warning": []}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line.lstrip("# ").partition(":")
        if key in out:
            out[key].append(value.strip())
    return out


def _expected(graph: rdflib.Graph, entries: list[str]) -> set[tuple[str, str | None]]:
    out = set()
    for entry in entries:
        component, path = entry.split()
        iri = None if path == "-" else str(graph.namespace_manager.expand_curie(path))
        out.add((component, iri))
    return out


@pytest.fixture(scope="module")
def validator() -> NodeValidator:
    return NodeValidator()


def test_cases_cover_every_node_kind() -> None:
    """At least one valid and two invalid cases per node kind."""
    valid: dict[str, int] = dict.fromkeys(KINDS, 0)
    invalid: dict[str, int] = dict.fromkeys(KINDS, 0)
    for path in CASE_FILES:
        (kind,) = _header(path)["kind"]
        assert kind in KINDS, f"{path.name}: unknown kind {kind!r}"
        assert path.name.startswith(("valid-", "invalid-")), path.name
        (valid if path.name.startswith("valid-") else invalid)[kind] += 1
    assert {k: n for k, n in valid.items() if n < 1} == {}
    assert {k: n for k, n in invalid.items() if n < 2} == {}


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case(path: Path, validator: NodeValidator) -> None:
    header = _header(path)
    graph = rdflib.Graph().parse(path, format="turtle")
    results = validator.validate(graph)
    got = {(v.constraint, v.path) for v in results if v.severity == "Violation"}
    warnings = {(v.constraint, v.path) for v in results if v.severity == "Warning"}
    assert warnings == _expected(graph, header["expect-warning"]), results
    if path.name.startswith("valid-"):
        assert not header["expect"], "a valid case cannot expect violations"
        assert got == set(), results
    else:
        assert header["expect"], "an invalid case must say what it expects"
        assert got == _expected(graph, header["expect"]), results
        for v in results:
            assert v.message, f"no sh:message for {v}"
