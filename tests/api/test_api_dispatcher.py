"""The real oda-api client (PyPI, pinned), unchanged, against a live MMODA site.

The site answers the MMODA dispatcher's protocol from its own catalog, requests, runs and
results: instruments and product descriptions, light curves and images of the example
workflows (SIMULATED data) equal to the Result files, failures with the workflow's message,
role-restricted instruments, unknown parameters, reuse across sessions, `api_code`.
"""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import numpy as np
import pyoxigraph as ox
import pytest
from astropy.io import fits
from oda_api.api import (
    DispatcherAPI,
    RemoteException,
    RequestNotUnderstood,
    Unauthorized,
    UserError,
)
from oda_api.data_products import NumpyDataProduct, PictureProduct, TextLikeProduct

from mmoda.workflows.sources import from_path, from_service
from support import LiveServer, free_port, make_settings, nb2service, start_server, token

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "tests" / "dispatcher" / "workflows"
LC = {"RA": 83.6331, "DEC": 22.0145, "T1": "2003-03-15T10:00:00", "T2": "2003-03-15T20:00:00",
      "E1_keV": 30.0, "time_bin": 900.0}
RUNS = "https://odahub.io/mmoda/graph/runs"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("site")
    live = start_server(make_settings(
        tmp / "data", port=free_port(), poll_interval=0.1, anonymous_runs=True,
        dispatcher_wait=3.0, executors={"local": {"kind": "local", "max_jobs": 2}}))
    live.site.registry.register_many([
        ("echo", from_path(WORKFLOWS / "echo.py", function="echo")),
        ("broken", from_path(WORKFLOWS / "broken.py", function="broken")),
        ("secret", from_path(WORKFLOWS / "private.py", function="secret"))])
    secret = live.site.iri("workflows", "secret")
    live.site.kg.update(f"""INSERT DATA {{ GRAPH <https://odahub.io/mmoda/graph/catalog> {{
        <{secret}> <https://odahub.io/mmoda#allowedRole> "integral-private" }} }}""")
    yield live
    live.stop()


def mmoda_token(server: LiveServer, roles: str, subject: str = "ann@example.org") -> str:
    """A token as MMODA's dispatcher issues them (HS256, e-mail subject, roles as text)."""
    claims = {"sub": subject, "email": subject, "name": "Ann", "roles": roles,
              "exp": int(time.time()) + 3600}
    return jwt.encode(claims, server.site.settings.secret(), algorithm="HS256")


def client(server: LiveServer, **kw: Any) -> DispatcherAPI:
    return DispatcherAPI(url=server.url, **kw)


def run_count(server: LiveServer) -> int:
    query = (f"SELECT (COUNT(?r) AS ?n) WHERE {{ GRAPH <{RUNS}> "
             "{ ?r a <https://odahub.io/mmoda#Run> } }")
    [row] = server.site.kg.query(query)
    return int(row["n"].value)  # type: ignore[index]


def result_files(server: LiveServer, job_id: str) -> dict[str, bytes]:
    """The files of the results answering request `job_id`, from the site's own routes."""
    json_ = {"Accept": "application/json"}
    with server.client() as http:
        view = http.get(f"/requests/{job_id}", headers=json_).json()
        files = {}
        for item in view["results"]:
            result = http.get(item["iri"], headers=json_).json()
            for f in result["files"]:
                files[f["name"]] = http.get(f["url"]).content
    return files


def test_instruments_and_descriptions_come_from_the_catalog(server: LiveServer) -> None:
    assert "isgri_sim" in client(server).get_instruments_list()
    assert "isgri" not in client(server).get_instruments_list()
    allowed = client(server, token=mmoda_token(server, "integral-private"))
    assert {"isgri_sim", "isgri"} <= set(allowed.get_instruments_list())
    [described] = client(server).get_instrument_description("isgri_sim")
    assert described[0] == {"instrumet": "isgri_sim"}
    assert {"lightcurve", "image", "spectrum", "echo"} <= set(described[1]["prod_dict"])
    [product] = client(server).get_product_description("isgri_sim", "lightcurve")
    query = next(q for q in product[2:] if q[0].get("product_name") == "lightcurve")
    params = {p["name"]: p for p in query[1:]}
    assert list(params) == ["RA", "DEC", "radius", "T1", "T_format", "T2", "E1_keV", "E2_keV",
                            "time_bin"]
    assert params["E1_keV"]["units"] == "keV" and params["radius"]["units"] == "deg"
    assert params["E1_keV"]["restrictions"] == {"is_optional": False, "min_value": 15,
                                                "max_value": 300}
    assert params["T1"]["units"] == "isot" and params["time_bin"]["units"] == "s"
    assert params["RA"]["owl_uri"] == ["http://odahub.io/ontology#PointOfInterestRA"]


