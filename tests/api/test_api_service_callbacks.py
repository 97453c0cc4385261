"""Runs forwarded to a real nb2workflow service report back through their callback URL.

A real nb2service on 127.0.0.1 serves tests/runs/workflows/reporting.ipynb from a git clone
(origin and tag set, nothing fetched), so its signature locates the notebook at
`<origin>#<tag>`. The notebook reports each step with oda_api's ProgressReporter, which calls
the URL nb2workflow hands it: the site's `GET /callbacks/{run id}?key=…`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
import rdflib

from mmoda.runs.callbacks import (
    CALLBACKS,
    MAX_FILE,
    MAX_LINE,
    callback_key,
    callback_url,
    record_callback,
    valid_key,
)
from mmoda.workflows.sources import from_service
from support import LiveServer, nb2service, needs, token

NOTEBOOK = Path(__file__).resolve().parents[1] / "runs" / "workflows" / "reporting.ipynb"
ORIGIN = "https://git.example.org/mmoda/reporting.git"
JSON = {"Accept": "application/json"}
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
MMODA = rdflib.Namespace("https://odahub.io/mmoda#")
PROBLEM = "application/problem+json"


def _git_clone_of_the_notebook(work: Path) -> None:
    """`work` as a git clone of the notebook: remote `origin`, HEAD tagged v1.0."""
    needs(shutil.which("git") is not None, "git")
    work.mkdir(parents=True)
    shutil.copy(NOTEBOOK, work)
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.org"]
    for args in (["init", "-q"], ["remote", "add", "origin", ORIGIN], ["add", NOTEBOOK.name],
                 ["commit", "-q", "-m", "reporting"], ["tag", "v1.0"]):
        subprocess.run(["git", "-C", str(work), *identity, *args], check=True,
                       capture_output=True)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a real nb2service serving the reporting notebook from a git clone."""
    work = tmp_path_factory.mktemp("nb2service") / "work"
    _git_clone_of_the_notebook(work)
    with nb2service(work, NOTEBOOK) as url:
        yield url


def _submit(live: LiveServer, http: httpx.Client, service: str, steps: int,
            pause: float) -> tuple[str, dict[str, str]]:
    """Register the service's workflow and start a run; its id and the user's headers."""
    [spec] = from_service(service, license="MIT")
    registered = live.site.registry.register(spec, ident="reporting-service")
    user = {"Authorization": f"Bearer {token(live.site, 'user')}"}
    answer = http.post("/requests", headers=user, json={
        "workflow": registered.workflow, "reuse": "never",
        "parameters": {"steps": steps, "pause": pause}})
    assert answer.status_code == 201, answer.text
    return answer.json()["run"]["id"], user


