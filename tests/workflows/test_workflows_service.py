"""read_service: a real nb2service on 127.0.0.1 registered as catalog workflows, and its errors.

nb2service (nb2workflow 1.3.118) loads the ODA ontology from http://odahub.io at import when
oda_api is installed; the service is started with `http_proxy` pointing at a loopback server
that answers with the vendored copy (mmoda/ontology/oda.ttl), so it runs offline with its
ontology-based features on. Wrong answers come from a second real server on loopback that
serves canned bodies, mostly the real options answer with one part broken.
"""

from __future__ import annotations

import copy
import hashlib
import http.server
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest

from mmoda.workflows import parse_notebook
from mmoda.workflows.errors import (
    DefaultOutOfRange,
    MissingLicense,
    ServiceProtocolError,
    ServiceUnreachable,
    ServiceUrlError,
    UnknownTerm,
)
from mmoda.workflows.model import WorkflowSpec
from mmoda.workflows.service import OPTIONS_PATH, SIGNATURE_PATH, read_service
from support import free_port, nb2service

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "examples" / "workflows" / "lightcurve.ipynb"
ODA = "http://odahub.io/ontology#"
MIT = "https://spdx.org/licenses/MIT"


@dataclass
class Canned:
    """A real HTTP server on 127.0.0.1 answering GETs with canned (status, type, body) by path;
    "*" answers any other path, `delay` holds every answer back (seconds)."""

    routes: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)
    delay: float = 0.0
    server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def json(self, path: str, value: Any) -> None:
        self.routes[path] = (200, "application/json", json.dumps(value).encode())

    def start(self) -> Canned:
        canned = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                time.sleep(canned.delay)
                status, kind, body = canned.routes.get(self.path) or canned.routes.get(
                    "*", (404, "text/plain", b"not found"))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def canned() -> Iterator[Canned]:
    server = Canned().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a real nb2service serving examples/workflows/lightcurve.ipynb."""
    with nb2service(tmp_path_factory.mktemp("nb2service") / "notebooks", NOTEBOOK) as url:
        yield url


@pytest.fixture(scope="module")
def options(service: str) -> dict[str, Any]:
    """The service's own options answer, as nb2service sends it."""
    answer: dict[str, Any] = httpx.get(service + OPTIONS_PATH, timeout=10).json()
    return answer


@pytest.fixture(scope="module")
def spec(service: str) -> WorkflowSpec:
    specs = read_service(service + "/", license="MIT")
    assert len(specs) == 1
    return specs[0]


def test_one_spec_per_target_of_kind_service(spec: WorkflowSpec, service: str,
                                             options: dict[str, Any]) -> None:
    assert list(options) == ["lightcurve"]
    assert (spec.name, spec.entry, spec.kind) == ("lightcurve", "lightcurve", "service")
    assert spec.service_url == service  # the trailing slash is normalised away
    assert spec.title == "lightcurve"  # nb2workflow publishes no title
    assert spec.license == MIT


def test_parameters_equal_the_notebook_parsers(spec: WorkflowSpec) -> None:
    direct = parse_notebook(NOTEBOOK)

    def view(s: WorkflowSpec) -> list[tuple[Any, ...]]:
        return [(p.name, p.type_iri, p.default, p.python_type, p.optional, p.lower_limit,
                 p.upper_limit, p.allowed_values, p.unit, p.format, p.restriction_iri)
                for p in s.parameters]

    assert view(spec) == view(direct)
    assert spec.parameters == direct.parameters  # every field, comments and positions too
    radius = spec.parameter("radius")
    assert (radius.type_iri, radius.lower_limit, radius.upper_limit, radius.restriction_iri) \
        == (ODA + "AngleDegrees", 0.01, 1, "#type-radius")
    assert spec.parameter("T1").python_type is str and spec.parameter("RA").restriction_iri is None


def test_outputs_equal_the_notebook_parsers(spec: WorkflowSpec) -> None:
    assert spec.outputs == parse_notebook(NOTEBOOK).outputs
    assert [o.type_iri for o in spec.outputs] \
        == [ODA + "LightCurve", ODA + "ODAPictureProduct", ODA + "Float"]


