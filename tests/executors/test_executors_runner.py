"""The job runner, `python -m mmoda.executors.runner JOBDIR`, run for real as a subprocess.

It executes the example workflows (SIMULATED data) and small notebooks and functions written
here, and the tests read what it leaves in the job directory: `manifest.json`, `outputs/`,
`progress.jsonl`, `executed.ipynb` and `runner.log`.
"""

from __future__ import annotations

import hashlib
import json
import math
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from mmoda.executors.outputs import (
    OutputError,
    media_type,
    read_manifest,
    read_progress,
    store_value,
)
from support import needs

WORKFLOWS = Path(__file__).resolve().parents[2] / "examples" / "workflows"
ODA = "http://odahub.io/ontology#"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RUNNER = [sys.executable, "-m", "mmoda.executors.runner"]
LIGHT_CURVE_OUTPUTS = [{"name": "lightcurve", "type": f"{ODA}LightCurve"},
                       {"name": "lightcurve_png", "type": f"{ODA}ODAPictureProduct"},
                       {"name": "mean_rate", "type": f"{ODA}Float"}]


def write_job(jobdir: Path, **fields: Any) -> Path:
    """Write `jobdir/job.json` with a run IRI and the given fields."""
    jobdir.mkdir(parents=True, exist_ok=True)
    (jobdir / "job.json").write_text(json.dumps({"run": "urn:test:run", **fields}))
    return jobdir


def run(jobdir: Path) -> tuple[int, dict[str, Any]]:
    """Run the real runner on `jobdir`: its exit status and the manifest it wrote."""
    done = subprocess.run([*RUNNER, str(jobdir)], capture_output=True, text=True, timeout=240)
    manifest = read_manifest(jobdir)
    assert manifest is not None, done.stderr
    return done.returncode, dict(manifest)


def outputs_by_name(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["name"]: o for o in manifest["outputs"]}


def only_file(jobdir: Path, output: dict[str, Any]) -> Path:
    """The single file of an output, checked against its size and sha256 in the manifest."""
    [entry] = output["files"]
    path = jobdir / entry["path"]
    assert entry["path"].startswith("outputs/")
    assert entry["size"] == path.stat().st_size
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    return path