def test_par_names_publish_the_dispatcher_names(server: LiveServer) -> None:
    with server.client() as http:
        names = http.get("/api/par-names", params={"instrument": "isgri_sim",
                                                   "product_type": "echo"}).json()
        assert names == ["RA", "DEC", "T1", "T2", "band", "label", "scale", "weights",
                         "visible", "T_format", "token"]
        [meta] = http.get("/api/meta-data", params={"instrument": "isgri_sim",
                                                    "product_type": "echo"}).json()
        echo = {p["name"]: p for p in meta[3][1:]}
        assert echo["visible"]["restrictions"]["allowed_values"] == ["b", "g", "r", "v"]
        assert echo["scale"]["restrictions"]["is_optional"] is True
        assert echo["RA"]["extra_metadata"] == {"parameter": "ra"}
        unknown = http.get("/api/par-names", params={"instrument": "nope",
                                                     "product_type": "echo"})
    assert unknown.status_code == 400 and "instrument 'nope' is not known" in unknown.text


def test_light_curve_numbers_equal_the_result_files(server: LiveServer) -> None:
    disp = client(server)
    data = disp.get_product(instrument="isgri_sim", product="lightcurve", silent=True, **LC)
    numpy = [p for p in data._p_list if isinstance(p, NumpyDataProduct)]
    pictures = [p for p in data._p_list if isinstance(p, PictureProduct)]
    texts = {p.name: p.value for p in data._p_list if isinstance(p, TextLikeProduct)}
    files = result_files(server, data.request_job_id)
    with fits.open(io.BytesIO(files["lightcurve.fits"])) as hdul:
        rate = hdul["RATE"].data
        unit = next(u for u in numpy[0].data_unit if u.name == "RATE")
        for column in ("TIME", "COUNTS", "RATE", "NET_RATE", "NET_ERROR"):
            assert np.array_equal(unit.data[column], rate[column])
        assert unit.header["E_MIN"] == 30.0 == hdul["RATE"].header["E_MIN"]
    assert pictures[0].binary_data == files["lightcurve_png.png"]
    assert texts["mean_rate"] == pytest.approx(float(files["mean_rate.json"]))


def test_image_numbers_equal_the_result_file(server: LiveServer) -> None:
    data = client(server).get_product(instrument="isgri_sim", product="image", silent=True,
                                      RA=83.6331, DEC=22.0145, npix=32, pixel_size=4.0)
    files = result_files(server, data.request_job_id)
    [image] = [p for p in data._p_list if isinstance(p, NumpyDataProduct)]
    with fits.open(io.BytesIO(files["image.fits"])) as hdul:
        expected = hdul[0].data
    unit = image.data_unit[0]
    assert unit.data.shape == (32, 32) and np.array_equal(unit.data, expected)
    assert unit.header["CTYPE1"] == "RA---TAN" and unit.header["NAXIS1"] == 32
    written = Path(os.environ.get("TMPDIR", "/tmp")) / f"mmoda-oda-api-{os.getpid()}.fits"
    image.write_fits_file(str(written))
    with fits.open(written) as back:
        assert np.array_equal(back[0].data, expected)
    written.unlink()


def test_a_failing_workflow_raises_remote_exception_with_its_message(
        server: LiveServer) -> None:
    with pytest.raises(RemoteException) as caught:
        client(server).get_product(instrument="isgri_sim", product="broken", flux=7.5,
                                   silent=True)
    assert "no source brighter than 7.5 found in the field of view" in caught.value.message


def test_restricted_instruments_need_the_role(server: LiveServer) -> None:
    for kw in ({}, {"token": mmoda_token(server, "authenticated user")}):
        with pytest.raises(Unauthorized, match="integral-private"):
            client(server).get_product(instrument="isgri", product="secret", x=2.0,
                                       silent=True, **kw)
    data = client(server).get_product(instrument="isgri", product="secret", x=2.0, silent=True,
                                      token=mmoda_token(server, "integral-private"))
    assert [p.value for p in data._p_list] == [4.0]
    with pytest.raises(Unauthorized, match="invalid bearer token"):
        client(server).get_product(instrument="isgri_sim", product="echo", silent=True,
                                   token="not-a-token")


