"""The executor contract: a job's spec, its handle, its state and what every executor does.

Modelled on dagster's RunLauncher and Galaxy's job handlers: the platform builds a `JobSpec`,
an `Executor` turns it into a `JobHandle` (stored in the knowledge graph as a string), answers
batched `poll`s with `JobStatus`es and re-attaches to its jobs after a restart (`recover`).
Executors return values; they never call back into the platform.
"""

from __future__ import annotations

import abc
import enum
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mmoda.executors.errors import ExecutorConfigError, InvalidHandle, UnsupportedOperation

Stream = Literal["stdout", "stderr"]
M = TypeVar("M", bound=BaseModel)


class Resources(BaseModel):
    """What a job asks for; each executor documents what it enforces and what is advisory."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cpus: float = Field(1, gt=0)
    memory_mb: int | None = Field(None, gt=0)
    walltime_s: float | None = Field(None, gt=0)
    gpus: int = Field(0, ge=0)
    partition: str | None = None
    account: str | None = None
    extra: dict[str, str] = Field(default_factory=dict)


class JobSpec(BaseModel):
    """One job: an argv (never a shell string), where it runs, what it gets and may use."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
    command: list[str] = Field(min_length=1)
    workdir: Path
    environment: dict[str, str] = Field(default_factory=dict)
    inputs: list[tuple[str, str]] = Field(default_factory=list)
    resources: Resources = Field(default_factory=Resources)
    timeout_s: float | None = Field(None, gt=0)
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("command")
    @classmethod
    def _argv(cls, value: list[str]) -> list[str]:
        if not value[0] or any("\0" in arg for arg in value):
            raise ValueError("the program must be named and no argument may contain NUL")
        return value

    @field_validator("workdir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.absolute()

    @field_validator("environment")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not name.isidentifier() or not name.isascii() or "\0" in text:
                raise ValueError(f"{name!r} is not a valid environment variable")
        return value

    @field_validator("inputs")
    @classmethod
    def _relative(cls, value: list[tuple[str, str]]) -> list[tuple[str, str]]:
        for _, dest in value:
            parts = PurePosixPath(dest).parts
            if not parts or parts[0] == "/" or ".." in parts or "\\" in dest:
                raise ValueError(f"destination {dest!r} must be a relative path inside workdir")
        return value

    @property
    def time_limit(self) -> float | None:
        """The tighter of `timeout_s` and `resources.walltime_s` (None: no limit)."""
        limits = [t for t in (self.timeout_s, self.resources.walltime_s) if t is not None]
        return min(limits, default=None)


@dataclass(frozen=True)
class JobHandle:
    """An executor's name for a job: `str(handle)` is what the knowledge graph stores."""

    kind: str
    job_id: str

    def __post_init__(self) -> None:
        if not self.kind.replace("_", "").replace("-", "").isalnum() or not self.job_id:
            raise InvalidHandle(f"bad job handle {self.kind!r}:{self.job_id!r}")

    def __str__(self) -> str:
        return f"{self.kind}:{self.job_id}"

    @classmethod
    def parse(cls, text: str) -> JobHandle:
        """The handle `str(handle)` produced (the job id may itself contain colons)."""
        kind, sep, job_id = text.partition(":")
        if not sep:
            raise InvalidHandle(f"{text!r} is not a job handle ('<kind>:<job id>')")
        return cls(kind, job_id)


class JobState(enum.StrEnum):
    """Where a job is, named after the IVOA UWS execution phases (plus UNKNOWN)."""

    PENDING = "PENDING"
    QUEUED = "QUEUED"
    EXECUTING = "EXECUTING"
    COMPLETED = "COMPLETED"
    ERROR = "ERROR"
    ABORTED = "ABORTED"
    UNKNOWN = "UNKNOWN"

    @property
    def uws_phase(self) -> str:
        """The UWS `phase` value of this state."""
        return self.value

    @property
    def terminal(self) -> bool:
        """Whether the job is over and will never change state again."""
        return self in (JobState.COMPLETED, JobState.ERROR, JobState.ABORTED)


@dataclass(frozen=True)
class JobStatus:
    """A job's state as last seen; `exit_code` < 0 means killed by that signal (Python style)."""

    state: JobState
    exit_code: int | None = None
    message: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    progress: float | str | None = None


def validate_settings(model: type[M], value: BaseModel | Mapping[str, Any] | None, kind: str) -> M:
    """`value` validated as `model`; failures become an `ExecutorConfigError` naming the fields."""
    if isinstance(value, model):
        return value
    data = value.model_dump() if isinstance(value, BaseModel) else dict(value or {})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = [".".join(str(p) for p in err["loc"]) for err in exc.errors()]
        details = "; ".join(f"{f}: {e['msg']}" for f, e in zip(fields, exc.errors(), strict=True))
        raise ExecutorConfigError(f"{kind} executor settings: {details}", fields) from exc


class NoSettings(BaseModel):
    """Settings of an executor that has none."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Executor(abc.ABC):
    """One execution backend. Construct with its `Settings` (a model or a mapping).

    `poll` is batched: the platform asks once for all its active jobs. Operations an executor
    cannot do raise `UnsupportedOperation`; its `supports_*` flags say which those are.
    """

    kind: ClassVar[str]
    Settings: ClassVar[type[BaseModel]] = NoSettings
    supports_cancel: ClassVar[bool] = False
    supports_logs: ClassVar[bool] = False
    supports_recover: ClassVar[bool] = False
    supports_job_arrays: ClassVar[bool] = False
    supports_stage_in: ClassVar[bool] = False

    def __init__(self, settings: BaseModel | Mapping[str, Any] | None = None) -> None:
        self.settings: BaseModel = validate_settings(self.Settings, settings, self.kind)

    @abc.abstractmethod
    def submit(self, spec: JobSpec) -> JobHandle:
        """Start (or queue) the job; raises `SubmitError` (`StagingError`) when it cannot."""

    @abc.abstractmethod
    def poll(self, handles: Sequence[JobHandle]) -> dict[JobHandle, JobStatus]:
        """The current status of every handle (UNKNOWN for handles this instance does not track)."""

    def cancel(self, handle: JobHandle) -> None:
        """Abort a queued or running job (ABORTED); a finished job is left as it is."""
        raise UnsupportedOperation(f"the {self.kind} executor cannot cancel jobs")

    def logs(self, handle: JobHandle, *, stream: Stream = "stdout", tail: int | None = None) -> str:
        """The job's captured output so far, or its last `tail` lines."""
        raise UnsupportedOperation(f"the {self.kind} executor keeps no logs")

    def recover(self, handles: Sequence[JobHandle]) -> dict[JobHandle, JobStatus]:
        """Re-attach to jobs a previous instance submitted (after a service restart)."""
        raise UnsupportedOperation(f"the {self.kind} executor cannot recover jobs")

    def wait(
        self, handles: Sequence[JobHandle], timeout: float | None = None
    ) -> dict[JobHandle, JobStatus]:
        """Poll until every job is terminal or UNKNOWN, or `timeout` seconds pass."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.01
        while True:
            statuses = self.poll(handles)
            if all(s.state.terminal or s.state is JobState.UNKNOWN for s in statuses.values()):
                return statuses
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return statuses
            time.sleep(delay if left is None else min(delay, left))
            delay = min(delay * 2, 1.0)

    def close(self) -> None:  # noqa: B027 - an optional hook, a no-op by default
        """Release the executor's resources; submitted jobs keep running unless it says so."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
