"""`mmoda.client` against a real site over HTTP: every example workflow end to end, reuse
across notations, rejected and failing requests, timeouts, cancellation, provenance."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mmoda.client import Client, ClientError, RequestRejected, Run, RunFailed, RunTimeout
from support import LiveServer, free_port, make_settings, start_server, token

DAY = {"T1": "2003-03-15T10:00:00", "T2": "2003-03-15T20:00:00"}
CRAB = {"RA": 83.63, "DEC": 22.01}
MIT = "https://spdx.org/licenses/MIT"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A site with the example catalog on an on-disk store, served on a free port."""
    live = start_server(make_settings(tmp_path_factory.mktemp("site"), port=free_port()))
    yield live
    live.stop()


def connect(server: LiveServer, subject: str = "alice") -> Client:
    return Client(server.url, token(server.site, "user", subject=subject))


@pytest.fixture
def client(server: LiveServer) -> Iterator[Client]:
    with connect(server) as c:
        yield c


def check_lightcurve(run: Run) -> None:
    outputs = {r.output: r for r in run.results}
    assert set(outputs) == {"lightcurve", "lightcurve_png", "mean_rate"}
    with outputs["lightcurve"].open_fits() as hdul:
        rate = hdul["RATE"].data
        assert len(rate) > 10 and {"TIME", "RATE", "NET_RATE"} <= set(rate.columns.names)
    assert 0.1 < outputs["mean_rate"].value < 1.0


def check_image(run: Run) -> None:
    outputs = {r.output: r for r in run.results}
    assert set(outputs) == {"image", "image_png", "peak_ra", "peak_dec"}
    with outputs["image"].open_fits("image.fits") as hdul:
        assert hdul[0].data.shape == (60, 60) and hdul[0].header["CTYPE1"] == "RA---TAN"
    assert abs(outputs["peak_ra"].value - 83.63) < 0.2


def check_spectrum(run: Run) -> None:
    (result,) = run.results
    table = result.table()
    assert {"E_MIN", "E_MAX", "RATE", "ERROR"} <= set(table.colnames) and len(table) == 12
    assert 1.5 < table.meta["PHOTINDX"] < 2.7
    with result.open_fits() as hdul:
        assert hdul["SPECTRUM"].header["INSTRUME"] == "SIM-ISGRI"


@pytest.mark.parametrize("workflow", [
    pytest.param("lightcurve", marks=pytest.mark.slow), "image", "spectrum"])
def test_every_example_runs_end_to_end(client: Client, workflow: str, tmp_path: Path) -> None:
    phases: list[str] = []
    run = client.run(workflow, parameters={**CRAB, **DAY}, reuse="never",
                     on_progress=lambda r: phases.append(r.phase))
    assert run.phase == "COMPLETED" and not run.reused and phases[-1] == "COMPLETED"
    assert run.message and run.site and run.site.endswith("/sites/local")
    {"lightcurve": check_lightcurve, "image": check_image, "spectrum": check_spectrum}[
        workflow](run)
    for result in run.results:
        assert result.license == MIT and result.citation and "MMODA developers" in result.citation
        paths = result.download(tmp_path / result.id)
        assert [p.name for p in paths] == [f.name for f in result.files]
        assert [p.stat().st_size for p in paths] == [f.size for f in result.files]


def test_the_same_request_in_another_notation_reuses_the_result(client: Client) -> None:
    first = client.run("spectrum", RA=83.63, DEC=22.01, n_bins=10, reuse="never", **DAY)
    again = client.run("spectrum", parameters={"RA": "05h34m31.2s", "DEC": "22.01",
                                                "T1": "52713.416666667", "n_bins": "10"},
                       T2="2003-03-15T20:00:00")
    assert again.reused and not first.reused
    assert again.id == first.id and [r.id for r in again.results] == [r.id for r in first.results]
    fresh = client.run("spectrum", RA=83.63, DEC=22.01, n_bins=10, reuse="never", **DAY)
    assert not fresh.reused and fresh.id != first.id


def test_another_user_follows_a_reused_run_through_the_request(server: LiveServer) -> None:
    with connect(server, "alice") as alice, connect(server, "bob") as bob:
        mine = alice.run("spectrum", parameters={**CRAB, **DAY, "n_bins": 7}, reuse="never")
        theirs = bob.run("spectrum", parameters={**CRAB, **DAY, "n_bins": "7"})
        assert theirs.reused and theirs.id == mine.id
        assert theirs.refresh().phase == "COMPLETED"  # through /requests: the run is alice's
        assert theirs.results[0].table()["E_MIN"].unit == "keV"
        with pytest.raises(RequestRejected) as denied:
            bob.run_status(mine.id)
        assert denied.value.status == 403