def test_unknown_parameters_are_reported_as_the_client_expects(server: LiveServer) -> None:
    before = len(server.site.kg.raw)
    with pytest.warns(UserWarning, match="the parameter: colour"), \
            pytest.raises(RequestNotUnderstood, match="unknown parameter colour"):
        client(server).get_product(instrument="isgri_sim", product="echo", colour="red",
                                   silent=True)
    strict = client(server)
    strict.strict_parameter_check = True
    with pytest.raises(UserError, match="colour"):
        strict.get_product(instrument="isgri_sim", product="echo", colour="red", silent=True)
    with pytest.raises(RequestNotUnderstood, match=r"E1_keV.*lower limit"):
        client(server).get_product(instrument="isgri_sim", product="lightcurve",
                                   E1_keV=5.0, silent=True)
    assert len(server.site.kg.raw) == before


def test_names_map_to_the_workflow_parameters(server: LiveServer) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every name is known to par-names
        data = client(server).get_product(
            instrument="isgri_sim", product="echo", RA=83.0, DEC="+22d00m36s", T_format="mjd",
            T1=52713.5, T2=52714.0, band="0.05 MeV", label="crab", scale=None,
            weights=[0.5, 2], silent=True)  # None travels as NUL, a list as JSON text
    [text] = [p.value for p in data._p_list]
    assert text == ("ra=83.0 dec=22.01 start=2003-03-15T12:00:00.000 "
                    "end=2003-03-16T00:00:00.000 band=50.0 label=crab scale=None "
                    "weights=[0.5, 2] visible=v")


def test_another_session_with_the_same_parameters_is_served_by_reuse(
        server: LiveServer) -> None:
    params = {**LC, "time_bin": 1800.0}
    first = client(server).get_product(instrument="isgri_sim", product="lightcurve",
                                       silent=True, **params)
    runs = run_count(server)
    other = client(server)
    second = other.get_product(instrument="isgri_sim", product="lightcurve", silent=True,
                               **params)
    assert run_count(server) == runs
    assert second.request_job_id != first.request_job_id
    assert "reused the result of run" in other.response_json["exit_status"]["comment"]
    a, b = (next(p for p in d._p_list if isinstance(p, NumpyDataProduct)) for d in (first, second))
    assert np.array_equal(a.data_unit[1].data["RATE"], b.data_unit[1].data["RATE"])


