"""Node pages, collections and writes over real HTTP: negotiation, Hydra paging, rejected writes."""

from __future__ import annotations

import json

import httpx
import pytest
import rdflib
from pyld import jsonld

from mmoda.ontology import CONTEXT_URL, load_context
from support import LiveServer, token

PROBLEM = "application/problem+json"
DCT_TITLE = rdflib.URIRef("http://purl.org/dc/terms/title")


def first_dataset(server: LiveServer) -> str:
    with server.client() as c:
        page = c.get("/datasets", headers={"Accept": "application/ld+json"}).json()
    return str(page["hydra:member"][0]["@id"])


def turtle_of(server: LiveServer, iri: str) -> str:
    return httpx.get(iri, headers={"Accept": "text/turtle"}).text


def rebased(ttl: str, old: str, new: str) -> str:
    return ttl.replace(f"<{old}>", f"<{new}>").replace(f"<{old}#", f"<{new}#")


def assert_problem(resp: httpx.Response, status: int, *words: str) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body = resp.json()
    assert body["status"] == status
    for word in words:
        assert word.lower() in json.dumps(body).lower(), body
    return body


def test_site_node_negotiates(shared_server: LiveServer) -> None:
    iri = f"{shared_server.url}/sites/local"
    ttl = httpx.get(iri, headers={"Accept": "text/turtle"})
    assert ttl.headers["content-type"].startswith("text/turtle")
    assert "Accept" in ttl.headers["vary"]
    g = rdflib.Graph().parse(data=ttl.text, format="turtle")
    assert (rdflib.URIRef(iri), rdflib.RDF.type, rdflib.URIRef("https://odahub.io/mmoda#Site")) in g
    nt = httpx.get(iri, headers={"Accept": "application/n-triples"})
    assert len(rdflib.Graph().parse(data=nt.text, format="nt")) == len(g)
    doc = httpx.get(iri, headers={"Accept": "application/ld+json"}).json()
    assert doc["@context"] == f"{shared_server.url}/ontology/context.jsonld"
    loader = lambda url, opts=None: {  # noqa: E731
        "contextUrl": None, "documentUrl": url, "document": load_context()}
    expanded = jsonld.expand(doc, {"documentLoader": loader})
    assert expanded[0]["@id"] == iri
    html = httpx.get(iri, headers={"Accept": "text/html,*/*;q=0.8"})
    assert html.headers["content-type"].startswith("text/html")
    assert "<h1>" in html.text and "Local MMODA site" in html.text
    assert httpx.get(iri + "?format=ttl").headers["content-type"].startswith("text/turtle")


def test_not_acceptable_and_not_found(shared_server: LiveServer) -> None:
    with shared_server.client() as c:
        assert_problem(c.get("/sites/local", headers={"Accept": "image/png"}), 406, "accept")
        assert_problem(c.get("/sites/local?format=pdf"), 406, "format")
        assert_problem(c.get("/sites/nowhere"), 404, "nowhere")
        assert_problem(c.get("/nonsense/x"), 404, "collections")
        assert_problem(c.get("/sites/bad%20id"), 400, "node id")


def test_collections_page_with_hydra_and_link_headers(shared_server: LiveServer) -> None:
    with shared_server.client() as c:
        first = c.get("/datasets?size=1", headers={"Accept": "application/ld+json"})
        doc = first.json()
        assert doc["hydra:totalItems"] >= 2
        assert len(doc["hydra:member"]) == 1
        nxt = doc["hydra:view"]["hydra:next"]["@id"]
        assert f'<{nxt}>; rel="next"' in first.headers["link"]
        second = c.get(nxt, headers={"Accept": "application/ld+json"}).json()
        assert second["hydra:member"] != doc["hydra:member"]
        assert second["hydra:view"]["hydra:previous"]["@id"].endswith("page=1&size=1")
        ttl = c.get("/datasets?size=1", headers={"Accept": "text/turtle"})
        g = rdflib.Graph().parse(data=ttl.text, format="turtle")
        assert len(list(g.objects(None, rdflib.URIRef("http://www.w3.org/ns/hydra/core#member"))))
        assert "Link" in ttl.headers or "link" in ttl.headers


def test_writes_need_an_admin_token(live_server: LiveServer) -> None:
    iri = f"{live_server.url}/datasets/copy"
    src = first_dataset(live_server)
    body = rebased(turtle_of(live_server, src), src, iri)
    before = len(live_server.site.kg.raw)
    with live_server.client() as c:
        assert_problem(c.put("/datasets/copy", content=body,
                             headers={"Content-Type": "text/turtle"}), 401, "token")
        user = {"Authorization": f"Bearer {token(live_server.site, 'user')}",
                "Content-Type": "text/turtle"}
        assert_problem(c.put("/datasets/copy", content=body, headers=user), 403, "admin")
        forged = {"Authorization": "Bearer abc.def.ghi", "Content-Type": "text/turtle"}
        assert_problem(c.put("/datasets/copy", content=body, headers=forged), 401, "invalid")
    assert len(live_server.site.kg.raw) == before


