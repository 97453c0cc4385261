"""The local executor's jobs in memory: the queue, the slots, launching, waiting, killing.

Each running job has a waiter thread blocked on its process (a pidfd), so an end is seen at
once: the waiter records the final status, frees the slot and starts the next queued job.
Every method runs under the pool's lock (`cond`) except `_watch`, a waiter thread's body.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mmoda.executors.base import JobHandle, JobSpec, JobState, JobStatus
from mmoda.executors.errors import UnknownJob
from mmoda.executors.local_jobdir import VANISHED, JobDir
from mmoda.executors.local_procs import ExitWatch, ProcessId, alive, identify, kill_group

if TYPE_CHECKING:
    from mmoda.executors.local import LocalSettings

log = logging.getLogger("mmoda.executors.local")
WRAPPER = Path(__file__).with_name("local_wrapper.py")


@dataclass(eq=False)
class LocalJob:
    """One job as this executor instance knows it."""

    handle: JobHandle
    spec: JobSpec
    files: JobDir
    state: JobState = JobState.QUEUED
    proc: subprocess.Popen[bytes] | None = None  # set when this instance started the job
    pid: ProcessId | None = None
    started: float | None = None
    exited: bool = False
    final: JobStatus | None = None

    def status(self) -> JobStatus:
        """The final status, else the state with the start time."""
        if self.final is not None:
            return self.final
        started = None if self.started is None else datetime.fromtimestamp(self.started, UTC)
        return JobStatus(self.state, started_at=started)


class JobPool:
    """The jobs of one LocalExecutor; callers hold `cond` around every call."""

    def __init__(self, settings: LocalSettings) -> None:
        self.settings = settings
        self.cond = threading.Condition()
        self.jobs: dict[JobHandle, LocalJob] = {}
        self._queue: deque[LocalJob] = deque()
        self._running = 0

    def status(self, handle: JobHandle) -> JobStatus:
        """The job's status; UNKNOWN for a handle this instance does not track."""
        job = self.jobs.get(handle)
        return job.status() if job else JobStatus(JobState.UNKNOWN,
                                                  message="not tracked here (recover it first)")

    def require(self, handle: JobHandle) -> LocalJob:
        """The tracked job of `handle`, else `UnknownJob`."""
        job = self.jobs.get(handle)
        if job is None:
            raise UnknownJob(handle)
        return job

    def enqueue(self, job: LocalJob) -> None:
        """Track the job and start it if a slot is free."""
        self.jobs[job.handle] = job
        self._queue.append(job)
        self._drain()

    def attach(self, job: LocalJob) -> None:
        """Track a job already running (recovered); it takes a slot until it ends."""
        self.jobs[job.handle] = job
        job.state = JobState.EXECUTING
        self._running += 1
        self._watch_in_thread(job)

    def cancel(self, job: LocalJob) -> None:
        """ABORT a queued job at once, a running one by signalling its process group."""
        if job.final is not None:
            return
        if job.state is JobState.QUEUED:
            self._queue.remove(job)
            message, now = "cancelled before it started", time.time()
            with contextlib.suppress(OSError):  # the status stands even if it cannot be written
                job.files.write_outcome(JobState.ABORTED, message, now)
            ended = datetime.fromtimestamp(now, UTC)
            self.finish(job, JobStatus(JobState.ABORTED, message=message, ended_at=ended))
        else:
            self._terminate(job, JobState.ABORTED, "cancelled")

    def finish(self, job: LocalJob, status: JobStatus | None) -> None:
        """Record the job's terminal status and wake the waiters."""
        job.final = status or JobStatus(JobState.ERROR, message=VANISHED)
        job.state = job.final.state
        self.jobs[job.handle] = job
        log.info("local job %s: %s", job.spec.run_id, job.state.value)
        self.cond.notify_all()

    def final(self, job: LocalJob) -> JobStatus:
        """How the job's files say it ended, once its process is gone."""
        try:
            status = job.files.final_status()
            if status is None:  # gone without a word: record it, so every reader agrees
                job.files.write_outcome(JobState.ERROR, VANISHED, time.time())
                status = job.files.final_status()
        except (OSError, ValueError) as exc:
            return JobStatus(JobState.ERROR, message=f"cannot read how the job ended: {exc}")
        return status or JobStatus(JobState.ERROR, message=VANISHED)

    def _drain(self) -> None:
        while self._queue and self._running < self.settings.max_jobs:
            job = self._queue.popleft()
            self._running += 1
            self._launch(job)

    def _launch(self, job: LocalJob) -> None:
        spec, files = job.spec, job.files
        memory = (spec.resources.memory_mb or 0) * 2**20 if self.settings.enforce_memory else 0
        argv = [sys.executable, "-I", "-S", str(WRAPPER), str(files.control), str(memory),
                *spec.command]
        try:
            with files.log("stdout").open("wb") as out, files.log("stderr").open("wb") as err:
                job.proc = subprocess.Popen(argv, cwd=spec.workdir, env=self._environment(spec),
                                            stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                            start_new_session=True)
        except OSError as exc:
            self._running -= 1
            message = f"cannot start the job: {exc}"
            with contextlib.suppress(OSError):
                files.write_outcome(JobState.ERROR, message, time.time())
            self.finish(job, JobStatus(JobState.ERROR, message=message))
            return
        job.pid, job.started, job.state = identify(job.proc.pid), time.time(), JobState.EXECUTING
        files.write_pid(job.pid, job.started)
        self._watch_in_thread(job)

    def _environment(self, spec: JobSpec) -> dict[str, str]:
        inherited = {k: os.environ[k] for k in self.settings.inherit_env if k in os.environ}
        return inherited | spec.environment

    def _watch_in_thread(self, job: LocalJob) -> None:
        name = f"mmoda-local-{job.spec.run_id}"
        threading.Thread(target=self._watch, args=(job,), name=name, daemon=True).start()

    def _watch(self, job: LocalJob) -> None:
        assert job.pid is not None and job.started is not None
        limit = job.spec.time_limit
        deadline = None if limit is None else job.started + limit
        watch = ExitWatch(job.pid)
        try:
            while not watch.wait(None if deadline is None else max(0.0, deadline - time.time())):
                with self.cond:
                    self._terminate(job, JobState.ERROR, f"timed out after {limit:g} s")
                deadline = None
        finally:
            watch.close()
        with self.cond:
            self._ended(job)

    def _ended(self, job: LocalJob) -> None:
        job.exited = True
        if job.proc is not None and job.pid is not None:
            # Leftovers of the job's group die with it; the unreaped wrapper still reserves the
            # group id, so the signal cannot reach an unrelated group that reused it.
            kill_group(job.pid, signal.SIGKILL)
            job.proc.wait()
        self._running -= 1
        self.finish(job, self.final(job))
        self._drain()

    def _terminate(self, job: LocalJob, state: JobState, message: str) -> None:
        if job.exited or job.files.exit() is not None:
            return  # it ended on its own; its waiter reports how
        if not job.files.write_outcome(state, message, time.time()):
            return  # already being ended
        grace = self.settings.kill_grace_s
        self._signal(job, signal.SIGTERM if grace else signal.SIGKILL)
        if grace:
            timer = threading.Timer(grace, self._hard_kill, (job,))
            timer.daemon = True
            timer.start()

    def _hard_kill(self, job: LocalJob) -> None:
        with self.cond:
            self._signal(job, signal.SIGKILL)

    def _signal(self, job: LocalJob, sig: int) -> None:
        if job.pid is None or job.exited or (job.proc is None and not alive(job.pid)):
            return
        kill_group(job.pid, sig)