def test_api_code_reproduces_the_request(server: LiveServer, tmp_path: Path) -> None:
    disp = client(server)
    disp.get_product(instrument="isgri_sim", product="echo", label="again", silent=True,
                     token=mmoda_token(server, "authenticated user"))
    code = disp.response_json["products"]["api_code"]
    assert "not-a-token" not in code and "eyJ" not in code  # the token itself never
    runs = run_count(server)
    env = {**os.environ, "ODA_TOKEN": mmoda_token(server, "authenticated user")}
    done = subprocess.run([sys.executable, "-c", code + "\nprint(data_collection._p_list)"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "label=again" in done.stdout
    assert run_count(server) == runs  # the same identity: answered by reuse


def test_protocol_replies(server: LiveServer) -> None:
    base = {"instrument": "isgri_sim", "product_type": "broken", "query_type": "Real",
            "off_line": "False", "query_status": "new", "session_id": "S0", "api": "True",
            "flux": "2.5"}
    with server.client() as http:
        first = http.get("/run_analysis", params=base)
        assert first.status_code == 200
        reply = first.json()
        job = reply["job_monitor"]["job_id"]
        assert reply["query_status"] in ("submitted", "progress", "failed")
        assert set(reply["exit_status"]) >= {"status", "message", "error_message",
                                             "debug_message", "comment", "warning"}
        status = reply["query_status"]
        while status not in ("done", "failed"):
            poll = http.post("/run_analysis", data={**base, "job_id": job,
                                                    "query_status": status})
            assert poll.status_code == 200 and poll.json()["job_monitor"]["job_id"] == job
            status = poll.json()["query_status"]
            assert status != "new" and "products" in poll.json()
        unknown = http.get("/run_analysis", params={**base, "job_id": "0" * 32,
                                                    "query_status": "submitted"})
        assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "job_id"
        moved = http.get("/api/instr-list", follow_redirects=False)
        assert moved.status_code == 302 and moved.headers["location"].endswith("/instr-list")


def test_inspect_state_needs_the_job_manager_role(server: LiveServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    disp = client(server)
    disp.get_product(instrument="isgri_sim", product="echo", label="inspected", silent=True)
    with server.client() as http:
        refused = http.get("/inspect-state", params={"token": mmoda_token(server, "user")})
        assert refused.status_code == 403
        answer = http.get("/inspect-state", params={
            "token": mmoda_token(server, "job manager"), "job_id": disp.job_id})
    [record] = answer.json()["records"]
    assert record["job_id"] == disp.job_id and record["job_status"] == "done"
    monkeypatch.setenv("ODA_TOKEN", token(server.site, "job-manager"))  # the client reads it
    grouped = client(server).inspect_state(job_id=disp.job_id, group_by_job=True)
    assert grouped["records"][0]["job_id"] == disp.job_id


def test_the_graph_holds_each_dispatcher_request(server: LiveServer) -> None:
    disp = client(server)
    disp.get_product(instrument="isgri_sim", product="echo", label="graph", silent=True)
    request = ox.NamedNode(server.site.iri("requests", disp.job_id))
    assert server.site.kg.raw.contains_named_graph(ox.NamedNode(RUNS))
    assert any(True for _ in server.site.kg.raw.quads_for_pattern(request, None, None,
                                                                   ox.NamedNode(RUNS)))


@pytest.mark.slow
def test_a_workflow_of_an_nb2service_runs_through_oda_api(
        server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> None:
    with nb2service(tmp_path_factory.mktemp("nb2service") / "work") as url:
        [spec] = from_service(url, license="MIT", instrument="isgri_sim")
        assert (spec.instrument, spec.product) == ("isgri_sim", "lightcurve")
        # the example notebook is already the site's isgri_sim/lightcurve: publish it apart
        server.site.registry.register(dataclasses.replace(spec, product="lightcurve-remote"),
                                      ident="lightcurve-remote")
        data = client(server).get_product(instrument="isgri_sim", product="lightcurve-remote",
                                          silent=True, **{**LC, "time_bin": 3600.0})
    files = result_files(server, data.request_job_id)
    [numpy] = [p for p in data._p_list if isinstance(p, NumpyDataProduct)]
    with fits.open(io.BytesIO(files["lightcurve.fits"])) as hdul:
        unit = next(u for u in numpy.data_unit if u.name == "RATE")
        assert np.array_equal(unit.data["RATE"], hdul["RATE"].data["RATE"])
        assert hdul["RATE"].header["TIMEDEL"] == 3600.0
    job = data.request_job_id
    with server.client() as http:
        run = http.get(f"/requests/{job}", headers={"Accept": "application/json"}).json()["run"]
    assert run["executor"] and run["phase"] == "COMPLETED"
    jobfile = server.site.runs.jobs / run["id"] / "job.json"
    assert '"service_url": "' + url in jobfile.read_text()


@pytest.mark.parametrize(("args", "field"), [
    ({"product_type": "echo"}, "instrument"),
    ({"instrument": "isgri_sim"}, "product_type"),
    ({"instrument": "isgri_sim", "product_type": "nope"}, "product_type"),
    ({"instrument": "isgri_sim", "product_type": "echo", "T_format": "jd"}, "T_format"),
    ({"instrument": "isgri_sim", "product_type": "echo", "band": "blue"}, "band"),
    ({"instrument": "isgri_sim", "product_type": "echo", "RA": "x", "DEC": "y"}, "RA"),
    ({"instrument": "isgri_sim", "product_type": "echo", "job_id": "../../etc",
      "query_status": "submitted"}, "job_id"),
])
def test_bad_input_names_the_field_and_stores_nothing(server: LiveServer, args: dict[str, str],
                                                      field: str) -> None:
    before = len(server.site.kg.raw)
    with server.client() as http:
        answer = http.get("/run_analysis", params={"session_id": "S", **args})
    body = answer.json()
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert body["errors"][0]["field"] == field and body["exit_status"]["message"]
    assert len(server.site.kg.raw) == before


def test_other_users_jobs_and_oversized_forms_are_refused(server: LiveServer) -> None:
    mine = client(server)
    mine.get_product(instrument="isgri_sim", product="echo", label="mine", silent=True,
                     token=mmoda_token(server, "user", subject="bob@example.org"))
    poll = {"instrument": "isgri_sim", "product_type": "echo", "label": "mine",
            "session_id": "S", "job_id": mine.job_id, "query_status": "done"}
    with server.client() as http:
        assert http.get("/run_analysis", params=poll).status_code == 403
        other = mmoda_token(server, "user", subject="eve@example.org")
        refused = http.get("/run_analysis", params={**poll, "token": other})
        assert refused.status_code == 403 and "only the user" in refused.json()["error"]
        owner = mmoda_token(server, "user", subject="bob@example.org")
        assert http.get("/run_analysis", params={**poll, "token": owner}).json()[
            "query_status"] == "done"
        huge = http.post("/run_analysis", data={"instrument": "isgri_sim",
                                                "product_type": "echo",
                                                "label": "x" * 11_000_000})
    assert huge.status_code == 413
