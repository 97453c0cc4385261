"""The executor contract as tests: each executor's test module subclasses `ExecutorContract`.

A subclass provides the fixture `executor` (a fresh instance) and, for the tests that need
them, `new_executor` (a factory of further independent instances, for recovery) and
`one_slot_executor` (an instance that runs one job at a time, for queueing); without them
those tests skip. Tests of a capability skip when the executor's `supports_*` flag is False.
Jobs are small real Python programs; `python` is the interpreter on the execution host.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from mmoda.executors.base import Executor, JobHandle, JobSpec, JobState, JobStatus
from mmoda.executors.errors import StagingError, UnknownJob

# Waits for a file named by argv[1] to appear (a job the test releases when it wants).
AWAIT_FILE = (
    "import os, sys, time\n"
    "open('started', 'w').close()\n"
    "while not os.path.exists(sys.argv[1]): time.sleep(0.01)\n"
    "print('released')\n"
)
SLEEP = "open('started', 'w').close()\nimport time\ntime.sleep(60)\n"


class ExecutorContract:
    """Behaviour every executor shares; see the module docstring for what to provide."""

    python: ClassVar[str] = sys.executable
    patience_s: ClassVar[float] = 20.0

    @pytest.fixture
    def executor(self) -> Executor:
        raise NotImplementedError("an executor's test class provides the `executor` fixture")

    @pytest.fixture
    def new_executor(self) -> Callable[[], Executor]:
        pytest.skip("no factory of further executor instances (new_executor)")

    @pytest.fixture
    def one_slot_executor(self) -> Executor:
        pytest.skip("no executor limited to one job at a time (one_slot_executor)")

    # -- helpers ----------------------------------------------------------------------------

    def spec(self, root: Path, name: str, code: str, *args: str, **fields: Any) -> JobSpec:
        """A job running `python -c code args...` in `root/name`."""
        command = [self.python, "-c", code, *args]
        return JobSpec(run_id=name, command=command, workdir=root / name, **fields)

    def finish(self, executor: Executor, *handles: JobHandle) -> dict[JobHandle, JobStatus]:
        statuses = executor.wait(handles, timeout=self.patience_s)
        assert all(s.state.terminal for s in statuses.values()), statuses
        return statuses

    def started(self, spec: JobSpec) -> None:
        """Wait until the job's code runs (it touches `started` in its work directory)."""
        deadline = time.monotonic() + self.patience_s
        while not (spec.workdir / "started").exists():
            assert time.monotonic() < deadline, f"{spec.run_id} never started"
            time.sleep(0.01)

    def reaches(self, executor: Executor, handle: JobHandle, state: JobState) -> None:
        """Poll until the job is in `state` (remote executors see changes one poll late)."""
        deadline = time.monotonic() + self.patience_s
        while (seen := executor.poll([handle])[handle].state) is not state:
            assert time.monotonic() < deadline, f"{handle} stayed {seen}, never {state}"
            time.sleep(0.05)

    @staticmethod
    def require(executor: Executor, capability: str) -> None:
        if not getattr(executor, f"supports_{capability}"):
            pytest.skip(f"the {executor.kind} executor does not support {capability}")

    # -- the contract -----------------------------------------------------------------------

    def test_kind_flags_and_handle(self, executor: Executor, tmp_path: Path) -> None:
        assert executor.kind and isinstance(executor.kind, str)
        flags = ("cancel", "logs", "recover", "job_arrays", "stage_in")
        assert all(isinstance(getattr(executor, f"supports_{f}"), bool) for f in flags)
        handle = executor.submit(self.spec(tmp_path, "noop", "pass"))
        assert handle.kind == executor.kind
        assert JobHandle.parse(str(handle)) == handle
        self.finish(executor, handle)

    def test_submit_completes_with_stdout(self, executor: Executor, tmp_path: Path) -> None:
        handle = executor.submit(self.spec(tmp_path, "hello", "print('hello from the job')"))
        status = self.finish(executor, handle)[handle]
        assert status.state is JobState.COMPLETED and status.state.uws_phase == "COMPLETED"
        assert status.exit_code == 0
        assert status.started_at and status.ended_at and status.started_at <= status.ended_at
        if executor.supports_logs:
            assert executor.logs(handle) == "hello from the job\n"

    def test_failing_command_is_error(self, executor: Executor, tmp_path: Path) -> None:
        code = "import sys\nprint('first', file=sys.stderr)\nsys.exit('boom: bad input')"
        handle = executor.submit(self.spec(tmp_path, "fails", code))
        status = self.finish(executor, handle)[handle]
        assert status.state is JobState.ERROR
        assert status.exit_code == 1
        assert "exit code 1" in status.message and "boom: bad input" in status.message

    def test_cancel_running_is_aborted(self, executor: Executor, tmp_path: Path) -> None:
        self.require(executor, "cancel")
        spec = self.spec(tmp_path, "sleeper", SLEEP)
        handle = executor.submit(spec)
        self.started(spec)
        assert executor.poll([handle])[handle].state is JobState.EXECUTING
        executor.cancel(handle)
        assert self.finish(executor, handle)[handle].state is JobState.ABORTED
        executor.cancel(handle)  # cancelling a finished job changes nothing
        assert executor.poll([handle])[handle].state is JobState.ABORTED

    def test_cancel_queued_is_aborted(self, one_slot_executor: Executor, tmp_path: Path) -> None:
        executor = one_slot_executor
        self.require(executor, "cancel")
        first_spec = self.spec(tmp_path, "first", SLEEP)
        first = executor.submit(first_spec)
        self.started(first_spec)  # the one slot is taken
        second = executor.submit(self.spec(tmp_path, "second", "print('must not run')"))
        assert executor.poll([second])[second].state is JobState.QUEUED
        executor.cancel(second)
        assert self.finish(executor, second)[second].state is JobState.ABORTED
        self.reaches(executor, first, JobState.EXECUTING)
        executor.cancel(first)
        self.finish(executor, first)
        assert not (tmp_path / "second" / "started").exists()

    def test_timeout_is_error(self, executor: Executor, tmp_path: Path) -> None:
        begun = time.monotonic()
        handle = executor.submit(self.spec(tmp_path, "slow", SLEEP, timeout_s=0.5))
        status = self.finish(executor, handle)[handle]
        assert status.state is JobState.ERROR
        assert "timed out after 0.5 s" in status.message
        assert time.monotonic() - begun < 15

    def test_batched_poll(self, executor: Executor, tmp_path: Path) -> None:
        codes = {"ok-1": 0, "ok-2": 0, "bad": 2}
        handles = {executor.submit(self.spec(tmp_path, n, f"raise SystemExit({c})")): c
                   for n, c in codes.items()}
        first = executor.poll(list(handles))
        assert set(first) == set(handles)
        statuses = self.finish(executor, *handles)
        assert {statuses[h].exit_code for h in handles} == {0, 2}
        for handle, code in handles.items():
            expected = JobState.COMPLETED if code == 0 else JobState.ERROR
            assert statuses[handle].state is expected

    def test_logs_tail(self, executor: Executor, tmp_path: Path) -> None:
        self.require(executor, "logs")
        code = "import sys\nfor i in range(1, 51): print(i)\nprint('e1\\ne2', file=sys.stderr)"
        handle = executor.submit(self.spec(tmp_path, "chatty", code))
        self.finish(executor, handle)
        assert executor.logs(handle, tail=3) == "48\n49\n50\n"
        assert executor.logs(handle).count("\n") == 50
        assert executor.logs(handle, stream="stderr") == "e1\ne2\n"
        assert executor.logs(handle, stream="stderr", tail=1) == "e2\n"

    def test_recover_from_new_instance(
        self, executor: Executor, new_executor: Callable[[], Executor], tmp_path: Path
    ) -> None:
        self.require(executor, "recover")
        waiting = self.spec(tmp_path, "waiting", AWAIT_FILE, str(tmp_path / "go"))
        stored = [str(executor.submit(waiting)), str(executor.submit(
            self.spec(tmp_path, "quick", "print('quick')")))]
        self.started(waiting)
        handles = [JobHandle.parse(text) for text in stored]  # as read back from the graph
        self.finish(executor, handles[1])
        other = new_executor()
        assert other.poll(handles)[handles[0]].state is JobState.UNKNOWN
        recovered = other.recover(handles)
        assert recovered[handles[0]].state is JobState.EXECUTING
        assert recovered[handles[1]].state is JobState.COMPLETED
        (tmp_path / "go").touch()
        assert self.finish(other, handles[0])[handles[0]].state is JobState.COMPLETED
        if other.supports_logs:
            assert other.logs(handles[0]) == "released\n"

    def test_stage_local_file(self, executor: Executor, tmp_path: Path) -> None:
        self.require(executor, "stage_in")
        source = tmp_path / "inputs" / "data.txt"
        source.parent.mkdir()
        source.write_text("photons\n")
        inputs = [(str(source), "in/a.txt"), (source.as_uri(), "b.txt")]
        code = "open('out.txt', 'w').write(open('in/a.txt').read() + open('b.txt').read())"
        spec = self.spec(tmp_path, "staged", code, inputs=inputs)
        handle = executor.submit(spec)
        assert self.finish(executor, handle)[handle].state is JobState.COMPLETED
        assert (spec.workdir / "out.txt").read_text() == "photons\nphotons\n"

    def test_stage_unsupported_scheme_is_refused(
        self, executor: Executor, tmp_path: Path
    ) -> None:
        self.require(executor, "stage_in")
        spec = self.spec(tmp_path, "ftp", "pass", inputs=[("ftp://example.org/x.fits", "x")])
        with pytest.raises(StagingError, match="unsupported scheme 'ftp'"):
            executor.submit(spec)

    def test_environment_passed_and_secrets_hidden(
        self, executor: Executor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("MMODA_JWT_SECRET", "fake-secret-that-must-not-leak-0123456789")
        code = "import json, os\njson.dump(dict(os.environ), open('env.json', 'w'))"
        spec = self.spec(tmp_path, "env", code, environment={"MMODA_RUN_VALUE": "42"})
        handle = executor.submit(spec)
        assert self.finish(executor, handle)[handle].state is JobState.COMPLETED
        seen = json.loads((spec.workdir / "env.json").read_text())
        assert seen["MMODA_RUN_VALUE"] == "42"
        assert "MMODA_JWT_SECRET" not in seen
        assert "fake-secret-that-must-not-leak" not in json.dumps(seen)

    def test_unknown_handle(self, executor: Executor, tmp_path: Path) -> None:
        stranger = JobHandle(executor.kind, str(tmp_path / "never-submitted"))
        assert executor.poll([stranger])[stranger].state is JobState.UNKNOWN
        if executor.supports_cancel:
            with pytest.raises(UnknownJob):
                executor.cancel(stranger)
        if executor.supports_recover:
            assert executor.recover([stranger])[stranger].state is JobState.UNKNOWN
