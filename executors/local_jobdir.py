"""The files of one local job, from which any executor instance can tell how the job stands.

In the work directory: `stdout.log` and `stderr.log`. In `<workdir>/.executor/`: `spec.json`
(the JobSpec, so a restarted service can still start a job that was only queued; mode 600, it
holds the job's environment), `pid` (the
wrapper's pid, start ticks and start time), `exit` (the command's exit code and end time,
written by the wrapper) and `outcome.json` (written by the executor before it kills a job:
ABORTED or a timeout ERROR). Every file is written whole under a temporary name and renamed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from mmoda.executors.base import JobSpec, JobState, JobStatus, Stream
from mmoda.executors.errors import SubmitError
from mmoda.executors.local_procs import ProcessId

CONTROL = ".executor"
_BLOCK = 8192
VANISHED = "the job's process ended without recording an exit status (killed, or a reboot)"


def _when(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def describe_exit(code: int) -> str:
    """`exit code 3`, or `killed by signal SIGKILL` for a negative (Python-style) code."""
    if code >= 0:
        return f"exit code {code}"
    try:
        return f"killed by signal {signal.Signals(-code).name}"
    except ValueError:
        return f"killed by signal {-code}"


class JobDir:
    """Paths and atomic reads/writes of one job's files."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.control = workdir / CONTROL

    def log(self, stream: Stream) -> Path:
        """The file a stream is captured to."""
        return self.workdir / f"{stream}.log"

    def create(self, spec: JobSpec) -> None:
        """Claim the work directory for `spec`; a directory that already holds a job is refused."""
        try:
            self.workdir.mkdir(parents=True, exist_ok=True)
            self.control.mkdir()
        except FileExistsError as exc:
            raise SubmitError(f"{self.workdir} already holds a job") from exc
        except OSError as exc:
            raise SubmitError(f"cannot create the work directory {self.workdir}: {exc}") from exc
        self._write("spec.json", spec.model_dump_json(), mode=0o600)

    def discard(self) -> None:
        """Release the claim (a submission that failed before anything ran)."""
        shutil.rmtree(self.control, ignore_errors=True)

    def spec(self) -> JobSpec | None:
        """The stored spec, None when this is no (readable) job directory."""
        try:
            return JobSpec.model_validate_json(self._read("spec.json") or "")
        except ValidationError:
            return None

    def write_pid(self, proc: ProcessId, started: float) -> None:
        """Record the wrapper process (also written by the wrapper itself, the same values)."""
        self._write("pid", f"{proc} {started!r}")

    def pid(self) -> tuple[ProcessId, float] | None:
        """The wrapper's identity and start time, None when the job never started."""
        text = self._read("pid")
        if not text:
            return None
        return ProcessId.parse(text), float(text.split()[2])

    def write_outcome(self, state: JobState, message: str, ended: float) -> bool:
        """Record an executor-decided end; the first outcome written wins (False: not this one)."""
        tmp = self._write(f"outcome.{os.getpid()}.{threading.get_ident()}", json.dumps(
            {"state": state.value, "message": message, "ended": ended}), rename=False)
        try:
            os.link(tmp, self.control / "outcome.json")
        except FileExistsError:
            return False
        finally:
            tmp.unlink()
        return True

    def exit(self) -> tuple[int, float] | None:
        """The command's exit code and end time as the wrapper recorded them."""
        text = self._read("exit")
        if not text:
            return None
        code, ended = text.split()[:2]
        return int(code), float(ended)

    def final_status(self) -> JobStatus | None:
        """The job's terminal status, None while it has not ended (or never recorded its end)."""
        pid = self.pid()
        started = _when(pid[1]) if pid else None
        exit = self.exit()
        outcome = self._read("outcome.json")
        if outcome:
            data = json.loads(outcome)
            return JobStatus(JobState(data["state"]), exit[0] if exit else None, data["message"],
                             started, _when(data["ended"]))
        if exit is None:
            return None
        code, ended = exit
        if code == 0:
            return JobStatus(JobState.COMPLETED, 0, "", started, _when(ended))
        last = self.tail("stderr", 1).strip()
        message = f"{describe_exit(code)}: {last[-300:]}" if last else describe_exit(code)
        return JobStatus(JobState.ERROR, code, message, started, _when(ended))

    def tail(self, stream: Stream, lines: int | None = None) -> str:
        """The captured stream, or its last `lines` lines (read backwards from the end)."""
        if lines is not None and lines <= 0:
            return ""
        path = self.log(stream)
        try:
            with path.open("rb") as f:
                size = f.seek(0, os.SEEK_END)
                start = size
                while lines is not None and start > 0:
                    start = max(0, start - _BLOCK)
                    f.seek(start)
                    if f.read(size - start).rstrip(b"\n").count(b"\n") >= lines:
                        break
                f.seek(0 if lines is None else start)
                data = f.read()
        except FileNotFoundError:
            return ""
        text = data.decode(errors="replace")
        return text if lines is None else "".join(text.splitlines(keepends=True)[-lines:])

    def _write(self, name: str, text: str, *, rename: bool = True, mode: int = 0o644) -> Path:
        path = self.control / name
        tmp = path.with_name(f"{name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        if not rename:
            return tmp
        os.replace(tmp, path)
        return path

    def _read(self, name: str) -> str | None:
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            return (self.control / name).read_text()
        return None
