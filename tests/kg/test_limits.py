"""QueryRunner: answers within the time and size limits, runaway accounting, GIL release."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pyoxigraph as ox
import pytest

from mmoda.kg.errors import Overloaded, QuerySyntaxError, QueryTimeout, ResultTooLarge
from mmoda.kg.limits import Kind, QueryRunner
from mmoda.kg.store import KnowledgeGraph

EX = "http://example.org/"
SIDE = 80  # 4-way cross product of SIDE triples each: 80**4 = 41M rows, seconds of COUNT
P = [f"<{EX}p{i}>" for i in range(4)]
CROSS = f"?a {P[0]} ?b . ?c {P[1]} ?d . ?e {P[2]} ?f . ?g {P[3]} ?h"
EXPLOSIVE = f"SELECT (COUNT(*) AS ?n) WHERE {{ {CROSS} }}"
# Streams a solution now and then for many seconds: the sink sees every chunk.
STREAMING = f"SELECT * WHERE {{ {CROSS} FILTER(?b + ?d + ?f + ?h = 100) }}"


def json_choice(kind: Kind) -> tuple[str, ox.QueryResultsFormat | ox.RdfFormat]:
    if kind == "graph":
        return "nt", ox.RdfFormat.N_TRIPLES
    return "json", ox.QueryResultsFormat.JSON


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    graph = KnowledgeGraph()
    graph.raw.bulk_extend(
        ox.Quad(ox.NamedNode(f"{EX}s{p}-{i}"), ox.NamedNode(f"{EX}p{p}"), ox.Literal(i),
                ox.DefaultGraph())
        for p in range(4) for i in range(SIDE)
    )
    graph.raw.bulk_extend(
        ox.Quad(ox.NamedNode(f"{EX}filler{i}"), ox.NamedNode(f"{EX}q"), ox.Literal(f"v{i}"),
                ox.DefaultGraph())
        for i in range(3000)
    )
    return graph


def runner(kg: KnowledgeGraph, **limits: float) -> QueryRunner:
    opts = {"timeout": 10.0, "max_bytes": 10_000_000, "max_runaway": 2, **limits}
    return QueryRunner(kg, timeout=opts["timeout"], max_bytes=int(opts["max_bytes"]),
                       max_runaway=int(opts["max_runaway"]))


def wait_until_idle(r: QueryRunner, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while r.runaway and time.monotonic() < deadline:
        time.sleep(0.05)
    assert r.runaway == 0, "the runaway query never finished"


def test_answers_each_kind_in_the_chosen_format(kg: KnowledgeGraph) -> None:
    r = runner(kg)
    body, label = r.execute(f"SELECT ?o WHERE {{ <{EX}s0-3> <{EX}p0> ?o }}", json_choice)
    assert label == "json"
    assert json.loads(body)["results"]["bindings"][0]["o"]["value"] == "3"
    body, _ = r.execute(f"ASK {{ <{EX}s0-3> ?p ?o }}", json_choice)
    assert json.loads(body) == {"head": {}, "boolean": True}
    body, label = r.execute(f"CONSTRUCT WHERE {{ <{EX}s1-2> ?p ?o }}", json_choice)
    assert label == "nt"
    integer = "http://www.w3.org/2001/XMLSchema#integer"
    assert body == f'<{EX}s1-2> <{EX}p1> "2"^^<{integer}> .\n'.encode()


def test_syntax_error_and_chooser_errors_propagate(kg: KnowledgeGraph) -> None:
    r = runner(kg)
    with pytest.raises(QuerySyntaxError, match="error at"):
        r.execute("SELECT * WHERE {", json_choice)

    def refuse(kind: Kind) -> tuple[str, ox.QueryResultsFormat]:
        raise LookupError(kind)

    with pytest.raises(LookupError, match="solutions"):
        asyncio.run(r.run("SELECT * WHERE { ?s ?p ?o }", refuse))


def test_result_over_the_size_limit_is_refused(kg: KnowledgeGraph) -> None:
    r = runner(kg, max_bytes=20_000)
    with pytest.raises(ResultTooLarge, match="20000 bytes"):
        r.execute("SELECT * WHERE { ?s ?p ?o }", json_choice)
    with pytest.raises(ResultTooLarge):
        asyncio.run(r.run("CONSTRUCT WHERE { ?s ?p ?o }", json_choice))
    body, _ = r.execute(f"SELECT * WHERE {{ ?s <{EX}p0> ?o }} LIMIT 10", json_choice)
    assert len(json.loads(body)["results"]["bindings"]) == 10


def test_streaming_query_is_stopped_at_the_deadline_by_the_writer(kg: KnowledgeGraph) -> None:
    r = runner(kg, timeout=0.5, max_bytes=10**9, max_runaway=1)
    start = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"0\.5 s"):
        r.execute(STREAMING, json_choice)
    assert time.monotonic() - start < 1.5
    start = time.monotonic()
    with pytest.raises(QueryTimeout):
        asyncio.run(r.run(STREAMING, json_choice))
    assert time.monotonic() - start < 1.5
    time.sleep(0.3)  # the worker stops at its next chunk, well before the query would end
    assert r.runaway == 0


def test_uninterruptible_query_becomes_a_runaway_then_overload(kg: KnowledgeGraph) -> None:
    r = runner(kg, timeout=0.3, max_runaway=1)

    async def scenario() -> tuple[float, float]:
        start = time.monotonic()
        with pytest.raises(QueryTimeout, match=r"0\.3 s"):
            await r.run(EXPLOSIVE, json_choice)
        timed_out = time.monotonic() - start
        assert r.runaway == 1
        with pytest.raises(Overloaded, match="at most 1"):
            await r.run("ASK {}", json_choice)
        # The event loop stays responsive while the abandoned query runs (GIL released).
        lags = []
        for _ in range(50):
            t = time.monotonic()
            await asyncio.sleep(0.005)
            lags.append(time.monotonic() - t - 0.005)
        return timed_out, sorted(lags)[int(len(lags) * 0.95)]

    timed_out, lag_p95 = asyncio.run(scenario())
    assert 0.25 < timed_out < 0.8
    assert lag_p95 < 0.05
    wait_until_idle(r)
    body, _ = r.execute("ASK {}", json_choice)
    assert json.loads(body)["boolean"] is True


def test_pyoxigraph_releases_the_gil_while_evaluating(kg: KnowledgeGraph) -> None:
    # One aggregate step running on another thread must not stall this one: count how much
    # pure-Python work this thread gets done meanwhile compared with when idle.
    def spin(seconds: float) -> int:
        n, end = 0, time.perf_counter() + seconds
        while time.perf_counter() < end:
            n += 1
        return n

    idle = spin(0.3)
    worker = threading.Thread(target=lambda: list(kg.query(EXPLOSIVE)), daemon=True)
    worker.start()
    time.sleep(0.05)
    busy = spin(0.3)
    still_running = worker.is_alive()
    worker.join(120)
    assert still_running, "the explosive query finished too fast to measure anything"
    assert busy > 0.3 * idle, f"this thread slowed from {idle} to {busy} iterations"


def test_deadline_counts_from_submission_and_queued_work_is_dropped(kg: KnowledgeGraph) -> None:
    r = QueryRunner(kg, timeout=0.3, max_bytes=10**6, max_runaway=1, workers=0)

    async def scenario() -> None:
        # One worker thread in all: the first query holds it, the second waits in the queue.
        first = asyncio.ensure_future(r.run(EXPLOSIVE, json_choice))
        second = asyncio.ensure_future(r.run("ASK {}", json_choice))
        for task in (first, second):
            with pytest.raises(QueryTimeout):
                await task
        assert r.runaway == 1  # the queued one never started, so it is no runaway

    asyncio.run(scenario())
    wait_until_idle(r)


def test_cancelled_caller_leaves_a_counted_runaway(kg: KnowledgeGraph) -> None:
    r = runner(kg, timeout=30, max_runaway=1)

    async def scenario() -> None:
        task = asyncio.ensure_future(r.run(EXPLOSIVE, json_choice))
        await asyncio.sleep(0.2)  # the worker is inside the COUNT now
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert r.runaway == 1
        with pytest.raises(Overloaded):
            await r.run("ASK {}", json_choice)

    asyncio.run(scenario())
    wait_until_idle(r)
