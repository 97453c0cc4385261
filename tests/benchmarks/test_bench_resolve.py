"""benchmarks/resolve.py --quick runs end to end and prints every figure (so it cannot rot)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import needs

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "resolve.py"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_quick_run_prints_every_figure(tmp_path: Path) -> None:
    needs(shutil.which("java") is not None, "Java (HermiT registers the example workflows)")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--workdir", str(tmp_path / "work")],
        capture_output=True, text=True, timeout=540, check=False)
    report = done.stdout
    assert done.returncode == 0, f"{report[-3000:]}\n{done.stderr[-3000:]}"
    for heading in ("## 1. data", "## 2. resolution in-process", "## 3. reuse lookup in-process",
                    "## 4. substitutions against constants", "## 5. over HTTP",
                    "## 6. HTTP against in-process", "## 7. where the time goes in the service",
                    "## 8. local executor overhead",
                    "## targets"):
        assert heading in report, f"missing {heading!r} in:\n{report}"
    assert re.search(r"TOTAL [\d,]+ quads", report)
    for row in ("prepare(kg, Asked(...))", "resolve(kg, prepared, site, runnable)",
                "raw Store.query, same texts (baseline)", "find_reusable, hit",
                "raw Store.query, same texts, hit (baseline)", "find_reusable, miss",
                "substitutions=", "constants (queries.inline)",
                "POST /requests?dry_run=true (resolution)", "  same, no token: 401 after prepare",
                "POST /requests -> 200 reused", "RunService.plan in-process (reuse never)",
                "RunService.submit in-process (reuse hit)",
                "LocalExecutor submit..COMPLETED - subprocess.run"):
        line = next((ln for ln in report.splitlines() if ln.startswith(row)), None)
        assert line is not None, f"no row {row!r} in:\n{report}"
        assert re.match(re.escape(row) + r"\s+\d+\.\d+\s+\d+\.\d+", line), line
    assert "NOT MEASURED" not in report
    assert re.search(r"\d+/\d+ found", report)
    assert "0 unexpected hits" in report
    assert "candidate sets differing from raw's: 0" in report
    section3 = report.split("## 3.", 1)[1].split("## 4.", 1)[0]
    assert section3.count("chosen run differing from raw's: 0") == 2, section3
    http = report.split("## 5. over HTTP", 1)[1].split("## 6.", 1)[0]
    assert not re.search(r"\d+ errors", http), http
    targets = report.split("## targets", 1)[1]
    assert len(re.findall(r"ms  (PASS|FAIL) \(target <= \d+ ms", targets)) == 3, targets
