"""SHACL validation of node documents against the shapes shipped in this package.

:class:`NodeValidator` parses the shapes once and keeps pySHACL's compiled
``ShapesGraph`` for every call; each call runs only the node shapes whose targets
select a node the document describes.  Before validating, it adds to a working
copy of the data the ontology facts about the ontology terms the data mentions
(their ``rdfs:subClassOf`` closure, and the types of ontology individuals such as
``unit:keV``), so that ``sh:class`` and subclass checks see the class hierarchy.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyshacl
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import BNode, Node, URIRef

from .errors import ShaclViolation, ShapesError

try:  # pySHACL internals, to compile the shapes once (else: pyshacl.validate every time)
    from pyshacl.graph_abstraction import DataGraph
    from pyshacl.monkey import rdflib_bool_patch, rdflib_bool_unpatch
    from pyshacl.shapes_graph import ShapesGraph
    from pyshacl.validator import Validator, assign_baked_in
except ImportError:  # pragma: no cover - older pySHACL
    ShapesGraph = None  # type: ignore[assignment,misc]

__all__ = ["SHAPES_DIR", "SHAPES_FILES", "NodeValidator", "Violation"]

SHAPES_DIR: Path = Path(__file__).resolve().parent
SHAPES_FILES: tuple[Path, ...] = tuple(sorted(SHAPES_DIR.glob("*.ttl")))
_TARGETS = (SH.targetClass, SH.targetObjectsOf, SH.targetSubjectsOf, SH.targetNode)
_PATHS = ((SH.zeroOrMorePath, "({})*"), (SH.oneOrMorePath, "({})+"),
          (SH.zeroOrOnePath, "({})?"), (SH.inversePath, "^{}"))


@dataclass(frozen=True)
class Violation:
    """One SHACL validation result, read from the report graph."""

    focus: str
    path: str | None
    constraint: str  # local name of sh:sourceConstraintComponent, e.g. MinCountConstraintComponent
    message: str
    value: str | None
    severity: str  # Violation, Warning or Info
    shape: str | None  # the sh:sourceShape, when it is an IRI


def _local(node: Node | None) -> str:
    return str(node or "").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _render_path(g: rdflib.Graph, path: Node | None) -> str | None:
    """Render a SHACL path: a predicate as its IRI, a complex path in SPARQL syntax."""
    if path is None or isinstance(path, URIRef):
        return None if path is None else str(path)

    def part(node: Node) -> str:
        return f"<{node}>" if isinstance(node, URIRef) else f"{_render_path(g, node)}"

    for pred, template in _PATHS:
        inner = g.value(path, pred)
        if inner is not None:
            return template.format(part(inner))
    alternatives = g.value(path, SH.alternativePath)
    items = Collection(g, alternatives if alternatives is not None else path)
    return ("|" if alternatives is not None else "/").join(part(i) for i in items)


def _read_report(report: rdflib.Graph, keep: set[Node]) -> list[Violation]:
    out = []
    for r in report.objects(None, SH.result):
        focus = report.value(r, SH.focusNode)
        if focus not in keep and not isinstance(focus, BNode):
            continue  # a referenced node, present only for its types
        messages = sorted(str(m) for m in report.objects(r, SH.resultMessage))
        value, shape = report.value(r, SH.value), report.value(r, SH.sourceShape)
        out.append(Violation(
            focus=str(focus),
            path=_render_path(report, report.value(r, SH.resultPath)),
            constraint=_local(report.value(r, SH.sourceConstraintComponent)),
            message=messages[0] if messages else "",
            value=None if value is None else str(value),
            severity=_local(report.value(r, SH.resultSeverity)),
            shape=str(shape) if isinstance(shape, URIRef) else None,
        ))
    return sorted(out, key=lambda v: (v.focus, v.path or "", v.constraint, v.message))


class NodeValidator:
    """Validates node documents against the SHACL shapes; build once, call often."""

    def __init__(self, shapes: Iterable[Path] | None = None, *, ontology: bool = True) -> None:
        """Parse the shapes (default: every ``*.ttl`` here) and, unless ``ontology`` is
        false, index the ontology's class hierarchy to supplement the data with."""
        self._graph = rdflib.Graph()
        fast = ShapesGraph is not None
        if fast:
            assign_baked_in()
            rdflib_bool_patch()  # as pyshacl.validate does while loading shapes
        try:
            for path in shapes or SHAPES_FILES:
                self._graph.parse(path, format="turtle")
        except (OSError, SyntaxError, ValueError) as exc:
            raise ShapesError(f"cannot read the SHACL shapes: {exc}") from exc
        finally:
            if fast:
                rdflib_bool_unpatch()
        self._shapes = ShapesGraph(self._graph) if fast else None
        if self._shapes is not None:
            _ = self._shapes.shapes  # harvest and compile every shape now
        self._targets = [(s, p, o) for p in _TARGETS for s, o in self._graph.subject_objects(p)
                         if isinstance(s, URIRef)]
        if ontology:
            from mmoda.ontology import class_index

            self._supers, self._types = class_index()
        else:
            self._supers, self._types = {}, {}
        self._lock = threading.Lock()

    @property
    def shapes_graph(self) -> rdflib.Graph:
        """The parsed shapes graph."""
        return self._graph

    def _working_copy(self, data: rdflib.Graph) -> rdflib.Graph:
        """Copy ``data`` and add the ontology facts about the ontology terms it mentions."""
        work = rdflib.Graph()
        for triple in data:
            work.add(triple)
        terms = {str(t) for triple in data for t in triple if isinstance(t, URIRef)}
        classes = set(terms)
        for term in terms & self._types.keys():
            for cls in self._types[term]:
                work.add((URIRef(term), RDF.type, URIRef(cls)))
                classes.add(cls)
        for cls in classes & self._supers.keys():
            for sup in self._supers[cls]:
                work.add((URIRef(cls), RDFS.subClassOf, URIRef(sup)))
        return work

    @staticmethod
    def _described(data: rdflib.Graph, node: str | None) -> set[Node]:
        """The subjects ``data`` describes: not the nodes it only gives rdf:type triples of."""
        out: set[Node] = {s for s, p in data.subject_predicates() if p != RDF.type}
        out |= {s for s in data.subjects() if isinstance(s, BNode)}
        if node:
            out |= {s for s in data.subjects() if str(s).startswith(node + "#")}
            out.add(URIRef(node))
        return out

    def _relevant_shapes(self, work: rdflib.Graph, described: set[Node]) -> list[str]:
        """The named shapes whose targets select some described node of ``work``."""
        classes = {o for s, o in work.subject_objects(RDF.type) if s in described}
        todo = list(classes)
        while todo:
            for sup in work.objects(todo.pop(), RDFS.subClassOf):
                if sup not in classes:
                    classes.add(sup)
                    todo.append(sup)
        preds = {p for s, p in work.subject_predicates() if s in described}
        hit = {SH.targetClass: classes, SH.targetObjectsOf: preds, SH.targetSubjectsOf: preds,
               SH.targetNode: described}
        return sorted({str(shape) for shape, pred, obj in self._targets if obj in hit[pred]})

    def _report(self, work: rdflib.Graph, described: set[Node]) -> rdflib.Graph:
        shapes = self._relevant_shapes(work, described)
        if not shapes:
            return rdflib.Graph()
        if self._shapes is None:  # pragma: no cover - older pySHACL
            _, report, _ = pyshacl.validate(work, shacl_graph=self._graph, inference="none",
                                            advanced=True, allow_warnings=True, inplace=True)
            assert isinstance(report, rdflib.Graph)
            return report
        options = {"inference": "none", "advanced": True, "allow_warnings": True,
                   "inplace": True, "use_shapes": shapes}
        validator = Validator(DataGraph.from_rdflib(work), shacl_graph=self._graph,
                              options=options)
        validator.shacl_graph = self._shapes  # reuse the compiled shapes
        report = validator.run()[1]
        assert isinstance(report, rdflib.Graph)
        return report

    def validate(self, data: rdflib.Graph, *, node: str | None = None) -> list[Violation]:
        """Return the validation results (violations, warnings, infos) for ``data``.

        Only the nodes ``data`` describes are validated: subjects of some triple other
        than rdf:type, blank nodes, and ``node`` (the IRI of the node being written)
        with its fragments.  Nodes of which ``data`` only gives rdf:type triples are
        references, there for ``sh:class`` checks, and are not validated themselves.
        """
        described = self._described(data, node)
        work = self._working_copy(data)
        try:
            with self._lock:
                report = self._report(work, described)
        except Exception as exc:
            raise ShapesError(f"SHACL validation failed: {exc}") from exc
        return _read_report(report, described)

    def check(self, data: rdflib.Graph, *, node: str | None = None) -> None:
        """Raise :class:`ShaclViolation` if ``data`` has results of severity Violation."""
        violations = [v for v in self.validate(data, node=node) if v.severity == "Violation"]
        if violations:
            raise ShaclViolation(violations)
