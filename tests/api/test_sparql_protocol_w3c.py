"""The W3C SPARQL 1.1 Protocol test suite, run from its manifest against a live /sparql."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib import RDF, RDFS, Namespace
from rdflib.collection import Collection

from support import SHARED, LiveServer, free_port, make_settings, needs, start_server, token

SUITE = SHARED / "reference" / "w3c-sparql11-protocol"
MANIFEST = SUITE / "manifest.ttl"
SD_MANIFEST = SUITE / "service-description-manifest.ttl"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
STATUS_CLASS = "http://www.w3.org/2011/http-statusCodes#StatusCode"

RESULT_TYPES = {"application/sparql-results+json", "application/json",
                "application/sparql-results+xml", "application/xml", "text/xml",
                "text/csv", "text/tab-separated-values"}


@dataclass
class Step:
    """One ht:Request of a test and what its response must be."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[int]  # status classes: 2 for hts:StatusCode2xx, …
    fmt: str | None
    boolean: bool | None


@dataclass
class ProtocolTest:
    """One mf:ProtocolTest: graphs to load, then requests to make in order."""

    name: str
    graph_data: list[tuple[Path, str]] = field(default_factory=list)
    default_data: list[Path] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    @property
    def is_update(self) -> bool:
        return self.name.startswith(("update_", "bad_update_"))


def read_manifest(path: Path) -> list[ProtocolTest]:
    g = rdflib.Graph().parse(path, format="turtle")
    manifest = g.value(predicate=RDF.type, object=MF.Manifest)
    tests = []
    for entry in Collection(g, g.value(manifest, MF.entries)):
        if (entry, RDF.type, MF.ProtocolTest) not in g:
            continue
        test = ProtocolTest(str(entry).rsplit("#", 1)[1])
        for data in g.objects(entry, UT.graphData):
            test.graph_data.append((_local(g.value(data, UT.graph)),
                                    str(g.value(data, RDFS.label))))
        test.default_data = [_local(d) for d in g.objects(entry, UT.data)]
        action = g.value(entry, MF.action)
        for request in Collection(g, g.value(action, HT.requests)):
            test.steps.append(_step(g, request))
        tests.append(test)
    return tests


def _local(node: object) -> Path:
    return Path(str(node).removeprefix("file://"))


def _step(g: rdflib.Graph, request: rdflib.term.Node) -> Step:
    headers = {}
    listed = g.value(request, HT.headers)
    for header in Collection(g, listed) if listed is not None else []:
        headers[str(g.value(header, HT.fieldName))] = str(g.value(header, HT.fieldValue))
    body = None
    content = g.value(request, HT.body)
    if content is not None:
        encoding = str(g.value(content, CNT.characterEncoding) or "UTF-8")
        body = str(g.value(content, CNT.chars)).encode(encoding)
    path = str(g.value(request, HT.absolutePath))
    path = "/sparql" + path.removeprefix("/sparql/") if path.startswith("/sparql/") else path
    response = g.value(request, HT.resp)
    statuses = {int(str(s).removeprefix(STATUS_CLASS)[0])
                for s in g.objects(response, MF.expectedStatus)}
    fmt = g.value(response, MF.expectedFormat)
    boolean = g.value(response, MF.expectedBoolean)
    return Step(str(g.value(request, HT.methodName)), path, headers, body, statuses,
                None if fmt is None else str(fmt), None if boolean is None else bool(boolean))


TESTS = read_manifest(MANIFEST) if MANIFEST.is_file() else []


def _params(tests: list[ProtocolTest]) -> list[object]:
    if not MANIFEST.is_file():
        return [pytest.param(None, id="manifest-missing")]
    return [pytest.param(t, id=t.name) for t in tests]


@pytest.fixture
def fresh() -> Iterator[LiveServer]:
    server = start_server(make_settings(None, port=free_port(), load_example_catalog=False))
    yield server
    server.stop()


def load(server: LiveServer, test: ProtocolTest) -> None:
    kg = server.site.kg
    for file, graph in test.graph_data:
        kg.bulk_load(file, ox.RdfFormat.N_TRIPLES, graph=ox.NamedNode(graph))
    for file in test.default_data:
        kg.raw.bulk_load(path=str(file), format=ox.RdfFormat.N_TRIPLES)


