"""LocalExecutor: the shared contract, then what is particular to local subprocesses."""

from __future__ import annotations

import functools
import http.server
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from contract import SLEEP, ExecutorContract

from mmoda.executors.base import Executor, JobHandle, JobSpec, JobState
from mmoda.executors.errors import ExecutorConfigError, StagingError, SubmitError
from mmoda.executors.local import LocalExecutor, LocalSettings
from mmoda.executors.local_procs import alive, identify
from mmoda.executors.registry import create_executor, executor_classes

FAST = {"kill_grace_s": 1.0, "cancel_on_close": True}

# Plays the service: submits, prints the handles, then dies by SIGKILL without closing anything.
SUBMIT_AND_DIE = """
import json, os, signal, sys
from mmoda.executors.base import JobSpec
from mmoda.executors.local import LocalExecutor
executor = LocalExecutor({"max_jobs": int(sys.argv[2])})
specs = [JobSpec.model_validate(s) for s in json.loads(sys.argv[1])]
print(json.dumps([str(executor.submit(s)) for s in specs]), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""
SPAWNS_CHILD = (
    "import subprocess, sys, time\n"
    "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
    "open('child.pid', 'w').write(str(p.pid))\n"
    "open('started', 'w').close()\n"
)


def submit_and_die(specs: list[JobSpec], max_jobs: int = 1) -> list[JobHandle]:
    """Submit from another process that is then killed -9 (a crashed service)."""
    data = json.dumps([s.model_dump(mode="json") for s in specs])
    run = subprocess.run([sys.executable, "-c", SUBMIT_AND_DIE, data, str(max_jobs)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == -signal.SIGKILL, run.stderr
    return [JobHandle.parse(text) for text in json.loads(run.stdout)]


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


class TestLocalExecutor(ExecutorContract):
    @pytest.fixture
    def make(self) -> Iterator[Callable[..., LocalExecutor]]:
        made: list[LocalExecutor] = []

        def make(**settings: Any) -> LocalExecutor:
            made.append(LocalExecutor({**FAST, **settings}))
            return made[-1]

        yield make
        for executor in made:
            executor.close()

    @pytest.fixture
    def executor(self, make: Callable[..., LocalExecutor]) -> Executor:
        return make(max_jobs=4)

    @pytest.fixture
    def new_executor(self, make: Callable[..., LocalExecutor]) -> Callable[[], Executor]:
        return lambda: make(max_jobs=4)

    @pytest.fixture
    def one_slot_executor(self, make: Callable[..., LocalExecutor]) -> Executor:
        return make(max_jobs=1)

    def states(self, executor: Executor, handles: list[JobHandle]) -> list[JobState]:
        statuses = executor.poll(handles)
        return [statuses[h].state for h in handles]

    def test_worker_pool_bound(self, make: Callable[..., LocalExecutor], tmp_path: Path) -> None:
        executor = make(max_jobs=2)
        handles = [executor.submit(self.spec(tmp_path, f"j{i}", SLEEP)) for i in range(3)]
        assert self.states(executor, handles) == [JobState.EXECUTING] * 2 + [JobState.QUEUED]
        executor.cancel(handles[0])
        eventually(lambda: self.states(executor, handles)[2] is JobState.EXECUTING)
        assert self.states(executor, handles)[:2] == [JobState.ABORTED, JobState.EXECUTING]

    def test_queued_jobs_run_one_after_another(
        self, make: Callable[..., LocalExecutor], tmp_path: Path
    ) -> None:
        executor = make(max_jobs=1)
        handles = [executor.submit(self.spec(tmp_path, f"q{i}", "pass")) for i in range(4)]
        statuses = self.finish(executor, *handles)
        runs = [statuses[h] for h in handles]
        assert all(s.state is JobState.COMPLETED for s in runs)
        for before, after in itertools.pairwise(runs):
            assert before.ended_at and after.started_at and before.ended_at <= after.started_at

    def test_cancel_kills_the_process_group(self, executor: Executor, tmp_path: Path) -> None:
        spec = self.spec(tmp_path, "parent", SPAWNS_CHILD + "time.sleep(60)\n")
        handle = executor.submit(spec)
        self.started(spec)
        child = identify(int((spec.workdir / "child.pid").read_text()))
        assert alive(child)
        executor.cancel(handle)
        assert self.finish(executor, handle)[handle].state is JobState.ABORTED
        eventually(lambda: not alive(child), timeout=5)

    def test_leftover_processes_die_with_the_job(
        self, executor: Executor, tmp_path: Path
    ) -> None:
        spec = self.spec(tmp_path, "leaves-child", SPAWNS_CHILD)
        handle = executor.submit(spec)
        assert self.finish(executor, handle)[handle].state is JobState.COMPLETED
        child = identify(int((spec.workdir / "child.pid").read_text()))
        eventually(lambda: not alive(child), timeout=5)

    def test_cancel_right_after_submit(
        self, make: Callable[..., LocalExecutor], tmp_path: Path
    ) -> None:
        executor = make(kill_grace_s=60)  # the job must end on SIGTERM, not on the SIGKILL
        handles = [executor.submit(self.spec(tmp_path, f"c{i}", SLEEP)) for i in range(3)]
        for handle in handles:
            executor.cancel(handle)
        statuses = executor.wait(handles, timeout=10)
        assert all(s.state is JobState.ABORTED for s in statuses.values()), statuses

    def test_cancel_escalates_to_sigkill(
        self, make: Callable[..., LocalExecutor], tmp_path: Path
    ) -> None:
        executor = make(kill_grace_s=0.2)
        code = "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n" + SLEEP
        spec = self.spec(tmp_path, "stubborn", code)
        handle = executor.submit(spec)
        self.started(spec)
        executor.cancel(handle)
        status = self.finish(executor, handle)[handle]
        assert status.state is JobState.ABORTED and status.message == "cancelled"

    def test_walltime_is_a_time_limit(self, executor: Executor, tmp_path: Path) -> None:
        spec = self.spec(tmp_path, "walltime", SLEEP, resources={"walltime_s": 0.3})
        status = self.finish(executor, h := executor.submit(spec))[h]
        assert status.state is JobState.ERROR and status.message == "timed out after 0.3 s"

    def test_memory_limit_enforced(
        self, make: Callable[..., LocalExecutor], tmp_path: Path
    ) -> None:
        executor = make(enforce_memory=True)
        spec = self.spec(tmp_path, "greedy", "x = bytearray(4 * 1024**3)",
                         resources={"memory_mb": 300})
        status = self.finish(executor, h := executor.submit(spec))[h]
        assert status.state is JobState.ERROR and "MemoryError" in status.message

    def test_missing_program_is_error(self, executor: Executor, tmp_path: Path) -> None:
        spec = JobSpec(run_id="missing", command=["no-such-program-xyz"], workdir=tmp_path / "m")
        status = self.finish(executor, h := executor.submit(spec))[h]
        assert status.exit_code == 127 and "no-such-program-xyz" in status.message

    def test_default_signal_actions_restored(self, executor: Executor, tmp_path: Path) -> None:
        # Python ignores SIGPIPE; if the job inherited that, `yes` would fail on a broken pipe.
        spec = JobSpec(run_id="pipe", command=["sh", "-c", "yes | head -n 1"],
                       workdir=tmp_path / "pipe")
        status = self.finish(executor, h := executor.submit(spec))[h]
        assert status.state is JobState.COMPLETED
        assert executor.logs(h, stream="stderr") == ""

    def test_tail_of_a_long_log(self, executor: Executor, tmp_path: Path) -> None:
        code = "for i in range(20000): print('line', i, 'x' * (i % 50))"
        handle = executor.submit(self.spec(tmp_path, "long", code))
        self.finish(executor, handle)
        lines = executor.logs(handle, tail=700).splitlines()
        assert len(lines) == 700 and lines[0].startswith("line 19300 ")
        assert executor.logs(handle, tail=0) == ""
        assert len(executor.logs(handle, tail=10**6).splitlines()) == 20000

    def test_refusals(self, executor: Executor, tmp_path: Path) -> None:
        spec = self.spec(tmp_path, "once", "pass")
        self.finish(executor, executor.submit(spec))
        with pytest.raises(SubmitError, match="already holds a job"):
            executor.submit(spec)
        with pytest.raises(SubmitError, match="GPUs"):
            executor.submit(self.spec(tmp_path, "gpu", "pass", resources={"gpus": 1}))
        executor.close()
        with pytest.raises(SubmitError, match="closed"):
            executor.submit(self.spec(tmp_path, "late", "pass"))

    def test_recover_after_the_service_was_killed(self, tmp_path: Path) -> None:
        waiting = self.spec(tmp_path, "waiting", "import os, time\nopen('started', 'w').close()"
                            "\nwhile not os.path.exists('go'): time.sleep(0.01)")
        queued = self.spec(tmp_path, "queued", "print('ran after a restart')")
        handles = submit_and_die([waiting, queued])
        self.started(waiting)
        with LocalExecutor({"max_jobs": 1, **FAST}) as executor:
            recovered = executor.recover(handles)
            assert [recovered[h].state for h in handles] == [JobState.EXECUTING, JobState.QUEUED]
            (waiting.workdir / "go").touch()
            statuses = self.finish(executor, *handles)
            assert all(s.state is JobState.COMPLETED for s in statuses.values())
            assert executor.logs(handles[1]) == "ran after a restart\n"

    def test_recovered_jobs_can_be_cancelled_and_time_out(self, tmp_path: Path) -> None:
        limited = self.spec(tmp_path, "limited", SLEEP, timeout_s=0.5)
        endless = self.spec(tmp_path, "endless", SLEEP)
        handles = submit_and_die([limited, endless], max_jobs=2)
        self.started(endless)
        with LocalExecutor({"max_jobs": 2, **FAST}) as executor:
            assert all(s.state is JobState.EXECUTING
                       for s in executor.recover(handles).values())
            executor.cancel(handles[1])
            statuses = self.finish(executor, *handles)
        assert statuses[handles[0]].message == "timed out after 0.5 s"
        assert statuses[handles[1]].state is JobState.ABORTED

    def test_recover_a_job_that_ended_while_down(self, tmp_path: Path) -> None:
        (handle,) = submit_and_die([self.spec(tmp_path, "brief", "raise SystemExit(4)")])
        eventually(lambda: (tmp_path / "brief" / ".executor" / "exit").exists())
        status = LocalExecutor(FAST).recover([handle])[handle]
        assert status.state is JobState.ERROR and status.exit_code == 4

    def test_recover_a_job_killed_without_exit_status(self, tmp_path: Path) -> None:
        spec = self.spec(tmp_path, "oom-killed", SLEEP)
        (handle,) = submit_and_die([spec])
        self.started(spec)
        wrapper = identify(int((spec.workdir / ".executor" / "pid").read_text().split()[0]))
        os.killpg(wrapper.pid, signal.SIGKILL)
        eventually(lambda: not alive(wrapper))
        status = LocalExecutor(FAST).recover([handle])[handle]
        assert status.state is JobState.ERROR and "without recording an exit status" in (
            status.message)

    def test_recover_a_damaged_directory(self, executor: Executor, tmp_path: Path) -> None:
        spec = self.spec(tmp_path, "damaged", "pass")
        handle = executor.submit(spec)
        self.finish(executor, handle)
        (spec.workdir / ".executor" / "exit").write_text("not a number")
        status = LocalExecutor(FAST).recover([handle])[handle]
        assert status.state is JobState.UNKNOWN and "unreadable" in status.message
        assert (spec.workdir / ".executor" / "spec.json").stat().st_mode & 0o777 == 0o600

    def test_recover_foreign_handles(self, executor: Executor, tmp_path: Path) -> None:
        foreign = [JobHandle("slurm", "12345"), JobHandle("local", "relative/dir"),
                   JobHandle("local", str(tmp_path))]
        assert all(s.state is JobState.UNKNOWN for s in executor.recover(foreign).values())


class TestLocalStaging:
    @pytest.fixture
    def http_root(self, tmp_path: Path) -> Iterator[tuple[str, Path]]:
        root = tmp_path / "served"
        root.mkdir()
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
        handler.log_message = lambda *a: None  # type: ignore[attr-defined]
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        yield f"http://127.0.0.1:{server.server_address[1]}", root
        server.shutdown()

    def submit(self, tmp_path: Path, inputs: list[tuple[str, str]], **settings: Any) -> Path:
        executor = LocalExecutor({**FAST, **settings})
        spec = JobSpec(run_id="s", command=[sys.executable, "-c", "pass"],
                       workdir=tmp_path / "job", inputs=inputs)
        executor.wait([executor.submit(spec)], 20)
        return spec.workdir

    def test_download(self, tmp_path: Path, http_root: tuple[str, Path]) -> None:
        url, root = http_root
        (root / "events.fits").write_bytes(b"SIMPLE  =" * 1000)
        workdir = self.submit(tmp_path, [(f"{url}/events.fits", "data/events.fits")])
        assert (workdir / "data" / "events.fits").read_bytes() == b"SIMPLE  =" * 1000

    def test_download_failure_hides_credentials(
        self, tmp_path: Path, http_root: tuple[str, Path]
    ) -> None:
        url = http_root[0].replace("http://", "http://user:pw-secret@") + "/no.fits?token=tok-1"
        with pytest.raises(StagingError, match="HTTP 404") as caught:
            self.submit(tmp_path, [(url, "no.fits")])
        assert "pw-secret" not in str(caught.value) and "tok-1" not in str(caught.value)
        assert not (tmp_path / "job" / ".executor").exists()  # the workdir may be used again

    def test_copy_mode_and_roots(self, tmp_path: Path) -> None:
        allowed, other = tmp_path / "allowed", tmp_path / "other"
        for d in (allowed, other):
            d.mkdir()
            (d / "f.txt").write_text(d.name)
        workdir = self.submit(tmp_path, [(str(allowed / "f.txt"), "f.txt")], stage_mode="copy",
                              stage_roots=[allowed])
        assert (workdir / "f.txt").read_text() == "allowed"
        assert not (workdir / "f.txt").is_symlink()
        with pytest.raises(StagingError, match="outside the directories"):
            self.submit(tmp_path / "2", [(str(other / "f.txt"), "f.txt")], stage_roots=[allowed])

    def test_all_or_nothing(self, tmp_path: Path) -> None:
        good = tmp_path / "good.txt"
        good.write_text("ok")
        with pytest.raises(StagingError, match="no such file"):
            self.submit(tmp_path, [(str(good), "a/good.txt"), ("/no/such/input", "b.txt")])
        workdir = self.submit(tmp_path, [(str(good), "a/good.txt")])  # nothing left behind
        assert (workdir / "a" / "good.txt").read_text() == "ok"

    @pytest.mark.parametrize("source, reason", [
        ("relative/path.txt", "absolute path"),
        ("/no/such/file.txt", "no such file"),
        ("file://elsewhere/x.txt", "another host"),
        ("s3://bucket/key", "unsupported scheme 's3'"),
    ])
    def test_refused_sources(self, tmp_path: Path, source: str, reason: str) -> None:
        with pytest.raises(StagingError, match=reason):
            self.submit(tmp_path, [(source, "x")])


def test_entry_point_discovers_local() -> None:
    assert executor_classes()["local"] is LocalExecutor


def test_create_executor_validates_settings() -> None:
    executor = create_executor("local", {"max_jobs": 3})
    assert isinstance(executor, LocalExecutor) and executor.settings.max_jobs == 3
    model = LocalSettings(max_jobs=2)
    assert create_executor("local", model).settings is model


@pytest.mark.parametrize("settings, field", [
    ({"max_jobs": 0}, "max_jobs"),
    ({"kill_grace_s": "soon"}, "kill_grace_s"),
    ({"stage_mode": "hardlink"}, "stage_mode"),
    ({"no_such_setting": 1}, "no_such_setting"),
])
def test_invalid_settings_name_the_field(settings: dict[str, Any], field: str) -> None:
    with pytest.raises(ExecutorConfigError, match=f"local executor settings: {field}") as caught:
        create_executor("local", settings)
    assert caught.value.fields == [field]


def test_unknown_kind() -> None:
    with pytest.raises(ExecutorConfigError, match=r"unknown executor kind 'pbs'.*local"):
        create_executor("pbs", {})
