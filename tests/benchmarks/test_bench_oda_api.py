"""benchmarks/oda_api.py --quick runs end to end and prints every figure (so it cannot rot)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "oda_api.py"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_quick_run_prints_every_figure(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--workdir",
                           str(tmp_path / "work")],
                          capture_output=True, text=True, timeout=280, check=False)
    report = done.stdout
    assert done.returncode == 0, f"{report[-3000:]}\n{done.stderr[-3000:]}"
    for row in ("trivial workflow, new run (dispatcher_wait 5 s)",
                "  same, dispatcher_wait 0 (client polls, 1 s)",
                "reused result, another session"):
        line = next((ln for ln in report.splitlines() if ln.startswith(row)), None)
        assert line is not None, f"no row {row!r} in:\n{report}"
        assert re.match(re.escape(row) + r"\s+\d+\.\d+\s+\d+\.\d+\s+\d+\.\d+\s+5$", line), line
        assert f"{row}: p50 / floor = " in report
    polled = next(ln for ln in report.splitlines() if ln.startswith("  same, dispatcher_wait"))
    assert float(polled.split()[-4]) >= 1000  # the client's own 1 s sleep, as measured
