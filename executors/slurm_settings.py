"""Settings of the Slurm executor, the sbatch options and batch script they give a job, and
the transport protocol (slurmrestd or the commands) the executor drives."""

from __future__ import annotations

import getpass
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mmoda.executors.base import JobSpec, validate_settings
from mmoda.executors.slurm_cli import Accounting
from mmoda.executors.slurm_script import (
    ScriptOptions,
    SlurmRecord,
    render,
    slurm_minutes,
)

__all__ = ["SlurmSettings", "Transport", "batch_script", "script_options"]


class SlurmSettings(BaseModel):
    """Settings of the Slurm executor (a site's configuration; holds no secret itself)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    transport: Literal["rest", "cli"] = "cli"
    url: str | None = Field(None, description="rest: slurmrestd's base URL.")
    user_name: str = Field(default_factory=getpass.getuser, description="rest: X-SLURM-USER-NAME.")
    token_env: str | None = Field(None, description="rest: variable holding the JWT.")
    token_file: Path | None = Field(None, description="rest: file holding the JWT.")
    api_version: str | None = Field(None, pattern=r"^v0\.0\.3[678]$",
                                    description="rest: e.g. v0.0.38; None: the newest offered.")
    request_timeout_s: float = Field(30.0, gt=0)
    verify_tls: bool = True
    rest_job_fields: dict[str, Any] = Field(default_factory=dict,
                                            description="rest: extra `job` properties.")
    ssh_host: str | None = Field(None, pattern=r"^[^-\s][^\s]*$",
                                 description="cli: run the commands on this login node.")
    ssh_options: tuple[str, ...] = ("-o", "BatchMode=yes")
    command_prefix: tuple[str, ...] = Field((), description="cli: argv before each command.")
    command_timeout_s: float = Field(60.0, gt=0)
    accounting: Accounting = Field("sacct", description="cli: sacct, jobcomp (sacct -c), none.")
    sbatch_options: tuple[str, ...] = Field((), description="cli: extra #SBATCH options.")
    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    default_memory_mb: int | None = Field(None, gt=0)
    default_walltime_s: float | None = Field(None, gt=0)
    kill_after_s: float = Field(5.0, ge=0, description="SIGTERM to SIGKILL on a time limit.")
    poll_min_interval: float = Field(2.0, ge=0, description="Seconds between Slurm queries.")
    script_template: str | None = None
    inherit_env: tuple[str, ...] = ("PATH", "HOME", "LANG", "PYTHONPATH", "SLURM_CONF")
    cancel_on_close: bool = Field(False, description="close() cancels unfinished jobs.")
    submit_settle_s: float = Field(0.0, ge=0, le=60, description=(
        "submit waits up to this long for Slurm's first scheduling decision (started, or "
        "queued with a reason), so that a job Slurm can start at once is seen EXECUTING."))

    @field_validator("sbatch_options")
    @classmethod
    def _options(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not o.startswith("-") or any(c in o for c in "\n\r\0") for o in value):
            raise ValueError("each option starts with '-' and holds no line break")
        return value

    @model_validator(mode="after")
    def _transport(self) -> SlurmSettings:
        if self.transport == "rest" and not (self.url and (self.token_env or self.token_file)):
            raise ValueError("the rest transport needs url and token_env or token_file")
        if self.transport == "rest" and self.sbatch_options:
            raise ValueError("sbatch_options are for the cli transport (rest: rest_job_fields)")
        return self


def script_options(spec: JobSpec, settings: SlurmSettings) -> ScriptOptions:
    """The sbatch options of `spec`: its resources, the site's defaults where it has none."""
    res, limit = spec.resources, spec.time_limit
    minutes = (slurm_minutes(limit + settings.kill_after_s) + 1 if limit is not None else
               settings.default_walltime_s and slurm_minutes(settings.default_walltime_s))
    return ScriptOptions(
        name=spec.run_id, workdir=spec.workdir, cpus=math.ceil(res.cpus),
        memory_mb=res.memory_mb or settings.default_memory_mb, time_minutes=minutes or None,
        partition=res.partition or settings.partition, account=res.account or settings.account,
        qos=res.extra.get("qos") or settings.qos, gpus=res.gpus, extra=settings.sbatch_options)


def batch_script(spec: JobSpec, settings: SlurmSettings | Mapping[str, Any] | None) -> str:
    """The batch script the Slurm executor submits for `spec` (for inspection)."""
    site = validate_settings(SlurmSettings, settings, "slurm")
    return render(spec, script_options(spec, site), kill_after_s=site.kill_after_s,
                  template=site.script_template)


class Transport(Protocol):
    def submit(self, script: str, options: ScriptOptions) -> str: ...
    def query(self, job_ids: Sequence[str]) -> dict[str, SlurmRecord]: ...
    def cancel(self, job_id: str) -> None: ...
    def close(self) -> None: ...
