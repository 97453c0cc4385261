"""MMODA request resolution and reuse lookup at scale, against raw pyoxigraph: one run, one report.

Data (`_scale.py`, on disk in a temporary directory): a site store with 10,000 workflows
(cloned from the registered example workflows: 8-12 parameters incl. RA/DEC/T1/T2), 20
instruments, this site + 99 peer sites (peers in their own peer graphs) offering ~300
workflows each, 1-3 executors per site, datasets per instrument with temporal coverage,
100,000 requests + completed runs + results (1,000 of them for requests prepared with
`prepare`, so that asking again is a reuse hit) and a few hundred active runs: ~21 M quads.

Measured (p50/p99 over --iterations random requests after a warm-up; in-process contenders
interleaved request by request, pinned to CPU 0). Stored queries name caller-bound values
`$var`; `kg` writes them into the text as constants (`queries.inline`). Every raw baseline
is `Store.query` of exactly the texts kg runs (inlined beforehand), for every query the
measured call issues:

2. `prepare(kg, Asked(...))` (workflow lookup, parameter normalisation, identity), timed
   apart; `resolve(kg, prepared, site=..., runnable=accept-all)`: `resolve_data.rq`, then
   `executor_load.rq` per candidate; raw: the same texts.
3. `find_reusable(kg, prepared)` for identities with a completed run (hits) and without
   (misses): `reuse.rq`, then `reuse_run.rq` per candidate run; raw: the same texts.
4. Why constants: `resolve_data.rq` with the values as pyoxigraph `substitutions` against
   the values written in, raw.
5. Over HTTP (`mmoda serve` on CPU 0, one sequential keep-alive httpx client on CPU 1):
   resolution as `POST /requests?dry_run=true` with `"reuse": "never"` and a `user` bearer
   token (prepare + authorise + resolution, nothing written); the same without a token (401
   right after prepare: a prepare-only estimate); `POST /sparql` of the inlined
   `resolve_data.rq` (extra); a reuse answer: `POST /requests` for a request whose identity
   has a completed run (HTTP 200, `"reused": true`).
7. Where the time goes: `RunService.plan` (the dry run) and `RunService.submit` (a reuse
   answer) in-process on the same store, pieces timed by run-time wrappers, and cProfile.
8. The local executor's overhead (`executor_local.measure`, as `make bench-executor`).

Targets: resolution p50 <= 1 ms in-process and <= 3 ms over HTTP; a reuse answer over HTTP p50
<= 5 ms; each printed with PASS/FAIL. Each measurement stops after --budget seconds per
contender (at least 5 samples) and the report gives the samples behind every figure; at the
current speed every measurement gets its --iterations. `--budget 0`: no limit.

Run from the repository root:
    /work/venv/bin/python benchmarks/resolve.py            # full run, ~5 min on 2 cores
    /work/venv/bin/python benchmarks/resolve.py --quick    # smoke run, ~20 s
Progress goes to stderr, the report to stdout at the end. Needs Java (HermiT registers the
three example workflows once, when the cache is cold); uses taskset when present.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import platform
import pstats
import random
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import _scale
import httpx
import pyoxigraph as ox
from _http import CLIENT_CORE, JSON_RESULTS, SERVER_CORE, Server, free_port, mmoda_cmd
from _report import (
    HEADER,
    Latency,
    Report,
    cpu_line,
    dist,
    finish,
    log,
    pinned_to,
    ratio,
    table,
)
from _scale import BASE, SITE, Scale, World

from mmoda.kg import graphs, queries
from mmoda.kg.store import KnowledgeGraph, Term
from mmoda.resolvers.errors import NoCandidate
from mmoda.resolvers.request import Asked, Prepared, prepare
from mmoda.resolvers.resolve import Candidate, resolve, time_bindings
from mmoda.resolvers.reuse import XSD_DATETIME, find_reusable

TESTS = Path(__file__).resolve().parents[1] / "tests"
TARGET_RESOLVE_MS = 1.0
TARGET_RESOLVE_HTTP_MS = 3.0
TARGET_REUSE_HTTP_MS = 5.0
MIN_SAMPLES = 5
Request = tuple[str, dict[str, Any]]  # (workflow, parameters) of a POST /requests


def verdict(value: float, target: float) -> str:
    """PASS, or FAIL with by how much, for a figure that must stay <= target."""
    if value <= target:
        return f"PASS (target <= {target:g} ms)"
    return (f"FAIL (target <= {target:g} ms; {value - target:.2f} ms over, "
            f"x{value / target:.1f})")


def schedule(count: int, warmup: int, budget: float) -> Iterator[tuple[int, bool]]:
    """Item indexes to run: `warmup` warm-up ones (False; cut at a tenth of the budget), then
    up to `count` measured ones (True) while the measured ones stay within `budget` seconds
    (at least MIN_SAMPLES; no limit when `budget` <= 0)."""
    start = time.perf_counter()
    i = 0
    while i < warmup and (i == 0 or budget <= 0 or time.perf_counter() - start < budget / 10):
        yield i, False
        i += 1
    first, start = i, time.perf_counter()
    while i - first < count and (i - first < MIN_SAMPLES or budget <= 0
                                 or time.perf_counter() - start < budget):
        yield i, True
        i += 1


def interleaved(contenders: Sequence[Callable[[int], object]], count: int, warmup: int,
                budget: float, core: str = SERVER_CORE,
                ) -> tuple[list[list[float]], list[int]]:
    """Call every contender on each scheduled item in turn (order alternating), pinned to
    `core`; the ms of the measured items per contender (aligned with the returned indexes)."""
    out: list[list[float]] = [[] for _ in contenders]
    items: list[int] = []
    clock = time.perf_counter
    with pinned_to(core):
        for i, measured in schedule(count, warmup, budget * len(contenders)):
            order = range(len(contenders)) if i % 2 == 0 else range(len(contenders) - 1, -1, -1)
            for k in order:
                t0 = clock()
                contenders[k](i)
                elapsed = 1000 * (clock() - t0)
                if measured:
                    out[k].append(elapsed)
            if measured:
                items.append(i)
    return out, items


def cut_note(n: int, args: argparse.Namespace, wanted: int | None = None) -> str:
    """Says when the time budget stopped a measurement before `wanted` (--iterations)."""
    wanted = args.iterations if wanted is None else wanted
    return "" if n >= wanted else f"; stopped at {n} of {wanted} by --budget {args.budget:g} s"


def accept_all(_candidate: Candidate) -> str | None:
    """The `runnable` of the in-process measurement: every candidate can be driven."""
    return None


def inlined(name: str, bindings: Mapping[str, Term]) -> str:
    """The text kg runs for the stored query `name`: every binding written in as a constant."""
    text, rest = queries.inline(queries.load(name), bindings)
    assert not rest, f"{name}: {sorted(rest)} not written in"
    return text


def resolve_query(prepared: Prepared) -> tuple[str, dict[str, Term]]:
    """The query `resolve` runs for `prepared` and its bindings (as resolve._bindings)."""
    out: dict[str, Term] = {"workflow": ox.NamedNode(prepared.workflow),
                            "self": ox.NamedNode(SITE)}
    if not prepared.info.instrument:
        return "resolvers/resolve", out
    out["instrument"] = ox.NamedNode(prepared.info.instrument)
    out.update(time_bindings(prepared))
    return "resolvers/resolve_data", out


def xsd_now(now: datetime) -> ox.Literal:
    """`now` as find_reusable binds it."""
    return ox.Literal(now.isoformat().replace("+00:00", "Z"), datatype=XSD_DATETIME)


# -- machine, 1. data ------------------------------------------------------------------------

def machine_facts(out: list[str], args: argparse.Namespace) -> None:
    """Cores, CPU, load, versions, options."""
    out += [
        cpu_line(),
        f"os: {platform.platform()}; python: {sys.version.split()[0]}",
        f"pyoxigraph: {ox.__version__}; pyshacl: {dist('pyshacl')}; uvicorn: "
        f"{dist('uvicorn')}; httpx: {dist('httpx')}; mmoda: {dist('mmoda')}",
        f"options: workflows={args.workflows} sites={args.sites} results={args.results} "
        f"iterations={args.iterations} budget={args.budget:g} matched={args.matched} "
        f"active={args.active} seed={args.seed}{' (--quick)' if args.quick else ''}",
    ]


def describe_world(world: World, kg: KnowledgeGraph, out: list[str]) -> None:
    """What was generated, per graph."""
    counts = _scale.graph_counts(kg)
    total = sum(counts.values())
    out.append(f"{len(world.workflows):,} workflows (cloned from the 3 registered examples, "
               f"8-12 parameters incl. RA/DEC/T1/T2, a fifth with an older version), "
               f"{len(world.instruments)} instruments, {1 + len(world.peers)} sites (this one "
               f"in the catalog, {len(world.peers)} peers in their own peer graphs), "
               f"{world.executors} executors, {world.datasets:,} datasets with temporal "
               f"coverage; {world.offers:,} offers ({world.local_offers:,} by this site)")
    skipped = f"; skipped while building: {world.skipped}" if world.skipped else ""
    out.append(f"{world.results:,} requests + COMPLETED runs + results ({len(world.matched):,} "
               "for requests made with prepare, nodes built by request_quads/run_quads/"
               "result_quads, so asking again is a reuse hit; the rest cloned: "
               f"{world.peer_results:,} in peer graphs, {world.expired:,} expired, "
               f"{world.shared_identity:,} sharing an identity of the first); "
               f"{world.active} active runs (QUEUED/EXECUTING) on peer executors{skipped}")
    out.append(f"TOTAL {total:,} quads (target >= 1,500,000: "
               f"{'PASS' if total >= 1_500_000 else 'FAIL'}); per graph: " + ", ".join(
                   f"{k} {v:,}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])))
    for step, seconds in world.seconds.items():
        out.append(f"  {seconds:7.1f} s  {step}")


# -- 2. resolution in-process ----------------------------------------------------------------

@dataclass
class ResolveSet:
    """The random requests of section 2: prepared, the texts kg runs for them, what raw found."""

    prepared: list[Prepared]
    bindings: list[dict[str, Term]]
    texts: list[str]
    pairs: list[list[tuple[str, str]]]
    rows: list[int]
    items: list[int]


def resolution(kg: KnowledgeGraph, world: World, args: argparse.Namespace, rng: random.Random,
               out: list[str]) -> tuple[ResolveSet, dict[str, Latency]]:
    """Section 2; returns the requests (for sections 3-5) and the latencies."""
    n, warm = args.iterations, args.warmup
    asked = [world.random_request(rng) for _ in range(n + warm)]
    log(f"resolution: prepare x {n + warm}")
    prepared: list[Prepared] = []
    prep_ms: list[float] = []
    again_ms: list[float] = []
    with pinned_to(SERVER_CORE):
        for workflow, params in asked:
            t0 = time.perf_counter()
            prepared.append(prepare(kg, Asked(workflow=workflow, parameters=params)))
            prep_ms.append(1000 * (time.perf_counter() - t0))
        for workflow, params in asked:  # the workflow's facts are memoised (kg.memo) now
            t0 = time.perf_counter()
            prepare(kg, Asked(workflow=workflow, parameters=params))
            again_ms.append(1000 * (time.perf_counter() - t0))
    named = [resolve_query(p) for p in prepared]
    texts = [inlined(name, b) for name, b in named]
    # One raw pass first: the (site, executor) candidates of every request; the raw contender
    # then runs executor_load once when there are candidates (as resolve does).
    pairs: list[list[tuple[str, str]]] = []
    rows: list[int] = []
    for text in texts:
        found = [(r["site"].value, r["executor"].value) for r in kg.raw.query(text)]
        rows.append(len(found))
        pairs.append(list(dict.fromkeys(found)))
    loads = [[inlined("resolvers/executor_load", {})] if ps else [] for ps in pairs]
    outcomes: list[Any] = [None] * len(prepared)

    def ours(i: int) -> object:
        try:
            outcomes[i] = resolve(kg, prepared[i], site=SITE, runnable=accept_all)
        except NoCandidate as exc:
            outcomes[i] = exc
        return outcomes[i]

    # What the site's run monitor holds in memory: the active runs per executor (RunService
    # passes its count to resolve instead of counting them in the store on every request).
    active = {r["executor"].value: int(r["load"].value)
              for r in kg.raw.query(inlined("resolvers/executor_load", {}))}
    served: list[Any] = [None] * len(prepared)

    def service(i: int) -> object:
        try:
            served[i] = resolve(kg, prepared[i], site=SITE, runnable=accept_all,
                                load=lambda executor: active.get(executor, 0))
        except NoCandidate as exc:
            served[i] = exc
        return served[i]

    def raw(i: int) -> object:
        got = list(kg.raw.query(texts[i]))
        for text in loads[i]:
            got += kg.raw.query(text)
        return got

    def raw_main(i: int) -> object:
        return list(kg.raw.query(texts[i]))

    log(f"resolution: resolve / raw / raw main query, up to {n} after {warm} warm-up")
    (a, b, c, d), items = interleaved([ours, raw, raw_main, service], n, warm, args.budget)
    measured = [outcomes[i] for i in items]
    failed = [o for o in measured if isinstance(o, NoCandidate)]
    ok_ms = [ms for ms, o in zip(a, measured, strict=True) if not isinstance(o, NoCandidate)]
    wrong = sum(1 for i in items if (set() if isinstance(outcomes[i], NoCandidate) else {
        (c.site, c.executor) for c in outcomes[i].candidates}) != set(pairs[i]))
    cut = cut_note(len(items), args)
    results = {
        "prepare": Latency("prepare(kg, Asked(...))", prep_ms[warm:],
                           "workflow + version + parameter specs + normalise + identity"),
        "prepare_warm": Latency("  prepare again, same requests (memo warm)", again_ms[warm:],
                                "version info + parameter specs from kg.memo"),
        "resolve": Latency("resolve(kg, prepared, site, runnable)", a,
                           "resolve_data.rq + executor_load.rq once" + cut),
        "resolve_ok": Latency("  of which resolved to a candidate", ok_ms),
        "raw": Latency("raw Store.query, same texts (baseline)", b,
                       "resolve_data + executor_load once, inlined beforehand"),
        "raw_main": Latency("raw Store.query, resolve_data.rq alone", c),
        "service": Latency("resolve(..., load=monitor), as the service", d,
                           "resolve_data.rq; executor loads from the monitor's memory"),
    }
    out.append(f"random requests (random workflow of the {len(world.workflows):,}, random "
               f"RA/DEC, T1-T2 within the instrument's mission): prepare timed alone on "
               f"{n + warm} (mostly workflows not asked before), then again on the same "
               f"requests, then up to {n} after {warm} warm-up ones with the three "
               f"contenders interleaved request by request; pinned to CPU {SERVER_CORE}.")
    table(out, [r for k, r in results.items() if k != "resolve_ok" or failed])
    r50 = results["resolve"].p(0.5)
    cands = [len(pairs[i]) for i in items]
    out.append(f"ratios resolve/raw: p50 = {ratio(r50, results['raw'].p(0.5))}, p99 = "
               f"{ratio(results['resolve'].p(0.99), results['raw'].p(0.99))}; "
               f"prepare + resolve p50 = {results['prepare'].p(0.5) + r50:.3f} ms")
    out.append(f"outcomes: {len(measured) - len(failed)} resolved, {len(failed)} without "
               "candidate" + (" (resolve then runs diagnose: " + ", ".join(
                   sorted({f.constraint for f in failed})) + ")" if failed else "")
               + f"; candidates per request: mean "
               f"{statistics.fmean(cands):.1f}, max {max(cands)}; resolve_data rows: mean "
               f"{statistics.fmean(rows[i] for i in items):.1f}; candidate sets differing "
               f"from raw's: {wrong}")
    out.append("runnable accepts every candidate (the service's rejects peers, as forwarding "
               "is not available: some would be NoCandidate, after the same queries).")
    s50 = results["service"].p(0.5)
    out.append(f"ratio resolve as the service calls it / raw resolve_data.rq: p50 = "
               f"{ratio(s50, results['raw_main'].p(0.5))}")
    out.append(f"TARGET resolution in-process p50 {s50:.3f} ms (as RunService calls it): "
               f"{verdict(s50, TARGET_RESOLVE_MS)}")
    return ResolveSet(prepared, [b for _, b in named], texts, pairs, rows, items), results


# -- 3. reuse lookup in-process --------------------------------------------------------------

def reuse_texts(kg: KnowledgeGraph, prepared: Prepared, now: datetime,
                ) -> tuple[str, list[str], str | None]:
    """The texts find_reusable runs for `prepared` (reuse.rq, reuse_run.rq per candidate run,
    found by running them raw) and the run it should choose."""
    bound: dict[str, Term] = {"identity": ox.Literal(prepared.identity)}
    if prepared.reuse == "local":
        bound["g"] = graphs.RUNS
    main = inlined("resolvers/reuse", bound)
    runs, best = [], None
    for row in kg.raw.query(main):
        g = row["g"] or graphs.RUNS
        text = inlined("resolvers/reuse_run", {"g": g, "run": row["run"], "now": xsd_now(now)})
        runs.append(text)
        facts = list(kg.raw.query(text))
        if facts and facts[0]["expired"] is None:
            ended = facts[0]["ended"]
            key = (g == graphs.RUNS, ended.value if ended else "", row["run"].value)
            best = key if best is None or key[:2] > best[:2] else best
    return main, runs, best[2] if best else None


def reuse_lookup(kg: KnowledgeGraph, world: World, misses: list[Prepared],
                 args: argparse.Namespace, rng: random.Random, out: list[str],
                 ) -> dict[str, Latency]:
    """Section 3."""
    n, warm = args.iterations, args.warmup
    hits = [rng.choice(world.matched).prepared for _ in range(n + warm)]
    now = datetime.now(UTC)
    plans = {"hit": [reuse_texts(kg, p, now) for p in hits],
             "miss": [reuse_texts(kg, p, now) for p in misses]}
    asked = {"hit": hits, "miss": misses}
    results: dict[str, Latency] = {}
    notes: list[str] = []
    for kind in ("hit", "miss"):
        found: list[Any] = [None] * len(asked[kind])
        texts = plans[kind]

        def ours(i: int, found: list[Any] = found, kind: str = kind) -> object:
            found[i] = find_reusable(kg, asked[kind][i], now=now)
            return found[i]

        def raw(i: int, texts: list[Any] = texts) -> object:
            got = list(kg.raw.query(texts[i][0]))
            for text in texts[i][1]:
                got += kg.raw.query(text)
            return got

        count = n if kind == "hit" else len(misses) - warm
        kinds = f"{kind}{'es' if kind == 'miss' else 's'}"
        log(f"reuse lookup: {kinds}, up to {count} after {warm} warm-up, interleaved with raw")
        (a, b), items = interleaved([ours, raw], count, warm, args.budget)
        got = sum(1 for i in items if found[i] is not None)
        local = sum(1 for i in items if found[i] is not None and found[i].local)
        wrong = sum(1 for i in items if (found[i].run if found[i] else None) != texts[i][2])
        note = (f"{got}/{len(items)} found, {local} in the runs graph" if kind == "hit"
                else f"{got} unexpected hits")
        results[kind] = Latency(f"find_reusable, {kind}", a, note + cut_note(len(items), args))
        results[f"{kind}_raw"] = Latency(f"raw Store.query, same texts, {kind} (baseline)", b)
        cands = [len(texts[i][1]) for i in items]
        notes.append(f"{kinds}: candidate runs (= reuse_run queries) per lookup mean "
                     f"{statistics.fmean(cands):.2f}, max {max(cands)}; chosen run differing "
                     f"from raw's: {wrong}")
    out.append(f"hits: identities of the {len(world.matched):,} requests stored with a "
               f"completed run, drawn at random; misses: the identities of section 2's random "
               f"requests (not in the store); up to {n} each after {warm} warm-up ones. Raw: "
               "reuse.rq then reuse_run.rq for each run it lists, texts inlined beforehand.")
    table(out, list(results.values()))
    out += notes
    out.append("ratios find_reusable/raw: " + "; ".join(
        f"{kind} p50 = {ratio(results[kind].p(0.5), results[kind + '_raw'].p(0.5))}, p99 = "
        f"{ratio(results[kind].p(0.99), results[kind + '_raw'].p(0.99))}"
        for kind in ("hit", "miss")))
    return results


# -- 4. substitutions against constants ------------------------------------------------------

def substitutions_note(kg: KnowledgeGraph, rs: ResolveSet, args: argparse.Namespace,
                       out: list[str]) -> None:
    """Section 4: resolve_data.rq with the values as substitutions or as constants."""
    text = queries.load("resolvers/resolve_data")
    items = [i for i in rs.items if "instrument" in rs.bindings[i]]
    if not items:
        out.append("not measured: no request of section 2 binds an instrument")
        return
    names = " ".join(f"?{k}" for k in rs.bindings[items[0]])
    # pyoxigraph only substitutes projected variables: project the bound ones too.
    projected = re.sub(r"^SELECT ", f"SELECT {names} ", text, count=1, flags=re.M)
    rows: dict[int, int] = {}

    def subs(k: int) -> object:
        i = items[k % len(items)]
        got = list(kg.raw.query(projected, substitutions={
            ox.Variable(name): v for name, v in rs.bindings[i].items()}))
        rows[i] = len(got)
        return got

    def constants(k: int) -> object:
        return list(kg.raw.query(rs.texts[items[k % len(items)]]))

    budget = args.budget / 4
    log(f"substitutions against constants: up to {len(items)} requests, {budget:g} s each")
    (a, b), done = interleaved([subs, constants], len(items), 1, budget)
    wrong = sum(1 for k in done if rows[items[k % len(items)]] != rs.rows[items[k % len(items)]])
    s, c = Latency("substitutions=", a), Latency("constants (queries.inline)", b)
    out.append(f"raw Store.query of resolve_data.rq for section 2's requests ({len(done)} "
               f"measured, budget --budget/4 per contender): the values passed as "
               f"`substitutions` (bound variables added to the projection, as pyoxigraph "
               f"requires) against the values written in as constants, as kg runs it.")
    table(out, [s, c])
    out.append(f"substitutions/constants p50 = {ratio(s.p(0.5), c.p(0.5))}; answers with a "
               f"different number of rows: {wrong}. pyoxigraph joins substituted values "
               "after evaluating the whole pattern (every offer, executor, dataset of the "
               "store), while a constant is where the plan starts: why stored queries name "
               "caller-bound values $var and kg inlines them.")


# -- 5. HTTP ---------------------------------------------------------------------------------


def user_token(world: World) -> str:
    """A bearer token with role `user`, minted as the tests do (tests/support.token)."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from support import token

    return token(world.settings, "user", subject="bench-user")


