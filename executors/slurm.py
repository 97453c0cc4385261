"""The Slurm executor: jobs as Slurm batch jobs, through slurmrestd (``rest``) or the commands
(``cli``: sbatch, squeue, sacct, scancel, here or on a login node through ssh).

`submit` writes ``<workdir>/job.sbatch`` (see `slurm_script`; `batch_script` shows it for any
spec) and submits it. The handle is ``slurm:<job id>@<workdir>``: a new instance `recover`s from
it alone. The work directory must be visible to the service too (a shared filesystem): logs,
staged inputs and ``.slurm/exit`` (the job's own record of how it ended) live there.

`poll` makes one transport call for all the unfinished jobs asked about, at most once per
`poll_min_interval` per job (sooner polls get the cached statuses). Slurm states map to UWS
phases: PENDING is QUEUED; RUNNING, CONFIGURING and COMPLETING are EXECUTING; FAILED, NODE_FAIL
and OUT_OF_MEMORY are ERROR with the exit code; TIMEOUT is ERROR ("time limit"); CANCELLED is
ABORTED ("cancelled", or "cancelled by the operator (scancel)" when this executor did not
cancel it). A job Slurm no longer knows (after MinJobAge, with no accounting record) ends as its
``.slurm/exit`` says, or as ERROR "Slurm no longer knows job N": never UNKNOWN, never a hang.

Resources: cpus (rounded up) become --cpus-per-task, memory_mb --mem, gpus --gres=gpu:N,
partition and account override the site's; ``extra["qos"]`` overrides the site's qos. A time
limit (timeout_s, walltime_s) is enforced in the script with `timeout` (ERROR "timed out after
N s") and given to Slurm rounded up to minutes plus one; without one, `default_walltime_s`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel

from mmoda.executors.base import (
    Executor,
    JobHandle,
    JobSpec,
    JobState,
    JobStatus,
    Stream,
    validate_settings,
)
from mmoda.executors.errors import ExecutorConfigError, ExecutorError, SubmitError, UnknownJob
from mmoda.executors.local_jobdir import JobDir
from mmoda.executors.local_staging import stage_inputs
from mmoda.executors.slurm_cli import SlurmCli
from mmoda.executors.slurm_rest import SlurmRest, environment
from mmoda.executors.slurm_script import (
    CONTROL,
    SCRIPT,
    SlurmError,
    job_status,
    render,
)
from mmoda.executors.slurm_settings import SlurmSettings, Transport, batch_script, script_options

__all__ = ["SlurmExecutor", "SlurmSettings", "batch_script"]  # settings: slurm_settings

log = logging.getLogger("mmoda.executors.slurm")


@dataclass
class _Job:
    handle: JobHandle
    job_id: str
    workdir: Path
    status: JobStatus
    checked: float | None = None  # monotonic time of the last answer from Slurm


class SlurmExecutor(Executor):
    """Runs jobs as Slurm batch jobs; see the module docstring."""

    kind: ClassVar[str] = "slurm"
    Settings: ClassVar[type[BaseModel]] = SlurmSettings
    supports_cancel = supports_logs = supports_recover = supports_stage_in = True

    def __init__(self, settings: BaseModel | Mapping[str, Any] | None = None) -> None:
        self.settings: SlurmSettings = validate_settings(SlurmSettings, settings, self.kind)
        self.transport: Transport = self._transport()
        self._jobs: dict[JobHandle, _Job] = {}
        self._lock = threading.RLock()

    def submit(self, spec: JobSpec) -> JobHandle:
        """Write ``job.sbatch`` in the work directory, stage the inputs, submit."""
        control = spec.workdir / CONTROL
        try:
            spec.workdir.mkdir(parents=True, exist_ok=True)
            control.mkdir()
        except FileExistsError as exc:
            raise SubmitError(f"{spec.workdir} already holds a job") from exc
        except OSError as exc:
            raise SubmitError(f"cannot create the work directory {spec.workdir}: {exc}") from exc
        try:
            job_id = self._submit(spec)
        except BaseException:
            shutil.rmtree(control, ignore_errors=True)  # the directory may be used again
            raise
        handle = JobHandle(self.kind, f"{job_id}@{spec.workdir}")
        job = _Job(handle, job_id, spec.workdir, JobStatus(JobState.QUEUED))
        with self._lock:
            self._jobs[handle] = job
            self._settle(job)
        return handle

    def poll(self, handles: Sequence[JobHandle]) -> dict[JobHandle, JobStatus]:
        """Each job's status: one Slurm query for the unfinished ones, unless all are fresh."""
        with self._lock:
            jobs = [self._jobs[h] for h in handles if h in self._jobs]
            now = time.monotonic()
            interval = self.settings.poll_min_interval
            if any(j.checked is None or now - j.checked >= interval for j in jobs
                   if not j.status.state.terminal):
                self._refresh([j for j in jobs if not j.status.state.terminal])
            return {h: self._jobs[h].status if h in self._jobs else JobStatus(
                JobState.UNKNOWN, message="not tracked by this executor") for h in handles}

    def cancel(self, handle: JobHandle) -> None:
        """scancel (or DELETE) the job; one that has ended is left as it is."""
        with self._lock:
            job = self._require(handle)
            if job.status.state.terminal:
                return
            with contextlib.suppress(OSError):  # the mark tells our cancel from an operator's
                (job.workdir / CONTROL / "cancelled").touch()
            self.transport.cancel(job.job_id)
            job.checked = None

    def logs(self, handle: JobHandle, *, stream: Stream = "stdout", tail: int | None = None) -> str:
        """What the job wrote to `stream` so far (its last `tail` lines)."""
        with self._lock:
            workdir = self._require(handle).workdir
        return JobDir(workdir).tail(stream, tail)

    def recover(self, handles: Sequence[JobHandle]) -> dict[JobHandle, JobStatus]:
        """Track jobs a previous instance submitted (from their handles), then poll them."""
        with self._lock:
            for handle in handles:
                job_id, sep, workdir = handle.job_id.partition("@")
                if (handle not in self._jobs and handle.kind == self.kind and sep
                        and job_id and Path(workdir).is_absolute()):
                    self._jobs[handle] = _Job(handle, job_id, Path(workdir),
                                              JobStatus(JobState.UNKNOWN))
            return self.poll(handles)

    def close(self) -> None:
        """Release the transport; jobs keep running (a later instance recovers them) unless
        `cancel_on_close`."""
        if self.settings.cancel_on_close:
            with self._lock:
                active = [j.handle for j in self._jobs.values() if not j.status.state.terminal]
            for handle in active:
                try:
                    self.cancel(handle)
                except ExecutorError as exc:
                    log.warning("cannot cancel %s on close: %s", handle, exc)
        self.transport.close()

    def _submit(self, spec: JobSpec) -> str:
        stage_inputs(spec.inputs, spec.workdir)
        options = script_options(spec, self.settings)
        script = render(spec, options, kill_after_s=self.settings.kill_after_s,
                        template=self.settings.script_template)
        path = spec.workdir / SCRIPT
        path.write_text(script)
        path.chmod(0o600)  # it holds the job's environment
        try:
            job_id = self.transport.submit(script, options)
        except SlurmError as exc:
            raise SubmitError(str(exc)) from exc
        (spec.workdir / CONTROL / "job_id").write_text(job_id + "\n")
        return job_id

    def _refresh(self, jobs: list[_Job]) -> None:
        if not jobs:
            return
        records = self.transport.query([j.job_id for j in jobs])
        now = time.monotonic()
        for job in jobs:
            job.status = job_status(job.job_id, records.get(job.job_id), job.workdir)
            job.checked = now

    def _settle(self, job: _Job) -> None:
        deadline = time.monotonic() + self.settings.submit_settle_s
        while time.monotonic() < deadline:
            try:
                record = self.transport.query([job.job_id]).get(job.job_id)
            except SlurmError as exc:  # submitted all the same: polls will tell
                log.warning("cannot follow %s after submitting it: %s", job.handle, exc)
                return
            if record is None or record.state != "PENDING" or record.reason not in ("", "None"):
                job.status = job_status(job.job_id, record, job.workdir)
                job.checked = time.monotonic()
                return
            time.sleep(0.05)

    def _require(self, handle: JobHandle) -> _Job:
        job = self._jobs.get(handle)
        if job is None:
            raise UnknownJob(handle)
        return job

    def _transport(self) -> Transport:
        s = self.settings
        if s.transport == "cli":
            return SlurmCli(ssh_host=s.ssh_host, ssh_options=s.ssh_options,
                            prefix=s.command_prefix, inherit_env=s.inherit_env,
                            timeout=s.command_timeout_s, accounting=s.accounting)
        assert s.url is not None
        return SlurmRest(s.url, s.user_name, self._token, version=s.api_version,
                         timeout=s.request_timeout_s, verify=s.verify_tls,
                         environment=environment(s.inherit_env), job_fields=s.rest_job_fields)

    def _token(self) -> str:
        s = self.settings
        token = os.environ.get(s.token_env, "") if s.token_env else ""
        if not token and s.token_file is not None:
            try:
                token = s.token_file.read_text().strip()
            except OSError as exc:
                raise SlurmError(f"cannot read the Slurm token file {s.token_file}: "
                                 f"{exc.strerror}") from exc
        if not token:
            raise ExecutorConfigError("no Slurm token (token_env / token_file)",
                                      ["token_env", "token_file"])
        return token
