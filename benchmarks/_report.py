"""What every benchmark shares: progress lines, latency rows, machine facts, ratios, CPU
pinning, and the report printed at the end (titled sections of lines)."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Protocol

from _http import percentile

HEADER = f"{'contender':50} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'n':>6}"


class Report:
    """Sections of text printed together at the end, under `title`."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.sections: list[tuple[str, list[str]]] = []

    def section(self, title: str) -> list[str]:
        """A new section; append lines to the returned list."""
        lines: list[str] = []
        self.sections.append((title, lines))
        return lines

    def render(self) -> str:
        """The whole report."""
        out = ["", "=" * 100, self.title, "=" * 100]
        for title, lines in self.sections:
            out += ["", f"## {title}", *lines]
        return "\n".join(out) + "\n"


class Stoppable(Protocol):
    """A server a benchmark started."""

    def stop(self) -> None: ...


def log(msg: str) -> None:
    """Progress on stderr (the report goes to stdout at the end)."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def ratio(x: float | None, y: float | None) -> str:
    """x / y to two decimals (three below 0.1), or n/a."""
    if not x or not y:
        return "n/a"
    r = x / y
    return f"{r:.3f}" if r < 0.1 else f"{r:.2f}"


@contextlib.contextmanager
def pinned_to(core: str) -> Iterator[None]:
    """Run this process on CPU `core` for the duration of the block."""
    before = os.sched_getaffinity(0)
    with contextlib.suppress(OSError, ValueError):
        os.sched_setaffinity(0, {int(core)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def dist(name: str) -> str:
    """The installed version of a distribution, or "not installed"."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def cpu_line() -> str:
    """Cores, CPU model and the load average now."""
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (f"cores: {os.cpu_count()} ({model or platform.machine()}), load average at start: "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


@dataclass
class Latency:
    """Per-request latencies (ms) of one contender."""

    label: str
    ms: list[float]
    note: str = ""
    errors: int = 0

    def p(self, q: float) -> float:
        """The q-quantile in ms (nearest rank)."""
        return percentile(sorted(self.ms), q)

    def row(self) -> str:
        """One line of a table."""
        if not self.ms:
            return f"{self.label:50} {self.note}"
        return (f"{self.label:50} {self.p(0.5):8.3f} {self.p(0.99):8.3f} "
                f"{statistics.fmean(self.ms):8.3f} {len(self.ms):6}"
                + (f" {self.errors} errors" if self.errors else "")
                + (f"  [{self.note}]" if self.note else ""))


def table(out: list[str], rows: Sequence[Latency]) -> None:
    """A table of latencies, with a blank line before and after."""
    out += ["", HEADER, *(r.row() for r in rows), ""]


def finish(report: Report, *, started: float, work: Path, keep: bool,
           servers: Iterable[Stoppable]) -> None:
    """Stop the servers, remove the work directory unless `keep`, print the report."""
    for server in servers:
        server.stop()
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    report.section("done").append(
        f"total {time.perf_counter() - started:.0f} s; load average at end: {load}; "
        f"work dir {'kept: ' + str(work) if keep else 'removed'}")
    print(report.render(), flush=True)
