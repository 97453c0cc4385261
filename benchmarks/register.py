"""MMODA workflow registration throughput and catalog listing latency: one run, one report.

1. Registration: generates N distinct nb2workflow notebooks (default 1,000; 5-10 parameters
   each with ODA types, units, formats, limits or allowed values; 1-3 outputs; ~60 % with
   restrictions) into a scratch directory, then measures on on-disk stores holding the
   ontology and the bundled catalog (site `{base}/sites/local`):
   (a) `parse_notebook` alone; (b) `Registry.register(spec)` one at a time for the first few
   (every notebook with restrictions starts HermiT in its own JVM), extrapolated to N;
   (c) `Registry.register_many` in batches (one transaction, one HermiT run per batch), end
   to end (parse + git lookup + SHACL validation + reasoning + write), with a breakdown timed
   by wrapping the pieces at run time (the library is not modified); (d) HermiT alone on
   batches of growing size; baseline: raw pyoxigraph `Store.extend` of the same quads
   (`workflow_quads` of each spec), no validation or reasoning.
2. Listing: a store filled with 10,000 workflow nodes (`workflow_quads` of generated specs
   written with `KnowledgeGraph.put_nodes` in batches of 1,000, without SHACL and reasoner:
   `register_many` runs at the rate section 1 measures, too slow for 10k), then the latency
   of one random page of 50 through `kg.members` in-process, `GET /workflows?page=N`
   (Accept: application/ld+json) of `mmoda serve` (uvicorn, pinned to CPU 0, one sequential
   httpx client pinned to CPU 1), and the raw pyoxigraph SELECT of the same page (baseline).

Run (no Makefile needed), from the repository root:
    /work/venv/bin/python benchmarks/register.py            # full run, ~14 min on 2 cores
    /work/venv/bin/python benchmarks/register.py --quick    # smoke run, ~20 s
Listing a 10k catalog costs ~1.2 s per page, so the 3 x 200 listing requests take ~9 of the
14 minutes; `--requests 100` brings the full run under 10 minutes (p99 over fewer requests).
Options: --help. Needs Java (HermiT) and taskset; progress goes to stderr, the report to stdout.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
from _http import CLIENT_CORE, SERVER_CORE, Server, free_port, mmoda_cmd, percentile
from _notebooks import generate
from _report import Latency, Report, cpu_line, dist, finish, log, pinned_to, ratio

from mmoda.kg import bootstrap, graphs
from mmoda.kg.store import KnowledgeGraph
from mmoda.shapes.validate import NodeValidator
from mmoda.workflows import registry as registry_module
from mmoda.workflows.classify import classify_restrictions
from mmoda.workflows.model import WorkflowSpec
from mmoda.workflows.notebook import parse_notebook
from mmoda.workflows.rdf import Placement, workflow_quads
from mmoda.workflows.registry import Registry

BASE = "https://bench.odahub.io"
SITE = f"{BASE}/sites/local"
WORKFLOW = "https://odahub.io/mmoda#Workflow"
JSONLD = "application/ld+json"
PAGE_QUERY = (f"SELECT ?node WHERE {{ GRAPH <{graphs.CATALOG.value}> {{ ?node a <{WORKFLOW}> }} }}"
              " ORDER BY ?node LIMIT %d OFFSET %d")


def rate(units: int, seconds: float) -> float:
    """Units per second."""
    return units / seconds if seconds > 0 else float("nan")


# -- machine ---------------------------------------------------------------------------------

def machine_facts(out: list[str], args: argparse.Namespace) -> None:
    """Cores, CPU, load, versions, options."""
    try:
        done = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=20,
                              check=False)
        java = (done.stderr or done.stdout).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        java = "not found"
    out += [
        cpu_line(),
        f"os: {platform.platform()}; python: {sys.version.split()[0]}",
        f"pyoxigraph: {ox.__version__}; pyshacl: {dist('pyshacl')}; owlready2 (HermiT): "
        f"{dist('owlready2')}; java: {java}; uvicorn: {dist('uvicorn')}; mmoda: {dist('mmoda')}",
        f"options: notebooks={args.notebooks} single={args.single} batch={args.batch} "
        f"sweep={args.sweep} workflows={args.workflows} page size={args.page_size} "
        f"requests={args.requests} seed={args.seed}{' (--quick)' if args.quick else ''}",
    ]


# -- stores ----------------------------------------------------------------------------------

def fresh_store(path: Path, *, validated: bool = True) -> tuple[KnowledgeGraph, float]:
    """An on-disk store with the ontology graph and the bundled catalog; its set-up seconds."""
    shutil.rmtree(path, ignore_errors=True)
    t0 = time.perf_counter()
    kg = KnowledgeGraph(path, validator=NodeValidator() if validated else None)
    bootstrap.ensure_ontology(kg)
    bootstrap.load_catalog(kg, base_url=BASE)
    kg.flush()
    return kg, time.perf_counter() - t0


def close(kg: KnowledgeGraph) -> None:
    """Flush and release the store (RocksDB holds a lock on the directory while open)."""
    kg.flush()
    del kg
    gc.collect()


# -- timing of the registration pieces -------------------------------------------------------

class Pieces:
    """Seconds spent in named pieces of the registration path, by run-time wrappers."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._undo: list[Callable[[], None]] = []

    def wrap(self, owner: Any, name: str, key: str) -> None:
        """Replace `owner.name` by a timed wrapper until `restore`."""
        original = getattr(owner, name)
        in_instance = not isinstance(owner, types.ModuleType) and name in vars(owner)

        def timed(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - t0
                self.calls[key] = self.calls.get(key, 0) + 1

        setattr(owner, name, timed)
        if isinstance(owner, types.ModuleType) or in_instance:
            self._undo.append(lambda: setattr(owner, name, original))
        else:  # an instance attribute shadowing the class's method: remove it again
            self._undo.append(lambda: delattr(owner, name))

    def restore(self) -> None:
        """Put every wrapped attribute back."""
        while self._undo:
            self._undo.pop()()

    def get(self, key: str) -> float:
        """Seconds in `key` (0 if never called)."""
        return self.seconds.get(key, 0.0)


def instrument(pieces: Pieces, kg: KnowledgeGraph, reg: Registry) -> None:
    """Wrap the registration path's pieces (module functions and instance methods)."""
    import owlready2.reasoning as owl_reasoning

    pieces.wrap(registry_module, "with_git", "git")
    pieces.wrap(registry_module, "classify_restrictions", "classify")
    # HermiT runs as `java ...` through subprocess.check_output inside owlready2: give that
    # module its own subprocess namespace whose check_output is timed.
    proxy = types.SimpleNamespace(**vars(subprocess))
    pieces.wrap(proxy, "check_output", "java")
    real = owl_reasoning.subprocess
    owl_reasoning.subprocess = proxy  # type: ignore[assignment]
    pieces._undo.append(lambda: setattr(owl_reasoning, "subprocess", real))
    pieces.wrap(reg, "_node", "node")
    pieces.wrap(reg, "_instruments", "reads")
    pieces.wrap(reg, "_offering", "reads")
    pieces.wrap(kg, "put_nodes", "put_nodes")
    pieces.wrap(kg, "check", "check")
    assert kg.validator is not None
    pieces.wrap(kg.validator, "validate", "pyshacl")
    pieces.wrap(kg, "_replace", "update")
    pieces.wrap(kg, "bulk_extend", "classified")


# -- section 1: registration -----------------------------------------------------------------

@dataclass
class Parsed:
    """The parsed notebooks and what parsing them took."""

    specs: list[WorkflowSpec]
    seconds: float
    per_notebook: list[float]


def has_restrictions(spec: WorkflowSpec) -> bool:
    """True when registering `spec` makes the reasoner run."""
    return any(p.restriction_iri is not None for p in spec.parameters)


def describe_set(paths: list[Path], specs: list[WorkflowSpec], gen_seconds: float,
                 out: list[str]) -> None:
    """What was generated."""
    params = [len(s.parameters) for s in specs]
    outputs = [len(s.outputs) for s in specs]
    classes = sum(1 for s in specs for p in s.parameters if p.restriction_iri is not None)
    restricted = sum(map(has_restrictions, specs))
    kinds = {p.type_iri for s in specs for p in s.parameters}
    size = sum(p.stat().st_size for p in paths)
    quads = [len(workflow_quads(s, f"{BASE}/workflows/{s.name}")) for s in specs]
    out += [
        f"{len(specs):,} notebooks ({size / 1e6:.1f} MB) generated in {gen_seconds:.1f} s: "
        f"{min(params)}-{max(params)} parameters (mean {statistics.fmean(params):.1f}) of "
        f"{len(kinds)} ODA types, {min(outputs)}-{max(outputs)} outputs; "
        f"{restricted:,} ({100 * restricted / len(specs):.0f} %) with restrictions "
        f"({classes:,} restriction classes, mean {classes / max(1, restricted):.1f} per such "
        f"notebook); {len({s.content_hash for s in specs}):,} distinct content hashes",
        f"a workflow node is {statistics.fmean(quads):.0f} quads on average "
        f"({min(quads)}-{max(quads)}) before the registry adds its placement",
    ]


def parse_all(paths: list[Path], out: list[str]) -> Parsed:
    """(a) parse_notebook for every notebook."""
    log(f"(a) parsing {len(paths)} notebooks")
    specs, each = [], []
    t0 = time.perf_counter()
    for path in paths:
        t1 = time.perf_counter()
        specs.append(parse_notebook(path))
        each.append(time.perf_counter() - t1)
    seconds = time.perf_counter() - t0
    each.sort()
    out.append(f"(a) parse_notebook only            {seconds:8.2f} s  "
               f"{rate(len(paths), seconds):9,.1f} notebooks/s  (p50 "
               f"{1000 * percentile(each, 0.5):.1f} ms, p99 {1000 * percentile(each, 0.99):.1f} "
               "ms per notebook; nbformat read + annotation/Turtle parsing + ontology checks)")
    return Parsed(specs, seconds, each)


def one_at_a_time(paths: list[Path], parsed: Parsed, work: Path, count: int,
                  out: list[str]) -> dict[str, float]:
    """(b) Registry.register(spec) for the first `count` notebooks, each its own transaction."""
    kg, setup = fresh_store(work / "store-single")
    reg = Registry(kg, base_url=BASE, site=SITE)
    log(f"(b) registering {count} notebooks one at a time (store set up in {setup:.1f} s)")
    timings: dict[bool, list[float]] = {True: [], False: []}
    inferred = 0
    for spec in parsed.specs[:count]:
        t0 = time.perf_counter()
        done = reg.register(spec)
        timings[has_restrictions(spec)].append(time.perf_counter() - t0)
        inferred += done.inferred
    close(kg)
    with_r, without = timings[True], timings[False]
    total = sum(with_r) + sum(without)
    mean_r = statistics.fmean(with_r) if with_r else float("nan")
    mean_u = statistics.fmean(without) if without else float("nan")
    parse_mean = statistics.fmean(parsed.per_notebook)
    n_r = sum(map(has_restrictions, parsed.specs))
    n_u = len(parsed.specs) - n_r
    estimate = n_r * (mean_r if with_r else 0) + n_u * (mean_u if without else 0) + parsed.seconds
    out.append(f"(b) register() one at a time        {total:8.2f} s  "
               f"{rate(count, total):9,.2f} notebooks/s  (first {count}: {len(with_r)} with "
               f"restrictions, mean {1000 * mean_r:,.0f} ms each; {len(without)} without, mean "
               f"{1000 * mean_u:,.0f} ms each; {inferred} links inferred; parse not included)")
    out.append(f"    extrapolated to all {len(parsed.specs):,} ({n_r:,} with restrictions): "
               f"~{estimate:,.0f} s parse + register = "
               f"{rate(len(parsed.specs), estimate):,.2f} notebooks/s end to end; per notebook "
               f"~{1000 * (parse_mean + mean_r):,.0f} ms with restrictions (a JVM + HermiT "
               f"run each), ~{1000 * (parse_mean + mean_u):,.0f} ms without")
    return {"seconds": total, "estimate": estimate, "mean_r": mean_r, "mean_u": mean_u}


def batched(paths: list[Path], work: Path, batch: int, out: list[str],
            ) -> tuple[float, list[WorkflowSpec]]:
    """(c) parse + register_many in batches, end to end, with a breakdown."""
    kg, setup = fresh_store(work / "store-batched")
    reg = Registry(kg, base_url=BASE, site=SITE)
    pieces = Pieces()
    instrument(pieces, kg, reg)
    log(f"(c) parse + register_many of {len(paths)} notebooks in batches of {batch}")
    parse_s = 0.0
    batch_s: list[float] = []
    specs: list[WorkflowSpec] = []
    inferred = 0
    t0 = time.perf_counter()
    try:
        for lo in range(0, len(paths), batch):
            t1 = time.perf_counter()
            chunk = [parse_notebook(p) for p in paths[lo:lo + batch]]
            t2 = time.perf_counter()
            done = reg.register_many([(None, s) for s in chunk])
            t3 = time.perf_counter()
            parse_s += t2 - t1
            batch_s.append(t3 - t2)
            specs += chunk
            inferred += sum(r.inferred for r in done)
            log(f"    batch {lo // batch + 1}: register_many {t3 - t2:.1f} s "
                f"(JVM/HermiT so far {pieces.get('java'):.1f} s)")
        total = time.perf_counter() - t0
        t4 = time.perf_counter()
        kg.flush()
        flush = time.perf_counter() - t4
    finally:
        pieces.restore()
    _, count = kg.members(WORKFLOW, limit=1)
    quads = kg.count()
    close(kg)
    assert count == len(paths), f"{count} workflows listed after registering {len(paths)}"
    out.append(f"(c) parse + register_many, {batch}/batch {total:8.2f} s  "
               f"{rate(len(paths), total):9,.2f} notebooks/s end to end  ({len(batch_s)} batches,"
               f" register_many {min(batch_s):.1f}-{max(batch_s):.1f} s each; {inferred:,} links "
               f"inferred; store: {count:,} workflows, {quads:,} quads; flush {flush:.2f} s; "
               f"fresh store with ontology + bundled catalog set up in {setup:.2f} s, not "
               "counted)")
    shacl = pieces.get("check")
    write = pieces.get("put_nodes") - shacl
    rows = [
        ("HermiT, JVM process (java ... HermiT)", pieces.get("java")),
        ("reasoner glue (owlready2 load/parse, Turtle)",
         pieces.get("classify") - pieces.get("java")),
        ("SHACL: pyshacl validate()", pieces.get("pyshacl")),
        ("SHACL: data graph + type-closure queries", shacl - pieces.get("pyshacl")),
        ("write: SPARQL DELETE/INSERT DATA update", pieces.get("update")),
        ("write: skolemise, scope check, old-node reads", write - pieces.get("update")),
        ("write: classified graph (bulk_extend)", pieces.get("classified")),
        ("registry: describe old node + workflow_quads", pieces.get("node")),
        ("registry: instruments + site node reads", pieces.get("reads")),
        ("git lookup (git rev-parse, per notebook)", pieces.get("git")),
        ("parse_notebook", parse_s),
    ]
    rest = total - sum(s for _, s in rows)
    rows.append(("other (batch assembly, loop)", rest))
    out.append(f"    where the time goes (run-time wrappers around the pieces; "
               f"{pieces.calls.get('java', 0)} JVM runs):")
    for label, seconds in sorted(rows, key=lambda r: -r[1]):
        out.append(f"      {label:48} {seconds:8.2f} s  {100 * seconds / total:5.1f} %  "
                   f"{1000 * seconds / len(paths):7.1f} ms/notebook")
    return total, specs


def sweep(specs: list[WorkflowSpec], sizes: list[int], out: list[str]) -> None:
    """(d) classify_restrictions alone on growing batches of notebooks with restrictions."""
    restricted = [s for s in specs if has_restrictions(s)]
    sizes = [n for n in sizes if n <= len(restricted)]
    if not sizes:
        return
    log(f"(d) HermiT alone on batches of {sizes} notebooks with restrictions")
    cells = []
    for n in sizes:
        items = [(f"{BASE}/workflows/{s.name}", s) for s in restricted[:n]]
        classes = sum(1 for _, s in items for p in s.parameters if p.restriction_iri)
        t0 = time.perf_counter()
        classify_restrictions(items)
        seconds = time.perf_counter() - t0
        cells.append(f"{n} nb/{classes} classes {seconds:.1f} s = "
                     f"{1000 * seconds / n:.0f} ms/nb")
    out.append("(d) classify_restrictions (one JVM + HermiT run) alone, notebooks with "
               "restrictions only:")
    out.append("      " + "; ".join(cells))


def baseline(specs: list[WorkflowSpec], parsed: Parsed, work: Path,
             out: list[str]) -> float:
    """Raw Store.extend of every spec's workflow_quads, one call per notebook."""
    log("baseline: raw Store.extend of the same quads")
    now = datetime.now(UTC).replace(microsecond=0)
    t0 = time.perf_counter()
    blocks = [[ox.Quad(q.subject, q.predicate, q.object, graphs.CATALOG)
               for q in workflow_quads(s, f"{BASE}/workflows/{s.name}",
                                       placement=Placement(created=now))] for s in specs]
    build = time.perf_counter() - t0
    path = work / "store-raw"
    shutil.rmtree(path, ignore_errors=True)
    store = ox.Store(str(path))
    t1 = time.perf_counter()
    for block in blocks:
        store.extend(block)
    store.flush()
    seconds = time.perf_counter() - t1
    quads = len(store)
    del store
    gc.collect()
    out.append(f"baseline: raw Store.extend          {seconds:8.2f} s  "
               f"{rate(len(specs), seconds):9,.1f} notebooks/s  ({quads:,} quads, one extend "
               "per notebook into an empty on-disk store, no validation, no reasoning; quads "
               f"built beforehand by workflow_quads in {build:.2f} s)")
    whole = parsed.seconds + build + seconds
    out.append(f"baseline: parse + workflow_quads + extend {whole:5.2f} s  "
               f"{rate(len(specs), whole):9,.1f} notebooks/s")
    return whole - parsed.seconds - build


def registration(args: argparse.Namespace, work: Path, report: Report) -> list[WorkflowSpec]:
    """Section 1; returns the parsed specs (reused to fill the listing store)."""
    log(f"generating {args.notebooks} notebooks")
    t0 = time.perf_counter()
    made = generate(work / "notebooks", args.notebooks, seed=args.seed)
    gen = time.perf_counter() - t0
    out = report.section("1. registration throughput")
    parsed = parse_all(made.paths, out)
    describe_set(made.paths, parsed.specs, gen, out)
    out.append("")
    single = one_at_a_time(made.paths, parsed, work, min(args.single, args.notebooks), out)
    total, _ = batched(made.paths, work, args.batch, out)
    sweep(parsed.specs, args.sweep, out)
    raw = baseline(parsed.specs, parsed, work, out)
    n = len(made.paths)
    out.append("")
    out.append(f"ratios (notebooks/s): batched end to end / raw extend = "
               f"{ratio(rate(n, total), rate(n, raw))}; batched / (parse + raw extend) = "
               f"{ratio(rate(n, total), rate(n, parsed.seconds + raw))}; batched / parse only = "
               f"{ratio(rate(n, total), rate(n, parsed.seconds))}; batched / one-at-a-time "
               f"(extrapolated, incl. parse) = "
               f"{ratio(rate(n, total), rate(n, single['estimate']))}")
    out.append("registration runs unpinned (the JVM uses both cores); every figure is one "
               "run, so HermiT's variance from batch to batch shows in the min-max above.")
    return parsed.specs


# -- section 2: listing ----------------------------------------------------------------------

def fill(specs: list[WorkflowSpec], count: int, work: Path, out: list[str]) -> Path:
    """A store with the ontology, the bundled catalog and `count` workflow nodes."""
    path = work / "store-list"
    kg, setup = fresh_store(path, validated=False)
    now = datetime.now(UTC).replace(microsecond=0)
    instruments = {r["name"].value: r["instrument"].value for r in kg.select("instruments")}
    per_call = min(1000, count)
    log(f"filling a store with {count:,} workflow nodes (put_nodes, {per_call:,} per call)")
    t0 = time.perf_counter()
    batch: dict[str, list[ox.Quad]] = {}
    quads = 0
    for k in range(count):
        spec = specs[k % len(specs)]
        iri = f"{BASE}/workflows/wf{k:05d}-{spec.name}"
        where = Placement(instrument=instruments.get(spec.instrument or ""), created=now)
        batch[iri] = workflow_quads(spec, iri, placement=where)
        quads += len(batch[iri])
        if len(batch) == per_call or k == count - 1:
            kg.put_nodes(batch, graph=graphs.CATALOG)
            batch = {}
    kg.flush()
    seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    kg.raw.optimize()
    optimize = time.perf_counter() - t1
    total = kg.count()
    close(kg)
    out.append(f"{count:,} workflow nodes ({quads:,} quads; the {len(specs):,} parsed specs "
               f"reused under distinct IRIs) written with KnowledgeGraph.put_nodes, "
               f"{per_call:,} per call, no SHACL validator and no reasoner, in {seconds:.1f} s "
               f"({rate(count, seconds):,.0f} nodes/s); the store (ontology + bundled catalog, "
               f"set up in {setup:.1f} s) holds {total:,} quads; then Store.optimize "
               f"{optimize:.1f} s. register_many would write them validated and classified "
               "at the rate of section 1 (c), too slow to fill 10k here.")
    return path


def pages_for(count: int, size: int, requests: int, seed: int) -> list[int]:
    """The random page numbers (1-based) every contender lists, in the same order."""
    last = max(1, math.ceil(count / size))
    rng = random.Random(seed)
    return [rng.randrange(1, last + 1) for _ in range(requests)]


def timed_loop(run: Callable[[int], object], pages: list[int], label: str,
               note: str = "") -> Latency:
    """Call `run(page)` for every page on the server core, one caller."""
    ms = []
    with pinned_to(SERVER_CORE):
        for page in pages[:3]:  # warm-up
            run(page)
        for page in pages:
            t0 = time.perf_counter()
            run(page)
            ms.append(1000 * (time.perf_counter() - t0))
    return Latency(label, ms, note=note)


def in_process(path: Path, count: int, pages: list[int], size: int,
               ) -> tuple[list[Latency], list[str], dict[int, list[str]]]:
    """kg.members and the raw SELECT on the filled store; also the members count alone."""
    kg = KnowledgeGraph(path)
    notes: list[str] = []
    check = [*sorted(set(pages))[:3], 1, max(1, math.ceil(count / size))]
    expected: dict[int, list[str]] = {}
    for page in check:
        members, total = kg.members(WORKFLOW, offset=(page - 1) * size, limit=size)
        rows = [s["node"].value for s in kg.raw.query(PAGE_QUERY % (size, (page - 1) * size))]
        if members != rows or total != count:
            notes.append(f"MISMATCH on page {page}: members gave {len(members)} nodes, total "
                         f"{total}; the raw SELECT {len(rows)} nodes")
        expected[page] = rows

    def members(page: int) -> object:
        return kg.members(WORKFLOW, offset=(page - 1) * size, limit=size)

    def select(page: int) -> object:
        answer = kg.raw.query(PAGE_QUERY % (size, (page - 1) * size))
        assert isinstance(answer, ox.QuerySolutions)
        return [s["node"].value for s in answer]

    bind = {"type": ox.NamedNode(WORKFLOW)}
    log(f"listing in-process: kg.members x {len(pages)}")
    a = timed_loop(members, pages, "in-process kg.members",
                   "count query + members query, one caller")
    log(f"listing in-process: raw SELECT x {len(pages)}")
    c = timed_loop(select, pages, "raw pyoxigraph SELECT (baseline)",
                   "ORDER BY ?node LIMIT/OFFSET in the catalog graph, no count")
    n = max(10, len(pages) // 10)
    count_only = timed_loop(lambda _p: kg.select("member_count", bindings=bind), pages[:n],
                            "members count query alone")
    notes.append(f"kg.members = a COUNT(DISTINCT) query over the type and its subclasses "
                 f"(p50 {count_only.p(0.5):.1f} ms alone, {n} runs) + the members query "
                 "(DISTINCT, ORDER BY every node, then skipped to the page in Python); the raw "
                 "SELECT lets Oxigraph order and slice one pattern.")
    close(kg)
    return [a, c], notes, expected



def over_http(path: Path, pages: list[int], size: int, count: int,
              expected: dict[int, list[str]], work: Path,
              servers: list[Server]) -> Latency:
    """GET /workflows?page=N of `mmoda serve` on the filled store, one sequential client."""
    port = free_port()
    env = {"MMODA_DATA_DIR": str(path), "MMODA_PORT": str(port), "MMODA_HOST": "127.0.0.1",
           "MMODA_LOG_LEVEL": "warning", "MMODA_LOAD_EXAMPLE_CATALOG": "false",
           "MMODA_BASE_URL": BASE}
    server = Server("mmoda", [*mmoda_cmd(), "serve", "--data-dir", str(path), "--port",
                              str(port), "--host", "127.0.0.1"],
                    port, "/sparql", work / "serve.log", env)
    servers.append(server)
    label = "mmoda serve GET /workflows?page=N"
    log("listing over HTTP: starting mmoda serve")
    try:
        if not server.start("ASK { }"):
            return Latency(label, [], note=f"NOT MEASURED: server did not start: "
                                           f"{server.error[:600]}")
        url = f"http://127.0.0.1:{port}/workflows"
        headers = {"Accept": JSONLD}
        with httpx.Client(timeout=120, headers=headers) as client:
            for page, nodes in expected.items():
                r = client.get(url, params={"page": page, "size": size})
                if r.status_code != 200:
                    return Latency(label, [], note=f"NOT MEASURED: HTTP {r.status_code}: "
                                                   f"{r.text[:400]}")
                doc = r.json()
                got = [m["@id"] for m in doc.get("hydra:member", [])]
                if got != nodes or doc.get("hydra:totalItems") != count:
                    return Latency(label, [], note=f"NOT MEASURED: wrong page {page}: "
                                                   f"{r.text[:400]}")
            def query(page: int) -> dict[str, int]:  # ?page=N; size only when not the default
                return {"page": page} if size == 50 else {"page": page, "size": size}

            log(f"listing over HTTP: {len(pages)} sequential GETs")
            ms, errors = [], 0
            with pinned_to(CLIENT_CORE):
                for page in pages[:3]:  # warm-up
                    client.get(url, params=query(page))
                for page in pages:
                    t0 = time.perf_counter()
                    r = client.get(url, params=query(page))
                    elapsed = 1000 * (time.perf_counter() - t0)
                    if r.status_code == 200 and r.content:
                        ms.append(elapsed)
                    else:
                        errors += 1
        return Latency(label, ms, errors=errors, note="server on CPU 0, one keep-alive httpx "
                       "client on CPU 1, sequential (no queueing)")
    except Exception as exc:
        return Latency(label, [], note=f"NOT MEASURED: {type(exc).__name__}: {exc} "
                                       f"{server.tail()}"[:800])
    finally:
        server.stop()


def listing(specs: list[WorkflowSpec], args: argparse.Namespace, work: Path, report: Report,
            servers: list[Server]) -> None:
    """Section 2."""
    out = report.section(f"2. listing a {args.workflows:,}-workflow catalog")
    path = fill(specs, args.workflows, work, out)
    pages = pages_for(args.workflows, args.page_size, args.requests, args.seed)
    results, notes, expected = in_process(path, args.workflows, pages, args.page_size)
    a, c = results
    b = over_http(path, pages, args.page_size, args.workflows, expected, work, servers) \
        if not args.skip_http else Latency("mmoda serve GET /workflows?page=N", [],
                                           note="skipped (--skip-http)")
    last = max(1, math.ceil(args.workflows / args.page_size))
    out.append(f"page size {args.page_size}, page drawn at random from 1-{last} for every "
               f"request (same sequence for all), {args.requests} requests each after 3 "
               "warm-up requests; in-process contenders pinned to CPU 0.")
    out.append("")
    out.append(f"{'contender':40} {'p50 ms':>9} {'p99 ms':>9} {'mean ms':>9} {'max ms':>9} "
               f"{'requests':>9} {'errors':>7}")
    for r in (a, b, c):
        if r.ms:
            out.append(f"{r.label:40} {r.p(0.5):9.2f} {r.p(0.99):9.2f} "
                       f"{statistics.fmean(r.ms):9.2f} {max(r.ms):9.2f} {len(r.ms):9} "
                       f"{r.errors:7}  [{r.note}]")
        else:
            out.append(f"{r.label:40} {r.note}")
    out.append("")
    p50 = {k: r.p(0.5) if r.ms else None for k, r in (("a", a), ("b", b), ("c", c))}
    p99 = {k: r.p(0.99) if r.ms else None for k, r in (("a", a), ("b", b), ("c", c))}
    out.append(f"latency ratios (lower is better): p50 HTTP/in-process = "
               f"{ratio(p50['b'], p50['a'])}, in-process/raw = {ratio(p50['a'], p50['c'])}, "
               f"HTTP/raw = {ratio(p50['b'], p50['c'])}; p99 HTTP/in-process = "
               f"{ratio(p99['b'], p99['a'])}, in-process/raw = {ratio(p99['a'], p99['c'])}, "
               f"HTTP/raw = {ratio(p99['b'], p99['c'])}")
    out += notes


# -- main ------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options; --quick shrinks every size for a smoke run."""
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 50 notebooks, 500 workflows, 50 requests")
    p.add_argument("--notebooks", type=int, default=None, help="notebooks generated (1000)")
    p.add_argument("--single", type=int, default=None,
                   help="notebooks registered one at a time (50)")
    p.add_argument("--batch", type=int, default=None, help="register_many batch size (100)")
    p.add_argument("--sweep", type=str, default=None,
                   help="batch sizes for HermiT alone, comma-separated (25,50,100,200)")
    p.add_argument("--workflows", type=int, default=None,
                   help="workflow nodes in the listing store (10000)")
    p.add_argument("--page-size", type=int, default=50, help="page size of the listing")
    p.add_argument("--requests", type=int, default=None,
                   help="listing requests per contender (200)")
    p.add_argument("--skip-http", action="store_true", help="no server in the listing")
    p.add_argument("--seed", type=int, default=42, help="notebook and page seed")
    p.add_argument("--workdir", type=Path, default=None,
                   help="scratch directory (default: a new temporary directory)")
    p.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = p.parse_args(argv)
    full = {"notebooks": 1000, "single": 50, "batch": 100, "sweep": "25,50,100,200",
            "workflows": 10_000, "requests": 200}
    quick = {"notebooks": 50, "single": 5, "batch": 25, "sweep": "10,25",
             "workflows": 500, "requests": 50}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.sweep = [int(x) for x in str(args.sweep).split(",") if x.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    """Run both sections, print the report; the scratch directory is removed unless --keep."""
    args = parse_args(argv)
    work: Path = args.workdir or Path(tempfile.mkdtemp(prefix="mmoda-bench-register-"))
    if args.workdir:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    # A cache of its own: the registry caches the reasoner's answers per content, and a
    # previous run's answers would hide the HermiT cost this benchmark measures.
    os.environ["XDG_CACHE_HOME"] = str(work / "cache")
    report = Report("MMODA workflow registration and catalog listing benchmark")
    servers: list[Server] = []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    machine_facts(report.section("machine"), args)
    started = time.perf_counter()
    status = 0
    try:
        specs = registration(args, work, report)
        listing(specs, args, work, report, servers)
    except Exception as exc:
        report.section("FAILED").append(f"{type(exc).__name__}: {exc}")
        status = 1
        raise
    finally:
        finish(report, started=started, work=work, keep=args.keep, servers=servers)
    return status


if __name__ == "__main__":
    sys.exit(main())
