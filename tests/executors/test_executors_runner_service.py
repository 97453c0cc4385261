"""Service jobs of the job runner (`kind: "service"`), run for real as subprocesses.

The light curve runs on a real nb2service on 127.0.0.1 serving examples/workflows/lightcurve.ipynb
(SIMULATED data), started offline as in tests/workflows/test_workflows_service.py: `http_proxy`
points nb2workflow at a loopback server with the vendored ODA ontology. Failures the real
service cannot be made to produce come from a canned server on loopback that plays a script of
answers.
"""

from __future__ import annotations

import base64
import http.server
import json
import subprocess
import sys
import textwrap
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from astropy.table import Table

from mmoda.executors.outputs import read_manifest, read_progress
from support import free_port, nb2service

WORKFLOWS = Path(__file__).resolve().parents[2] / "examples" / "workflows"
ODA = "http://odahub.io/ontology#"
RUNNER = [sys.executable, "-m", "mmoda.executors.runner"]
LIGHT_CURVE_OUTPUTS = [{"name": "lightcurve", "type": f"{ODA}LightCurve"},
                       {"name": "lightcurve_png", "type": f"{ODA}ODAPictureProduct"},
                       {"name": "mean_rate", "type": f"{ODA}Float"}]
GET, SIGNATURE = "/api/v1.0/get/", "/api/v1.0/rdf"