def test_put_creates_then_replaces_and_survives_reads(live_server: LiveServer) -> None:
    src = first_dataset(live_server)
    iri = f"{live_server.url}/datasets/copy"
    body = rebased(turtle_of(live_server, src), src, iri)
    headers = {**live_server.admin(), "Content-Type": "text/turtle"}
    with live_server.client() as c:
        created = c.put("/datasets/copy", content=body, headers=headers)
        assert created.status_code == 201, created.text
        assert created.headers["location"] == iri
        changed = body.replace('"', '"Renamed: ', 1) if "dct:title" not in body else body
        g = rdflib.Graph().parse(data=body, format="turtle")
        g.set((rdflib.URIRef(iri), DCT_TITLE, rdflib.Literal("Renamed copy")))
        changed = g.serialize(format="turtle")
        replaced = c.put("/datasets/copy", content=changed, headers=headers)
        assert replaced.status_code == 200, replaced.text
        now = rdflib.Graph().parse(data=turtle_of(live_server, iri), format="turtle")
        assert list(now.objects(rdflib.URIRef(iri), DCT_TITLE)) == [rdflib.Literal("Renamed copy")]
        assert c.delete("/datasets/copy", headers=live_server.admin()).status_code == 204
        assert c.get("/datasets/copy").status_code == 404


def test_post_mints_an_iri_from_jsonld_without_id(live_server: LiveServer) -> None:
    src = first_dataset(live_server)
    with live_server.client() as c:
        doc = c.get(src, headers={"Accept": "application/ld+json"}).json()
        doc.pop("@id", None)
        doc.pop("id", None)
        doc["@context"] = CONTEXT_URL
        text = json.dumps(doc).replace(src + "#", "#")
        resp = c.post("/datasets", content=text, headers={
            **live_server.admin(), "Content-Type": "application/ld+json", "Slug": "posted"})
        assert resp.status_code == 201, resp.text
        assert resp.headers["location"] == f"{live_server.url}/datasets/posted"
        again = c.post("/datasets", content=text, headers={
            **live_server.admin(), "Content-Type": "application/ld+json", "Slug": "posted"})
        assert_problem(again, 400, "exists")


@pytest.mark.parametrize(
    ("ctype", "body", "status", "words"),
    [
        ("application/ld+json", b'{"@id": "x", ', 400, ["json"]),
        ("application/ld+json", b'{"@context": "https://evil.example/ctx", "@id": ""}', 400,
         ["remote json-ld context"]),
        ("text/turtle", b"<> a <http://x/T> ; <http://x/p> ", 400, ["turtle"]),
        ("text/turtle", b"", 400, ["empty"]),
        ("application/pdf", b"%PDF", 415, ["content-type"]),
        ("text/turtle", b"<> a <https://odahub.io/mmoda#Site> .", 422, ["dataset"]),
        ("text/turtle", b"<> a <https://odahub.io/mmoda#Dataset> .", 422, ["shacl"]),
        ("text/turtle", b"<> a <https://odahub.io/mmoda#Dataset> . <../other> <http://x/p> 1 .",
         400, ["other nodes"]),
    ],
)
def test_bad_writes_are_rejected_and_change_nothing(
    live_server: LiveServer, ctype: str, body: bytes, status: int, words: list[str]
) -> None:
    before = set(live_server.site.kg.raw)
    with live_server.client() as c:
        resp = c.put("/datasets/bad", content=body,
                     headers={**live_server.admin(), "Content-Type": ctype})
    problem = assert_problem(resp, status, *words)
    if status == 422 and "shacl" in words:
        assert problem["errors"] and {"focus", "path", "constraint", "message"} <= set(
            problem["errors"][0])
    assert set(live_server.site.kg.raw) == before


def test_oversized_body_is_rejected(live_server: LiveServer) -> None:
    limit = live_server.site.settings.max_body_bytes
    before = len(live_server.site.kg.raw)
    big = b"<> <http://x/p> \"" + b"a" * (limit + 1) + b"\" ."
    with live_server.client() as c:
        resp = c.put("/datasets/big", content=big,
                     headers={**live_server.admin(), "Content-Type": "text/turtle"})
        assert_problem(resp, 413, "limit")

        def chunks():  # no Content-Length: the limit is enforced while reading
            for _ in range(limit // 65536 + 2):
                yield b"#" * 65536

        resp = c.put("/datasets/big", content=chunks(),
                     headers={**live_server.admin(), "Content-Type": "text/turtle"})
        assert_problem(resp, 413, "limit")
    assert len(live_server.site.kg.raw) == before


def test_health_ontology_and_context(shared_server: LiveServer) -> None:
    with shared_server.client() as c:
        health = c.get("/health").json()
        assert health["status"] == "ok" and health["quads"] > 1000
        ctx = c.get("/ontology/context.jsonld")
        assert ctx.headers["content-type"].startswith("application/ld+json")
        assert ctx.json() == load_context()
        onto = c.get("/ontology", headers={"Accept": "text/turtle"})
        g = rdflib.Graph().parse(data=onto.text, format="turtle")
        energy = rdflib.URIRef("http://odahub.io/ontology#Energy_keV")
        assert (energy, rdflib.RDFS.subClassOf, None) in g
        assert c.get("/docs").status_code == 200
        paths = c.get("/openapi.json").json()["paths"]
        assert "/{kind}/{ident}" in paths and "/sparql" in paths


def test_unknown_paths_and_methods_answer_problem_json(shared_server: LiveServer) -> None:
    with shared_server.client() as c:
        assert_problem(c.get("/no/such/path/here"), 404)
        assert_problem(c.patch("/sites/local", content=b"x"), 405)
        assert_problem(c.get("/datasets?page=0"), 400, "page")