def write_notebook(path: Path, *cells: tuple[str, list[str]]) -> Path:
    """A notebook of code cells (source, tags) on the python3 kernel."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    for source, tags in cells:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def kernel() -> None:
    """The python3 Jupyter kernel the runner executes notebooks on."""
    kernelspec = pytest.importorskip("jupyter_client.kernelspec")
    try:
        kernelspec.KernelSpecManager().get_kernel_spec("python3")
    except kernelspec.NoSuchKernel:
        needs(False, "no python3 Jupyter kernel: run `python -m ipykernel install --sys-prefix`")


@pytest.mark.slow
def test_light_curve_notebook(kernel: None, tmp_path: Path) -> None:
    jobdir = write_job(tmp_path / "job", kind="notebook",
                       source=str(WORKFLOWS / "lightcurve.ipynb"),
                       parameters={"E1_keV": 25.0, "time_bin": 1200.0},
                       outputs=LIGHT_CURVE_OUTPUTS, timeout=300)
    code, manifest = run(jobdir)
    assert code == 0, manifest.get("error")
    assert manifest["run"] == "urn:test:run" and manifest["status"] == "completed"
    assert manifest["started"] <= manifest["ended"]
    outputs = outputs_by_name(manifest)
    assert [o["type"] for o in manifest["outputs"]] == [o["type"] for o in LIGHT_CURVE_OUTPUTS]

    lc_file = only_file(jobdir, outputs["lightcurve"])
    assert outputs["lightcurve"]["files"][0]["media_type"] == "application/fits"
    assert "value" not in outputs["lightcurve"]
    lc = Table.read(lc_file, hdu="RATE")
    assert len(lc) > 50 and lc.meta["E_MIN"] == 25.0
    assert np.all(np.diff(lc["TIME"]) > 0)

    png = only_file(jobdir, outputs["lightcurve_png"])
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    assert outputs["lightcurve_png"]["files"][0]["media_type"] == "image/png"

    mean_rate = outputs["mean_rate"]["value"]
    assert json.loads(only_file(jobdir, outputs["mean_rate"]).read_text()) == mean_rate
    assert mean_rate == pytest.approx(lc.meta["MEANRATE"])

    executed = nbformat.read(jobdir / manifest["notebook"]["path"], as_version=4)
    assert manifest["notebook"]["media_type"] == "application/x-ipynb+json"
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)
    assert (jobdir / "work" / "data" / "sim_isgri_events.fits").is_file()  # ran in a copy
    assert "completed" in (jobdir / "runner.log").read_text()


@pytest.mark.slow
def test_image_notebook(kernel: None, tmp_path: Path) -> None:
    jobdir = write_job(tmp_path / "job", kind="notebook", source=str(WORKFLOWS / "image.ipynb"),
                       parameters={"npix": 40, "pixel_size": 4.0},
                       outputs=[{"name": "image", "type": f"{ODA}Image"},
                                {"name": "image_png", "type": f"{ODA}ODAPictureProduct"},
                                {"name": "peak_ra", "type": f"{ODA}Float"},
                                {"name": "peak_dec", "type": f"{ODA}Float"}])
    code, manifest = run(jobdir)
    assert code == 0, manifest.get("error")
    outputs = outputs_by_name(manifest)
    with fits.open(only_file(jobdir, outputs["image"])) as hdul:
        assert hdul[0].data.shape == (40, 40)
        assert hdul[0].header["CTYPE1"] == "RA---TAN"
    assert only_file(jobdir, outputs["image_png"]).read_bytes()[:8] == PNG_SIGNATURE
    assert outputs["peak_ra"]["value"] == pytest.approx(83.63, abs=0.2)
    assert outputs["peak_dec"]["value"] == pytest.approx(22.01, abs=0.2)


def test_spectrum_function(tmp_path: Path) -> None:
    jobdir = write_job(tmp_path / "job", kind="function", source=str(WORKFLOWS / "spectrum.py"),
                       entry="spectrum", parameters={"E1_keV": 20.0, "E2_keV": 200.0},
                       outputs=[{"name": "spectrum", "type": f"{ODA}Spectrum"}])
    code, manifest = run(jobdir)
    assert code == 0, manifest.get("error")
    [output] = manifest["outputs"]
    assert output["type"] == f"{ODA}Spectrum" and "notebook" not in manifest
    path = only_file(jobdir, output)
    assert path.name == "spectrum.fits" and output["files"][0]["media_type"] == "application/fits"
    with fits.open(path) as hdul:
        header, rows = hdul["SPECTRUM"].header, len(hdul["SPECTRUM"].data)
    assert rows == 12
    assert header["PHOTINDX"] == pytest.approx(2.1, abs=0.1)
    assert header["INSTRUME"] == "SIM-ISGRI"


def test_failing_parameter_carries_the_workflow_message(tmp_path: Path) -> None:
    jobdir = write_job(tmp_path / "job", kind="function", source=str(WORKFLOWS / "spectrum.py"),
                       entry="spectrum", parameters={"E1_keV": 250.0, "E2_keV": 200.0},
                       outputs=[{"name": "spectrum", "type": f"{ODA}Spectrum"}])
    code, manifest = run(jobdir)
    assert code == 1
    assert manifest["status"] == "failed" and manifest["outputs"] == []
    error = manifest["error"]
    assert error["type"] == "ValueError"
    assert error["message"] == "need 0 < E1_keV < E2_keV, got 250.0, 200.0"
    assert "spectrum.py" in error["traceback"]
    assert "ValueError" in (jobdir / "runner.log").read_text()


@pytest.mark.slow
def test_notebook_that_raises(kernel: None, tmp_path: Path) -> None:
    write_notebook(tmp_path / "job" / "nb" / "fails.ipynb",
                   ("threshold = 1.0", ["parameters"]),
                   ("if threshold > 0:\n    raise RuntimeError(f'threshold {threshold} too high')",
                    []),
                   ("result = threshold  # oda:Float", ["outputs"]))
    jobdir = write_job(tmp_path / "job", kind="notebook", source="nb/fails.ipynb",
                       parameters={"threshold": 2.5})
    code, manifest = run(jobdir)
    assert code == 1
    assert manifest["error"]["type"] == "RuntimeError"
    assert manifest["error"]["message"] == "threshold 2.5 too high"
    assert "\x1b[" not in manifest["error"]["traceback"]
    assert (jobdir / manifest["notebook"]["path"]).is_file()


@pytest.mark.slow
def test_notebook_progress_and_outputs_cell(kernel: None, tmp_path: Path) -> None:
    write_notebook(
        tmp_path / "src" / "progress.ipynb",
        ("steps = 2", ["parameters"]),
        ("from oda_api.api import ProgressReporter\n"
         "reporter = ProgressReporter()\n"
         "for i in range(steps):\n"
         "    reporter.report_progress(stage=f'stage {i}', progress=i, progress_max=steps,\n"
         "                             substage='sub', message='working')\n"
         "squares = [i * i for i in range(steps)]", []),
        ("squares = squares  # oda:List\nenabled = reporter.enabled  # oda:Boolean", ["outputs"]))
    jobdir = write_job(tmp_path / "job", kind="notebook",
                       source=str(tmp_path / "src" / "progress.ipynb"), parameters={"steps": 4})
    code, manifest = run(jobdir)
    assert code == 0, manifest.get("error")
    reports = read_progress(jobdir)
    assert [r["stage"] for r in reports] == ["stage 0", "stage 1", "stage 2", "stage 3"]
    assert all(r["progress_max"] == 4 and r["message"] == "working" for r in reports)
    assert all(r["time"].endswith("+00:00") for r in reports)
    outputs = outputs_by_name(manifest)  # job.json declares none: read from the outputs cell
    assert outputs["squares"] == {"name": "squares", "type": f"{ODA}List",
                                  "files": outputs["squares"]["files"], "value": [0, 1, 4, 9]}
    assert outputs["enabled"]["value"] is True
    assert not (tmp_path / "src" / ".oda_api_context").exists()  # only the copy has it


FUNCTIONS = '''\
import time
from typing import NamedTuple

import numpy as np


class Result(NamedTuple):
    counts: np.ndarray
    summary: dict
    scale: float


def analyse(n: int, progress=None) -> Result:
    for i in range(n):
        progress(stage="counting", progress=i, progress_max=n)
    return Result(np.arange(n) * 2, {"n": n, "bad": float("nan")}, np.float64(1.5))


def partial(n: int) -> dict:
    return {"counts": n}


def slow(seconds: float) -> float:
    time.sleep(seconds)
    return seconds
'''


def function_job(tmp_path: Path, entry: str, parameters: dict[str, Any], **extra: Any) -> Path:
    """A job calling `entry` in a module of small functions written next to the job."""
    (tmp_path / "fn").mkdir(exist_ok=True)
    (tmp_path / "fn" / "functions.py").write_text(FUNCTIONS)
    declared = [{"name": "counts", "type": f"{ODA}NumpyArray"},
                {"name": "summary", "type": f"{ODA}StructuredData"},
                {"name": "scale", "type": f"{ODA}Float"}]
    return write_job(tmp_path / "job", kind="function", source="../fn/functions.py",
                     entry=entry, parameters=parameters, outputs=declared, **extra)


def test_function_progress_and_named_tuple(tmp_path: Path) -> None:
    jobdir = function_job(tmp_path, "analyse", {"n": 3})
    code, manifest = run(jobdir)
    assert code == 0, manifest.get("error")
    assert [r["progress"] for r in read_progress(jobdir)] == [0, 1, 2]
    outputs = outputs_by_name(manifest)
    counts = only_file(jobdir, outputs["counts"])
    assert counts.suffix == ".npy" and np.load(counts).tolist() == [0, 2, 4]
    assert outputs["summary"]["value"] == {"n": 3, "bad": None}  # NaN is not JSON
    assert outputs["scale"]["value"] == 1.5


def test_function_missing_output(tmp_path: Path) -> None:
    code, manifest = run(function_job(tmp_path, "partial", {"n": 3}))
    assert code == 1
    assert manifest["error"]["type"] == "OutputError"
    assert "declared outputs ['counts', 'summary', 'scale']" in manifest["error"]["message"]


def test_timeout(tmp_path: Path) -> None:
    code, manifest = run(function_job(tmp_path, "slow", {"seconds": 30}, timeout=1))
    assert code == 1
    assert manifest["error"]["type"] == "JobTimeout"
    assert "timeout of 1 s" in manifest["error"]["message"]


def test_sigterm_cancels(tmp_path: Path) -> None:
    jobdir = function_job(tmp_path, "slow", {"seconds": 30})
    proc = subprocess.Popen([*RUNNER, str(jobdir)], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    log = jobdir / "runner.log"
    while not (log.is_file() and "calling slow()" in log.read_text()):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 1
    manifest = read_manifest(jobdir)
    assert manifest is not None and manifest["status"] == "failed"
    assert manifest["error"]["type"] == "JobCancelled"


@pytest.mark.parametrize(("job", "message"), [
    ('{"run": "urn:x", "kind": "notebook"', "cannot read job.json"),
    ('["not", "an", "object"]', "must hold a JSON object"),
    ('{"run": "urn:x", "kind": "shell", "source": "x.sh"}', "'kind' must be"),
    ('{"run": "urn:x", "kind": "notebook", "source": "missing.ipynb"}', "is not a file"),
    ('{"run": "urn:x", "kind": "function", "source": "f.py"}', "'entry' is missing"),
    ('{"run": "urn:x", "kind": "function", "source": "f.py", "entry": "nope"}', "no function"),
    ('{"run": "urn:x", "kind": "function", "source": "f.py", "entry": "f", "timeout": -1}',
     "'timeout' must be"),
])
def test_bad_job_json(tmp_path: Path, job: str, message: str) -> None:
    (tmp_path / "f.py").write_text("def f():\n    return 1\n")
    (tmp_path / "job.json").write_text(job)
    code, manifest = run(tmp_path)
    assert code == 2
    assert manifest["status"] == "failed" and manifest["error"]["type"] == "JobError"
    assert message in manifest["error"]["message"]


def test_missing_job_directory(tmp_path: Path) -> None:
    done = subprocess.run([*RUNNER, str(tmp_path / "absent")], capture_output=True, text=True)
    assert done.returncode == 2 and "not a directory" in done.stderr


def test_runner_imports_no_platform_packages() -> None:
    probe = textwrap.dedent("""
        import sys
        import mmoda.executors.runner
        heavy = ("rdflib", "pyoxigraph", "fastapi", "pydantic", "mmoda.kg", "mmoda.api",
                 "mmoda.workflows")
        print([m for m in sys.modules if m.startswith(heavy)])
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_store_value_kinds(tmp_path: Path) -> None:
    (tmp_path / "table.ecsv").write_text("# %ECSV 1.0\n")
    stored = store_value("tab", "table.ecsv", tmp_path / "out", tmp_path)
    assert stored == {"files": ["tab.ecsv"]}
    assert media_type(tmp_path / "out" / "tab.ecsv") == "text/x-ecsv"
    assert store_value("text", "not a file", tmp_path / "out", tmp_path)["value"] == "not a file"
    stored = store_value("q", np.array([1.0, math.inf]), tmp_path / "out", tmp_path)
    assert stored == {"files": ["q.npy"]}
    with pytest.raises(OutputError, match="a object cannot be stored"):
        store_value("thing", object(), tmp_path / "out", tmp_path)
    assert media_type(Path("x.fits")) == "application/fits"
    assert media_type(Path("x.fits.gz")) == "application/gzip"
    assert media_type(Path("x.unknownext")) == "application/octet-stream"