def boolean_of(response: httpx.Response) -> bool:
    media = response.headers["content-type"].split(";")[0]
    if "json" in media:
        value = response.json()["boolean"]
        assert isinstance(value, bool)
        return value
    if "xml" in media:
        element = ElementTree.fromstring(response.content).find(
            "{http://www.w3.org/2005/sparql-results#}boolean")
        assert element is not None and element.text in ("true", "false")
        return element.text == "true"
    assert response.text.strip() in ("true", "false"), response.text
    return response.text.strip() == "true"


def check_format(response: httpx.Response, fmt: str) -> None:
    media = response.headers["content-type"].split(";")[0]
    if fmt == "boolean":
        assert media in RESULT_TYPES
        boolean_of(response)
    elif fmt == "tabular":
        assert media in RESULT_TYPES
        if "json" in media:
            doc = json.loads(response.content)
            assert "vars" in doc["head"] and "bindings" in doc["results"]
        elif "xml" in media:
            root = ElementTree.fromstring(response.content)
            assert root.find("{http://www.w3.org/2005/sparql-results#}results") is not None
        else:
            assert response.text.splitlines()[0]
    else:
        assert fmt == "RDF"
        list(ox.parse(response.content, format=ox.RdfFormat.from_media_type(media)))


@pytest.mark.parametrize("test", _params(TESTS))
def test_protocol(test: ProtocolTest | None, fresh: LiveServer) -> None:
    needs(test is not None, f"the W3C protocol manifest is missing: {MANIFEST}")
    assert test is not None
    load(fresh, test)
    auth = fresh.admin() if test.is_update else {}
    with fresh.client() as client:
        for n, step in enumerate(test.steps):
            r = client.request(step.method, step.path, content=step.body,
                               headers={**step.headers, **auth})
            where = f"{test.name} request {n + 1}: {step.method} {step.path}"
            assert r.status_code // 100 in step.statuses, f"{where}: {r.status_code} {r.text}"
            if step.fmt is not None:
                check_format(r, step.fmt)
            if step.boolean is not None:
                assert boolean_of(r) is step.boolean, where


SUCCEEDING_UPDATES = [t for t in TESTS if t.is_update and 2 in t.steps[0].statuses]


@pytest.mark.parametrize("test", _params(SUCCEEDING_UPDATES))
def test_manifest_updates_need_an_admin(test: ProtocolTest | None, fresh: LiveServer) -> None:
    needs(test is not None, f"the W3C protocol manifest is missing: {MANIFEST}")
    assert test is not None
    load(fresh, test)
    before = fresh.site.kg.count()
    step = test.steps[0]
    user = {"authorization": f"Bearer {token(fresh.site, 'user', 'job-manager')}"}
    with fresh.client() as client:
        anonymous = client.request(step.method, step.path, content=step.body,
                                   headers=step.headers)
        non_admin = client.request(step.method, step.path, content=step.body,
                                   headers={**step.headers, **user})
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert non_admin.status_code == 403
    assert fresh.site.kg.count() == before


def test_service_description_manifest(fresh: LiveServer) -> None:
    # has-endpoint-triple, returns-rdf, conforms-to-schema (the sd: terms used are typed right)
    needs(SD_MANIFEST.is_file(), f"the W3C service description manifest is missing: {SUITE}")
    with fresh.client() as client:
        r = client.get("/sparql")
    assert r.status_code == 200
    media = r.headers["content-type"].split(";")[0]
    nt = ox.serialize(ox.parse(r.content, format=ox.RdfFormat.from_media_type(media)),
                      format=ox.RdfFormat.N_TRIPLES)
    g = rdflib.Graph().parse(data=nt, format="nt")
    services = list(g.subjects(RDF.type, SD.Service))
    assert len(services) == 1
    assert (services[0], SD.endpoint, rdflib.URIRef(f"{fresh.url}/sparql")) in g
    for language in g.objects(services[0], SD.supportedLanguage):
        assert language in (SD.SPARQL10Query, SD.SPARQL11Query, SD.SPARQL11Update)
    for dataset in g.objects(services[0], SD.defaultDataset):
        assert (dataset, RDF.type, SD.Dataset) in g
        for named in g.objects(dataset, SD.namedGraph):
            assert isinstance(g.value(named, SD.name), rdflib.URIRef)
