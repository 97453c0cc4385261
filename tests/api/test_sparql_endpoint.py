"""The /sparql endpoint over HTTP: negotiation, protocol errors, auth, dataset, body limits."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from functools import partial
from urllib.parse import parse_qsl, quote, urlencode
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import given
from hypothesis import strategies as st

from mmoda.api.errors import BadRequest
from mmoda.api.sparql_formats import (
    DatasetConflict,
    form_params,
    names_dataset,
    negotiate,
    with_using,
)
from support import LiveServer, free_port, make_settings, start_server, token

EX = "http://example.org/"
G1, G2 = f"{EX}graph/1", f"{EX}graph/2"
PROBLEM = "application/problem+json"
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")


def seeded(**settings: object) -> LiveServer:
    server = start_server(make_settings(None, port=free_port(), load_example_catalog=False,
                                       **settings))
    server.site.kg.raw.extend([
        ox.Quad(ox.NamedNode(f"{EX}a"), ox.NamedNode(f"{EX}p"), ox.Literal("in one"),
                ox.NamedNode(G1)),
        ox.Quad(ox.NamedNode(f"{EX}b"), ox.NamedNode(f"{EX}p"), ox.Literal("in two"),
                ox.NamedNode(G2)),
        ox.Quad(ox.NamedNode(f"{EX}c"), ox.NamedNode(f"{EX}p"), ox.Literal("default"),
                ox.DefaultGraph()),
    ])
    return server


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    s = seeded(max_body_bytes=4096)
    yield s
    s.stop()


def as_graph(data: bytes, media: str) -> rdflib.Graph:
    """Parse with pyoxigraph (every format, no rdflib JSON-LD warnings), hand over to rdflib."""
    triples = ox.parse(data, format=ox.RdfFormat.from_media_type(media))
    nt = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    return rdflib.Graph().parse(data=nt, format="nt")


def subjects(server: LiveServer, query: str, **params: str | list[str]) -> list[str]:
    with server.client() as c:
        r = c.get("/sparql", params={"query": query, **params})
    assert r.status_code == 200, r.text
    return sorted(b["s"]["value"] for b in r.json()["results"]["bindings"])


SELECT_P = f"SELECT ?s WHERE {{ ?s <{EX}p> ?o }}"


# -- results and negotiation --------------------------------------------------------------------

@pytest.mark.parametrize(("accept", "expected"), [
    (None, "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv; charset=utf-8"),
    ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8"),
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
    ("application/sparql-results+json;q=0.1, text/tab-separated-values",
     "text/tab-separated-values; charset=utf-8"),
    ("application/json", "application/json"),
    ("text/html, */*;q=0.1", "application/sparql-results+json"),
])
def test_select_results_by_accept(server: LiveServer, accept: str | None, expected: str) -> None:
    headers = {"accept": accept} if accept else {}
    with server.client() as c:
        r = c.get("/sparql", params={"query": SELECT_P + " ORDER BY ?s"}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == expected
    assert r.headers["vary"] == "accept"
    values = [f"{EX}a", f"{EX}b", f"{EX}c"]
    if "json" in expected:
        assert [b["s"]["value"] for b in r.json()["results"]["bindings"]] == values
    elif "xml" in expected:
        ns = {"r": "http://www.w3.org/2005/sparql-results#"}
        uris = ElementTree.fromstring(r.content).iterfind(".//r:uri", ns)
        assert [u.text for u in uris] == values
    elif "csv" in expected:
        assert list(csv.reader(io.StringIO(r.text))) == [["s"], *[[v] for v in values]]
    else:
        assert r.text.split("\r\n" if "\r\n" in r.text else "\n")[1:4] == [f"<{v}>" for v in values]


def test_ask_results(server: LiveServer) -> None:
    with server.client() as c:
        r = c.get("/sparql", params={"query": f"ASK {{ <{EX}a> ?p ?o }}"})
        assert (r.status_code, r.json()["boolean"]) == (200, True)
        r = c.post("/sparql", content=f"ASK {{ <{EX}zzz> ?p ?o }}",
                   headers={"content-type": "application/sparql-query",
                            "accept": "application/sparql-results+xml"})
        assert r.status_code == 200
        assert b"<boolean>false</boolean>" in r.content


@pytest.mark.parametrize(("accept", "media"), [
    (None, "text/turtle"),
    ("text/turtle", "text/turtle"),
    ("application/n-triples", "application/n-triples"),
    ("application/ld+json", "application/ld+json"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("application/rdf+xml;q=0.2, application/n-triples;q=0.8", "application/n-triples"),
])
def test_construct_by_accept(server: LiveServer, accept: str | None, media: str) -> None:
    headers = {"content-type": "application/sparql-query", **({"accept": accept} if accept else {})}
    with server.client() as c:
        r = c.post("/sparql", content=f"CONSTRUCT WHERE {{ ?s <{EX}p> ?o }}", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media
    graph = as_graph(r.content, media)
    assert {str(o) for o in graph.objects()} == {"in one", "in two", "default"}


def test_describe_answers_rdf(server: LiveServer) -> None:
    with server.client() as c:
        r = c.get("/sparql", params={"query": f"DESCRIBE <{EX}b>"})
    assert r.status_code == 200
    graph = rdflib.Graph().parse(data=r.content, format="turtle")
    assert str(graph.value(rdflib.URIRef(f"{EX}b"), rdflib.URIRef(f"{EX}p"))) == "in two"


@pytest.mark.parametrize(("query", "accept"), [
    (SELECT_P, "text/html"),
    (f"CONSTRUCT WHERE {{ ?s <{EX}p> ?o }}", "application/sparql-results+json"),
    ("ASK {}", "text/turtle"),
])
def test_nothing_acceptable_is_406(server: LiveServer, query: str, accept: str) -> None:
    with server.client() as c:
        r = c.get("/sparql", params={"query": query}, headers={"accept": accept})
    assert r.status_code == 406
    assert r.headers["content-type"] == PROBLEM
    assert accept in r.json()["detail"]


def test_negotiate_defaults_and_q_zero() -> None:
    assert negotiate("solutions", None)[1] == ox.QueryResultsFormat.JSON
    assert negotiate("graph", "*/*")[1] == ox.RdfFormat.TURTLE
    assert negotiate("graph", "text/*")[1] == ox.RdfFormat.TURTLE
    assert negotiate("solutions", "*/*, application/sparql-results+json;q=0")[1] in (
        ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML)
    assert negotiate("boolean", "text/csv")[1] == ox.QueryResultsFormat.CSV


# -- service description ------------------------------------------------------------------------

@pytest.mark.parametrize("accept", [None, "application/rdf+xml", "application/ld+json",
                                    "application/n-triples"])
def test_service_description(server: LiveServer, accept: str | None) -> None:
    with server.client() as c:
        r = c.get("/sparql/", headers={"accept": accept} if accept else {})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == (accept or "text/turtle")
    graph = as_graph(r.content, r.headers["content-type"].split(";")[0])
    service = graph.value(predicate=rdflib.RDF.type, object=SD.Service)
    assert service is not None
    assert graph.value(service, SD.endpoint) == rdflib.URIRef(f"{server.url}/sparql")
    assert set(graph.objects(service, SD.supportedLanguage)) == {SD.SPARQL11Query,
                                                                SD.SPARQL11Update}
    formats = {str(f).rsplit("/", 1)[1] for f in graph.objects(service, SD.resultFormat)}
    assert {"SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
            "SPARQL_Results_TSV", "Turtle", "N-Triples", "JSON-LD", "RDF_XML"} <= formats
    assert SD.UnionDefaultGraph in set(graph.objects(service, SD.feature))
    dataset = graph.value(service, SD.defaultDataset)
    assert (dataset, rdflib.RDF.type, SD.Dataset) in graph
    assert graph.value(dataset, SD.defaultGraph) is not None


# -- malformed requests -------------------------------------------------------------------------

def test_malformed_query_names_the_field_and_the_parser_message(server: LiveServer) -> None:
    with server.client() as c:
        r = c.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p "})
    assert r.status_code == 400
    assert r.headers["content-type"] == PROBLEM
    problem = r.json()
    assert problem["title"] == "Malformed SPARQL"
    assert "error at 1:" in problem["detail"]
    assert problem["errors"][0]["field"] == "query"
    assert "error at 1:" in problem["errors"][0]["message"]


@pytest.mark.parametrize(("method", "url", "body", "headers", "status"), [
    ("GET", "/sparql?query=ASK%7B%7D&query=ASK%7B%7D", None, {}, 400),
    ("GET", "/sparql?query=ASK%7B%7D&update=CLEAR%20ALL", None, {}, 400),
    ("GET", "/sparql?update=CLEAR%20ALL", None, {}, 400),
    ("PUT", "/sparql?query=ASK%7B%7D", None, {}, 405),
    ("DELETE", "/sparql", None, {}, 405),
    ("POST", "/sparql", b"ASK {}", {"content-type": "text/plain"}, 415),
    ("POST", "/sparql", b"query=ASK%7B%7D", {}, 415),
    ("POST", "/sparql", "ASK {}".encode("utf-16"),
     {"content-type": "application/sparql-query; charset=UTF-16"}, 400),
    ("POST", "/sparql", 'ASK { ?s ?p "caf\xe9" }'.encode("latin-1"),
     {"content-type": "application/sparql-query"}, 400),
    ("GET", "/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%22caf%E9%22%20%7D", None, {}, 400),
    ("POST", "/sparql", b"query=ASK%7B%7D&update=CLEAR%20ALL",
     {"content-type": "application/x-www-form-urlencoded"}, 400),
    ("POST", "/sparql?query=ASK%7B%7D", b"query=ASK%7B%7D",
     {"content-type": "application/x-www-form-urlencoded"}, 400),
    ("POST", "/sparql?query=ASK%7B%7D", b"ASK {}",
     {"content-type": "application/sparql-query"}, 400),
    ("POST", "/sparql", b"", {"content-type": "application/x-www-form-urlencoded"}, 400),
    ("GET", "/sparql?query=ASK%7B%7D&default-graph-uri=not%20an%20iri", None, {}, 400),
])
def test_protocol_errors(server: LiveServer, method: str, url: str, body: bytes | None,
                         headers: dict[str, str], status: int) -> None:
    with server.client() as c:
        r = c.request(method, url, content=body, headers=headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["status"] == status
    if status == 405:
        assert r.headers["allow"] == "GET, POST"


def test_both_paths_and_all_query_methods(server: LiveServer) -> None:
    query = f"SELECT ?s WHERE {{ ?s <{EX}p> 'in one' }}"
    with server.client() as c:
        answers = [
            c.get("/sparql", params={"query": query}),
            c.get("/sparql/", params={"query": query}),
            c.post("/sparql", data={"query": query}),
            c.post("/sparql", content=query.encode(),
                   headers={"content-type": "application/sparql-query; charset=utf-8"}),
        ]
    for r in answers:
        assert r.status_code == 200, r.text
        assert r.json()["results"]["bindings"] == [{"s": {"type": "uri", "value": f"{EX}a"}}]


# -- body size ----------------------------------------------------------------------------------

def test_body_over_the_limit_is_413(server: LiveServer) -> None:
    big = "ASK { " + "?s ?p ?o . " * 500 + "}"
    with server.client() as c:
        declared = c.post("/sparql", content=big.encode(),
                          headers={"content-type": "application/sparql-query"})
        chunked = c.post("/sparql", content=iter([big[:3000].encode(), big[3000:].encode()]),
                         headers={"content-type": "application/sparql-query"})
        small = c.post("/sparql", content=b"ASK {}",
                       headers={"content-type": "application/sparql-query"})
    assert "content-length" not in chunked.request.headers
    for r in (declared, chunked):
        assert r.status_code == 413, r.text
        assert "4096 bytes" in r.json()["detail"]
    assert small.status_code == 200


# -- updates need an admin --------------------------------------------------------------------

UPDATE = f"INSERT DATA {{ <{EX}new> <{EX}p> 'new' }}"


@pytest.mark.parametrize("how", ["direct", "form"])
def test_update_requires_an_admin(how: str) -> None:
    server = seeded()
    kg = server.site.kg
    before = kg.count()

    def send(headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
        with server.client() as c:
            if how == "direct":
                r = c.post("/sparql", content=UPDATE.encode(),
                           headers={"content-type": "application/sparql-update", **headers})
            else:
                r = c.post("/sparql", data={"update": UPDATE}, headers=headers)
        return r.status_code, dict(r.headers), r.text

    try:
        status, headers, body = send({})
        assert status == 401
        assert headers["www-authenticate"].startswith("Bearer")
        assert json.loads(body)["status"] == 401
        assert send({"authorization": f"Bearer {token(server.site, 'user')}"})[0] == 403
        assert send({"authorization": "Bearer not-a-token"})[0] == 401
        assert send({"authorization": "Basic dXNlcjpwdw=="})[0] == 401
        assert kg.count() == before
        status, headers, body = send(server.admin())
        assert (status, body) == (204, "")
        assert kg.count() == before + 1
    finally:
        server.stop()


def test_anonymous_malformed_update_is_401_not_400(server: LiveServer) -> None:
    with server.client() as c:
        r = c.post("/sparql", content=b"CLEAR XYZ",
                   headers={"content-type": "application/sparql-update"})
    assert r.status_code == 401


def test_malformed_update_names_the_update_field(server: LiveServer) -> None:
    with server.client() as c:
        r = c.post("/sparql", data={"update": "CLEAR XYZ"}, headers=server.admin())
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "update"


def test_update_resolves_relative_iris_against_the_endpoint() -> None:
    server = seeded()
    try:
        with server.client() as c:
            r = c.post("/sparql", content=b"INSERT DATA { <rel> <p> <o> }",
                       headers={"content-type": "application/sparql-update", **server.admin()})
            assert r.status_code == 204
            r = c.post("/sparql", content=b"ASK { <rel> <p> <o> }",
                       headers={"content-type": "application/sparql-query"})
        assert r.json()["boolean"] is True
        assert ox.Quad(ox.NamedNode(f"{server.url}/rel"), ox.NamedNode(f"{server.url}/p"),
                       ox.NamedNode(f"{server.url}/o"), ox.DefaultGraph()) in server.site.kg.raw
    finally:
        server.stop()


# -- dataset ------------------------------------------------------------------------------------

def test_default_graph_is_the_union_of_all_graphs(server: LiveServer) -> None:
    assert subjects(server, SELECT_P) == [f"{EX}a", f"{EX}b", f"{EX}c"]


def test_from_clauses_are_honoured(server: LiveServer) -> None:
    assert subjects(server, f"SELECT ?s FROM <{G1}> WHERE {{ ?s <{EX}p> ?o }}") == [f"{EX}a"]
    named = f"SELECT ?s FROM NAMED <{G2}> WHERE {{ GRAPH ?g {{ ?s <{EX}p> ?o }} }}"
    assert subjects(server, named) == [f"{EX}b"]


def test_protocol_dataset_wins_over_from(server: LiveServer) -> None:
    query = f"SELECT ?s FROM <{G1}> WHERE {{ ?s <{EX}p> ?o }}"
    assert subjects(server, query, **{"default-graph-uri": G2}) == [f"{EX}b"]
    both = {"default-graph-uri": [G1, G2]}
    assert subjects(server, SELECT_P, **both) == [f"{EX}a", f"{EX}b"]
    in_graphs = f"SELECT ?s WHERE {{ GRAPH ?g {{ ?s <{EX}p> ?o }} }}"
    assert subjects(server, in_graphs, **{"named-graph-uri": G1}) == [f"{EX}a"]
    # Only named graphs given: the default graph is empty.
    assert subjects(server, SELECT_P, **{"named-graph-uri": G1}) == []


@pytest.mark.parametrize(("query", "expected"), [
    ("SELECT * FROM <http://g> { ?s ?p ?o }", True),
    ("ask from named <http://g> {}", True),
    ("SELECT * FROM<http://g>{}", True),
    ("SELECT (COUNT(*) AS ?n)FROM <http://g> {}", True),
    ("SELECT ?from { ?from ?p ?o }", False),
    ("PREFIX from: <http://x/> SELECT * { from:a ?p ?o }", False),
    ("PREFIX ex: <http://x/> SELECT * { ex:from ?p ?o }", False),
    ("SELECT * { ?s ?p 'FROM <x>' }", False),
    ('SELECT * { ?s ?p """a\n FROM <x> """ }', False),
    ("SELECT * # FROM <x>\n { ?s ?p ?o }", False),
    ("SELECT * { ?s <http://x/FROM> ?o }", False),
    ("SELECT * { ?s ?p 'x'@from }", False),
])
def test_names_dataset(query: str, expected: bool) -> None:
    assert names_dataset(query) is expected


def test_with_using_adds_the_protocol_dataset_to_each_operation() -> None:
    g1, g2 = ox.NamedNode("http://g/1"), ox.NamedNode("http://g/2")
    update = ("PREFIX ex: <http://x/> CLEAR ALL ; INSERT DATA { ex:a ex:p 'WHERE' } ;\n"
              "INSERT { GRAPH <http://out> { ?s a ex:T } } WHERE { ?s ?p ?o } ;\n"
              "DELETE { ?s ?p ?o } WHERE { { ?s ?p ?o } UNION { ?s ex:where ?o } } # WHERE\n")
    out = with_using(update, [g1], [g2])
    assert out.count("USING <http://g/1> USING NAMED <http://g/2> WHERE") == 2
    assert "'WHERE'" in out and out.endswith("# WHERE\n")
    store = ox.Store()
    store.update(out)  # still valid SPARQL
    shortcut = with_using("DELETE WHERE { ?s ?p ?o }", [g1], [])
    assert shortcut == "DELETE { ?s ?p ?o } USING <http://g/1> WHERE { ?s ?p ?o }"
    store.update(shortcut)


@pytest.mark.parametrize("update", [
    "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } USING <http://g> WHERE { ?s ?p ?o }",
    "insert { ?s ?p ?o } using named <http://g> where { GRAPH ?g { ?s ?p ?o } }",
])
def test_with_using_refuses_a_second_dataset(update: str) -> None:
    with pytest.raises(DatasetConflict):
        with_using(update, [ox.NamedNode("http://g/1")], [])


def test_update_with_using_graph_uri_over_http() -> None:
    server = seeded()
    try:
        update = f"INSERT {{ GRAPH <{EX}out> {{ ?s a <{EX}Seen> }} }} WHERE {{ ?s <{EX}p> ?o }}"
        with server.client() as c:
            r = c.post("/sparql", params={"using-graph-uri": G2}, content=update.encode(),
                       headers={"content-type": "application/sparql-update", **server.admin()})
            assert r.status_code == 204, r.text
            conflict = c.post("/sparql", params={"using-graph-uri": G2},
                              data={"update": f"WITH <{G1}> DELETE {{ ?s ?p ?o }} WHERE "
                                              "{ ?s ?p ?o }"}, headers=server.admin())
        assert conflict.status_code == 400
        assert "using-graph-uri" in conflict.json()["detail"]
        seen = f"SELECT ?s WHERE {{ GRAPH <{EX}out> {{ ?s a <{EX}Seen> }} }}"
        assert subjects(server, seen) == [f"{EX}b"]
    finally:
        server.stop()


# -- parameter parsing --------------------------------------------------------------------------

@given(st.lists(st.tuples(st.text(), st.text()), max_size=4), st.booleans())
def test_params_agree_with_parse_qsl(pairs: list[tuple[str, str]], plus: bool) -> None:
    raw = (urlencode if plus else partial(urlencode, quote_via=quote))(pairs).encode()
    expected: dict[str, list[str]] = {}
    for key, value in parse_qsl(raw.decode(), keep_blank_values=True):
        expected.setdefault(key, []).append(value)
    assert form_params(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    (b"query=100%&x=%zz%4", {"query": ["100%"], "x": ["%zz%4"]}),
    (b"q=a\\x41%5Cx41+b", {"q": ["a\\x41\\x41 b"]}),
    (b"&&q=&=v&k", {"q": [""], "": ["v"], "k": [""]}),
    (b"q=caf%C3%A9&q=%E2%82%AC", {"q": ["caf\xe9", "\u20ac"]}),
])
def test_params_edge_cases(raw: bytes, expected: dict[str, list[str]]) -> None:
    assert form_params(raw) == expected


@pytest.mark.parametrize("raw", [b"q=caf%E9", b"q=caf\xe9", b"%FF=1"])
def test_params_refuse_non_utf8(raw: bytes) -> None:
    with pytest.raises(BadRequest, match="not UTF-8"):
        form_params(raw)


def test_empty_graph_result_keeps_its_content_type(server: LiveServer) -> None:
    with server.client() as c:
        r = c.get("/sparql", params={"query": f"DESCRIBE <{EX}nothing>"},
                  headers={"accept": "application/n-triples"})
    assert (r.status_code, r.content) == (200, b"")
    assert r.headers["content-type"] == "application/n-triples"