def _wait(http: httpx.Client, run_id: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        view: dict[str, Any] = http.get(f"/runs/{run_id}", headers={**JSON, **headers}).json()
        if view["phase"] in ("COMPLETED", "ERROR", "ABORTED"):
            return view
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish in 120 s")


def _lines(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _graph_text(live: LiveServer) -> str:
    quads = live.site.kg.raw.quads_for_pattern(None, None, None, None)
    return (ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"").decode()


@pytest.mark.slow
def test_progress_comes_through_the_callback(service: str, live: LiveServer) -> None:
    with live.client() as http:
        run_id, user = _submit(live, http, service, steps=3, pause=1.5)
        run = _wait(http, run_id, user)
        assert run["phase"] == "COMPLETED", run
        jobdir = live.site.runs.jobs / run_id
        job = json.loads((jobdir / "job.json").read_text())
        url, _, key = job["callback"].partition("?key=")
        assert url == f"{live.url}/callbacks/{run_id}"
        assert live.site.runs.accepts_callback(run["iri"], key)
        called = _lines(jobdir / "callbacks.jsonl")
        stages = [f"step {i} of 3" for i in (1, 2, 3)]
        # what the notebook's ProgressReporter sent, nb2workflow's own notes around it
        assert [c.get("stage") for c in called if "stage" in c] == stages
        assert called[0] == {"action": "progress"} and called[-1] == {"action": "done"}
        assert all("key" not in c for c in called)
        reported = [p for p in run["progress"] if p["stage"] in stages]
        assert [(p["stage"], p["fraction"], p["message"]) for p in reported] == [
            (s, pytest.approx(i / 3), "counting") for i, s in enumerate(stages, start=1)]
        # the end is noticed as the service calls back, not at the next (backed off) poll
        manifest = json.loads((jobdir / "manifest.json").read_text())
        done_at = (jobdir / "callbacks.jsonl").stat().st_mtime
        assert datetime.fromisoformat(manifest["ended"]).timestamp() - done_at < 1.0
        assert "the service called back: done" in (jobdir / "runner.log").read_text()
        assert key not in _graph_text(live)
        assert key not in (jobdir / "runner.log").read_text()


@pytest.mark.slow
def test_provenance_names_the_service_and_the_notebook_revision(service: str,
                                                                live: LiveServer) -> None:
    with live.client() as http:
        run_id, user = _submit(live, http, service, steps=1, pause=0.0)
        run = _wait(http, run_id, user)
        assert run["phase"] == "COMPLETED", run
        result = next(r for r in run["results"] if r["output"] == "total")
        answer = http.get(f"/results/{result['id']}/provenance", params={"format": "ttl"})
        assert answer.status_code == 200, answer.text
        provn = http.get(f"/results/{result['id']}/provenance", params={"format": "provn"}).text
    graph = rdflib.Graph().parse(data=answer.text, format="turtle")
    agent = rdflib.URIRef(f"{run['iri']}#service")
    assert (rdflib.URIRef(run["iri"]), PROV.wasAssociatedWith, agent) in graph
    assert (agent, rdflib.RDF.type, PROV.SoftwareAgent) in graph
    assert graph.value(agent, DCAT.endpointURL) == rdflib.URIRef(service)
    assert str(graph.value(agent, MMODA.notebookLocation)) == f"{ORIGIN}#v1.0"
    assert str(graph.value(agent, MMODA.notebookRevision)) == "v1.0"
    run_id = run["iri"].rsplit("/", 1)[-1]
    [line] = [x for x in provn.splitlines() if x.strip().startswith(f"agent(runs:{run_id}#")]
    assert f'mmoda:notebookLocation="{ORIGIN}#v1.0"' in line
    assert 'mmoda:notebookRevision="v1.0"' in line and service in line
    assert f"wasAssociatedWith(runs:{run_id}, runs:{run_id}#service, -)" in provn


def _get(http: httpx.Client, run_id: str, **params: str) -> httpx.Response:
    return http.get(f"/callbacks/{run_id}", params=params)


@pytest.mark.slow
def test_only_the_runs_own_key_is_heard(service: str, live: LiveServer) -> None:
    secret = live.site.settings.secret().encode()
    with live.client() as http:
        run_id, user = _submit(live, http, service, steps=2, pause=2.0)
        run_iri = live.site.iri("runs", run_id)
        key = callback_key(secret, run_iri)
        other_key = callback_key(secret, live.site.iri("runs", "other"))
        for wrong in ({}, {"key": "0" * 32}, {"key": other_key}, {"key": key.upper()}):
            answer = _get(http, run_id, action="progress", stage="forged", **wrong)
            assert answer.status_code == 403, answer.text
            assert answer.headers["content-type"] == PROBLEM
            assert answer.json()["errors"][0]["field"] == "key"
        answer = _get(http, run_id, key=key, action="progress", stage="genuine", progress="1",
                      progress_max="4", message="x" * 5000)
        assert (answer.status_code, answer.json()) == (200, {"status": "ok"})
        run = _wait(http, run_id, user)
        assert run["phase"] == "COMPLETED", run
        ended = _get(http, run_id, key=key, action="progress", stage="late")
        assert ended.status_code == 409 and ended.json()["errors"][0]["field"] == "run_id"
        assert _get(http, "unknown", key=callback_key(secret, live.site.iri("runs", "unknown")),
                    action="done").status_code == 404
        assert _get(http, "unknown", key=key, action="done").status_code == 403
    called = _lines(live.site.runs.jobs / run_id / "callbacks.jsonl")
    stages = [c.get("stage") for c in called]
    assert "genuine" in stages and "forged" not in stages and "late" not in stages
    [genuine] = [c for c in called if c.get("stage") == "genuine"]
    assert len(genuine["message"]) == 512  # values are cut short
    progress = [p["stage"] for p in run["progress"]]
    assert "genuine" in progress and "forged" not in progress
    assert "forged" not in _graph_text(live)


def test_callback_keys_need_the_secret() -> None:
    run = "http://127.0.0.1:8000/runs/r1"
    key = callback_key(b"secret one", run)
    assert len(key) == 32 and int(key, 16) >= 0
    assert key == callback_key(b"secret one", run)
    assert key not in (callback_key(b"secret two", run),
                       callback_key(b"secret one", run + "x"))
    assert valid_key(b"secret one", run, key) and not valid_key(b"secret one", run, None)
    assert not valid_key(b"secret one", run, key[:-1]) and not valid_key(b"s", run, "é")
    assert callback_url("http://h:1", run, b"secret one") == f"http://h:1/callbacks/r1?key={key}"


def test_recorded_callbacks_are_bounded(tmp_path: Path) -> None:
    many = [(f"name{i}", "v" * 100) for i in range(100)]
    assert record_callback(tmp_path, [("action", "progress"), ("action", "twice"),
                                      ("n" * 100, "v" * 1000), *many])
    [line] = (tmp_path / CALLBACKS).read_text().splitlines()
    kept = json.loads(line)
    assert len(line) <= MAX_LINE and kept["action"] == "progress"
    assert kept["n" * 64] == "v" * 512 and "name0" in kept and "name99" not in kept
    while record_callback(tmp_path, many):
        pass
    assert MAX_FILE - MAX_LINE < (tmp_path / CALLBACKS).stat().st_size <= MAX_FILE
    assert not record_callback(tmp_path / "gone", [("action", "done")])  # no job directory