def run(jobdir: Path, **fields: Any) -> tuple[int, dict[str, Any]]:
    """Write `job.json` (a service job; fields given None are left out) and run the real
    runner on it."""
    jobdir.mkdir(parents=True, exist_ok=True)
    job = {k: v for k, v in {"run": "urn:test:run", "kind": "service", "target": "lightcurve",
                             "parameters": {}, "timeout": 120, **fields}.items() if v is not None}
    (jobdir / "job.json").write_text(json.dumps(job))
    done = subprocess.run([*RUNNER, str(jobdir)], capture_output=True, text=True, timeout=240)
    manifest = read_manifest(jobdir)
    assert manifest is not None, done.stderr
    return done.returncode, dict(manifest)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a real nb2service serving the light-curve notebook and its data."""
    with nb2service(tmp_path_factory.mktemp("nb2service") / "work") as url:
        yield url


@pytest.mark.slow
def test_light_curve_on_a_real_service(service: str, tmp_path: Path) -> None:
    code, manifest = run(tmp_path, service_url=service, outputs=LIGHT_CURVE_OUTPUTS,
                         parameters={"E1_keV": 25.0, "time_bin": 1200.0,
                                     "T1": "2003-03-15T00:00:00.000"})
    assert code == 0, manifest.get("error")
    assert manifest["status"] == "completed" and "notebook" not in manifest
    outputs = {o["name"]: o for o in manifest["outputs"]}
    assert [o["type"] for o in manifest["outputs"]] == [o["type"] for o in LIGHT_CURVE_OUTPUTS]
    [lc_entry] = outputs["lightcurve"]["files"]
    assert lc_entry["path"] == "outputs/lightcurve.fits"
    assert lc_entry["media_type"] == "application/fits" and "value" not in outputs["lightcurve"]
    lc = Table.read(tmp_path / lc_entry["path"], hdu="RATE")
    assert len(lc) > 10 and lc.meta["E_MIN"] == 25.0 and lc.meta["TIMEDEL"] == 1200.0
    [png] = outputs["lightcurve_png"]["files"]
    assert (png["path"], png["media_type"]) == ("outputs/lightcurve_png.png", "image/png")
    assert (tmp_path / png["path"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert outputs["mean_rate"]["value"] == pytest.approx(lc.meta["MEANRATE"])
    assert read_progress(tmp_path)[0]["stage"] == "submitted"
    assert "completed" in (tmp_path / "runner.log").read_text()
    # the notebook is not in git: nb2workflow names its directory
    assert manifest["service"]["location"].startswith("file:///")
    assert manifest["service"]["location"].endswith("/work")


@pytest.mark.slow
@pytest.mark.parametrize(("parameters", "message"), [
    ({"E1_keV": 90.0, "E2_keV": 80.0}, "empty energy band: E1_keV=90.0 must be below E2_keV=80.0"),
    ({"bogus": 1}, "found unexpected request parameters: bogus, can be RA, DEC"),
], ids=["raised in the notebook", "refused parameter"])
def test_the_workflows_own_error_on_a_real_service(service: str, tmp_path: Path,
                                                   parameters: dict[str, Any],
                                                   message: str) -> None:
    code, manifest = run(tmp_path, service_url=service, parameters=parameters)
    assert code == 1 and manifest["status"] == "failed" and manifest["outputs"] == []
    assert manifest["error"]["type"] == "ValueError"
    assert manifest["error"]["message"].startswith(message)
    assert service in manifest["error"]["traceback"]


class Scripted:
    """A real HTTP server on 127.0.0.1 answering each GET with the next (status, body) of a
    script, the last one for ever; `delay` holds answers back. `paths` records the requests
    (`times` when they came). The signature (`/api/v1.0/rdf`) is answered apart: `signature`
    (RDF/XML) or 404, counted in `signature_gets`."""

    def __init__(self, *answers: tuple[int, Any], delay: float = 0.0,
                 signature: bytes | None = None) -> None:
        self.answers, self.delay, self.paths = list(answers), delay, []
        self.times: list[float] = []
        self.signature, self.signature_gets = signature, 0
        scripted = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == SIGNATURE:
                    scripted.signature_gets += 1
                    self.send_response(404 if scripted.signature is None else 200)
                    self.end_headers()
                    self.wfile.write(scripted.signature or b"")
                    return
                scripted.paths.append(self.path)
                scripted.times.append(time.monotonic())
                time.sleep(scripted.delay)
                status, body = (scripted.answers.pop(0) if len(scripted.answers) > 1
                                else scripted.answers[0])
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted() -> Iterator[list[Scripted]]:
    """Start servers with `Scripted(...)` and append them here to have them stopped."""
    started: list[Scripted] = []
    yield started
    for server in started:
        server.stop()


SUBMITTED = (201, {"workflow_status": "submitted", "comment": "task created"})
STARTED = (201, {"workflow_status": "started", "comment": "task is started"})


def done(output: Any, exceptions: list[Any] | None = None) -> tuple[int, Any]:
    return 200, {"workflow_status": "done", "comment": "",
                 "data": {"output": output, "exceptions": exceptions or []}}


def test_outputs_and_parameters_travel_as_nb2workflow_expects(
        scripted: list[Scripted], tmp_path: Path) -> None:
    local = tmp_path / "local.txt"
    local.write_text("a file of this host, never of the service")
    server = Scripted(SUBMITTED, STARTED, STARTED, done({
        "table": "/service/side/dir/result.fits.gz", "table_content":
        base64.b64encode(b"gzipped fits").decode(), "count": 3, "items": [1, 2.5],
        "local": str(local), "note": "a b"}))
    scripted.append(server)
    code, manifest = run(tmp_path / "job", service_url=server.url + "/", target="my target",
                         parameters={"flag": True, "none": None, "items": [1, 2], "x": 1.5,
                                     "s": "a b&c"})
    assert code == 0, manifest.get("error")
    path, _, query = server.paths[0].partition("?")
    assert path == GET + "my%20target" and len(set(server.paths)) == 1
    assert urllib.parse.parse_qs(query) == {
        "flag": ["true"], "none": ["\0"], "items": ["[1, 2]"], "x": ["1.5"], "s": ["a b&c"],
        "_async_request": ["yes"]}
    outputs = {o["name"]: o for o in manifest["outputs"]}
    assert list(outputs) == ["table", "count", "items", "local", "note"]  # none declared: all
    [table] = outputs["table"]["files"]
    assert table["path"] == "outputs/table.fits.gz" and table["media_type"] == "application/gzip"
    assert (tmp_path / "job" / table["path"]).read_bytes() == b"gzipped fits"
    assert [outputs[n]["value"] for n in ("count", "items", "local", "note")] == [
        3, [1, 2.5], str(local), "a b"]
    assert [p["stage"] for p in read_progress(tmp_path / "job")] == ["submitted", "started"]


@pytest.mark.parametrize(("answer", "kind", "message"), [
    (done("incomplete", [{"ename": "RuntimeError", "evalue": "no data in the range",
                          "edump": 4}]), "RuntimeError", "no data in the range"),
    (done("incomplete", [{"ename": "ValueError(\"could not convert string to float: 'x'\")",
                          "evalue": "", "edump": "..."}]),
     "ValueError", "could not convert string to float: 'x'"),
    (done("incomplete"), "ServiceProtocolError", "the output is 'incomplete'"),
    (done({"other": 1}), "OutputError", "the service returned no output 'lightcurve'"),
    (done({"lightcurve": "lc.fits", "lightcurve_content": "not base64!"}), "OutputError",
     "not base64"),
    ((404, b"<html>not found</html>"), "ServiceProtocolError", "answered HTTP 404"),
    ((200, b"<html>a proxy page</html>"), "ServiceProtocolError", "answered no JSON object"),
    ((201, {"workflow_status": "lost"}), "ServiceProtocolError", "unknown workflow_status"),
], ids=["workflow exception", "parameter exception", "incomplete", "missing output",
        "bad content", "HTTP error", "not JSON", "unknown status"])
def test_failures_name_their_cause(scripted: list[Scripted], tmp_path: Path,
                                   answer: tuple[int, Any], kind: str, message: str) -> None:
    server = Scripted(SUBMITTED, answer)
    scripted.append(server)
    code, manifest = run(tmp_path, service_url=server.url,
                         outputs=[{"name": "lightcurve", "type": None}])
    assert code == 1 and manifest["status"] == "failed"
    assert manifest["error"]["type"] == kind
    assert message in manifest["error"]["message"]


def test_the_workflow_error_says_where_it_was_raised(scripted: list[Scripted],
                                                     tmp_path: Path) -> None:
    server = Scripted(done("incomplete", [
        {"ename": "RuntimeError", "evalue": "first", "edump": 4},
        {"ename": "KeyError('second')", "evalue": "", "edump": "KeyError('second')"}]))
    scripted.append(server)
    code, manifest = run(tmp_path, service_url=server.url)
    assert code == 1
    error = manifest["error"]
    assert (error["type"], error["message"]) == ("RuntimeError", "first; second")
    assert "RuntimeError: first (cell 4)" in error["traceback"]
    assert "KeyError: second" in error["traceback"] and server.url in error["traceback"]


def test_an_unreachable_service_is_an_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    code, manifest = run(tmp_path, service_url=url)
    assert code == 1 and manifest["error"]["type"] == "ServiceUnreachable"
    assert f"{url}{GET}lightcurve" in manifest["error"]["message"]
    assert time.monotonic() - started < 20
    assert "retrying" in (tmp_path / "runner.log").read_text()


def test_a_service_that_comes_back_is_polled_on(scripted: list[Scripted],
                                                tmp_path: Path) -> None:
    server = Scripted(SUBMITTED, (503, b"restarting"), (502, b"gateway"), done({"n": 1}))
    scripted.append(server)
    code, manifest = run(tmp_path, service_url=server.url)
    assert code == 0, manifest.get("error")
    assert manifest["outputs"][0]["value"] == 1 and len(server.paths) == 4


@pytest.mark.parametrize("delay", [0.0, 5.0], ids=["still running", "not answering"])
def test_timeout(scripted: list[Scripted], tmp_path: Path, delay: float) -> None:
    server = Scripted(STARTED, delay=delay)
    scripted.append(server)
    started = time.monotonic()
    code, manifest = run(tmp_path, service_url=server.url, timeout=1)
    assert code == 1 and manifest["error"]["type"] == "JobTimeout"
    assert "timeout of 1 s" in manifest["error"]["message"]
    assert time.monotonic() - started < 4.5


@pytest.mark.parametrize(("fields", "message"), [
    ({"service_url": None}, "'service_url' is missing"),
    ({"service_url": "ftp://example.org"}, "'service_url' must be an http"),
    ({"service_url": "http://127.0.0.1:1", "target": None}, "'target' is missing"),
    ({"service_url": "http://127.0.0.1:1", "callback": "file:///tmp/cb"},
     "'callback' must be an http"),
])
def test_bad_service_job_json(tmp_path: Path, fields: dict[str, Any], message: str) -> None:
    code, manifest = run(tmp_path, **fields)
    assert code == 2 and manifest["error"]["type"] == "JobError"
    assert message in manifest["error"]["message"]


def test_runner_service_imports_only_the_standard_library() -> None:
    probe = textwrap.dedent("""
        import sys
        import mmoda.executors.runner_service
        heavy = ("httpx", "requests", "rdflib", "pyoxigraph", "fastapi", "mmoda.kg",
                 "mmoda.api", "mmoda.workflows", "nb2workflow")
        print([m for m in sys.modules if m.startswith(heavy)])
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


