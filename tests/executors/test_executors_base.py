"""The executor contract's types: JobSpec validation, handles, states, settings, base defaults."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError

from mmoda.executors.base import (
    Executor,
    JobHandle,
    JobSpec,
    JobState,
    JobStatus,
    validate_settings,
)
from mmoda.executors.errors import (
    ExecutorConfigError,
    InvalidHandle,
    UnsupportedOperation,
)


def spec(**fields: Any) -> JobSpec:
    return JobSpec.model_validate({"run_id": "r1", "command": ["true"], "workdir": "/tmp/w",
                                   **fields})


@pytest.mark.parametrize("fields", [
    {"run_id": "../escape"},
    {"run_id": ""},
    {"command": []},
    {"command": [""]},
    {"command": ["echo", "a\0b"]},
    {"environment": {"BAD-NAME": "x"}},
    {"environment": {"OK": "a\0b"}},
    {"inputs": [("/data/x", "../outside")]},
    {"inputs": [("/data/x", "/absolute")]},
    {"inputs": [("/data/x", "")]},
    {"timeout_s": 0},
    {"resources": {"cpus": 0}},
    {"resources": {"walltime": 10}},
    {"surprise": True},
])
def test_jobspec_refuses(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        spec(**fields)


def test_jobspec_normalises_and_freezes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    job = spec(workdir="rel/dir", inputs=[["https://x.org/a.fits", "in/a.fits"]])
    assert job.workdir == tmp_path / "rel" / "dir"
    assert job.inputs == [("https://x.org/a.fits", "in/a.fits")]
    with pytest.raises(ValidationError):
        job.run_id = "other"  # type: ignore[misc]
    assert JobSpec.model_validate_json(job.model_dump_json()) == job


def test_time_limit_is_the_tighter_one() -> None:
    assert spec().time_limit is None
    assert spec(timeout_s=30).time_limit == 30
    assert spec(timeout_s=30, resources={"walltime_s": 10}).time_limit == 10


def test_handle_round_trip() -> None:
    handle = JobHandle("local", "/data/runs/a:b")
    assert str(handle) == "local:/data/runs/a:b"
    assert JobHandle.parse(str(handle)) == handle
    assert {handle: 1}[JobHandle.parse("local:/data/runs/a:b")] == 1


@pytest.mark.parametrize("text", ["no-colon", ":id", "local:", "bad kind:1"])
def test_bad_handles(text: str) -> None:
    with pytest.raises(InvalidHandle):
        JobHandle.parse(text)


def test_states_are_uws_phases() -> None:
    assert {s.uws_phase for s in JobState} == {
        "PENDING", "QUEUED", "EXECUTING", "COMPLETED", "ERROR", "ABORTED", "UNKNOWN"}
    assert {s for s in JobState if s.terminal} == {
        JobState.COMPLETED, JobState.ERROR, JobState.ABORTED}


class Nested(BaseModel):
    depth: int = Field(1, ge=1)


class Outer(BaseModel):
    inner: Nested = Nested()


def test_settings_errors_name_nested_fields() -> None:
    with pytest.raises(ExecutorConfigError, match=r"toy executor settings: inner\.depth") as e:
        validate_settings(Outer, {"inner": {"depth": 0}}, "toy")
    assert e.value.fields == ["inner.depth"]
    assert validate_settings(Outer, None, "toy") == Outer()


class Countdown(Executor):
    """Completes each job after two polls; implements only what is required."""

    kind = "countdown"

    def __init__(self, settings: Any = None) -> None:
        super().__init__(settings)
        self.polls = 0

    def submit(self, spec: JobSpec) -> JobHandle:
        return JobHandle(self.kind, spec.run_id)

    def poll(self, handles: Sequence[JobHandle]) -> dict[JobHandle, JobStatus]:
        self.polls += 1
        state = JobState.COMPLETED if self.polls > 2 else JobState.EXECUTING
        return {h: JobStatus(state) for h in handles}


def test_base_defaults() -> None:
    with Countdown() as executor:
        handle = executor.submit(spec())
        assert executor.wait([handle], timeout=5)[handle].state is JobState.COMPLETED
        assert executor.polls == 3
        for call in (lambda: executor.cancel(handle), lambda: executor.logs(handle),
                     lambda: executor.recover([handle])):
            with pytest.raises(UnsupportedOperation):
                call()
    with pytest.raises(ExecutorConfigError, match="countdown executor settings: extra"):
        Countdown({"extra": 1})


def test_wait_gives_up_at_the_timeout() -> None:
    executor = Countdown()
    executor.polls = -1000
    handle = executor.submit(spec())
    assert executor.wait([handle], timeout=0.05)[handle].state is JobState.EXECUTING
