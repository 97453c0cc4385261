"""The process the local executor starts for a job: runs its command, records how it ended.

Started as ``python -I -S local_wrapper.py CONTROL_DIR MEMORY_BYTES ARGV...`` in the job's work
directory, in a session of its own, with stdout/stderr already redirected to the job's logs.
It writes ``CONTROL_DIR/pid`` (its pid, start ticks and start time) first and ``CONTROL_DIR/exit``
(the command's exit code, negative for a signal, and the end time) when the command ends, both
atomically: a service restarted after a kill -9 still learns how its jobs ended.

Only the standard library is imported and the interpreter runs isolated and without `site`
(``-I -S``), so the wrapper adds ~7 ms to a job's start instead of ~20.
"""

from __future__ import annotations

import os
import signal
import sys
import time

# Python ignores SIGPIPE and SIGXFSZ at start-up; the command must get the default actions back
# (what subprocess's restore_signals does). SIGTERM: the wrapper catches it, see main().
_RESET = (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGTERM)


def _write(path: str, text: str) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _start_ticks() -> str:
    try:
        with open("/proc/self/stat", "rb") as f:
            return f.read().rpartition(b")")[2].split()[19].decode()
    except OSError:
        return "-"


def _run(argv: list[str], cancelled: list[int]) -> int:
    if cancelled:
        return -signal.SIGTERM
    try:
        # An empty mask: the wrapper blocks SIGTERM while it spawns, the command must not.
        pid = os.posix_spawnp(argv[0], argv, os.environ, setsigmask=(), setsigdef=_RESET)
    except OSError as exc:
        os.write(2, f"mmoda local executor: cannot run {argv[0]!r}: {exc.strerror}\n".encode())
        return 127 if isinstance(exc, FileNotFoundError) else 126
    finally:
        # Unblocking runs the handler for a SIGTERM that came meanwhile (before the command
        # existed, so the group signal missed it): pass it on.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    if cancelled:
        os.kill(pid, signal.SIGTERM)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _limit_memory(limit: int) -> None:
    if limit > 0:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main(args: list[str]) -> int:
    """Run `ARGV`, record its end; the wrapper's own exit status mirrors the command's."""
    control, memory, *argv = args
    # A cancel signals the whole process group: the command gets SIGTERM, the wrapper stays
    # to record how the command ended (a handler, not SIG_IGN, so the command does not inherit it).
    cancelled: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _: cancelled.append(signum))
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    _write(f"{control}/pid", f"{os.getpid()} {_start_ticks()} {time.time()!r}")
    _limit_memory(int(memory))
    code = _run(argv, cancelled)
    _write(f"{control}/exit", f"{code} {time.time()!r}")
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