def local_requests(world: World, count: int, rng: random.Random,
                   ) -> list[Request]:
    """Random requests (workflow, parameters) for workflows this site offers, so that its
    local executor can run them."""
    offered = [w for w in world.workflows if SITE in world.offered_by.get(w, ())]
    return [(w, _scale.random_parameters(world.instrument_of[w], rng))
            for w in (rng.choice(offered) for _ in range(count))]


def over_http(world: World, rs: ResolveSet, planned: list[Request], args: argparse.Namespace,
              rng: random.Random, work: Path, servers: list[Server],
              out: list[str]) -> dict[str, Latency]:
    """Section 5: start `mmoda serve` on the store, measure, stop it."""
    n, warm = args.iterations, args.warmup
    port = free_port()
    env = {"MMODA_DATA_DIR": str(world.data_dir), "MMODA_PORT": str(port),
           "MMODA_HOST": "127.0.0.1", "MMODA_LOG_LEVEL": "warning",
           "MMODA_LOAD_EXAMPLE_CATALOG": "false", "MMODA_BASE_URL": BASE,
           "MMODA_JWT_SECRET": _scale.SECRET}
    server = Server("mmoda", [*mmoda_cmd(), "serve", "--data-dir", str(world.data_dir),
                              "--port", str(port), "--host", "127.0.0.1"],
                    port, "/sparql", work / "serve.log", env)
    servers.append(server)
    hits = [rng.choice(world.matched) for _ in range(n + warm)]
    sparql = [rs.texts[i] for i in rs.items]
    auth = {"Authorization": f"Bearer {user_token(world)}", "Accept": "application/json"}
    anonymous = {"Accept": "application/json"}
    sparql_headers = {"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS}
    labels = {"dry": "POST /requests?dry_run=true (resolution)",
              "prepare": "  same, no token: 401 after prepare",
              "sparql": "POST /sparql: resolve_data.rq inlined (extra)",
              "reuse": "POST /requests -> 200 reused"}
    log("HTTP: starting mmoda serve")
    t0 = time.perf_counter()
    try:
        if not server.start("ASK { }", timeout=300):
            note = f"NOT MEASURED: server did not start: {server.error[:600]}"
            return {k: Latency(label, [], note) for k, label in labels.items()}
        started = time.perf_counter() - t0
        got: dict[str, dict[int, httpx.Response]] = {k: {} for k in labels}

        def plan_body(i: int) -> dict[str, Any]:
            workflow, parameters = planned[i % len(planned)]
            return {"workflow": workflow, "parameters": parameters, "reuse": "never"}

        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            def dry(i: int) -> object:
                got["dry"][i] = client.post("/requests", params={"dry_run": "true"},
                                            json=plan_body(i), headers=auth)
                return None

            def prep(i: int) -> object:
                got["prepare"][i] = client.post("/requests", params={"dry_run": "true"},
                                                json=plan_body(i), headers=anonymous)
                return None

            def query(i: int) -> object:
                got["sparql"][i] = client.post("/sparql", content=sparql[i % len(sparql)],
                                               headers=sparql_headers)
                return None

            def reuse(i: int) -> object:
                s = hits[i % len(hits)]
                got["reuse"][i] = client.post("/requests", headers=auth, json={
                    "workflow": s.workflow, "parameters": s.parameters})
                return None

            log(f"HTTP: {len(labels)} contenders interleaved, up to {n} after {warm} warm-up")
            ms, items = interleaved([dry, prep, query, reuse], n, warm, args.budget,
                                    core=CLIENT_CORE)
    except Exception as exc:
        note = f"NOT MEASURED: {type(exc).__name__}: {exc} {server.tail()}"[:800]
        return {k: Latency(label, [], note) for k, label in labels.items()}
    finally:
        server.stop()

    def ok(key: str, r: httpx.Response, i: int) -> bool:
        if key == "prepare":
            return r.status_code == 401
        if r.status_code != 200:
            return False
        body = r.json()
        if key == "dry":
            return bool(body.get("resolution", {}).get("site") == SITE)
        if key == "sparql":
            return len(body["results"]["bindings"]) == rs.rows[rs.items[i % len(sparql)]]
        return bool(body.get("reused"))

    results: dict[str, Latency] = {}
    for k, (key, label) in enumerate(labels.items()):
        good = [ok(key, got[key][i], i) for i in items]
        first = next((got[key][i] for i, g in zip(items, good, strict=True) if not g), None)
        note = cut_note(len(items), args) + (
            f"; first wrong answer: HTTP {first.status_code} {first.text[:300]}" if first else "")
        results[key] = Latency(label, [m for m, g in zip(ms[k], good, strict=True) if g],
                               note[2:], good.count(False))
    out.append(f"`mmoda serve` (uvicorn + uvloop + httptools, one process) on the generated "
               f"store, pinned to CPU {SERVER_CORE}, ready in {started:.1f} s; one sequential "
               f"keep-alive httpx client pinned to CPU {CLIENT_CORE}; the four contenders "
               f"interleaved request by request, up to {n} each after {warm} warm-up ones "
               "(rows count only the expected answers).")
    out.append("resolution: POST /requests?dry_run=true {workflow, parameters, reuse: never} "
               "with a bearer token (role user) for random requests (random RA/DEC/T1/T2) of "
               f"the {world.local_offers:,} workflows this site offers, so that the service's "
               "own runnable (this site's configured executors only) finds a candidate: "
               "prepare + authorise + resolve, answered 200 with the resolution, nothing "
               "written. The same body without a token is answered 401 right after prepare: "
               "HTTP + prepare + an error answer, an estimate of the prepare share (the "
               "workflows' facts are memoised after their first request, for both).")
    out.append("extra, not a target: POST /sparql of resolve_data.rq as kg runs it (section "
               "2's requests, rows checked): the main query through the SPARQL protocol, "
               "JSON results.")
    out.append("reuse answer: POST /requests {workflow, parameters} with the token for a "
               "request whose identity has a completed run: prepare + authorise + "
               "find_reusable + a validated write of the new Request node + the request "
               "view, answered 200 with reused: true.")
    table(out, list(results.values()))
    return results


# -- 7. where the time goes in the service ---------------------------------------------------

class Pieces:
    """Seconds spent in named pieces, by run-time wrappers (the library is not modified)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._undo: list[Callable[[], None]] = []

    def wrap(self, owner: Any, name: str, key: str) -> None:
        """Replace `owner.name` by a timed wrapper until `restore`."""
        original = getattr(owner, name)
        module = isinstance(owner, types.ModuleType)
        self.seconds[key] = 0.0

        def timed(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                self.seconds[key] += time.perf_counter() - t0

        setattr(owner, name, timed)
        if module:
            self._undo.append(lambda: setattr(owner, name, original))
        else:  # an instance attribute shadowing the class's method: remove it again
            self._undo.append(lambda: delattr(owner, name))

    def restore(self) -> None:
        """Put every wrapped attribute back."""
        while self._undo:
            self._undo.pop()()


def service_path(label: str, call: Callable[[int], object], pieces: list[tuple[Any, str, str]],
                 args: argparse.Namespace, out: list[str]) -> Latency:
    """`call` measured in-process (3 warm-up calls, then up to --profile-runs), its pieces
    timed by wrappers, then 3 more calls under cProfile: the top functions by own time."""
    n = args.profile_runs
    log(f"service path: {label}, up to {n} in-process")
    with pinned_to(SERVER_CORE):
        for i in range(3):
            call(i)
    timer = Pieces()
    for owner, name, key in pieces:
        timer.wrap(owner, name, key)
    ms: list[float] = []
    try:
        with pinned_to(SERVER_CORE):
            for i, _ in schedule(n, 0, args.budget):
                t0 = time.perf_counter()
                call(3 + i)
                ms.append(1000 * (time.perf_counter() - t0))
    finally:
        timer.restore()
    lat = Latency(label, ms, cut_note(len(ms), args, n)[2:])
    out.append(HEADER)
    out.append(lat.row())
    total = sum(ms)
    for key, seconds in timer.seconds.items():
        out.append(f"  {key:52} {1000 * seconds / len(ms):8.3f} ms/request  "
                   f"{100 * 1000 * seconds / total:5.1f} %")
    profile = cProfile.Profile()
    with pinned_to(SERVER_CORE):
        for i in range(3 + len(ms), 6 + len(ms)):
            profile.enable()
            call(i)
            profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    out.append("  top functions by own time under cProfile (3 more calls; profiling inflates "
               "Python-heavy code; ms per call):")
    for (path, line, func), (_cc, ncalls, own, cum, _callers) in sorted(
            stats.items(), key=lambda kv: -kv[1][2])[:8]:
        where = f"{Path(path).parent.name}/{Path(path).name}:{line}" if line else path
        out.append(f"  {1000 * own / 3:9.3f} own {1000 * cum / 3:9.3f} cum "
                   f"{ncalls / 3:7.1f} calls  {func} ({where})")
    out.append("")
    return lat


def breakdown(world: World, planned: list[Request], args: argparse.Namespace,
              rng: random.Random, out: list[str]) -> dict[str, Latency]:
    """Section 7: RunService.plan (section 5's dry runs) and RunService.submit (reuse hits)
    in-process, with their pieces and profiles."""
    from mmoda.api.site import open_site
    from mmoda.runs import service, views
    from mmoda.runs.service import Caller

    site = open_site(world.settings)
    kg = site.kg
    assert kg.validator is not None
    caller = Caller("bench-user", frozenset({"user"}))
    hits = [rng.choice(world.matched) for _ in range(args.profile_runs + 6)]

    def plan(i: int) -> None:
        workflow, parameters = planned[i % len(planned)]
        answer = site.runs.plan(Asked(workflow=workflow, parameters=parameters,
                                      reuse="never"), caller)
        assert "resolution" in answer, "expected a resolution"

    def submit(i: int) -> None:
        s = hits[i]
        view = site.runs.submit(Asked(workflow=s.workflow, parameters=s.parameters), caller)
        assert view.reused, "expected a reuse hit"

    select = (kg, "select", "kg.select (all stored queries; inside the above)")
    out.append(f"In-process on the same store (site opened as the server does, SHACL validator "
               f"on), pinned to CPU {SERVER_CORE}; up to {args.profile_runs} calls after 3 "
               "warm-up ones; pieces timed by run-time wrappers (mean per call, share).")
    out.append("RunService.plan(Asked(reuse=never), Caller(user)): section 5's dry runs.")
    results = {"plan": service_path("RunService.plan in-process (reuse never)", plan, [
        (service, "prepare", "prepare (workflow, specs, normalise, identity)"),
        (service, "resolve", "resolve (resolve_data.rq + executor_load.rq)"),
        select], args, out)}
    out.append("RunService.submit(Asked, Caller(user)) of reuse hits: section 5's reuse "
               "answers.")
    results["submit"] = service_path("RunService.submit in-process (reuse hit)", submit, [
        (service, "prepare", "prepare (workflow, specs, normalise, identity)"),
        (service, "find_reusable", "find_reusable (reuse.rq + reuse_run.rq)"),
        (service, "request_quads", "request_quads"),
        (kg, "put_node", "put_node (the new Request, validated)"),
        (kg, "check", "  of which SHACL check (data graph + type queries)"),
        (kg.validator, "validate", "    of which pyshacl validate()"),
        (kg, "_replace", "  of which the DELETE/INSERT DATA update"),
        (views, "request_view", "request_view (describe request + run, results)"),
        select], args, out)
    kg.flush()
    return results


# -- 8. local executor -----------------------------------------------------------------------

def executor_overhead(args: argparse.Namespace, work: Path, out: list[str]) -> None:
    """Section 8: executor_local.measure for `true`."""
    from executor_local import TARGET_MS, measure

    from mmoda.executors.local import LocalExecutor

    runs = args.executor_runs
    log(f"local executor overhead: {runs} rounds of `true`")
    root = work / "executor"
    root.mkdir(parents=True, exist_ok=True)
    with LocalExecutor({"max_jobs": 4}) as executor:
        times = measure(executor, [shutil.which("true") or "/bin/true"], root, runs)
    over = Latency("LocalExecutor submit..COMPLETED - subprocess.run", [
        1000 * x for x in times["overhead"]])
    bare = Latency("subprocess.run(['true'])", [1000 * x for x in times["subprocess.run"]])
    out.append(f"benchmarks/executor_local.measure, command `true`, {runs} interleaved rounds "
               "after 5 warm-up ones (make bench-executor runs 200, and `python -c pass`).")
    out.append(HEADER)
    out.append(bare.row())
    out.append(over.row())
    p50 = over.p(0.5)
    out.append(f"overhead p50 {p50:.2f} ms: {verdict(p50, TARGET_MS)}")


# -- main ------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options; --quick shrinks every size for a smoke run."""
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 300 workflows, 10 sites, 3,000 results, 50 iterations")
    p.add_argument("--workflows", type=int, default=None, help="workflows (10000)")
    p.add_argument("--sites", type=int, default=None, help="sites incl. this one (100)")
    p.add_argument("--results", type=int, default=None, help="completed runs (100000)")
    p.add_argument("--iterations", type=int, default=None,
                   help="measured requests per contender (200)")
    p.add_argument("--budget", type=float, default=None,
                   help="seconds of measurement per contender before stopping short of "
                        "--iterations (at least 5 are measured); 0: no limit (20)")
    p.add_argument("--matched", type=int, default=None,
                   help="stored runs whose requests are prepared for real (1000)")
    p.add_argument("--active", type=int, default=None, help="active runs (300)")
    p.add_argument("--profile-runs", type=int, default=None,
                   help="in-process service calls in the breakdown (100)")
    p.add_argument("--executor-runs", type=int, default=None,
                   help="rounds of the local executor overhead, 0 to skip (50)")
    p.add_argument("--skip-http", action="store_true", help="no server, no breakdown")
    p.add_argument("--seed", type=int, default=42, help="data and request seed")
    p.add_argument("--workdir", type=Path, default=None,
                   help="scratch directory (default: a new temporary directory)")
    p.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = p.parse_args(argv)
    full = {"workflows": 10_000, "sites": 100, "results": 100_000, "iterations": 200,
            "budget": 20.0, "matched": 1_000, "active": 300, "profile_runs": 100,
            "executor_runs": 50}
    quick = {"workflows": 300, "sites": 10, "results": 3_000, "iterations": 50,
             "budget": 10.0, "matched": 100, "active": 30, "profile_runs": 10,
             "executor_runs": 5}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.warmup = max(10, args.iterations // 10)
    return args


def targets(report: Report, figures: dict[str, float | None]) -> None:
    """The summary of the three targets."""
    out = report.section("targets")
    for label, key, target in (
            ("resolution in-process p50 (resolve(), as RunService calls it)", "resolve",
             TARGET_RESOLVE_MS),
            ("resolution over HTTP p50 (POST /requests?dry_run)", "resolve_http",
             TARGET_RESOLVE_HTTP_MS),
            ("reuse answer over HTTP p50 (POST /requests)", "reuse_http", TARGET_REUSE_HTTP_MS)):
        value = figures.get(key)
        shown = "not measured" if value is None else f"{value:9.3f} ms  {verdict(value, target)}"
        out.append(f"{label:50} {shown}")


def compare(http: dict[str, Latency], res: dict[str, Latency], reuse: dict[str, Latency],
            sub: dict[str, Latency], out: list[str]) -> None:
    """Section 6: HTTP figures against the in-process ones."""
    dry, prep, plan = http["dry"], http["prepare"], sub["plan"]
    if dry.ms:
        out.append(f"resolution p50: HTTP dry run {dry.p(0.5):.3f} ms; RunService.plan "
                   f"in-process {plan.p(0.5):.3f} ms (section 7; difference "
                   f"{dry.p(0.5) - plan.p(0.5):+.3f} ms: HTTP, JSON, token check, noise); "
                   f"prepare + resolve in-process {res['prepare'].p(0.5):.3f} + "
                   f"{res['resolve'].p(0.5):.3f} ms (section 2, all workflows; prepare "
                   f"with the memo warm {res['prepare_warm'].p(0.5):.3f} ms).")
    if dry.ms and prep.ms:
        out.append(f"prepare-only estimate over HTTP (401 after prepare) {prep.p(0.5):.3f} ms: "
                   f"the dry run's remaining {dry.p(0.5) - prep.p(0.5):+.3f} ms is authorise "
                   "+ resolve + the plan's JSON (against a short 401 problem answer).")
    if http["reuse"].ms:
        out.append(f"reuse answer p50: HTTP {http['reuse'].p(0.5):.3f} ms; RunService.submit "
                   f"in-process {sub['submit'].p(0.5):.3f} ms (section 7; difference "
                   f"{http['reuse'].p(0.5) - sub['submit'].p(0.5):+.3f} ms); find_reusable "
                   f"alone {reuse['hit'].p(0.5):.3f} ms (section 3)")


def main(argv: list[str] | None = None) -> int:
    """Generate, measure, print the report; the scratch directory is removed unless --keep."""
    args = parse_args(argv)
    work: Path = args.workdir or Path(tempfile.mkdtemp(prefix="mmoda-bench-resolve-"))
    if args.workdir:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    report = Report("MMODA request resolution and reuse lookup benchmark")
    servers: list[Server] = []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    machine_facts(report.section("machine"), args)
    started = time.perf_counter()
    rng = random.Random(args.seed + 1)
    figures: dict[str, float | None] = {}
    status = 0
    try:
        scale = Scale(workflows=args.workflows, sites=args.sites, results=args.results,
                      matched=args.matched, active=args.active, seed=args.seed)
        world, kg = _scale.build(work, scale, log)
        log("counting quads per graph")
        describe_world(world, kg, report.section("1. data"))
        rs, res = resolution(kg, world, args, rng, report.section("2. resolution in-process"))
        figures["resolve"] = res["service"].p(0.5)
        reuse = reuse_lookup(kg, world, rs.prepared, args, rng,
                             report.section("3. reuse lookup in-process"))
        substitutions_note(kg, rs, args, report.section(
            "4. substitutions against constants (why kg inlines bound values)"))
        kg.flush()
        del kg  # the server opens the store: RocksDB lets one process hold it
        gc.collect()
        if not args.skip_http:
            planned = local_requests(world, args.iterations + args.warmup, rng)
            http = over_http(world, rs, planned, args, rng, work, servers,
                             report.section("5. over HTTP"))
            for key, name in (("resolve_http", "dry"), ("reuse_http", "reuse")):
                figures[key] = http[name].p(0.5) if http[name].ms else None
            out = report.section("6. HTTP against in-process")
            sub = breakdown(world, planned, args, rng, report.section(
                "7. where the time goes in the service (in-process)"))
            gc.collect()  # the breakdown's site and its store handle
            compare(http, res, reuse, sub, out)
        if args.executor_runs:
            executor_overhead(args, work, report.section("8. local executor overhead"))
        targets(report, figures)
    except Exception as exc:
        report.section("FAILED").append(f"{type(exc).__name__}: {exc}")
        status = 1
        raise
    finally:
        finish(report, started=started, work=work, keep=args.keep, servers=servers)
    return status


if __name__ == "__main__":
    sys.exit(main())
