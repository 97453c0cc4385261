"""The request path over real HTTP: POST /requests, reuse, runs, results, cancel, failures,
authorisation, and the provenance checked by pySHACL on its own."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import nbformat
import pyoxigraph as ox
import pyshacl
import pytest
import rdflib

from mmoda.workflows.sources import from_path
from support import LiveServer, free_port, make_settings, start_server, token

WORKFLOWS = Path(__file__).resolve().parents[1] / "runs" / "workflows"
SHAPES = Path(__file__).resolve().parents[2] / "shapes" / "mmoda-shapes.ttl"
DAY = {"T1": "2003-03-15T10:00:00", "T2": "2003-03-15T20:00:00"}
LICENSE = "# http://purl.org/dc/terms/license https://spdx.org/licenses/MIT\n"


def _progress_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Progress\n\nReports its progress."),
        nbformat.v4.new_code_cell(LICENSE + "steps = 2  # oda:Integer\n",
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import time\nfrom oda_api.api import ProgressReporter\n"
            "reporter = ProgressReporter()\nfor i in range(steps):\n"
            "    reporter.report_progress(stage=f'step {i}', progress=i + 1, progress_max=steps,"
            " message=f'step {i} done')\n    time.sleep(1.0)\ndone = steps"),
        nbformat.v4.new_code_cell("done = done  # oda:Integer", metadata={"tags": ["outputs"]})]
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("site")
    live = start_server(make_settings(tmp / "data", port=free_port(), poll_interval=0.1,
                                      executors={"local": {"kind": "local", "max_jobs": 1}}))
    registry = live.site.registry
    registry.register_many([
        ("sleepy", from_path(WORKFLOWS / "behaving.py", function="sleepy")),
        ("failing", from_path(WORKFLOWS / "behaving.py", function="failing")),
        ("overrun", from_path(WORKFLOWS / "hasty.py", function="overrun")),
        ("latest", from_path(WORKFLOWS / "fleeting.py", function="latest")),
        ("draw", from_path(WORKFLOWS / "unique.py", function="draw")),
        ("progress", from_path(_progress_notebook(tmp / "progress.ipynb")))])
    yield live
    live.stop()


def auth(server: LiveServer, *roles: str, subject: str = "alice") -> dict[str, str]:
    return {"Authorization": f"Bearer {token(server.site, *roles, subject=subject)}"}


JSON = {"Accept": "application/json"}


def submit(http: httpx.Client, server: LiveServer, workflow: str, *, status: int = 201,
           headers: dict[str, str] | None = None, **body: Any) -> dict[str, Any]:
    answer = http.post("/requests", json={"workflow": workflow, **body},
                       headers=headers or auth(server, "user"))
    assert answer.status_code == status, answer.text
    data: dict[str, Any] = answer.json()
    return data


def wait(http: httpx.Client, server: LiveServer, run_id: str, *, timeout: float = 120,
         headers: dict[str, str] | None = None) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view: dict[str, Any] = http.get(f"/runs/{run_id}",
                                        headers={**JSON, **(headers or auth(server, "user"))}
                                        ).json()
        if view["phase"] in ("COMPLETED", "ERROR", "ABORTED"):
            return view
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


def store_size(server: LiveServer) -> int:
    return len(server.site.kg.raw)


@pytest.mark.parametrize("workflow", ["spectrum", "image", "lightcurve"])
def test_every_example_runs_end_to_end(server: LiveServer, workflow: str) -> None:
    with server.client() as http:
        asked = submit(http, server, workflow, parameters=DAY, reuse="never")
        assert asked["reused"] is False and asked["resolution"]["site"].endswith("/sites/local")
        assert asked["resolution"]["datasets"][0].endswith("/datasets/sim-isgri-events")
        run = wait(http, server, asked["run"]["id"])
        assert run["phase"] == "COMPLETED", run
        assert run["exit_code"] == 0 and run["started"] <= run["ended"]
        assert run["results"], run
        for item in run["results"]:
            result = http.get(item["iri"], headers=JSON).json()
            assert result["run"] == run["iri"] and result["license"].endswith("/MIT")
            assert "MMODA developers" in result["citation"]
            assert "Local MMODA site" in result["citation"]
            for f in result["files"]:
                body = http.get(f["url"])
                assert body.status_code == 200 and len(body.content) == f["size"]
                assert body.headers["content-type"].startswith(f["media_type"])


def test_three_notations_one_identity_then_reuse(server: LiveServer) -> None:
    notations = [
        {"RA": 83.633, "DEC": 22.0145, "E1_keV": 20, "T1": "2003-03-15T10:00:00",
         "T2": "2003-03-15T20:00:00"},
        {"RA": "05h34m31.92s", "DEC": "22d00m52.2s", "E1_keV": "0.02 MeV",
         "T1": 52713.416666666664, "T2": "2003-03-15T20:00:00.000"},
        {"T2": "2003-03-15 20:00:00", "E1_keV": "20 keV", "DEC": "+22:00:52.2",
         "T1": "2003-03-15T10:00:00Z", "RA": "83.633 deg"},
    ]
    with server.client() as http:
        first = submit(http, server, "spectrum", parameters=notations[0], reuse="never")
        wait(http, server, first["run"]["id"])
        again = [submit(http, server, "spectrum", parameters=p, status=200) for p in notations[1:]]
    assert {a["identity"] for a in again} == {first["identity"]}
    for answer in again:
        assert answer["reused"] is True and answer["phase"] == "COMPLETED"
        assert answer["run"]["iri"] == first["run"]["iri"]
        assert answer["site"].endswith("/sites/local") and answer["results"]
        assert answer["parameters"] == first["parameters"]


def test_reuse_never_runs_again_and_local_stays_local(server: LiveServer) -> None:
    with server.client() as http:
        first = submit(http, server, "spectrum", parameters={**DAY, "n_bins": 7})
        wait(http, server, first["run"]["id"])
        local = submit(http, server, "spectrum", parameters={**DAY, "n_bins": 7}, reuse="local",
                       status=200)
        forced = submit(http, server, "spectrum", parameters={**DAY, "n_bins": 7}, reuse="never")
        assert local["run"]["iri"] == first["run"]["iri"]
        assert forced["reused"] is False and forced["run"]["iri"] != first["run"]["iri"]
        assert forced["identity"] == first["identity"]
        wait(http, server, forced["run"]["id"])


def test_a_failing_workflow_ends_in_error_with_its_own_message(server: LiveServer) -> None:
    with server.client() as http:
        asked = submit(http, server, "failing", parameters={"flux": 2.5})
        run = wait(http, server, asked["run"]["id"])
    assert run["phase"] == "ERROR" and run["results"] == []
    assert run["message"] == "ValueError: no source brighter than 2.5 found in the field of view"
    assert run["exit_code"] == 1


def test_a_run_past_its_walltime_times_out(server: LiveServer) -> None:
    with server.client() as http:
        asked = submit(http, server, "overrun", parameters={"seconds": 30})
        run = wait(http, server, asked["run"]["id"], timeout=60)
    assert run["phase"] == "ERROR" and run["results"] == []
    assert "timeout of 2 s" in run["message"], run["message"]


def test_cancel_a_running_and_a_queued_run(server: LiveServer) -> None:
    # max_jobs is 1: the second run waits in the queue while the first runs
    with server.client() as http:
        running = submit(http, server, "sleepy", parameters={"seconds": 60}, reuse="never")
        queued = submit(http, server, "sleepy", parameters={"seconds": 61}, reuse="never")
        deadline = time.monotonic() + 30
        while http.get(f"/runs/{running['run']['id']}", headers={**JSON, **auth(
                server, "user")}).json()["phase"] != "EXECUTING":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        for asked in (queued, running):
            answer = http.delete(f"/runs/{asked['run']['id']}", headers=auth(server, "user"))
            assert answer.status_code == 202, answer.text
        for asked in (queued, running):
            run = wait(http, server, asked["run"]["id"])
            assert run["phase"] == "ABORTED" and run["results"] == []
        again = http.delete(f"/runs/{running['run']['id']}", headers=auth(server, "user"))
        assert again.status_code == 409


def test_progress_reaches_the_run(server: LiveServer) -> None:
    with server.client() as http:
        asked = submit(http, server, "progress", parameters={"steps": 2})
        run = wait(http, server, asked["run"]["id"], timeout=120)
    assert run["phase"] == "COMPLETED", run["message"]
    assert [p["stage"] for p in run["progress"]] == ["step 0", "step 1"]
    assert [p["fraction"] for p in run["progress"]] == [0.5, 1.0]
    assert run["progress"][1]["message"] == "step 1 done"


def test_bad_parameters_answer_422_per_parameter_and_store_nothing(server: LiveServer) -> None:
    before = store_size(server)
    with server.client() as http:
        answer = http.post("/requests", headers=auth(server, "user"), json={
            "workflow": "spectrum", "parameters": {"T1": "yesterday-ish", "E1_keV": "5 parsec",
                                                   "colour": "blue"}})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    errors = {e["name"]: e for e in answer.json()["errors"]}
    assert set(errors) == {"T1", "E1_keV", "colour"}
    assert errors["E1_keV"]["field"] == "parameters.E1_keV" and errors["E1_keV"]["reason"]
    assert "unknown parameter" in errors["colour"]["reason"]
    assert store_size(server) == before


@pytest.mark.parametrize(("body", "field"), [
    ({"workflow": "no-such-workflow"}, "workflow"),
    ({"instrument": "isgri_sim", "product": "nothing"}, "instrument"),
    ({"workflow": "spectrum", "reuse": "sometimes"}, "reuse"),
    ({"workflow": "spectrum", "colour": 1}, "colour"),
    ({"workflow": "spectrum", "version": "http://example.org/v1"}, "version"),
])
def test_bad_requests_name_the_field(server: LiveServer, body: dict[str, Any],
                                     field: str) -> None:
    before = store_size(server)
    with server.client() as http:
        answer = http.post("/requests", json=body, headers=auth(server, "user"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == field
    assert store_size(server) == before


def test_no_site_has_the_data_says_which_constraint(server: LiveServer) -> None:
    before = store_size(server)
    with server.client() as http:
        answer = http.post("/requests", headers=auth(server, "user"), json={
            "workflow": "lightcurve",
            "parameters": {"T1": "2004-01-01T00:00:00", "T2": "2004-01-01T12:00:00"}})
    assert answer.status_code == 422
    error = answer.json()["errors"][0]
    assert error["constraint"] == "data"
    assert "no site has Simulated INTEGRAL/ISGRI-like instrument data for 2004-01-01" in \
        error["message"]
    assert store_size(server) == before


def test_instrument_and_product_labels_name_a_workflow(server: LiveServer) -> None:
    with server.client() as http:
        asked = submit(http, server, "", instrument="isgri_sim", product="spectrum",
                       parameters=DAY, reuse="never")
        assert asked["workflow"].endswith("/workflows/spectrum")
        wait(http, server, asked["run"]["id"])


def test_runs_need_a_role_and_belong_to_their_requester(server: LiveServer) -> None:
    with server.client() as http:
        anonymous = http.post("/requests", json={"workflow": "spectrum", "parameters": DAY})
        assert anonymous.status_code == 401
        stranger = http.post("/requests", json={"workflow": "spectrum"},
                             headers=auth(server, "contributor"))
        assert stranger.status_code == 403
        asked = submit(http, server, "sleepy", parameters={"seconds": 0.5}, reuse="never",
                       headers=auth(server, "user", subject="alice"))
        run_id = asked["run"]["id"]
        bob = auth(server, "user", subject="bob")
        assert http.get(f"/runs/{run_id}", headers={**JSON, **bob}).status_code == 403
        assert http.get(f"/requests/{asked['id']}", headers={**JSON, **bob}).status_code == 403
        assert http.delete(f"/runs/{run_id}", headers=bob).status_code == 403
        admin = auth(server, "admin", subject="root")
        assert http.get(f"/runs/{run_id}", headers={**JSON, **admin}).status_code == 200
        wait(http, server, run_id, headers=auth(server, "user", subject="alice"))
        # the graph itself stays public provenance, without the subject's name
        node = http.get(f"/runs/{run_id}", headers={"Accept": "text/turtle"})
        assert node.status_code == 200 and "alice" not in node.text and "sha256:" in node.text


def test_anonymous_runs_when_the_site_allows_them(tmp_path: Path) -> None:
    live = start_server(make_settings(None, port=free_port(), anonymous_runs=True,
                                      poll_interval=0.1))
    try:
        with live.client() as http:
            answer = http.post("/requests", json={"workflow": "spectrum", "parameters": DAY})
            assert answer.status_code == 201, answer.text
            run = wait(http, live, answer.json()["run"]["id"], headers={})
            assert run["phase"] == "COMPLETED"
            # signed in without the run role: an open instance does not refuse it either
            signed = {"Authorization": f"Bearer {token(live.site, 'contributor')}"}
            again = http.post("/requests", headers=signed, json={
                "workflow": "spectrum", "parameters": DAY, "reuse": "never"})
            assert again.status_code == 201, again.text
            wait(http, live, again.json()["run"]["id"], headers=signed)
    finally:
        live.stop()


def _dump(http: httpx.Client, *names: str) -> rdflib.Graph:
    values = " ".join(f"<https://odahub.io/mmoda/graph/{n}>" for n in names)
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} VALUES ?g {{ {values} }} }}"
    answer = http.post("/sparql", data={"query": query}, headers={"Accept": "text/turtle"})
    assert answer.status_code == 200, answer.text
    return rdflib.Graph().parse(data=answer.text, format="turtle")


def test_request_run_and_result_nodes_conform_to_the_shapes(server: LiveServer) -> None:
    """Everything the site wrote (catalog and runs graphs, fetched over SPARQL), validated by
    pySHACL alone with the ontology graphs for the class hierarchy."""
    with server.client() as http:
        asked = submit(http, server, "spectrum", parameters={**DAY, "n_bins": 9})
        run = wait(http, server, asked["run"]["id"])
        data = _dump(http, "catalog", "runs")
        ontology = _dump(http, "ontology", "classified")
    conforms, _, text = pyshacl.validate(data, shacl_graph=str(SHAPES), ont_graph=ontology,
                                         inference="rdfs", allow_warnings=True)
    assert conforms, text
    prov = rdflib.Namespace("http://www.w3.org/ns/prov#")
    result = rdflib.URIRef(run["results"][0]["iri"])
    assert (result, prov.wasGeneratedBy, rdflib.URIRef(run["iri"])) in data
    association = data.value(rdflib.URIRef(run["iri"]), prov.qualifiedAssociation)
    assert data.value(association, prov.hadPlan) == rdflib.URIRef(asked["version"])
    assert data.value(association, prov.agent) == rdflib.URIRef(run["site"])


def test_the_store_records_each_result_once(server: LiveServer) -> None:
    kg = server.site.kg
    query = ("SELECT ?run (COUNT(?r) AS ?n) WHERE { GRAPH ?g { ?r a "
             "<https://odahub.io/mmoda#Result> ; <http://www.w3.org/ns/prov#wasGeneratedBy> ?run ;"
             " <https://odahub.io/mmoda#outputName> ?o } } GROUP BY ?run ?o HAVING (COUNT(?r) > 1)")
    solutions = kg.query(query)
    assert isinstance(solutions, ox.QuerySolutions) and list(solutions) == []


def test_provenance_and_ro_crate_read_back(server: LiveServer, tmp_path: Path) -> None:
    from prov.model import ProvDocument
    from rocrate.rocrate import ROCrate

    with server.client() as http:
        asked = submit(http, server, "spectrum", parameters={**DAY, "n_bins": 10})
        run = wait(http, server, asked["run"]["id"])
        result = run["results"][0]["iri"]
        turtle = http.get(f"{result}/provenance", headers={"Accept": "text/turtle"})
        provn = http.get(f"{result}/provenance?format=provn")
        provjson = http.get(f"{result}/provenance?format=provjson")
        crate = http.get(f"{result}/ro-crate")
        wrong = http.get(f"{result}/provenance?format=dot")
    assert turtle.headers["content-type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=turtle.text, format="turtle")
    prov = rdflib.Namespace("http://www.w3.org/ns/prov#")
    assert (rdflib.URIRef(result), prov.wasGeneratedBy, rdflib.URIRef(run["iri"])) in graph
    assert "wasGeneratedBy(" in provn.text and "wasAssociatedWith(" in provn.text
    doc = ProvDocument.deserialize(content=provjson.text, format="json")
    assert any(r.identifier.uri == run["iri"] for r in doc.get_records() if r.identifier)
    assert crate.headers["content-type"] == "application/zip"
    (tmp_path / "crate.zip").write_bytes(crate.content)
    read = ROCrate(tmp_path / "crate.zip")
    action = next(e for e in read.get_entities() if e.type == "CreateAction")
    assert action.id == run["iri"] and action["result"]
    assert wrong.status_code == 406


def test_results_expire_after_the_declared_lifetime(server: LiveServer) -> None:
    with server.client() as http:
        first = submit(http, server, "latest", parameters={"scale": 4})
        run = wait(http, server, first["run"]["id"])
        result = http.get(run["results"][0]["iri"], headers=JSON).json()
        assert result["valid_until"] is not None and result["value"] == 8
        reused = submit(http, server, "latest", parameters={"scale": 4}, status=200)
        assert reused["run"]["iri"] == run["iri"]
        time.sleep(2.5)
        fresh = submit(http, server, "latest", parameters={"scale": 4})
        assert fresh["reused"] is False and fresh["run"]["iri"] != run["iri"]
        wait(http, server, fresh["run"]["id"])


def test_a_workflow_that_forbids_reuse_always_runs(server: LiveServer) -> None:
    with server.client() as http:
        first = submit(http, server, "draw", parameters={"scale": 2})
        wait(http, server, first["run"]["id"])
        second = submit(http, server, "draw", parameters={"scale": 2})
        assert second["reused"] is False and second["identity"] == first["identity"]
        wait(http, server, second["run"]["id"])


def test_a_dry_run_says_what_would_happen_and_writes_nothing(server: LiveServer) -> None:
    before = store_size(server)
    with server.client() as http:
        plan = http.post("/requests?dry_run=true", headers=auth(server, "user"), json={
            "workflow": "spectrum", "parameters": {**DAY, "n_bins": 11}, "reuse": "never"})
        assert plan.status_code == 200, plan.text
        body = plan.json()
        assert body["reused"] is False and body["parameters"]["n_bins"] == "11"
        assert body["resolution"]["site"].endswith("/sites/local")
        assert store_size(server) == before
        refused = http.post("/requests?dry_run=true", json={"workflow": "spectrum"})
        assert refused.status_code == 401


HOSTILE_BODIES = [
    ("JSON that does not parse", b'{"workflow": ', 400, "body"),
    ("a JSON array", b'["spectrum"]', 422, "body"),
    ("parameters that are no object", b'{"workflow": "spectrum", "parameters": [1, 2]}', 422,
     "parameters"),
    ("a workflow IRI with spaces", b'{"workflow": "http://a b/c"}', 422, "workflow"),
    ("a workflow IRI with markup", b'{"workflow": "http://x/<script>"}', 422, "workflow"),
    ("a version that is no IRI", b'{"workflow": "spectrum", "version": "v 1"}', 422, "version"),
    ("a workflow id with a path", b'{"workflow": "../etc/passwd"}', 400, "id"),
    ("a NUL for a required value", b'{"workflow": "spectrum", "parameters": {"RA": "\\u0000"}}',
     422, "parameters.RA"),
    ("a huge string for a number", b'{"workflow": "spectrum", "parameters": {"RA": "'
     + b"9" * 100_000 + b'"}}', 422, "parameters.RA"),
    ("a workflow that is a number", b'{"workflow": 5}', 422, "workflow"),
]


@pytest.mark.parametrize(("case", "payload", "status", "field"), HOSTILE_BODIES,
                         ids=[c[0] for c in HOSTILE_BODIES])
def test_hostile_request_bodies_are_refused_and_store_nothing(
        server: LiveServer, case: str, payload: bytes, status: int, field: str) -> None:
    before = store_size(server)
    with server.client() as http:
        answer = http.post("/requests", content=payload, headers={
            **auth(server, "user"), "Content-Type": "application/json"})
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == field, answer.json()
    assert store_size(server) == before


def test_hostile_paths_and_tokens(server: LiveServer) -> None:
    before = store_size(server)
    user = auth(server, "user")
    with server.client() as http:
        asked = submit(http, server, "spectrum", parameters={**DAY, "n_bins": 13})
        run = wait(http, server, asked["run"]["id"])
        result = run["results"][0]["id"]
        after_run = store_size(server)
        answers = {
            "bad run id": http.get("/runs/a%20b", headers={**JSON, **user}),
            "unknown run": http.get("/runs/nosuchrun", headers={**JSON, **user}),
            "cancel unknown": http.delete("/runs/nosuchrun", headers=user),
            "traversal": http.get(f"/results/{result}/files/..%2F..%2Fjobs"),
            "dot dot": http.get(f"/results/{result}/files/%2E%2E"),
            "unknown file": http.get(f"/results/{result}/files/passwd"),
            "garbage token": http.post("/requests", json={"workflow": "spectrum"},
                                       headers={"Authorization": "Bearer not.a.jwt"}),
            "provenance of nothing": http.get("/results/nosuch/provenance"),
        }
    expected = {"bad run id": 400, "unknown run": 404, "cancel unknown": 404, "traversal": 404,
                "dot dot": 404, "unknown file": 404, "garbage token": 401,
                "provenance of nothing": 404}
    assert {k: a.status_code for k, a in answers.items()} == expected
    assert all(a.headers["content-type"] == "application/problem+json"
               for a in answers.values())
    assert before < after_run == store_size(server)


def test_an_oversized_request_body_is_refused(tmp_path: Path) -> None:
    live = start_server(make_settings(None, port=free_port(), max_body_bytes=2000))
    try:
        before = len(live.site.kg.raw)
        with live.client() as http:
            answer = http.post("/requests", headers=auth(live, "user"), json={
                "workflow": "spectrum", "parameters": {"RA": "1" * 5000}})
        assert answer.status_code == 413
        assert answer.headers["content-type"] == "application/problem+json"
        assert len(live.site.kg.raw) == before
    finally:
        live.stop()