def test_content_hash_is_the_options_entry_and_stable(spec: WorkflowSpec, service: str,
                                                      options: dict[str, Any]) -> None:
    canonical = json.dumps(options["lightcurve"], sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    assert spec.content_hash == hashlib.sha256(canonical.encode()).hexdigest()
    assert spec.version == spec.content_hash[:12]
    with httpx.Client() as client:
        again = read_service(service, license=MIT, client=client)[0]
        assert not client.is_closed  # a client passed in stays the caller's
    assert (again.content_hash, again.version, again.license) \
        == (spec.content_hash, spec.version, spec.license)


def test_a_changed_interface_is_a_new_version(canned: Canned, options: dict[str, Any],
                                              spec: WorkflowSpec) -> None:
    changed = copy.deepcopy(options)
    changed["lightcurve"]["parameters"]["RA"]["default_value"] = 10.0
    canned.json(OPTIONS_PATH, changed)
    other = read_service(canned.url, license="MIT")[0]
    assert other.content_hash != spec.content_hash
    assert other.parameter("RA").default == 10.0


def test_no_license_is_missing_license(service: str) -> None:
    with pytest.raises(MissingLicense, match=f"{service}.*lightcurve"):
        read_service(service)
    with pytest.raises(MissingLicense, match="neither an SPDX id"):
        read_service(service, license="MIT or whatever")


def test_title_and_license_from_the_signature(canned: Canned, options: dict[str, Any]) -> None:
    canned.json(OPTIONS_PATH, options)
    canned.routes[SIGNATURE_PATH] = (200, "text/html", f"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:dct="http://purl.org/dc/terms/">
  <rdf:Description rdf:about="http://odahub.io/workflows#lightcurve_0bc9a8ad">
    <rdf:type rdf:resource="{ODA}workflow"/>
    <dct:title>Light curve</dct:title>
    <dct:license>Apache-2.0</dct:license>
  </rdf:Description>
</rdf:RDF>""".encode())
    found = read_service(canned.url)[0]
    assert (found.title, found.license) == ("Light curve", "https://spdx.org/licenses/Apache-2.0")
    assert read_service(canned.url, license=MIT)[0].license == MIT  # the argument wins


def test_unreachable_port_names_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ServiceUnreachable, match=f"{url}.*Connect") as err:
        read_service(url, license="MIT", timeout=2)
    assert err.value.url == url


@pytest.mark.parametrize("status", [404, 500])
def test_non_200_is_unreachable(canned: Canned, status: int) -> None:
    canned.routes[OPTIONS_PATH] = (status, "application/json", b"{}")
    with pytest.raises(ServiceUnreachable, match=f"{canned.url}.*HTTP {status}"):
        read_service(canned.url, license="MIT")


def test_a_timeout_is_unreachable(canned: Canned, options: dict[str, Any]) -> None:
    canned.json(OPTIONS_PATH, options)
    canned.delay = 1.0
    with pytest.raises(ServiceUnreachable, match="Timeout"):
        read_service(canned.url, license="MIT", timeout=0.2)


def test_non_json_is_a_protocol_error(canned: Canned) -> None:
    canned.routes[OPTIONS_PATH] = (200, "text/html", b"<html>hello</html>")
    with pytest.raises(ServiceProtocolError, match=f"{canned.url}.*no JSON.*text/html") as err:
        read_service(canned.url, license="MIT")
    assert err.value.url == canned.url


BROKEN = {
    "a list": ((), ["lightcurve"]),
    "no targets": ((), {}),
    "no parameters": (("lightcurve", "parameters"), None),
    "output not an object": (("lightcurve", "output"), ["lightcurve"]),
    "no owl_type": (("lightcurve", "parameters", "RA", "owl_type"), None),
    "no python_type": (("lightcurve", "parameters", "RA", "python_type"), None),
    "is_optional not a boolean": (("lightcurve", "parameters", "RA", "is_optional"), "no"),
    "raw_line of another name": (("lightcurve", "parameters", "RA", "raw_line"), "X = 1.0"),
    "owl_type disagrees": (("lightcurve", "parameters", "RA", "owl_type"), ODA + "Float"),
    "bad extra_ttl": (("lightcurve", "parameters", "radius", "extra_ttl"), "oda:x oda:y"),
    "output comment not a string": (("lightcurve", "output", "mean_rate", "comment"), 3),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_wrong_shape_is_a_protocol_error(canned: Canned, options: dict[str, Any],
                                         case: str) -> None:
    path, value = BROKEN[case]
    answer: Any = copy.deepcopy(options)
    if not path:
        answer = value
    else:
        *parents, key = path
        holder = answer
        for part in parents:
            holder = holder[part]
        if value is None:
            del holder[key]
        else:
            holder[key] = value
    canned.json(OPTIONS_PATH, answer)
    with pytest.raises(ServiceProtocolError, match=canned.url):
        read_service(canned.url, license="MIT")


def test_unknown_terms_are_unknown_term(canned: Canned, options: dict[str, Any]) -> None:
    answer = copy.deepcopy(options)
    ra = answer["lightcurve"]["parameters"]["RA"]
    ra.update(raw_line="RA = 83.6331  # oda:PointOfInterestRAA", comment="oda:PointOfInterestRAA",
              owl_type=ODA + "PointOfInterestRAA")
    canned.json(OPTIONS_PATH, answer)
    with pytest.raises(UnknownTerm, match="PointOfInterestRA"):
        read_service(canned.url, license="MIT")


def test_the_service_side_of_a_parameter(canned: Canned, options: dict[str, Any]) -> None:
    """`is_optional` from the service makes a parameter optional; a default that is no literal
    (sent by nb2workflow as its source text) fails as in the notebook parser."""
    answer = copy.deepcopy(options)
    answer["lightcurve"]["parameters"]["RA"]["is_optional"] = True
    canned.json(OPTIONS_PATH, answer)
    assert read_service(canned.url, license="MIT")[0].parameter("RA").optional
    answer["lightcurve"]["parameters"]["DEC"].update(
        raw_line="DEC = 20 + 2.0145  # oda:PointOfInterestDEC", default_value="20 + 2.0145")
    canned.json(OPTIONS_PATH, answer)
    with pytest.raises(DefaultOutOfRange, match="not a Python literal"):
        read_service(canned.url, license="MIT")


def test_without_raw_line_the_comment_and_python_type_are_read(
        canned: Canned, options: dict[str, Any], spec: WorkflowSpec) -> None:
    answer = copy.deepcopy(options)
    for entry in answer["lightcurve"]["parameters"].values():
        del entry["raw_line"]
    canned.json(OPTIONS_PATH, answer)
    found = read_service(canned.url, license="MIT")[0]
    fields = ("name", "type_iri", "default", "python_type", "optional", "lower_limit",
              "upper_limit", "unit", "restriction_iri")
    assert [[getattr(p, f) for f in fields] for p in found.parameters] \
        == [[getattr(p, f) for f in fields] for p in spec.parameters]


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "file:///tmp/x", "127.0.0.1:5000",
                                 "http://user:secret@127.0.0.1:5000", "http://h/?a=1"])
def test_only_plain_http_urls(url: str) -> None:
    with pytest.raises(ServiceUrlError, match="not a usable"):
        read_service(url, license="MIT")


def test_registering_the_real_service_puts_service_workflows_in_the_catalog(
        service: str) -> None:
    from mmoda.kg import bootstrap
    from mmoda.kg.store import KnowledgeGraph
    from mmoda.shapes.validate import NodeValidator
    from mmoda.workflows.registry import Registry

    kg = KnowledgeGraph(validator=NodeValidator())
    bootstrap.ensure_ontology(kg)
    bootstrap.load_catalog(kg, base_url="http://site.test")
    specs = read_service(service, license="MIT")
    done = Registry(kg, base_url="http://site.test",
                    site="http://site.test/sites/local").register_many([(None, s) for s in specs])
    assert [r.workflow for r in done] == [f"http://site.test/workflows/{s.name}" for s in specs]
    version = done[0].version
    rows = kg.query(f"""SELECT ?url ?target ?kind WHERE {{ GRAPH ?g {{
        <{version}> <https://odahub.io/mmoda#serviceURL> ?url ;
                    <https://odahub.io/mmoda#serviceTarget> ?target ;
                    <https://odahub.io/mmoda#workflowKind> ?kind }} }}""")
    assert [(r["url"].value, r["target"].value, r["kind"].value) for r in rows] == [
        (specs[0].service_url, specs[0].name, "service")]
    assert kg.ask("exists", bindings={"node": ox.NamedNode(done[0].workflow)})
