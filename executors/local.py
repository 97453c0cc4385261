"""The local executor (the default): jobs as subprocesses, at most `max_jobs` at once.

Each job runs ``local_wrapper.py`` in a session of its own (so a cancel or a timeout kills its
whole process group), which runs the command and records its exit code in the work directory.
A waiter thread per running job sees it end at once (on a pidfd), releases its slot and starts
the next queued job; `poll` only reads what the waiters found. When a job's wrapper ends, what
is left of its process group is killed.

The handle is ``local:<absolute work directory>``: the directory holds everything a new
instance needs to `recover` the job after a restart (see `local_jobdir`), even a kill -9 of the
service. Commands are run as given: a bare ``python`` is looked up on the job's PATH, so the
platform names the interpreter it means (``sys.executable``).

Environment: jobs do NOT inherit the service's environment, only `inherit_env` (PATH, HOME,
LANG and PYTHONPATH by default) plus the spec's own variables. The service's environment holds
its secrets (MMODA_JWT_SECRET, tokens, cloud credentials) and jobs run contributed code.

Resources: the time limit (the tighter of `timeout_s` and `walltime_s`) is enforced, counted
from the start of the job; `memory_mb` becomes RLIMIT_AS (virtual memory) with
`enforce_memory`, else it is advisory like `cpus`; `partition`, `account` and `extra` are
ignored; a job asking for more GPUs than `gpus` is refused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from mmoda.executors.base import (
    Executor,
    JobHandle,
    JobSpec,
    JobState,
    JobStatus,
    Stream,
    validate_settings,
)
from mmoda.executors.errors import SubmitError
from mmoda.executors.local_jobdir import JobDir
from mmoda.executors.local_pool import JobPool, LocalJob
from mmoda.executors.local_procs import alive
from mmoda.executors.local_staging import stage_inputs


class LocalSettings(BaseModel):
    """Settings of the local executor."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_jobs: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=4096,
                          description="Jobs running at once; more wait as QUEUED.")
    kill_grace_s: float = Field(5.0, ge=0, le=600,
                                description="SIGTERM to SIGKILL delay on cancel and timeout.")
    inherit_env: tuple[str, ...] = Field(("PATH", "HOME", "LANG", "PYTHONPATH"),
                                         description="Service variables a job gets.")
    stage_mode: Literal["symlink", "copy"] = Field(
        "symlink", description="How local inputs are put in the work directory.")
    stage_roots: tuple[Path, ...] | None = Field(
        None, description="The only directories local inputs may come from (None: anywhere).")
    download_timeout_s: float = Field(60.0, gt=0, description="Per-request timeout of http(s).")
    enforce_memory: bool = Field(False, description="Apply memory_mb as RLIMIT_AS.")
    gpus: int = Field(0, ge=0, description="GPUs of this machine jobs may ask for.")
    cancel_on_close: bool = Field(False, description="close() cancels queued and running jobs.")


class LocalExecutor(Executor):
    """Runs jobs as local subprocesses; see the module docstring for what it enforces."""

    kind: ClassVar[str] = "local"
    Settings: ClassVar[type[BaseModel]] = LocalSettings
    supports_cancel = supports_logs = supports_recover = supports_stage_in = True
    supports_job_arrays = False

    def __init__(self, settings: BaseModel | Mapping[str, Any] | None = None) -> None:
        self.settings: LocalSettings = validate_settings(LocalSettings, settings, self.kind)
        self._pool = JobPool(self.settings)
        self._closed = False

    def submit(self, spec: JobSpec) -> JobHandle:
        """Stage the inputs, then start the job, or queue it while `max_jobs` jobs run."""
        if self._closed:
            raise SubmitError("the local executor is closed")
        if spec.resources.gpus > self.settings.gpus:
            raise SubmitError(f"{spec.run_id} asks for {spec.resources.gpus} GPUs, "
                              f"this executor has {self.settings.gpus}")
        files = JobDir(spec.workdir)
        files.create(spec)
        try:
            stage_inputs(spec.inputs, spec.workdir, mode=self.settings.stage_mode,
                         roots=self.settings.stage_roots, timeout=self.settings.download_timeout_s)
        except BaseException:
            files.discard()
            raise
        job = LocalJob(JobHandle(self.kind, str(spec.workdir)), spec, files)
        with self._pool.cond:
            self._pool.enqueue(job)
        return job.handle

    def poll(self, handles: Sequence[JobHandle]) -> dict[JobHandle, JobStatus]:
        """The status of each job as its waiter last saw it (no process is touched)."""
        with self._pool.cond:
            return {h: self._pool.status(h) for h in handles}

    def wait(
        self, handles: Sequence[JobHandle], timeout: float | None = None
    ) -> dict[JobHandle, JobStatus]:
        """Block until every job is terminal or UNKNOWN, or `timeout` seconds pass."""

        def settled() -> bool:
            states = (self._pool.status(h).state for h in handles)
            return all(s.terminal or s is JobState.UNKNOWN for s in states)

        with self._pool.cond:
            self._pool.cond.wait_for(settled, timeout)
            return {h: self._pool.status(h) for h in handles}

    def cancel(self, handle: JobHandle) -> None:
        """ABORT a job: a queued one at once, a running one by killing its process group."""
        with self._pool.cond:
            self._pool.cancel(self._pool.require(handle))

    def logs(self, handle: JobHandle, *, stream: Stream = "stdout", tail: int | None = None) -> str:
        """What the job wrote to `stream` so far (its last `tail` lines)."""
        with self._pool.cond:
            files = self._pool.require(handle).files
        return files.tail(stream, tail)

    def recover(self, handles: Sequence[JobHandle]) -> dict[JobHandle, JobStatus]:
        """Re-attach to jobs of a previous instance, from their work directories.

        A running job is watched again (and takes a slot), one that ended is reported as it
        ended, one that was still queued is queued here.
        """
        statuses: dict[JobHandle, JobStatus] = {}
        for handle in handles:
            with self._pool.cond:
                try:
                    statuses[handle] = self._recover(handle)
                except (OSError, ValueError) as exc:  # a damaged or unreadable job directory
                    statuses[handle] = JobStatus(JobState.UNKNOWN, message=f"unreadable: {exc}")
        return statuses

    def close(self) -> None:
        """Refuse new jobs; with `cancel_on_close`, cancel the others and wait for their end.

        Otherwise jobs keep running (and waiter threads keep reaping them): a later instance
        recovers them.
        """
        with self._pool.cond:
            self._closed = True
            active = [j.handle for j in self._pool.jobs.values() if j.final is None]
        if self.settings.cancel_on_close:
            for handle in active:
                self.cancel(handle)
            self.wait(active, self.settings.kill_grace_s + 5)

    def _recover(self, handle: JobHandle) -> JobStatus:
        if handle in self._pool.jobs:
            return self._pool.status(handle)
        if handle.kind != self.kind:
            return JobStatus(JobState.UNKNOWN, message=f"not a {self.kind} job")
        files = JobDir(Path(handle.job_id))
        spec = files.spec() if Path(handle.job_id).is_absolute() else None
        if spec is None:
            return JobStatus(JobState.UNKNOWN, message=f"no local job in {handle.job_id}")
        job = LocalJob(handle, spec, files)
        final, record = files.final_status(), files.pid()
        if final is None and record is None:
            self._pool.enqueue(job)
        elif final is None and record is not None:
            job.pid, job.started = record
            if alive(job.pid):
                self._pool.attach(job)
            else:
                self._pool.finish(job, self._pool.final(job))
        else:
            self._pool.finish(job, final)
        return job.status()
