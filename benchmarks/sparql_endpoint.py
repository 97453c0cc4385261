"""MMODA store and SPARQL endpoint benchmark: one run, one report.

Generates a deterministic synthetic catalog (default 1M triples), loads it into an in-process
pyoxigraph store, the store `mmoda serve` serves and an `oxigraph` CLI store, then measures:

- lookup SELECT latency and throughput: (a) in-process `Store.query` + JSON serialisation,
  (b) `GET /sparql` of `mmoda serve`, (c) `GET /query` of `oxigraph serve`; servers pinned
  to CPU 0, the load generator (wrk, else an asyncio+httpx client) to CPU 1;
- JSON-LD ingest rate: pyoxigraph's parser vs pyld on the same documents;
- node writes per second: `KnowledgeGraph.put_node` with SHACL validation vs raw `Store.extend`.

Run: make bench, or .venv/bin/python benchmarks/sparql_endpoint.py [--triples N] [--duration S] ...
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
from _catalog import CATALOG_GRAPH, Catalog, generate, read_docs
from _http import (
    JSON_RESULTS,
    Rotation,
    Server,
    Stats,
    free_port,
    measure_inprocess,
    mmoda_cmd,
    run_fallback,
    run_wrk,
    wrk_available,
)
from _ingest import jsonld_ingest, node_writes
from _report import Report, cpu_line, dist, finish, log, ratio

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
LOOKUP = """PREFIX dct: <http://purl.org/dc/terms/>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
SELECT ?title ?start ?url WHERE {
  GRAPH <%s> {
    <https://bench.odahub.io/datasets/ds-@@> dct:title ?title ;
        dct:temporal ?period ;
        dcat:distribution ?dist .
    ?period dcat:startDate ?start .
    ?dist dcat:accessURL ?url .
  }
}""" % CATALOG_GRAPH  # noqa: UP031 - a SPARQL template full of braces


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """Run a command; wall seconds and its output. Raises on failure."""
    t0 = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False,
                          env={**os.environ, **(env or {})})
    if done.returncode:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): "
                           f"{(done.stderr or done.stdout)[-800:]}")
    return time.perf_counter() - t0, done.stdout.strip()



def oxigraph_cmd() -> str:
    """The `oxigraph` CLI of this environment."""
    return str(BIN / "oxigraph") if (BIN / "oxigraph").exists() else shutil.which("oxigraph") or ""


def service_env(data_dir: Path, port: int = 8000) -> dict[str, str]:
    """`MMODA_*` settings of the benchmarked service."""
    return {"MMODA_DATA_DIR": str(data_dir), "MMODA_PORT": str(port), "MMODA_HOST": "127.0.0.1",
            "MMODA_LOG_LEVEL": "warning", "MMODA_LOAD_EXAMPLE_CATALOG": "false",
            "MMODA_BASE_URL": "https://bench.odahub.io"}


def rows_of(payload: bytes) -> list[tuple[Any, ...]]:
    """SPARQL JSON results as a sorted list of comparable rows."""
    data = json.loads(payload)
    names = data["head"]["vars"]
    rows = [tuple(tuple(sorted(b.get(n, {}).items())) for n in names)
            for b in data["results"]["bindings"]]
    return sorted(rows)


# -- report ----------------------------------------------------------------------------------

def machine_facts(out: list[str], args: argparse.Namespace) -> None:
    """Cores, CPU, load, versions."""
    def version(argv: list[str]) -> str:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=10)
            return (done.stdout or done.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "not found"

    out += [
        cpu_line(),
        f"os: {platform.platform()}",
        f"python: {sys.version.split()[0]} ({platform.python_implementation()})",
        f"pyoxigraph: {ox.__version__}; oxigraph CLI: {version([oxigraph_cmd(), '--version'])}",
        f"pyld: {dist('PyLD')}; pyshacl: {dist('pyshacl')}; uvicorn: {dist('uvicorn')}; "
        f"mmoda: {dist('mmoda')}",
        f"load generator: {version(['wrk', '-v']) if wrk_available() else 'httpx fallback'}",
        f"options: triples={args.triples} duration={args.duration}s "
        f"connections={args.connections} nodes={args.nodes} seed={args.seed}",
    ]


# -- steps -----------------------------------------------------------------------------------

def load_stores(cat: Catalog, work: Path, out: list[str], *, optimize: bool) -> dict[str, Path]:
    """Load the N-Quads into the three stores; their directories."""
    dirs = {k: work / f"store-{k}" for k in ("a", "b", "c")}
    for d in dirs.values():
        shutil.rmtree(d, ignore_errors=True)
    log("loading (a) pyoxigraph Store.bulk_load")
    t0 = time.perf_counter()
    store = ox.Store(str(dirs["a"]))
    store.bulk_load(path=str(cat.nquads), format=ox.RdfFormat.N_QUADS)
    store.flush()
    seconds = time.perf_counter() - t0
    count = len(store)
    del store
    out.append(f"(a) pyoxigraph Store.bulk_load (in-process)       {seconds:7.2f} s  "
               f"{count / seconds:>10,.0f} quads/s  ({count:,} quads)")

    log("loading (b) mmoda load (bootstrap first)")
    env = service_env(dirs["b"])
    boot, _ = timed([*mmoda_cmd(), "query", "ASK { }"], env)
    seconds, said = timed([*mmoda_cmd(), "load", "--graph", "catalog", str(cat.nquads)], env)
    out.append(f"(b) mmoda load --graph catalog (subprocess)        {seconds:7.2f} s  "
               f"{cat.triples / seconds:>10,.0f} quads/s  ({said}; "
               f"first start with ontology bootstrap took {boot:.2f} s before)")

    log("loading (c) oxigraph load")
    seconds, _ = timed([oxigraph_cmd(), "load", "--location", str(dirs["c"]),
                        "--file", str(cat.nquads)])
    out.append(f"(c) oxigraph load --location --file (subprocess)   {seconds:7.2f} s  "
               f"{cat.triples / seconds:>10,.0f} quads/s")
    out.append("subprocess times include interpreter/process start-up; loads are not pinned.")
    if optimize:
        # Bulk loads leave many SST files; compact all three alike so that the lookup compares
        # query paths, not storage layouts (`oxigraph load` itself advises this).
        log("optimizing the three stores")
        took = []
        for key in ("a", "b"):
            t0 = time.perf_counter()
            store = ox.Store(str(dirs[key]))
            store.optimize()
            del store
            took.append(time.perf_counter() - t0)
        seconds, _ = timed([oxigraph_cmd(), "optimize", "--location", str(dirs["c"])])
        took.append(seconds)
        out.append("then optimized (compacted) alike: " + ", ".join(
            f"{k} {t:.2f} s" for k, t in zip("abc", took, strict=True)) +
            " (Store.optimize / oxigraph optimize; not part of the load times)")
    return dirs


def lookup(cat: Catalog, dirs: dict[str, Path], args: argparse.Namespace, work: Path,
           out: list[str], servers: list[Server]) -> None:
    """Lookup SELECT: in-process vs our endpoint vs oxigraph serve."""
    prefix, suffix = LOOKUP.split("@@")
    rotation = Rotation(prefix, suffix, cat.datasets)
    sample = [0, cat.datasets // 3, cat.datasets - 1]
    results: dict[str, Stats | str] = {}
    expected: dict[int, list[tuple[Any, ...]]] = {}

    log("lookup (a): in-process Store.query + JSON serialisation")
    held: list[ox.Store] = [ox.Store(str(dirs["a"]))]  # emptied to close the store after
    fmt = ox.QueryResultsFormat.JSON

    def run_one(query: str) -> bytes:
        answer = held[0].query(query)
        assert isinstance(answer, ox.QuerySolutions)
        return answer.serialize(format=fmt) or b""

    for i in sample:
        expected[i] = rows_of(run_one(rotation.text(i)))
    rows = sum(len(r) for r in expected.values()) / len(sample)
    measure_inprocess(run_one, rotation, duration=min(1.0, args.duration / 3))  # warm-up
    results["a"] = measure_inprocess(run_one, rotation, duration=args.duration, seed=args.seed)
    held.clear()  # closes the RocksDB store: step 5 reopens its directory

    use_wrk = wrk_available()
    if not args.skip_http:
        port_b, port_c = free_port(), free_port()
        contenders = [
            Server("b", [*mmoda_cmd(), "serve", "--data-dir", str(dirs["b"]),
                         "--port", str(port_b), "--host", "127.0.0.1"],
                   port_b, "/sparql", work / "serve-b.log", service_env(dirs["b"], port_b)),
            Server("c", [oxigraph_cmd(), "serve", "--location", str(dirs["c"]),
                         "--bind", f"127.0.0.1:{port_c}"], port_c, "/query", work / "serve-c.log"),
        ]
        for server in contenders:
            results[server.name] = measure_server(server, rotation, expected, args, work,
                                                  servers, use_wrk)

    labels = {"a": "(a) in-process Store.query+serialize",
              "b": "(b) mmoda serve GET /sparql",
              "c": "(c) oxigraph serve GET /query"}
    out.append(f"query: dataset by IRI -> title, start date, distributions' access URLs "
               f"(~{rows:.1f} rows); IRI drawn at random from {cat.datasets:,} datasets on "
               "every request, for all three.")
    out.append(f"servers pinned to CPU 0 (taskset -c 0), load generator to CPU 1; "
               f"{args.connections} connections, {args.duration:g} s after a warm-up; "
               f"tool: {'wrk -t1 + Lua rotation' if use_wrk else 'asyncio+httpx fallback'}.")
    if not use_wrk:
        out.append("NOTE: wrk not found; the fallback client is CPU-bound in Python and less "
                   "precise (it may saturate before the server does).")
    out.append("")
    out.append(f"{'contender':40} {'p50 ms':>9} {'p99 ms':>9} {'req/s':>10} {'requests':>10} "
               f"{'errors':>7}")
    for key, label in labels.items():
        r = results.get(key, "skipped (--skip-http)")
        if isinstance(r, Stats):
            out.append(f"{label:40} {r.p50_ms:9.3f} {r.p99_ms:9.3f} {r.rps:10,.0f} "
                       f"{r.requests:10,} {r.errors:7}" + (f"  [{r.note}]" if r.note else ""))
        else:
            out.append(f"{label:40} {r}")
    rps = {k: v.rps for k, v in results.items() if isinstance(v, Stats)}
    p50 = {k: v.p50_ms for k, v in results.items() if isinstance(v, Stats)}
    p99 = {k: v.p99_ms for k, v in results.items() if isinstance(v, Stats)}
    out.append("")
    verdict = ""
    if "b" in rps and "c" in rps:
        verdict = "  MET" if rps["b"] / rps["c"] >= 0.8 else "  NOT MET"
    out.append(f"throughput b/c = {ratio(rps.get('b'), rps.get('c'))} (target >= 0.8){verdict}; "
               f"b/a = {ratio(rps.get('b'), rps.get('a'))}; c/a = "
               f"{ratio(rps.get('c'), rps.get('a'))}")
    out.append(f"latency p50 b/c = {ratio(p50.get('b'), p50.get('c'))}, p99 b/c = "
               f"{ratio(p99.get('b'), p99.get('c'))} (lower is better; a is one caller, "
               "b and c have 16 requests in flight, so their latencies include queueing)")


def measure_server(server: Server, rotation: Rotation, expected: dict[int, list[Any]],
                   args: argparse.Namespace, work: Path, servers: list[Server],
                   use_wrk: bool) -> Stats | str:
    """Start `server`, check its answers, warm it up, measure it, stop it."""
    log(f"lookup ({server.name}): starting {' '.join(server.argv[:2])}")
    servers.append(server)
    try:
        if not server.start("ASK { ?s ?p ?o }"):
            return f"NOT MEASURED: server did not start: {server.error[:600]}"
        with httpx.Client(timeout=30) as client:
            for i, rows in expected.items():
                r = client.get(server.endpoint, params={"query": rotation.text(i)},
                               headers={"Accept": JSON_RESULTS})
                if r.status_code != 200:
                    return f"NOT MEASURED: HTTP {r.status_code}: {r.text[:400]}"
                if rows_of(r.content) != rows:
                    return f"NOT MEASURED: wrong answer for ds-{i}: {r.text[:400]}"

        def drive(duration: float) -> Stats:
            if use_wrk:
                return run_wrk(server.endpoint, rotation, duration=duration,
                               connections=args.connections, workdir=work, seed=args.seed)
            return run_fallback(server.endpoint, rotation, duration=duration,
                                connections=args.connections, seed=args.seed)

        drive(max(1.0, args.duration / 3))  # warm-up
        log(f"lookup ({server.name}): measuring {args.duration:g} s")
        return drive(args.duration)
    except Exception as exc:
        return f"NOT MEASURED: {type(exc).__name__}: {exc} {server.tail()}"[:800]
    finally:
        server.stop()


def ingest(cat: Catalog, args: argparse.Namespace, out: list[str]) -> None:
    """JSON-LD ingest: pyoxigraph vs pyld."""
    docs = read_docs(cat.jsonld)
    log(f"JSON-LD ingest of {len(docs)} documents")
    rates = jsonld_ingest(docs, pyld_budget=args.pyld_budget)
    out.append(f"{len(docs):,} JSON-LD documents (one dataset node each, project context by "
               f"URL), {cat.jsonld_triples:,} triples, into an in-memory Store")
    for r in rates:
        out.append(f"{r.name:32} {r.per_second:>12,.0f} triples/s  ({r.units:,} triples in "
                   f"{r.seconds:.2f} s; {r.note})")
    by_name = {r.name: r.per_second for r in rates}
    for label, ours, pyld in (
        ("per document", by_name["pyoxigraph JSON-LD"], by_name["pyld"]),
        ("bulk document", by_name["bulk: pyoxigraph JSON-LD, 1 doc"], by_name["bulk: pyld, 1 doc"]),
    ):
        verdict = "MET" if ours >= 200_000 else "NOT MET"
        out.append(f"{label}: ratio pyoxigraph/pyld = {ratio(ours, pyld)}; "
                   f"target >= 200,000 triples/s for ours: {verdict}")


def writes(store_dir: Path, args: argparse.Namespace, out: list[str]) -> None:
    """Validated node writes vs raw extend."""
    log(f"node writes: {args.nodes} nodes per contender")
    rep = node_writes(store_dir, count=args.nodes)
    if rep.rates:
        out.append(f"{args.nodes} fresh dataset nodes each (~{rep.triples_per_node:.0f} triples,"
                   " with their fragments), into the on-disk store (a) holding the catalog")
    for r in rep.rates:
        out.append(f"{r.name:28} {r.per_second:>10,.1f} nodes/s  ({r.seconds * 1000 / r.units:.2f}"
                   f" ms/node; {r.note})")
    if len(rep.rates) == 3:
        v, n, raw = (r.per_second for r in rep.rates)
        out.append(f"ratio validated/raw = {ratio(v, raw)}; unvalidated put_node/raw = "
                   f"{ratio(n, raw)}; validation share of a validated write = "
                   f"{100 * (1 - v / n):.0f}%")
    if rep.error:
        out.append("BLOCKED: " + rep.error.strip().replace("\n", "\n  "))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--triples", type=int, default=1_000_000, help="size of the catalog")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per HTTP measurement")
    p.add_argument("--connections", type=int, default=16, help="concurrent HTTP connections")
    p.add_argument("--skip-http", action="store_true", help="only the in-process lookup")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--nodes", type=int, default=1000, help="nodes written per write contender")
    p.add_argument("--jsonld-triples", type=int, default=100_000,
                   help="triples in the JSON-LD documents (capped by the catalog's datasets)")
    p.add_argument("--pyld-budget", type=float, default=60.0,
                   help="stop pyld after this many seconds and rate what it did")
    p.add_argument("--no-optimize", action="store_true",
                   help="query the stores as loaded, without compacting them first")
    p.add_argument("--seed", type=int, default=42, help="catalog and request rotation seed")
    p.add_argument("--workdir", type=Path, default=HERE / ".work", help="scratch directory")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run every step, print the report; the work dir is removed unless --keep."""
    args = parse_args(argv)
    work: Path = args.workdir
    report = Report("MMODA store / SPARQL endpoint benchmark")
    servers: list[Server] = []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    machine_facts(report.section("machine"), args)
    started = time.perf_counter()
    try:
        shutil.rmtree(work, ignore_errors=True)
        log(f"generating a {args.triples:,}-triple catalog in {work}")
        t0 = time.perf_counter()
        cat = generate(work, triples=args.triples, jsonld_triples=args.jsonld_triples,
                       seed=args.seed)
        gen = report.section("1. synthetic catalog")
        gen.append(f"{cat.triples:,} quads ({cat.nquads.stat().st_size / 1e6:.0f} MB N-Quads) "
                   f"in {time.perf_counter() - t0:.1f} s: {cat.datasets:,} datasets, "
                   f"{cat.workflows:,} workflows, {cat.runs:,} requests+runs+results; "
                   f"catalog nodes in <{CATALOG_GRAPH}>, provenance in the runs graph")
        dirs = load_stores(cat, work, report.section("2. load times"),
                           optimize=not args.no_optimize)
        lookup(cat, dirs, args, work, report.section("3. lookup SELECT"), servers)
        ingest(cat, args, report.section("4. JSON-LD ingest"))
        writes(dirs["a"], args, report.section("5. validated node writes"))
    finally:
        finish(report, started=started, work=work, keep=args.keep, servers=servers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
