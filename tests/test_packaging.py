"""The built distribution installs one import namespace, `mmoda`, with its data files."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_holds_only_the_mmoda_namespace(tmp_path: Path) -> None:
    # Build from a copy: an in-tree build would leave build/ behind in the checkout.
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".*_cache", ".typecheck",
        "mmoda-data", ".work"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("mmoda-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"mmoda"}
    assert not {"api", "kg", "ontology", "shapes", "tests"} & tops
    for data in ("mmoda/ontology/mmoda.ttl", "mmoda/ontology/oda.ttl",
                 "mmoda/ontology/context.jsonld", "mmoda/kg/queries/members.rq",
                 "mmoda/api/templates/node.html", "mmoda/examples/catalog/catalog.ttl"):
        assert data in names, data
    assert any(n.startswith("mmoda/shapes/") and n.endswith(".ttl") for n in names)
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "mmoda = mmoda.api.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
