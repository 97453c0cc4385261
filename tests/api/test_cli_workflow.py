"""`mmoda workflow add|list|show` as a contributor runs them, on an on-disk store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from support import SECRET

MMODA = [sys.executable, "-m", "mmoda.api.cli", "workflow"]
ROOT = Path(__file__).resolve().parents[2]
LICENSE = "# http://purl.org/dc/terms/license https://spdx.org/licenses/MIT\n"


def run(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MMODA_JWT_SECRET": SECRET}
    return subprocess.run([*MMODA, *args, "--data-dir", str(data)], capture_output=True,
                          text=True, env=env, check=False, timeout=300)


def write_notebook(path: Path, parameters: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Band counts"),
                nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]})]
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_add_list_show_and_a_new_version(tmp_path: Path) -> None:
    data = tmp_path / "store"
    line = "band = '{}'  # oda:PhotometricBand ; oda:allowed_value 'b','g'\n"
    path = write_notebook(tmp_path / "band.ipynb", LICENSE + line.format("b"))
    added = run("add", str(path), data=data)
    assert added.returncode == 0, added.stderr
    assert "/workflows/band (new version v-" in added.stdout
    write_notebook(path, LICENSE + line.format("g"))
    again = run("add", str(path), data=data)
    assert "new version" in again.stdout and "revises" in again.stdout
    listing = run("list", data=data).stdout
    assert "band" in listing and "lightcurve" in listing and "spectrum" in listing
    band_row = next(line for line in listing.splitlines() if line.startswith("band "))
    assert band_row.rstrip().endswith("2")  # two versions
    shown = run("show", "band", data=data)
    assert "PhotometricBand" in shown.stdout and "https://spdx.org/licenses/MIT" in shown.stdout
    turtle = run("show", "band", "--format", "ttl", data=data).stdout
    assert "wasRevisionOf" in turtle
    example = run("add", str(ROOT / "examples" / "workflows" / "lightcurve.ipynb"), data=data)
    assert example.returncode == 0, example.stderr
    assert "/workflows/lightcurve (unchanged v-" in example.stdout  # registered at first start


@pytest.mark.slow
def test_errors_exit_non_zero_with_the_reason(tmp_path: Path) -> None:
    data = tmp_path / "store"
    bad = write_notebook(tmp_path / "bad.ipynb", "x = 1.0\n")
    failed = run("add", str(bad), data=data)
    assert failed.returncode == 1 and "no licence" in failed.stderr
    missing = run("show", "nosuch", data=data)
    assert missing.returncode == 1 and "no workflow 'nosuch'" in missing.stderr
    no_path = run("add", "https://example.org/repo.git", data=data)
    assert no_path.returncode == 2 and "--path" in no_path.stderr
