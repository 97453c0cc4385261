"""POST /workflows on a real server: notebooks, modules, git URLs; precise 4xx, no writes."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from support import LiveServer, free_port, make_settings, needs, start_server, token

LICENSE = "# http://purl.org/dc/terms/license https://spdx.org/licenses/MIT\n"
IPYNB = {"Content-Type": "application/x-ipynb+json"}


def notebook_bytes(parameters: str, *, tagged: bool = True) -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Counts\n\nCounts photons."),
                nbformat.v4.new_code_cell(parameters,
                                          metadata={"tags": ["parameters"] if tagged else []}),
                nbformat.v4.new_code_cell("lc = 'x.fits'  # oda:LightCurve",
                                          metadata={"tags": ["outputs"]})]
    return nbformat.writes(nb).encode()


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    live = start_server(make_settings(None, port=free_port()))
    yield live
    live.stop()


def contributor(server: LiveServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(server.site, 'contributor')}"}


def test_a_notebook_upload_becomes_a_dereferenceable_workflow(server: LiveServer) -> None:
    data = notebook_bytes(LICENSE + "energy = 50.0  # oda:Energy_keV ; oda:lower_limit 15\n")
    with server.client() as http:
        answer = http.post("/workflows?filename=counts.ipynb", content=data,
                           headers={**IPYNB, **contributor(server), "Slug": "counts"})
        assert answer.status_code == 201, answer.text
        iri = answer.headers["location"]
        assert iri == f"{server.url}/workflows/counts" and answer.json()["new_version"] is True
        assert http.post("/workflows?filename=counts.ipynb", content=data, headers={
            **IPYNB, **contributor(server), "Slug": "counts"}).status_code == 200  # unchanged
        turtle = http.get("/workflows/counts", headers={"Accept": "text/turtle"})
        assert turtle.status_code == 200 and "Energy_keV" in turtle.text
        html = http.get("/workflows/counts", headers={"Accept": "text/html"})
        assert html.status_code == 200 and "Counts" in html.text
        jsonld = http.get("/workflows/counts", headers={"Accept": "application/ld+json"})
        assert jsonld.status_code == 200 and jsonld.json()


def test_a_python_module_and_a_git_repository(server: LiveServer, tmp_path: Path) -> None:
    needs(shutil.which("git") is not None, "git")
    module = ('__license__ = "MIT"\nfrom typing import Annotated\n'
              'def flux(e: Annotated[float, "http://odahub.io/ontology#Energy_keV"] = 20.0'
              ') -> Annotated[float, "http://odahub.io/ontology#Float"]:\n'
              '    """Flux at an energy."""\n    return 1.0 / e\n')
    with server.client() as http:
        answer = http.post("/workflows?filename=flux.py&function=flux", content=module.encode(),
                           headers={"Content-Type": "text/x-python", **contributor(server)})
        assert answer.status_code == 201, answer.text
        assert answer.headers["location"].endswith("/workflows/flux")
        repo = tmp_path / "repo"
        (repo / "nb").mkdir(parents=True)
        (repo / "nb" / "gitwf.ipynb").write_bytes(notebook_bytes(LICENSE + "x = 1.0\n"))
        git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "one"]):
            subprocess.run([*git, *args], check=True)
        answer = http.post("/workflows", json={"git": f"file://{repo}", "path": "nb/gitwf.ipynb",
                                               "ref": "HEAD"}, headers=contributor(server))
        assert answer.status_code == 201, answer.text
        node = http.get("/workflows/gitwf", headers={"Accept": "text/turtle"}).text
        assert f"file://{repo}" in node and "nb/gitwf.ipynb" in node


def test_registration_needs_the_contributor_role(server: LiveServer) -> None:
    data = notebook_bytes(LICENSE + "x = 1.0\n")
    with server.client() as http:
        assert http.post("/workflows", content=data, headers=IPYNB).status_code == 401
        user = {"Authorization": f"Bearer {token(server.site, 'user')}"}
        assert http.post("/workflows", content=data, headers={**IPYNB, **user}).status_code == 403


BAD: list[tuple[str, Any, str, dict[str, Any]]] = [
    ("no parameters cell", notebook_bytes(LICENSE + "x = 1.0\n", tagged=False),
     "parameters cell", {}),
    ("unparsable annotation", notebook_bytes(LICENSE + "x = 1.0  # oda:Float ; ;; oda:unit\n"),
     "annotation", {"line": 2}),
    ("unknown term", notebook_bytes(LICENSE + "e = 1.0  # oda:Energy_kev\n"), "annotation",
     {"term": "oda:Energy_kev"}),
    ("default out of limits", notebook_bytes(
        LICENSE + "e = 5.0  # oda:Energy_keV ; oda:lower_limit 15\n"), "e", {}),
    ("missing licence", notebook_bytes("x = 1.0\n"), "license", {}),
    ("unreadable repository", {"git": "file:///nonexistent/repo", "path": "a.ipynb"}, "git",
     {"url": "file:///nonexistent/repo"}),
    ("git URL that is an option", {"git": "--upload-pack=touch /tmp/x", "path": "a.ipynb"}, "git",
     {}),
    ("unknown instrument", notebook_bytes(
        LICENSE + '# https://odahub.io/mmoda#instrumentName "nosuch"\nx = 1.0\n'),
     "instrument", {}),
]


@pytest.mark.parametrize(("case", "payload", "field", "extra"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_a_precise_422_and_writes_nothing(server: LiveServer, case: str,
                                                       payload: Any, field: str,
                                                       extra: dict[str, Any]) -> None:
    before = server.site.kg.export()
    uploads = sorted(p.name for p in server.site.sources.rglob("*"))
    with server.client() as http:
        if isinstance(payload, bytes):
            answer = http.post("/workflows", content=payload,
                               headers={**IPYNB, **contributor(server)})
        else:
            answer = http.post("/workflows", json=payload, headers=contributor(server))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    (error,) = answer.json()["errors"]
    assert error["field"] == field and error["message"]
    for key, value in extra.items():
        assert error[key] == value, error
    if case == "unknown term":
        assert "oda:Energy_keV" in error["suggestions"]
    assert server.site.kg.export() == before
    assert sorted(p.name for p in server.site.sources.rglob("*")) == uploads


def test_unsupported_bodies(server: LiveServer) -> None:
    with server.client() as http:
        answer = http.post("/workflows", content=b"x", headers={
            "Content-Type": "application/zip", **contributor(server)})
        assert answer.status_code == 415
        answer = http.post("/workflows", json={"nothing": 1}, headers=contributor(server))
        assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "body"


def test_the_example_data_file_is_served(server: LiveServer) -> None:
    with server.client() as http:
        answer = http.get("/examples/data/sim_isgri_events.fits")
        assert answer.status_code == 200 and answer.content.startswith(b"SIMPLE  =")
        assert http.get("/examples/data/other.fits").status_code == 404


def test_the_example_light_curve_dereferences_and_passes_pyshacl(server: LiveServer) -> None:
    """The example workflow as HTML, JSON-LD and Turtle; the Turtle (with the instrument node
    it points at) conforms to the project shapes when pySHACL checks it on its own."""
    import pyshacl
    import rdflib

    from mmoda.ontology import MMODA_TTL, ODA_TTL
    from mmoda.shapes.validate import SHAPES_FILES

    with server.client() as http:
        for accept in ("text/html", "application/ld+json"):
            answer = http.get("/workflows/lightcurve", headers={"Accept": accept})
            assert answer.status_code == 200 and answer.headers["content-type"].startswith(accept)
        data = rdflib.Graph()
        for path in ("/workflows/lightcurve", "/instruments/isgri-sim"):
            answer = http.get(path, headers={"Accept": "text/turtle"})
            data.parse(data=answer.text, format="turtle")
    ontology = rdflib.Graph().parse(MMODA_TTL).parse(ODA_TTL)
    shapes = rdflib.Graph()
    for path in SHAPES_FILES:
        shapes.parse(path)
    conforms, _, text = pyshacl.validate(data, shacl_graph=shapes,
                                         ont_graph=ontology, inference="rdfs")
    assert conforms, text
    assert len(data) > 100


HOSTILE: list[tuple[str, str, bytes, dict[str, str], int, str]] = [
    ("garbage as a notebook", "", b"\x00\xffnot json", IPYNB, 422, "notebook"),
    ("JSON that is no notebook", "", b'{"cells": 3, "nbformat": 4}', IPYNB, 422, "notebook"),
    ("a path as file name", "?filename=../../etc/passwd.ipynb",
     notebook_bytes(LICENSE + "x = 1.0\n"), IPYNB, 422, "filename"),
    ("a path as workflow id", "", notebook_bytes(LICENSE + "x = 1.0\n"),
     {**IPYNB, "Slug": "../x"}, 422, "id"),
    ("no such function", "?filename=m.py&function=system",
     b'__license__ = "MIT"\nimport os\n', {"Content-Type": "text/x-python"}, 422, "workflow"),
    ("Python that does not parse", "?filename=m.py", b"def f(:\n",
     {"Content-Type": "text/x-python"}, 422, "annotation"),
    ("a file URL as service", "", b'{"service": "file:///etc/passwd"}',
     {"Content-Type": "application/json"}, 422, "service"),
    ("JSON that does not parse", "", b'{"git": ', {"Content-Type": "application/json"}, 400,
     "body"),
    ("a git URL that is no string", "", b'{"git": 5, "path": "a.ipynb"}',
     {"Content-Type": "application/json"}, 400, "git"),
]


@pytest.mark.parametrize(("case", "query", "payload", "headers", "status", "field"), HOSTILE,
                         ids=[h[0] for h in HOSTILE])
def test_hostile_uploads_are_refused_and_write_nothing(
        server: LiveServer, case: str, query: str, payload: bytes, headers: dict[str, str],
        status: int, field: str) -> None:
    before = server.site.kg.export()
    uploads = sorted(p.name for p in server.site.sources.rglob("*"))
    with server.client() as http:
        answer = http.post(f"/workflows{query}", content=payload,
                           headers={**headers, **contributor(server)})
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == field
    assert server.site.kg.export() == before
    assert sorted(p.name for p in server.site.sources.rglob("*")) == uploads


def test_an_oversized_upload_is_413_and_writes_nothing() -> None:
    live = start_server(make_settings(None, port=free_port(), max_body_bytes=4096))
    try:
        before = live.site.kg.export()
        big = notebook_bytes(LICENSE + "x = 1.0\n" + "# padding\n" * 1000)
        with live.client() as http:
            answer = http.post("/workflows", content=big, headers={**IPYNB, **contributor(live)})
        assert answer.status_code == 413 and "4096" in answer.json()["detail"]
        assert live.site.kg.export() == before
    finally:
        live.stop()


def test_a_git_path_that_leaves_the_repository(server: LiveServer, tmp_path: Path) -> None:
    needs(shutil.which("git") is not None, "git")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.ipynb").write_bytes(notebook_bytes(LICENSE + "x = 1.0\n"))
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "one"]):
        subprocess.run([*git, *args], check=True)
    before = server.site.kg.export()
    with server.client() as http:
        answer = http.post("/workflows", json={"git": f"file://{repo}", "path": "../../etc/passwd"},
                           headers=contributor(server))
    assert answer.status_code == 422
    error = answer.json()["errors"][0]
    assert error["field"] == "git" and "leaves the repository" in error["reason"]
    assert server.site.kg.export() == before
