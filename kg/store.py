"""The knowledge graph: a facade over one pyoxigraph `Store` (on disk, or in memory for tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

import pyoxigraph as ox
import rdflib

from mmoda.kg import graphs, nodes, queries, rdfio
from mmoda.kg.errors import KgError, NodeInvalid, NodeNotFound, QuerySyntaxError

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Row = dict[str, Term]
T = TypeVar("T")


class Validator(Protocol):
    """What the store needs of a SHACL validator (see `mmoda.shapes.validate`)."""

    def validate(self, data: rdflib.Graph, *, node: str | None = None) -> list[Any]: ...


class KnowledgeGraph:
    """Typed verbs over the store: nodes in, nodes out, bound queries, bulk load and export."""

    def __init__(self, path: Path | None = None, *, validator: Validator | None = None) -> None:
        try:
            self.raw = ox.Store(str(path)) if path is not None else ox.Store()
        except OSError as exc:
            raise KgError(f"cannot open the store at {path}: {exc}") from exc
        self.path = path
        self.validator = validator
        self._write = threading.Lock()
        self._memos: dict[Hashable, Any] = {}

    # -- queries ------------------------------------------------------------------------------

    def select(self, name: str, *, bindings: Mapping[str, Term] | None = None) -> list[Row]:
        """Rows of the stored SELECT query `name` (`queries/<name>.rq`) with `bindings` bound."""
        solutions = self._run(queries.load(name), bindings)
        if not isinstance(solutions, ox.QuerySolutions):
            raise KgError(f"query {name!r} is not a SELECT")
        names = [v.value for v in solutions.variables]
        return [{n: s[n] for n in names if s[n] is not None} for s in solutions]

    def ask(self, name: str, *, bindings: Mapping[str, Term] | None = None) -> bool:
        """The answer of the stored ASK query `name`."""
        answer = self._run(queries.load(name), bindings)
        if not isinstance(answer, ox.QueryBoolean):
            raise KgError(f"query {name!r} is not an ASK")
        return bool(answer)

    def construct(
        self, name: str, *, bindings: Mapping[str, Term] | None = None
    ) -> list[ox.Triple]:
        """Triples of the stored CONSTRUCT or DESCRIBE query `name`."""
        triples = self._run(queries.load(name), bindings)
        if not isinstance(triples, ox.QueryTriples):
            raise KgError(f"query {name!r} is not a CONSTRUCT or DESCRIBE")
        return list(triples)

    def query(
        self, text: str, **options: Any
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """A query a user wrote (SPARQL endpoint, CLI); syntax errors become `QuerySyntaxError`."""
        try:
            return self.raw.query(text, **options)
        except SyntaxError as exc:
            raise QuerySyntaxError(f"malformed SPARQL: {exc}") from exc

    def update(self, text: str, *, base_iri: str | None = None) -> None:
        """A SPARQL update an administrator wrote, applied atomically."""
        with self._write:
            self._changed(None)
            try:
                self.raw.update(text, base_iri=base_iri)
            except SyntaxError as exc:
                raise QuerySyntaxError(f"malformed SPARQL: {exc}") from exc

    def _run(self, text: str, bindings: Mapping[str, Term] | None) -> Any:
        text, rest = queries.inline(text, bindings or {})
        subs = {ox.Variable(k): v for k, v in rest.items()}
        return self.raw.query(text, substitutions=subs)

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, remembered under `key` until a write outside the runs graph.

        For what is read from the catalog, ontology and classified graphs on every request
        (workflow interfaces, class closures). Writes through `raw` bypass this: call `forget`.
        """
        try:
            return cast(T, self._memos[key])
        except KeyError:
            value = self._memos[key] = compute()
            return value

    def forget(self) -> None:
        """Drop every memo (after writing to the store through `raw`)."""
        self._memos.clear()

    def _changed(self, graph: ox.NamedNode | None) -> None:
        if graph != graphs.RUNS:
            self._memos.clear()

    # -- nodes --------------------------------------------------------------------------------

    def describe(self, iri: str, *, graph: ox.NamedNode | None = None) -> list[ox.Triple]:
        """The node's description: triples about it and the fragments and blank nodes it owns."""
        seen: set[Any] = set()
        out: list[ox.Triple] = []
        todo: list[ox.NamedNode | ox.BlankNode] = [ox.NamedNode(iri)]
        while todo:
            subject = todo.pop()
            if subject in seen:
                continue
            seen.add(subject)
            for q in self.raw.quads_for_pattern(subject, None, None, graph):
                out.append(ox.Triple(q.subject, q.predicate, q.object))
                if isinstance(q.object, ox.BlankNode) or (
                        isinstance(q.object, ox.NamedNode) and nodes.owns(iri, q.object)):
                    todo.append(q.object)
        return sorted(set(out), key=str)

    def get_node(self, iri: str) -> list[ox.Triple]:
        """The node's description; `NodeNotFound` when nothing is stored about it."""
        triples = self.describe(iri)
        if not triples:
            raise NodeNotFound(f"no node <{iri}>")
        return triples

    def graph_of(self, iri: str) -> ox.NamedNode | None:
        """The named graph that holds the node's description, if any."""
        for q in self.raw.quads_for_pattern(ox.NamedNode(iri), None, None, None):
            if isinstance(q.graph_name, ox.NamedNode):
                return q.graph_name
        return None

    def put_node(self, iri: str, quads: Iterable[ox.Quad], *,
                 graph: ox.NamedNode = graphs.CATALOG) -> bool:
        """Validate and write the node, replacing its previous description atomically.

        Returns True when the node is new. Raises `NodeMismatch` when the quads do not describe
        `iri` alone and `NodeInvalid` on SHACL violations; the store is unchanged then.
        """
        return self.put_nodes({iri: quads}, graph=graph)[iri]

    def put_nodes(self, batch: Mapping[str, Iterable[ox.Quad]], *,
                  graph: ox.NamedNode = graphs.CATALOG) -> dict[str, bool]:
        """Validate and write several nodes in one transaction (they may reference each other).

        Returns, per node, True when it is new. Nothing is written unless every node passes.
        """
        described = {iri: nodes.skolemise(quads, iri) for iri, quads in batch.items()}
        declared = {iri: nodes.types(triples, iri) for iri, triples in described.items()}
        for iri, triples in described.items():
            nodes.check_scope(triples, iri)
            self.check(iri, triples, batch_types=declared)
        with self._write:
            old = {iri: self.describe(iri, graph=graph) for iri in described}
            self._replace([t for ts in old.values() for t in ts],
                          [t for ts in described.values() for t in ts], graph)
        return {iri: not old[iri] for iri in described}

    def delete_node(self, iri: str) -> None:
        """Remove the node's description from every graph; `NodeNotFound` if there is none."""
        with self._write:
            where = self.graph_of(iri)
            if where is None:
                raise NodeNotFound(f"no node <{iri}>")
            self._replace(self.describe(iri, graph=where), [], where)

    def _replace(self, old: list[ox.Triple], new: list[ox.Triple], graph: ox.NamedNode) -> None:
        # One update request is one transaction. The data blocks are N-Triples terms that
        # pyoxigraph serialised from parsed terms, so no caller text reaches the SPARQL parser.
        def block(verb: str, triples: list[ox.Triple]) -> str:
            body = "\n".join(f"{t.subject} {t.predicate} {t.object} ." for t in triples)
            return f"{verb} DATA {{ GRAPH {graph} {{\n{body}\n}} }}"

        ops = [block(v, ts) for v, ts in (("DELETE", old), ("INSERT", new)) if ts]
        self._changed(graph)
        if ops:
            self.raw.update(" ;\n".join(ops))

    def check(self, iri: str, triples: list[ox.Triple], *,
              batch_types: Mapping[str, set[str]] | None = None) -> None:
        """SHACL-validate the node with the types of what it references; `NodeInvalid` if broken.

        `batch_types` gives the declared types of nodes written together with this one.
        """
        if self.validator is None:
            return
        data = rdfio.to_rdflib_graph(triples)
        for subject in {t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)}:
            for t in nodes.types(triples, subject):
                self._add_types(data, subject, "type_closure", {"type": ox.NamedNode(t)})
                data.add((rdflib.URIRef(subject), rdflib.RDF.type, rdflib.URIRef(t)))
        for ref in nodes.references(triples, iri):
            self._add_types(data, ref, "types_of", {"node": ox.NamedNode(ref)})
            for t in (batch_types or {}).get(ref, ()):
                data.add((rdflib.URIRef(ref), rdflib.RDF.type, rdflib.URIRef(t)))
                self._add_types(data, ref, "type_closure", {"type": ox.NamedNode(t)})
        violations = [v for v in self.validator.validate(data, node=iri)
                      if getattr(v, "severity", "Violation").endswith("Violation")]
        if violations:
            raise NodeInvalid([_as_dict(v) for v in violations])

    def _add_types(self, data: rdflib.Graph, subject: str, query: str,
                   bindings: Mapping[str, Term]) -> None:
        rtype = rdflib.RDF.type
        if query == "type_closure":  # ontology facts: memoised (every write asks them)
            found = self.memo(("closure", bindings["type"]), lambda: [
                r["super"] for r in self.select(query, bindings=bindings)])
        else:
            found = [r["type"] for r in self.select(query, bindings=bindings) if "type" in r]
        for cls in found:
            if isinstance(cls, ox.NamedNode):
                data.add((rdflib.URIRef(subject), rtype, rdflib.URIRef(cls.value)))

    def superclasses(self, type_iri: str) -> set[str]:
        """`type_iri` and every named class it is a subclass of, per the ontology graph."""
        rows = self.select("type_closure", bindings={"type": ox.NamedNode(type_iri)})
        return {type_iri} | {rdfio.value(r["super"]) for r in rows}

    def members(self, type_iri: str, *, offset: int = 0, limit: int = 50) -> tuple[list[str], int]:
        """One page of the nodes of a type (subclasses included) in stable order, and the total."""
        bind = {"type": ox.NamedNode(type_iri)}
        counted = self.select("member_count", bindings=bind)
        total = int(rdfio.value(counted[0]["count"])) if counted else 0
        rows = self._run(queries.load("members"), bind)
        page = []
        for i, row in enumerate(rows):
            if i >= offset + limit:
                break
            if i >= offset:
                page.append(rdfio.value(row["node"]))
        return page, total

    # -- bulk ---------------------------------------------------------------------------------

    def bulk_load(self, data: bytes | Path, fmt: ox.RdfFormat, *, graph: ox.NamedNode | None,
                  base_iri: str | None = None) -> None:
        """Load a whole file fast (no validation); triples go to `graph`, quads keep theirs."""
        source: dict[str, Any] = {"path": str(data)} if isinstance(data, Path) else {"input": data}
        target: dict[str, Any] = {}
        if graph is not None and not fmt.supports_datasets:
            target["to_graph"] = graph
        with self._write:
            self._changed(None if fmt.supports_datasets else graph)
            try:
                self.raw.bulk_load(format=fmt, base_iri=base_iri, **source, **target)
            except (SyntaxError, ValueError) as exc:
                raise rdfio.RdfSyntaxError(fmt.name, str(exc)) from exc

    def bulk_extend(self, quads: Iterable[ox.Quad], *, graph: ox.NamedNode) -> None:
        """Add parsed quads fast (no validation); default-graph quads go to `graph`."""
        def placed(q: ox.Quad) -> ox.Quad:
            if isinstance(q.graph_name, ox.DefaultGraph):
                return ox.Quad(q.subject, q.predicate, q.object, graph)
            return q

        with self._write:
            self._changed(None)  # quads may name any graph
            self.raw.bulk_extend(placed(q) for q in quads)

    def clear_graph(self, graph: ox.NamedNode) -> None:
        """Remove every quad of `graph`."""
        with self._write:
            self._changed(graph)
            self.raw.clear_graph(graph)

    def export(self, fmt: ox.RdfFormat = ox.RdfFormat.N_QUADS) -> bytes:
        """The whole store in a dataset format (N-Quads or TriG)."""
        return self.raw.dump(format=fmt) or b""

    def count(self) -> int:
        """Number of quads in the store."""
        return len(self.raw)

    def flush(self) -> None:
        """Write pending changes to disk (no-op in memory)."""
        if self.path is not None:
            self.raw.flush()


def _as_dict(violation: Any) -> dict[str, Any]:
    fields = ("focus", "path", "constraint", "message", "value", "severity", "shape")
    return {f: getattr(violation, f, None) for f in fields}
