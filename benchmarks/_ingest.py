"""Write-side figures: JSON-LD ingest rate and validated node writes per second."""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from _catalog import BASE, CATALOG_GRAPH, extra_dataset_docs

RAW_GRAPH = ox.NamedNode("https://bench.odahub.io/graph/raw-extend")


@dataclass
class Rate:
    """Work done per second by one contender."""

    name: str
    units: int  # triples or nodes
    seconds: float
    note: str = ""

    @property
    def per_second(self) -> float:
        """Units per second."""
        return self.units / self.seconds if self.seconds > 0 else float("nan")


# -- JSON-LD ingest --------------------------------------------------------------------------

def _context_inliner() -> tuple[Callable[[bytes], list[ox.Quad]], str]:
    """Our JSON-LD parse function and what it is (mmoda.kg.jsonld, else a local inliner)."""
    try:
        from mmoda.kg import jsonld

        resolver = jsonld.ContextResolver()

        def ours(doc: bytes) -> list[ox.Quad]:
            return jsonld.parse(doc, base_iri=BASE + "/", resolver=resolver)

        ours(json.dumps({"@context": jsonld.CONTEXT_URL, "title": "probe"}).encode())
        return ours, "mmoda.kg.jsonld.parse"
    except Exception as exc:  # the module may be mid-rewrite: inline the context ourselves
        from mmoda.ontology import load_context

        context = load_context()["@context"]

        def inlined(doc: bytes) -> list[ox.Quad]:
            data = json.loads(doc)
            data["@context"] = context
            return list(ox.parse(json.dumps(data).encode(), format=ox.RdfFormat.JSON_LD,
                                 base_iri=BASE + "/"))

        return inlined, f"local context inlining (mmoda.kg.jsonld failed: {exc!r})"


def jsonld_ingest(docs: list[bytes], *, pyld_budget: float) -> list[Rate]:
    """Parse `docs` into an in-memory store: ours (pyoxigraph), the bare parser, and pyld."""
    from mmoda.ontology import load_context

    out = []
    parse, how = _context_inliner()
    store = ox.Store()
    t0 = time.perf_counter()
    for doc in docs:
        store.extend(parse(doc))
    out.append(Rate("pyoxigraph JSON-LD", len(store), time.perf_counter() - t0,
                    f"{how} + Store.extend, one call per document"))

    # The bare parser on documents whose context is already inlined (no json round trip).
    context = load_context()["@context"]
    ready = []
    for doc in docs:
        data = json.loads(doc)
        data["@context"] = context
        ready.append(json.dumps(data).encode())
    store = ox.Store()
    t0 = time.perf_counter()
    for doc in ready:
        store.extend(ox.parse(doc, format=ox.RdfFormat.JSON_LD, base_iri=BASE + "/"))
    out.append(Rate("  bare ox.parse per doc", len(store), time.perf_counter() - t0,
                    "context pre-inlined, not counted"))

    out.append(_pyld(docs, budget=pyld_budget))

    # The same nodes as one bulk document (as `mmoda load file.jsonld` ingests it): the
    # context is processed once, not once per document. Ours and pyld on the same bytes.
    from mmoda.ontology import CONTEXT_URL

    merged = json.dumps({"@context": CONTEXT_URL, "@graph": [
        node for doc in docs for node in json.loads(doc)["@graph"]]}).encode()
    store = ox.Store()
    t0 = time.perf_counter()
    store.extend(parse(merged))
    out.append(Rate("bulk: pyoxigraph JSON-LD, 1 doc", len(store), time.perf_counter() - t0,
                    f"{how} on all nodes in one @graph + Store.extend"))
    out.append(_pyld([merged], budget=pyld_budget))
    out[-1].name = "bulk: pyld, 1 doc"
    return out


def _pyld(docs: list[bytes], *, budget: float) -> Rate:
    from pyld import jsonld as pyld

    from mmoda.ontology import CONTEXT_URL, load_context

    def loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url != CONTEXT_URL:
            raise pyld.JsonLdError(f"no network: {url}", "loading document")
        return {"contextUrl": None, "documentUrl": url, "document": load_context()}

    options = {"format": "application/n-quads", "documentLoader": loader, "base": BASE + "/"}
    store = ox.Store()
    done = 0
    t0 = time.perf_counter()
    for doc in docs:
        nquads = pyld.to_rdf(json.loads(doc), options)
        store.extend(ox.parse(nquads.encode(), format=ox.RdfFormat.N_QUADS))
        done += 1
        if time.perf_counter() - t0 > budget:
            break
    seconds = time.perf_counter() - t0
    note = "pyld.jsonld.to_rdf -> N-Quads -> ox.parse + Store.extend"
    if done < len(docs):
        note += f"; stopped after {done}/{len(docs)} documents ({budget:.0f}s budget)"
    return Rate("pyld", len(store), seconds, note)


# -- validated writes ------------------------------------------------------------------------

@dataclass
class WriteReport:
    """Node write rates, or why they could not be measured."""

    rates: list[Rate]
    triples_per_node: float
    error: str = ""


def node_writes(store_dir: Path, *, count: int) -> WriteReport:
    """`put_node` with SHACL validation vs without vs raw `Store.extend`, same fresh nodes.

    Writes into the given on-disk store (already holding the catalog), after loading the
    ontology graph the validator's type lookups need.
    """
    try:
        from mmoda.kg import bootstrap
        from mmoda.kg.store import KnowledgeGraph
        from mmoda.shapes.validate import NodeValidator

        parse, _ = _context_inliner()
        validated = _node_quads(parse, count, first=10_000_000, seed=7)
        plain = _node_quads(parse, count, first=20_000_000, seed=8)
        t0 = time.perf_counter()
        validator = NodeValidator()
        setup = time.perf_counter() - t0
        kg = KnowledgeGraph(store_dir, validator=validator)
    except Exception:
        return WriteReport([], 0, traceback.format_exc(limit=3))
    rates: list[Rate] = []
    try:
        bootstrap.ensure_ontology(kg)
        graph = ox.NamedNode(CATALOG_GRAPH)
        t0 = time.perf_counter()
        for iri, quads in validated:
            kg.put_node(iri, quads, graph=graph)
        rates.append(Rate("put_node, SHACL-validated", count, time.perf_counter() - t0,
                          f"validator built once ({setup * 1000:.0f} ms, not counted)"))
        kg.validator = None
        t0 = time.perf_counter()
        for iri, quads in plain:
            kg.put_node(iri, quads, graph=graph)
        rates.append(Rate("put_node, no validator", count, time.perf_counter() - t0,
                          "scope check + describe + DELETE/INSERT DATA update"))
        raw = [[ox.Quad(q.subject, q.predicate, q.object, RAW_GRAPH) for q in quads]
               for _, quads in validated]
        t0 = time.perf_counter()
        for quads in raw:
            kg.raw.extend(quads)
        rates.append(Rate("raw Store.extend", count, time.perf_counter() - t0,
                          "one call (transaction) per node"))
    except Exception:
        return WriteReport(rates, 0, traceback.format_exc(limit=4))
    finally:
        kg.flush()
    per_node = sum(len(q) for _, q in validated) / max(1, count)
    return WriteReport(rates, per_node)


def _node_quads(parse: Callable[[bytes], list[ox.Quad]], count: int, *, first: int,
                seed: int) -> list[tuple[str, list[ox.Quad]]]:
    docs = extra_dataset_docs(count, first=first, seed=seed)
    return [(d["@graph"][0]["id"], parse(json.dumps(d).encode())) for d in docs]
