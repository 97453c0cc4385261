"""The Slurm command-line transport: sbatch, squeue, sacct and scancel, here or through ssh.

Commands are argv lists, never shell strings. Through ssh the remote side gets one command line
built with `shlex.join`, so every argument stays one argument there. Locally the commands get
only the variables of `inherit_env` (sbatch hands its environment to the job): the service's
secrets stay out of jobs. One `query` is one squeue call for all the jobs asked about, plus
one sacct call for those squeue no longer knows (ended more than MinJobAge ago).
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from mmoda.executors.slurm_script import ScriptOptions, SlurmError, SlurmRecord, decode_wait_status

log = logging.getLogger("mmoda.executors.slurm")

Accounting = Literal["sacct", "jobcomp", "none"]
SQUEUE_FIELDS = "JobID:|,State:|,Reason:|,StartTime:|,EndTime:|,exit_code:|"
SACCT_FIELDS = "JobID,State,ExitCode,Start,End"
_INVALID_ID = "Invalid job id"
_DONE = ("already completing or completed", "Invalid job id")


def parse_time(text: str) -> datetime | None:
    """A Slurm time stamp (local time of the host that printed it); None for N/A and Unknown."""
    try:
        return datetime.fromisoformat(text.strip()).astimezone()
    except ValueError:
        return None


class SlurmCli:
    """Runs the Slurm commands for the executor (see the module docstring)."""

    def __init__(self, *, ssh_host: str | None = None, ssh_options: Sequence[str] = (),
                 prefix: Sequence[str] = (), inherit_env: Sequence[str] = (),
                 timeout: float = 60.0, accounting: Accounting = "sacct") -> None:
        self.ssh_host, self.ssh_options, self.prefix = ssh_host, list(ssh_options), list(prefix)
        self.inherit_env, self.timeout, self.accounting = inherit_env, timeout, accounting

    def run(self, argv: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run one Slurm command; failing to start it or a timeout is a `SlurmError`."""
        full = self.prefix + argv
        env = None
        if self.ssh_host is not None:
            full = ["ssh", *self.ssh_options, self.ssh_host, shlex.join(full)]
        else:
            env = {k: v for k, v in os.environ.items() if k in self.inherit_env}
        try:
            return subprocess.run(full, input=stdin, capture_output=True, text=True, env=env,
                                  timeout=self.timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SlurmError(f"{argv[0]} failed: {type(exc).__name__}: {exc}") from exc

    def submit(self, script: str, options: ScriptOptions) -> str:
        """Submit the script (its #SBATCH lines carry the options) through sbatch's stdin."""
        done = self.run(["sbatch", "--parsable"], stdin=script)
        job_id = done.stdout.strip().split(";")[0]
        if done.returncode != 0 or not job_id:
            raise SlurmError(f"sbatch failed: {_last(done.stderr) or done.returncode}")
        return job_id

    def query(self, job_ids: Sequence[str]) -> dict[str, SlurmRecord]:
        """Every job Slurm still knows among `job_ids` (one squeue, one sacct at most)."""
        found = self._squeue(job_ids)
        missing = [j for j in job_ids if j not in found]
        if missing and self.accounting != "none":
            found.update(self._sacct(missing))
        return found

    def cancel(self, job_id: str) -> None:
        """scancel the job; one that already ended is left as it is."""
        done = self.run(["scancel", job_id])
        if done.returncode != 0 and not any(t in done.stderr for t in _DONE):
            raise SlurmError(f"scancel {job_id} failed: {_last(done.stderr)}")

    def close(self) -> None:
        """Nothing to release."""

    def _squeue(self, job_ids: Sequence[str]) -> dict[str, SlurmRecord]:
        done = self.run(["squeue", f"--jobs={','.join(job_ids)}", "--states=all",
                         "--noheader", "--Format", SQUEUE_FIELDS])
        if done.returncode != 0:
            if _INVALID_ID in done.stderr:
                return {}  # none of them is known any more
            raise SlurmError(f"squeue failed: {_last(done.stderr) or done.returncode}")
        records = {}
        for line in done.stdout.splitlines():
            fields = line.split("|")
            if len(fields) >= 6:
                job, state, reason, start, end, raw = fields[:6]
                code = decode_wait_status(int(raw)) if raw.strip().isdigit() else None
                records[job.strip()] = SlurmRecord(job.strip(), state.strip(), reason.strip(),
                                                   code, parse_time(start), parse_time(end))
        return records

    def _sacct(self, job_ids: Sequence[str]) -> dict[str, SlurmRecord]:
        argv = ["sacct", *(["-c"] if self.accounting == "jobcomp" else []), "-X", "-n", "-P",
                f"--jobs={','.join(job_ids)}", f"--format={SACCT_FIELDS}"]
        done = self.run(argv)
        if done.returncode != 0:  # no accounting here: the executor falls back on the jobdir
            log.debug("sacct failed: %s", _last(done.stderr))
            return {}
        records = {}
        for line in done.stdout.splitlines():
            fields = line.split("|")
            if len(fields) >= 5 and fields[0] in job_ids:
                job, state, code, start, end = fields[:5]
                records[job] = SlurmRecord(job, state.split()[0] if state else "UNKNOWN",
                                           state, _sacct_exit(code), parse_time(start),
                                           parse_time(end))
        return records


def _sacct_exit(text: str) -> int | None:
    """sacct's ``code:signal`` as an exit code (negative for a signal)."""
    code, _, signal = text.partition(":")
    if not code.isdigit():
        return None
    return -int(signal) if signal.isdigit() and int(signal) else int(code)


def _last(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][-300:] if lines else ""
