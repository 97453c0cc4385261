"""Overhead of the local executor: submit → COMPLETED of a no-op job minus a bare subprocess.run.

For each command (`true`, then `python -c pass`), N interleaved rounds (default 200, after a
few warm-up rounds) time (a) `subprocess.run(command)` and (b) `LocalExecutor.submit` of the
same command in a fresh work directory followed by `wait` until COMPLETED. (b) includes the
work directory and control files, the job wrapper's start-up (``python -I -S``), the log
files and the waiter thread noticing the end. The report gives p50/p99 of (a), (b) and of the
per-round difference (b - a), the overhead; the target is ≤ 50 ms (the exit status
follows p50; p99 is reported, it suffers most from other load on the machine).

Run: .venv/bin/python benchmarks/executor_local.py [--runs N] [--keep]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mmoda.executors.base import JobSpec, JobState
from mmoda.executors.local import LocalExecutor

TARGET_MS = 50.0


def percentile(values: list[float], q: float) -> float:
    """The `q` quantile (0..1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def raw(command: list[str]) -> float:
    begun = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - begun


def executed(executor: LocalExecutor, command: list[str], workdir: Path) -> float:
    begun = time.perf_counter()
    handle = executor.submit(JobSpec(run_id=workdir.name, command=command, workdir=workdir))
    status = executor.wait([handle], timeout=60)[handle]
    elapsed = time.perf_counter() - begun
    if status.state is not JobState.COMPLETED:
        raise SystemExit(f"{workdir.name}: {status}")
    return elapsed


def measure(executor: LocalExecutor, command: list[str], root: Path, runs: int) -> dict[str, list]:
    times: dict[str, list[float]] = {"subprocess.run": [], "executor": [], "overhead": []}
    for i in range(-5, runs):  # five warm-up rounds
        a = raw(command)
        b = executed(executor, command, root / f"{Path(command[0]).name}-{i + 5}")
        if i >= 0:
            times["subprocess.run"].append(a)
            times["executor"].append(b)
            times["overhead"].append(b - a)
    return times


def report(label: str, times: dict[str, list[float]]) -> bool:
    print(f"\n{label}  ({len(times['overhead'])} runs)")
    print(f"  {'':16} {'p50 ms':>9} {'p99 ms':>9}")
    for name, values in times.items():
        p50, p99 = percentile(values, 0.5) * 1e3, percentile(values, 0.99) * 1e3
        print(f"  {name:16} {p50:9.2f} {p99:9.2f}")
    overhead = times["overhead"]
    met = {q: percentile(overhead, q) * 1e3 <= TARGET_MS for q in (0.5, 0.99)}
    print(f"  overhead ≤ {TARGET_MS:.0f} ms: p50 {'met' if met[0.5] else 'MISSED'}, "
          f"p99 {'met' if met[0.99] else 'MISSED'}")
    return met[0.5]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the work directories")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mmoda-bench-local-"))
    print(f"machine: {os.cpu_count()} cores, {platform.platform()}, "
          f"Python {platform.python_version()}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    commands = {"true": [shutil.which("true") or "/bin/true"],
                "python -c pass": [sys.executable, "-c", "pass"]}
    ok = True
    try:
        with LocalExecutor({"max_jobs": 4}) as executor:
            for label, command in commands.items():
                print(f"measuring {label} ...", file=sys.stderr)
                ok = report(label, measure(executor, command, root / label.split()[0],
                                           args.runs)) and ok
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