def test_bad_parameters_are_rejected_naming_each_one(client: Client) -> None:
    with pytest.raises(RequestRejected) as caught:
        client.run("spectrum", RA=83.63, DEC=22.01, T1="yesterday", T2="tomorrow")
    rejected = caught.value
    assert rejected.status == 422 and rejected.problem["title"] == "Invalid parameters"
    assert {e["name"] for e in rejected.errors} == {"T1", "T2"}
    assert "\n  T1: 'yesterday' is not a time instant" in str(rejected)


def test_an_unknown_workflow_and_a_missing_token_are_rejected(server: LiveServer) -> None:
    with connect(server) as client, pytest.raises(RequestRejected) as unknown:
        client.run("nosuch", **DAY)
    assert unknown.value.status == 422 and "nosuch" in str(unknown.value)
    with Client(server.url) as anonymous, pytest.raises(RequestRejected) as anon:
        anonymous.run("spectrum", **CRAB, **DAY)
    assert anon.value.status == 401 and "bearer token" in str(anon.value)


def test_a_failing_run_raises_run_failed_with_the_workflows_message(client: Client) -> None:
    with pytest.raises(RunFailed) as caught:
        client.run("spectrum", **CRAB, **DAY, E1_keV=100, E2_keV=30)
    assert caught.value.run.phase == "ERROR"
    assert "need 0 < E1_keV < E2_keV" in str(caught.value)
    assert caught.value.run.results == []


def test_submit_then_wait_then_look_up_by_run_and_request(client: Client) -> None:
    run = client.run("spectrum", **CRAB, **DAY, n_bins=5, reuse="never", wait=False)
    assert run.phase in ("PENDING", "QUEUED", "EXECUTING") and run.request is not None
    assert run.wait(timeout=60, poll=0.1) is run and run.phase == "COMPLETED"
    status = client.run_status(run.id)
    assert status.phase == "COMPLETED" and "completed" in status.data["log_tail"]
    asked = client.request(run.request["iri"])
    assert asked.id == run.id and asked.request and asked.request["parameters"]["n_bins"] == "5"


def test_a_run_that_outlasts_the_timeout_can_be_cancelled(client: Client) -> None:
    with pytest.raises(RunTimeout) as caught:
        client.run("lightcurve", **CRAB, **DAY, time_bin=300, reuse="never", timeout=0.3)
    assert isinstance(caught.value, TimeoutError)
    run = caught.value.run
    assert run.phase in ("PENDING", "QUEUED", "EXECUTING")
    assert run.cancel().phase in ("PENDING", "QUEUED", "EXECUTING", "ABORTED")
    with pytest.raises(RunFailed) as aborted:
        run.wait(timeout=60, poll=0.2)
    assert aborted.value.run.phase == "ABORTED" and run.message == "cancelled"


def test_cancelling_a_finished_run_is_a_conflict(client: Client) -> None:
    run = client.run("spectrum", **CRAB, **DAY)
    with pytest.raises(RequestRejected) as caught:
        client.cancel(run.id)
    assert caught.value.status == 409 and "COMPLETED" in str(caught.value)


def test_provenance_and_ro_crate(client: Client, tmp_path: Path) -> None:
    (result,) = client.run("spectrum", **CRAB, **DAY).results
    turtle = result.provenance()
    assert "prov:wasGeneratedBy" in turtle and result.id in turtle
    assert result.provenance("provn").startswith("document")
    assert json.loads(result.provenance("jsonld"))
    assert "entity" in json.loads(result.provenance("provjson"))
    crate = result.ro_crate(tmp_path)
    assert crate == tmp_path / f"{result.id}.crate.zip"
    with zipfile.ZipFile(crate) as z:
        assert "ro-crate-metadata.json" in z.namelist()
        assert "spectrum.fits" in z.namelist()


def test_a_file_that_changed_on_the_site_fails_its_checksum(server: LiveServer,
                                                             client: Client) -> None:
    (result,) = client.run("spectrum", **CRAB, **DAY, n_bins=4, reuse="never").results
    stored = server.site.runs.results / result.id / "spectrum.fits"
    data = bytearray(stored.read_bytes())
    data[-1] ^= 0xFF  # same size, different bytes
    stored.write_bytes(bytes(data))
    with pytest.raises(ClientError, match="SHA-256"):
        result.open_fits()
    with pytest.raises(ClientError, match=r"no file 'nope\.fits'"):
        result.fetch("nope.fits")


def test_an_unreachable_site_is_a_client_error() -> None:
    with Client(f"http://127.0.0.1:{free_port()}", timeout=5) as client, \
            pytest.raises(ClientError) as caught:
        client.result("anything")
    assert isinstance(caught.value.__cause__, httpx.HTTPError)
    assert not isinstance(caught.value, RequestRejected)


def test_unknown_ids_are_404(client: Client) -> None:
    lookups: list[Any] = [client.result, client.run_status, client.request]
    for lookup in lookups:
        with pytest.raises(RequestRejected) as caught:
            lookup("does-not-exist")
        assert caught.value.status == 404
