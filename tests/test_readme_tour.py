"""The README's five-minute tour, request by request, against a real server."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import rdflib

from support import LiveServer

ROOT = Path(__file__).resolve().parents[1]


def test_readme_commands_are_the_makefile_targets() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
    assert blocks[0].strip() == "make run" and blocks[1].strip() == "make test"
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, flags=re.M) and re.search(r"^test:", makefile, flags=re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_tour(shared_server: LiveServer) -> None:
    base = shared_server.url
    site = httpx.get(f"{base}/sites/local", headers={"Accept": "text/turtle"})
    assert site.status_code == 200 and "mmoda:Site" in site.text
    page = httpx.get(f"{base}/datasets?size=1", headers={"Accept": "application/ld+json"})
    assert 'rel="next"' in page.headers["link"]
    query = ("PREFIX dct: <http://purl.org/dc/terms/> SELECT ?d ?title WHERE "
             "{ ?d a <https://odahub.io/mmoda#Dataset> ; dct:title ?title }")
    answer = httpx.post(f"{base}/sparql", data={"query": query},
                        headers={"Accept": "application/sparql-results+json"})
    assert len(answer.json()["results"]["bindings"]) == 3
    assert httpx.get(f"{base}/ontology", headers={"Accept": "text/turtle"}).status_code == 200
    node = (ROOT / "examples" / "nodes" / "instrument-jemx.ttl").read_bytes()
    put = httpx.put(f"{base}/instruments/jem-x", content=node,
                    headers={**shared_server.admin(), "Content-Type": "text/turtle"})
    assert put.status_code == 201, put.text
    got = httpx.get(f"{base}/instruments/jem-x", headers={"Accept": "text/turtle"})
    g = rdflib.Graph().parse(data=got.text, format="turtle")
    assert (rdflib.URIRef(f"{base}/instruments/jem-x"), rdflib.RDFS.label,
            rdflib.Literal("INTEGRAL JEM-X")) in g
    empty = httpx.put(f"{base}/datasets/empty", content=b"<> a <https://odahub.io/mmoda#Dataset> .",
                      headers={**shared_server.admin(), "Content-Type": "text/turtle"})
    assert empty.status_code == 422 and empty.json()["errors"]
    assert httpx.get(f"{base}/", headers={"Accept": "text/html"}).status_code == 200


def test_the_readme_query_by_parameter_type_through_sparqlwrapper(
        shared_server: LiveServer) -> None:
    """The README's query finds the example workflows by a supertype (oda:Energy) of their
    parameters' restriction classes, through an independent SPARQL client."""
    from SPARQLWrapper import JSON, SPARQLWrapper

    readme = (ROOT / "README.md").read_text()
    (query,) = re.findall(r"```sparql\n(.*?)```", readme, flags=re.S)
    client = SPARQLWrapper(f"{shared_server.url}/sparql")
    client.setQuery(query)
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
    found = {r["workflow"]["value"] for r in rows}
    assert {f"{shared_server.url}/workflows/{w}" for w in ("lightcurve", "image", "spectrum")} \
        <= found
    narrower = query.replace("oda:Energy }", "oda:AngleMinutes }")
    client.setQuery(narrower)
    rows = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
    assert {r["workflow"]["value"] for r in rows} == {f"{shared_server.url}/workflows/image"}
