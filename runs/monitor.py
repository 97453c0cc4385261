"""Watching runs: batched polls of every executor, progress and phase written to the Run,
results written exactly once when a job ends, and re-attachment after a restart."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from mmoda.executors.base import Executor, JobHandle, JobState, JobStatus
from mmoda.executors.errors import ExecutorError
from mmoda.executors.outputs import read_manifest, read_progress
from mmoda.kg import graphs
from mmoda.kg.rdfio import value
from mmoda.kg.store import KnowledgeGraph
from mmoda.runs.nodes import progress_quads, updated
from mmoda.runs.results import RunContext, result_quads
from mmoda.runs.vocab import MMODA, PROV, XSD, literal

log = logging.getLogger("mmoda.runs")

__all__ = ["Active", "RunMonitor"]


@dataclass(frozen=True)
class Active:
    """A run being watched: its executor (IRI), job handle, job directory and what was seen."""

    run: str
    executor: str
    handle: JobHandle
    jobdir: Path
    state: str
    reports: int = 0


class RunMonitor:
    """Polls the executors of active runs and records what it sees in the graph."""

    def __init__(self, kg: KnowledgeGraph, executors: Mapping[str, Executor], *, base: str,
                 site: str, jobs: Path, results: Path, interval: float = 0.5) -> None:
        self.kg, self.executors, self.base, self.site = kg, executors, base, site
        self.jobs, self.results, self.interval = jobs, results, interval
        self.lock = threading.RLock()
        self._active: dict[str, Active] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: bumped after every write of a phase, progress or end: waiters compare it cheaply
        self.generation = 0

    def watch(self, active: Active) -> None:
        """Start watching a run just submitted."""
        with self.lock:
            self._active[active.run] = active

    def load(self, executor: str) -> int:
        """How many of the watched runs the executor (IRI) has: its queued and running jobs."""
        with self.lock:
            return sum(1 for a in self._active.values() if a.executor == executor)

    def active(self, run: str) -> Active | None:
        """The watched run, None when it is not (any more) active."""
        with self.lock:
            return self._active.get(run)

    def start(self) -> None:
        """Re-attach to unfinished runs, then poll in a background thread."""
        self.recover()
        self._thread = threading.Thread(target=self._loop, name="mmoda-runs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling (jobs keep running; a restart re-attaches to them)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll_once()
            except Exception:  # the monitor must outlive any one bad poll
                log.exception("polling runs failed")

    def recover(self) -> None:
        """Watch every unfinished run of this site again (a SPARQL query on external ids)."""
        rows = self.kg.select("runs/active_runs", bindings={"site": ox.NamedNode(self.site)})
        for row in rows:
            run, executor = value(row["run"]), value(row["executor"])
            if "handle" not in row or executor not in self.executors:
                self.finish(run, "ERROR", "the service stopped before the job was submitted"
                             if "handle" not in row else f"executor <{executor}> is gone", None)
                continue
            handle = JobHandle.parse(value(row["handle"]))
            self.watch(Active(run, executor, handle, self.jobs / run.rsplit("/", 1)[-1],
                              value(row["state"]), int(value(row["reports"]))))
        self._recover_handles()

    def _recover_handles(self) -> None:
        for iri, executor in self.executors.items():
            handles = [a.handle for a in self._snapshot() if a.executor == iri]
            if handles and executor.supports_recover:
                for handle, status in executor.recover(handles).items():
                    log.info("re-attached %s: %s", handle, status.state)

    def _snapshot(self) -> list[Active]:
        with self.lock:
            return list(self._active.values())

    def poll_once(self) -> None:
        """One batched poll per executor; record every change."""
        for iri, executor in self.executors.items():
            watched = [a for a in self._snapshot() if a.executor == iri]
            if not watched:
                continue
            try:
                statuses = executor.poll([a.handle for a in watched])
            except ExecutorError:
                log.exception("polling executor %s failed", iri)
                continue
            for active in watched:
                self._observe(active, statuses.get(active.handle, JobStatus(JobState.UNKNOWN)))

    def _observe(self, active: Active, status: JobStatus) -> None:
        reports = read_progress(active.jobdir)
        state = status.state
        if state.terminal or state is JobState.UNKNOWN:
            self._end(active, status, reports)
        elif state.value != active.state or len(reports) > active.reports:
            self._update(active, status, reports)

    def _update(self, active: Active, status: JobStatus, reports: list[dict[str, Any]]) -> None:
        changes: dict[str, Any] = {MMODA + "state": status.state.value}
        if status.started_at is not None:
            changes[PROV + "startedAtTime"] = _time(status.started_at)
        extra = [q for n, r in enumerate(reports[active.reports:], start=active.reports + 1)
                 for q in progress_quads(active.run, n, r)]
        with self.lock:
            quads = updated(self.kg.describe(active.run), active.run, changes, extra)
            self.kg.put_node(active.run, quads, graph=graphs.RUNS)
            self._active[active.run] = replace(active, state=status.state.value,
                                               reports=len(reports))
            self.generation += 1

    def _end(self, active: Active, status: JobStatus, reports: list[dict[str, Any]]) -> None:
        with self.lock:
            if self._active.pop(active.run, None) is None:
                return  # another thread finished it
        if len(reports) > active.reports:
            self._update(active, status, reports)
        manifest = read_manifest(active.jobdir)
        state, message = _outcome(status, manifest)
        self.finish(active.run, state, message, status, manifest if state == "COMPLETED"
                     else None, active.jobdir)

    def finish(self, run: str, state: str, message: str, status: JobStatus | None,
               manifest: Any = None, jobdir: Path | None = None) -> None:
        """Record the end of a run (and its results, from `manifest`) in one transaction."""
        ended = (status and status.ended_at) or datetime.now(UTC)
        changes: dict[str, Any] = {MMODA + "state": state, MMODA + "statusMessage": message,
                                   PROV + "endedAtTime": _time(ended)}
        if status is not None and status.exit_code is not None:
            changes[MMODA + "exitCode"] = status.exit_code
        if status is not None and status.started_at is not None:
            changes[PROV + "startedAtTime"] = _time(min(status.started_at, ended))
        batch: dict[str, Any] = {}
        if manifest is not None and jobdir is not None:
            batch = result_quads(RunContext.read(self.kg, run), manifest,
                                 run_id=run.rsplit("/", 1)[-1], jobdir=jobdir,
                                 store=self.results, base=self.base, ended=_utc(ended))
        with self.lock:
            batch[run] = updated(self.kg.describe(run), run, changes)
            self.kg.put_nodes(batch, graph=graphs.RUNS)
            self.generation += 1
        self.kg.flush()
        log.info("run %s ended %s: %s", run, state, message)


def _outcome(status: JobStatus, manifest: Any) -> tuple[str, str]:
    """The run's final phase and message: the workflow's own error when it failed."""
    error = (manifest or {}).get("error")
    if status.state is JobState.ABORTED:
        return "ABORTED", status.message or "cancelled"
    if manifest is not None and manifest.get("status") == "completed":
        count = len(manifest.get("outputs", []))
        return "COMPLETED", f"completed with {count} result{'s' * (count != 1)}"
    if error:
        return "ERROR", f"{error.get('type')}: {error.get('message')}"
    if status.state is JobState.UNKNOWN:
        return "ERROR", "the executor no longer knows the job" + (
            f" ({status.message})" if status.message else "")
    return "ERROR", status.message or f"the job ended with exit code {status.exit_code}"


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _time(moment: datetime) -> ox.Literal:
    return literal(_utc(moment).astimezone(UTC).isoformat().replace("+00:00", "Z"),
                   XSD + "dateTime")
