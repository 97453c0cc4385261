"""Query time and size limits over HTTP, and a server that keeps answering meanwhile."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest

from mmoda.kg.limits import QueryRunner
from support import LiveServer, free_port, make_settings, start_server

EX = "http://example.org/"
GRAPH = ox.NamedNode(f"{EX}graph/data")
SIDE = 90  # 90**4 = 66M rows behind one COUNT: seconds past any limit used here
P = [f"<{EX}p{i}>" for i in range(4)]
CROSS = f"?a {P[0]} ?b . ?c {P[1]} ?d . ?e {P[2]} ?f . ?g {P[3]} ?h"
EXPLOSIVE = f"SELECT (COUNT(*) AS ?n) WHERE {{ {CROSS} }}"
STREAMING = f"SELECT * WHERE {{ {CROSS} FILTER(?b + ?d + ?f + ?h = 100) }}"
CHEAP = f"ASK {{ <{EX}s0-1> <{EX}p0> 1 }}"


def serve(**settings: object) -> LiveServer:
    """A server over a few thousand triples: 4 x SIDE for the cross products, plus filler."""
    server = start_server(make_settings(None, port=free_port(), load_example_catalog=False,
                                        **settings))
    kg = server.site.kg
    kg.raw.bulk_extend(
        ox.Quad(ox.NamedNode(f"{EX}s{p}-{i}"), ox.NamedNode(f"{EX}p{p}"), ox.Literal(i), GRAPH)
        for p in range(4) for i in range(SIDE)
    )
    kg.raw.bulk_extend(
        ox.Quad(ox.NamedNode(f"{EX}filler{i}"), ox.NamedNode(f"{EX}q"), ox.Literal(f"v{i}"), GRAPH)
        for i in range(3000)
    )
    return server


@pytest.fixture
def limited() -> Iterator[LiveServer]:
    server = serve(query_timeout=1.0, max_runaway_queries=2, max_result_bytes=20_000)
    yield server
    wait_for_runaways(server)
    server.stop()


def runner(server: LiveServer) -> QueryRunner:
    return server.server.config.app.sparql.runner  # type: ignore[no-any-return]


def wait_for_runaways(server: LiveServer, limit: float = 180) -> None:
    """Block until the abandoned queries have finished (so they burn no CPU in later tests)."""
    deadline = time.monotonic() + limit
    while runner(server).runaway and time.monotonic() < deadline:
        time.sleep(0.1)
    assert runner(server).runaway == 0, "runaway queries never finished"


def query(server: LiveServer, text: str) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    with server.client() as c:
        r = c.post("/sparql", content=text.encode(),
                   headers={"content-type": "application/sparql-query"})
    return r, time.monotonic() - start


def p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95)]


@pytest.mark.slow
def test_explosive_query_is_cut_at_the_limit_while_the_server_keeps_answering(
        limited: LiveServer) -> None:
    outcome: dict[str, object] = {}

    def explode() -> None:
        outcome["response"], outcome["elapsed"] = query(limited, EXPLOSIVE)

    worker = threading.Thread(target=explode)
    worker.start()
    health: list[float] = []
    sparql: list[float] = []
    with limited.client() as c:
        probe_until = time.monotonic() + 2.0  # past the limit, while the query runs away
        while time.monotonic() < probe_until:
            start = time.monotonic()
            assert c.get("/health").status_code == 200
            health.append(time.monotonic() - start)
            start = time.monotonic()
            assert c.get("/sparql", params={"query": CHEAP}).json()["boolean"] is True
            sparql.append(time.monotonic() - start)
            time.sleep(0.02)
    worker.join(30)

    r, elapsed = outcome["response"], outcome["elapsed"]
    assert isinstance(r, httpx.Response) and isinstance(elapsed, float)
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "Query time limit reached"
    assert "time limit of 1 s" in r.json()["detail"]
    assert 0.9 < elapsed < 2.0
    assert len(health) > 10
    assert p95(health) < 0.5, f"/health p95 {p95(health):.3f} s"
    assert p95(sparql) < 0.5, f"cheap SPARQL p95 {p95(sparql):.3f} s"
    assert runner(limited).runaway == 1  # abandoned, still counting


@pytest.mark.slow
def test_runaway_queries_over_the_cap_give_503_overloaded_until_they_end(
        limited: LiveServer) -> None:
    answers: list[httpx.Response] = []
    explosions = [threading.Thread(target=lambda: answers.append(query(limited, EXPLOSIVE)[0]))
                  for _ in range(2)]  # max_runaway_queries = 2
    for t in explosions:
        t.start()
    for t in explosions:
        t.join(30)
    assert [r.status_code for r in answers] == [503, 503]
    assert {r.json()["title"] for r in answers} == {"Query time limit reached"}
    r, elapsed = query(limited, CHEAP)
    assert r.status_code == 503
    assert r.json()["title"] == "Too many runaway queries"
    assert "at most 2" in r.json()["detail"]
    assert int(r.headers["retry-after"]) > 0
    assert elapsed < 0.5
    with limited.client() as c:
        assert c.get("/health").status_code == 200
    assert runner(limited).runaway == 2
    wait_for_runaways(limited)
    r, _ = query(limited, CHEAP)
    assert (r.status_code, r.json()["boolean"]) == (200, True)


def test_streaming_query_is_stopped_at_the_limit_without_running_away() -> None:
    server = serve(query_timeout=1.0, max_runaway_queries=1)
    try:
        r, elapsed = query(server, STREAMING)
        assert r.status_code == 503, r.text[:300]
        assert 0.9 < elapsed < 2.0
        time.sleep(0.2)  # the worker stops at its next written chunk
        assert runner(server).runaway == 0
        r, _ = query(server, CHEAP)
        assert r.status_code == 200, r.text
    finally:
        server.stop()


def test_result_over_the_size_limit_is_422(limited: LiveServer) -> None:
    for text in ("SELECT * WHERE { ?s ?p ?o }", "CONSTRUCT WHERE { ?s ?p ?o }"):
        r, _ = query(limited, text)
        assert r.status_code == 422, r.text[:300]
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["title"] == "Result too large"
        assert "20000 bytes" in r.json()["detail"]
    r, _ = query(limited, f"SELECT * WHERE {{ ?s <{EX}q> ?o }} LIMIT 20")
    assert r.status_code == 200
    assert len(r.json()["results"]["bindings"]) == 20
