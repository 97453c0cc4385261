"""Common SPARQL clients against /sparql of a live server: SPARQLWrapper and rdflib's stores."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.error import HTTPError

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from SPARQLWrapper import JSON, TURTLE, XML, SPARQLWrapper

from support import LiveServer, free_port, make_settings, start_server, token

EX = "http://example.org/"
GRAPH = f"{EX}graph/people"
NAMES = {"alice": "Alice", "bob": "Bob", "carol": "Carol"}


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    s = start_server(make_settings(None, port=free_port(), load_example_catalog=False))
    s.site.kg.raw.extend(
        ox.Quad(ox.NamedNode(f"{EX}{key}"), ox.NamedNode(f"{EX}name"), ox.Literal(name),
                ox.NamedNode(GRAPH))
        for key, name in NAMES.items()
    )
    yield s
    s.stop()


def held(server: LiveServer, query: str) -> set[tuple[str, ...]]:
    """What the store itself answers, as tuples of plain values."""
    return {tuple(term.value for term in row) for row in server.site.kg.raw.query(
        query, use_default_graph_as_union=True)}


NAME_QUERY = f"SELECT ?s ?name WHERE {{ ?s <{EX}name> ?name }}"


def wrapper(server: LiveServer, query: str, fmt: str) -> SPARQLWrapper:
    sparql = SPARQLWrapper(f"{server.url}/sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    return sparql


def test_sparqlwrapper_select_json(server: LiveServer) -> None:
    result = wrapper(server, NAME_QUERY, JSON).queryAndConvert()
    assert isinstance(result, dict)
    rows = {(b["s"]["value"], b["name"]["value"]) for b in result["results"]["bindings"]}
    assert rows == held(server, NAME_QUERY)
    assert len(rows) == 3


def test_sparqlwrapper_select_xml(server: LiveServer) -> None:
    document = wrapper(server, NAME_QUERY, XML).queryAndConvert()
    ns = "http://www.w3.org/2005/sparql-results#"
    rows = set()
    for result in document.getElementsByTagNameNS(ns, "result"):  # type: ignore[union-attr]
        values = {b.getAttribute("name"): b.firstChild.firstChild.data
                  for b in result.getElementsByTagNameNS(ns, "binding")}
        rows.add((values["s"], values["name"]))
    assert rows == held(server, NAME_QUERY)


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize("fmt", [XML, TURTLE])
def test_sparqlwrapper_construct_to_rdflib(server: LiveServer, fmt: str) -> None:
    query = f"CONSTRUCT {{ ?s <{EX}label> ?name }} WHERE {{ ?s <{EX}name> ?name }}"
    graph = wrapper(server, query, fmt).queryAndConvert()
    if not isinstance(graph, rdflib.Graph):  # TURTLE comes back as bytes
        graph = rdflib.Graph().parse(data=graph, format="turtle")
    assert {(str(s), str(o)) for s, _, o in graph} == held(server, NAME_QUERY)


def test_sparqlwrapper_ask(server: LiveServer) -> None:
    yes = wrapper(server, f"ASK {{ <{EX}bob> <{EX}name> 'Bob' }}", JSON).queryAndConvert()
    no = wrapper(server, f"ASK {{ <{EX}bob> <{EX}name> 'Robert' }}", JSON).queryAndConvert()
    assert (yes["boolean"], no["boolean"]) == (True, False)  # type: ignore[index]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_methods(server: LiveServer, method: str) -> None:
    sparql = wrapper(server, NAME_QUERY, JSON)
    sparql.setMethod(method)
    result = sparql.queryAndConvert()
    assert len(result["results"]["bindings"]) == 3  # type: ignore[index]


def test_rdflib_sparqlstore_reads_the_union_and_a_named_graph(server: LiveServer) -> None:
    url = f"{server.url}/sparql"
    union = rdflib.Graph(store=SPARQLStore(url))
    rows = {(str(r[0]), str(r[1])) for r in union.query(NAME_QUERY)}  # type: ignore[index]
    assert rows == held(server, NAME_QUERY)
    named = rdflib.Graph(store=SPARQLStore(url), identifier=rdflib.URIRef(GRAPH))
    triples = set(named.triples((None, rdflib.URIRef(f"{EX}name"), None)))
    assert {(str(s), str(o)) for s, _, o in triples} == held(server, NAME_QUERY)
    other = rdflib.Graph(store=SPARQLStore(url), identifier=rdflib.URIRef(f"{EX}graph/none"))
    assert list(other.triples((None, None, None))) == []


def test_rdflib_sparqlupdatestore_writes_with_an_admin_token() -> None:
    server = start_server(make_settings(None, port=free_port(), load_example_catalog=False))
    url = f"{server.url}/sparql"
    graph_iri = rdflib.URIRef(f"{EX}graph/written")
    try:
        admin = {"Authorization": f"Bearer {token(server.site, 'admin')}"}
        store = SPARQLUpdateStore(url, url, headers=admin, autocommit=True)
        graph = rdflib.Graph(store=store, identifier=graph_iri)
        dave = rdflib.URIRef(f"{EX}dave")
        graph.add((dave, rdflib.URIRef(f"{EX}name"), rdflib.Literal("Dave")))
        graph.add((dave, rdflib.URIRef(f"{EX}age"), rdflib.Literal(42)))
        stored = list(server.site.kg.raw.quads_for_pattern(
            ox.NamedNode(str(dave)), None, None, ox.NamedNode(str(graph_iri))))
        assert {(q.predicate.value, q.object.value) for q in stored} == {
            (f"{EX}name", "Dave"), (f"{EX}age", "42")}
        assert (dave, rdflib.URIRef(f"{EX}age"), rdflib.Literal(42)) in graph
        graph.remove((dave, rdflib.URIRef(f"{EX}age"), None))
        assert len(list(server.site.kg.raw.quads_for_pattern(ox.NamedNode(str(dave)), None,
                                                             None, None))) == 1

        before = server.site.kg.count()
        anonymous = rdflib.Graph(store=SPARQLUpdateStore(url, url, autocommit=True),
                                 identifier=graph_iri)
        with pytest.raises(HTTPError) as refused:
            anonymous.add((dave, rdflib.URIRef(f"{EX}age"), rdflib.Literal(7)))
        assert refused.value.code == 401
        user = {"Authorization": f"Bearer {token(server.site, 'user')}"}
        as_user = rdflib.Graph(store=SPARQLUpdateStore(url, url, headers=user, autocommit=True),
                               identifier=graph_iri)
        with pytest.raises(HTTPError) as forbidden:
            as_user.add((dave, rdflib.URIRef(f"{EX}age"), rdflib.Literal(7)))
        assert forbidden.value.code == 403
        assert server.site.kg.count() == before
    finally:
        server.stop()
