"""A workflow registered from an nb2workflow service runs end to end over real HTTP.

A real nb2service on 127.0.0.1 serves examples/workflows/lightcurve.ipynb (SIMULATED data),
offline as in tests/workflows/test_workflows_service.py; a live MMODA site registers it, runs
it through `POST /requests` (the job runner calls the service) and serves the results.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from astropy.io import fits
from astropy.table import Table

from mmoda.workflows.sources import from_service
from support import LiveServer, nb2service, token

WORKFLOWS = Path(__file__).resolve().parents[2] / "examples" / "workflows"
JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a real nb2service serving the light-curve notebook and its data."""
    with nb2service(tmp_path_factory.mktemp("nb2service") / "work") as url:
        yield url


def _wait(http: httpx.Client, run_id: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        view: dict[str, Any] = http.get(f"/runs/{run_id}", headers={**JSON, **headers}).json()
        if view["phase"] in ("COMPLETED", "ERROR", "ABORTED"):
            return view
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish in 120 s")


@pytest.mark.slow
def test_a_service_workflow_runs_and_its_results_download(service: str,
                                                         live: LiveServer) -> None:
    [spec] = from_service(service, license="MIT")
    registered = live.site.registry.register(spec, ident="lightcurve-service")
    user = {"Authorization": f"Bearer {token(live.site, 'user')}"}
    with live.client() as http:
        answer = http.post("/requests", headers=user, json={
            "workflow": registered.workflow, "reuse": "never",
            "parameters": {"T1": "2003-03-15T10:00:00", "T2": "2003-03-15T20:00:00",
                           "E1_keV": "30 keV", "time_bin": 900}})
        assert answer.status_code == 201, answer.text
        run_id = answer.json()["run"]["id"]
        run = _wait(http, run_id, user)
        assert run["phase"] == "COMPLETED", run
        assert run["exit_code"] == 0
        job = json.loads((live.site.runs.jobs / run_id / "job.json").read_text())
        assert (job["kind"], job["service_url"], job["target"]) == ("service", service,
                                                                    "lightcurve")
        # nb2workflow calls back as it starts the notebook (which reports no progress itself)
        called = (live.site.runs.jobs / run_id / "callbacks.jsonl").read_text().splitlines()
        assert json.loads(called[0]) == {"action": "progress"}
        assert len(run["results"]) == 3, run["results"]
        files: dict[str, bytes] = {}
        values: dict[str, Any] = {}
        types: dict[str, str] = {}
        for item in run["results"]:
            result = http.get(item["iri"], headers=JSON).json()
            assert result["run"] == run["iri"] and result["license"].endswith("/MIT")
            values[result["output"]] = result["value"]
            types[result["output"]] = result["product_type"].rsplit("#", 1)[-1]
            for f in result["files"]:
                body = http.get(f["url"])
                assert body.status_code == 200 and len(body.content) == f["size"]
                assert body.headers["content-type"].startswith(f["media_type"])
                files[f["name"]] = body.content
    assert types == {"lightcurve": "LightCurve", "lightcurve_png": "ODAPictureProduct",
                     "mean_rate": "Float"}
    assert set(files) == {"lightcurve.fits", "lightcurve_png.png", "mean_rate.json"}
    with fits.open(io.BytesIO(files["lightcurve.fits"])) as hdul:
        lc = Table.read(hdul["RATE"])
    assert lc.meta["E_MIN"] == 30.0 and lc.meta["TIMEDEL"] == 900.0
    assert lc.meta["DATE-OBS"].startswith("2003-03-15T10:00:00")
    assert files["lightcurve_png.png"][:8] == b"\x89PNG\r\n\x1a\n"
    assert values["mean_rate"] == pytest.approx(lc.meta["MEANRATE"])
