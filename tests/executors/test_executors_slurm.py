"""SlurmExecutor: the shared contract over both transports (slurmrestd and the commands), then
what is particular to Slurm. Most tests need the rig (`slurm_rig`); the unit tests at the end
do not. The Slurm time-limit test is slow (Slurm counts whole minutes and checks every 30 s):
its jobs are submitted by the first test of the module and checked by the last one.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import slurm_rig
from contract import SLEEP, ExecutorContract

from mmoda.executors.base import Executor, JobHandle, JobSpec, JobState
from mmoda.executors.errors import ExecutorConfigError, SubmitError
from mmoda.executors.slurm import SlurmExecutor, batch_script
from mmoda.executors.slurm_cli import SlurmCli
from mmoda.executors.slurm_rest import SlurmRest
from mmoda.executors.slurm_script import (
    SlurmError,
    SlurmRecord,
    decode_wait_status,
    job_status,
    slurm_minutes,
)

SECRET = "tok-must-never-leak-4f1c2e9d"


def job_id(handle: JobHandle) -> str:
    return handle.job_id.partition("@")[0]


@pytest.fixture(scope="module")
def cli_rig() -> dict[str, Any]:
    slurm_rig.need(slurm_rig.cli_missing())
    return slurm_rig.cli_settings()


@pytest.fixture(scope="module")
def rest_rig(cli_rig: dict[str, Any]) -> dict[str, Any]:
    slurm_rig.need(slurm_rig.rest_missing())
    return slurm_rig.rest_settings()


@pytest.fixture(scope="module")
def walltime_jobs(
    cli_rig: dict[str, Any], rest_rig: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[dict[str, Any], JobHandle]]:
    """A job per transport with no limit of its own, under a site default walltime of 1 min."""
    root = tmp_path_factory.mktemp("walltime")
    jobs = {}
    for name, settings in (("cli", cli_rig), ("rest", rest_rig)):
        site = {**settings, "default_walltime_s": 60}
        spec = JobSpec(run_id=f"walltime-{name}", workdir=root / name,
                       command=[sys.executable, "-c", SLEEP.replace("60", "600")])
        jobs[name] = (site, SlurmExecutor(site).submit(spec))
    return jobs


def test_walltime_jobs_start(walltime_jobs: dict[str, tuple[dict[str, Any], JobHandle]]) -> None:
    for site, handle in walltime_jobs.values():
        status = SlurmExecutor(site).recover([handle])[handle]
        assert status.state in (JobState.QUEUED, JobState.EXECUTING), status


class SlurmContract(ExecutorContract):
    """The contract plus the Slurm-specific behaviour, for one transport (`site`)."""

    patience_s = 30.0

    @pytest.fixture
    def site(self) -> dict[str, Any]:
        raise NotImplementedError

    @pytest.fixture
    def make(self, site: dict[str, Any]) -> Iterator[Callable[..., SlurmExecutor]]:
        made: list[SlurmExecutor] = []

        def make(**settings: Any) -> SlurmExecutor:
            made.append(SlurmExecutor({**site, "cancel_on_close": True, **settings}))
            return made[-1]

        yield make
        for executor in made:
            executor.close()

    @pytest.fixture
    def executor(self, make: Callable[..., SlurmExecutor]) -> Executor:
        return make()

    @pytest.fixture
    def new_executor(self, make: Callable[..., SlurmExecutor]) -> Callable[[], Executor]:
        return make

    @pytest.fixture
    def one_slot_executor(self, make: Callable[..., SlurmExecutor]) -> Executor:
        # Slurm starts a job at its next scheduling pass (up to a second on the rig): settling
        # makes the first job EXECUTING before the second is submitted, as the contract expects.
        return make(partition=slurm_rig.ONE_SLOT_PARTITION, submit_settle_s=10)

    def count_calls(self, executor: SlurmExecutor, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
        """A list that grows by one for every call to Slurm the executor makes."""
        raise NotImplementedError

    def test_operator_scancel_is_aborted_with_reason(
        self, executor: Executor, tmp_path: Path
    ) -> None:
        spec = self.spec(tmp_path, "victim", SLEEP)
        handle = executor.submit(spec)
        self.started(spec)
        subprocess.run(["scancel", job_id(handle)], check=True, timeout=20)
        status = self.finish(executor, handle)[handle]
        assert status.state is JobState.ABORTED
        assert "cancelled by the operator (scancel)" in status.message

    def test_exit_code_3(self, executor: Executor, tmp_path: Path) -> None:
        handle = executor.submit(self.spec(tmp_path, "three", "raise SystemExit(3)"))
        status = self.finish(executor, handle)[handle]
        assert status.state is JobState.ERROR and status.exit_code == 3
        assert status.message.startswith("exit code 3")

    def test_unknown_job_id_is_terminal_with_reason(
        self, executor: Executor, tmp_path: Path
    ) -> None:
        handle = JobHandle("slurm", f"987654321@{tmp_path / 'gone'}")
        status = executor.recover([handle])[handle]
        assert status.state is JobState.ERROR
        assert "Slurm no longer knows job 987654321" in status.message
        assert executor.wait([handle], timeout=5)[handle].state is JobState.ERROR

    def test_one_call_polls_all_jobs(
        self, make: Callable[..., SlurmExecutor], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch
    ) -> None:
        executor = make(poll_min_interval=0)
        handles = [executor.submit(self.spec(tmp_path, f"n{i}", "pass")) for i in range(4)]
        calls = self.count_calls(executor, monkeypatch)
        statuses = executor.poll(handles)
        assert len(calls) == 1 and set(statuses) == set(handles)
        self.finish(executor, *handles)

    def test_rate_limit_answers_from_cache(
        self, make: Callable[..., SlurmExecutor], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch
    ) -> None:
        executor = make(poll_min_interval=60)
        handle = executor.submit(self.spec(tmp_path, "cached", "pass"))
        calls = self.count_calls(executor, monkeypatch)
        first = executor.poll([handle])
        assert [executor.poll([handle]) for _ in range(5)] == [first] * 5
        assert len(calls) == 1

    def test_batch_script_is_kept(self, executor: Executor, tmp_path: Path) -> None:
        spec = self.spec(tmp_path, "inspect", "pass", environment={"QUOTED": "it's $HOME"})
        handle = executor.submit(spec)
        assert isinstance(executor, SlurmExecutor)
        assert (spec.workdir / "job.sbatch").read_text() == batch_script(spec, executor.settings)
        self.finish(executor, handle)


class TestSlurmCli(SlurmContract):
    @pytest.fixture
    def site(self, cli_rig: dict[str, Any]) -> dict[str, Any]:
        return cli_rig

    def count_calls(self, executor: SlurmExecutor, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
        calls: list[Any] = []
        real = subprocess.run

        def counting(*args: Any, **kwargs: Any) -> Any:
            calls.append(args[0])
            return real(*args, **kwargs)

        monkeypatch.setattr("mmoda.executors.slurm_cli.subprocess.run", counting)
        return calls

    def test_sbatch_failure_is_submit_error(
        self, make: Callable[..., SlurmExecutor], tmp_path: Path
    ) -> None:
        executor = make(partition="no-such-partition")
        spec = self.spec(tmp_path, "refused", "pass")
        with pytest.raises(SubmitError, match="sbatch failed"):
            executor.submit(spec)
        assert not (spec.workdir / ".slurm").exists()  # the work directory may be used again


class TestSlurmRest(SlurmContract):
    @pytest.fixture
    def site(self, rest_rig: dict[str, Any]) -> dict[str, Any]:
        return rest_rig

    def count_calls(self, executor: SlurmExecutor, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
        calls: list[Any] = []
        assert isinstance(executor.transport, SlurmRest)
        client = executor.transport.client
        real = client.request

        def counting(method: str, url: Any, **kwargs: Any) -> Any:
            calls.append((method, url))
            return real(method, url, **kwargs)

        monkeypatch.setattr(client, "request", counting)
        return calls

    def test_api_version_detected(self, make: Callable[..., SlurmExecutor]) -> None:
        executor = make()
        assert isinstance(executor.transport, SlurmRest)
        assert executor.transport.api() == "/slurm/v0.0.38"

    def test_token_never_in_errors_or_logs(
        self, make: Callable[..., SlurmExecutor], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)
        monkeypatch.setenv("SLURM_TEST_JWT", SECRET)
        bad = make(token_file=None, token_env="SLURM_TEST_JWT", api_version="v0.0.38")
        with pytest.raises(SubmitError) as refused:
            bad.submit(self.spec(tmp_path, "bad-token", "pass"))
        gone = make(token_file=None, token_env="SLURM_TEST_JWT", url="http://127.0.0.1:9")
        with pytest.raises(SlurmError) as unreachable:
            gone.recover([JobHandle("slurm", f"1@{tmp_path}")])
        texts = [str(refused.value), repr(refused.value), str(unreachable.value),
                 caplog.text, repr(bad.settings), str(bad.settings.model_dump())]
        assert all(SECRET not in text for text in texts)


def test_walltime_exceeded_is_error_time_limit(
    walltime_jobs: dict[str, tuple[dict[str, Any], JobHandle]]
) -> None:
    for site, handle in walltime_jobs.values():
        executor = SlurmExecutor(site)
        status = executor.wait(list(executor.recover([handle])), timeout=150)[handle]
        assert status.state is JobState.ERROR, status
        assert "time limit" in status.message


# -- no rig needed -----------------------------------------------------------------------------


def test_wait_status_decoding() -> None:
    assert decode_wait_status(768) == 3
    assert decode_wait_status(9) == -9 and decode_wait_status(0) == 0
    assert slurm_minutes(0.5) == 1 and slurm_minutes(61) == 2


def test_batch_script_quotes_everything(tmp_path: Path) -> None:
    spec = JobSpec(run_id="q", command=["prog", "a b", "$(rm -rf /)", "it's"],
                   workdir=tmp_path / "dir with space", environment={"V": "x; rm -rf /"},
                   resources={"cpus": 1.5, "memory_mb": 300, "extra": {"qos": "high"}},
                   timeout_s=90)
    script = batch_script(spec, {"partition": "p1", "sbatch_options": ["--exclusive"]})
    assert f"#SBATCH --chdir='{tmp_path}/dir with space'" in script
    assert "prog 'a b' '$(rm -rf /)' 'it'\"'\"'s'" in script
    assert "export V='x; rm -rf /'" in script and "timeout --kill-after=5 90 prog" in script
    for line in ("--cpus-per-task=2", "--mem=300M", "--time=3", "--partition=p1", "--qos=high",
                 "#SBATCH --exclusive"):
        assert line in script
    checked = subprocess.run(["bash", "-n"], input=script, text=True, check=False)
    assert checked.returncode == 0


def test_states_map_to_uws_phases(tmp_path: Path) -> None:
    (tmp_path / ".slurm").mkdir()
    now = datetime.now(UTC)

    def status(state: str, code: int | None = None, reason: str = "") -> Any:
        return job_status("7", SlurmRecord("7", state, reason, code, now, now), tmp_path)

    assert status("PENDING", reason="Resources").state is JobState.QUEUED
    assert status("COMPLETING").state is JobState.EXECUTING
    assert status("OUT_OF_MEMORY", 0).message.startswith("out of memory")
    assert "time limit" in status("TIMEOUT", -15).message
    assert status("CANCELLED by 0", reason="CANCELLED by 0").message.startswith(
        "cancelled by the operator (scancel)")
    (tmp_path / ".slurm" / "cancelled").touch()
    assert status("CANCELLED").message == "cancelled"
    (tmp_path / ".slurm" / "exit").write_text(f"0 {now.timestamp()} {now.timestamp()} -\n")
    assert job_status("7", None, tmp_path).state is JobState.COMPLETED  # forgotten, yet known


def test_rest_version_prefers_the_newest() -> None:
    paths = {"/slurm/v0.0.36/jobs": {}, "/slurm/v0.0.37/jobs": {}, "/openapi/v3": {}}
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"paths": paths})

    rest = SlurmRest("http://slurm.invalid", "alice", lambda: SECRET)
    rest.client = httpx.Client(base_url="http://slurm.invalid",
                               transport=httpx.MockTransport(answer))
    assert rest.api() == "/slurm/v0.0.37" and rest.api() == "/slurm/v0.0.37"
    assert len(seen) == 1 and seen[0].headers["X-SLURM-USER-NAME"] == "alice"


@pytest.mark.parametrize("settings, field", [
    ({"transport": "rest"}, "url and token"),
    ({"transport": "rest", "url": "http://x", "token_env": "T", "sbatch_options": ["-N1"]},
     "rest_job_fields"),
    ({"sbatch_options": ["--x\n#SBATCH --y"]}, "line break"),
    ({"ssh_host": "-oProxyCommand=evil"}, "ssh_host"),
    ({"api_version": "v0.0.40"}, "api_version"),
])
def test_invalid_settings(settings: dict[str, Any], field: str) -> None:
    with pytest.raises(ExecutorConfigError, match=field):
        SlurmExecutor(settings)


def test_cli_through_ssh_and_forgotten_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """squeue forgot job 8 (MinJobAge): one sacct -c call tells how it ended; all through ssh."""
    calls: list[list[str]] = []
    answers = {"squeue": (0, "7|RUNNING|None|2026-01-01T10:00:00|Unknown|0|\n", ""),
               "sacct": (0, "8|CANCELLED by 0|0:15|2026-01-01T09:00:00|2026-01-01T09:05:00\n",
                         "")}

    def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append(argv)
        code, out, err = answers[argv[-1].split()[0]]
        return subprocess.CompletedProcess(argv, code, out, err)

    monkeypatch.setattr("mmoda.executors.slurm_cli.subprocess.run", run)
    cli = SlurmCli(ssh_host="login1", ssh_options=["-o", "BatchMode=yes"], accounting="jobcomp")
    records = cli.query(["7", "8"])
    assert records["7"].state == "RUNNING" and records["7"].ended is None
    assert records["8"].exit_code == -15 and records["8"].reason == "CANCELLED by 0"
    assert [c[:4] for c in calls] == [["ssh", "-o", "BatchMode=yes", "login1"]] * 2
    assert calls[0][4].startswith("squeue --jobs=7,8 --states=all")
    assert calls[1][4].startswith("sacct -c -X -n -P --jobs=8 ")
    answers["squeue"] = (1, "", "slurm_load_jobs error: Invalid job id specified\n")
    answers["sacct"] = (1, "", "Slurm accounting storage is disabled\n")
    assert cli.query(["9"]) == {}  # unknown everywhere: the executor decides (no exception)
