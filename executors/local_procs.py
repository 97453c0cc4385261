"""Processes the local executor watches: an identity that survives pid reuse, waiting, killing.

A pid alone is not an identity once the service restarts: the kernel reuses pids. The start
time in `/proc/<pid>/stat` (clock ticks since boot) pins the process; off Linux it is None and
the pid is trusted.
"""

from __future__ import annotations

import contextlib
import os
import select
import time
from dataclasses import dataclass

_POLL_S = 0.02


@dataclass(frozen=True)
class ProcessId:
    """A process: its pid and its start time in clock ticks since boot (None off Linux)."""

    pid: int
    start: int | None

    def __str__(self) -> str:
        return f"{self.pid} {self.start if self.start is not None else '-'}"

    @classmethod
    def parse(cls, text: str) -> ProcessId:
        """The identity `str(process)` wrote."""
        pid, start = text.split()[:2]
        return cls(int(pid), None if start == "-" else int(start))


def _stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start ticks) of a process, None when it does not exist."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rpartition(b")")[2].split()
    except OSError:
        return None
    return fields[0].decode(), int(fields[19])


def identify(pid: int) -> ProcessId:
    """The identity of a running process."""
    stat = _stat(pid)
    return ProcessId(pid, stat[1] if stat else None)


def alive(proc: ProcessId) -> bool:
    """Whether this very process still runs (a zombie has ended; a reused pid is another one)."""
    if not os.path.isdir("/proc/self"):
        try:
            os.kill(proc.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    stat = _stat(proc.pid)
    if stat is None or stat[0] in ("Z", "X"):
        return False
    return proc.start is None or stat[1] == proc.start


def kill_group(proc: ProcessId, sig: int) -> None:
    """Send `sig` to the process group `proc` leads (jobs run in their own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


class ExitWatch:
    """Waits for one process to end: on a pidfd where the kernel has them, else by polling.

    An ended child is left unreaped (a pidfd turns readable at exit, not at reaping), so its
    process group id stays reserved until the caller reaps it.
    """

    def __init__(self, proc: ProcessId) -> None:
        self.proc = proc
        self._fd: int | None = None
        if hasattr(os, "pidfd_open"):
            with contextlib.suppress(OSError):
                self._fd = os.pidfd_open(proc.pid)
        # Checked after opening: the pidfd may have caught a newer process that reused the pid.
        self._gone = not alive(proc)

    def wait(self, timeout: float | None) -> bool:
        """True once the process has ended, False when `timeout` seconds passed first."""
        if self._gone:
            return True
        if self._fd is not None:
            ready, _, _ = select.select([self._fd], [], [], timeout)
            self._gone = bool(ready)
            return self._gone
        deadline = None if timeout is None else time.monotonic() + timeout
        while alive(self.proc):
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_S)
        self._gone = True
        return True

    def close(self) -> None:
        """Release the pidfd."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
