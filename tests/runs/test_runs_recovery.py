"""kill -9 of the service during runs, then a restart: the runs complete and each result is
recorded exactly once (the service re-attaches through the external job ids in the graph)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mmoda.api.auth import mint
from support import SECRET, free_port

WORKFLOWS = Path(__file__).resolve().parent / "workflows"
pytestmark = pytest.mark.slow


class Service:
    """`mmoda serve` as a separate process on a fixed port and data directory."""

    def __init__(self, data: Path, port: int) -> None:
        self.data, self.port, self.url = data, port, f"http://127.0.0.1:{port}"
        self.env = {**os.environ, "MMODA_JWT_SECRET": SECRET, "MMODA_POLL_INTERVAL": "0.2",
                    "MMODA_BASE_URL": self.url}
        self.proc: subprocess.Popen[bytes] | None = None

    # The data directory is given relative to the service's working directory, as the README's
    # `make run` does: job directories must still resolve inside the jobs.
    def cli(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "mmoda.api.cli", *args, "--data-dir",
                        self.data.name], env=self.env, check=True, capture_output=True,
                       cwd=self.data.parent)

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mmoda.api.cli", "serve", "--data-dir", self.data.name,
             "--port", str(self.port)], env=self.env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, cwd=self.data.parent)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("the service did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    svc = Service(tmp_path / "data", free_port())
    svc.cli("workflow", "add", str(WORKFLOWS / "behaving.py"), "--function", "sleepy")
    yield svc
    svc.stop()


def _headers() -> dict[str, str]:
    jwt = mint(SECRET, subject="alice", roles=["user"], issuer="mmoda", ttl=600)
    return {"Authorization": f"Bearer {jwt}", "Accept": "application/json"}


def _run(http: httpx.Client, run_id: str) -> dict[str, Any]:
    view: dict[str, Any] = http.get(f"/runs/{run_id}", headers=_headers()).json()
    return view


def _until(http: httpx.Client, run_id: str, phases: set[str], timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = _run(http, run_id)
        if view["phase"] in phases:
            return view
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} never reached {phases}: {_run(http, run_id)}")


def test_kill_9_then_restart_completes_each_run_once(service: Service) -> None:
    service.start()
    with httpx.Client(base_url=service.url, timeout=30) as http:
        runs = {}
        for seconds in (2.0, 8.0):  # one ends while the service is down, one after
            answer = http.post("/requests", headers=_headers(), json={
                "workflow": "sleepy", "parameters": {"seconds": seconds}})
            assert answer.status_code == 201, answer.text
            runs[seconds] = answer.json()["run"]["id"]
        before = {s: _until(http, r, {"EXECUTING"}, 30) for s, r in runs.items()}
    service.kill()
    time.sleep(3.0)
    service.start()
    with httpx.Client(base_url=service.url, timeout=30) as http:
        for seconds, run_id in runs.items():
            view = _until(http, run_id, {"COMPLETED", "ERROR", "ABORTED"}, 60)
            assert view["phase"] == "COMPLETED", view
            assert view["external_id"] == before[seconds]["external_id"]
            assert len(view["results"]) == 1
            result = http.get(view["results"][0]["iri"], headers=_headers()).json()
            assert result["value"] == pytest.approx(seconds)
        count = http.post("/sparql", data={"query": (
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?r a <https://odahub.io/mmoda#Result> } }"
        )}, headers={"Accept": "application/sparql-results+json"}).json()
        assert int(count["results"]["bindings"][0]["n"]["value"]) == 2
        runs_count = http.post("/sparql", data={"query": (
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?r a <https://odahub.io/mmoda#Run> } }"
        )}, headers={"Accept": "application/sparql-results+json"}).json()
        assert int(runs_count["results"]["bindings"][0]["n"]["value"]) == 2
    for run_id in runs.values():
        log = (service.data / "jobs" / run_id / "runner.log").read_text()
        assert log.count("mmoda-job: completed") <= 1