SIGNATURE_XML = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:ns1="http://odahub.io/ontology#"
         xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="http://odahub.io/workflows#lightcurve_png_0a1b2c3d">
    <ns1:location>https://gitlab.example.org/astro/png.git#v0.9</ns1:location>
    <rdf:type rdf:resource="http://odahub.io/ontology#workflow"/>
  </rdf:Description>
  <ns1:workflow rdf:about="http://odahub.io/workflows#lightcurve_44a34759">
    <ns1:expects rdf:resource="http://odahub.io/workflows/lightcurve_44a34759/p#T1"/>
    <ns1:location>https://gitlab.example.org/astro/lc.git#v1.2-3-g0123abc</ns1:location>
  </ns1:workflow>
</rdf:RDF>
"""


@pytest.mark.parametrize(("signature", "location"), [
    (SIGNATURE_XML, "https://gitlab.example.org/astro/lc.git#v1.2-3-g0123abc"),
    (None, None), (b"<html>not RDF", None), (SIGNATURE_XML.replace(b"lightcurve_4", b"other_4"),
                                            None)],
    ids=["read", "no signature", "not XML", "no node of the target"])
def test_the_manifest_records_the_service_and_its_notebook_location(
        scripted: list[Scripted], tmp_path: Path, signature: bytes | None,
        location: str | None) -> None:
    server = Scripted(SUBMITTED, done({"n": 1}), signature=signature)
    scripted.append(server)
    code, manifest = run(tmp_path, service_url=server.url)
    assert code == 0, manifest.get("error")  # an unreadable signature is no failure
    assert manifest["service"] == {"url": server.url, "target": "lightcurve",
                                   "location": location}
    assert server.signature_gets == 1
    warned = "signature of" in (tmp_path / "runner.log").read_text()
    assert warned is (location is None)


def _wait_for(condition: Any, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_callbacks_report_progress_and_end_the_wait(scripted: list[Scripted],
                                                    tmp_path: Path) -> None:
    callback = "http://127.0.0.1:9/callbacks/r1?key=0123"
    server = Scripted(SUBMITTED, STARTED)
    scripted.append(server)
    jobdir = tmp_path / "job"
    jobdir.mkdir()
    (jobdir / "job.json").write_text(json.dumps({
        "run": "urn:test:run", "kind": "service", "target": "lightcurve", "parameters": {},
        "service_url": server.url, "callback": callback, "timeout": 60}))
    runner = subprocess.Popen([*RUNNER, str(jobdir)], stderr=subprocess.PIPE)
    try:
        # Until the backoff between polls exceeds 2 s (the 7th poll is followed by 2.3 s).
        _wait_for(lambda: len(server.paths) >= 7)
        path = jobdir / "callbacks.jsonl"
        with path.open("a") as f:
            f.write(json.dumps({"action": "progress"}) + "\nnot json\n")
            f.write(json.dumps({"action": "progress", "stage": "reading", "progress": "1",
                                "progress_max": "4", "message": "events"}) + "\n")
            f.write('{"action": "progress", "stage": "bin')  # a line being written
        time.sleep(0.3)
        server.answers = [done({"n": 1})]
        with path.open("a") as f:
            f.write('ning", "progress": "x"}\n' + json.dumps({"action": "done"}) + "\n")
        called_back = time.monotonic()
        assert runner.wait(20) == 0, runner.stderr.read() if runner.stderr else ""
    finally:
        runner.kill()
        runner.wait()
    assert server.times[-1] - called_back < 0.5  # polled at once, not after the backoff
    query = urllib.parse.parse_qs(server.paths[0].partition("?")[2])
    assert query["_async_request_callback"] == [callback]
    reports = [r for r in read_progress(jobdir) if r["stage"] not in ("submitted", "started")]
    assert [(r["stage"], r.get("progress"), r.get("progress_max"), r.get("message"))
            for r in reports] == [("reading", 1.0, 4.0, "events"), ("binning", None, None, None)]
    manifest = read_manifest(jobdir)
    assert manifest is not None and manifest["status"] == "completed"
    assert "the service called back: done" in (jobdir / "runner.log").read_text()


def test_without_a_callback_the_request_names_none(scripted: list[Scripted],
                                                   tmp_path: Path) -> None:
    server = Scripted(done({"n": 1}))
    scripted.append(server)
    code, _ = run(tmp_path, service_url=server.url)
    assert code == 0
    assert "_async_request_callback" not in server.paths[0]
